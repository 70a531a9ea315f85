"""The forms of the security policy's screens: the policy, one key's networks, the emergency stop."""

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from apikeys.forms import NetworksField
from apikeys.models import SecurityPolicy
from apikeys.policy.rules import MESSAGES as POLICY_MESSAGES
from apikeys.policy.rules import can_have_four_eyes, key_networks, resume_rule
from efinance.lib.bidi import refuse_bidi_controls
from users.factors.services import has_factor


class SecurityPolicyForm(forms.Form):
    error_messages = {
        "two_admins": POLICY_MESSAGES["two_admins"],
        "own_factor_first": _(
            "Set up your own second factor first (under «Security»): this rule would otherwise send you there at once."
        ),
    }

    max_validity_days = forms.IntegerField(
        label=_("Maximum validity of new keys (days)"),
        required=False,
        min_value=1,
        max_value=730,
        help_text=_("At most 730 days. Empty: the two years of the guide."),
        widget=forms.NumberInput(attrs={"min": 1, "max": 730, "inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number of days, for example 90."),
            "min_value": _("Enter at least %(limit_value)s day."),
            "max_value": _("A key is valid for at most two years: enter at most %(limit_value)s days."),
        },
    )
    four_eyes = forms.BooleanField(label=_("Production keys need a second Admin user's approval"), required=False)
    allowed_networks = NetworksField(label=_("Allowed networks for new keys"))
    admins_need_factor = forms.BooleanField(label=_("Admin users must use a second factor"), required=False)

    def __init__(self, *args, policy: SecurityPolicy, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy, self.user = policy, user
        self.four_eyes_possible = policy.four_eyes or can_have_four_eyes(policy.organization_id)
        if not self.is_bound:
            self.initial = {
                "max_validity_days": policy.max_validity_days,
                "four_eyes": policy.four_eyes,
                "allowed_networks": "\n".join(policy.network_list),
                "admins_need_factor": policy.admins_need_factor,
            }

    def clean_admins_need_factor(self):
        value = self.cleaned_data["admins_need_factor"]
        if value and not self.policy.admins_need_factor and self.user is not None and not has_factor(self.user):
            raise forms.ValidationError(self.error_messages["own_factor_first"], code="own_factor_first")
        return value

    def clean_four_eyes(self):
        value = self.cleaned_data["four_eyes"]
        if value and not self.four_eyes_possible:
            raise forms.ValidationError(self.error_messages["two_admins"], code="two_admins")
        return value


class KeyNetworksForm(forms.Form):
    allowed_networks = NetworksField()

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.policy = SecurityPolicy.of(key.organization_id)
        if not self.is_bound:
            self.initial = {"allowed_networks": "\n".join(key.network_list)}

    def clean_allowed_networks(self):
        return key_networks(self.policy, self.cleaned_data["allowed_networks"])


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        validators=[refuse_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60, "maxlength": 500}),
        error_messages={
            "required": _("Enter the reason for suspending all keys."),
            "max_length": _("The reason may have at most 500 characters."),
        },
    )


class RejectForm(forms.Form):
    """«Reject» a key or a policy change waiting for approval: the reason goes to the requester."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        validators=[refuse_bidi_controls],
        help_text=_("The Admin user who asked receives it by e-mail."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "maxlength": 500}),
        error_messages={
            "required": _("Enter the reason for the rejection: the Admin user who asked receives it."),
            "max_length": _("The reason may have at most 500 characters."),
        },
    )


class ResumeForm(forms.Form):
    """Resuming: by another Admin user, or by the only one after entering their password again.

    The password is checked through `authenticate()`, as at the login, so that the login protection
    (django-axes) counts a wrong one: guessing it here locks the same username and address as
    guessing it at the login, and the lockout page answers.
    """

    error_messages = {"password": POLICY_MESSAGES["password"], "wrong_password": _("The password is not correct.")}

    password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, organization, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request
        self.rule = resume_rule(organization, user)

    @property
    def needs_password(self) -> bool:
        return self.rule == "password"

    def clean_password(self):
        value = self.cleaned_data["password"]
        if self.needs_password:
            if not value:
                raise forms.ValidationError(self.error_messages["password"], code="password")
            confirmed = authenticate(self.request, username=self.user.get_username(), password=value)
            if confirmed is None or confirmed.pk != self.user.pk:
                raise forms.ValidationError(self.error_messages["wrong_password"], code="wrong_password")
        return value
