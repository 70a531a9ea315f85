"""Template filters of keys: what the audit log stored about them, the overlap of «Replace» in words."""

import datetime

from django import template
from django.utils.translation import ngettext

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


@register.filter
def overlap_words(value: datetime.timedelta | None) -> str:
    """An overlap of «Replace» in words: «7 days», «24 hours» (whole hours below a day's multiple)."""
    if value is None:
        return ""
    hours = int(value.total_seconds()) // 3600
    if hours and hours % 24 == 0 and hours > 24:
        return ngettext("%(count)d day", "%(count)d days", hours // 24) % {"count": hours // 24}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
