"""The app's clock for tests: moved by the test instead of waiting (fixture `clock` in tests/conftest.py)."""

import datetime


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
