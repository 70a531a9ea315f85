"""Pages of the audit log by position, not by count: a page of «Activity» costs the same whether the
log holds a thousand entries or millions.

A page is found from the position of an entry (its time and ID, the log's order) with an index that
ends in that order, and never counts or skips rows (no OFFSET): «Older» continues below the last
entry shown, «Newer» above the first. A filter that is an OR of two indexed conditions (the user who
acted or the user concerned) reads the positions of each side in index order, merges the two short
lists, and reads the page's entries by their IDs.
"""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.models import AuditEvent

PAGE_SIZE = 50
_POSITION_RE = re.compile(r"(\d{1,17})\.(\d{1,19})")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Position:
    """Where an entry stands in the log: its time, then its ID (entries of the same microsecond)."""

    at: datetime.datetime
    id: int

    @classmethod
    def of(cls, entry: AuditEvent) -> "Position":
        return cls(entry.at, entry.pk)

    def __str__(self) -> str:
        """As a URL writes it: microseconds since 1970, a dot, the ID."""
        delta = self.at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> "Position | None":
        """The position a URL gave, or None for anything that is not one (then the page starts at the top)."""
        match = _POSITION_RE.fullmatch(text or "")
        if match is None:
            return None
        try:
            at = _EPOCH + datetime.timedelta(microseconds=int(match[1]))
        except OverflowError:
            return None
        return cls(at, int(match[2])) if at.year <= 9999 and int(match[2]) < 2**63 else None

    # The bound on `at` alone is what the index range starts from; the OR only sorts out the entries
    # of that same microsecond (a row comparison would say it in one, but Django has none to offer).
    def older_q(self) -> Q:
        return Q(at__lte=self.at) & (Q(at__lt=self.at) | Q(id__lt=self.id))

    def newer_q(self) -> Q:
        return Q(at__gte=self.at) & (Q(at__gt=self.at) | Q(id__gt=self.id))


@dataclass(frozen=True)
class LogPage:
    entries: list[AuditEvent]
    newer: Position | None  # «Newer»: the entries above the first one shown
    older: Position | None  # «Older»: the entries below the last one shown


def log_page(
    sources: list[QuerySet],
    *,
    before: Position | None = None,
    after: Position | None = None,
    size: int = PAGE_SIZE,
    entries: QuerySet | None = None,
) -> LogPage:
    """`size` entries, newest first, of the union of `sources` (querysets of the log): the first page,
    the entries older than `before`, or those newer than `after`. One query for a single source; for
    several, one per source that reads the positions alone (from its index), then the page's entries
    from `entries` (the sources' own queryset, with what it joins) by their IDs: a query more, but
    the rows, their users and their details made once, not once per source."""
    going_up = after is not None and before is None
    many = len(sources) > 1
    rows: dict[int, AuditEvent | tuple] = {}
    for source in sources:
        if going_up:
            found = source.filter(after.newer_q()).order_by("at", "id")[: size + 1]
        else:
            found = source.filter(before.older_q()) if before else source
            found = found.order_by("-at", "-id")[: size + 1]
        if many:
            rows.update((pk, (at, pk)) for at, pk in found.values_list("at", "id"))
        else:
            rows.update((entry.pk, entry) for entry in found)
    key = (lambda row: row) if many else (lambda entry: (entry.at, entry.pk))
    shown = sorted(rows.values(), key=key, reverse=not going_up)
    more = len(shown) > size
    shown = shown[:size]
    if many:
        base = entries if entries is not None else sources[0].model.objects
        loaded = base.order_by().in_bulk([pk for _at, pk in shown])
        shown = [loaded[pk] for _at, pk in shown]
    if going_up:
        shown.reverse()
        newer = Position.of(shown[0]) if more else None
        older = Position.of(shown[-1]) if shown else None  # we came from there: there are older ones
    else:
        newer = Position.of(shown[0]) if before and shown else None  # likewise
        older = Position.of(shown[-1]) if more else None
    return LogPage(entries=shown, newer=newer, older=older)
