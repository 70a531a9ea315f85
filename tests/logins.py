"""Logins from the attacker's side, for the tests of the per-account limit (users.limits): an attempt
from a given address, a lock reached from many addresses, and the unlock link as the e-mail has it."""

import re

from django.conf import settings
from django.test import Client

from users import limits
from users.models import OutboxMessage, User

LOGIN = "/accounts/login/"
FACTOR = "/accounts/login/code/"


def address(n: int) -> str:
    """The n-th address of an attacker with many (TEST-NET-3), a new one for each attempt."""
    return f"203.0.113.{n % 250 + 1}"


def attempt(client: Client, username: str, password: str, n: int = 0):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address(n))


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(username: str, clock) -> int:
    """Wrong passwords against `username` from a new address each, waiting out every window of the
    slowdown on the app's `clock`, until the account locks; answers the attempts made."""
    user = User.objects.get(username=username)
    made = 0
    while not limits.is_locked(user.pk):
        clock.move(seconds=limits.backoff(limits.failures_of(user.pk)).total_seconds())
        assert attempt(Client(), username, f"wrong-{made}", made).status_code == 200
        made += 1
        assert made <= settings.LOGIN_ACCOUNT_LOCK_AFTER
    return made


def lock_account(user) -> None:
    """Lock `user`'s account as failures from elsewhere would (`users.limits.failure_count`)."""
    for _ in range(settings.LOGIN_ACCOUNT_LOCK_AFTER - limits.failures_of(user.pk)):
        limits.failure_count(user=user, ip="198.51.100.1")
    assert limits.is_locked(user.pk)


_LINK = re.compile(r"https?://\S+?/accounts/unlock/([A-Za-z0-9_-]+)/([A-Za-z0-9_-]+)/")


def unlock_link(user) -> tuple[str, str]:
    """(uidb64, token) of the latest «Your login is locked» e-mail to `user`."""
    message = OutboxMessage.objects.filter(recipient=user, kind="account_locked").latest("pk")
    found = _LINK.search(message.body)
    assert found is not None, message.body
    assert found.group(0) in message.html
    return found.group(1), found.group(2)


def unlock_path(uidb64: str, token: str) -> str:
    return f"/accounts/unlock/{uidb64}/{token}/"
