import datetime

from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apikeys import bank_changes, keypage, leavers, report, services, tokens, usage
from apikeys.access import admin_required, get_key_for_admin
from apikeys.activity import record_report_downloaded
from apikeys.attention import Listed, attention_of
from apikeys.forms import ActivityFilterForm, ApiKeyCreateForm, ApiKeyReplaceForm, KeyFilterForm, new_form_nonce
from apikeys.models import ENDED_ORDER, Api, ApiKey, KeyRefusal, PolicyChange, Status, expires_soon_q
from audit.models import AuditEvent
from audit.pages import Position, log_page
from efinance.lib.counting import CappedCount, MoreThan, capped, counts_capped
from efinance.lib.net import client_ip
from users.bank_changes import Refused, onboarded_admin_confirm
from users.factors.services import ResetRefused, factor_reset_by_admin, has_factor_q
from users.factors.stepup import step_up_required
from users.limits import lock_lift
from users.models import BankChange, LoginLimit, User

PAGE_SIZE = 50
# A page number beyond the cap that no list reaches (a row's position past every 64-bit offset).
MAX_PAGE_BEYOND_CAP = 2**62 // PAGE_SIZE
# The columns of a row of the key tables (`{% key_rows %}`), read without a join: the names of a row's
# users (with the search form's users) and the key IDs of its predecessor and successor come from two
# small queries for the whole page (`_name_rows`). On PostgreSQL a join per relation made the planner
# search the orders of seven tables on every request (3.5 ms of planning against 0.3 ms of execution,
# EXPLAIN ANALYZE at 10,000 keys); related objects and a prefetch cost more in Python than the rest of
# the page.
KEY_ROW_FIELDS = [
    *["key_id", "api", "note", "created_at", "created_by", "valid_until", "last_used_at", "organization", "user"],
    *["revoked_at", "revoked_by", "revoke_reason", "allowed_networks", "approval_requested_at", "approved_at"],
    *["ends_at", "replaces", "scopes"],
]


def _name_rows(organization_id: int, valid_page, ended_page) -> list[tuple[int, str]]:
    """Give each key of both pages what its row shows of other rows: `user_name`, `creator_name`,
    `creator_left` (no longer an active Admin user here), `revoker_name` and `revoked_by_support` (a
    staff user of no organization), `predecessor_key_id`, `successor_key_id` (the successor not
    deleted, None when there is none) with `successor_waits`
    (for approval) and `successor_overlap`, and `cancelled_successor` ((key ID, revoke reason, when)
    of the latest successor rejected, lapsed or deleted, when there is no other); answer the
    organization's users by name, the choices of the search form's user select.

    At most two queries whatever the number of rows: the users (the organization's, and those of the
    rows who have left it or are the bank's staff) and the keys before and after, none when no key on
    the page is valid, replaces another or has been replaced."""
    keys = [*valid_page, *ended_page]
    user_ids = {key.user_id for key in keys} | {key.created_by_id for key in keys}
    user_ids |= {key.revoked_by_id for key in keys if key.revoked_by_id}
    people = (
        User.objects.filter(Q(organization_id=organization_id) | Q(pk__in=user_ids))
        .order_by("username")
        .values_list("pk", "username", "is_staff", "organization", "is_active", "is_org_admin")
    )
    users, members, admins = {}, [], set()
    for pk, username, is_staff, user_organization_id, is_active, is_org_admin in people:
        users[pk] = (username, is_staff and user_organization_id is None)
        if is_active and is_org_admin and user_organization_id == organization_id:
            admins.add(pk)
        if user_organization_id == organization_id:
            members.append((pk, username))
    # Successors of the valid keys (one may wait for approval, or have been rejected, lapsed or deleted,
    # while its predecessor works on) and of the replaced ones; predecessors of those that replace one.
    predecessors = {key.replaces_id for key in keys if key.replaces_id}
    replaced = {key.pk for key in valid_page} | {key.pk for key in keys if key.ends_at}
    related = ApiKey.objects.filter(Q(pk__in=predecessors) | Q(replaces__in=replaced)).values_list(
        "pk",
        "key_id",
        "replaces",
        "revoked_at",
        "revoke_reason",
        "approval_requested_at",
        "approved_at",
        "replaces_overlap",
    )
    key_ids, successors, cancelled = {}, {}, {}
    for pk, key_id, replaces_id, revoked_at, reason, requested_at, approved_at, overlap in (
        related if predecessors or replaced else ()
    ):
        key_ids[pk] = key_id
        if replaces_id and revoked_at is None:
            successors[replaces_id] = (key_id, requested_at is not None and approved_at is None, overlap)
        elif replaces_id and (replaces_id not in cancelled or cancelled[replaces_id][2] < revoked_at):
            cancelled[replaces_id] = (key_id, reason, revoked_at)
    for key in keys:
        key.user_name, key.creator_name = users[key.user_id][0], users[key.created_by_id][0]
        key.creator_left = key.created_by_id not in admins  # shown on a row that waits for approval
        key.revoker_name, key.revoked_by_support = users.get(key.revoked_by_id, (None, False))
        key.predecessor_key_id = key_ids.get(key.replaces_id)
        key.successor_key_id, key.successor_waits, key.successor_overlap = successors.get(key.pk, (None, False, None))
        # The latest successor that was rejected, lapsed or deleted, of a key that has no other.
        key.cancelled_successor = cancelled.get(key.pk) if key.pk not in successors else None
    return members


