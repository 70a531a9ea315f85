"""«Security»: a user's own second factors — enrol an authenticator app, make new recovery codes,
remove the app."""

import base64
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from efinance.lib.net import client_ip
from users.factors import services, staff
from users.factors.forms import CodeForm
from users.factors.models import RecoveryCode, TOTPDevice
from users.factors.stepup import step_up_required


@never_cache
@require_GET
def security(request):
    user = request.user
    context = {
        "device": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user).count(),
        "factor_required": services.factor_required(user),
    }
    return render(request, "users/security.html", context)


def _otpauth_uri(user, key: bytes) -> str:
    """The otpauth URI of Google Authenticator's Key Uri Format, which every authenticator app reads."""
    secret = base64.b32encode(key).decode("ascii").rstrip("=")
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{user.get_username()}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": 6, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_variables()  # the key and the codes pass through the locals
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp_enrol(request):
    """Enrol an authenticator app: a QR code (inline SVG: nothing the CSP would have to allow) and the
    key as text, confirmed by a current code. At the first enrolment the answer shows the recovery
    codes, once."""
    user = request.user
    if staff.needs_link(user):
        if request.method == "GET" and "link" in request.GET:
            request.session[staff.LINK_SESSION_KEY] = request.GET["link"]
            return redirect("users:totp_enrol")  # the token leaves the address bar and the Referer
        if not staff.link_is_valid(request):
            return render(request, "users/totp_enrol_link_needed.html", status=403)
    if request.method == "GET" or not (device := TOTPDevice.objects.filter(user=user, confirmed=False).last()):
        device = TOTPDevice.start(user)
    form = CodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        confirmed, codes = services.totp_confirm(device=device, code=form.cleaned_data["code"], ip=client_ip(request))
        if confirmed:
            request.session.pop(staff.LINK_SESSION_KEY, None)
            if codes:
                return render(request, "users/recovery_codes.html", {"codes": codes, "first": True})
            messages.success(request, _("Your authenticator app is set up. The login asks for its code from now on."))
            return redirect("users:security")
        form.refuse()
    key = device.bin_key
    uri = _otpauth_uri(user, key)
    qr = segno.make(uri, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=_("QR code of the key")),
        "secret": _grouped(base64.b32encode(key).decode("ascii").rstrip("=")),
        "replacing": services.has_factor(user),
    }
    return render(request, "users/totp_enrol.html", context, status=400 if form.is_bound else 200)


@never_cache
@sensitive_variables()
@require_POST
@step_up_required()
def recovery_codes_new(request):
    """New recovery codes (the old ones stop working), shown once in this answer."""
    if not services.has_factor(request.user):
        messages.info(request, _("Recovery codes come with a second factor: set up an authenticator app first."))
        return redirect("users:security")
    codes = services.recovery_codes_renew(user=request.user, ip=client_ip(request))
    return render(request, "users/recovery_codes.html", {"codes": codes, "first": False})


@never_cache
@require_POST
@step_up_required()
def totp_remove(request):
    try:
        removed = services.totp_remove(user=request.user, ip=client_ip(request))
    except services.FactorNeeded:
        messages.error(
            request,
            _(
                "Your authenticator app stays: you must have a second factor. To move to another app or "
                "phone, set up the new one instead (it replaces this one)."
            ),
        )
    else:
        if removed:
            update_session_auth_hash(request, request.user)  # the other sessions end, this one stays
            messages.success(
                request, _("Your authenticator app was removed. The login asks only for your password now.")
            )
    return redirect("users:security")
