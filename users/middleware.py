from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware

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
