from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from efinance.lib.bidi import refuse_bidi_controls
from users.forms import look_alike_errors
from users.models import User


class TechnicalUserForm(forms.Form):
    """The name and description of a technical user; the name unique among the contract's technical
    users (a replayed creation form then creates nothing twice). Its cleaned data are the keyword
    arguments `name` and `description` of `technical_user_create` and `technical_user_change`."""

    error_messages = {
        "duplicate_name": _("Your contract already has a technical user with this name."),
    }

    name = forms.CharField(
        label=_("Name"),
        max_length=150,
        validators=[refuse_bidi_controls],
        help_text=_("What connects with its keys, for example «ERP Abacus» (at most 150 characters)."),
        error_messages={
            "required": _("Enter the name of the technical user."),
            "max_length": _("The name can be at most %(limit_value)d characters long (it has %(show_value)d)."),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=500,
        validators=[refuse_bidi_controls],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("Optional: what the software does and who looks after it (at most 500 characters)."),
        error_messages={
            "max_length": _("The description can be at most %(limit_value)d characters long (it has %(show_value)d).")
        },
    )

    def __init__(self, *args, organization, instance: User | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", {"name": instance.first_name, "description": instance.description})
        super().__init__(*args, **kwargs)
        self.organization, self.instance = organization, instance

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        others = User.objects.technical().filter(organization=self.organization, first_name__iexact=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(self.error_messages["duplicate_name"], code="duplicate_name")
        # Nor a name that mixes scripts or can be mistaken for another user's of the contract.
        exclude = self.instance.pk if self.instance is not None else None
        errors = look_alike_errors(organization_id=self.organization.pk, name=name, exclude_pk=exclude)
        if "name" in errors:
            raise errors["name"]
        return name
