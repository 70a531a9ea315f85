"""What each key does: its requests counted per hour, operation and outcome, and its last refusals.

No row per request. `KeyUsage` holds one row per key, hour, operation, outcome and refusal reason, and
a request that its key could not be told for (a malformed token, an unknown key ID) is counted nowhere.
`KeyUsageDay` adds the same counts up per day of the Swiss calendar (`TIME_ZONE`), operation and
outcome: the database's triggers add each change of an hour's row to its day's row in the same
statement (migration `0032_key_usage_days_by_trigger`), whoever writes it. The key's page reads at
most 20 rows a day of the period, not 20 an hour (`tools.bench_scale`: 90 days of a key counted in
every operation and outcome were 43,200 hourly rows). Both are kept `USAGE_KEPT_MONTHS` months
(`manage.py prune_key_usage`).

Each process adds its answered requests up in memory and writes them every `API_USAGE_FLUSH_SECONDS`
with one upsert per row (`apikeys.sql.USAGE_ADD`, in one `executemany`): the request that finds the
interval over writes them, and a thread of the process does when no request comes. Written at once, a
count cost the ping two thirds of its rate on SQLite (`tools.bench_auth`: 656 against 1,962 req/s, the
write lock taken on every request); batched, a worker writes about once per interval. A worker that is
killed loses at most its last interval's answered requests. Refusals are written at once (with their
row in `KeyRefusal`): they are rare, and the page must show them when the integrator calls. With
`API_USAGE_FLUSH_SECONDS = 0` every request writes its count itself.

`KeyRefusal` keeps the last `REFUSALS_KEPT` refused requests of each key (time, client address,
operation, reason; never a token or a body): the key page's list of what went wrong.
"""

import datetime
import os
import threading
import time

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import sql

USAGE_KEPT_MONTHS = 13
REFUSALS_KEPT = 50


class Operation(models.TextChoices):
    PING = "ping", _("Ping")
    KEY_SELF = "keys_self", _("keys/self")
    READ = "read", _("List or read documents")
    DELIVER = "deliver", _("Deliver")


class Outcome(models.TextChoices):
    ANSWERED = "ok", _("Answered (2xx)")
    REFUSED = "refused", _("Refused by the API (4xx)")
    AUTH_REFUSED = "auth", _("Refused authentication")
    LIMITED = "limit", _("Over a limit")
    FAILED = "error", _("Server error (5xx)")


def outcome_of(status: int, authenticated: bool) -> str:
    """The outcome of an answer with HTTP `status` to a request whose key was (not) accepted."""
    if status == 429:
        return Outcome.LIMITED
    if not authenticated:
        return Outcome.AUTH_REFUSED
    if status < 400:
        return Outcome.ANSWERED
    return Outcome.REFUSED if status < 500 else Outcome.FAILED


def usage_kept_since(now: datetime.datetime | None = None) -> datetime.datetime:
    """The first hour kept: `USAGE_KEPT_MONTHS` calendar months before `now` (the day clamped)."""
    now = now or timezone.now()
    month = now.month - USAGE_KEPT_MONTHS
    year = now.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(now.day, 28)
    return now.replace(year=year, month=month, day=day, minute=0, second=0, microsecond=0)


class _Pending:
    """This process's counts not written yet: {(key pk, hour, operation, outcome, reason): count}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[tuple, int] = {}
        self.due = 0.0  # time.monotonic() of the next write
        self.pid = os.getpid()
        self.writer: threading.Thread | None = None

    def add(self, row: tuple, interval: float) -> bool:
        """Count `row` once; answer whether the interval is over (the caller writes then)."""
        if self.pid != os.getpid():  # a forked worker starts with nothing of its parent's
            self.__init__()
        with self.lock:
            if not self.counts:
                self.due = time.monotonic() + interval
            self.counts[row] = self.counts.get(row, 0) + 1
            if self.writer is None:
                self.writer = threading.Thread(target=self._write_when_idle, args=(interval,), daemon=True)
                self.writer.start()
            return time.monotonic() >= self.due

    def take(self) -> list[tuple]:
        with self.lock:
            counts, self.counts = self.counts, {}
        return [(*row, count) for row, count in counts.items()]

    def give_back(self, rows: list[tuple]) -> None:
        """Rows that could not be written (the database away): counted again with the next write."""
        with self.lock:
            for *row, count in rows:
                self.counts[tuple(row)] = self.counts.get(tuple(row), 0) + count

    def _write_when_idle(self, interval: float) -> None:
        while True:
            time.sleep(max(interval, 0.1))
            if self.counts and time.monotonic() >= self.due:
                try:
                    KeyUsage.objects.flush()
                except Exception:
                    connection.close()


PENDING = _Pending()


def _hour_of(now: datetime.datetime):
    """The hour of `now` as the database's parameter (on SQLite, text in UTC)."""
    return connection.ops.adapt_datetimefield_value(now.replace(minute=0, second=0, microsecond=0))


_hour_cache: tuple = (None, None)  # (hours since the epoch, that hour as the database's parameter)


