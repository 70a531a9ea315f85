"""Organizations and users in the Django admin of the bank's support staff (mounted at /support/).

Support staff (the group of `users.services`) add and change organizations and customer users,
including the e-finance Admin flag. Who is staff or superuser, groups and permissions stay with the
superusers: for anyone else those fields are read-only, and the accounts of staff and superusers
can be viewed but not changed, so that no support user can give themselves or anyone else more rights.

Nobody at the bank sets, sees or chooses a customer's password: the change form has no password
field (only whether one is set), the password form (``<id>/password/``) refuses every customer user,
superusers included, and a user added here gets an unusable password and, once the addition takes
effect, a set-password link by e-mail; the action «Send a set-password link» sends a new one. Only a
superuser may set the password of a user of no organization (bank staff).

No single staff user makes a customer's login: a customer user added, the Admin flag granted and a
login e-mail address set here wait as a `BankChange` (listed under «Changes by the bank», with the
real name and address beside the user identification) for a second staff user's «Approve» and then,
where the organization has an active Admin user, for one of them to confirm it (`users.bank_changes`).

Technical users («ERP Abacus», created by a contract's Admin users) are listed with their
organization (filter «technical user»), never as staff: their address, Admin flag, organization and
rights are read-only, they get no link, and nobody here makes a person technical or back (the field
is fixed at creation; the database refuses the change, trigger `users_technical_user_fixed`).

Every save goes through `users.services.user_save_by_staff`: what changed for the customer (added,
Admin flag, deactivated, reactivated, moved, other details) and every link sent is announced to
`apikeys` (`users.signals`), which records it in the organization's «Activity», e-mails its Admin
users and, when the user was deactivated or moved out, deletes their valid API keys — all in the
transaction of the admin's save. No action of this admin updates users in bulk.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.models import FactorKind
from efinance.lib.admin import ReadOnlyAdmin
from efinance.lib.net import client_ip
from efinance.lib.when import moment
from users.bank_changes import Refused, bank_change_approve, bank_change_refuse, takes_effect_on_approval
from users.factors.models import Passkey, TOTPDevice
from users.factors.stepup import step_up_required
from users.forms import StaffUserAddForm, StaffUserChangeForm
from users.limits import lock_lift
from users.mail import NOTICES, notice_label
from users.models import BankChange, LoginLimit, Organization, OutboxMessage, User
from users.services import (
    SET_PASSWORD_LINK_HOLD,
    factor_reset_by_staff,
    may_get_set_password_link,
    organization_save_by_staff,
    send_set_password_link,
    set_password_link_held_until,
    user_save_by_staff,
    user_sessions_end,
)

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

    def save_model(self, request, obj, form, change):
        """Recorded on the organization's «Activity» and e-mailed to its Admin users (its name too)."""
        organization_save_by_staff(organization=obj, by=request.user, ip=client_ip(request))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        *["username", "first_name", "last_name", "organization", "is_org_admin", "is_technical", "is_staff"],
        "is_active",
    ]
    list_filter = ["is_org_admin", "is_technical", "is_staff", "is_active", "organization"]
    list_select_related = ["organization"]
    search_fields = ["username", "first_name", "last_name", "email", "organization__name"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("e-finance"), {"fields": ["organization", "is_org_admin", "is_technical", "description"]}),
        (_("Second factor"), {"fields": ["second_factor"]}),
    ]
    add_form = StaffUserAddForm
    add_form_template = None  # Django's speaks of a password to enter first
    form = StaffUserChangeForm
    add_fieldsets = [
        (None, {"fields": ["username", "first_name", "last_name", "email"]}),
        (_("e-finance"), {"fields": ["organization", "is_org_admin"]}),
    ]
    actions = ["send_set_password_link", "reset_second_factor", "log_out_everywhere"]

    @staticmethod
    def may_set_password(request, user) -> bool:
        """Only a superuser, and never for a customer's user: they set their own through the link."""
        return request.user.is_superuser and user.organization_id is None

    @admin.display(description=_("Password"))
    def password_state(self, user) -> str:
        if user.is_technical:
            return _("None: a technical user owns API keys of the contract and never logs in.")
        if user.has_usable_password():
            return _("Set by the user. Nobody at the bank can see it or set it.")
        return _("Not set yet. Send the user a set-password link (action «Send a set-password link»).")

    @admin.display(description=_("Second factor"))
    def second_factor(self, user) -> str:
        """Whether the user has a second factor, of which kind (a passkey with its name), since when and
        when last used: never its key, public key, recovery codes or anything else about it."""

        def when(value) -> str:
            return moment(value) or "—"

        factors = [
            _("%(kind)s since %(since)s, last used %(last)s")
            % {"kind": FactorKind.TOTP.label, "since": when(device.created_at), "last": when(device.last_used_at)}
            for device in TOTPDevice.objects.filter(user=user, confirmed=True)
        ] + [
            _("%(kind)s «%(name)s» since %(since)s, last used %(last)s")
            % {
                "kind": FactorKind.PASSKEY.label,
                "name": passkey.name,
                "since": when(passkey.created_at),
                "last": when(passkey.last_used_at),
            }
            for passkey in Passkey.objects.filter(user=user).order_by("created_at", "pk")
        ]
        if not factors:
            return _("None: must set up a new one at the next login") if user.must_enrol_factor else _("None")
        return "; ".join(factors)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        hidden = set() if request.user.is_superuser else {"user_permissions"}  # a superuser's business
        password = "password" if self.may_set_password(request, obj) else "password_state"
        return [
            (
                name,
                {
                    **options,
                    "fields": [password if f == "password" else f for f in options["fields"] if f not in hidden],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined", "password_state"]
        # The second factor is the user's own; technical is fixed at creation; the description is its Admin users'.
        readonly += ["second_factor", "is_technical", "description"]
        if not request.user.is_superuser or (obj is not None and obj.is_technical):
            readonly += [field for field in PRIVILEGE_FIELDS if field not in readonly]
        if obj is not None and obj.is_technical:
            # Never a person: no address (no link, no mail), never Admin, and it stays in its contract.
            readonly += ["email", "is_org_admin", "organization"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = UserChangeForm if self.may_set_password(request, obj) else StaffUserChangeForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.organization_required = not request.user.is_superuser
            return form
        keys = list(obj.api_keys.valid().order_by("key_id").values_list("key_id", flat=True))
        if keys and obj.organization_id is not None:
            warning = _(
                "Deactivating this user or moving them to another organization deletes their valid API keys "
                "for good: %(keys)s."
            ) % {"keys": ", ".join(keys)}
            for name in ("is_active", "organization"):
                if name in form.base_fields:
                    form.base_fields[name].help_text = f"{form.base_fields[name].help_text} {warning}".strip()
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        """The list; its action «Reset the second factor» only after a fresh proof of the staff user's own
        factor (`users.factors.stepup`), which carries the selection along."""
        view = step_up_required(when=lambda request, *args: request.POST.get("action") == "reset_second_factor")
        return view(super().changelist_view)(request, extra_context)

    def user_change_password(self, request, id, form_url=""):
        """Django's password form, for a superuser and a user of no organization only: 403 otherwise."""
        user = self.get_object(request, unquote(id))
        if user is not None and not self.may_set_password(request, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        """Saved by the service that announces the change (audit, e-mail, keys: `users.signals`), in
        the transaction of the admin's view; a new user gets their set-password link at once."""
        ip = client_ip(request)
        result = user_save_by_staff(user=obj, by=request.user, ip=ip)
        if result.deleted_keys:
            message = ngettext(
                "The user left: their valid API key %(keys)s was deleted for good.",
                "The user left: their %(count)d valid API keys %(keys)s were deleted for good.",
                len(result.deleted_keys),
            ) % {"count": len(result.deleted_keys), "keys": ", ".join(result.deleted_keys)}
            self.message_user(request, message, messages.WARNING)
        for held in result.held:
            message = _(
                "«%(change)s» of %(user)s waits for a second staff user of the bank (Changes by the bank) and, where "
                "the organization has an active Admin user, for their confirmation. Its Admin users were told."
            ) % {"change": held.get_kind_display(), "user": obj.username}
            self.message_user(request, message, messages.WARNING)
        if not change and obj.organization_id is None and may_get_set_password_link(obj):
            send_set_password_link(user=obj, by=request.user, ip=ip)  # bank staff, added by a superuser
            self._link_sent(request, [obj])

    def _link_sent(self, request, users) -> None:
        days = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))
        message = ngettext(
            "A set-password link was sent by e-mail to %(users)s. It works once and for %(days)d day.",
            "A set-password link was sent by e-mail to %(users)s. It works once and for %(days)d days.",
            days,
        ) % {"users": ", ".join(f"{user.username} <{user.email}>" for user in users), "days": days}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Send a set-password link"), permissions=["change"])
    def send_set_password_link(self, request, queryset):
        """E-mail each selected customer user a new set-password link (recorded and e-mailed to their
        organization's Admin users). Skipped: users support may not change, inactive users, users
        without an e-mail address, and (for anyone but a superuser) users of no organization."""
        sent, skipped, held = [], [], []
        with transaction.atomic():
            for user in queryset.select_related("organization").order_by("username"):
                allowed = self.has_change_permission(request, user) and (
                    request.user.is_superuser or user.organization_id is not None
                )
                # Held: a link would go, but for a recent change of the address by the bank.
                held_until = set_password_link_held_until(user) if allowed and user.is_active and user.email else None
                if allowed and may_get_set_password_link(user):
                    send_set_password_link(user=user, by=request.user, ip=client_ip(request))
                    sent.append(user)
                elif held_until is not None:
                    held.append((user, held_until))
                else:
                    skipped.append(user.username)
        if sent:
            self._link_sent(request, sent)
        for user, held_until in held:
            message = _(
                "No link for %(user)s before %(date)s: the bank changed the e-mail address less than %(days)s days "
                "ago, and the user has a password. Their organization's Admin users were told of the change."
            ) % {
                "user": user.username,
                "date": moment(held_until),
                "days": SET_PASSWORD_LINK_HOLD.days,
            }
            self.message_user(request, message, messages.WARNING)
        if skipped:
            message = ngettext(
                "No link for %(users)s: inactive, without an e-mail address, or not a customer's user.",
                "No link for %(users)s: inactive, without an e-mail address, or not customers' users.",
                len(skipped),
            ) % {"users": ", ".join(skipped)}
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Reset the second factor (lost phone)"), permissions=["change"])
    def reset_second_factor(self, request, queryset):
        """Delete each selected customer user's second factor and recovery codes: they set up a new one at
        the next login. Recorded on the organization's «Activity», e-mailed at once to its Admin users and
        to the user (`users.services.factor_reset_by_staff`). Skipped: users support may not change,
        users of no organization (the bank's staff) and users without a factor."""
        reset, skipped = [], []
        with transaction.atomic():
            for user in queryset.select_related("organization").order_by("username"):
                done = (
                    self.has_change_permission(request, user)
                    and user.organization_id is not None
                    and factor_reset_by_staff(user=user, by=request.user, ip=client_ip(request)) is not None
                )
                (reset if done else skipped).append(user.username)
        if reset:
            message = _(
                "Second factor reset for %(users)s: they set up a new one at their next login. Their organization's "
                "Admin users and they themselves were told by e-mail."
            ) % {"users": ", ".join(reset)}
            self.message_user(request, message, messages.SUCCESS)
        if skipped:
            message = _("No reset for %(users)s: no second factor, or not a customer's user you may change.") % {
                "users": ", ".join(skipped)
            }
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Log out everywhere"), permissions=["change"])
    def log_out_everywhere(self, request, queryset):
        """End every session of each selected user (`users.services.user_sessions_end`): a stolen cookie, a
        browser left signed in. Recorded on the organization's «Activity» as done by the bank, e-mailed to
        its Admin users and to the user. Skipped: users support may not change, technical users."""
        done, skipped = [], []
        with transaction.atomic():
            for user in queryset.order_by("username"):
                if self.has_change_permission(request, user) and not user.is_technical:
                    user_sessions_end(user=user, by=request.user, ip=client_ip(request))
                    done.append(user.username)
                else:
                    skipped.append(user.username)
        if done:
            message = _("Logged out everywhere: %(users)s. Each must log in again; they were told by e-mail.") % {
                "users": ", ".join(done)
            }
            self.message_user(request, message, messages.SUCCESS)
        if skipped:
            message = _("Not logged out: %(users)s (a technical user, or a user you may not change).") % {
                "users": ", ".join(skipped)
            }
            self.message_user(request, message, messages.WARNING)


@admin.register(BankChange)
class BankChangeAdmin(admin.ModelAdmin):
    """What one staff user asked for and a second must approve (`users.bank_changes`): a user added, the
    Admin flag granted, a login e-mail address changed. The real name and address stand beside the user
    identification, so that a look-alike is seen for what it is. Nothing here is edited: the actions
    approve (never one's own) or withdraw; the organization's Admin users confirm on their screens."""

    list_display = [
        *["user", "real_name", "email_display", "kind", "organization", "state"],
        *["requested_by", "requested_at", "approved_by", "decided_by", "after_approval"],
    ]
    list_filter = ["state", "kind"]
    list_select_related = ["user", "organization", "requested_by", "approved_by", "decided_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "email", "organization__name"]
    actions = ["approve", "withdraw"]

    def get_readonly_fields(self, request, obj=None):
        return [*(field.name for field in BankChange._meta.fields), "real_name", "email_display", "after_approval"]

    @admin.display(description=_("Name"))
    def real_name(self, change: BankChange) -> str:
        return change.user.get_full_name() or "—"

    @admin.display(description=_("After a second approval"))
    def after_approval(self, change: BankChange) -> str:
        """What a second staff user's approval leads to: a contract with no active Admin user has nobody to
        confirm it, so that approval alone makes it take effect (onboarding); the approver should know."""
        if change.state != BankChange.State.BANK:
            return "—"
        if change.kind in BankChange.BANK_ONLY:
            return _("Takes effect at once: the organization's last Admin user loses their rights")
        if takes_effect_on_approval(change):
            return _("Takes effect at once: the organization has no active Admin user (onboarding)")
        if User.objects.active_admins(change.organization_id).exists():
            return _("Waits for an Admin user of the organization")
        return _(
            "Waits for an Admin user of the organization, which had some and has none now: reactivate one of its "
            "former Admin users first (with a second staff user), who then confirms it"
        )

    @admin.display(description=_("E-mail address"))
    def email_display(self, change: BankChange) -> str:
        return change.email or change.user.email or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        """The list's actions need it; a change itself is only viewed, never edited."""
        return obj is None and super().has_change_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        """The list; its approval only after a fresh proof of the staff user's own factor."""
        view = step_up_required(when=lambda request, *args: request.POST.get("action") == "approve")
        return view(super().changelist_view)(request, extra_context)

    def _decide(self, request, queryset, decide, done_message: str) -> None:
        done = []
        with transaction.atomic():
            for change in queryset.select_related("user").order_by("pk"):
                try:
                    decide(change=change, by=request.user, ip=client_ip(request))
                except Refused as refused:
                    self.message_user(request, f"{change.user.username}: {refused.message}", messages.ERROR)
                else:
                    done.append(change.user.username)
        if done:
            self.message_user(request, done_message % {"users": ", ".join(done)}, messages.SUCCESS)

    @admin.action(description=_("Approve (as the second staff user)"), permissions=["change"])
    def approve(self, request, queryset):
        message = _(
            "Approved for %(users)s: each now waits for an Admin user of the organization, or is in effect when the "
            "organization has none."
        )
        self._decide(request, queryset, bank_change_approve, message)

    @admin.action(description=_("Withdraw"), permissions=["change"])
    def withdraw(self, request, queryset):
        self._decide(request, queryset, bank_change_refuse, _("Withdrawn for %(users)s: nothing takes effect."))


class NoticeFilter(admin.SimpleListFilter):
    """Which notice: by its name in words (`users.mail.NOTICES`), not by its template's."""

    title = _("notice")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(((kind, notice_label(kind)) for kind in NOTICES), key=lambda pair: pair[1].casefold())

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class DeliveryFilter(admin.SimpleListFilter):
    """Where a message stands: waiting for the outbox's runner, sent, or failed at least once and not sent."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("pending", _("waiting")), ("sent", _("sent")), ("failed", _("failed, not sent yet"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(sent_at__isnull=True).exclude(last_error="")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The e-mail outbox (`users.mail`), read-only, for «did the customer get the notice?»: to whom, which
    notice, when it was queued and sent, the last error. Never a message's text: the text of a
    set-password link holds the link until it is sent, and nothing else here needs a body."""

    # What «did they get it?» needs first, on a laptop's width beside the admin's menu.
    list_display = [
        "queued_display",
        "kind_display",
        "recipient_display",
        "sent_at",
        "last_error",
        "to",
        "organization_display",
        "attempts",
    ]
    list_display_links = ["queued_display"]
    list_filter = [DeliveryFilter, NoticeFilter]
    list_select_related = ["recipient__organization"]
    list_per_page = 50
    show_full_result_count = False  # the outbox only grows: no count of all of it on every page
    ordering = ["-pk"]
    search_fields = ["to", "recipient__username", "recipient__organization__name", "subject"]
    search_help_text = _("Address, user identification, organization or subject (which names the key ID).")
    fields = ["kind_display", "to", "recipient", "subject", "created_at", "sent_at", "attempts", "last_error"]
    readonly_fields = fields

    @admin.display(description=_("notice"), ordering="kind")
    def kind_display(self, message: OutboxMessage) -> str:
        return notice_label(message.kind)

    @admin.display(description=_("queued"), ordering="created_at")
    def queued_display(self, message: OutboxMessage) -> str:
        return moment(message.created_at)

    @admin.display(description=_("recipient"), ordering="recipient__username")
    def recipient_display(self, message: OutboxMessage) -> str:
        return message.recipient.username if message.recipient else "—"

    @admin.display(description=_("organization"), ordering="recipient__organization__name")
    def organization_display(self, message: OutboxMessage) -> str:
        organization = message.recipient.organization if message.recipient else None
        return organization.name if organization else "—"


@admin.register(LoginLimit)
class LoginLimitAdmin(ReadOnlyAdmin):
    """The per-account login limit (`users.limits`), for «why can they not log in?»: the failures counted
    against each account and since when it is locked. Support may lift a lock (after a fresh proof of
    their own factor, recorded on the organization's «Activity» as bank support's): the user then logs in
    with the password and the second factor as before. The link that the user got is never shown."""

    list_display = ["user", "organization_display", "failures", "last_attempt_at", "locked_at"]
    list_filter = [("locked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user__organization"]
    ordering = ["-locked_at", "-last_attempt_at"]
    search_fields = ["user__username", "user__organization__name"]
    fields = ["user", "failures", "last_attempt_at", "locked_at"]
    readonly_fields = fields
    actions = ["lift_lock"]

    @admin.display(description=_("organization"), ordering="user__organization__name")
    def organization_display(self, limit: LoginLimit) -> str:
        return limit.user.organization.name if limit.user.organization else "—"

    def has_lift_permission(self, request) -> bool:
        return request.user.has_perm("users.change_loginlimit")

    def changelist_view(self, request, extra_context=None):
        """The list; lifting a lock only after a fresh proof of the staff user's own factor."""
        view = step_up_required(when=lambda request, *args: request.POST.get("action") == "lift_lock")
        return view(super().changelist_view)(request, extra_context)

    @admin.action(description=_("Lift the login lock"), permissions=["lift"])
    def lift_lock(self, request, queryset):
        lifted = []
        with transaction.atomic():
            for limit in queryset.select_related("user").order_by("user__username"):
                if lock_lift(user=limit.user, by=request.user, ip=client_ip(request)):
                    lifted.append(limit.user.username)
        if lifted:
            message = _("Login unlocked for %(users)s: they log in with their password and second factor.") % {
                "users": ", ".join(lifted)
            }
            self.message_user(request, message, messages.SUCCESS)
        else:
            self.message_user(request, _("None of them was locked."), messages.WARNING)
