"""Django's login forms with their errors declared here, word for word, so that the project's own
catalogues translate them: Django's German says «Groß-/Kleinschreibung», ours is Swiss (no ß)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

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
