import datetime
import hashlib
import secrets

from django import forms
from django.core import signing
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import networks, tokens
from apikeys.models import (
    VALIDITY_MESSAGES,
    Api,
    Scope,
    SecurityPolicy,
    add_years,
    end_of_validity,
    latest_valid_until,
)
from apikeys.policy.rules import FOUR_EYES_ADMINS, key_networks, other_admins
from apikeys.services import OVERLAPS, replacement_waits_for_approval
from audit.models import ACTION_GROUPS, Action
from efinance.lib import widgets
from efinance.lib.bidi import refuse_bidi_controls
from efinance.lib.when import day as format_day
from efinance.lib.when import moment, start_of_day

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


class NetworksField(forms.CharField):
    """A list of IPv4/IPv6 networks (CIDR), one a line (commas and spaces also separate); cleaned to
    the stored form of `apikeys.networks` ("" for any address)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Allowed networks"))
        kwargs.setdefault(
            "help_text",
            _("One network a line, for example 192.0.2.0/24 or 2001:db8::/48. Empty: any address."),
        )
        super().__init__(
            required=False,
            max_length=2000,
            strip=True,
            widget=forms.Textarea(attrs={"rows": 3, "cols": 40, "spellcheck": "false", "autocomplete": "off"}),
            error_messages={"max_length": _("The list can be at most %(limit_value)d characters long.")},
            **kwargs,
        )

    def to_python(self, value):
        return networks.normalize(super().to_python(value))


# The presets beside the date of the validity end; "date" is the date field itself.
VALIDITY_PRESETS = [
    ("30d", _("30 days")),
    ("90d", _("90 days")),
    ("1y", _("1 year")),
    ("2y", _("2 years (the maximum)")),
    ("date", _("Until the date below")),
]


def preset_valid_until(preset: str, today: datetime.date) -> datetime.date | None:
    """The last valid day of a key created on `today` with a validity preset; None for "date"."""
    return {
        "30d": today + datetime.timedelta(days=30),
        "90d": today + datetime.timedelta(days=90),
        "1y": add_years(today, 1),
        "2y": latest_valid_until(today),
    }.get(preset)


class ValidityRadioSelect(forms.RadioSelect):
    """The presets as radio buttons; each carries its date, so that static/js may fill the date field."""

    def __init__(self, today: datetime.date, **kwargs):
        super().__init__(**kwargs)
        self.today = today

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        day = preset_valid_until(value, self.today)
        if day is not None:
            option["attrs"]["data-valid-until"] = format_day(day)
        return option


class SingleUseKeyForm(forms.Form):
    """What the creation and the replacement forms share: the key's scopes (both ticked for a new key),
    the validity (a preset or a date, within the guide's two years and the contract's maximum:
    `SecurityPolicy.check_valid_until`) and the signed single-use nonce bound to the acting user."""

    error_messages = {
        **VALIDITY_MESSAGES,
        "stale_form": _("This form has expired or was not issued to you. Please fill it in again."),
        "no_date": _("Enter the last day on which the key is valid."),
    }

    scopes = forms.MultipleChoiceField(
        label=_("The key may"),
        choices=Scope.choices,
        initial=Scope.values,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick only what the software needs. The choice cannot be changed later: «Replace» the key."),
        error_messages={
            "required": _("Choose at least one: «Read documents» or «Deliver documents»."),
            "invalid_choice": _("Choose «Read documents», «Deliver documents» or both."),
        },
    )
    validity = forms.ChoiceField(
        label=_("Validity"),
        choices=VALIDITY_PRESETS,
        initial="date",
        required=False,
        error_messages={"invalid_choice": _("Choose one of the validities offered.")},
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=SwissDateInput(),
        help_text=_("Format dd.mm.yyyy; preset to one year from today, or the contract's maximum if shorter."),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        required=False,
        error_messages={"invalid": _("Enter a valid date, for example 31.12.2027.")},
    )
    nonce = forms.CharField(widget=forms.HiddenInput, error_messages={"required": error_messages["stale_form"]})

    def __init__(self, *args, organization, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = user
        self.today = timezone.localdate()
        # The contract's security policy: its maximum validity bounds the key (and the presets offered).
        self.policy = SecurityPolicy.of(organization.pk)
        # Under four-eyes, who could approve a production key: none when the only other Admin user
        # left after four-eyes was turned on (the form then says so before the key is made).
        self.admin_count = other_admins(organization.pk).count() if self.policy.four_eyes else None
        self.four_eyes_stranded = self.policy.four_eyes and self.admin_count < FOUR_EYES_ADMINS
        latest = self.policy.latest_valid_until(self.today)
        presets = [
            (value, label)
            for value, label in VALIDITY_PRESETS
            if (preset_valid_until(value, self.today) or latest) <= latest
        ]
        self.fields["validity"].choices = presets
        self.fields["validity"].widget = ValidityRadioSelect(self.today, choices=presets)
        # One year unless the contract allows less: a default shorter than the maximum (a key that is
        # meant to last longer says so), as a bank's reviewer expects of a credential.
        self.fields["valid_until"].initial = min(add_years(self.today, 1), latest)
        if not self.is_bound:
            self.initial["nonce"] = new_form_nonce(user)

    @property
    def latest_valid_until(self):
        return self.policy.latest_valid_until(self.today)

    def _preset(self) -> str:
        value = self.data.get("validity") or "date"
        return value if value in dict(VALIDITY_PRESETS) else "date"

    def clean_valid_until(self):
        value = self.cleaned_data["valid_until"]
        if value is not None and self._preset() == "date":
            self.policy.check_valid_until(value, self.today)  # the guide's two years and the contract's maximum
        return value

    def clean(self):
        cleaned = super().clean()
        preset = preset_valid_until(cleaned.get("validity") or "date", self.today)
        if preset is not None:
            # A preset wins over whatever the date field holds (without JS it keeps its initial value).
            self._errors.pop("valid_until", None)
            self.policy.check_valid_until(preset, self.today)
            cleaned["valid_until"] = preset
        elif cleaned.get("valid_until") is None and "valid_until" not in self._errors:
            self.add_error("valid_until", forms.ValidationError(self.error_messages["no_date"], code="required"))
        return cleaned

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


class ApiKeyCreateForm(SingleUseKeyForm):
    field_order = ["user", "api", "scopes", "note", "validity", "valid_until", "allowed_networks", "nonce"]

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
        validators=[refuse_bidi_controls],
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"maxlength": 200}),
        help_text=_("Optional: a comment for you, for example which software uses the key (at most 200 characters)."),
        error_messages={
            "max_length": _("The note can be at most %(limit_value)d characters long (it has %(show_value)d).")
        },
    )
    allowed_networks = NetworksField()

    def __init__(self, *args, organization, user, **kwargs):
        super().__init__(*args, organization=organization, user=user, **kwargs)
        users = organization.users.filter(is_active=True).order_by("username")
        self.fields["user"].queryset = users

        def label(u):
            return f"{u.username} — {u.get_full_name()}".rstrip(" —")

        # People first, the contract's technical users in a group of their own (<optgroup>); the
        # field still validates against `users`, whatever the widget lists.
        people, technical = [], []
        for u in users:
            (technical if u.is_technical else people).append((u.pk, label(u)))
        if technical:
            self.fields["user"].widget.choices = [
                ("", self.fields["user"].empty_label),
                (_("People"), people),
                (_("Technical users"), technical),
            ]
        else:
            self.fields["user"].label_from_instance = label
        self.fields["allowed_networks"].initial = "\n".join(self.policy.network_list)

    def clean_allowed_networks(self):
        return key_networks(self.policy, self.cleaned_data["allowed_networks"])


OLD_KEY_ENDS = [
    ("now", _("Immediately")),
    ("24h", _("In 24 hours")),
    ("7d", _("In 7 days")),
]
# While the new key waits for approval the old key's overlap starts at the approval: no «Immediately».
OLD_KEY_ENDS_AFTER_APPROVAL = [
    ("24h", _("24 hours after the new key is approved")),
    ("7d", _("7 days after the new key is approved")),
]


class ApiKeyReplaceForm(SingleUseKeyForm):
    """«Replace»: the validity of the new key and when the old one stops working."""

    field_order = ["scopes", "validity", "valid_until", "old_key_ends", "nonce"]

    old_key_ends = forms.ChoiceField(
        label=_("The old key stops working"),
        choices=OLD_KEY_ENDS,
        initial="24h",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose when the old key stops working."),
            "invalid_choice": _("Choose immediately, in 24 hours or in 7 days."),
        },
    )

    def __init__(self, *args, key, user, **kwargs):
        super().__init__(*args, organization=key.organization, user=user, **kwargs)
        self.key = key
        self.fields["scopes"].initial = key.scope_list  # «Replace» starts from the old key's scopes
        now, end = timezone.now(), end_of_validity(key.valid_until)
        # Four-eyes: the new key works once another Admin user approves it; the old key works until then.
        self.waits_for_approval = replacement_waits_for_approval(key)
        if self.waits_for_approval:
            self.approvers = [
                admin.get_full_name() or admin.username
                for admin in other_admins(key.organization_id, than=user).order_by("username")
            ]
            self.fields["old_key_ends"].choices = OLD_KEY_ENDS_AFTER_APPROVAL
            self.fields["old_key_ends"].error_messages["invalid_choice"] = _(
                "The new key needs another Admin user's approval: choose 24 hours or 7 days after it."
            )
            return
        # Each choice with the moment it means; never later than the old key's own end.
        self.fields["old_key_ends"].choices = [
            (value, f"{label} ({moment(min(now + OVERLAPS[value], end))})") for value, label in OLD_KEY_ENDS
        ]

    @property
    def overlap(self) -> datetime.timedelta:
        return OVERLAPS[self.cleaned_data["old_key_ends"]]


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
        widget=widgets.Select,  # one option per user of the organization, on every page of the list
    )
    api = forms.ChoiceField(label=_("API"), required=False, widget=widgets.Select)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Key ID, note or user")})
        self.fields["user"].queryset = organization.users.order_by("username")
        self.fields["user"].label_from_instance = lambda u: u.username
        self.fields["api"].choices = [("", _("Both APIs")), *Api.choices]

    def offer_users(self, users: list[tuple[int, str]]) -> None:
        """Offer these users (pk, username: the organization's, by name) in the user select, read by the
        list with the names of its rows (`apikeys.views._name_rows`) instead of by a query of the
        select's own. The submitted user is still checked against the organization's users."""
        field = self.fields["user"]
        field.choices = [("", field.empty_label), *users]

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


ACTIVITY_FIRST_DAY = datetime.date(2000, 1, 1)
ACTIVITY_LAST_DAY = datetime.date(2099, 12, 31)
ACTION_GROUP_PREFIX = "group:"


def _activity_day(label):
    """A day of «Activity»'s range: dd.mm.yyyy (or yyyy-mm-dd), a clear message for anything else."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        widget=SwissDateInput(),
        error_messages={"invalid": _("Enter a valid date, for example 31.12.2027.")},
    )


