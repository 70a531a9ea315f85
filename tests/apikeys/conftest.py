"""Fixtures of the security policy's tests: dora, a second Admin user of Demo AG."""

import datetime

import pytest

from tests.cast import client_for, make_user


@pytest.fixture
def dora(demo_ag):
    return make_user("dora", demo_ag, is_org_admin=True)


@pytest.fixture
def dora_client(dora):
    return client_for(dora)


class Clock:
    """The app's clock (`django.utils.timezone.now`), moved by the test instead of waiting. The
    database's own clock does not move: what it compares (the replacement guard) sees the real time."""

    def __init__(self, monkeypatch):
        from django.utils import timezone

        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)

    def set(self, moment: datetime.datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
