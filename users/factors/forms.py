from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """One code: of the authenticator app (6 digits) or, where `recovery` allows it, a recovery code.
    Whether it is right is for the view to find out (it counts the wrong ones)."""

    error_messages = {
        "required": _("Enter the code."),
        "wrong": _("This code is not valid. Enter the current code of your authenticator app."),
        "wrong_or_recovery": _(
            "This code is not valid. Enter the current code of your authenticator app, or one of your recovery codes."
        ),
        "wrong_recovery": _("This code is not valid. Enter one of your recovery codes."),
    }

    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        strip=True,
        error_messages={"required": error_messages["required"]},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}),
    )

    def __init__(self, *args, recovery: bool = True, app: bool = True, **kwargs):
        """`app`: the user has an authenticator app (a user with passkeys only types recovery codes)."""
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        self.app = app
        if not app:
            self.fields["code"].label = _("Recovery code")
            self.fields["code"].help_text = _("One of your recovery codes.")
        elif recovery:
            self.fields["code"].help_text = _(
                "The 6 digits your authenticator app shows now, or one of your recovery codes."
            )
        else:
            self.fields["code"].help_text = _("The 6 digits your authenticator app shows now.")

    def refuse(self) -> None:
        """Mark the code as wrong (the same words whatever was wrong with it)."""
        key = "wrong_recovery" if not self.app else "wrong_or_recovery" if self.recovery else "wrong"
        self.add_error("code", ValidationError(self.error_messages[key], code="wrong"))


class PasskeyForm(forms.Form):
    """The browser's answer of a passkey (`static/js/passkey.js` fills the hidden field, JSON); whether
    it is right is for the view to find out (`users.factors.passkeys`)."""

    error_messages = {
        "missing": _(
            "Your browser sent no passkey. Passkeys need JavaScript in the browser: allow it for this site, "
            "or enter a code instead."
        ),
        "wrong": _("The passkey was not accepted. Try again, or enter a code instead."),
    }

    passkey = forms.CharField(required=False, strip=True, widget=forms.HiddenInput)  # its size: passkeys

    def answer(self) -> str:
        return self.cleaned_data.get("passkey", "") if self.is_valid() else ""

    def refuse(self, code: str = "wrong") -> None:
        self.add_error(None, ValidationError(self.error_messages[code], code=code))


class PasskeyAddForm(forms.Form):
    """A new passkey: the user's name for it, and the browser's answer (hidden, filled by
    `static/js/passkey.js`)."""

    error_messages = {
        "missing": PasskeyForm.error_messages["missing"],
        "wrong": _("The passkey could not be set up. Try again; if it fails again, use an authenticator app."),
        "taken": _("This passkey is set up already."),
    }

    name = forms.CharField(
        label=_("Name of the passkey"),
        max_length=64,
        help_text=_("So that you know it again, e.g. «Laptop» or «Security key»."),
        error_messages={"required": _("Enter a name for the passkey.")},
    )
    passkey = forms.CharField(required=False, strip=True, widget=forms.HiddenInput)  # its size: passkeys

    def clean(self):
        cleaned = super().clean()
        if "name" in cleaned and not cleaned.get("passkey"):
            raise ValidationError(self.error_messages["missing"], code="missing")
        return cleaned

    def refuse(self, code: str = "wrong") -> None:
        self.add_error(None, ValidationError(self.error_messages[code], code=code))
