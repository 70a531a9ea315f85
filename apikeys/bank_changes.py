"""Changes of the contract's logins asked for by the bank, on the Admin user's User management: the
list «Waiting for your confirmation» with «Confirm» and «Refuse» (`users.bank_changes`).

A change waits here once a second staff user of the bank approved it; before that it is listed too,
with «Refuse» only (the Admin users were told when the bank asked). Another organization's change is
404, whether it exists or not; a decision on a change that is no longer open says so and changes nothing.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apikeys.access import admin_required
from efinance.lib.net import client_ip
from users.bank_changes import Refused, bank_change_confirm, bank_change_refuse
from users.factors.stepup import step_up_required
from users.models import BankChange


def open_changes(organization_id: int):
    """The changes by the bank that wait, for the organization's Admin users to see and decide."""
    return (
        BankChange.objects.filter(organization_id=organization_id, state__in=BankChange.OPEN)
        .select_related("user", "requested_by", "approved_by")
        .order_by("requested_at", "pk")
    )


def _get_change_for_admin(request, bank_change_id: int) -> BankChange:
    try:
        changes = BankChange.objects.select_related("user")
        return changes.get(pk=bank_change_id, organization_id=request.user.organization_id)
    except BankChange.DoesNotExist:
        raise Http404(_("No such change.")) from None


def _decide(request, bank_change_id: int, decide, done: str):
    change = _get_change_for_admin(request, bank_change_id)
    try:
        decide(change=change, by=request.user, ip=client_ip(request))
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done % {"user": change.user.username})
    return redirect("apikeys:user_management")


@require_POST
@admin_required
@step_up_required(when=lambda request, bank_change_id: bool(_get_change_for_admin(request, bank_change_id)))
def bank_change_confirm_view(request, bank_change_id: int):
    done = _("Confirmed: the change of %(user)s is in effect.")
    return _decide(request, bank_change_id, bank_change_confirm, done)


@require_POST
@admin_required
@step_up_required(when=lambda request, bank_change_id: bool(_get_change_for_admin(request, bank_change_id)))
def bank_change_refuse_view(request, bank_change_id: int):
    """As «Confirm», after a fresh proof: a refusal decides the change for the organization too."""
    done = _("Refused: the change of %(user)s never takes effect.")
    return _decide(request, bank_change_id, bank_change_refuse, done)
