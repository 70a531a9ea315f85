"""The hand-written SQL of apikeys (the idiom: `efinance.lib.sql`).

Two statements where the benchmark (`tools/bench_auth.py`) shows the ORM's query building costing
more than the query itself: the verification of a token on every API request, and the count of
failed authentications per key and hour (an upsert, so that concurrent first failures make one row).
Models are looked up when a statement is first built, so this module imports none.
"""

from django.apps import apps

from efinance.lib.sql import Statement, quoted_column, quoted_table


def _verify() -> str:
    key, user, org = (
        apps.get_model("apikeys", "ApiKey"),
        apps.get_model("users", "User"),
        apps.get_model("users", "Organization"),
    )

    def k(field):
        return f"k.{quoted_column(key, field)}"

    def u(field):
        return f"u.{quoted_column(user, field)}"

    columns = {
        "pk": k("id"),
        "secret_hash": k("secret_hash"),
        "api": k("api"),
        "valid_until": k("valid_until"),
        "revoked_at": k("revoked_at"),
        "ends_at": k("ends_at"),
        "last_used_at": k("last_used_at"),
        "organization_id": k("organization"),
        "user_id": u("id"),
        "username": u("username"),
        "user_active": u("is_active"),
        "user_organization_id": u("organization"),
        "organization_name": f"o.{quoted_column(org, 'name')}",
    }
    select = ", ".join(f"{column} AS {alias}" for alias, column in columns.items())
    return (
        f"SELECT {select} FROM {quoted_table(key)} k "  # noqa: S608 (identifiers from the models, values bound)
        f"JOIN {quoted_table(user)} u ON {u('id')} = {k('user')} "
        f"JOIN {quoted_table(org)} o ON o.{quoted_column(org, 'id')} = {k('organization')} "
        f"WHERE {k('key_id')} = %s"
    )


# One row per key ID: the key, its user and its organization.
VERIFY = Statement(_verify)

AUTH_FAILURE_COLUMNS = [
    "at",
    "action",
    "username",
    "organization",
    "key_id",
    "ip",
    "details",
    "hour",
    "count",
    "last_at",
]


def _auth_failure_upsert() -> str:
    event = apps.get_model("apikeys", "AuditEvent")
    table = quoted_table(event)

    def col(name):
        return quoted_column(event, name)

    return (
        f"INSERT INTO {table} ({', '.join(col(c) for c in AUTH_FAILURE_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(AUTH_FAILURE_COLUMNS))}) "
        f"ON CONFLICT ({col('key_id')}, {col('hour')}) WHERE {col('action')} = 'auth_failed' "
        f"DO UPDATE SET {col('count')} = {table}.{col('count')} + 1, "
        f"{col('last_at')} = excluded.{col('last_at')}, {col('details')} = excluded.{col('details')}"
    )


# INSERT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24, PostgreSQL) of the failure row of a key and hour.
AUTH_FAILURE_UPSERT = Statement(_auth_failure_upsert)
