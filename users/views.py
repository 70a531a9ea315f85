from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language
from django.views.i18n import set_language as django_set_language

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
