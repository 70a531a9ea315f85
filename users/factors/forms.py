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
    }

    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        strip=True,
        error_messages={"required": error_messages["required"]},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}),
    )

    def __init__(self, *args, recovery: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        self.fields["code"].help_text = (
            _("The 6 digits your authenticator app shows now, or one of your recovery codes.")
            if recovery
            else _("The 6 digits your authenticator app shows now.")
        )

    def refuse(self) -> None:
        """Mark the code as wrong (the same words whatever was wrong with it)."""
        key = "wrong_or_recovery" if self.recovery else "wrong"
        self.add_error("code", ValidationError(self.error_messages[key], code="wrong"))
