"""Django's login forms with their errors declared here, word for word, so that the project's own
catalogues translate them: Django's German says «Groß-/Kleinschreibung», ours is Swiss (no ß); and
the forms of users in the support admin, which have no password field."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from users.models import User

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


class StaffUserAddForm(forms.ModelForm):
    """Adding a user in the support admin: no password. The user gets an unusable password and a
    set-password link by e-mail (`users.services.send_set_password_link`), so that nobody at the
    bank ever chooses, sees or knows it."""

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


class StaffUserChangeForm(UserChangeForm):
    """Django's user change form without the password: the bank never sets or sees a customer's."""

    password = None
