from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseBase

SESSION_ENDED_PARAM = "session"


class SessionAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-by-default, which also tells the login page when a session has just ended.

    A request that still carries a session cookie but no longer has a signed-in user had a session
    that ended (15 minutes without a request): the login page then says so, and brings the user back
    to where they were (``next``). What a form held is not kept anywhere on the server: a half-filled
    creation form is a minute's work, and keeping it would mean storing form data of a signed-out
    user; the user fills it in again.
    """

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            parts = urlsplit(response["Location"])
            query = [*parse_qsl(parts.query), (SESSION_ENDED_PARAM, "ended")]
            response["Location"] = urlunsplit(parts._replace(query=urlencode(query)))
        return response


class IdleSessionMiddleware:
    """A request moves the end of its session (`SESSION_COOKIE_AGE` from now), except a 404 and the
    language switch: neither is a sign that someone is at the screen, and a script left in an
    open tab (or an attacker's page) must not keep a session alive that way.

    Right after `SessionMiddleware`, with `SESSION_SAVE_EVERY_REQUEST` off: marking the session
    modified is what makes Django save it (and so extend it), as `SESSION_SAVE_EVERY_REQUEST` did for
    every request. A session a view changed is saved whatever the answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and extends_idle_session(request, response):
            session.modified = True
        return response


def extends_idle_session(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether this request counts as activity for the idle timeout."""
    if response.status_code == 404:
        return False
    match = getattr(request, "resolver_match", None)
    return match is None or match.view_name != "set_language"
