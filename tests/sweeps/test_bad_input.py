"""Bad input on every form and page: never a 500, a clear message, nothing stored or lost.

docs/security/bad-input.md lists what is tried here. The Billing
API's bad input is in the second half of the file.
"""

import json
import uuid

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from apikeys.forms import new_form_nonce
from apikeys.models import Api, ApiKey, Status
from billing.models import Document
from tests.conftest import flip_last

HOSTILE_TEXT = "<script>alert('x')</script>\"' OR 1=1; DROP TABLE apikeys_apikey;-- <img src=x onerror=alert(1)>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def _create_form(alice, bob, **overrides) -> dict:
    data = {
        "user": str(bob.pk),
        "api": Api.INTEGRATION,
        "note": "ERP",
        "valid_until": "31.12.2027",
        "nonce": new_form_nonce(alice),
        "scopes": ["documents:read", "documents:write"],
    }
    return {**data, **overrides}


def test_it_stores_html_and_sql_in_the_note_as_text_and_escapes_it_everywhere(alice_client, alice, bob, sam_client):
    created = alice_client.post("/administration/api-keys/new/", _create_form(alice, bob, note=HOSTILE_TEXT[:200]))
    assert created.status_code == 200
    key = ApiKey.objects.get()
    assert key.note == HOSTILE_TEXT[:200]
    showing_the_note = [
        alice_client.get("/administration/api-keys/"),
        alice_client.get(f"/administration/api-keys/{key.key_id}/delete/"),
        sam_client.get(f"/support/apikeys/apikey/{key.pk}/change/"),
    ]
    for page in [created, sam_client.get("/support/apikeys/apikey/"), *showing_the_note]:
        assert page.status_code == 200
        assert "<script>alert" not in page.content.decode()
        assert "<img src=x" not in page.content.decode()
    for page in showing_the_note:
        assert ESCAPED in page.content.decode()


