"""The one idiom for hand-written SQL, used only where the benchmark shows the ORM costs too much
(`tools/bench_auth.py`: API-key verification, the atomic counters of the API).

A `Statement` is written with the models' metadata (table and column names from `_meta`, values as
bound parameters only, never formatted into the text), built once per database vendor, and answers
rows as dictionaries keyed by the names of the selected columns (aliases), never by position.

`fetchone`, the one on every API request, is what the benchmark measured and shaped:
- the names are read from the cursor's description once per vendor, at the first row: psycopg builds
  a `Column` object per column each time `description` is read (≈ 70 µs for the 17 columns of the key
  verification, measured with cProfile), more than the rest of the statement's Python side;
- it runs on the driver's own cursor, with the text already in the driver's placeholder style, when
  nothing observes the statements: Django's cursor wrapper (its execute wrappers, the placeholder
  conversion by regular expression on SQLite, the debug log) cost more than the SQLite query itself
  (≈ 30 against ≈ 14 µs). Django's error translation, broken-transaction check and connection
  handling stay. When an execute wrapper is installed (`connection.execute_wrapper`: the tests'
  statement counts) or queries are logged (DEBUG), it goes through Django's cursor like any query.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

# The parameter placeholder of each driver whose style is not Django's ("format": %s).
DRIVER_PLACEHOLDER = {"sqlite": "?"}
# The drivers whose cursor holds a fetched result in memory, so that one cursor per connection can be
# kept between statements: psycopg's (a new one copies the connection's adapters and makes its loaders
# again, ≈ 15 µs a statement). Not SQLite's: a statement not stepped to its end holds a read transaction.
KEPT_CURSOR_VENDORS = {"postgresql"}


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
        self._driver_text: dict[str, str] = {}
        self._names: dict[str, tuple[str, ...]] = {}

    @property
    def text(self) -> str:
        vendor = connection.vendor
        text = self._text.get(vendor)
        if text is None:
            text = self._text[vendor] = self._build()
        return text

    def driver_text(self, db) -> str:
        """The text in the driver's placeholder style (statements hold no literal %: only placeholders)."""
        text = self._driver_text.get(db.vendor)
        if text is None:
            text = self.text
            if db.vendor in DRIVER_PLACEHOLDER:
                if "%%" in text:
                    raise ValueError("a Statement holds no literal %")
                text = text.replace("%s", DRIVER_PLACEHOLDER[db.vendor])
            self._driver_text[db.vendor] = text
        return text

    def fetchone(self, params: Sequence[Any]) -> dict[str, Any] | None:
        """The first row as {column alias: value}, or None."""
        return self._on_driver(params, fetch=True)

    def run(self, params: Sequence[Any]) -> None:
        """Run a statement that answers no rows on `fetchone`'s path (a counter's upsert per request)."""
        self._on_driver(params, fetch=False)

    def _on_driver(self, params: Sequence[Any], fetch: bool) -> dict[str, Any] | None:
        db = connections[DEFAULT_DB_ALIAS]  # `connection` looks the connection up on every attribute
        if db.execute_wrappers or db.queries_logged:
            with db.cursor() as cursor:
                cursor.execute(self.text, params)
                return self._as_dict(db, cursor, cursor.fetchone()) if fetch else None
        db.validate_no_broken_transaction()
        db.ensure_connection()
        kept = db.vendor in KEPT_CURSOR_VENDORS
        with db.wrap_database_errors:
            cursor = _kept_cursor(db) if kept else db.connection.cursor()
            try:
                cursor.execute(self.driver_text(db), params)
                return self._as_dict(db, cursor, cursor.fetchone()) if fetch else None
            finally:
                if not kept:
                    cursor.close()

    def _as_dict(self, db, cursor, row) -> dict[str, Any] | None:
        if row is None:
            return None
        names = self._names.get(db.vendor)
        if names is None:
            names = self._names[db.vendor] = tuple(column[0] for column in cursor.description)
        return dict(zip(names, row, strict=True))

    def executemany(self, rows: Sequence[Sequence[Any]]) -> None:
        """Run it once for each parameter row, as one call of the driver (psycopg pipelines them)."""
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.text, rows)

    def fetchall(self, params: Sequence[Any]) -> list[dict[str, Any]]:
        """Every row as {column alias: value}, through Django's cursor (not for the hot path)."""
        with connection.cursor() as cursor:
            cursor.execute(self.text, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute(self, params: Sequence[Any]) -> int:
        """Run it; answer the number of rows it changed."""
        with connection.cursor() as cursor:
            cursor.execute(self.text, params)
            return cursor.rowcount


def _kept_cursor(db):
    """The driver's cursor kept for `db`'s current connection; a new one after a reconnection."""
    kept = getattr(db, "_efinance_statement_cursor", None)
    if kept is None or kept[0] is not db.connection or kept[1].closed:
        kept = (db.connection, db.connection.cursor())
        db._efinance_statement_cursor = kept
    return kept[1]
