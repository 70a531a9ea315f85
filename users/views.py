from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import set_language as django_set_language

from efinance.lib.net import client_ip
from users import limits
from users.backends import typed_username


def lockout(request, original_response=None, credentials=None):
    """The page django-axes shows instead of the login once a username and address are locked out."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        # What the person typed, shown to them only: the records keep a hash of a name that is nobody's.
        "username": typed_username(request, credentials) or "",
        "minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
    }
    return render(request, "registration/lockout.html", context, status=429)


@login_not_required
def set_language(request):
    """Django's language switch; a signed-in user's choice is also kept as the language of their e-mails."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    chosen = request.method == "POST" and check_for_language(language) and language in dict(settings.LANGUAGES)
    if chosen and user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Where the set-password link of support's e-mail lands: Django's PasswordResetConfirmView.

    The first request carries the token in its path; the view keeps it in the session and redirects
    to the same path with ``set-password`` in the token's place, so the form's page, its Referer and
    what follows never show it (the access log's line of that first request is redacted:
    `efinance.lib.logging.RedactLinksFilter`). The link works once (setting the password changes the
    hash the token is made of) and expires after ``PASSWORD_RESET_TIMEOUT``. A deactivated user's
    link no longer works, and a technical user's never does: it never gets a password.
    """

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("users:set_password_done")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active and not user.is_technical else None

    def get_context_data(self, **kwargs):
        days = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))
        return {**super().get_context_data(**kwargs), "days": days}


# Where the link of the e-mail «Your login is locked» waits between its first request and the click
# on «Unlock» (`unlock_link`, `unlock`).
UNLOCK_SESSION_KEY = "unlock_link"


@login_not_required
@never_cache
@sensitive_variables("token")
@require_GET
def unlock_link(request, uidb64, token):
    """The link of the e-mail «Your login is locked» (`users.limits`): it keeps the link in the session
    and redirects to a path without it, so that the page, its Referer and what follows never show the
    token (the access line of this first request is redacted: `efinance.lib.logging.redact_links`).
    Nothing is lifted by a GET: a mail scanner that follows links uses up nothing."""
    request.session[UNLOCK_SESSION_KEY] = [uidb64, token]
    return redirect("users:unlock")


@login_not_required
@never_cache
@sensitive_variables("link", "token")
@require_http_methods(["GET", "POST"])
def unlock(request):
    """«Unlock my login»: a button, and after it the login again (with the password and the second
    factor). The link works once, for its user only, until it ends."""
    link = request.session.get(UNLOCK_SESSION_KEY)
    uidb64, token = link if isinstance(link, list) and len(link) == 2 else ("", "")
    user = limits.link_user(uidb64, token) if token else None
    if user is None:
        request.session.pop(UNLOCK_SESSION_KEY, None)
        return render(request, "registration/unlock.html", {"state": "invalid"}, status=400)
    if request.method == "POST":
        request.session.pop(UNLOCK_SESSION_KEY, None)
        if limits.lock_lift_by_link(uidb64=uidb64, token=token, ip=client_ip(request)) is None:
            return render(request, "registration/unlock.html", {"state": "invalid"}, status=400)
        return render(request, "registration/unlock.html", {"state": "done"})
    return render(request, "registration/unlock.html", {"state": "ask", "username": user.get_username()})
