"""`tools.harness.bulk_insert` on PostgreSQL: a COPY into a tool's throwaway database skips the key
table's insert guard (its rows are refused by the unique indexes all the same) and switches it on again
in the same transaction; in any other database every trigger fires."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone
from psycopg.errors import UniqueViolation

from apikeys.models import Api, ApiKey
from tests.cast import make_user
from tools import harness

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="COPY and ALTER TABLE … TRIGGER are PostgreSQL's"),
]
COLUMNS = ("key_id", "secret_hash", "api", "organization_id", "user_id", "created_by_id", "created_at", "valid_until")


def _rows(user, key_ids):
    now = timezone.now()
    for key_id in key_ids:
        yield (key_id, f"hash-{key_id}", Api.INTEGRATION, user.organization_id, user.pk, user.pk, now,
               timezone.localdate() + datetime.timedelta(days=30))  # fmt: skip


def _guard_state() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'apikeys_guard_insert'")
        return cursor.fetchone()[0]


def test_in_a_throwaway_database_the_copy_skips_the_insert_guard_and_switches_it_on_again(monkeypatch, demo_ag):
    monkeypatch.setattr(harness, "THROWAWAY_MARK", connection.settings_dict["NAME"])  # this one counts as one
    user = make_user("loader", demo_ag)
    with harness.counted_statements() as statements:
        harness.bulk_insert(ApiKey, COLUMNS, _rows(user, ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]))
    altered = [sql for sql in statements if sql.startswith("ALTER TABLE")]
    assert altered == [
        'ALTER TABLE "apikeys_apikey" DISABLE TRIGGER "apikeys_guard_insert"',
        'ALTER TABLE "apikeys_apikey" ENABLE TRIGGER "apikeys_guard_insert"',
    ]
    assert _guard_state() == "O"  # on again, for every later statement
    assert sorted(ApiKey.objects.values_list("key_id", flat=True)) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    # What the guard refuses, a taken key ID, the unique index refuses in the COPY: no row gets in.
    with pytest.raises(UniqueViolation), transaction.atomic():
        harness.bulk_insert(ApiKey, COLUMNS, _rows(user, ["cccccccccccc", "aaaaaaaaaaaa"]))
    assert ApiKey.objects.count() == 2
    assert _guard_state() == "O"


def test_in_any_other_database_every_trigger_fires(demo_ag):
    user = make_user("loader", demo_ag)
    with harness.counted_statements() as statements:
        harness.bulk_insert(ApiKey, COLUMNS, _rows(user, ["aaaaaaaaaaaa"]))
    assert not [sql for sql in statements if "TRIGGER" in sql or "CONSTRAINTS" in sql]
    assert ApiKey.objects.count() == 1
    assert _guard_state() == "O"
