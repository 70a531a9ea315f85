"""The login in two steps: the password, then (for a user with a second factor) the factor: a passkey,
a code of the authenticator app or a recovery code.

After the password, a user with a factor is not logged in: the session holds only who is waiting for
the second step, and since when (`PENDING`). Every other page treats the session as anonymous, so no
page beyond the second step opens before it is passed. The second step logs the user in, which
rotates the session key (`django.contrib.auth.login`). A wrong code, or a passkey's answer that is
refused (`passkeys.authentication_verify`), is a failed login for django-axes (Django's
`user_login_failed` signal, with the username): it counts towards the same lockout as a wrong
password, and the lockout looks the same; a right one resets the count as a successful login does,
and only then. It counts towards the account's own limit too (`users.limits`), whose refusal here
looks like a wrong code.
"""

import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from audit.models import FactorKind
from efinance.lib.net import client_ip
from users import limits
from users.factors import passkeys
from users.factors.forms import CodeForm, PasskeyForm
from users.factors.models import TOTPDevice
from users.factors.services import has_factor, second_factor_check
from users.forms import LoginForm, SupportLoginForm
from users.views import lockout

PENDING = "factor_pending"


class TwoStepLoginView(auth_views.LoginView):
    """Django's login; a user with a second factor goes on to the second step instead of in."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not has_factor(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
            # The account's failures when the password was right: the second step needs no new window
            # of the per-account limit while none is added (`limits.attempt_allowed`).
            "failures": limits.failures_of(user.pk),
        }
        return redirect("users:login_factor")


@method_decorator(login_not_required, name="dispatch")
class SupportLoginView(TwoStepLoginView):
    """The support admin's login at /support/login/ (what `AdminSite.login` shows), in two steps too."""

    authentication_form = SupportLoginForm
    template_name = "admin/login.html"
    redirect_authenticated_user = False

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and admin.site.has_permission(request):
            return redirect("admin:index")
        request.current_app = admin.site.name
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index")

    def get_context_data(self, **kwargs):
        return {
            **admin.site.each_context(self.request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
            **super().get_context_data(**kwargs),
        }


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > settings.SECOND_FACTOR_LOGIN_SECONDS:
        return None, None
    user = get_user_model()._default_manager.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def _allowed(request, user, pending) -> bool:
    """Whether the account's limit lets this guess be checked; a refusal is answered as a wrong code
    or passkey, and is not counted again (nothing was checked)."""
    if limits.attempt_allowed(user.pk, since_failures=pending.get("failures", 0)):
        return True
    setattr(request, limits.NOT_CHECKED, True)
    return False


@login_not_required
@never_cache
@sensitive_post_parameters("code", passkeys.FIELD)
@require_http_methods(["GET", "POST"])
def login_factor(request):
    """The login's second step: a passkey, the code of the authenticator app, or a recovery code."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, _("Please log in again: the second step of the login waits 5 minutes at most."))
        return redirect("users:login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        request.session.pop(PENDING, None)
        return lockout(request, credentials=credentials)
    posted = request.POST if request.method == "POST" else None
    with_passkey = posted is not None and passkeys.FIELD in posted
    form = CodeForm(None if with_passkey else posted, app=TOTPDevice.objects.filter(user=user, confirmed=True).exists())
    passkey_form = PasskeyForm(posted if with_passkey else None)
    kind, failed = None, posted is not None
    if with_passkey:
        answer = passkey_form.answer()
        if not answer:  # no JavaScript, or the browser's dialog cancelled: no guess was made
            passkey_form.refuse("missing")
            failed = False
        elif _allowed(request, user, pending) and (
            passkeys.authentication_verify(request, user, passkeys.LOG_IN, answer) is not None
        ):
            kind = FactorKind.PASSKEY
    elif form.is_valid() and _allowed(request, user, pending):
        kind = second_factor_check(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
    if kind is not None:
        del request.session[PENDING]
        auth_login(request, user, pending["backend"])  # rotates the session key; a proof (proof.on_login)
        if kind == FactorKind.RECOVERY_CODE:
            messages.warning(
                request,
                _(
                    "You logged in with a recovery code; it cannot be used again. Make new recovery codes "
                    "under «Security» if few are left."
                ),
            )
        target = pending.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse(settings.LOGIN_REDIRECT_URL)
        return redirect(target)
    if failed:
        # A wrong code or passkey, or no code: a failed login for the login protection and the audit log.
        user_login_failed.send(sender=__name__, credentials={**credentials, "second_factor": True}, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)  # AxesMiddleware answers with the lockout page
        if with_passkey:
            passkey_form.refuse()
        elif not form.has_error("code"):
            form.refuse()
    context = {
        "form": form,
        "passkey_form": passkey_form,
        "passkey_options": passkeys.authentication_options(request, user, passkeys.LOG_IN),
        "pending_user": user,
    }
    return render(request, "registration/login_factor.html", context, status=400 if posted is not None else 200)
