from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from apikeys.views import overview
from billing import urls as billing_urls
from efinance.lib.health import healthz
from efinance.lib.metrics import metrics_view
from efinance.lib.report_key import PUBLIC_KEY_PATH, public_key_view
from users.factors.login import SupportLoginView
from users.forms import SupportLoginForm
from users.views import set_language

admin.site.site_header = admin.site.site_title = _("e-finance API access — support")
admin.site.index_title = _("Support: API keys, users and organizations")
admin.site.login_form = SupportLoginForm

urlpatterns = [
    # First, and not through include(""): the API's hot path resolves without trying the others, one
    # level of URL resolution fewer on every API request.
    *billing_urls.urlpatterns,
    path("", overview, name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path(PUBLIC_KEY_PATH, public_key_view, name="report_public_key"),
    path("accounts/", include("users.urls")),
    path("administration/", include("apikeys.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # Before the admin's own: its login in two steps, like ours (the URL name stays admin:login).
    path("support/login/", SupportLoginView.as_view(), name="support_login"),
    path("support/", admin.site.urls),
]
