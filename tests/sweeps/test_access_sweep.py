"""Access-control sweep: every URL of the project, every method, every role.

The URL list is read from the resolver when the tests are collected, so a page or endpoint added
later is swept too; a URL that no rule below covers, or whose path parameters the sweep cannot fill
with a real object of Demo AG, fails `test_every_url_is_classified` (nothing slips in untested).

Roles: anonymous; bob (standard user of Demo AG); charlie (Admin user of Other AG, the outsider);
alice (Admin user of Demo AG); sam (support staff, no organization). For the Billing API, which
takes no session, the outsider presents charlie's key and the Admin role a key of Demo AG.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.http import urlsafe_base64_encode

from apikeys.models import Api, PolicyChange
from billing.models import Document

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ROLES = ["anonymous", "standard", "outsider", "admin", "support"]

# Areas: each URL gets exactly one; a new URL outside them fails the sweep until it is classified.
EXACT = {
    "": "signed_in",
    "accounts/login/": "public",
    # The login's second step: for someone not signed in yet, who has given the right password.
    "accounts/login/code/": "public",
    # «Security»: every signed-in user's own second factors.
    "accounts/security/": "signed_in",
    "accounts/security/authenticator/": "signed_in",
    "accounts/security/authenticator/remove/": "signed_in",
    "accounts/security/passkeys/new/": "signed_in",
    # One of the user's own passkeys: another user's (the sweep's is nobody's) is not found.
    "accounts/security/passkeys/<int:passkey_id>/remove/": "own_object",
    "accounts/security/recovery-codes/": "signed_in",
    "accounts/security/logout-everywhere/": "signed_in",
    "accounts/logout/": "public",
    # The set-password link of support's e-mail: for someone not signed in; a wrong token sees nothing.
    "accounts/set-password/<uidb64>/<token>/": "public",
    "accounts/set-password/done/": "public",
    # The link of the e-mail «Your login is locked»: for someone not signed in; a wrong token lifts nothing.
    "accounts/unlock/<uidb64>/<token>/": "public",
    "accounts/unlock/": "public",
    "i18n/setlang/": "public",
    "healthz": "public",
    "healthz/": "public",
    # Prometheus metrics: for the operators' token or networks only, and only when enabled.
    "metrics": "operators",
    # The bank's public key that signs credential reports: an auditor needs no login.
    ".well-known/efinance-report-key.pem": "public",
    "support/login/": "public",
    "support/logout/": "public",
    # The API's description and Swagger UI are public, like any published API reference.
    "api/billing/v1/openapi.json": "public",
    "api/billing/v1/docs": "public",
    "api/billing-int/v1/openapi.json": "public",
    "api/billing-int/v1/docs": "public",
    # Reports of exposed tokens: anyone may send them (the answer tells nothing), GitHub signs its alerts.
    "api/": "public",  # the root of the API of exposed credentials: a 404 problem
    "api/credentials/openapi.json": "public",
    "api/credentials/docs": "public",
    "api/credentials/revoke": "public",
    "api/secret-scanning/github": "public",
}
PREFIXES = [
    ("administration/", "org_admin"),
    ("support/", "support"),
    ("api/billing/v1/", "api"),
    ("api/billing-int/v1/", "api"),
]
LOGINS = ("/accounts/login/", "/support/login/")


def _walk(patterns, prefix=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, (*prefix, entry.pattern))
        elif isinstance(entry, URLPattern):
            yield (*prefix, entry.pattern)


def _describe(parts) -> str:
    return "".join(str(part) for part in parts)


ROUTES = sorted({_describe(parts): parts for parts in _walk(get_resolver().url_patterns)}.items())


def _area(route: str) -> str | None:
    plain = route.replace("^", "").replace("$", "")
    if plain in EXACT:
        return EXACT[plain]
    return next((area for prefix, area in PREFIXES if plain.startswith(prefix)), None)


def _admin_object_id(route: str, world) -> str:
    """A real object of Demo AG for /support/<app>/<model>/<object_id>/..., else any row."""
    app_label, model_name = route.split("/")[1:3]
    model = apps.get_model(app_label, model_name)
    preferred = world["admin_objects"].get(model)
    if preferred is not None:
        return str(preferred.pk)
    row = model._default_manager.order_by("pk").first()
    return str(row.pk) if row is not None else "999999"


def _environment(route: str) -> str:
    return Api.PRODUCTION if route.startswith("api/billing/") else Api.INTEGRATION


def _fill(route: str, world) -> str:
    """The route with every parameter set to a real value of Demo AG; KeyError when unknown."""
    values = {
        "key_id": world["demo_key"].key_id,
        "id": str(world["alice"].pk),
        "app_label": "users",
        "url": "no-such-page/",
        "content_type_id": str(ContentType.objects.get_for_model(world["alice"]).pk),
        "document_id": str(world["documents"][_environment(route)].pk),
        "uidb64": urlsafe_base64_encode(str(world["alice"].pk).encode()),
        "token": "cjz4kq-8f14e45fceea167a5a36dedd4bea2543",  # well-formed, never issued
        "change_id": str(world["policy_change"].pk),  # the security policy
        "bank_change_id": str(world["bank_change"].pk),  # a change of a login asked for by the bank
        "passkey_id": "999999",  # nobody's: the sweep's users have none
        # A technical user's pages: Demo AG's technical user; else a user of Demo AG (User management).
        "user_id": str(world["technical_user" if "users/technical/" in route else "bob"].pk),
    }
    if "<path:object_id>" in route and not route.startswith("support/r/"):
        values["object_id"] = _admin_object_id(route, world)
    else:
        values["object_id"] = str(world["alice"].pk)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1]], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], path)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def world(demo_ag, alice, bob, charlie, sam, abacus, make_key):
    from users.bank_changes import bank_change_approve
    from users.models import BankChange, User
    from users.services import user_save_by_staff

    zelda = User.objects.create_user(username="zelda-demo-accounting", organization=demo_ag)
    demo_key, demo_token = make_key(user=bob, api=Api.INTEGRATION, note="Zelda ERP nightly run")
    prod_key, prod_token = make_key(user=zelda, api=Api.PRODUCTION, note="Zelda production sync")
    deleted_key, _token = make_key(user=alice, note="old Demo AG connector", deleted=True)
    _other_key, outsider_token = make_key(user=charlie, api=Api.INTEGRATION, created_by=charlie)
    _other_prod, outsider_prod_token = make_key(user=charlie, api=Api.PRODUCTION, created_by=charlie)
    documents = {
        key.api: Document.objects.create(
            organization=demo_ag,
            api=key.api,
            api_key=key,
            delivered_by=key.user,
            invoice_number=f"DEMO-INV-{key.api[:4].upper()}-4711",
            issue_date=datetime.date(2026, 11, 1),
            due_date=datetime.date(2026, 11, 30),
            currency="CHF",
            amount=Decimal("1234.50"),
            recipient_name="Zelda Recipient GmbH",
            recipient_email="zelda@example.ch",
        )
        for key in (demo_key, prod_key)
    }
    markers = [
        demo_key.key_id,
        prod_key.key_id,
        deleted_key.key_id,
        "alice",
        "bob",
        zelda.username,
        abacus.username,
        "Zelda ERP nightly run",
        "Zelda production sync",
        "old Demo AG connector",
        "Demo AG",
        "Zelda Recipient GmbH",
        *(document.invoice_number for document in documents.values()),
        *(str(document.pk) for document in documents.values()),
    ]
    # A security-policy change of Demo AG waiting for a second Admin user.
    policy_change = PolicyChange.objects.create(
        organization=demo_ag, requested_by=alice, values={"four_eyes": False, "max_validity_days": None}
    )
    # A user of Demo AG that support asked to add and a second staff user approved: it waits for alice.
    held = User(username="yara-demo-new", organization=demo_ag, email="yara@demo.example")
    held.set_unusable_password()
    user_save_by_staff(user=held, by=sam)
    bank_change = bank_change_approve(
        change=BankChange.objects.get(user=held), by=User.objects.create_user("tom-support", is_staff=True)
    )
    return {
        "alice": alice,
        "bob": bob,
        "demo_key": demo_key,
        "policy_change": policy_change,
        "bank_change": bank_change,
        "technical_user": abacus,
        "documents": documents,
        "tokens": {Api.INTEGRATION: demo_token, Api.PRODUCTION: prod_token},
        "outsider_tokens": {Api.INTEGRATION: outsider_token, Api.PRODUCTION: outsider_prod_token},
        "admin_objects": {type(demo_key): demo_key, type(alice): alice, type(demo_ag): demo_ag},
        "clients": {
            "anonymous": Client(),
            "standard": _signed_in(bob),
            "outsider": _signed_in(charlie),
            "admin": _signed_in(alice),
            "support": _signed_in(sam),
        },
        "leak": _any_of(markers),
        "key_leak": _any_of([m for m in markers if m not in ("alice", "bob", "Demo AG")]),
    }


def _any_of(markers):
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(m) for m in markers) + r")(?![\w-])")


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _is_login_redirect(response, area: str) -> bool:
    """A redirect to a login page: the site's, or for /support/ also the Django admin's."""
    logins = LOGINS if area == "support" else LOGINS[:1]
    return response.status_code == 302 and response["Location"].startswith(logins)


def test_every_url_is_classified(world):
    unknown = [route for route, _parts in ROUTES if _area(route) is None]
    assert unknown == [], f"URLs the access sweep does not know how to classify: {unknown}"
    for route, _parts in ROUTES:
        path = _fill(route, world)
        assert resolve(path).route == route.replace("^", ""), f"{path} does not reach /{route}"


def _send(client, method: str, path: str, area: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if area == "api":
        return client.generic(method, path, b"{}", content_type="application/json", headers=headers)
    return client.generic(method, path, b"", content_type="application/x-www-form-urlencoded")


def _api_token(world, route: str, role: str) -> str | None:
    api = Api.PRODUCTION if route.startswith("api/billing/") else Api.INTEGRATION
    return {"admin": world["tokens"], "outsider": world["outsider_tokens"]}.get(role, {}).get(api)


def _check(area: str, route: str, role: str, method: str, response, world) -> None:
    status, body = response.status_code, response.content.decode("utf-8", "replace")
    body = body.replace(response.request["PATH_INFO"], "")  # the caller's own URL echoed back tells nothing
    where = f"{role} {method} /{route} -> {status}"
    assert status < 500, where
    allowed_to_see_demo = (role == "admin" and area != "support") or (role == "support" and area == "support")
    if not allowed_to_see_demo:
        # bob belongs to Demo AG and sees his own name in the header, but never its keys or notes.
        leak = world["key_leak" if role == "standard" else "leak"].search(body)
        assert leak is None, f"{where} shows Demo AG data: {leak and leak[0]}"
    if area == "public":
        return
    if area == "operators":
        assert status in (403, 404, 405), f"{where}: metrics without the operators' token"
        return
    if area == "api":
        assert response["Content-Type"].startswith(("application/json", "application/problem+json")), where
        assert "<html" not in body.lower(), f"{where}: HTML from the API"
        if role == "admin":
            assert status not in (401, 403), f"{where}: a valid key of Demo AG is refused"
            assert status != 404 or "<" not in route, f"{where}: Demo AG's own document is not found"
        elif role == "outsider":
            assert status not in (401, 403), f"{where}: a valid key of Other AG is refused"
            if "<" in route:
                assert status in (404, 405), f"{where}: another organization's document must be 404"
        else:
            assert status in (401, 404, 405), f"{where}: the API takes a key, never a session"
            assert response["Content-Type"].startswith("application/problem+json"), where
        return
    if role == "anonymous":
        assert _is_login_redirect(response, area), f"{where}: expected the login redirect"
        return
    if area == "signed_in":
        assert status in (200, 302, 405), where
    elif area == "own_object":
        assert status in (404, 405), f"{where}: an object that is not the user's must be 404"
    elif area == "support":
        if role == "support":
            assert not _is_login_redirect(response, area), f"{where}: support staff are kept out"
        else:
            assert _is_login_redirect(response, area), f"{where}: only staff may open /support/"
    elif area == "org_admin":
        if role == "admin":
            assert status not in (403, 404) and not _is_login_redirect(response, area), f"{where}: the Admin is refused"
        elif role == "outsider" and "<" in route:
            assert status in (404, 405), f"{where}: another organization's object must be 404"
        elif role in ("standard", "support"):
            assert status in (403, 405), f"{where}: expected 403"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "parts"), ROUTES, ids=[route or "/" for route, _parts in ROUTES])
def test_only_the_intended_role_gets_in(world, route, parts, role):
    area = _area(route)
    assert area is not None, f"unclassified URL /{route}"
    path = _fill(route, world)
    client = world["clients"]["anonymous" if area == "api" and role in ("admin", "outsider") else role]
    statuses = {}
    for method in METHODS:
        token = _api_token(world, route, role) if area == "api" else None
        response = _send(client, method, path, area, token)
        _check(area, route, role, method, response, world)
        statuses[method] = response.status_code
    if area == "org_admin" and role == "standard":
        assert 403 in statuses.values(), f"bob never got 403 on /{route}: {statuses}"
    if area == "api" and role not in ("admin", "outsider"):
        # Without a key: 401 wherever a key would have been let in (404/405 only where a key gets them too).
        keyed = {m: _send(Client(), m, path, area, _api_token(world, route, "admin")).status_code for m in METHODS}
        for method, status in statuses.items():
            assert status == 401 or status == keyed[method], f"{role} {method} /{route}: {status}, key: {keyed}"


@pytest.mark.parametrize("role", ROLES)
def test_head_answers_like_get_without_a_body_on_every_url(world, role, monkeypatch):
    """RFC 9110: HEAD is GET without the body. The test client drops a HEAD's body itself; here it does
    not, so that the body the application would send is the one checked."""
    monkeypatch.setattr("django.test.client.conditional_content_removal", lambda request, response: response)
    for route, _parts in ROUTES:
        area = _area(route)
        path = _fill(route, world)
        client = world["clients"]["anonymous" if area == "api" and role in ("admin", "outsider") else role]
        token = _api_token(world, route, role) if area == "api" else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        get, head = client.get(path, headers=headers), client.head(path, headers=headers)
        where = f"{role} HEAD /{route}"
        assert head.status_code == get.status_code, f"{where}: {head.status_code}, GET {get.status_code}"
        assert head.get("Content-Type") == get.get("Content-Type"), where
        assert head.get("Location") == get.get("Location"), where
        assert head.content == b"", f"{where} sent a body"
        if not get.streaming:  # the length of the body it would have sent (a page's nonce varies per request)
            assert head["Content-Length"].isdigit(), where
