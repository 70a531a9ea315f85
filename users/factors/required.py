"""A customer's user who must have a second factor and has none opens nothing but the enrolment.

That is an Admin user while their contract's security policy says «Admin users must use a second
factor», and a user whose factor someone else reset (`services.factor_required`). After the password
(the login lets them in: they have no factor to ask for), every page but «Security» and its
enrolment, the logout and the language switch sends them to set up an authenticator app, and says
why. The bank's staff have their own rule for /support/ (`staff.SupportNeedsFactorMiddleware`).
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from users.factors.services import enrolment_due


class EnrolmentDueMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt = None

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (user.is_org_admin or user.must_enrol_factor):
            if self.exempt is None:
                self.exempt = (reverse("users:security"), reverse("users:logout"), reverse("set_language"))
            # The organization came with the session's user (users.backends.UserBackend.get_user joins
            # it), so the policy is read from this request's own row: no query of its own.
            policy = user.organization.admins_need_factor if user.organization_id else None
            if not request.path.startswith(self.exempt) and enrolment_due(user, policy=policy):
                if user.must_enrol_factor:
                    reason = _("Your second factor was reset. Set up an authenticator app (or a passkey) to continue.")
                else:
                    reason = _(
                        "Your contract's security policy requires a second factor for Admin users. Set up an "
                        "authenticator app (or a passkey) to continue."
                    )
                messages.warning(request, reason)
                return redirect("users:totp_enrol")
        return self.get_response(request)
