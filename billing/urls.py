"""The two APIs' base paths: «Billing Solutions» and «Billing Solutions Customer Integration»."""

from django.urls import path

from apikeys.models import Api
from billing.api.apis import integration, production
from billing.api.views import wrap_api_urls

BASE_PATHS = {Api.PRODUCTION: "api/billing/v1/", Api.INTEGRATION: "api/billing-int/v1/"}

urlpatterns = [
    path(BASE_PATHS[Api.PRODUCTION], wrap_api_urls(production.urls)),
    path(BASE_PATHS[Api.INTEGRATION], wrap_api_urls(integration.urls)),
]
