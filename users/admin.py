from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from users.models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


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
