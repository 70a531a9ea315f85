"""The per-account login limit (users.limits) from the attacker's side: many addresses against one
account are slowed down, then locked; every refusal reads as a wrong password, for an unknown
username too; second-factor failures count; concurrent failures are all counted and lock once."""

import re
import threading

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD
from tests.conftest import run_concurrently
from tests.factors import code_at, enrol
from tests.logins import FACTOR, attempt, fail_until_locked, lock_account, logged_in
from tests.passkeys import add_passkey, options_in
from users import limits
from users.models import LoginLimit, OutboxMessage


def _failures(user) -> int:
    return limits.failures_of(user.pk)


def _page(response, *typed: str) -> str:
    """The page as the attacker compares it: without the CSRF token and what they typed."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    for value in typed:
        page = page.replace(f'value="{value}"', 'value="…"')
    return page


def test_forty_wrong_passwords_from_ten_addresses_lock_the_account(alice, clock):
    """The red team's case: 40 wrong passwords from 10 addresses, one every five minutes."""
    for n in range(40):
        clock.move(minutes=5)
        response = Client().post(
            "/accounts/login/", {"username": "alice", "password": f"guess-{n}"}, REMOTE_ADDR=f"198.51.100.{n % 10}"
        )
        assert response.status_code == 200
    row = LoginLimit.objects.get(user=alice)
    assert row.locked_at is not None
    assert row.failures == 10  # the attempts after the lock were refused unchecked
    assert AuditEvent.objects.filter(action=Action.ACCOUNT_LOCKED, subject=alice).count() == 1
    assert OutboxMessage.objects.filter(recipient=alice, kind="account_locked").count() == 1
    client = Client()
    assert attempt(client, "alice", PASSWORD, 99).status_code == 200
    assert not logged_in(client)


def test_after_a_few_failures_attempts_wait_for_a_growing_window(alice, clock):
    for n in range(3):
        attempt(Client(), "alice", f"wrong-{n}", n)
    assert _failures(alice) == 3
    # Within the first window (30 s): refused without a check, not even the right password.
    client = Client()
    assert attempt(client, "alice", PASSWORD, 10).status_code == 200
    assert not logged_in(client)
    assert attempt(Client(), "alice", "wrong-x", 11).status_code == 200
    assert _failures(alice) == 3
    clock.move(seconds=30)
    attempt(Client(), "alice", "wrong-3", 12)
    assert _failures(alice) == 4
    clock.move(seconds=59)  # the window has doubled
    attempt(Client(), "alice", "wrong-4", 13)
    assert _failures(alice) == 4
    clock.move(seconds=1)
    client = Client()
    assert attempt(client, "alice", PASSWORD, 14).status_code == 302
    assert logged_in(client)
    assert not LoginLimit.objects.filter(user=alice).exists()  # a full login forgets the failures


def test_a_locked_account_refuses_the_right_password_until_lifted(alice, clock):
    assert fail_until_locked("alice", clock) == 10
    clock.move(days=30)  # no lock ends by itself
    client = Client()
    response = attempt(client, "alice", PASSWORD, 50)
    assert response.status_code == 200
    assert not logged_in(client)
    assert LoginLimit.objects.get(user=alice).is_locked


def test_every_refusal_reads_exactly_as_a_wrong_password(alice, bob, clock):
    wrong = attempt(Client(), "bob", "wrong", 1)
    unknown = attempt(Client(), "nobody-here", "wrong", 2)
    for n in range(3):
        attempt(Client(), "alice", f"wrong-{n}", 3 + n)
    slowed = attempt(Client(), "alice", PASSWORD, 10)
    fail_until_locked("alice", clock)
    locked = attempt(Client(), "alice", PASSWORD, 20)
    expected = _page(wrong, "bob")
    assert "Please enter a correct username and password." in expected
    assert _page(unknown, "nobody-here") == expected
    assert _page(slowed, "alice") == expected
    assert _page(locked, "alice") == expected
    assert {r.status_code for r in (wrong, unknown, slowed, locked)} == {200}


def test_refusals_and_unknown_usernames_hash_a_password_as_a_check_does(alice, bob, clock, monkeypatch):
    """The time of an answer is the time of one password hashing, whatever the account's state."""
    calls = []
    original = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))

    def hashings(username, password, n) -> int:
        calls.clear()
        attempt(Client(), username, password, n)
        return len(calls)

    assert hashings("bob", "wrong", 1) == 1
    assert hashings("nobody-here", "wrong", 2) == 1
    for n in range(3):
        attempt(Client(), "alice", f"wrong-{n}", 3 + n)
    assert hashings("alice", PASSWORD, 10) == 1  # in the window: refused, hashed all the same
    fail_until_locked("alice", clock)
    assert hashings("alice", PASSWORD, 20) == 1