class CountedPaginator(Paginator):
    """A `Paginator` told how many objects there are (`efinance.lib.counting.capped`), instead of
    counting them itself. Beyond the cap it knows no last page: a page then reads one row more than
    it shows, to know whether another follows, and says «Page N» without the number of pages."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.capped = isinstance(count, MoreThan)
        if not self.capped:
            self.__dict__["count"] = count  # Paginator.count is a cached_property: this is its value

    def page(self, number):
        if not self.capped or "count" in self.__dict__:
            return super().page(number)
        number = self.validate_number_beyond_cap(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("no rows on this page")  # get_page then shows the last page (counted)
        self.__dict__["count"] = bottom + len(rows)  # as far as this page knows: one more row, a next page
        return Page(rows[: self.per_page], number, self)

    def validate_number_beyond_cap(self, number) -> int:
        """`Paginator.validate_number` without the last page: a whole number from 1, within reach."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("not a page number") from None
        if number < 1 or number > MAX_PAGE_BEYOND_CAP:
            raise EmptyPage("no such page")
        return number


def _key_table_labels() -> dict[str, str]:
    """The words of the two key tables, translated once per page: the column headers, the same
    names again in each cell for the phone's cards (data-label), the buttons and the badges.

    A `{% translate %}` per cell cost more than the rest of the row (cProfile of the key list at
    10,000 keys: 1,470 translations a page of 100 rows); a row now reads these strings.
    """
    return {
        "key": _("Key"),
        "user": _("User"),
        "api": _("API"),
        "expires": _("Expires"),
        "last_used": _("Last used"),
        # «Last used» shortened, before the moment on a phone's card: «used today 17:41».
        "used": pgettext("a key, on a phone", "used"),
        "actions": _("Actions"),
        "status": _("Status"),
        "ended_on": _("Expired or deleted on"),
        "deleted_by": _("Deleted by"),
        "production": _("Production"),
        "test": _("Test"),
        "never": _("never"),
        "no_note": _("(no note)"),
        "details": _("Details"),
        "replace": _("Replace"),
        "edit_networks": _("Networks"),
        "delete": _("Delete"),
        "suspended": _("Suspended"),
        "pending_approval": _("Pending approval"),
        "rejected": _("rejected"),
        "not_approved_in_time": _("not approved in time"),
        "requester_left": _("not approved: the requester left"),
        "bank_support": _("bank support"),
        "reported_exposed": _("reported as exposed"),
    }


@require_GET
@admin_required
def administration(request):
    return render(request, "apikeys/administration.html", {"attention": attention_of(request.user, rows=False)})


@require_GET
@never_cache
def overview(request):
    """The first page after the login: for an Admin user, with the bands of what waits for them."""
    user = request.user
    attention = attention_of(user, rows=False) if user.is_admin_of_organization else None
    return render(request, "apikeys/overview.html", {"attention": attention})


