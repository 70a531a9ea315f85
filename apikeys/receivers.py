"""What `apikeys` does when the bank's staff change a customer's user (`users.signals`).

`users` cannot import `apikeys`, so it records the change in the audit log and announces it
(`customer_user_changed`, sent by `users.services` inside the transaction that saved the user), and
this receiver, connected in `ApikeysConfig.ready()`, does the rest in the same transaction:

1. deletes the user's valid keys for good when they were deactivated or moved out
   (`services.apikey_revoke_all_of_user`, reason «the user left»): reactivating them later, or
   moving them back, revives nothing;
2. e-mails the organization's active Admin users (each in their language), and, when the e-mail
   address was changed, the previous address too;
3. when an Admin user left or lost the Admin flag, lets their requests that wait for a second Admin
   user lapse, and tells the other Admin users which of them lapsed and, when they left, every valid
   key whose token they saw (`apikeys.leavers`).

Whatever fails rolls all of it back, the user's change included.
"""

import copy
import logging
from collections import defaultdict

from django.conf import settings
from django.urls import reverse

from apikeys import leavers, services
from audit.models import REASON_USER_LEFT, Action
from users.mail import notify
from users.models import Organization, User
from users.signals import LEAVING

log = logging.getLogger("apikeys")

STEPPED_DOWN = LEAVING | {Action.ADMIN_WITHDRAWN}


def _admins(organization_id: int):
    return User.objects.active_admins(organization_id).order_by("pk")


def on_customer_user_changed(sender, *, user, by, changes, entries, ip=None, **kwargs) -> dict:
    by_organization = defaultdict(list)
    for entry in entries:
        by_organization[entry.organization_id].append(entry)
    deleted = []
    if any(change.kind in LEAVING for change in changes):
        deleted = services.apikey_revoke_all_of_user(user=user, by=by, reason=REASON_USER_LEFT, ip=ip)
    # No longer an Admin user of an organization (left it, or lost the flag): their requests lapse there.
    stepped_down = {c.organization_id: c.kind in LEAVING for c in changes if c.kind in STEPPED_DOWN}
    lapsed = {org: leavers.requests_lapse(user=user, organization_id=org) for org in stepped_down}
    previous_email = next((c.details["previous_email"] for c in changes if "previous_email" in c.details), "")
    activity = settings.SITE_URL + reverse("apikeys:activity")
    for organization in Organization.objects.filter(pk__in=by_organization).order_by("pk"):
        context = {
            "organization": organization,
            "user": user,
            "actor": by,
            "entries": by_organization[organization.pk],
            "deleted_keys": [key.key_id for key in deleted if key.organization_id == organization.pk],
            "activity_url": activity,
        }
        notify(_admins(organization.pk), "support_change", context)
        if previous_email and previous_email != user.email and organization.pk == user.organization_id:
            former = copy.copy(user)
            former.email = previous_email
            notify([former], "support_change", context)
    for organization in Organization.objects.filter(pk__in=stepped_down).order_by("pk"):
        leavers.notify_tokens_seen(
            user=user, organization=organization, lapsed=lapsed[organization.pk], left=stepped_down[organization.pk]
        )
    return {"deleted_keys": [key.key_id for key in deleted]}
