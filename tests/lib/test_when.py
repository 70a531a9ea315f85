"""Every date and time in one form: Swiss time, the language's short form, the zone named once."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import translation

from efinance.lib.when import day, moment, moment_near, zone_note

UTC = datetime.UTC
ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


@pytest.fixture(autouse=True)
def _english():
    """English unless a test says otherwise, whatever an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_a_moment_reads_as_in_switzerland_in_every_language(language):
    at = datetime.datetime(2026, 12, 7, 23, 30, 5, tzinfo=UTC)  # 00:30 on the 8th in Zurich (winter)
    with translation.override(language):
        assert moment(at) == "08.12.2026 00:30"
        assert moment(at, "seconds") == "08.12.2026 00:30:05"
        assert day(at) == "08.12.2026"
        assert day(datetime.date(2026, 12, 19)) == "19.12.2026"


def test_summer_time_is_told_by_the_zone_not_by_the_server():
    assert moment(datetime.datetime(2026, 7, 1, 22, 15, tzinfo=UTC)) == "02.07.2026 00:15"
    assert moment(datetime.datetime(2026, 7, 1, 22, 15, tzinfo=zoneinfo.ZoneInfo("America/New_York"))) == (
        "02.07.2026 04:15"
    )


def test_nothing_reads_as_nothing():
    assert moment(None) == day(None) == moment_near(None) == ""


def test_a_recent_moment_reads_as_today_or_yesterday_in_zurich():
    now = datetime.datetime(2026, 12, 8, 0, 10, tzinfo=ZURICH)
    assert moment_near(datetime.datetime(2026, 12, 8, 0, 5, tzinfo=ZURICH), now) == "today 00:05"
    assert moment_near(datetime.datetime(2026, 12, 7, 23, 55, tzinfo=ZURICH), now) == "yesterday 23:55"
    assert moment_near(datetime.datetime(2026, 12, 6, 23, 55, tzinfo=ZURICH), now) == "06.12.2026 23:55"
    with translation.override("de"):
        assert moment_near(datetime.datetime(2026, 12, 8, 0, 5, tzinfo=ZURICH), now) == "heute 00:05"


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("en", "All times are Swiss time (Europe/Zurich)."),
        ("de", "Alle Zeiten in Schweizer Zeit (Europe/Zurich)."),
        ("fr", "Toutes les heures en heure suisse (Europe/Zurich)."),
        ("it", "Tutti gli orari in ora svizzera (Europe/Zurich)."),
    ],
)
def test_the_zone_is_named_in_the_readers_language(language, note):
    with translation.override(language):
        assert zone_note() == note


def test_templates_load_the_same_filters():
    template = Template('{% load when %}{{ at|moment }} · {{ at|moment:"seconds" }} · {{ d|day }} · {% zone_note %}')
    at = datetime.datetime(2026, 12, 7, 23, 30, 5, tzinfo=UTC)
    text = template.render(Context({"at": at, "d": datetime.date(2027, 1, 2)}))
    assert text == "08.12.2026 00:30 · 08.12.2026 00:30:05 · 02.01.2027 · All times are Swiss time (Europe/Zurich)."
