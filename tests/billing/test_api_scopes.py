"""Least privilege through the API: a key does only what its scopes allow, seen from the integrator's
(and an attacker's) side; the scopes ride along with the one verification query."""

import json

import pytest

from apikeys.models import Api, Scope
from audit.models import Action, AuditEvent, Failure
from billing.api.apis import integration, production
from billing.models import DeliveryCounter, Document
from tests.billing.documents import document
from tests.conftest import statements_run

BASE = {Api.PRODUCTION: "/api/billing/v1/", Api.INTEGRATION: "/api/billing-int/v1/"}
DOCS = BASE[Api.INTEGRATION] + "documents"
BODY = document()  # a valid document of the API


@pytest.fixture
def reader(make_key, bob):
    return make_key(user=bob, scopes=[Scope.DOCUMENTS_READ])


@pytest.fixture
def writer(make_key, bob):
    return make_key(user=bob, scopes=[Scope.DOCUMENTS_WRITE])


def _deliver(client, token, body=BODY, url=DOCS):
    return client.post(url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _get(client, token, url):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def _assert_insufficient(response, scope: str) -> None:
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="Billing Solutions", error="insufficient_scope", scope="{scope}"'
    )
    problem = response.json()
    assert problem["type"] == "urn:efinance:problem:insufficient-scope"
    assert problem["reason"] == "insufficient_scope" and problem["scope"] == scope
    assert scope in problem["detail"]


def test_a_read_only_key_delivers_nothing(client, reader):
    _key, token = reader
    _assert_insufficient(_deliver(client, token), "documents:write")
    assert not Document.objects.exists()
    assert not DeliveryCounter.objects.exists()  # not even counted against the delivery limit


def test_a_read_only_key_is_refused_before_its_body_is_read(client, reader):
    _key, token = reader
    _assert_insufficient(_deliver(client, token, body={"invoice_number": ""}), "documents:write")


def test_a_write_only_key_cannot_list_or_read(client, writer):
    _key, token = writer
    created = _deliver(client, token)
    assert created.status_code == 201
    _assert_insufficient(_get(client, token, DOCS), "documents:read")
    _assert_insufficient(_get(client, token, f"{DOCS}/{created.json()['id']}"), "documents:read")


def test_a_read_only_key_lists_and_reads(client, reader, writer):
    document_id = _deliver(client, writer[1]).json()["id"]
    listed = _get(client, reader[1], DOCS)
    assert listed.status_code == 200 and [item["id"] for item in listed.json()["items"]] == [document_id]
    assert _get(client, reader[1], f"{DOCS}/{document_id}").status_code == 200


@pytest.mark.parametrize("path", ["ping", "keys/self"])
@pytest.mark.parametrize("scope", [Scope.DOCUMENTS_READ, Scope.DOCUMENTS_WRITE])
def test_ping_and_keys_self_work_with_any_key(client, make_key, bob, path, scope):
    _key, token = make_key(user=bob, scopes=[scope])
    assert _get(client, token, BASE[Api.INTEGRATION] + path).status_code == 200


def test_keys_self_tells_the_scopes(client, reader):
    assert _get(client, reader[1], BASE[Api.INTEGRATION] + "keys/self").json()["scopes"] == ["documents:read"]


def test_a_refusal_for_the_scope_is_counted_on_the_keys_activity(client, reader):
    key, token = reader
    _deliver(client, token)
    _deliver(client, token)
    entry = AuditEvent.objects.get(action=Action.AUTH_FAILED, key_id=key.key_id)
    assert entry.organization_id == key.organization_id and entry.count == 2
    assert entry.details["reason"] == Failure.INSUFFICIENT_SCOPE


def test_a_scoped_operation_still_refuses_the_other_apis_key(client, make_key, bob):
    _key, token = make_key(user=bob, api=Api.PRODUCTION, scopes=[Scope.DOCUMENTS_READ])
    response = _get(client, token, DOCS)  # the customer integration's documents
    assert response.status_code == 401 and response.json()["reason"] == "wrong_api"


def test_the_scopes_cost_no_query_of_their_own(client, make_key, bob, reader):
    """A read-only key lists with as many statements as a key with every scope: the scopes come with
    the one verification statement."""
    counts = []
    for _key, token in (make_key(user=bob), reader):
        _get(client, token, DOCS)  # the first use writes last_used_at
        with statements_run() as statements:
            assert _get(client, token, DOCS).status_code == 200
        counts.append(len(statements))
        assert len([sql for sql in statements if "AS scopes" in sql]) == 1
    assert counts[0] == counts[1]


@pytest.mark.parametrize("ninja_api", [production, integration])
def test_openapi_names_the_scope_of_each_operation(ninja_api):
    paths = ninja_api.get_openapi_schema()["paths"]
    prefix = BASE[Api.PRODUCTION if ninja_api is production else Api.INTEGRATION].rstrip("/")
    operations = {
        (path.removeprefix(prefix), method): operation
        for path, methods in paths.items()
        for method, operation in methods.items()
    }
    assert operations[("/documents", "post")]["security"] == [{"ApiKeyBearer": ["documents:write"]}]
    assert operations[("/documents", "get")]["security"] == [{"ApiKeyBearer": ["documents:read"]}]
    assert operations[("/documents/{document_id}", "get")]["security"] == [{"ApiKeyBearer": ["documents:read"]}]
    assert operations[("/ping", "get")]["security"] == [{"ApiKeyBearer": []}]
    assert operations[("/keys/self", "get")]["security"] == [{"ApiKeyBearer": []}]
    assert 403 in operations[("/documents", "post")]["responses"]
