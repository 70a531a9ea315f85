"""A fresh proof of who acts: when the user last gave their second factor (or, for a user without
one, their password), kept in the session. The login sets it; sensitive actions ask for it again
when it is older than `settings.STEP_UP_SECONDS`."""

import time

PROOF_AT = "proof_at"


def mark(request) -> None:
    request.session[PROOF_AT] = time.time()