@pytest.mark.parametrize("length", [201, 10_000, 2_000_000])
def test_it_refuses_a_huge_note_and_stores_nothing(alice_client, alice, bob, length):
    response = alice_client.post("/administration/api-keys/new/", _create_form(alice, bob, note="n" * length))
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_it_answers_400_to_a_body_beyond_the_upload_limit(alice_client, alice, bob, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    response = alice_client.post("/administration/api-keys/new/", _create_form(alice, bob, note="n" * 1_100_000))
    assert response.status_code == 400
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    ("valid_until", "message"),
    [
        ("0001-01-01", "cannot end in the past"),
        ("01.01.0001", "cannot end in the past"),
        ("1899-12-31", "cannot end in the past"),
        ("9999-12-31", "at most two years"),
        ("31.12.9999", "at most two years"),
        ("29.02.2027", "Enter a valid date"),
        ("2027-02-29", "Enter a valid date"),
        ("10000-01-01", "Enter a valid date"),
        ("0000-00-00", "Enter a valid date"),
        ("-1", "Enter a valid date"),
        ("1e308", "Enter a valid date"),
        ("2027-12-31' OR '1'='1", "Enter a valid date"),
    ],
)
def test_it_refuses_dates_far_in_the_past_and_future(alice_client, alice, bob, valid_until, message):
    response = alice_client.post("/administration/api-keys/new/", _create_form(alice, bob, valid_until=valid_until))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("user", "1 OR 1=1"), ("user", "-1"), ("user", "99999999999999999999999"), ("api", "<b>prod</b>"), ("api", "")],
)
def test_it_refuses_forged_choices(alice_client, alice, bob, field, value):
    response = alice_client.post("/administration/api-keys/new/", _create_form(alice, bob, **{field: value}))
    assert response.status_code == 400
    assert "<b>prod</b>" not in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_it_refuses_a_user_of_another_organization(alice_client, alice, charlie):
    response = alice_client.post("/administration/api-keys/new/", _create_form(alice, charlie))
    assert response.status_code == 400
    assert "Choose a user of your organization" in response.content.decode()
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"note=%FF%FE%00&valid_until=\xff\xfe&api=\xc3\x28"),
        ("application/json", b'{"note": "x", "api": "integration"}'),
        ("text/plain", b"note=x"),
        ("multipart/form-data; boundary=nothing", b"--broken\r\n\r\n"),
        ("multipart/form-data", b"no boundary at all"),
        ("application/x-www-form-urlencoded; charset=klingon", b"note=x"),
    ],
)
def test_it_never_fails_on_a_body_it_cannot_read(alice_client, content_type, body):
    """Unreadable as a form: the form again (400 with its errors, or 200 empty) or a plain 400, nothing stored."""
    response = alice_client.generic("POST", "/administration/api-keys/new/", body, content_type=content_type)
    assert response.status_code in (200, 400)
    assert 'name="note"' in response.content.decode() or "Bad Request" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_it_refuses_a_forged_csrf_token_and_changes_nothing(alice, bob, make_key):
    key, _token = make_key(user=bob)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.cookies["csrftoken"] = get_random_string(32)  # a cookie the attacker planted
    for path, data in [
        ("/administration/api-keys/new/", _create_form(alice, bob)),
        ("/administration/api-keys/new/", _create_form(alice, bob, csrfmiddlewaretoken=get_random_string(32))),
        (f"/administration/api-keys/{key.key_id}/delete/", {"csrfmiddlewaretoken": get_random_string(64)}),
        (f"/administration/api-keys/{key.key_id}/delete/", {"csrfmiddlewaretoken": "<script>"}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 403
        assert "CSRF" in response.content.decode()
    key.refresh_from_db()
    assert key.status == Status.VALID
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize("tamper", ["flip", "garbage", "huge", "unicode"])
def test_a_tampered_session_cookie_is_just_signed_out(alice_client, tamper):
    real = alice_client.cookies["sessionid"].value
    forged = {
        "flip": flip_last(real),
        "garbage": "' OR 1=1 --",
        "huge": "x" * 4000,
        "unicode": "\xff\xe9\x00",
    }[tamper]
    alice_client.cookies["sessionid"] = forged
    response = alice_client.get("/administration/api-keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "key_id", ["' OR '1'='1", "%00", "a%00b", "x" * 5000, "..%2F..%2Fetc%2Fpasswd", "%3Cscript%3E", "ÿ"]
)
def test_hostile_key_ids_find_nothing(alice_client, make_key, bob, key_id):
    key, _token = make_key(user=bob)
    for method in ("get", "post"):
        response = getattr(alice_client, method)(f"/administration/api-keys/{key_id}/delete/")
        assert response.status_code == 404
        assert "<script>" not in response.content.decode()
    key.refresh_from_db()
    assert key.status == Status.VALID


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1" * 30, "%00", "1e9", "<script>"])
def test_hostile_page_numbers_show_a_page(alice_client, alice_key, page):
    for param in ("page", "ended_page"):
        response = alice_client.get(f"/administration/api-keys/?{param}={page}")
        assert response.status_code == 200
        assert alice_key[0].key_id in response.content.decode()
    assert alice_client.get(f"/administration/users/?page={page}").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [(HOSTILE_TEXT, "x"), ("alice\x00", "x"), ("a" * 100_000, "x"), ("alice", "p" * 100_000), ("ÿé", "ÿé")],
)
def test_the_login_form_survives_hostile_credentials(alice, username, password):
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code in (200, 403)  # the form again, or the lockout page
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "_auth_user_id" not in Client().session


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"username=\xff\xfe&password=%FF%00"),
        ("application/json", b'{"username": "alice", "password": "x"}'),
        ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\n\xff\r\n--zz--"),
    ],
)
def test_the_login_form_survives_bodies_it_cannot_read(alice, content_type, body):
    response = Client().generic("POST", "/accounts/login/", body, content_type=content_type)
    assert response.status_code in (200, 400)
    assert 'name="password"' in response.content.decode() or response.status_code == 400


@pytest.mark.parametrize("next_url", ["https://evil.example/", "javascript:alert(1)", "//evil.example", "\x00"])
def test_the_language_switch_never_redirects_elsewhere(next_url):
    response = Client().post("/i18n/setlang/", {"language": "xx' OR 1=1", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "' OR 1=1 --", "%00", "a" * 5000, "ÿ"])
def test_the_support_search_survives_hostile_queries(sam_client, alice_key, query):
    for path in ("/support/apikeys/apikey/", "/support/users/user/", "/support/users/organization/"):
        response = sam_client.get(path, {"q": query})
        assert response.status_code == 200
        assert "<script>alert" not in response.content.decode()


# --- The Billing API: every refusal is a problem document (never HTML, never a 500) -------------

