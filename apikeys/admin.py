"""The Django admin of the bank's support staff for API keys (mounted at /support/).

Support staff find a key by its ID, its user or its organization, read its history, and revoke a
valid key with a reason. A key is never created, edited or deleted here: one created here would show
its secret to the bank, its fields are immutable (the database refuses it too, `0002_final_states_guard`), and a
deleted key is final. The stored hash of the secret and the creation form's single-use value are never
shown, searched or filterable: not even a ``?secret_hash__startswith=`` query string may reach them.

Revoking needs the ``apikeys.change_apikey`` permission (the support group has it); "change" of a key
means nothing else, every field stays read-only for everyone, superusers included.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from apikeys import keypage, usage
from apikeys.models import ApiKey, KeyRefusal, PolicyChange, SecurityPolicy, Status
from apikeys.services import KeyNotValid, apikey_revoke, notify_support_revocation
from efinance.lib.admin import ReadOnlyAdmin
from efinance.lib.bidi import refuse_bidi_controls
from efinance.lib.net import client_ip

# Never shown, searched, filtered or ordered by in the admin.
HIDDEN_FIELDS = ("secret_hash", "form_nonce")


def _person(user) -> str:
    """«Full Name (username)»: support searches by either."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class StatusFilter(admin.SimpleListFilter):
    """Status is derived from the dates and the revocation record, so it is filtered, not stored."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value() in Status.values:
            return queryset.with_status(self.value())
        return queryset


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        validators=[refuse_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why the keys are revoked, for example a report of a leaked token. At most 500 characters."),
        error_messages={
            "required": _("Enter the reason for the revocation."),
            "max_length": _("The reason may have at most 500 characters."),
        },
    )


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Support finds keys and revokes them (an action with a reason); the rest is read-only."""

    list_display = [
        "key_id",
        "user_display",
        "organization",
        "api",
        "scopes_display",
        "status_display",
        "api_answer_display",
        "created_at",
        "created_by_display",
        "valid_until",
        "revoked_at",
        "revoked_by_display",
        "last_used_at",
        "activity_display",
    ]
    list_display_links = ["key_id"]
    list_filter = ["api", StatusFilter]
    list_select_related = ["user", "organization", "created_by", "revoked_by"]
    list_per_page = 50
    search_fields = ["^key_id", "user__username", "user__first_name", "user__last_name", "organization__name"]
    search_help_text = _("Key ID (or its beginning), user identification, user name or organization.")
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "key_id",
                    "status_display",
                    "api_answer_display",
                    "api",
                    "scopes_display",
                    "user",
                    "organization",
                    "note",
                    "activity_display",
                ]
            },
        ),
        (_("Creation"), {"fields": ["created_at", "created_by", "valid_until", "replaces"]}),
        (_("Replacement"), {"fields": ["ends_at"]}),
        (_("Deletion"), {"fields": ["revoked_at", "revoked_by", "revoke_reason"]}),
        (_("Use"), {"fields": ["last_used_at", "last_used_ip", "usage_display", "refusals_display"]}),
        # The contract's security policy.
        (_("Security policy"), {"fields": ["allowed_networks", "approval_requested_at", "approved_at", "approved_by"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]
    actions = ["revoke_selected"]

    @admin.display(description=_("activity"))
    def activity_display(self, key: ApiKey) -> str:
        """A link to the key's entries in the audit log: what the customer's «Activity» shows of it."""
        url = reverse("admin:audit_auditevent_changelist") + "?" + urlencode({"key_id": key.key_id})
        return format_html('<a href="{}" data-testid="key-activity">{}</a>', url, _("Activity"))

    @admin.display(description=_("user"), ordering="user__username")
    def user_display(self, key: ApiKey) -> str:
        return _person(key.user)

    @admin.display(description=_("created by"), ordering="created_by__username")
    def created_by_display(self, key: ApiKey) -> str:
        return _person(key.created_by)

    @admin.display(description=_("deleted by"), ordering="revoked_by__username", empty_value="-")
    def revoked_by_display(self, key: ApiKey) -> str | None:
        if key.revoked_by:
            return _person(key.revoked_by)
        return _("nobody: reported as exposed") if key.reported_exposed else None

    @admin.display(description=_("scopes"))
    def scopes_display(self, key: ApiKey) -> str:
        """The scopes as the API names them (`documents:read`), as support hears them from integrators."""
        return ", ".join(key.scope_list)

    @admin.display(description=_("status"))
    def status_display(self, key: ApiKey) -> str:
        return key.get_status_display()

    @admin.display(description=_("the API answers now"))
    def api_answer_display(self, key: ApiKey) -> str:
        """Accepted, or refused and why (`apikeys.keypage.api_answer`), not merely «Valid»: a key can be
        valid and refused (waiting for approval, suspended, its user deactivated)."""
        return keypage.api_answer(key, suspended=key.organization.keys_suspended_at is not None)

    @admin.display(description=_("usage, last 30 days"))
    def usage_display(self, key: ApiKey) -> str:
        """The same figures as the key's page of the customer (`apikeys.usage`), read-only."""
        figures = usage.usage_of(key.pk, usage.DEFAULT_PERIOD)
        return render_to_string("admin/apikeys/apikey/_usage.html", {"usage": figures})

    @admin.display(description=_("last refused requests"))
    def refusals_display(self, key: ApiKey) -> str:
        refusals = [(refusal, usage.reason_label(refusal.reason)) for refusal in KeyRefusal.objects.last_of(key.pk)]
        return render_to_string("admin/apikeys/apikey/_refusals.html", {"refusals": refusals})

    def get_queryset(self, request):
        # What is never shown is not even loaded.
        return super().get_queryset(request).defer(*HIDDEN_FIELDS)

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # A filter on the hash would be an oracle for it (as Django's UserAdmin refuses `password`).
        return not lookup.startswith(HIDDEN_FIELDS) and super().lookup_allowed(lookup, value, request)

    @admin.action(description=_("Revoke selected keys"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        """Ask for a reason on a confirmation page, then revoke the valid keys of the selection.

        Expired and deleted keys are skipped: both states are final, and a deleted key keeps the one
        actor, time and reason that deleted it.
        """
        keys = list(queryset.select_related("user", "organization").order_by("key_id"))
        valid = [key for key in keys if key.is_valid]
        skipped = [key for key in keys if not key.is_valid]
        if not valid:
            self.message_user(request, _("None of the selected keys is valid: nothing was revoked."), messages.WARNING)
            return None
        form = RevokeForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            revoked = []
            with transaction.atomic():
                for key in valid:
                    try:
                        apikey_revoke(
                            key=key,
                            by=request.user,
                            reason=form.cleaned_data["reason"],
                            ip=client_ip(request),
                            notify_admins=False,
                        )
                    except KeyNotValid:  # deleted or expired since the page was shown
                        skipped.append(key)
                        continue
                    self.log_change(request, key, self._revocation_message())
                    revoked.append(key)
                # One e-mail per organization to its Admin users, naming every key revoked.
                notify_support_revocation(keys=revoked, by=request.user, reason=form.cleaned_data["reason"])
            self._report(request, revoked, skipped)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke API keys"),
            "opts": self.opts,
            "form": form,
            "valid_keys": valid,
            "skipped_keys": skipped,
            "selected": keys,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/apikeys/apikey/revoke_selected_confirmation.html", context)

    @staticmethod
    def _revocation_message() -> list:
        # Stored untranslated, shown translated in the history (as ModelAdmin.construct_change_message).
        with override(None):
            fields = [str(ApiKey._meta.get_field(name).verbose_name) for name in ("revoked_at", "revoked_by")]
            fields.append(str(ApiKey._meta.get_field("revoke_reason").verbose_name))
        return [{"changed": {"fields": fields}}]

    def _report(self, request, revoked: list[ApiKey], skipped: list[ApiKey]) -> None:
        if revoked:
            message = ngettext(
                "Revoked %(count)d key: %(keys)s.", "Revoked %(count)d keys: %(keys)s.", len(revoked)
            ) % {"count": len(revoked), "keys": ", ".join(key.key_id for key in revoked)}
            self.message_user(request, message, messages.SUCCESS)
        if skipped:
            message = ngettext(
                "Skipped %(count)d key that was already deleted or expired: %(keys)s.",
                "Skipped %(count)d keys that were already deleted or expired: %(keys)s.",
                len(skipped),
            ) % {"count": len(skipped), "keys": ", ".join(key.key_id for key in skipped)}
            self.message_user(request, message, messages.WARNING)


# --- The contract's security policy: support sees it, the organization's Admin users set it.


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(ReadOnlyAdmin):
    list_display = ["organization", "max_validity_days", "four_eyes", "allowed_networks", "changed_at", "changed_by"]
    list_filter = ["four_eyes"]
    list_select_related = ["organization", "changed_by"]
    search_fields = ["organization__name"]


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdmin):
    list_display = ["organization", "key", "requested_at", "requested_by", "decision", "decided_at", "decided_by"]
    list_filter = ["decision"]
    list_select_related = ["organization", "key", "requested_by", "decided_by"]
    search_fields = ["organization__name", "^key__key_id"]
