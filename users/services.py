from django.contrib.auth.models import Group, Permission

SUPPORT_GROUP = "Support staff"
SUPPORT_PERMISSIONS = [
    ("apikeys", "view_apikey"),
    ("apikeys", "change_apikey"),  # needed for the revoke action; every field stays read-only
    ("apikeys", "view_auditevent"),  # the audit log, read-only
    ("apikeys", "view_securitypolicy"),  # the contracts' security policies, read-only (issue 13)
    ("apikeys", "view_policychange"),
    ("users", "view_user"),
    ("users", "add_user"),
    ("users", "change_user"),
    ("users", "view_organization"),
    ("users", "add_organization"),
    ("users", "change_organization"),
    # Login lockouts (django-axes): see them, and unlock a login by deleting its access attempt.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("axes", "view_accesslog"),
]


def ensure_support_group() -> Group:
    """The group of the bank's support staff, with what the Django admin needs and no more."""
    group, _created = Group.objects.get_or_create(name=SUPPORT_GROUP)
    perms = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in SUPPORT_PERMISSIONS]
    group.permissions.set(perms)
    return group
