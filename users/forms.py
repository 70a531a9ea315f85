"""Django's login forms with their errors declared here, word for word, so that the project's own
catalogues translate them: Django's German says «Groß-/Kleinschreibung», ours is Swiss (no ß); and
the forms of users in the support admin, which have no password field."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from users.confusables import confusable, mixed_scripts
from users.models import User

LOOK_ALIKE_MESSAGES = {
    "mixed_scripts": _(
        "«%(value)s» mixes letters of different scripts (%(scripts)s): write it in one script, so that it cannot "
        "be mistaken for another."
    ),
    "confusable_username": _(
        "This user identification can be mistaken for «%(other)s» of the same organization: choose one that looks "
        "different."
    ),
    "confusable_name": _(
        "This name can be mistaken for «%(other)s» (%(username)s) of the same organization: choose one that looks "
        "different, with a middle initial for example."
    ),
}


def look_alike_errors(
    *, organization_id: int | None, username: str = "", name: str = "", exclude_pk: int | None = None
) -> dict[str, ValidationError]:
    """Errors for a user identification (key ``username``) or a name (key ``name``) that mixes scripts or
    that can be mistaken for another user's of the same organization (`users.confusables`): asked by the
    support admin's forms and by the technical users' form of User management."""
    errors = {}
    for key, value in (("username", username), ("name", name)):
        found = mixed_scripts(value) if value else set()
        if found:
            scripts = ", ".join(sorted(script.title() for script in found))
            params = {"value": value, "scripts": scripts}
            errors[key] = ValidationError(LOOK_ALIKE_MESSAGES["mixed_scripts"], code="mixed_scripts", params=params)
    if organization_id is None:
        return errors
    others = User.objects.filter(organization_id=organization_id).exclude(pk=exclude_pk)
    for other_username, first, last in others.values_list("username", "first_name", "last_name").order_by("pk"):
        if username and "username" not in errors and confusable(username, other_username):
            params = {"other": other_username}
            message = LOOK_ALIKE_MESSAGES["confusable_username"]
            errors["username"] = ValidationError(message, code="confusable_username", params=params)
        other_name = " ".join(f"{first} {last}".split())
        if name and other_name and "name" not in errors and confusable(name, other_name):
            params = {"other": other_name, "username": other_username}
            message = LOOK_ALIKE_MESSAGES["confusable_name"]
            errors["name"] = ValidationError(message, code="confusable_name", params=params)
    return errors


class LookAlikeCheck:
    """For the support admin's user forms: a user identification or name that mixes scripts or can be
    mistaken for another of the same organization is a form error (`look_alike_errors`). Asked only of
    what changes (the identification, the name, the organization), so that an old pair of look-alikes
    does not stop an unrelated change."""

    def clean(self):
        cleaned = super().clean()
        changed = set(self.changed_data)
        if not changed & {"username", "first_name", "last_name", "organization"}:
            return cleaned
        organization = cleaned.get("organization", getattr(self.instance, "organization", None))
        name = " ".join(f"{cleaned.get('first_name', '')} {cleaned.get('last_name', '')}".split())
        errors = look_alike_errors(
            organization_id=organization.pk if organization else None,
            username=cleaned.get("username", "") if changed & {"username", "organization"} else "",
            name=name if changed & {"first_name", "last_name", "organization"} else "",
            exclude_pk=self.instance.pk,
        )
        if "username" in errors:
            self.add_error("username", errors["username"])
        if "name" in errors:
            self.add_error("last_name" if "last_name" in self.fields else "first_name", errors["name"])
        return cleaned


# Django 5.2's German and Italian catalogues leave this help text of the user admin's password field
# untranslated; declared here so that the project's catalogues translate it.
PASSWORD_HELP_TEXT = gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password.")


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct %(username)s and password. Note that both fields may be case-sensitive."
        ),
    }


class SupportLoginForm(AdminAuthenticationForm):
    """The login of the support admin at /support/."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password for a staff account. Note that both fields may be "
            "case-sensitive."
        ),
    }


class StaffUserAddForm(LookAlikeCheck, forms.ModelForm):
    """Adding a user in the support admin: no password. The user gets an unusable password and, once
    the addition takes effect (`users.bank_changes`), a set-password link by e-mail
    (`users.services.send_set_password_link`), so that nobody at the bank ever chooses, sees or knows it."""

    error_messages = {
        "duplicate_username": _("A user with that user identification already exists."),
        "email_required": _("Enter the user's e-mail address: the set-password link is sent there."),
        "organization_required": _("Choose the organization (e-finance contract) of the user."),
    }
    # Set by UserAdmin.get_form: only a superuser may add a user of no organization (bank staff).
    organization_required = True

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "organization", "is_org_admin"]
        field_classes = {"username": UsernameField}

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise ValidationError(self.error_messages["duplicate_username"], code="duplicate_username")
        return username

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        if not email:
            raise ValidationError(self.error_messages["email_required"], code="email_required")
        return email

    def clean_organization(self):
        organization = self.cleaned_data.get("organization")
        if organization is None and self.organization_required:
            raise ValidationError(self.error_messages["organization_required"], code="organization_required")
        return organization

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class StaffUserChangeForm(LookAlikeCheck, UserChangeForm):
    """Django's user change form without the password: the bank never sets or sees a customer's."""

    password = None
