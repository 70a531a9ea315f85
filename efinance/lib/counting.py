"""Counts that stop: how many rows there are, up to a cap, so that a page's cost does not grow with the
contract. Below the cap a count is exact; beyond it the page says «more than 1,000», as GitHub's «1k+».

`CappedCount(queryset)` is the expression (a scalar subquery, correlated or not) that counts at most
`COUNT_CAP` + 1 rows: ``SELECT COUNT(*) FROM (SELECT 1 … LIMIT 1001)``, which reads no more than 1,001
index entries whatever the table holds; `counts_capped(...)` counts querysets so, all in one query.
`capped(number)` turns what they answer into the number to show: an `int` when exact, a `MoreThan`
when the cap was reached. ``{{ value|count }}`` (``{% load counts %}``)
writes either, in the page's language.
"""

from django import template
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import IntegerField, QuerySet, Subquery, Value
from django.utils.formats import localize, number_format
from django.utils.translation import gettext

COUNT_CAP = 1000

register = template.Library()


class MoreThan(int):
    """A count that reached its cap: there are more rows than this number (`capped`). As an int it is
    the cap, so that a plural form is chosen as for that number; arithmetic on it answers plain ints."""

    def __sub__(self, other) -> "MoreThan":
        """«and more than N more»: the rows beyond those shown, still at least."""
        return MoreThan(int(self) - other)


def capped(number: int | None, cap: int | None = None) -> int:
    """`number` as counted by `CappedCount`: the exact number up to `cap`, else `MoreThan(cap)`."""
    cap = cap or COUNT_CAP
    number = number or 0
    return MoreThan(cap) if number > cap else number


def _rows(queryset: QuerySet, cap: int) -> QuerySet:
    """At most `cap` + 1 rows of `queryset`, each a constant, in no order: its index read and stopped."""
    return queryset.order_by().annotate(capped_row=Value(1)).values("capped_row")[: cap + 1]


def counts_capped(*querysets: QuerySet, cap: int | None = None) -> list[int]:
    """How many rows each of `querysets` has, up to `cap` (`capped`), all in one query that reads at
    most `cap` + 1 rows of each."""
    cap = cap or COUNT_CAP
    selects, params = [], []
    for queryset in querysets:
        try:
            sql, more = _rows(queryset, cap).query.sql_with_params()
        except EmptyResultSet:  # `none()`: nothing to read
            selects.append("0")
            continue
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) capped_rows)")  # noqa: S608 (the ORM's SQL)
        params.extend(more)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        return [capped(number, cap) for number in cursor.fetchone()]


class CappedCount(Subquery):
    """The number of rows of `queryset`, counted up to `cap` + 1 (read with `capped`). The rows are
    selected as a constant without an order: the database reads its index and stops at the limit."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped_rows)"

    def __init__(self, queryset: QuerySet, cap: int | None = None):
        super().__init__(_rows(queryset, cap or COUNT_CAP), output_field=IntegerField())


@register.filter
def count(value) -> str:
    """A count as the page writes it: the number, or «more than 1,000» for a `MoreThan`."""
    if isinstance(value, MoreThan):
        return gettext("more than %(count)s") % {"count": number_format(int(value), force_grouping=True)}
    return localize(value)
