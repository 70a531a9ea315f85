"""A fresh proof of who acts: when the user last gave their second factor (or, for a user without one,
their password), kept in the session.

Every login is such a proof: the project logs a user in only after the full authentication (the
password, and the second factor where the user has one: `users.factors.login`), so `on_login`
(connected to Django's `user_logged_in` in `UsersConfig.ready`) notes it. A step-up
(`users.factors.stepup`) notes it again. Sensitive actions ask for a new one when the last is older
than `settings.STEP_UP_SECONDS`.
"""

import time

from django.conf import settings

PROOF_AT = "proof_at"


def mark(request) -> None:
    request.session[PROOF_AT] = time.time()


def is_fresh(request) -> bool:
    at = request.session.get(PROOF_AT)
    return isinstance(at, float) and 0 <= time.time() - at < settings.STEP_UP_SECONDS


def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark(request)
