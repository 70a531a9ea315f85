"""Administration → «Security policy» and the four-eyes decisions on the key list.

Every view is for the Admin users of the organization (`admin_required`); objects of another
organization answer 404 (`_get_key_for_admin`, `_get_change_for_admin`). The rules themselves live in
`apikeys.policy`, which refuses an Admin user's decision of their own request whatever the form says.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apikeys.access import admin_required, get_key_for_admin
from apikeys.models import PolicyChange, SecurityPolicy
from apikeys.policy import rules as policy
from apikeys.policy.forms import KeyNetworksForm, RejectForm, ResumeForm, SecurityPolicyForm, SuspendForm
from efinance.lib.net import client_ip
from users.factors.stepup import step_up_required


def _get_change_for_admin(request, change_id: int) -> PolicyChange:
    try:
        return PolicyChange.objects.select_related("requested_by", "key").get(
            pk=change_id, organization_id=request.user.organization_id
        )
    except PolicyChange.DoesNotExist:
        raise Http404(_("No such request.")) from None


def _widens_networks(request, key_id: str) -> bool:
    """Whether the POST asks for wider networks than the key's (another organization's key: 404)."""
    key = get_key_for_admin(request, key_id)
    try:
        return policy.networks_widen(key, request.POST.get("allowed_networks", ""))
    except ValidationError:
        return False  # not a list of networks: the form says so, nothing changes


def _context(request, **forms):
    organization = request.user.organization
    organization.refresh_from_db()
    current = SecurityPolicy.of(organization.pk)
    open_changes = PolicyChange.objects.open().filter(organization=organization).select_related("requested_by", "key")
    admin_count = policy.other_admins(organization.pk).count()
    return {
        "policy": current,
        "organization": organization,
        "open_changes": open_changes,
        "admin_count": admin_count,
        # Four-eyes on, and nobody left to approve what the one Admin user asks for.
        "four_eyes_stranded": current.four_eyes and admin_count < policy.FOUR_EYES_ADMINS,
        "suspend_form": forms.get("suspend_form") or SuspendForm(),
        "resume_form": forms.get("resume_form") or ResumeForm(organization=organization, user=request.user),
        "form": forms.get("form") or SecurityPolicyForm(policy=current),
        **{name: form for name, form in forms.items() if form is not None},
    }


@never_cache
@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required()
def security_policy(request):
    organization_id = request.user.organization_id
    current = SecurityPolicy.of(organization_id)
    form = SecurityPolicyForm(request.POST or None, policy=current, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            change = policy.policy_update(
                organization_id=organization_id,
                by=request.user,
                ip=client_ip(request),
                **form.cleaned_data,
            )
        except policy.NotAllowed as refused:
            form.add_error(None, refused.message)
        else:
            if change is None:
                messages.success(request, _("The security policy has been changed."))
            else:
                messages.info(
                    request,
                    _(
                        "This change weakens the security policy: it takes effect once another Admin user "
                        "approves it (within 7 days)."
                    ),
                )
            return redirect("apikeys:security_policy")
    status = 400 if form.is_bound else 200
    return render(request, "apikeys/security_policy.html", _context(request, form=form), status=status)


@require_POST
@admin_required
@step_up_required(when=lambda request, change_id: bool(_get_change_for_admin(request, change_id)))
def change_approve(request, change_id: int):
    change = _get_change_for_admin(request, change_id)
    try:
        policy.policy_change_decide(change=change, by=request.user, approve=True, ip=client_ip(request))
    except policy.NotAllowed as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The change has been approved and takes effect now."))
    return redirect("apikeys:list" if change.key_id else "apikeys:security_policy")


@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required(when=lambda request, change_id: bool(_get_change_for_admin(request, change_id)))
def change_reject(request, change_id: int):
    """«Reject» a policy change: a confirmation page that asks the reason, sent to the requester."""
    change = _get_change_for_admin(request, change_id)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy.policy_change_decide(
                change=change, by=request.user, approve=False, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
        except policy.NotAllowed as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The change has been rejected."))
        return redirect("apikeys:list" if change.key_id else "apikeys:security_policy")
    status = 400 if form.is_bound else 200
    return render(request, "apikeys/change_reject.html", {"change": change, "form": form}, status=status)


@require_POST
@admin_required
@step_up_required(when=lambda request, key_id: bool(get_key_for_admin(request, key_id)))
def key_approve(request, key_id: str):
    key = get_key_for_admin(request, key_id)
    try:
        policy.apikey_approve(key=key, by=request.user, ip=client_ip(request))
    except policy.NotAllowed as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("The key %(key_id)s has been approved: the API accepts it now.") % {"key_id": key.key_id}
        )
    return redirect("apikeys:list")


@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required(when=lambda request, key_id: bool(get_key_for_admin(request, key_id)))
def key_reject(request, key_id: str):
    """«Reject» a key waiting for approval: a confirmation page with the key's facts that asks the
    reason, sent to the Admin user who made the key."""
    key = get_key_for_admin(request, key_id)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy.apikey_reject(key=key, by=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request))
        except policy.NotAllowed as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The key %(key_id)s has been rejected and deleted.") % {"key_id": key.key_id})
        return redirect("apikeys:list")
    if not key.is_pending_approval or not key.is_valid:
        messages.info(request, policy.MESSAGES["not_pending"])
        return redirect("apikeys:list")
    status = 400 if form.is_bound else 200
    return render(request, "apikeys/key_reject.html", {"key": key, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required(when=_widens_networks)
def key_networks(request, key_id: str):
    key = get_key_for_admin(request, key_id)
    if not key.is_valid:
        messages.info(request, _("The key %(key_id)s is no longer valid.") % {"key_id": key.key_id})
        return redirect("apikeys:list")
    form = KeyNetworksForm(request.POST or None, key=key)
    if request.method == "POST" and form.is_valid():
        change = policy.apikey_set_networks(
            key=key, by=request.user, allowed_networks=form.cleaned_data["allowed_networks"], ip=client_ip(request)
        )
        if change is None:
            messages.success(
                request, _("The allowed networks of %(key_id)s have been changed.") % {"key_id": key.key_id}
            )
        else:
            messages.info(
                request,
                _(
                    "Wider networks weaken the security policy: they take effect once another Admin user "
                    "approves them (within 7 days)."
                ),
            )
        return redirect("apikeys:list")
    status = 400 if form.is_bound else 200
    return render(request, "apikeys/key_networks.html", {"key": key, "form": form}, status=status)


@require_POST
@admin_required
def keys_suspend(request):
    organization = request.user.organization
    form = SuspendForm(request.POST)
    if form.is_valid():
        try:
            policy.apikeys_suspend(
                organization=organization, by=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
        except policy.NotAllowed as refused:
            messages.info(request, refused.message)
        else:
            messages.warning(request, _("All keys of your organization are suspended: the API refuses every one."))
        return redirect("apikeys:security_policy")
    return render(request, "apikeys/security_policy.html", _context(request, suspend_form=form), status=400)


@sensitive_post_parameters("password")
@require_POST
@admin_required
@step_up_required()
def keys_resume(request):
    organization = request.user.organization
    organization.refresh_from_db()
    form = ResumeForm(request.POST, organization=organization, user=request.user, request=request)
    if form.is_valid():
        try:
            policy.apikeys_resume(
                organization=organization,
                by=request.user,
                password_confirmed=form.needs_password,  # validated by the form
                ip=client_ip(request),
            )
        except policy.NotAllowed as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("The keys of your organization work again."))
        return redirect("apikeys:security_policy")
    return render(request, "apikeys/security_policy.html", _context(request, resume_form=form), status=400)
