"""Step-up: a fresh proof before the actions that matter (GitHub's sudo mode, Stripe's code to roll
a key).

`step_up_required(when=...)` wraps a view. A POST to it (where `when(request, *args, **kwargs)` says
the action needs it) runs the view only if the user proved who they are within
`settings.STEP_UP_SECONDS` (`proof.is_fresh`). Otherwise the answer is a page that asks for the
second factor (a passkey, a code of the app or a recovery code), or for a user without one the
password, and carries the submitted form along in hidden fields: once the proof is right, the same
request goes on to the view with the form as it was, so nothing filled in is lost. Without the proof the view does
not run at all. Fields named like a password are not carried along (they would sit in the page's
HTML); a form that needs one asks for it again.

A wrong proof is a failed login for django-axes (the `user_login_failed` signal with the username,
as at the login): it counts towards the same lockout, and at the lockout the session ends. It is
recorded as «Confirmation failed» on «Activity». It counts towards the account's own limit as
well (`users.limits`); while the account is locked, no proof is checked.
"""

from functools import wraps

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from efinance.lib.net import client_ip
from users import limits
from users.factors import passkeys, proof
from users.factors.forms import CodeForm, PasskeyForm
from users.factors.models import TOTPDevice
from users.factors.services import has_factor, second_factor_check
from users.views import lockout

# The fields the step-up page adds to the carried form (named in AXES_SENSITIVE_PARAMETERS).
MARKER = "step_up"
CODE_FIELD = "code"
PASSWORD_FIELD = "step_up_password"  # noqa: S105 (a field's name)
_NOT_CARRIED = {"csrfmiddlewaretoken", MARKER, CODE_FIELD, PASSWORD_FIELD, passkeys.FIELD}


class PasswordProofForm(forms.Form):
    error_messages = {
        "required": _("Enter your password."),
        "wrong": _("The password is not correct."),
    }

    step_up_password = forms.CharField(
        label=_("Your password"),
        strip=False,
        error_messages={"required": error_messages["required"]},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def refuse(self) -> None:
        self.add_error(PASSWORD_FIELD, forms.ValidationError(self.error_messages["wrong"], code="wrong"))


def _carried(post) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name in post
        if name not in _NOT_CARRIED and "password" not in name.lower()
        for value in post.getlist(name)
    ]


def _proof_page(request, form, passkey_form, *, factor: bool, status: int, locked: bool = False):
    context = {
        "locked": locked,
        "form": form,
        "passkey_form": passkey_form,
        "passkey_options": passkeys.authentication_options(request, request.user, passkeys.STEP_UP) if factor else None,
        "factor": factor,
        "carried": _carried(request.POST),
        "action": request.get_full_path(),
    }
    return render(request, "users/step_up.html", context, status=status)


def _prove(request):
    """None when the request carries a right proof (noted in the session); else the answer to give."""
    user = request.user
    factor = has_factor(user)
    asked = MARKER in request.POST
    with_passkey = factor and asked and passkeys.FIELD in request.POST
    if factor:
        app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        form = CodeForm(request.POST if asked and not with_passkey else None, app=app)
    else:
        form = PasswordProofForm(request.POST if asked else None)
    passkey_form = PasskeyForm(request.POST if with_passkey else None)
    if not asked:
        return _proof_page(request, form, passkey_form, factor=factor, status=200)
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return lockout(request, credentials=credentials)
    if limits.is_locked(user.pk):
        # The account's login is locked (`users.limits`): no proof is checked until it is lifted. The
        # user is logged in, so the page may say so (no stranger learns anything from it).
        return _proof_page(request, form, passkey_form, factor=factor, status=400, locked=True)
    right = False
    if with_passkey:
        answer = passkey_form.answer()
        if not answer:  # no JavaScript, or the browser's dialog cancelled: no guess was made
            passkey_form.refuse("missing")
            return _proof_page(request, form, passkey_form, factor=factor, status=400)
        right = passkeys.authentication_verify(request, user, passkeys.STEP_UP, answer) is not None
    elif form.is_valid():
        if factor:
            code = form.cleaned_data[CODE_FIELD]
            right = second_factor_check(user=user, code=code, ip=client_ip(request)) is not None
        else:
            right = user.check_password(form.cleaned_data[PASSWORD_FIELD])
    if right:
        proof.mark(request)
        request.POST = request.POST.copy()
        for name in (MARKER, CODE_FIELD, PASSWORD_FIELD, passkeys.FIELD):
            request.POST.pop(name, None)
        return None
    user_login_failed.send(sender=__name__, credentials={**credentials, "step_up": True}, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)  # the lockout page follows (AxesMiddleware)
        return lockout(request, credentials=credentials)
    if with_passkey:
        passkey_form.refuse()
    elif not any(form.has_error(name) for name in form.fields):
        form.refuse()
    return _proof_page(request, form, passkey_form, factor=factor, status=400)


def step_up_required(when=None):
    """Ask a POST for a fresh proof first (see the module); `when` narrows it to some POSTs."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            needed = request.method == "POST" and (when is None or when(request, *args, **kwargs))
            if needed and not proof.is_fresh(request):
                answer = _prove(request)
                if answer is not None:
                    return answer
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
