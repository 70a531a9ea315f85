"""A key's usage as its page shows it: requests per day of the last 7, 30 or 90 days from the days'
counters (`apikeys.models.usage.KeyUsageDay`, the hourly counters added up as they are written), split
by operation and outcome, and a bar chart of them drawn on the server as SVG (no script: the page's
Content Security Policy stays as it is).

The days are those of the Swiss calendar (`TIME_ZONE`, Europe/Zurich), in which the days' counters are
kept: the database sums them per day and outcome, and per operation and outcome, from one indexed
range of one key's rows, at most 20 a day whatever the hours, operations and outcomes counted.
"""

import datetime
from dataclasses import dataclass, field
from html import escape

from django.db.models import Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from apikeys.models import KeyUsage, KeyUsageDay, Operation, Outcome
from audit.models import Failure
from efinance.lib.when import day as format_day

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


@dataclass
class Day:
    date: datetime.date
    counts: dict[str, int] = field(default_factory=dict)  # by outcome

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Usage:
    days: list[Day]
    by_operation: dict[str, dict[str, int]]  # operation → outcome → count
    totals: dict[str, int]  # by outcome

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def busiest(self) -> int:
        return max((day.total for day in self.days), default=0)

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in Outcome.choices]

    def operation_rows(self) -> list[tuple[str, list[int], int]]:
        """(operation label, counts in the order of `outcomes`, total) for each operation, all listed."""
        rows = []
        for value, label in Operation.choices:
            counts = self.by_operation.get(value, {})
            rows.append((label, [counts.get(outcome, 0) for outcome, _label in self.outcomes], sum(counts.values())))
        return rows

    def day_rows(self) -> list[tuple[datetime.date, list[int], int]]:
        return [(day.date, [day.counts.get(o, 0) for o, _label in self.outcomes], day.total) for day in self.days]

    def total_row(self) -> list[int]:
        return [self.totals.get(outcome, 0) for outcome, _label in self.outcomes]


def usage_of(key_pk: int, days: int, now: datetime.datetime | None = None) -> Usage:
    """The key's requests of the last `days` days (today included), per day and per operation.

    The database sums the days' counters (two queries): per day and outcome, and per operation and
    outcome; Python reads at most 5 rows a day and 20 rows. Read from the hourly counters, a key counted
    in every operation and outcome took 64 ms to show 90 days on SQLite (`tools.bench_scale`)."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone.get_default_timezone())
    first = today - datetime.timedelta(days=days - 1)
    by_day = {first + datetime.timedelta(days=n): Day(first + datetime.timedelta(days=n)) for n in range(days)}
    # A counter of a later day than `now`'s (a clock set back) is not shown.
    counters = KeyUsageDay.objects.filter(api_key_id=key_pk, day__gte=first, day__lte=today).order_by()
    per_day = counters.values("day", "outcome").annotate(total=Sum("count"))
    for day, outcome, count in per_day.values_list("day", "outcome", "total"):
        if count:
            by_day[day].counts[outcome] = count
    by_operation: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    per_operation = counters.values("operation", "outcome").annotate(total=Sum("count"))
    for operation, outcome, count in per_operation.values_list("operation", "outcome", "total"):
        by_operation.setdefault(operation, {})[outcome] = count
        totals[outcome] = totals.get(outcome, 0) + count
    return Usage(days=list(by_day.values()), by_operation=by_operation, totals=totals)


def failures_last_day(key_pk: int, now: datetime.datetime | None = None) -> list[tuple[str, int]]:
    """Refused authentications of the last 24 hours (by whole hours) grouped by reason, most first."""
    now = now or timezone.now()
    since = (now - datetime.timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    rows = (
        KeyUsage.objects.of_key(key_pk, since)
        .filter(outcome=Outcome.AUTH_REFUSED)
        .values("reason")
        .annotate(total=Sum("count"))
        .order_by("-total", "reason")
    )
    return [(reason_label(row["reason"]), row["total"]) for row in rows]


def reason_label(reason: str) -> str:
    """The words for a refusal reason: the audit log's for a refused key, else the problem's kind."""
    labels = {value: label for value, label in Failure.choices}
    labels.update(
        {
            "over_limit": _("Over a limit"),
            "validation": _("Invalid request"),
            "idempotency-key-reused": _("Idempotency-Key reused"),
            "malformed-json": _("Malformed JSON"),
            "duplicate-key": _("A key twice in one JSON object"),
            "http-404": _("Not found"),
        }
    )
    return str(labels.get(reason, reason))


# The chart's drawing units: a bar a day in a fixed-height box, scaled to the width by the browser.
CHART_HEIGHT = 120
BAR_WIDTH = 10
BAR_GAP = 2


def chart_svg(usage: Usage, title: str) -> SafeString:
    """Requests per day as stacked bars, one colour per outcome (classes `usage-<outcome>` in the CSS).

    `role="img"` with a title; the same figures are in the table beside it (screen readers read
    that), so each bar carries only a `<title>` tooltip with its day and count.
    """
    busiest = usage.busiest or 1
    width = len(usage.days) * (BAR_WIDTH + BAR_GAP)
    parts = [
        f'<svg class="usage-chart" viewBox="0 0 {width} {CHART_HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(title)}" data-testid="usage-chart" focusable="false">',
        f"<title>{escape(title)}</title>",
    ]
    for index, day in enumerate(usage.days):
        x = index * (BAR_WIDTH + BAR_GAP)
        y = CHART_HEIGHT
        tooltip = escape(f"{format_day(day.date)}: {day.total}")
        parts.append(f'<g data-day="{day.date.isoformat()}" data-total="{day.total}"><title>{tooltip}</title>')
        parts.append(f'<rect class="usage-day" x="{x}" y="0" width="{BAR_WIDTH}" height="{CHART_HEIGHT}"/>')
        for outcome, _label in usage.outcomes:
            count = day.counts.get(outcome, 0)
            if not count:
                continue
            height = CHART_HEIGHT * count / busiest
            y -= height
            parts.append(
                f'<rect class="usage-{outcome}" x="{x}" y="{y:.2f}" width="{BAR_WIDTH}" height="{height:.2f}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers, and text escaped above)
