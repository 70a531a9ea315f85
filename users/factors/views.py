"""«Security»: a user's own second factors — enrol an authenticator app or passkeys, make new recovery
codes, remove a factor — and «Log out everywhere»."""

import base64
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from efinance.lib.net import client_ip
from users.factors import passkeys, services, staff
from users.factors.forms import CodeForm, PasskeyAddForm
from users.factors.models import Passkey, RecoveryCode, TOTPDevice
from users.factors.stepup import step_up_required
from users.services import user_sessions_end


@never_cache
@require_GET
def security(request):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    user_passkeys = list(Passkey.objects.filter(user=user).order_by("created_at", "pk"))
    required = services.factor_required(user)
    context = {
        "device": device,
        "passkeys": user_passkeys,
        "has_factor": device is not None or bool(user_passkeys),
        "recovery_codes_left": RecoveryCode.objects.filter(user=user).count(),
        "factor_required": required,
        # Nobody who must have a factor removes their last one: removing is offered while another is left.
        "removable": not required or (device is not None) + len(user_passkeys) > 1,
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
    if (refused := _staff_link_refused(request, "users:totp_enrol")) is not None:
        return refused
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


def _staff_link_refused(request, view_name: str):
    """The bank's staff set up their first factor only through an operator's one-time link
    (`staff`): the link's token goes into the session and out of the address; without a valid one
    the answer is a page that says so (None: go on)."""
    if not staff.needs_link(request.user):
        return None
    if request.method == "GET" and "link" in request.GET:
        request.session[staff.LINK_SESSION_KEY] = request.GET["link"]
        return redirect(view_name)  # the token leaves the address bar and the Referer
    if not staff.link_is_valid(request):
        return render(request, "users/totp_enrol_link_needed.html", status=403)
    return None


@never_cache
@sensitive_variables()  # the recovery codes pass through the locals
@sensitive_post_parameters(passkeys.FIELD)
@require_http_methods(["GET", "POST"])
def passkey_add(request):
    """Set up a passkey: a name for it, then the browser's own dialog (`static/js/passkey.js`); the
    answer is checked (`passkeys.registration_verify`) and only its public key kept. At the first
    factor the answer shows the recovery codes, once."""
    user = request.user
    if (refused := _staff_link_refused(request, "users:passkey_add")) is not None:
        return refused
    form = PasskeyAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration = passkeys.registration_verify(request, user, form.cleaned_data[passkeys.FIELD])
        if registration is None:
            form.refuse()
        else:
            name = form.cleaned_data["name"]
            try:
                codes = services.passkey_add(user=user, name=name, registration=registration, ip=client_ip(request))
            except services.PasskeyTaken:
                form.refuse("taken")
            else:
                request.session.pop(staff.LINK_SESSION_KEY, None)
                if codes:
                    context = {"codes": codes, "first": True, "passkey_name": name}
                    return render(request, "users/recovery_codes.html", context)
                messages.success(
                    request,
                    _("Your passkey «%(name)s» is set up. The login offers it from now on.") % {"name": name},
                )
                return redirect("users:security")
    # None on a host outside the passkeys' domain (PASSKEY_RP_ID): the page says so.
    options = passkeys.registration_options(request, user) if passkeys.expected_origin(request) else None
    context = {"form": form, "options": options, "rp_id": settings.PASSKEY_RP_ID}
    return render(request, "users/passkey_add.html", context, status=400 if form.is_bound else 200)


@never_cache
@require_POST
@step_up_required()
def passkey_remove(request, passkey_id: int):
    """Remove one of the user's passkeys (another user's: 404)."""
    try:
        removed = services.passkey_remove(user=request.user, passkey_id=passkey_id, ip=client_ip(request))
    except services.FactorNeeded:
        messages.error(
            request,
            _("This passkey stays: you must have a second factor. Set up another one first, then remove this one."),
        )
        return redirect("users:security")
    if not removed:
        raise Http404
    update_session_auth_hash(request, request.user)  # the other sessions end, this one stays
    messages.success(request, _("The passkey was removed. It no longer opens your login."))
    return redirect("users:security")


@never_cache
@sensitive_variables()
@require_POST
@step_up_required()
def recovery_codes_new(request):
    """New recovery codes (the old ones stop working), shown once in this answer."""
    if not services.has_factor(request.user):
        messages.info(
            request, _("Recovery codes come with a second factor: set up an authenticator app or a passkey first.")
        )
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
                "phone, set up the new one instead (it replaces this one), or set up a passkey first."
            ),
        )
    else:
        if removed:
            update_session_auth_hash(request, request.user)  # the other sessions end, this one stays
            messages.success(
                request, _("Your authenticator app was removed. The login asks only for your password now.")
            )
    return redirect("users:security")


@never_cache
@require_http_methods(["GET", "POST"])
@step_up_required()
def logout_everywhere(request):
    """«Log out everywhere»: GET asks to confirm; the POST (after a fresh proof, as every action of this
    page) ends every session of the user, this one too, and sends them to the login. A bank's login is
    ended where the user says «everywhere»: nothing of it stays signed in (GitHub and Google keep the
    current one; here the one who asks logs in again, with their second factor)."""
    if request.method == "GET":
        return render(request, "users/logout_everywhere.html")
    user_sessions_end(user=request.user, by=request.user, ip=client_ip(request))
    logout(request)
    messages.success(request, _("You have been logged out everywhere: every browser must log in again."))
    return redirect("users:login")