@require_GET
@admin_required
def user_management(request):
    today = timezone.localdate()
    members = request.user.organization.users.order_by("username")
    # Each count stops after `COUNT_CAP` + 1 of the user's keys, read from apikey_user_status alone.
    keys = ApiKey.objects.filter(user=OuterRef("pk")).valid(today)
    users = members.annotate(
        valid_keys=CappedCount(keys),
        expiring_keys=CappedCount(keys.filter(expires_soon_q(today))),
        has_factor=has_factor_q(),
        waits=Exists(BankChange.objects.filter(user=OuterRef("pk"), state__in=BankChange.OPEN)),
        login_locked=Exists(LoginLimit.objects.filter(user=OuterRef("pk"), locked_at__isnull=False)),
    )
    # The people counted without their keys.
    page = CountedPaginator(users.people(), PAGE_SIZE, members.people().count()).get_page(request.GET.get("page"))
    # The contract's technical users, apart from the people: a few, on every page.
    technical = list(users.technical().order_by("-is_active", "first_name", "username"))
    page.object_list = list(page.object_list)
    for member in [*page.object_list, *technical]:
        member.valid_keys, member.expiring_keys = capped(member.valid_keys), capped(member.expiring_keys)
    [valid_total] = counts_capped(ApiKey.objects.of_organization(request.user.organization_id).valid(today))
    context = {
        "page": page,
        "technical_users": technical,
        "valid_total": valid_total,
        "bank_changes": list(bank_changes.open_changes(request.user.organization_id)),
        "may_confirm_admins": request.user.may_decide_four_eyes(request.user.organization_id),
    }
    return render(request, "apikeys/user_management.html", context)


def _get_user_for_admin(request, user_id: int) -> User:
    """A user of the Admin user's organization; 404 for any other, whether they exist or not."""
    try:
        return User.objects.get(pk=user_id, organization_id=request.user.organization_id)
    except User.DoesNotExist:
        raise Http404(_("No such user.")) from None


@require_POST
@admin_required
@step_up_required(when=lambda request, user_id: bool(_get_user_for_admin(request, user_id)))
def onboarded_admin_confirm_view(request, user_id: int):
    """Confirm an Admin user the bank made alone (onboarding): they then decide four-eyes requests too."""
    user = _get_user_for_admin(request, user_id)
    try:
        onboarded_admin_confirm(user=user, by=request.user, ip=client_ip(request))
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Confirmed: %(user)s now decides requests that wait for a second Admin user.") % {"user": user.username},
        )
    return redirect("apikeys:user_management")


@require_POST
@admin_required
@step_up_required(when=lambda request, user_id: bool(_get_user_for_admin(request, user_id)))
def factor_reset(request, user_id: int):
    """Reset another user's second factor (a lost phone): they set up a new one at the next login."""
    user = _get_user_for_admin(request, user_id)
    try:
        factor_reset_by_admin(user=user, by=request.user, ip=client_ip(request))
    except ResetRefused:
        if user.pk == request.user.pk:
            messages.error(
                request,
                _("You cannot reset your own second factor: use a recovery code, or ask another Admin user."),
            )
        else:
            messages.info(request, _("%(user)s has no second factor to reset.") % {"user": user.username})
    else:
        messages.success(
            request,
            _(
                "The second factor of %(user)s has been reset: they set up a new one at their next login. Every "
                "Admin user and %(user)s were told by e-mail."
            )
            % {"user": user.username},
        )
    return redirect("apikeys:user_management")


@require_POST
@admin_required
@step_up_required(when=lambda request, user_id: bool(_get_user_for_admin(request, user_id)))
def user_unlock(request, user_id: int):
    """Lift a user's login lock (too many failed logins, `users.limits`): they log in afresh, with
    their password and their second factor."""
    user = _get_user_for_admin(request, user_id)
    if lock_lift(user=user, by=request.user, ip=client_ip(request)):
        messages.success(
            request,
            _("The login of %(user)s is unlocked: they log in with their password and second factor as before.")
            % {"user": user.username},
        )
    else:
        messages.info(request, _("The login of %(user)s is not locked.") % {"user": user.username})
    return redirect("apikeys:user_management")