def _current_hour():
    """`_hour_of(now)`, made once per hour of the process: building the aware datetime and adapting it
    cost more than the rest of a count (in process, about 40 of 55 µs on SQLite). The pair is replaced
    in one assignment, so that a thread never reads an hour with another hour's value."""
    global _hour_cache
    hours = int(time.time() // 3600)
    cached_hours, value = _hour_cache
    if cached_hours != hours:
        value = _hour_of(datetime.datetime.fromtimestamp(hours * 3600, tz=datetime.UTC))
        _hour_cache = (hours, value)
    return value


class KeyUsageManager(models.Manager):
    def hit(self, *, key_pk: int, operation: str, outcome: str, reason: str = "", now=None) -> None:
        """Count one request of the key in the current hour (batched per process, see the module)."""
        if not settings.API_USAGE_COUNTING:
            return
        hour = _hour_of(now) if now is not None else _current_hour()
        row = (key_pk, hour, operation, outcome, reason)
        interval = settings.API_USAGE_FLUSH_SECONDS
        if interval <= 0 or outcome != Outcome.ANSWERED:
            sql.USAGE_ADD.run([*row, 1])
        elif PENDING.add(row, interval):
            self.flush()

    def add(self, rows: list[tuple]) -> None:
        """Add counts (key pk, hour, operation, outcome, reason, count) to their hours' rows, and so (the
        database's triggers) to their days' rows, as a flush does. An hour is an aware datetime or, as
        the process's counts hold it, the database's parameter (`_hour_of`)."""
        rows = [
            (key, _hour_of(hour) if isinstance(hour, datetime.datetime) else hour, *rest) for key, hour, *rest in rows
        ]
        sql.USAGE_ADD.executemany(rows)

    def flush(self) -> int:
        """Write this process's pending counts: one upsert per row, in one `executemany`."""
        rows = PENDING.take()
        try:
            sql.USAGE_ADD.executemany(rows)
        except Exception:
            PENDING.give_back(rows)
            raise
        return len(rows)

    def prune(self, now: datetime.datetime | None = None) -> int:
        """Delete the hours older than the kept months, and the days before the first one kept;
        answers how many hours' rows went. Safe to run twice at once: a DELETE by the hour index and
        one by the day index, which another run's finds already done."""
        since = usage_kept_since(now)
        deleted, _per_model = self.filter(hour__lt=since).delete()
        KeyUsageDay.objects.filter(day__lt=timezone.localdate(since, timezone.get_default_timezone())).delete()
        return deleted

    def of_key(self, key_pk: int, since: datetime.datetime):
        return self.filter(api_key_id=key_pk, hour__gte=since)


class KeyUsage(models.Model):
    """Requests of one key in one hour for one operation and outcome (and refusal reason, if refused)."""

    api_key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    operation = models.CharField(max_length=12, choices=Operation.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    count = models.PositiveIntegerField(default=1)

    objects = KeyUsageManager()

    class Meta:
        verbose_name = _("key usage")
        verbose_name_plural = _("key usage")
        indexes = [models.Index(fields=["hour"], name="key_usage_hour")]
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "hour", "operation", "outcome", "reason"], name="key_usage_one_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.hour:%Y-%m-%d %H}h {self.operation} {self.outcome} {self.count}"


class KeyUsageDay(models.Model):
    """Requests of one key on one day of the Swiss calendar for one operation and outcome: the sum of
    its hours' `KeyUsage` rows, kept by the database's triggers, read by the key's page."""

    api_key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    operation = models.CharField(max_length=12, choices=Operation.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("key usage per day")
        verbose_name_plural = _("key usage per day")
        indexes = [models.Index(fields=["day"], name="key_usage_day_day")]
        constraints = [
            # The page's range of days of one key is read from this index.
            models.UniqueConstraint(fields=["api_key", "day", "operation", "outcome"], name="key_usage_day_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.day:%Y-%m-%d} {self.operation} {self.outcome} {self.count}"


class KeyRefusalManager(models.Manager):
    def record(self, *, key_pk: int, operation: str, reason: str, ip: str | None, now=None) -> None:
        """Keep this refusal and drop the key's refusals beyond the last `REFUSALS_KEPT`."""
        self.create(api_key_id=key_pk, at=now or timezone.now(), operation=operation, reason=reason, ip=ip)
        older = self.filter(api_key_id=key_pk).order_by("-at", "-id").values_list("id", flat=True)[REFUSALS_KEPT:]
        self.filter(api_key_id=key_pk, id__in=list(older)).delete()

    def last_of(self, key_pk: int):
        return self.filter(api_key_id=key_pk).order_by("-at", "-id")[:REFUSALS_KEPT]


class KeyRefusal(models.Model):
    """One refused request of a key: when, from where, what it asked and why it was refused."""

    api_key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    operation = models.CharField(max_length=12, choices=Operation.choices)
    reason = models.CharField(max_length=40)

    objects = KeyRefusalManager()

    class Meta:
        verbose_name = _("refused request")
        verbose_name_plural = _("refused requests")
        indexes = [models.Index(fields=["api_key", "-at"], name="key_refusal_key_at")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.at:%Y-%m-%d %H:%M} {self.operation} {self.reason}"
