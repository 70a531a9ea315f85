"""What the pages of any app may show about the signed-in user's organization."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def organization_admins(context, user) -> list:
    """The active e-finance Admin users of `user`'s organization (those a standard user must contact),
    by name; empty without an organization. A caller that has read them already for many messages (the
    reminder run's batch) puts them in the context as ``admins_by_organization``, {organization ID:
    its active Admin users in this order}: then no query."""
    if not getattr(user, "organization_id", None):
        return []
    known = context.get("admins_by_organization") or {}
    if user.organization_id in known:
        return known[user.organization_id]
    return list(user.organization.active_admins().by_name())


@register.filter
def names_or(users) -> str:
    """«Anna Admin», «Anna Admin or Bruno Berger», «Anna Admin, Bruno Berger or Carla Conti»: whom to ask."""
    names = [user.display_name for user in users]
    if len(names) < 2:
        return "".join(names)
    return gettext("%(names)s or %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
