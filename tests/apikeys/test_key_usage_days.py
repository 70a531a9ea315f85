"""The days' counters (`KeyUsageDay`) the key's page reads: always the sum of the hourly counters of their
day in Zurich (the database's triggers) — across midnight, across the changes of summer time, for counts
written late or by several processes at once, by any writer — filled for the counts of before by a
migration, and pruned with the hours."""

import datetime
import importlib
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apikeys import usage
from apikeys.models import KeyUsage, KeyUsageDay
from apikeys.models.usage import usage_kept_since
from tests.conftest import run_concurrently

ZURICH = timezone.get_default_timezone()
UTC = datetime.UTC


def _hours_by_day(key) -> dict:
    """The hourly counters added up per day of Zurich, operation and outcome (what the days must hold)."""
    days: Counter = Counter()
    for hour, operation, outcome, count in KeyUsage.objects.filter(api_key=key).values_list(
        "hour", "operation", "outcome", "count"
    ):
        days[timezone.localdate(hour, ZURICH), operation, outcome] += count
    return dict(days)


def _days(key) -> dict:
    rows = KeyUsageDay.objects.filter(api_key=key).values_list("day", "operation", "outcome", "count")
    return {(day, operation, outcome): count for day, operation, outcome, count in rows}


def test_the_hours_before_and_after_midnight_in_zurich_count_in_their_own_days(alice_key):
    key, _token = alice_key
    winter = datetime.datetime(2026, 1, 18, 22, tzinfo=UTC)  # 23:00 in Zurich (UTC+1)
    KeyUsage.objects.add(
        [(key.pk, winter, "ping", "ok", "", 2), (key.pk, winter.replace(hour=23), "ping", "ok", "", 3)]
    )
    summer = datetime.datetime(2026, 7, 18, 21, tzinfo=UTC)  # 23:00 in Zurich (UTC+2)
    KeyUsage.objects.add(
        [(key.pk, summer, "read", "refused", "validation", 4), (key.pk, summer, "read", "refused", "", 1)]
    )
    KeyUsage.objects.add([(key.pk, summer.replace(hour=22), "read", "refused", "", 6)])
    assert (
        _days(key)
        == _hours_by_day(key)
        == {
            (datetime.date(2026, 1, 18), "ping", "ok"): 2,
            (datetime.date(2026, 1, 19), "ping", "ok"): 3,
            (datetime.date(2026, 7, 18), "read", "refused"): 5,  # the reasons of a day in one row
            (datetime.date(2026, 7, 19), "read", "refused"): 6,
        }
    )


@pytest.mark.parametrize(
    ("changed", "hours"),
    [(datetime.date(2026, 3, 29), 23), (datetime.date(2026, 10, 25), 25)],
    ids=["summer-time-starts", "summer-time-ends"],
)
def test_the_days_of_a_change_of_summer_time_count_their_23_or_25_hours(alice_client, alice_key, changed, hours):
    key, _token = alice_key
    start = datetime.datetime.combine(changed - datetime.timedelta(days=1), datetime.time(), tzinfo=ZURICH)
    end = datetime.datetime.combine(changed + datetime.timedelta(days=2), datetime.time(), tzinfo=ZURICH)
    every_hour, at = [], start.astimezone(UTC)
    while at < end:
        every_hour.append((key.pk, at, "ping", "ok", "", 1))
        at += datetime.timedelta(hours=1)
    KeyUsage.objects.add(every_hour)
    assert _days(key) == _hours_by_day(key)
    now = datetime.datetime.combine(changed + datetime.timedelta(days=1), datetime.time(12), tzinfo=ZURICH)
    figures = usage.usage_of(key.pk, 7, now)
    assert [day.total for day in figures.days[-3:]] == [24, hours, 24]
    assert figures.totals == {"ok": 48 + hours} and figures.total == len(every_hour)


