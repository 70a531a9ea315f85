"""The two APIs' base paths, «Billing Solutions» and «Billing Solutions Customer Integration», and the
API of exposed credentials under /api/ (`/api/credentials/…`, `/api/secret-scanning/…`)."""

from django.urls import path

from apikeys.models import Api
from billing.api.apis import exposed_credentials, integration, production
from billing.api.views import wrap_api_urls

BASE_PATHS = {Api.PRODUCTION: "api/billing/v1/", Api.INTEGRATION: "api/billing-int/v1/"}

urlpatterns = [
    path(BASE_PATHS[Api.PRODUCTION], wrap_api_urls(production.urls)),
    path(BASE_PATHS[Api.INTEGRATION], wrap_api_urls(integration.urls)),
    path("api/", wrap_api_urls(exposed_credentials.urls, max_body_setting="CREDENTIALS_MAX_BODY_BYTES")),
]
