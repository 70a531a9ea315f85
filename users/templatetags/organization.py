"""What the pages of any app may show about the signed-in user's organization."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def organization_admins(user) -> list:
    """The active e-finance Admin users of `user`'s organization (those a standard user must contact),
    by name; empty without an organization."""
    if not getattr(user, "organization_id", None):
        return []
    return list(user.organization.active_admins().order_by("last_name", "first_name", "username"))


@register.filter
def names_or(users) -> str:
    """«Anna Admin», «Anna Admin or Bruno Berger», «Anna Admin, Bruno Berger or Carla Conti»: whom to ask."""
    names = [user.display_name for user in users]
    if len(names) < 2:
        return "".join(names)
    return gettext("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
