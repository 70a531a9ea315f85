"""The Billing Solutions REST API (django-ninja): `apis` mounts the routers `keys` and `documents` on
one NinjaAPI per API; `auth` authenticates by API key, `problems` answers every error as a problem
document, `views` and `middleware` wrap it in Django. `billing.urls` puts both under /api/."""
