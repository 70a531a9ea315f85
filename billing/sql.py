"""The hand-written SQL of billing (the idiom: `efinance.lib.sql`): the atomic per-minute counters (the
deliveries of a key, the failed authentications of an address), which must count in one row across
app servers. Models are looked up when a
statement is first built, so this module imports none."""

from django.apps import apps

from efinance.lib.sql import Statement, quoted_column, quoted_table


def _counter():
    counter = apps.get_model("billing", "DeliveryCounter")
    return counter, quoted_table(counter), quoted_column(counter, "api_key"), quoted_column(counter, "minute")


def _hit() -> str:
    counter, table, key, minute = _counter()
    count = quoted_column(counter, "count")
    return (
        f"INSERT INTO {table} ({key}, {minute}, {count}) VALUES (%s, %s, 1) "  # noqa: S608 (identifiers from the model)
        f"ON CONFLICT ({key}, {minute}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count} AS count"
    )


def _prune() -> str:
    _model, table, key, minute = _counter()
    return f"DELETE FROM {table} WHERE {key} = %s AND {minute} < %s"  # noqa: S608


# Count one delivery of a key (pk) in a minute (the minute's start); answers the row's count.
DELIVERY_HIT = Statement(_hit)
# Drop a key's rows of the minutes before the given one.
DELIVERY_PRUNE = Statement(_prune)


def _report_hit() -> str:
    counter = apps.get_model("billing", "ReportCounter")
    table, address, minute, count = (
        quoted_table(counter),
        quoted_column(counter, "address"),
        quoted_column(counter, "minute"),
        quoted_column(counter, "count"),
    )
    return (
        f"INSERT INTO {table} ({address}, {minute}, {count}) VALUES (%s, %s, 1) "  # noqa: S608 (identifiers from the model)
        f"ON CONFLICT ({address}, {minute}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count} AS count"
    )


def _report_prune() -> str:
    counter = apps.get_model("billing", "ReportCounter")
    return f"DELETE FROM {quoted_table(counter)} WHERE {quoted_column(counter, 'minute')} < %s"  # noqa: S608


# Count one revocation request of a client address in a minute (the minute's start); answers the count.
REPORT_HIT = Statement(_report_hit)
# Drop every address's rows of the minutes before the given one.
REPORT_PRUNE = Statement(_report_prune)


def _failures():
    counter = apps.get_model("billing", "AuthFailureCounter")
    return counter, quoted_table(counter), quoted_column(counter, "ip"), quoted_column(counter, "minute")


def _failure_hit() -> str:
    counter, table, ip, minute = _failures()
    count = quoted_column(counter, "count")
    return (
        f"INSERT INTO {table} ({ip}, {minute}, {count}) VALUES (%s, %s, 1) "  # noqa: S608 (identifiers from the model)
        f"ON CONFLICT ({ip}, {minute}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count} AS count"
    )


def _failure_prune() -> str:
    _model, table, _ip, minute = _failures()
    return f"DELETE FROM {table} WHERE {minute} < %s"  # noqa: S608


# Count one failed authentication of an address in a minute; answers the row's count.
AUTH_FAILURE_HIT = Statement(_failure_hit)
# Drop every address's rows of the minutes before the given one.
AUTH_FAILURE_PRUNE = Statement(_failure_prune)
