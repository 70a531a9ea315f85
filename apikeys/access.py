"""Who may open Administration, and how a page finds an object of the Admin user's organization.

Every view of Administration is wrapped in `admin_required`; every object named in a URL is found
through a helper that answers 404 for an object of another organization, whether it exists or not
(never 403: that would tell that it exists), the way healthchecks' `_get_project_for_user` does.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.defaults import page_not_found, permission_denied

from apikeys import tokens
from apikeys.models import ApiKey
from users.models import User


def admin_required(view):
    """Administration is for the e-finance Admin user of an organization; others get the 403 page.

    Every answer of Administration, the refusal included, is `Cache-Control: no-store` (`never_cache`):
    its pages show an organization's users, keys and activity, which no browser or proxy may keep.
    """

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin_of_organization:
            refusal = PermissionDenied(_("Only the e-finance Admin user of your organization can open Administration."))
            return permission_denied(request, refusal)  # the 403 page, answered here so that it is no-store too
        try:
            return view(request, *args, **kwargs)
        except Http404 as missing:  # another organization's key: the 404 page, no-store as well
            return page_not_found(request, missing)

    return wrapper


def get_key_for_admin(request, key_id: str) -> ApiKey:
    """The key with this ID in the Admin's organization; 404 for any other, whether it exists or not."""
    if not tokens.KEY_ID_RE.fullmatch(key_id):
        # Not a key ID at all (a NUL byte, say, which PostgreSQL refuses in a query): nothing to look up.
        raise Http404(_("No such API key."))
    try:
        return ApiKey.objects.select_related("user", "created_by", "revoked_by").get(
            key_id=key_id, organization_id=request.user.organization_id
        )
    except ApiKey.DoesNotExist:
        raise Http404(_("No such API key.")) from None


def get_technical_user_for_admin(request, user_id: int) -> User:
    """The technical user with this ID in the Admin's organization; 404 for anyone else (a person, or
    a user of another organization), whether they exist or not."""
    try:
        return (
            User.objects.technical()
            .select_related("organization")
            .get(pk=user_id, organization_id=request.user.organization_id)
        )
    except User.DoesNotExist:
        raise Http404(_("No such technical user.")) from None
