import hashlib
import secrets

from django import forms
from django.core import signing
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import tokens
from apikeys.models import VALIDITY_MESSAGES, Action, Api, check_valid_until, latest_valid_until

NONCE_SALT = "apikeys.create-form"
NONCE_MAX_AGE = 60 * 60  # a creation form can be submitted within an hour of being shown


def new_form_nonce(user) -> str:
    """A signed single-use value for one rendering of the creation form, bound to its user."""
    return signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(16)}, salt=NONCE_SALT)


class SwissDateInput(forms.DateInput):
    """A text field in the Swiss format dd.mm.yyyy, whatever the browser's own locale would show
    in a native date picker (which follows the browser, not the page: mm/dd/yyyy in en-US)."""

    def __init__(self, **kwargs):
        attrs = {"placeholder": _("dd.mm.yyyy"), "inputmode": "numeric", "autocomplete": "off", "maxlength": 10}
        super().__init__(format="%d.%m.%Y", attrs=attrs, **kwargs)


class ApiKeyCreateForm(forms.Form):
    error_messages = {
        **VALIDITY_MESSAGES,
        "stale_form": _("This form has expired or was not issued to you. Please fill it in again."),
    }

    user = forms.ModelChoiceField(
        label=_("User identification"),
        queryset=None,
        # The guide: «Selezionate un utente». Nobody is chosen for the Admin: a key on the wrong user
        # by accident is worse than one more click.
        empty_label=_("Select a user"),
        error_messages={
            "required": _("Choose the user for whom the key is created."),
            "invalid_choice": _("Choose a user of your organization."),
        },
    )
    api = forms.ChoiceField(
        label=_("API"),
        choices=Api.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the API the key is for."),
            "invalid_choice": _("Choose «Billing Solutions» or «Billing Solutions Customer Integration»."),
        },
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"maxlength": 200}),
        help_text=_("Optional: a comment for you, for example which software uses the key (at most 200 characters)."),
        error_messages={
            "max_length": _("The note can be at most %(limit_value)d characters long (it has %(show_value)d).")
        },
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=SwissDateInput(),
        help_text=_("Format dd.mm.yyyy; preset to the latest possible day."),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        error_messages={
            "required": _("Enter the last day on which the key is valid."),
            "invalid": _("Enter a valid date, for example 31.12.2027."),
        },
    )
    nonce = forms.CharField(widget=forms.HiddenInput, error_messages={"required": error_messages["stale_form"]})

    def __init__(self, *args, organization, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = user
        self.today = timezone.localdate()
        self.fields["user"].queryset = organization.users.filter(is_active=True).order_by("username")
        self.fields["user"].label_from_instance = lambda u: f"{u.username} — {u.get_full_name()}".rstrip(" —")
        self.fields["valid_until"].initial = latest_valid_until(self.today)
        if not self.is_bound:
            self.initial["nonce"] = new_form_nonce(user)

    def clean_valid_until(self):
        value = self.cleaned_data["valid_until"]
        check_valid_until(value, self.today)  # the guide's two years, stated on the model
        return value

    def clean_nonce(self):
        value = self.cleaned_data["nonce"]
        try:
            data = signing.loads(value, salt=NONCE_SALT, max_age=NONCE_MAX_AGE)
        except signing.BadSignature:
            raise forms.ValidationError(self.error_messages["stale_form"], code="stale_form") from None
        if not isinstance(data, dict) or data.get("u") != self.acting_user.pk:
            raise forms.ValidationError(self.error_messages["stale_form"], code="stale_form")
        return value

    @property
    def nonce_key(self) -> str:
        """What is stored to make the form single-use: a digest of the signed value."""
        return hashlib.sha256(self.cleaned_data["nonce"].encode()).hexdigest()


#: What each API is for, in the guide's words («ambiente produttivo», «integrazione cliente per test»).
API_PURPOSES = {
    Api.PRODUCTION: _("production environment"),
    Api.INTEGRATION: _("customer integration for tests"),
}


class KeyFilterForm(forms.Form):
    """The search of the key list: a GET form (works without JS; its values are kept by the page links).
    `q` finds a key ID, a note or a user name in part; `user` and `api` narrow the lists."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=None,
        required=False,
        empty_label=_("All users"),
        error_messages={"invalid_choice": _("Choose a user of your organization.")},
    )
    api = forms.ChoiceField(label=_("API"), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Key ID, note or user")})
        self.fields["user"].queryset = organization.users.order_by("username")
        self.fields["user"].label_from_instance = lambda u: u.username
        self.fields["api"].choices = [("", _("Both APIs")), *Api.choices]

    def clean_q(self):
        return self.cleaned_data["q"].strip()

    def filter(self, keys):
        """`keys` narrowed to the valid filters; none at all when a filter is invalid."""
        if not self.is_bound:
            return keys
        if not self.is_valid():
            return keys.none()
        data = self.cleaned_data
        if data["q"]:
            text = data["q"]
            keys = keys.filter(
                Q(key_id__icontains=text)
                | Q(note__icontains=text)
                | Q(user__username__icontains=text)
                | Q(user__first_name__icontains=text)
                | Q(user__last_name__icontains=text)
            )
        if data["user"]:
            keys = keys.filter(user=data["user"])
        if data["api"]:
            keys = keys.filter(api=data["api"])
        return keys

    @property
    def active(self) -> dict[str, str]:
        """The filters in use, as GET parameters (for the page links)."""
        return {name: value for name, value in self.data.items() if name in self.fields and value}


class ActivityFilterForm(forms.Form):
    """The filters of the «Activity» page: by user (acting or concerned), key ID and action."""

    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=None,
        required=False,
        empty_label=_("All users"),
        error_messages={"invalid_choice": _("Choose a user of your organization.")},
    )
    key_id = forms.CharField(label=_("Key ID"), required=False, max_length=tokens.KEY_ID_LENGTH)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = organization.users.order_by("username")
        self.fields["user"].label_from_instance = lambda u: u.username
        self.fields["action"].choices = [("", _("All actions")), *Action.choices]

    def clean_key_id(self):
        return self.cleaned_data["key_id"].strip().lower()

    def filter(self, entries):
        """`entries` narrowed to the valid filters; none at all when a filter is invalid."""
        if not self.is_bound:
            return entries
        if not self.is_valid():
            return entries.none()
        data = self.cleaned_data
        if data["user"]:
            entries = entries.involving(data["user"])
        if data["key_id"]:
            entries = entries.filter(key_id=data["key_id"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        return entries
