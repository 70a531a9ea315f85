"""Problem documents for every error under /api/, whichever part of Django answered it."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from billing.api.problems import CONTENT_TYPE, problem_response


class ApiProblemsMiddleware:
    """Under /api/, an error answer that is not a problem document yet becomes one: Django's 404 page
    for an unknown path (also with DEBUG), ninja's plain 405, a 500 page. Other paths are untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            return _as_problem(response)
        return response


def _as_problem(response: HttpResponse) -> HttpResponse:
    """An error response of Django or ninja that is not a problem document yet (405, a 404 page) becomes one."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(CONTENT_TYPE):
        return response
    details = {
        404: _("No such resource."),
        405: _("This method is not allowed here; see the Allow header."),
    }
    problem = problem_response(response.status_code, details.get(response.status_code, _("The request failed.")))
    if response.has_header("Allow"):
        problem["Allow"] = response["Allow"]
    return problem
