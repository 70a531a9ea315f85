"""The audit log of every organization in the support admin (mounted at /support/)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from efinance.lib.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log of every organization, for support staff (``audit.view_auditevent``).

    Read-only for everyone, superusers included: no add, change or delete here, nor a delete action
    (the model and the database refuse changes too: `audit.models`).
    """

    list_display = ["at", "action", "actor", "username", "subject", "organization", "key_id", "ip", "count"]
    list_filter = ["action", "organization"]
    list_select_related = ["actor", "subject", "organization"]
    list_per_page = 50
    date_hierarchy = "at"
    search_fields = ["^key_id", "username", "actor__username", "subject__username", "organization__name"]
    search_help_text = _("Key ID (or its beginning), user identification or organization.")
    fields = [
        "at",
        "action",
        "actor",
        "username",
        "subject",
        "organization",
        "key_id",
        "ip",
        "details",
        "hour",
        "count",
        "last_at",
    ]
    readonly_fields = fields
