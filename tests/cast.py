"""The helpers that make the cast of the tests (their fixtures are in tests/conftest.py): a user of an
organization with the tests' password, and a test client logged in as one."""

import datetime
import re

from django.test import Client
from django.utils import timezone

from users.models import User

PASSWORD = "correct-horse-battery-staple"


def today() -> datetime.date:
    """Today in the project's zone, read when a test asks: a date taken when a module is imported is
    wrong for the tests that run after midnight in Zurich (23:00 UTC in winter)."""
    return timezone.localdate()


def make_user(username: str, organization=None, **extra) -> User:
    """A user named `username` (first name the same, capitalised) with an address of demo.example."""
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@demo.example",
        first_name=username.capitalize(),
        last_name="Tester",
        organization=organization,
        **extra,
    )


def make_technical_user(name: str, organization, **extra) -> User:
    """A technical user of `organization` named `name` («ERP Abacus»): no password, no address."""
    user = User(
        username=name.lower().replace(" ", "-"), first_name=name, organization=organization, is_technical=True, **extra
    )
    user.set_unusable_password()
    user.save()
    return user


def client_for(user: User, **kwargs) -> Client:
    """A test client logged in as `user` (`kwargs` for the Client, e.g. enforce_csrf_checks=True)."""
    client = Client(**kwargs)
    client.force_login(user)
    return client


def mentions(text: str, word: str) -> bool:
    """Whether `text` names `word` as a word of its own: not inside a random token (a CSRF token, a key
    ID) that happens to hold its letters, so that a test of «bob is (not) shown» never passes or fails
    by the chance of a token."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None
