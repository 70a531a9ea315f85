"""Schema-driven fuzzing: Schemathesis generates requests from each environment's openapi.json and
sends them through the whole Django stack (WSGI, middleware, authentication). No answer may be a
5xx, and every answer must be described: documented status, media type, body schema and headers.

Bounded in time: a few dozen examples per operation, no deadline per example.
"""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import billing.api.apis
from apikeys.models import Api

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _load(api):
    """The description that `openapi.json` serves (test_api_errors fetches it), sent to in-process
    Django over WSGI."""
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder)))
    schema.app = WSGIHandler()
    return schema


integration = _load(billing.api.apis.integration)
production = _load(billing.api.apis.production)


@pytest.fixture
def integration_token(make_key):
    return make_key(api=Api.INTEGRATION)[1]


@pytest.fixture
def in_test_transaction(settings):
    """Requests over WSGI run in the test's transaction: Django's test client does the same."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@integration.parametrize()
@FUZZ
def test_the_integration_api_answers_as_described(case, integration_token, in_test_transaction):
    case.call_and_validate(headers={"Authorization": f"Bearer {integration_token}"}, checks=CHECKS)


@production.parametrize()
@FUZZ
def test_the_production_api_answers_as_described_to_a_key_of_the_other_api(
    case, integration_token, in_test_transaction
):
    """Refused with the described 401 by every operation, whatever else the request holds."""
    case.call_and_validate(headers={"Authorization": f"Bearer {integration_token}"}, checks=CHECKS)
