"""The hand-written SQL of apikeys (the idiom: `efinance.lib.sql`).

Two statements where the benchmark (`tools/bench_auth.py`) shows the ORM's query building costing
more than the query itself: the verification of a token on every API request, and the count of
failed authentications per key and hour (an upsert, so that concurrent first failures make one row).
A third writes the audit entries of many keys reported as exposed in one `executemany`, where
`bulk_create` would split 1,000 rows into 13 statements on SQLite (999 parameters each). The creators
of a contract's keys (`CREATORS`, for the band of the tokens that leavers saw) are a recursive skip
scan, which the ORM cannot say (`tools/bench_scale.py`: at 100,000 keys the scan of every valid key
cost more than the rest of the key list's queries).
Models are looked up when a statement is first built, so this module imports none.
"""

from functools import partial

from django.apps import apps
from django.db import connection

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
        # «First use from a new network»: the network of the last use is the one not asked about.
        "last_used_ip": k("last_used_ip"),
        "organization_id": k("organization"),
        "user_id": u("id"),
        "username": u("username"),
        "user_active": u("is_active"),
        "user_organization_id": u("organization"),
        "organization_name": f"o.{quoted_column(org, 'name')}",
        # The contract's security policy: in the same row, no further query.
        "keys_suspended_at": f"o.{quoted_column(org, 'keys_suspended_at')}",
        "approval_requested_at": k("approval_requested_at"),
        "approved_at": k("approved_at"),
        "allowed_networks": k("allowed_networks"),
        # Least privilege: the key's scopes, checked by the API against the operation's.
        "scopes": k("scopes"),
    }
    # On SQLite each selected column is an expression, `+column` (a no-op in SQLite): the driver finds
    # no declared type for an expression, so it looks up no converter for it (Django's connection asks
    # for them, PARSE_DECLTYPES), a third of the query's work (callgrind: 80,000 instructions with the
    # lookups, 50,000 without). The values come as SQLite holds them, text dates and 0 or 1 for a
    # boolean, which `verify_token` reads (`_as_date`, `_as_datetime`). Never in the WHERE clause,
    # where `+` would keep SQLite from using the index.
    plain = "+" if connection.vendor == "sqlite" else ""
    select = ", ".join(f"{plain}{column} AS {alias}" for alias, column in columns.items())
    return (
        f"SELECT {select} FROM {quoted_table(key)} k "  # noqa: S608 (identifiers from the models, values bound)
        f"JOIN {quoted_table(user)} u ON {u('id')} = {k('user')} "
        f"JOIN {quoted_table(org)} o ON o.{quoted_column(org, 'id')} = {k('organization')} "
        f"WHERE {k('key_id')} = %s"
    )


# One row per key ID: the key, its user and its organization.
VERIFY = Statement(_verify)

# The columns that the statement fills from parameters; key ID and organization come from the key's row.
AUTH_FAILURE_COLUMNS = ["at", "action", "username", "ip", "details", "hour", "count", "last_at"]


def _auth_failure_upsert() -> str:
    event, key = apps.get_model("audit", "AuditEvent"), apps.get_model("apikeys", "ApiKey")
    table = quoted_table(event)

    def col(name):
        return quoted_column(event, name)

    def param(name):
        # PostgreSQL does not infer the type of a parameter in a select list: say it.
        if connection.vendor == "postgresql":
            return f"CAST(%s AS {event._meta.get_field(name).db_type(connection)})"
        return "%s"

    key_id = f"k.{quoted_column(key, 'key_id')}"
    columns = [*AUTH_FAILURE_COLUMNS, "key_id", "organization"]
    values = [param(name) for name in AUTH_FAILURE_COLUMNS]
    values += [f"COALESCE({key_id}, '')", f"k.{quoted_column(key, 'organization')}"]
    return (
        f"INSERT INTO {table} ({', '.join(col(c) for c in columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM (SELECT {param('key_id')} AS presented) p "
        f"LEFT JOIN {quoted_table(key)} k ON {key_id} = p.presented WHERE 1 = 1 "  # SQLite: WHERE before ON CONFLICT
        f"ON CONFLICT ({col('key_id')}, {col('hour')}) WHERE {col('action')} = 'auth_failed' "
        f"DO UPDATE SET {col('count')} = {table}.{col('count')} + 1, "
        f"{col('last_at')} = excluded.{col('last_at')}, {col('details')} = excluded.{col('details')}"
    )


