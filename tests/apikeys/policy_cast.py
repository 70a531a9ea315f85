"""Helpers of the security policy's tests: set the policy, post the creation form, call the API."""

import datetime
import re

from django.test import Client
from django.utils import timezone

from apikeys.models import SecurityPolicy

PING = {"production": "/api/billing/v1/ping", "integration": "/api/billing-int/v1/ping"}


def set_policy(organization, **values) -> SecurityPolicy:
    policy = SecurityPolicy.of(organization.pk)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy


POLICY_URL = "/administration/security-policy/"


def post_policy(client, max_validity_days="", four_eyes=False, allowed_networks=""):
    """Post the security policy's form as an Admin user would."""
    data = {"max_validity_days": max_validity_days, "allowed_networks": allowed_networks}
    if four_eyes:
        data["four_eyes"] = "on"
    return client.post(POLICY_URL, data)


def current_policy(organization) -> SecurityPolicy:
    return SecurityPolicy.of(organization.pk)


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
        "scopes": ["documents:read", "documents:write"],
        **fields,
    }
    response = client.post(CREATE_URL, data)
    token = re.search(r'id="token"[^>]*>([^<]+)</textarea>', response.content.decode())
    return response, token[1] if token else None
