"""The Billing Solutions API in its two environments, authenticated by the API keys.

- «Billing Solutions» (production) under ``/api/billing/v1/``, URL namespace ``billing``;
- «Billing Solutions Customer Integration» under ``/api/billing-int/v1/``, namespace ``billing-int``.

Both serve the same operations (`apikeys.api.routes`), each with its own OpenAPI description
(``openapi.json``) and Swagger UI (``docs``) from django-ninja's own static files (no CDN). A key
works only with the API it was made for.
"""

from django.urls import path

from apikeys.api.routes import build_api
from apikeys.api.views import wrap_api_urls
from apikeys.models import Api

production = build_api(Api.PRODUCTION)
integration = build_api(Api.INTEGRATION)

BASE_PATHS = {Api.PRODUCTION: "api/billing/v1/", Api.INTEGRATION: "api/billing-int/v1/"}

urlpatterns = [
    path(BASE_PATHS[Api.PRODUCTION], wrap_api_urls(production.urls)),
    path(BASE_PATHS[Api.INTEGRATION], wrap_api_urls(integration.urls)),
]
