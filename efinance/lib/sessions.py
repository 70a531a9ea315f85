"""Django's database sessions, whose save of an existing session is one UPDATE.

Every page extends its session (`SESSION_SAVE_EVERY_REQUEST`: 15 minutes without a request end it).
Django's `db.SessionStore.save` writes the row through `Model.save` inside `transaction.atomic`: on
PostgreSQL a BEGIN, the UPDATE and a COMMIT, three round trips on every page, and the model's save
machinery around them (`python -m tools.bench_auth`). One UPDATE is atomic on its own. A new session is
created as Django creates it (an INSERT that must not meet an existing key), and an UPDATE that finds
no row (the session was deleted meanwhile: a logout in another tab) is Django's `UpdateError`, which
the session middleware answers as before (`SessionInterrupted`, never a session made again).
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import router


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        if self.session_key is None or must_create:
            return super().save(must_create=must_create)
        using = router.db_for_write(self.model)
        updated = (
            self.model._default_manager.using(using)
            .filter(session_key=self.session_key)
            .update(session_data=self.encode(self._get_session()), expire_date=self.get_expiry_date())
        )
        if not updated:
            raise UpdateError
