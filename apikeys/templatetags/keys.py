"""Template filters of keys: what the audit log stored about them, the overlap of «Replace» in words."""

import datetime

from django import template
from django.conf import settings
from django.urls import reverse
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


@register.simple_tag
def key_links(key, reader) -> dict | None:
    """The links of a notice about `key` for `reader`: its page, «Replace» and «Delete» (None where the key
    no longer allows it), full URLs on `SITE_URL`; None unless `reader` is an active Admin user of the
    key's contract, the only readers who may open those pages."""
    if not (reader.is_active and reader.is_org_admin and reader.organization_id == key.organization_id):
        return None

    def url(name: str) -> str:
        return settings.SITE_URL + reverse(name, args=[key.key_id])

    valid = key.is_valid
    replaceable = valid and key.ends_at is None and not key.is_pending_approval and key.user.is_active
    return {
        "page": url("apikeys:detail"),
        "replace": url("apikeys:replace") if replaceable else None,
        "delete": url("apikeys:delete") if valid else None,
    }
