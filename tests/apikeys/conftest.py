"""Fixtures of the security policy's tests: dora, a second Admin user of Demo AG."""

import pytest

from tests.conftest import _client_for, _user


@pytest.fixture
def dora(demo_ag):
    return _user("dora", demo_ag, is_org_admin=True)


@pytest.fixture
def dora_client(dora):
    return _client_for(dora)
