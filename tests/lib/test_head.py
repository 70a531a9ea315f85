"""HEAD answers as GET does, without a body (efinance.lib.head): the status, the headers and the
length of the body a GET would get. The test client drops a HEAD's body itself; these tests keep
what the application sends (`as_sent`)."""

import pytest
from django.test import Client

from billing.models import Document
from tests.billing.documents import DOCS


@pytest.fixture
def as_sent(monkeypatch):
    monkeypatch.setattr("django.test.client.conditional_content_removal", lambda request, response: response)


def test_head_of_healthz_is_its_get_without_the_body(db, as_sent):
    get, head = Client().get("/healthz"), Client().head("/healthz")
    assert (head.status_code, head["Content-Type"]) == (200, "application/json")
    assert head.content == b""
    assert head["Content-Length"] == str(len(get.content))


def test_head_of_the_api_authenticates_and_lists_as_get(client, alice_key, as_sent):
    _key, token = alice_key
    headers = {"Authorization": f"Bearer {token}"}
    get, head = client.get(DOCS, headers=headers), client.head(DOCS, headers=headers)
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b"" and head["Content-Length"] == str(len(get.content))
    refused = client.head(DOCS, headers={"Authorization": "Bearer nope"})
    assert (refused.status_code, refused["Content-Type"]) == (401, "application/problem+json")
    assert refused.content == b""


def test_head_never_reaches_a_post_only_view_or_the_api_s_post(alice_client, alice_key, as_sent):
    """A HEAD is a GET: it cannot create a document or log anyone out."""
    _key, token = alice_key
    assert alice_client.head("/accounts/logout/").status_code == alice_client.get("/accounts/logout/").status_code
    assert alice_client.get("/administration/").status_code == 200  # still signed in
    Client().head(DOCS, headers={"Authorization": f"Bearer {token}"}, data={"invoice_number": "x"})
    assert Document.objects.count() == 0
