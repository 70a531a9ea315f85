"""`Host` is checked against ALLOWED_HOSTS on every path, the lean ones (`/api/`, `/healthz`) too: a
request for a host the site does not serve is a 400, whatever path it asks for. The attacker's view: a
forged Host used to be answered by the API and the health check as if it were the site's."""

import pytest

PATHS = ["/healthz", "/api/billing-int/v1/ping", "/api/billing/v1/ping", "/api/credentials/revoke", "/accounts/login/"]


@pytest.mark.parametrize("path", PATHS)
def test_a_host_not_allowed_is_refused_on_every_path(client, db, settings, path):
    settings.ALLOWED_HOSTS = ["efinance.example"]
    assert client.get(path, HTTP_HOST="evil.example").status_code == 400
    assert client.get(path, HTTP_HOST="efinance.example").status_code != 400


def test_the_api_still_answers_its_own_problems_for_an_allowed_host(client, db, settings):
    settings.ALLOWED_HOSTS = ["efinance.example"]
    response = client.get("/api/billing-int/v1/ping", HTTP_HOST="efinance.example")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