DOCS = "/api/billing-int/v1/documents"
VALID_DOCUMENT = {
    "invoice_number": "2026-0042",
    "issue_date": "2026-11-01",
    "due_date": "2026-11-30",
    "currency": "CHF",
    "amount": "1250.50",
    "recipient": {"name": "Muster AG", "email": "billing@example.ch"},
    "free_text": "November services",
}


def _api(client, token, body: bytes, *, content_type="application/json", method="POST", path=DOCS, **headers):
    return client.generic(
        method, path, body, content_type=content_type, headers={"Authorization": f"Bearer {token}", **headers}
    )


def _document(**changes) -> bytes:
    return json.dumps({**VALID_DOCUMENT, **changes}).encode()


def _assert_problem(response, *statuses):
    assert response.status_code in statuses, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["detail"]
    assert "Traceback" not in response.content.decode()
    return problem


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"x" * (64 * 1024 + 1), 413),
        ("text/plain", _document(), 415),
        ("application/x-www-form-urlencoded", b"invoice_number=1", 415),
        ("application/xml", b"<document/>", 415),
        ("multipart/form-data; boundary=zz", b"--zz--", 415),
        ("application/json", b'{"invoice_number": "\xff\xfe"}', 400),
        ("application/json", b"\xef\xbb\xbf\xff", 400),
        ("application/json", b'{"invoice_number": ', 400),
        ("application/json", b"[" * 30_000 + b"]" * 30_000, 400),
        ("application/json", b"null", 422),
        ("application/json", b"[]", 422),
        ("application/json", b'"document"', 422),
        ("application/json", b'{"amount": 1e999}', 422),
    ],
)
def test_the_api_answers_a_problem_to_a_body_it_cannot_take(client, alice_key, content_type, body, status):
    _assert_problem(_api(client, alice_key[1], body, content_type=content_type), status, 400, 422)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"invoice_number": "x" * 36},
        {"invoice_number": "A" * 1_000},
        {"free_text": "x" * 501},
        {"invoice_number": "2026\x000042"},
        {"recipient": {"name": "Muster\x00AG", "email": "billing@example.ch"}},
        {"recipient": {"name": "Muster AG", "email": "' OR 1=1 --@example.ch"}},
        {"issue_date": "2027-02-29"},
        {"issue_date": "0000-01-01"},
        {"issue_date": "10000-01-01"},
        {"issue_date": "2026-11-01", "due_date": "0001-01-01"},
        {"amount": "NaN"},
        {"amount": "Infinity"},
        {"amount": "-1"},
        {"amount": "0.001"},
        {"amount": "1" * 40},
        {"currency": "<b>CHF</b>"},
    ],
)
def test_the_api_refuses_bad_fields_with_a_validation_problem(client, alice_key, changes):
    problem = _assert_problem(_api(client, alice_key[1], _document(**changes)), 422)
    assert problem["errors"]
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    ("issue_date", "due_date", "field"),
    [
        ("0001-01-01", "0001-01-31", "issue_date"),
        ("9999-12-01", "9999-12-31", "issue_date"),
        ("2026-11-01", "9999-12-31", "due_date"),
    ],
)
def test_the_api_refuses_dates_far_from_today(client, alice_key, issue_date, due_date, field):
    problem = _assert_problem(_api(client, alice_key[1], _document(issue_date=issue_date, due_date=due_date)), 422)
    assert any(field in str(error) for error in problem["errors"])
    assert Document.objects.count() == 0


def test_the_api_stores_sql_and_html_as_text_and_answers_json(client, alice_key):
    text = {"invoice_number": HOSTILE_TEXT[:35], "free_text": HOSTILE_TEXT}
    response = _api(client, alice_key[1], _document(**text, recipient={"name": HOSTILE_TEXT, "email": "a@b.ch"}))
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    stored = Document.objects.get()
    assert (stored.invoice_number, stored.free_text, stored.recipient_name) == (
        HOSTILE_TEXT[:35],
        HOSTILE_TEXT,
        HOSTILE_TEXT,
    )
    assert response.json()["free_text"] == HOSTILE_TEXT
    assert ApiKey.objects.count() == 1  # DROP TABLE stayed text


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer ' OR 1=1 --",
        "Bearer " + "b" * 100_000,
        "Bearer bsint_\x00",
        "Bearer bsint_ÿÿÿÿ",
        "Bearer <script>alert(1)</script>",
    ],
)
def test_the_api_answers_401_to_a_forged_authorization_header(client, alice_key, authorization):
    response = client.get("/api/billing-int/v1/ping", headers={"Authorization": authorization})
    problem = _assert_problem(response, 401)
    assert "<script>" not in json.dumps(problem)


