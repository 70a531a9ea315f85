"""Fixtures of the security policy's tests: dora, a second Admin user of Demo AG; four-eyes on, and a
production key alice made for bob that waits for approval (`pending`)."""

import datetime

import pytest

from apikeys.models import ApiKey
from tests.apikeys.policy_cast import create_via_form, set_policy
from tests.cast import client_for, make_user


@pytest.fixture
def dora(demo_ag):
    return make_user("dora", demo_ag, is_org_admin=True)


@pytest.fixture
def dora_client(dora):
    return client_for(dora)


@pytest.fixture
def four_eyes(alice, dora):
    return set_policy(alice.organization, four_eyes=True)


@pytest.fixture
def pending(four_eyes, alice_client, bob):
    """A production key alice made for bob under four-eyes, and its token: it waits for dora."""
    response, token = create_via_form(alice_client, bob, api="production")
    assert response.status_code == 200
    return ApiKey.objects.get(note="ERP"), token


class Clock:
    """The app's clock (`django.utils.timezone.now`), moved by the test instead of waiting. The
    database's own clock does not move: what it compares (the replacement guard, the creation-time
    guard) sees the real time, so a test that moved ahead comes back (`back`) before it stores a key."""

    def __init__(self, monkeypatch):
        from django.utils import timezone

        self.real = timezone.now
        self.now = self.real()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def back(self) -> None:
        """To the real time: the database refuses a key created later than its own clock."""
        self.now = self.real()

    def move(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)

    def set(self, moment: datetime.datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
