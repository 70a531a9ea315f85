"""Every request of a known key is counted per hour, operation and outcome (`KeyUsage`), with one
upsert; its refusals are kept, the last 50 of each key (`KeyRefusal`)."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from apikeys.models import KeyRefusal, KeyUsage, Operation, Outcome
from apikeys.models.usage import REFUSALS_KEPT, _current_hour, _hour_of, usage_kept_since
from apikeys.policy.rules import apikeys_suspend
from apikeys.sql import USAGE_ADD
from billing.models import Document
from tests.billing.documents import document
from tests.conftest import flip_last, run_concurrently, statements_run

BASE = "/api/billing-int/v1/"
DOCUMENT = document()  # a valid document of the API


def call(client, token, method="get", path="ping", body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is None:
        return getattr(client, method)(BASE + path, **headers)
    return getattr(client, method)(BASE + path, json.dumps(body), content_type="application/json", **headers)


def counts(key) -> dict:
    return {(row.operation, row.outcome, row.reason): row.count for row in KeyUsage.objects.filter(api_key_id=key.pk)}


def test_a_known_mix_of_requests_is_counted_by_operation_and_outcome(client, alice_key, settings):
    key, token = alice_key
    settings.API_DELIVERIES_PER_MINUTE = 1
    for _ in range(3):
        assert call(client, token).status_code == 200
    assert call(client, token, path="keys/self").status_code == 200
    assert call(client, token, path="documents").status_code == 200
    assert call(client, token, path="documents/00000000-0000-0000-0000-000000000000").status_code == 404
    assert call(client, token, "post", "documents", DOCUMENT).status_code == 201
    assert call(client, token, "post", "documents", {**DOCUMENT, "invoice_number": "2"}).status_code == 429
    assert call(client, token, "post", "documents", {"amount": "1"}).status_code == 422
    assert call(client, flip_last(token)).status_code == 401  # a broken checksum: nobody's key, not counted
    assert counts(key) == {
        (Operation.PING, Outcome.ANSWERED, ""): 3,
        (Operation.KEY_SELF, Outcome.ANSWERED, ""): 1,
        (Operation.READ, Outcome.ANSWERED, ""): 1,
        (Operation.READ, Outcome.REFUSED, "http-404"): 1,
        (Operation.DELIVER, Outcome.ANSWERED, ""): 1,
        (Operation.DELIVER, Outcome.LIMITED, "over_limit"): 1,
        (Operation.DELIVER, Outcome.REFUSED, "validation"): 1,
    }
    assert sorted(KeyRefusal.objects.values_list("reason", flat=True)) == ["http-404", "over_limit", "validation"]


def test_refused_authentications_count_with_their_reason_for_the_key(client, alice_key, alice):
    key, token = alice_key
    apikeys_suspend(organization=alice.organization, by=alice, reason="test")
    assert call(client, token).status_code == 401
    assert counts(key) == {(Operation.PING, Outcome.AUTH_REFUSED, "suspended"): 1}
    refusal = KeyRefusal.objects.get()
    assert (refusal.api_key_id, refusal.operation, refusal.reason, refusal.ip) == (
        key.pk,
        Operation.PING,
        "suspended",
        "127.0.0.1",
    )


def test_a_ping_is_counted_with_one_statement(client, alice_key):
    _key, token = alice_key
    call(client, token)  # the first use of the minute writes last-used as well
    with statements_run() as statements:
        assert call(client, token).status_code == 200
    assert len(statements) == 2  # the verification and the usage upsert
    assert "ON CONFLICT" in statements[1]


def test_counting_can_be_switched_off(client, alice_key, settings):
    settings.API_USAGE_COUNTING = False
    key, token = alice_key
    assert call(client, token).status_code == 200
    assert counts(key) == {}


def test_only_the_last_refusals_of_a_key_are_kept(alice_key, make_key, bob):
    key, _token = alice_key
    other, _ = make_key(user=bob)
    start = timezone.now()
    for n in range(REFUSALS_KEPT + 5):
        KeyRefusal.objects.record(
            key_pk=key.pk, operation="ping", reason="expired", ip=None, now=start + datetime.timedelta(seconds=n)
        )
    KeyRefusal.objects.record(key_pk=other.pk, operation="ping", reason="expired", ip=None)
    kept = list(KeyRefusal.objects.last_of(key.pk))
    assert len(kept) == REFUSALS_KEPT
    assert kept[-1].at == start + datetime.timedelta(seconds=5)  # the five oldest went
    assert KeyRefusal.objects.filter(api_key_id=other.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_count_in_one_row(alice_key):
    from django.db import connection
    from django.test import Client

    key, token = alice_key

    def ping_five():
        client = Client()
        try:
            for _ in range(5):
                assert call(client, token).status_code == 200
        finally:
            connection.close()

    run_concurrently(ping_five, 4)
    assert KeyUsage.objects.filter(api_key_id=key.pk).count() == 1
    assert KeyUsage.objects.get(api_key_id=key.pk).count == 20


def test_pruning_keeps_thirteen_months_and_can_run_twice(alice_key):
    key, _token = alice_key
    now = timezone.now()
    for hour in (usage_kept_since(now) - datetime.timedelta(hours=1), usage_kept_since(now)):
        KeyUsage.objects.create(api_key_id=key.pk, hour=hour, operation="ping", outcome="ok", count=7)
    out = StringIO()
    call_command("prune_key_usage", stdout=out)
    call_command("prune_key_usage", stdout=out)
    assert list(KeyUsage.objects.values_list("hour", flat=True)) == [usage_kept_since(now)]
    assert out.getvalue().splitlines() == [
        "1 usage row(s) older than 13 months deleted.",
        "0 network(s) not used for 90 days deleted.",
        "0 usage row(s) older than 13 months deleted.",
        "0 network(s) not used for 90 days deleted.",
    ]


def test_thirteen_months_back_is_a_calendar_reckoning():
    now = datetime.datetime(2027, 1, 31, 15, 20, tzinfo=datetime.UTC)
    assert usage_kept_since(now) == datetime.datetime(2025, 12, 28, 15, 0, tzinfo=datetime.UTC)


def test_answered_requests_are_added_up_in_the_process_and_written_together(client, alice_key, settings):
    settings.API_USAGE_FLUSH_SECONDS = 3600  # nothing is due during the test
    key, token = alice_key
    call(client, token)  # the first use of the minute writes last-used
    with statements_run() as statements:
        for _ in range(5):
            assert call(client, token).status_code == 200
        assert call(client, token, path="keys/self").status_code == 200
    assert len(statements) == 6  # the verifications only
    assert counts(key) == {}
    assert KeyUsage.objects.flush() == 2  # two rows, one executemany
    assert counts(key) == {(Operation.PING, Outcome.ANSWERED, ""): 6, (Operation.KEY_SELF, Outcome.ANSWERED, ""): 1}
    assert KeyUsage.objects.flush() == 0


def test_the_request_that_finds_the_interval_over_writes_the_batch(client, alice_key, settings, monkeypatch):
    settings.API_USAGE_FLUSH_SECONDS = 60
    key, token = alice_key
    clock = [1000.0]
    monkeypatch.setattr("apikeys.models.usage.time.monotonic", lambda: clock[0])
    call(client, token)
    call(client, token)
    assert counts(key) == {}
    clock[0] += 61
    call(client, token)
    assert counts(key) == {(Operation.PING, Outcome.ANSWERED, ""): 3}


def test_a_key_without_the_operations_scope_counts_as_refused_authentication(client, make_key, bob):
    key, token = make_key(user=bob, scopes=["documents:read"])
    assert call(client, token, "post", "documents", DOCUMENT).status_code == 403
    assert counts(key) == {(Operation.DELIVER, Outcome.AUTH_REFUSED, "insufficient_scope"): 1}


def test_a_database_failing_at_the_count_costs_the_count_never_the_answer(client, alice_key, settings, monkeypatch):
    """The answer is made before the count: a document stored and answered 201 stays answered 201 when
    the database goes away just after (`tools.loadtest --db-fault`), and the batch waits for the next
    flush; a refusal is still answered as refused."""
    settings.API_USAGE_FLUSH_SECONDS = 60
    key, token = alice_key
    clock = [1000.0]
    monkeypatch.setattr("apikeys.models.usage.time.monotonic", lambda: clock[0])
    assert call(client, token).status_code == 200  # pending in the process

    def down(*args, **kwargs):
        raise OperationalError("the server closed the connection unexpectedly")

    monkeypatch.setattr(USAGE_ADD, "executemany", down)
    monkeypatch.setattr(USAGE_ADD, "run", down)
    clock[0] += 61  # this request's count writes the batch, and the database fails
    response = call(client, token, "post", "documents", DOCUMENT)
    assert response.status_code == 201
    assert Document.objects.filter(pk=response.json()["id"]).exists()
    assert call(client, token, path="documents/00000000-0000-0000-0000-000000000000").status_code == 404
    assert counts(key) == {}

    monkeypatch.undo()
    assert KeyUsage.objects.flush() == 2  # given back, written once the database is back
    assert counts(key) == {(Operation.PING, Outcome.ANSWERED, ""): 1, (Operation.DELIVER, Outcome.ANSWERED, ""): 1}


def test_the_current_hour_is_made_once_per_hour_and_changes_with_it(monkeypatch):
    """The count's hour comes from a value made once per hour of the process (`_current_hour`): the same
    as the hour of `timezone.now()`, and the next one a second after the hour turns."""
    turn = datetime.datetime(2027, 3, 1, 14, 0, tzinfo=datetime.UTC).timestamp()
    clock = [turn - 1]
    monkeypatch.setattr("apikeys.models.usage.time.time", lambda: clock[0])
    before = _current_hour()
    assert before == _hour_of(datetime.datetime(2027, 3, 1, 13, 59, 59, tzinfo=datetime.UTC))
    clock[0] = turn + 1
    assert _current_hour() == _hour_of(datetime.datetime(2027, 3, 1, 14, 0, 1, tzinfo=datetime.UTC)) != before
