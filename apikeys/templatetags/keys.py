"""Template filters of keys for pages that show what the audit log stored about them."""

from django import template

from apikeys.models import Api, Scope

register = template.Library()


@register.filter
def api_label(value: str) -> str:
    """The name of the API (`Api`) stored as `value` in an audit entry's details; "" for anything else."""
    return Api(value).label if value in Api.values else ""


@register.filter
def scope_labels(values) -> str:
    """The scopes (`Scope`) stored as `values` in an audit entry's details, in words; unknown ones left out."""
    return ", ".join(str(Scope(value).label) for value in values or () if value in Scope.values)
