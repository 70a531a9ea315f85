from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from efinance.lib.health import healthz
from users.forms import SupportLoginForm
from users.views import home

admin.site.site_header = admin.site.site_title = _("e-finance API access — support")
admin.site.index_title = _("Support: API keys, users and organizations")
admin.site.login_form = SupportLoginForm

urlpatterns = [
    path("", include("billing.urls")),  # first: the API's hot path resolves without trying the others
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("users.urls")),
    path("administration/", include("apikeys.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("support/", admin.site.urls),
]
