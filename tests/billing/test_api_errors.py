"""Every error of the API is a problem document, never HTML; the docs and descriptions work offline."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import OperationalError

from apikeys.models import ApiKey
from billing.api import documents

DOCS = "/api/billing-int/v1/documents"


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= problem.keys()
    assert b"<html" not in response.content.lower()
    return problem


@pytest.mark.parametrize(
    "url",
    ["/api/", "/api/nothing", "/api/billing/v1/", "/api/billing/v2/ping", "/api/billing-int/v1/ping/", "/api/x/../y"],
)
def test_unknown_paths_under_api_are_404_problems(client, db, url):
    assert_problem(client.get(url), 404)


def test_a_wrong_method_is_a_405_problem_with_allow(client, alice_key):
    _key, token = alice_key
    problem = client.delete(DOCS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(problem, 405)
    assert set(problem["Allow"].split(", ")) == {"GET", "POST"}


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, alice_key, settings):
    _key, token = alice_key
    body = json.dumps({"free_text": "x" * settings.API_MAX_BODY_BYTES})
    response = client.post(DOCS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert str(settings.API_MAX_BODY_BYTES) in assert_problem(response, 413)["detail"]


def test_a_body_that_is_not_json_is_a_415_problem(client, alice_key):
    _key, token = alice_key
    response = client.post(DOCS, {"amount": "1"}, HTTP_AUTHORIZATION=f"Bearer {token}")  # multipart form
    assert_problem(response, 415)


def test_broken_json_is_a_400_problem(client, alice_key):
    _key, token = alice_key
    response = client.post(DOCS, '{"amount": ', content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert assert_problem(response, 400)["type"] == "urn:efinance:problem:malformed-json"


def test_an_unexpected_error_is_a_500_problem_without_details(client, alice_key, monkeypatch):
    _key, token = alice_key

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(documents, "document_deliver", explode)
    body = {
        "invoice_number": "1",
        "issue_date": "2026-01-01",
        "due_date": "2026-01-01",
        "currency": "EUR",
        "amount": "1",
        "recipient": {"name": "A", "email": "a@example.com"},
    }
    response = client.post(
        DOCS, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert "secret internals" not in assert_problem(response, 500)["detail"]


def test_a_database_outage_is_a_503_problem_to_retry(client, alice_key, monkeypatch):
    _key, token = alice_key

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(ApiKey.objects, "verify_token", down)
    response = client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(response, 503)
    assert response["Retry-After"] == "5"


def test_a_validation_error_lists_fields_and_reasons(client, alice_key):
    _key, token = alice_key
    response = client.get(DOCS, {"page": 0, "page_size": 500}, HTTP_AUTHORIZATION=f"Bearer {token}")
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:efinance:problem:validation"
    assert {(error["location"], error["field"]) for error in problem["errors"]} == {
        ("query", "page"),
        ("query", "page_size"),
    }
    assert all(error["reason"] for error in problem["errors"])


@pytest.mark.parametrize(("base", "title"), [("billing", "Billing Solutions"), ("billing-int", "Customer Integration")])
def test_each_environment_describes_itself(client, db, base, title):
    schema = client.get(f"/api/{base}/v1/openapi.json").json()
    assert title in schema["info"]["title"]
    assert {f"/api/{base}/v1/ping", f"/api/{base}/v1/documents"} <= schema["paths"].keys()
    unauthorized = schema["paths"][f"/api/{base}/v1/ping"]["get"]["responses"]["401"]
    assert list(unauthorized["content"]) == ["application/problem+json"]
    assert schema["components"]["securitySchemes"]


@pytest.mark.parametrize("base", ["billing", "billing-int"])
def test_the_docs_page_works_offline(client, db, base):
    response = client.get(f"/api/{base}/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/api/{base}/v1/openapi.json" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from a CDN
    for asset in re.findall(r"(?:src|href)=\"/static/([^\"]+)\"", html):
        assert finders.find(asset), asset