class ActivityFilterForm(forms.Form):
    """The filters of the «Activity» page: by user (acting or concerned), key ID, action (one, or a
    group of them: `audit.models.ACTION_GROUPS`) and a range of days in Swiss time (from, to: both
    included). Every filter keeps the page read in an index's order (`sources`)."""

    error_messages = {
        "out_of_range": _("Enter a date between 01.01.2000 and 31.12.2099."),
        "reversed": _("The end of the range is before its start."),
    }

    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=None,
        required=False,
        empty_label=_("All users"),
        error_messages={"invalid_choice": _("Choose a user of your organization.")},
        widget=widgets.Select,
    )
    key_id = forms.CharField(label=_("Key ID"), required=False, max_length=tokens.KEY_ID_LENGTH)
    action = forms.ChoiceField(label=_("Action"), required=False, widget=widgets.Select)
    since = _activity_day(_("From"))
    until = _activity_day(_("To"))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = organization.users.order_by("username")
        self.fields["user"].label_from_instance = lambda u: u.username
        labels = dict(Action.choices)
        self.fields["action"].choices = [
            ("", _("All actions")),
            *(
                (
                    label,
                    [
                        (ACTION_GROUP_PREFIX + name, _("All of: %(group)s") % {"group": label}),
                        *((action, labels[action]) for action in actions),
                    ],
                )
                for name, (label, actions) in ACTION_GROUPS.items()
            ),
        ]

    def clean_key_id(self):
        return self.cleaned_data["key_id"].strip().lower()

    def _clean_day(self, name):
        day = self.cleaned_data[name]
        if day is not None and not ACTIVITY_FIRST_DAY <= day <= ACTIVITY_LAST_DAY:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return day

    def clean_since(self):
        return self._clean_day("since")

    def clean_until(self):
        return self._clean_day("until")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", forms.ValidationError(self.error_messages["reversed"], code="reversed"))
        return data

    def actions(self) -> list[str]:
        """The actions chosen: one, all of a group, or none for all."""
        chosen = self.cleaned_data["action"]
        if chosen.startswith(ACTION_GROUP_PREFIX):
            return list(ACTION_GROUPS[chosen.removeprefix(ACTION_GROUP_PREFIX)][1])
        return [chosen] if chosen else []

    def sources(self, entries) -> list:
        """`entries` narrowed to the valid filters, as the querysets whose union is the answer (each
        read in the order of an index: the user who acted, and the user concerned, are two); none
        at all when a filter is invalid."""
        if not self.is_bound:
            return [entries]
        if not self.is_valid():
            return [entries.none()]
        data = self.cleaned_data
        if data["key_id"]:
            entries = entries.filter(key_id=data["key_id"])
        if data["since"]:
            entries = entries.filter(at__gte=start_of_day(data["since"]))
        if data["until"]:
            entries = entries.filter(at__lt=start_of_day(data["until"] + datetime.timedelta(days=1)))
        # A group is read action by action (each in the order of the index on action and time) and
        # merged, as the user filter's two sides are: never one scan of all the group's entries.
        sources = [entries.filter(action=action) for action in self.actions()] or [entries]
        if data["user"]:
            return [source.filter(**{side: data["user"]}) for source in sources for side in ("actor", "subject")]
        return sources


# --- The contract's security policy --------------------------------------------------
