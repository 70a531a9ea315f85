"""The key list reads both of its tables in index order (no sort of all the organization's keys), with
as many queries at many keys as at few, and lists ended keys in the same order on every database."""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apikeys.models import ENDED_ORDER, ApiKey, status_of
from apikeys.views import KEY_ROW_FIELDS
from tests.apikeys.key_list import URL, bulk_keys, key_ids, tables
from tests.conftest import statements_run
from tests.plans import explain, is_read_in_index_order, ordered_plan


def _statements(client) -> list[str]:
    with statements_run() as seen:
        assert client.get(URL).status_code == 200
    return seen


def test_many_keys_list_with_the_queries_of_few(alice_client, alice, bob):
    bulk_keys(alice, bob, 10, deleted_every=5)
    few = len(_statements(alice_client))
    bulk_keys(alice, bob, 300, deleted_every=5)
    assert len(_statements(alice_client)) == few


@pytest.mark.parametrize("table", ["valid", "ended"])
def test_each_table_is_read_in_the_order_of_an_index(alice, bob, table):
    bulk_keys(alice, bob, 40, deleted_every=4)
    keys = ApiKey.objects.of_organization(alice.organization_id).only(*KEY_ROW_FIELDS)
    queryset = (keys.valid() if table == "valid" else keys.ended().order_by(*ENDED_ORDER))[:50]
    plan = ordered_plan(queryset)
    index = "apikey_org_valid_order" if table == "valid" else "apikey_org_ended_order"
    assert index in plan, plan
    assert is_read_in_index_order(plan), plan


def test_deleted_keys_come_first_then_the_expired_ones_on_every_database(alice_client, make_key, bob, monkeypatch):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    expired, _token = make_key(user=bob, valid_until=yesterday)
    real_now = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: real_now - datetime.timedelta(hours=2))
    older, _token = make_key(user=bob, deleted=True)
    monkeypatch.setattr("django.utils.timezone.now", lambda: real_now - datetime.timedelta(hours=1))
    newer, _token = make_key(user=bob, deleted=True)
    monkeypatch.undo()
    _valid, ended = tables(alice_client.get(URL).content.decode())
    assert key_ids(ended) == [newer.key_id, older.key_id, expired.key_id]
    assert status_of(None, yesterday) == "expired"


def _counts_both_tables(sql: str) -> bool:
    """The tables' count: two COUNTs in one statement («Needs attention» counts its lists one by one)."""
    return sql.upper().count("COUNT(") == 2


def test_both_tables_are_counted_in_one_query_with_the_right_totals(alice_client, alice, bob, make_key):
    """Valid, expired, deleted, replaced and still overlapping, replaced and past its end: each is
    counted in the table that lists it."""
    from apikeys.services import apikey_replace

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    make_key(user=bob)
    make_key(user=bob, valid_until=yesterday)
    make_key(user=bob, deleted=True)
    overlapping, _token = make_key(user=bob)
    apikey_replace(
        key=overlapping,
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
        overlap=datetime.timedelta(days=1),
        by=alice,
    )
    ended, _token = make_key(user=bob)
    apikey_replace(
        key=ended,
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
        overlap=datetime.timedelta(0),
        by=alice,
    )
    keys = ApiKey.objects.of_organization(alice.organization_id)
    with statements_run() as seen:
        response = alice_client.get(URL)
    counts = [sql for sql in seen if _counts_both_tables(sql)]
    assert len(counts) == 1, counts
    assert response.context["valid"].paginator.count == keys.valid().count() == 4  # 2 new, 1 kept, 1 overlapping
    assert response.context["ended"].paginator.count == keys.ended().count() == 3
    valid, ended_table = tables(response.content.decode())
    assert len(key_ids(valid)) == 4 and len(key_ids(ended_table)) == 3


def _as_autovacuum_leaves_them() -> None:
    """On PostgreSQL the keys' table vacuumed and analysed: a plan is then costed as on a database in use,
    not on a table of a few rows that no visibility map marks (where every index scan costs alike)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) apikeys_apikey, users_user")


@pytest.mark.django_db(transaction=True)
def test_the_counts_read_the_status_index_only(alice_client, alice, bob):
    bulk_keys(alice, bob, 40, deleted_every=4)
    _as_autovacuum_leaves_them()
    counts = []

    def keep_counts(execute, sql, params, many, context):
        if _counts_both_tables(sql):
            counts.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep_counts):
        assert alice_client.get(URL).status_code == 200
    [(sql, params)] = counts
    # Only scans of an index left to PostgreSQL's planner; an index-only one exists only if an index holds
    # every column the count reads (the organization's foreign-key index does not), whatever the table's
    # size. The status index, or the creators' index that holds the same columns.
    with transaction.atomic():  # SET LOCAL holds in a transaction only
        plan = explain(sql, params, disabled=("seqscan", "bitmapscan"))
    if connection.vendor == "postgresql":
        assert re.search(r"Index Only Scan using apikey_org_(status|creator)", plan), plan
    else:
        assert re.search(r"COVERING INDEX apikey_org_(status|creator)", plan), plan


@pytest.mark.django_db(transaction=True)
def test_user_management_counts_each_users_keys_from_an_index_only(alice_client, alice, bob):
    bulk_keys(alice, bob, 40, deleted_every=4)
    with statements_run() as few:
        assert alice_client.get("/administration/users/").status_code == 200
    bulk_keys(alice, bob, 200, deleted_every=4)
    _as_autovacuum_leaves_them()
    counted = []

    def keep(execute, sql, params, many, context):
        if "capped_rows" in sql and "users_user" in sql:
            counted.append((sql, params))
        return execute(sql, params, many, context)

    with statements_run() as many, connection.execute_wrapper(keep):
        assert alice_client.get("/administration/users/").status_code == 200
    assert len(many) == len(few)
    # The people's count reads no key; the counts of their keys, each stopped at the cap, read the index
    # of their status alone.
    assert not [sql for sql in many if sql.upper().startswith("SELECT COUNT(*)") and "apikeys_apikey" in sql]
    with transaction.atomic():  # SET LOCAL holds in a transaction only
        plan = explain(*counted[0], disabled=("seqscan", "bitmapscan"))
    if connection.vendor == "postgresql":
        assert "Index Only Scan using apikey_user_status" in plan, plan
    else:
        assert "COVERING INDEX apikey_user_status" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_the_creators_are_read_from_their_index(alice, bob):
    from apikeys import sql

    bulk_keys(alice, bob, 40)
    # Costed on the table as it is, not on the statistics an earlier test left behind (with those,
    # an organization looks one row small and any index on it the same): the plan was chosen by order.
    _as_autovacuum_leaves_them()
    plan = explain(sql.CREATORS.text, [alice.organization_id] * 2, disabled=("seqscan", "bitmapscan"))
    assert "apikey_org_creator" in plan, plan
    assert [row["created_by"] for row in sql.CREATORS.fetchall([alice.organization_id] * 2)] == [alice.pk]
