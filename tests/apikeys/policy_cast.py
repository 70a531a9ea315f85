"""The security policy's cast (issue 13): dora, a second Admin user of Demo AG beside alice, and
helpers that set the policy or call the API. Imported by the tests of the policy (fixtures by name)."""

import datetime
import re

import pytest
from django.utils import timezone
from django.test import Client

from apikeys.models import SecurityPolicy
from tests.conftest import _client_for, _user

PING = {"production": "/api/billing/v1/ping", "integration": "/api/billing-int/v1/ping"}


@pytest.fixture
def dora(demo_ag):
    return _user("dora", demo_ag, is_org_admin=True)


@pytest.fixture
def dora_client(dora):
    return _client_for(dora)


def set_policy(organization, **values) -> SecurityPolicy:
    policy = SecurityPolicy.of(organization.pk)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def ping(token, api="integration", client=None, **extra):
    return (client or Client()).get(PING[api], HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


CREATE_URL = "/administration/api-keys/new/"


def create_via_form(client, user, api="production", **fields):
    """Post the creation form as an Admin user would; answer the response and the token it shows."""
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(CREATE_URL).content.decode())[1]
    data = {
        "user": user.pk,
        "api": api,
        "note": "ERP",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "nonce": nonce,
        **fields,
    }
    response = client.post(CREATE_URL, data)
    token = re.search(r'id="token"[^>]*value="([^"]+)"', response.content.decode())
    return response, token[1] if token else None