@pytest.mark.parametrize("idempotency_key", ["k" * 256, "with space", "ÿ", "tab\tkey", ""])
def test_the_api_refuses_a_malformed_idempotency_key(client, alice_key, idempotency_key):
    response = _api(client, alice_key[1], _document(), **{"Idempotency-Key": idempotency_key})
    if response.status_code == 201:  # an empty header is no header
        assert idempotency_key == ""
        return
    _assert_problem(response, 422)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        f"page={10**30}",
        f"page_size={10**6}",
        "delivered_from=0001-01-01&delivered_to=9999-12-31",
        "delivered_from=2027-02-29",
        "status=<script>",
        "page=%00",
    ],
)
def test_the_api_document_list_survives_hostile_queries(client, alice_key, query):
    response = _api(client, alice_key[1], b"", method="GET", path=f"{DOCS}?{query}")
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        _assert_problem(response, 422)


@pytest.mark.parametrize("document_id", ["not-a-uuid", "%00", "' OR 1=1 --", "0" * 5000, str(uuid.UUID(int=0))])
def test_the_api_answers_404_or_422_to_a_hostile_document_id(client, alice_key, document_id):
    response = _api(client, alice_key[1], b"", method="GET", path=f"{DOCS}/{document_id}")
    _assert_problem(response, 404, 422)


# --- The Activity page's filters and the support's revocation reason ------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"user": "' OR 1=1 --"},
        {"user": "99999999999999999999"},
        {"key_id": "x" * 5000},
        {"key_id": "abc\x00def"},
        {"key_id": "<script>alert(1)</script>"},
        {"action": "<script>alert(1)</script>"},
        {"page": "abc"},
        {"page": "1" * 30},
        {"before": "abc"},
        {"before": "1" * 30 + ".1"},
        {"before": "99999999999999999.1"},
        {"after": "1.99999999999999999999"},
        {"after": "-1.-1"},
        {"before": "1.1\x00"},
        {"after": "<script>alert(1)</script>"},
        {"before": "1.5", "after": "2.5"},
    ],
)
def test_the_activity_filters_survive_hostile_values(alice_client, alice_key, query):
    response = alice_client.get("/administration/activity/", query)
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_the_activity_filter_refuses_a_user_of_another_organization(alice_client, alice_key, charlie):
    response = alice_client.get("/administration/activity/", {"user": charlie.pk})
    assert response.status_code == 200
    assert "Choose a user of your organization" in response.content.decode()
    assert alice_key[0].key_id not in response.content.decode()


@pytest.mark.parametrize("length", [500, 501, 100_000])
def test_a_hostile_revocation_reason_is_stored_as_text_and_escaped(sam_client, alice_client, alice_key, length):
    key = alice_key[0]
    reason = (HOSTILE_TEXT * (length // len(HOSTILE_TEXT) + 1))[:length]
    response = sam_client.post(
        "/support/apikeys/apikey/",
        {"action": "revoke_selected", "_selected_action": [key.pk], "post": "yes", "reason": reason},
    )
    assert response.status_code in (200, 302)
    assert "<script>alert" not in response.content.decode()
    key.refresh_from_db()
    if length > 500:
        assert key.status == Status.VALID
        assert "at most 500 characters" in response.content.decode()
        return
    assert key.revoke_reason == reason
    for page in (
        sam_client.get(f"/support/apikeys/apikey/{key.pk}/change/"),
        alice_client.get("/administration/activity/"),
    ):
        assert page.status_code == 200
        assert "<script>alert" not in page.content.decode()
        assert ESCAPED in page.content.decode()


def test_the_api_accepts_dates_at_the_edges_of_the_window(client, alice_key):
    from django.utils import timezone

    from apikeys.models import add_years

    today = timezone.localdate()
    issue, due = add_years(today, -10), add_years(add_years(today, -10), 10)
    response = _api(client, alice_key[1], _document(issue_date=issue.isoformat(), due_date=due.isoformat()))
    assert response.status_code == 201, response.content[:300]
    stored = Document.objects.get()
    assert (stored.issue_date, stored.due_date) == (issue, due)
