"""The one idiom for hand-written SQL, used only where the benchmark shows the ORM costs too much
(`tools/bench_auth.py`: API-key verification, the atomic counters of the API).

A `Statement` is written with the models' metadata (table and column names from `_meta`, values as
bound parameters only, never formatted into the text), built once per database vendor, and answers
rows as dictionaries keyed by the names of the selected columns (aliases), never by position.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def quoted_column(model, field: str) -> str:
    """The quoted column of `model`'s field: what a statement names instead of a literal identifier."""
    return connection.ops.quote_name(model._meta.get_field(field).column)


def quoted_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Statement:
    """A parameterized statement whose text `build()` makes from the models' metadata."""

    def __init__(self, build: Callable[[], str]):
        self._build = build
        self._text: dict[str, str] = {}

    @property
    def text(self) -> str:
        vendor = connection.vendor
        text = self._text.get(vendor)
        if text is None:
            text = self._text[vendor] = self._build()
        return text

    def fetchone(self, params: Sequence[Any]) -> dict[str, Any] | None:
        """The first row as {column alias: value}, or None."""
        with connection.cursor() as cursor:
            cursor.execute(self.text, params)
            row = cursor.fetchone()
            if row is None:
                return None
            return dict(zip([column[0] for column in cursor.description], row, strict=True))

    def executemany(self, rows: Sequence[Sequence[Any]]) -> None:
        """Run it once for each parameter row, as one call of the driver (psycopg pipelines them)."""
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.text, rows)

    def execute(self, params: Sequence[Any]) -> int:
        """Run it; answer the number of rows it changed."""
        with connection.cursor() as cursor:
            cursor.execute(self.text, params)
            return cursor.rowcount
