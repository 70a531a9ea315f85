"""A password typed into the username field never lands in a record.

People type their password into the username field (or both into one). A name that belongs to no
user is kept as a keyed hash (`users.backends.recorded_username`) in the audit log and in the login
protection's attempts: the same slip counts the same for the limits, and nothing readable is stored.
The attacker's view: a support agent, a database reader or a backup holds no password.
"""

from axes.models import AccessAttempt
from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD

LOGIN = "/accounts/login/"
SLIP = "Sommer2026!Bern"  # alice's password of another site, typed into the username field


def _everything_stored() -> str:
    attempts = AccessAttempt.objects.values_list("username", "get_data", "post_data", "user_agent")
    entries = AuditEvent.objects.values_list("username", "details")
    return repr(list(attempts)) + repr(list(entries))


def test_a_password_typed_as_username_is_stored_nowhere(alice):
    for n in range(6):  # up to the lockout and beyond it
        Client().post(LOGIN, {"username": SLIP, "password": f"x{n}"}, REMOTE_ADDR="203.0.113.7")
    Client().post("/support/login/", {"username": SLIP, "password": "x"}, REMOTE_ADDR="203.0.113.8")
    stored = _everything_stored()
    assert SLIP not in stored and "Sommer2026" not in stored
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 7  # the records are there, hashed
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).count() == 1


def test_the_same_unknown_name_counts_as_one_for_the_limit(alice):
    responses = [Client().post(LOGIN, {"username": SLIP, "password": "x"}, REMOTE_ADDR="203.0.113.7") for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    [attempt] = AccessAttempt.objects.all()
    assert attempt.failures_since_start == 5
    assert attempt.username.startswith("unknown-") and len(attempt.username) == len("unknown-") + 24
    entries = set(AuditEvent.objects.filter(action=Action.LOGIN_FAILED).values_list("username", flat=True))
    assert entries == {attempt.username}


def test_the_hash_is_keyed_so_it_differs_with_another_secret_key(alice, settings):
    Client().post(LOGIN, {"username": SLIP, "password": "x"})
    first = AccessAttempt.objects.get().username
    AccessAttempt.objects.all().delete()
    settings.SECRET_KEY = "another-secret-key-" + "k" * 40
    Client().post(LOGIN, {"username": SLIP, "password": "x"})
    assert AccessAttempt.objects.get().username != first


def test_a_real_username_is_kept_as_it_is(alice):
    Client().post(LOGIN, {"username": "alice", "password": "wrong"})
    assert AccessAttempt.objects.get().username == "alice"
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILED).username == "alice"


def test_the_lockout_page_shows_the_person_what_they_typed_and_stores_none_of_it(alice):
    for _ in range(5):
        response = Client().post(LOGIN, {"username": SLIP, "password": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert f"«{SLIP}»" in response.content.decode()
    assert SLIP not in _everything_stored()
    assert (
        Client().post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9").status_code == 302
    )
