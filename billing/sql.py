"""The hand-written SQL of billing (the idiom: `efinance.lib.sql`): the atomic per-minute counters,
which must count in one row across app servers — the deliveries of a key (`DeliveryCounter`), the
requests of an address to the public revocation endpoint (`ReportCounter`), the failed API
authentications of an address (`AuthFailureCounter`). Each counter is one model with a key column,
`minute` and `count`, and the same two statements. Models are looked up when a statement is first
built, so this module imports none."""

from django.apps import apps

from efinance.lib.sql import Statement, quoted_column, quoted_table


def _hit(model: str, key_field: str, *, by_amount: bool = False) -> Statement:
    """Count one event of a key in a minute (the minute's start); answers the row's count, as `count`.
    With `by_amount`, a third parameter counts that many events at once (a positive number)."""

    def build() -> str:
        counter = apps.get_model("billing", model)
        table, key = quoted_table(counter), quoted_column(counter, key_field)
        minute, count = quoted_column(counter, "minute"), quoted_column(counter, "count")
        amount, added = ("%s", f"EXCLUDED.{count}") if by_amount else ("1", "1")
        return (
            f"INSERT INTO {table} ({key}, {minute}, {count}) VALUES (%s, %s, {amount}) "  # noqa: S608 (identifiers from the model)
            f"ON CONFLICT ({key}, {minute}) DO UPDATE SET {count} = {table}.{count} + {added} "
            f"RETURNING {count} AS count"
        )

    return Statement(build)


def _prune(model: str, key_field: str | None = None) -> Statement:
    """Drop the rows of the minutes before the given one: of one key (`key_field`), or of every key."""

    def build() -> str:
        counter = apps.get_model("billing", model)
        of_key = f"{quoted_column(counter, key_field)} = %s AND " if key_field else ""
        return f"DELETE FROM {quoted_table(counter)} WHERE {of_key}{quoted_column(counter, 'minute')} < %s"  # noqa: S608

    return Statement(build)


# The deliveries of a key (pk); pruned per key at its first delivery of a minute.
DELIVERY_HIT = _hit("DeliveryCounter", "api_key")
DELIVERY_PRUNE = _prune("DeliveryCounter", "api_key")
# The revocation requests of a client address; pruned for every address.
REPORT_HIT = _hit("ReportCounter", "address")
REPORT_PRUNE = _prune("ReportCounter")
# The failed authentications of a client address; pruned for every address.
AUTH_FAILURE_HIT = _hit("AuthFailureCounter", "ip")
AUTH_FAILURES_ADD = _hit("AuthFailureCounter", "ip", by_amount=True)  # the failed checks of one report
AUTH_FAILURE_PRUNE = _prune("AuthFailureCounter")