def test_an_unknown_username_is_never_slowed_down_or_locked_differently(db, clock):
    pages = {attempt(Client(), "nobody-here", f"wrong-{n}", n).status_code for n in range(12)}
    assert pages == {200}
    assert not LoginLimit.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_wrong_second_factors_count_and_the_lock_refuses_a_right_code(alice, totp_clock):
    secret, _codes = enrol(alice)
    client = Client()
    assert attempt(client, "alice", PASSWORD, 0).status_code == 302
    for n in range(3):
        response = client.post(FACTOR, {"code": "000000"}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 400
    assert _failures(alice) == 3
    assert AuditEvent.objects.filter(action=Action.FACTOR_LOGIN_FAILED, subject=alice).count() == 3
    # In the window even the right code is refused, as a wrong one, and not counted.
    right_code = code_at(secret, totp_clock.now)
    refused = client.post(FACTOR, {"code": right_code}, REMOTE_ADDR="198.51.100.9")
    assert refused.status_code == 400
    assert "This code is not valid." in refused.content.decode()
    assert _page(refused, right_code) == _page(response, "000000")  # the same page as a wrong code
    assert not logged_in(client)
    assert _failures(alice) == 3
    for _ in range(7):  # others fail from elsewhere meanwhile (each as a wrong password would count)
        limits.failure_count(user=alice, ip="192.0.2.1")
    assert limits.is_locked(alice.pk)
    totp_clock.next_step()
    fresh = Client()
    assert attempt(fresh, "alice", PASSWORD, 60).status_code == 200  # locked: refused at the password
    response = client.post(FACTOR, {"code": code_at(secret, totp_clock.now)}, REMOTE_ADDR="198.51.100.10")
    assert response.status_code == 400
    assert not logged_in(client)


def test_refused_passkey_assertions_count_and_the_lock_refuses_a_right_one(bob):
    key = add_passkey(bob)
    client = Client()
    assert attempt(client, "bob", PASSWORD, 0).status_code == 302
    for n in range(3):
        options = options_in(client.get(FACTOR))
        phished = key.sign(options, origin="https://phish.example")
        assert client.post(FACTOR, {"passkey": phished}, REMOTE_ADDR=f"198.51.100.{n}").status_code == 400
    assert _failures(bob) == 3
    lock_account(bob)
    options = options_in(client.get(FACTOR))
    response = client.post(FACTOR, {"passkey": key.sign(options)}, REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 400
    assert not logged_in(client)
    assert _failures(bob) == 10  # the right one was not checked, so not counted either


def test_the_support_login_counts_and_locks_too(sam, clock):
    for n in range(10):
        clock.move(seconds=limits.backoff(_failures(sam)).total_seconds())
        response = Client().post(
            "/support/login/", {"username": "sam", "password": f"wrong-{n}"}, REMOTE_ADDR=f"198.51.100.{n}"
        )
        assert response.status_code == 200
    assert limits.is_locked(sam.pk)
    client = Client()
    client.post("/support/login/", {"username": "sam", "password": PASSWORD}, REMOTE_ADDR="198.51.100.99")
    assert not logged_in(client)


def test_the_right_password_alone_does_not_reset_the_count(alice, totp_clock):
    enrol(alice)
    client = Client()
    attempt(client, "alice", PASSWORD, 0)
    client.post(FACTOR, {"code": "000000"}, REMOTE_ADDR="198.51.100.1")
    attempt(Client(), "alice", PASSWORD, 1)  # the password step again, no second step
    assert _failures(alice) == 1


def test_a_wrong_step_up_proof_counts_and_a_locked_account_checks_none(alice, alice_client):
    from tests.factors import stale_proof

    stale_proof(alice_client)
    url = f"/administration/users/{alice.pk}/reset-factor/"
    response = alice_client.post(url, {"step_up": "1", "step_up_password": "wrong"}, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 400
    assert _failures(alice) == 1
    for _ in range(9):
        limits.failure_count(user=alice, ip="198.51.100.3")
    assert limits.is_locked(alice.pk)
    response = alice_client.post(url, {"step_up": "1", "step_up_password": PASSWORD}, REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 400
    assert 'data-testid="step-up-locked"' in response.content.decode()


def test_a_technical_users_name_is_an_unknown_username(abacus):
    for n in range(12):
        attempt(Client(), abacus.username, f"wrong-{n}", n)
    assert not LoginLimit.objects.exists()


def test_settings_change_the_thresholds(alice, settings):
    settings.LOGIN_ACCOUNT_SLOWDOWN_AFTER = 1
    settings.LOGIN_ACCOUNT_LOCK_AFTER = 2
    settings.LOGIN_ACCOUNT_BACKOFF_SECONDS = 0
    attempt(Client(), "alice", "wrong-1", 1)
    attempt(Client(), "alice", "wrong-2", 2)
    assert LoginLimit.objects.get(user=alice).is_locked


def test_the_backoff_doubles_up_to_its_ceiling(settings):
    assert [limits.backoff(n).total_seconds() for n in (0, 2, 3, 4, 5, 8, 30, 10_000)] == [
        0,
        0,
        30,
        60,
        120,
        900,
        900,
        900,
    ]


def _at_once(action, count: int = 8) -> list:
    """Run `action` in `count` threads released together, each on its own connection; their results."""
    barrier, results, errors = threading.Barrier(count, timeout=10), [], []

    def run():
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    run_concurrently(run, count)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted_and_lock_once(alice):
    def fail_5_times():
        for _ in range(5):
            limits.failure_count(user=alice, ip="198.51.100.1")

    _at_once(fail_5_times)
    assert LoginLimit.objects.get(user=alice).failures == 40
    assert AuditEvent.objects.filter(action=Action.ACCOUNT_LOCKED, subject=alice).count() == 1
    assert OutboxMessage.objects.filter(recipient=alice, kind="account_locked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_of_many_attempts_at_the_window_one_is_checked(alice):
    for _ in range(5):
        limits.failure_count(user=alice, ip="198.51.100.1")
    long_ago = LoginLimit.objects.get().last_attempt_at.replace(year=2020)
    LoginLimit.objects.filter(user=alice).update(last_attempt_at=long_ago)
    allowed = _at_once(lambda: limits.attempt_allowed(alice.pk))
    assert sorted(allowed) == [False] * 7 + [True]
