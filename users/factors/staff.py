"""The bank's support staff and their second factor.

- `/support/` needs one: `SupportNeedsFactorMiddleware` sends a staff user without a factor to
  «Security» to set one up, before any page of the support admin opens.
- A staff user's first authenticator app is set up only through a one-time link that an operator makes
  (`manage.py support_factor_link USERNAME`), so that a stolen staff password alone cannot enrol an
  attacker's phone. The link is a token of Django's `PasswordResetTokenGenerator` kind, under its own
  salt, made of the user's state: the enrolment itself (counted in the append-only audit log) or a new
  password ends it;
  it lapses after `SUPPORT_FACTOR_LINK_HOURS`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import base36_to_int
from django.utils.translation import gettext as _

from audit.models import Action, AuditEvent
from users.factors.services import has_factor

LINK_SESSION_KEY = "support_factor_link"


class SupportFactorLinkTokens(PasswordResetTokenGenerator):
    key_salt = "users.factors.staff.SupportFactorLinkTokens"

    def check_token(self, user, token) -> bool:
        """Django's check (signature, user's state) and this link's own lifetime, not PASSWORD_RESET_TIMEOUT's."""
        if not super().check_token(user, token):
            return False
        issued = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - issued <= settings.SUPPORT_FACTOR_LINK_HOURS * 3600

    def _make_hash_value(self, user, timestamp):
        # The audit log is append-only: the count of the user's enrolments only grows, so a used link
        # stays used even when the factor is removed again.
        enrolments = AuditEvent.objects.filter(action=Action.FACTOR_ADDED, subject_id=user.pk).count()
        return f"{user.pk}{user.password}{timestamp}{enrolments}{user.is_staff}"


link_tokens = SupportFactorLinkTokens()


def needs_link(user) -> bool:
    """Whether this user's enrolment must come through an operator's link: staff without a factor."""
    return user.is_staff and not has_factor(user)


def link_for(user) -> str:
    return f"{settings.SITE_URL}{reverse('users:totp_enrol')}?link={link_tokens.make_token(user)}"


def link_is_valid(request) -> bool:
    token = request.session.get(LINK_SESSION_KEY, "")
    return bool(token) and link_tokens.check_token(request.user, token)


class SupportNeedsFactorMiddleware:
    """No page of the support admin for a staff user without a second factor (its login and logout
    excepted): they are sent to «Security» first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        support = reverse("admin:index")
        exempt = (reverse("admin:login"), reverse("admin:logout"))
        user = request.user
        if (
            request.path.startswith(support)
            and not request.path.startswith(exempt)
            and user.is_authenticated
            and user.is_staff
            and not has_factor(user)
        ):
            messages.warning(
                request,
                _(
                    "The support administration needs a second factor. Set up an authenticator app here first, "
                    "with the set-up link an operator gives you."
                ),
            )
            return redirect("users:security")
        return self.get_response(request)
