"""Fixtures of the security policy's tests: dora, a second Admin user of Demo AG; four-eyes on, and a
production key alice made for bob that waits for approval (`pending`)."""

import pytest

from apikeys.models import ApiKey
from tests.apikeys.policy_cast import create_via_form, set_policy
from tests.cast import client_for, make_user


@pytest.fixture
def dora(demo_ag):
    return make_user("dora", demo_ag, is_org_admin=True)


@pytest.fixture
def dora_client(dora):
    return client_for(dora)


@pytest.fixture
def four_eyes(alice, dora):
    return set_policy(alice.organization, four_eyes=True)


@pytest.fixture
def pending(four_eyes, alice_client, bob):
    """A production key alice made for bob under four-eyes, and its token: it waits for dora."""
    response, token = create_via_form(alice_client, bob, api="production")
    assert response.status_code == 200
    return ApiKey.objects.get(note="ERP"), token