# INSERT … SELECT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24, PostgreSQL): count a failed authentication
# with a presented key ID in the row of its hour — the key's row (with its organization) when the key
# exists, otherwise the one row of the hour for every unknown key ID (no key ID, no organization: only
# support sees it). One statement and one row written either way, so that an unknown key ID costs the
# same work as a wrong secret on an existing one; the unknown key IDs cannot fill the log (a row an hour).
AUTH_FAILURE_UPSERT = Statement(_auth_failure_upsert)

AUDIT_INSERT_COLUMNS = [
    "at",
    "action",
    "username",
    "actor",
    "subject",
    "organization",
    "key_id",
    "ip",
    "details",
    "count",
]


def _audit_insert() -> str:
    event = apps.get_model("audit", "AuditEvent")
    columns = ", ".join(quoted_column(event, c) for c in AUDIT_INSERT_COLUMNS)
    values = ", ".join(["%s"] * len(AUDIT_INSERT_COLUMNS))
    return f"INSERT INTO {quoted_table(event)} ({columns}) VALUES ({values})"  # noqa: S608


# One audit entry; run with `executemany` for the entries of many keys at once.
AUDIT_INSERT = Statement(_audit_insert)


def _usage_add() -> str:
    usage = apps.get_model("apikeys", "KeyUsage")
    table = quoted_table(usage)
    key = ["api_key", "hour", "operation", "outcome", "reason"]
    columns = ", ".join(quoted_column(usage, name) for name in key)
    count = quoted_column(usage, "count")
    return (
        f"INSERT INTO {table} ({columns}, {count}) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({columns}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
    )


# Requests of a key added to the row of their hour, operation, outcome and reason (`KeyUsage`):
# INSERT … ON CONFLICT DO UPDATE, so that the writes of several processes and app servers add up in one row.
USAGE_ADD = Statement(_usage_add)


SEEN_NETWORK_COLUMNS = ["api_key", "network", "since", "last_seen", "run"]


def _seen_network_upsert(rows: int) -> str:
    seen = apps.get_model("apikeys", "SeenNetwork")
    table = quoted_table(seen)
    api_key, network, since, last_seen, run = (quoted_column(seen, name) for name in SEEN_NETWORK_COLUMNS)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * rows)
    stale = f"{table}.{last_seen} < %s"
    return (
        f"INSERT INTO {table} ({api_key}, {network}, {since}, {last_seen}, {run}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({api_key}, {network}) DO UPDATE SET "
        f"{run} = CASE WHEN {stale} THEN excluded.{run} ELSE {table}.{run} END, "
        f"{since} = CASE WHEN {stale} THEN excluded.{since} ELSE {table}.{since} END, "
        f"{last_seen} = CASE WHEN excluded.{last_seen} > {table}.{last_seen} "
        f"THEN excluded.{last_seen} ELSE {table}.{last_seen} END "
        f"RETURNING {network} AS network, {run} AS run"
    )


# «First use from a new network» (`SeenNetwork`): the network of the request, and with a second row the
# network of the key's last use (in use until then), upserted in one statement. A row that is new, or
# whose last use is older than the cut-off (the two `%s` after the rows), takes the caller's `run`; the
# caller whose `run` comes back for the request's network is the one that reports it. INSERT … ON
# CONFLICT DO UPDATE is atomic on SQLite and PostgreSQL (a concurrent upsert of the same row waits and
# then finds it recent), so of requests that see a network new at once exactly one gets its `run` back.
# Every SET expression reads the row as it was before the statement. Rows go in the networks' order,
# so that two upserts of the same two rows lock them in the same order.
SEEN_NETWORK_UPSERT = {rows: Statement(partial(_seen_network_upsert, rows)) for rows in (1, 2)}


def _creators() -> str:
    """The users who created a key of an organization, each once: a skip scan of the index
    `apikey_org_creator`, one step a creator (neither database skips through an index by itself), so
    that its cost follows the contract's creators (its Admin users), not its keys."""
    key = apps.get_model("apikeys", "ApiKey")
    table, organization, creator = (
        quoted_table(key),
        quoted_column(key, "organization"),
        quoted_column(key, "created_by"),
    )
    return (
        f"WITH RECURSIVE creators(id) AS (SELECT MIN({creator}) FROM {table} WHERE {organization} = %s "  # noqa: S608
        f"UNION ALL SELECT (SELECT MIN({creator}) FROM {table} WHERE {organization} = %s AND {creator} > creators.id) "
        "FROM creators WHERE creators.id IS NOT NULL) "
        "SELECT id AS created_by FROM creators WHERE id IS NOT NULL"
    )


CREATORS = Statement(_creators)
