"""Query plans for the tests that pin an index: whatever the table's size, the planner must find the
order in an index, not in a sort."""

from django.db import connection


def explain(sql, params, disabled: tuple[str, ...] = ()) -> str:
    """The plan of a statement; on PostgreSQL with the plan types `disabled` (enable_<type> = off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for method in disabled:
                cursor.execute(f"SET LOCAL enable_{method} = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def ordered_plan(queryset) -> str:
    """The plan of `queryset` with sorts and sequential scans left out of the planner's choice."""
    return explain(*queryset.query.sql_with_params(), disabled=("sort", "seqscan"))


def is_read_in_index_order(plan: str) -> bool:
    return "TEMP B-TREE" not in plan and "Sort" not in plan  # SQLite's sort, PostgreSQL's