#: How long after its creation a key's «created» message may still be shown by ?created=<key ID>.
CREATED_MESSAGE_WINDOW = datetime.timedelta(hours=1)


@require_GET
@admin_required
def key_list(request):
    """Both lists, narrowed by the search form (GET: the filters stay in the page links).

    ``?created=<key ID>`` (the «Close» of the token screen) says the key was created;
    ``?shown=<key ID>`` (where a reload of the token screen lands) says that its token was shown once
    only; both then redirect to the list with the key's row as the fragment. Only for a key of this
    organization created by this Admin within the hour; any other value is ignored.
    """
    # One moment for the whole page: the tables' filters and every row's status and «expires soon».
    now = timezone.now()
    today = timezone.localdate(now, timezone.get_default_timezone())
    organization = request.user.organization
    form = KeyFilterForm(request.GET or None, organization=organization)
    keys = form.filter(ApiKey.objects.of_organization(organization.pk))
    # Both tables' counts in one query, each stopped after `COUNT_CAP` + 1 rows (read from the index
    # apikey_org_status alone): beyond it the page says «more than 1,000», at any size of the contract.
    valid_count, ended_count = counts_capped(keys.valid(today, now=now), keys.ended(today, now=now))
    counts = {"valid": valid_count, "ended": ended_count}
    rows = keys.only(*KEY_ROW_FIELDS)
    valid_keys, ended_keys = rows.valid(today, now=now), rows.ended(today, now=now).order_by(*ENDED_ORDER)
    valid = CountedPaginator(valid_keys, PAGE_SIZE, counts["valid"]).get_page(request.GET.get("page"))
    ended = CountedPaginator(ended_keys, PAGE_SIZE, counts["ended"]).get_page(request.GET.get("ended_page"))
    filters = urlencode(form.active) if form.is_bound else ""
    extra = f"&{filters}" if filters else ""
    # Each table's page links keep the other table on the page it shows, and the search.
    keep = {"valid": f"&ended_page={ended.number}{extra}", "ended": f"&page={valid.number}{extra}"}
    created = _recent_key_of(request, request.GET.get("created", ""))
    shown = _recent_key_of(request, request.GET.get("shown", ""))
    if created:
        messages.success(
            request,
            _("The key %(key_id)s has been created for %(user)s. Its token cannot be shown again.")
            % {"key_id": created.key_id, "user": created.user.username},
        )
    elif shown:
        messages.warning(
            request,
            _(
                "The token of the key %(key_id)s was shown once only and cannot be shown again. If you did not "
                "copy it, delete the key and create a new one."
            )
            % {"key_id": shown.key_id},
        )
    if created or shown:
        # The message once, and the list's own address with the new key's row as the target (marked
        # by :target in the CSS): a reload shows the list, not the message again.
        return redirect(f"{reverse('apikeys:list')}#key-{(created or shown).key_id}")
    # The two pages' rows, with what they show of other rows (read only for a page that is shown, not
    # for the redirect above).
    valid.object_list, ended.object_list = list(valid.object_list), list(ended.object_list)
    form.offer_users(_name_rows(organization.pk, valid, ended))
    # The contract's security policy: wider networks of a key waiting for a second Admin user. Their
    # keys and requesters only when there are any (rare), not joined into every page's query.
    open_changes = list(PolicyChange.objects.open(now).filter(organization_id=organization.pk, key__isnull=False))
    prefetch_related_objects(open_changes, "key", "requested_by")
    context = {
        # Not while searching: the block is about the whole contract, the search narrows the tables.
        "attention": None if filters else attention_of(request.user, today=today, now=now),
        "valid": valid,
        "ended": ended,
        "ended_count": counts["ended"],
        "keep": keep,
        "form": form,
        "filtered": bool(filters),
        # Nothing at all yet: one explanation and one button instead of the tables and the search.
        "any_keys": bool(filters) or counts["valid"] + counts["ended"] > 0,
        # The expired and deleted keys fold away unless asked for: their page, or a search.
        "ended_open": bool(filters) or "ended_page" in request.GET,
        "open_changes": open_changes,
        # Valid keys whose creator has left (and saw their tokens): the band, until each is replaced.
        "tokens_seen": Listed(*leavers.tokens_seen_by_leavers(organization.pk)),
        "labels": _key_table_labels(),
        "suspended": organization.keys_suspended_at is not None,
        "today": today,
        "now": now,
    }
    return render(request, "apikeys/key_list.html", context)


