"""Organizations and users in the Django admin of the bank's support staff (mounted at /support/).

Support staff (the group of `users.services`) add and change organizations and customer users,
including the e-finance Admin flag. Who is staff or superuser, groups and permissions stay with the
superusers: for anyone else those fields are read-only, and the accounts of staff and superusers
(their passwords included) can be viewed but not changed, so that no support user can give themselves
or anyone else more rights.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from users.models import Organization, User

# Fields of a user that only a superuser may change.
PRIVILEGE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class KeysSuspendedFilter(admin.SimpleListFilter):
    """The emergency stop of an organization's keys (set by its Admin users, never by support)."""

    title = _("all keys suspended")
    parameter_name = "keys_suspended"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(keys_suspended_at__isnull=self.value() == "no")
        return queryset


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "keys_suspended_display"]
    list_filter = [KeysSuspendedFilter]
    search_fields = ["name"]
    readonly_fields = ["created_at", "keys_suspended_at", "keys_suspended_by", "keys_suspension_reason"]

    @admin.display(description=_("all keys suspended"), boolean=True)
    def keys_suspended_display(self, organization: Organization) -> bool:
        return organization.keys_suspended


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "organization", "is_org_admin", "is_staff", "is_active"]
    list_filter = ["is_org_admin", "is_staff", "is_active", "organization"]
    list_select_related = ["organization"]
    search_fields = ["username", "first_name", "last_name", "email", "organization__name"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("e-finance"), {"fields": ["organization", "is_org_admin"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("e-finance"), {"fields": ["first_name", "last_name", "organization", "is_org_admin"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # Individual permissions are a superuser's business: not even shown to support.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "user_permissions"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += [field for field in PRIVILEGE_FIELDS if field not in readonly]
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)
