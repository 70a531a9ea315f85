from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from users import limits


class LoginProtectionBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Logins through a form (ours, the Django admin's) always pass the request. Code that calls
    `authenticate()` without one (a management command, `Client.login()` in tests) is not a web
    login and has no client to lock out; axes would raise there, this backend lets the next one decide.
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            setattr(request, limits.NOT_CHECKED, True)  # nothing was checked: not the account's failure either
            raise


def client_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username that axes counts and stores (`recorded_username`), fit for its column: Django's
    login form does not enforce its 150 characters on the server, and PostgreSQL refuses a longer value
    (or a NUL) with an error instead of a login page. No real username is longer, so nothing is lost."""
    username = typed_username(request, credentials)
    if not isinstance(username, str):
        return username
    return recorded_username(username.replace("\x00", "")[:255])


def typed_username(request: HttpRequest, credentials: dict | None = None):
    """What was typed into the username field of a login (None when nothing was)."""
    return credentials.get("username") if credentials else getattr(request, "data", request.POST).get("username")


# The prefix of what the records keep instead of a username that names nobody.
UNKNOWN_USERNAME_PREFIX = "unknown-"


def recorded_username(username: str) -> str:
    """What the audit log and the login protection keep of a typed username: the username itself when
    it names a user, otherwise a keyed hash of it (HMAC with SECRET_KEY, `UNKNOWN_USERNAME_PREFIX` and
    24 hex digits). People type their password into the username field: such a slip never lands in
    a record, while the same unknown name still counts as one (for the limits, and in the log).
    Without SECRET_KEY, nobody can test guesses against the hash."""
    if not username or username.startswith(UNKNOWN_USERNAME_PREFIX):
        return username
    UserModel = get_user_model()
    if UserModel._default_manager.filter(**{UserModel.USERNAME_FIELD: username}).exists():
        return username
    return UNKNOWN_USERNAME_PREFIX + salted_hmac("users.unknown-username", username).hexdigest()[:24]


class UserBackend(ModelBackend):
    """Django's `ModelBackend`, whose lookup of the session's user brings the user's organization in
    the same query: every page of Administration reads it (`request.user.organization`), and a query
    of its own cost about as much as the join's whole query (`python -m tools.bench_auth`)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """`ModelBackend.authenticate` over people only: a technical user's name takes the path of an
        unknown user (the same password hashing, so the same time, and the same answer).

        A web login (one with a request) asks the account's limit first (`users.limits`): an attempt it
        refuses hashes the password as an unknown user's does, and answers the same None, so that
        neither the message nor the time tells a locked account from a wrong password or no account."""
        UserModel = get_user_model()
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = UserModel._default_manager.filter(is_technical=False).get(**{UserModel.USERNAME_FIELD: username})
        except UserModel.DoesNotExist:
            if request is not None:
                limits.attempt_allowed(None)  # the same read as for an account, so the same time
            UserModel().set_password(password)  # Django's own defence against timing the lookup
            return None
        if request is not None and not limits.attempt_allowed(user.pk):
            setattr(request, limits.NOT_CHECKED, True)
            UserModel().set_password(password)  # the time of a check, without checking
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        return not getattr(user, "is_technical", False) and super().user_can_authenticate(user)

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("organization").get(pk=user_id)
        except ObjectDoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