def _recent_key_of(request, key_id: str) -> ApiKey | None:
    """The key `key_id` if this Admin created it in their organization within the hour, else None."""
    if not key_id or not tokens.KEY_ID_RE.fullmatch(key_id):
        return None
    since = timezone.now() - CREATED_MESSAGE_WINDOW
    return (
        ApiKey.objects.select_related("user")
        .filter(
            key_id=key_id,
            organization_id=request.user.organization_id,
            created_by=request.user,
            created_at__gte=since,
        )
        .first()
    )


@never_cache
@sensitive_variables()  # every local of this view and of what it calls: the token passes through them
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required(when=lambda request: request.POST.get("api") == Api.PRODUCTION)
def key_create(request):
    """The creation form; its POST answers with the one and only screen that shows the token.

    The token lives only in this response (no-store): not in the database, the session or a
    message. The form's single-use nonce makes a replayed or double-clicked Create create nothing.
    """
    organization = request.user.organization
    # «Create a key» of a technical user's row preselects it (any other value selects nobody).
    initial = {"user": request.GET.get("user", "")}
    form = ApiKeyCreateForm(request.POST or None, organization=organization, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            key, token = services.apikey_create(
                user=form.cleaned_data["user"],
                api=form.cleaned_data["api"],
                note=form.cleaned_data["note"],
                valid_until=form.cleaned_data["valid_until"],
                created_by=request.user,
                form_nonce=form.nonce_key,
                ip=client_ip(request),
                allowed_networks=form.cleaned_data["allowed_networks"],
                scopes=form.cleaned_data["scopes"],
            )
        except services.NonceAlreadyUsed as used:
            messages.warning(
                request,
                _(
                    "This form was already submitted: the key %(key_id)s exists and its token was shown once. "
                    "It cannot be shown again; if needed, delete the key and create a new one."
                )
                % {"key_id": used.key.key_id if used.key else "?"},
            )
            return redirect("apikeys:list")
        response = render(request, "apikeys/key_created.html", {"key": key, "token": token, "replaced": None})
        return response
    if form.is_bound:
        form.data = form.data.copy()
        form.data["nonce"] = new_form_nonce(request.user)
    return render(request, "apikeys/key_create.html", {"form": form}, status=400 if form.is_bound else 200)


@never_cache
@sensitive_variables()  # the new token passes through the locals, as in key_create
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@admin_required
@step_up_required(when=lambda request, key_id: get_key_for_admin(request, key_id).api == Api.PRODUCTION)
def key_replace(request, key_id: str):
    """«Replace» (roll) a valid key: a new key for the same user, API and note, shown once on the
    creation's token screen, while the old key works on until the chosen end of the overlap."""
    key = get_key_for_admin(request, key_id)
    if not key.is_valid or key.ends_at is not None or not key.user.is_active or key.successor() is not None:
        messages.info(
            request,
            _("The key %(key_id)s cannot be replaced: it is no longer valid or already replaced.")
            % {"key_id": key.key_id},
        )
        return redirect("apikeys:list")
    form = ApiKeyReplaceForm(request.POST or None, key=key, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            new, token = services.apikey_replace(
                key=key,
                valid_until=form.cleaned_data["valid_until"],
                overlap=form.overlap,
                scopes=form.cleaned_data["scopes"],
                by=request.user,
                form_nonce=form.nonce_key,
                ip=client_ip(request),
            )
        except services.OverlapNeedsTime as error:  # four-eyes was turned on since the form was shown
            form.add_error("old_key_ends", error)
        except (services.NonceAlreadyUsed, services.KeyNotValid):
            # A replayed form, or another Admin was quicker (a concurrent replacement or deletion).
            successor = key.successor()
            if successor is not None:
                message = _(
                    "The key %(key_id)s has already been replaced by %(new_key_id)s; its token was shown once. "
                    "It cannot be shown again; if needed, delete the key and create a new one."
                ) % {"key_id": key.key_id, "new_key_id": successor.key_id}
            else:
                message = _("The key %(key_id)s cannot be replaced: it is no longer valid or already replaced.") % {
                    "key_id": key.key_id
                }
            messages.warning(request, message)
            return redirect("apikeys:list")
        else:
            return render(request, "apikeys/key_created.html", {"key": new, "token": token, "replaced": key})
    if form.is_bound:
        form.data = form.data.copy()
        form.data["nonce"] = new_form_nonce(request.user)
    return render(request, "apikeys/key_replace.html", {"form": form, "key": key}, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@admin_required
def key_delete(request, key_id: str):
    key = get_key_for_admin(request, key_id)
    if not key.is_valid:
        messages.info(
            request, _("The key %(key_id)s is no longer valid; it cannot be deleted.") % {"key_id": key.key_id}
        )
        return redirect("apikeys:list")
    if request.method == "POST":
        try:
            services.apikey_revoke(key=key, by=request.user, ip=client_ip(request))
        except services.KeyNotValid:
            messages.info(request, _("The key %(key_id)s is no longer valid.") % {"key_id": key.key_id})
        else:
            messages.success(
                request, _("The key %(key_id)s has been deleted. It cannot be reactivated.") % {"key_id": key.key_id}
            )
        return redirect("apikeys:list")
    return render(request, "apikeys/key_delete.html", {"key": key, "released": _released_by_deleting(key)})


#: «Delete selected» takes at most the keys of one page of the list.
MAX_SELECTED = PAGE_SIZE


@require_POST
@admin_required
def key_bulk_delete(request):
    """«Delete selected» on the key list: a confirmation page that names every chosen key (production
    keys apart) and what deleting them changes for other keys; its confirmation deletes them all in one
    transaction. A key ID that is not of this organization answers 404, and changes nothing."""
    chosen = list(dict.fromkeys(request.POST.getlist("key")))
    if not chosen:
        messages.info(request, _("Select the keys to delete first."))
        return redirect("apikeys:list")
    if len(chosen) > MAX_SELECTED:
        messages.error(request, _("Select at most %(count)d keys at once.") % {"count": MAX_SELECTED})
        return redirect("apikeys:list")
    organization_id = request.user.organization_id
    keys = list(
        ApiKey.objects.of_organization(organization_id)
        .filter(key_id__in=chosen)
        .select_related("user", "replaces")
        .order_by("key_id")
    )
    if len(keys) != len(chosen):
        raise Http404("a key of another organization, or none")
    if request.POST.get("confirm") == "1":
        deleted = services.apikeys_delete(
            organization_id=organization_id, key_ids=chosen, by=request.user, ip=client_ip(request)
        )
        if deleted:
            messages.success(
                request,
                ngettext(
                    "%(count)d key has been deleted: %(key_ids)s. It cannot be reactivated.",
                    "%(count)d keys have been deleted: %(key_ids)s. They cannot be reactivated.",
                    len(deleted),
                )
                % {"count": len(deleted), "key_ids": ", ".join(key.key_id for key in deleted)},
            )
        else:
            messages.info(request, _("None of the selected keys was still valid: nothing has been deleted."))
        return redirect("apikeys:list")
    valid = [key for key in keys if key.is_valid]
    selected = {key.key_id for key in valid}
    released = [
        (key, old) for key in valid if (old := _released_by_deleting(key)) is not None and old.key_id not in selected
    ]
    context = {
        "production": [key for key in valid if key.api == Api.PRODUCTION],
        "integration": [key for key in valid if key.api != Api.PRODUCTION],
        "ended": [key for key in keys if not key.is_valid],
        "released": released,
        "chosen": [key.key_id for key in valid],
    }
    return render(request, "apikeys/key_bulk_delete.html", context)


def _released_by_deleting(key: ApiKey) -> ApiKey | None:
    """The other key whose working life deleting `key` changes: the key it replaces, whose end (set,
    or to follow this key's approval) has not come; it then works on to its own end of validity."""
    old = key.replaces
    if old is None or not old.is_valid or (old.ends_at is not None and old.ends_at <= timezone.now()):
        return None
    return old


@require_GET
@admin_required
def activity(request):
    """The audit log of the Admin's organization, newest first, 50 entries a page, paged by position
    («Newer», «Older»: `audit.pages`) so that a page costs the same at any depth of a log of millions;
    the filters are kept in the links. One query whatever the page holds; with a user filter (or a
    group of actions) one per side that reads positions only, and one for the page's entries."""
    form = ActivityFilterForm(request.GET or None, organization=request.user.organization)
    entries = AuditEvent.objects.of_organization(request.user.organization_id).select_related("actor", "subject")
    before, after = Position.parse(request.GET.get("before")), Position.parse(request.GET.get("after"))
    page = log_page(form.sources(entries), before=before, after=after, entries=entries)
    filters = {name: value for name, value in request.GET.items() if name in form.fields and value}
    keep = f"&{urlencode(filters)}" if filters else ""
    context = {
        "form": form,
        "page": page,
        "keep": keep,
        "paged": bool(before or after),
        "filters": filters,
        "presets": _activity_presets(filters),
    }
    return render(request, "apikeys/activity.html", context)


def _activity_presets(filters: dict) -> list[dict]:
    """«Today», «Last 7 days», «Last 30 days»: the range of days in Swiss time, the other filters kept;
    `current` marks the one the page shows."""
    today = timezone.localdate()
    presets = []
    for label, days in ((_("Today"), 1), (_("Last 7 days"), 7), (_("Last 30 days"), 30)):
        since, until = (today - datetime.timedelta(days=days - 1)).strftime("%d.%m.%Y"), today.strftime("%d.%m.%Y")
        query = urlencode({**filters, "since": since, "until": until})
        current = (filters.get("since"), filters.get("until")) == (since, until)
        presets.append({"label": label, "query": query, "current": current})
    return presets


@require_GET
@admin_required
def key_detail(request, key_id: str):
    """Everything about one key: its state, facts, last use, refusals, networks, timeline and usage."""
    key = get_key_for_admin(request, key_id)
    now = timezone.now()
    try:
        period = int(request.GET.get("days", usage.DEFAULT_PERIOD))
    except ValueError:
        period = usage.DEFAULT_PERIOD
    if period not in usage.PERIODS:
        period = usage.DEFAULT_PERIOD
    figures = usage.usage_of(key.pk, period, now)
    chart_title = _("Requests per day, last %(days)d days") % {"days": period}
    context = {
        "key": key,
        "pill": keypage.status_pill(key, request.user.organization.keys_suspended, now),
        "approved_by": key.approved_by if key.approved_by_id else None,
        "predecessor": key.replaces,
        "successor": key.replacements.first(),
        "days_left": key.days_left,
        "failures": usage.failures_last_day(key.pk, now),
        "your_address": client_ip(request),
        "timeline": keypage.timeline(key),
        "period": period,
        "periods": usage.PERIODS,
        "usage": figures,
        "chart": usage.chart_svg(figures, chart_title),
        "chart_title": chart_title,
        "refusals": [(refusal, usage.reason_label(refusal.reason)) for refusal in KeyRefusal.objects.last_of(key.pk)],
        "is_valid": key.status_at(now=now) == Status.VALID,
    }
    if key.is_pending_approval and key.revoked_at is None:
        # Approve / Reject on the key's own page too, as in «Needs attention»; not once its requester left
        # (no longer an active Admin user of this organization: the key list's `creator_left`).
        admins = User.objects.active_admins(key.organization_id)
        context["requester_left"] = not admins.filter(pk=key.created_by_id).exists()
    return render(request, "apikeys/key_detail.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def credential_report(request):
    """«Download credential report»: every key of the contract, valid and ended, as CSV or JSON in a zip
    with its Ed25519 signature (`apikeys.report`); each download is on «Activity»."""
    fmt = request.POST.get("format") if request.method == "POST" else None
    if fmt not in report.FORMATS:
        status = 400 if request.method == "POST" else 200
        return render(request, "apikeys/credential_report.html", {"formats": report.FORMATS}, status=status)
    organization = request.user.organization
    written = report.write_report(organization, fmt)
    record_report_downloaded(
        by=request.user, organization_id=organization.pk, name=written.name, rows=written.rows, ip=client_ip(request)
    )
    response = StreamingHttpResponse(written.zip_chunks(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{written.zip_name()}"'
    return response
