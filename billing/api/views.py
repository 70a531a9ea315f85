"""What wraps the API: no login page, body limits before parsing, problems instead of HTML."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from billing.api.problems import problem_response

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def api_view(view, max_body_setting: str = "API_MAX_BODY_BYTES"):
    """Every view of the API: login-exempt (it authenticates by key, not by session), CSRF-exempt (no
    cookies), and answering problem documents for a body over the setting `max_body_setting` (413,
    before the body is read) and a body that is not JSON (415)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = getattr(settings, max_body_setting)
        if length > limit:
            return problem_response(413, _("The request body is larger than %(limit)d bytes.") % {"limit": limit})
        if request.method in BODY_METHODS and length and not _is_json(request.content_type or ""):
            return problem_response(415, _("Send the request body as JSON, with «Content-Type: application/json»."))
        return view(request, *args, **kwargs)

    return login_not_required(csrf_exempt(wrapper))


def wrap_api_urls(urls, max_body_setting: str = "API_MAX_BODY_BYTES"):
    """`NinjaAPI.urls` with each view wrapped by `api_view`."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        pattern.callback = api_view(pattern.callback, max_body_setting)
    return patterns, app_name, namespace
