"""What the pages of any app may show about the signed-in user's organization."""

from django import template

register = template.Library()


@register.simple_tag
def organization_admins(user) -> list:
    """The active e-finance Admin users of `user`'s organization (those a standard user must contact),
    by name; empty without an organization."""
    if not getattr(user, "organization_id", None):
        return []
    return list(user.organization.active_admins().order_by("last_name", "first_name", "username"))