def test_a_count_written_late_adds_to_its_own_day(alice_key, settings):
    """A process that flushes yesterday's last hour after today's first (its batch waited) adds it to
    yesterday's row, not today's; the page's 7 days show both as the hours say."""
    settings.API_USAGE_FLUSH_SECONDS = 3600
    key, _token = alice_key
    now = timezone.now()
    today = datetime.datetime.combine(timezone.localdate(now, ZURICH), datetime.time(), tzinfo=ZURICH)
    KeyUsage.objects.hit(key_pk=key.pk, operation="ping", outcome="ok", now=today)
    KeyUsage.objects.flush()
    KeyUsage.objects.hit(key_pk=key.pk, operation="ping", outcome="ok", now=today - datetime.timedelta(minutes=1))
    KeyUsage.objects.hit(key_pk=key.pk, operation="ping", outcome="ok", now=today - datetime.timedelta(minutes=2))
    assert KeyUsage.objects.flush() == 1
    assert (
        _days(key)
        == _hours_by_day(key)
        == {
            (today.date() - datetime.timedelta(days=1), "ping", "ok"): 2,
            (today.date(), "ping", "ok"): 1,
        }
    )
    assert [day.total for day in usage.usage_of(key.pk, 7, now).days[-2:]] == [2, 1]


@pytest.mark.django_db(transaction=True)
def test_counts_written_at_once_by_several_processes_add_up_in_the_days(alice_key):
    key, _token = alice_key
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)

    def write_twenty():
        try:
            for back in range(20):
                rows = [
                    (key.pk, hour - datetime.timedelta(hours=back), "ping", outcome, "", 1)
                    for outcome in ("ok", "limit")
                ]
                KeyUsage.objects.add(rows)
        finally:
            connection.close()

    run_concurrently(write_twenty, 4)
    days = _days(key)
    assert days == _hours_by_day(key)
    assert sum(days.values()) == 4 * 20 * 2


def test_any_write_of_an_hour_adds_to_its_day_in_the_same_statement(alice_key):
    """The database keeps the days (its triggers): a counted request's one upsert, and a row written by
    any other means (here the ORM), change the day with the hour, and nothing is written twice."""
    from tests.conftest import statements_run

    key, _token = alice_key
    hour = datetime.datetime(2026, 10, 25, 22, tzinfo=UTC)  # 23:00 in Zurich, the day of 25 hours
    with statements_run() as statements:
        KeyUsage.objects.hit(key_pk=key.pk, operation="ping", outcome="refused", reason="validation", now=hour)
    assert len(statements) == 1 and "ON CONFLICT" in statements[0]
    KeyUsage.objects.hit(key_pk=key.pk, operation="ping", outcome="refused", reason="validation", now=hour)
    KeyUsage.objects.create(api_key=key, hour=hour, operation="ping", outcome="refused", reason="other", count=5)
    assert _days(key) == _hours_by_day(key) == {(datetime.date(2026, 10, 25), "ping", "refused"): 7}


def test_the_migration_adds_up_the_counts_of_before_per_day(alice_key, make_key, bob):
    key, _token = alice_key
    other, _token = make_key(user=bob)
    midnight = datetime.datetime(2026, 10, 24, 22, tzinfo=UTC)  # 00:00 in Zurich, summer time
    for back in range(30):
        for each, count in ((key, 1 + back % 3), (other, 5)):
            KeyUsage.objects.create(
                api_key=each,
                hour=midnight - datetime.timedelta(hours=back),
                operation="deliver",
                outcome="ok",
                count=count,
            )
    KeyUsage.objects.create(api_key=key, hour=midnight, operation="deliver", outcome="ok", reason="x", count=7)
    KeyUsageDay.objects.all().delete()  # as before the days existed (the triggers filled them)
    backfill = importlib.import_module("apikeys.migrations.0031_key_usage_per_day_backfill")
    backfill.add_up_the_days(apps, None)
    assert _days(key) == _hours_by_day(key) and _days(other) == _hours_by_day(other)
    assert _days(key)[datetime.date(2026, 10, 25), "deliver", "ok"] == 1 + 7


def test_pruning_deletes_the_days_before_the_first_hour_kept(alice_key):
    key, _token = alice_key
    first = usage_kept_since()
    KeyUsage.objects.add([(key.pk, first, "ping", "ok", "", 1)])
    KeyUsage.objects.add([(key.pk, first - datetime.timedelta(days=2), "ping", "ok", "", 1)])
    call_command("prune_key_usage", stdout=None)
    assert list(KeyUsageDay.objects.values_list("day", flat=True)) == [timezone.localdate(first, ZURICH)]
