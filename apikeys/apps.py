from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ApikeysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apikeys"
    verbose_name = _("API access")

    def ready(self):
        """The audit log listens to the logins (Django) and lockouts (django-axes), and to what the
        bank's staff change about a customer's user (`users.signals`, `apikeys.receivers`)."""
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from apikeys import audit, receivers
        from users.signals import customer_user_changed

        customer_user_changed.connect(
            receivers.on_customer_user_changed, dispatch_uid="apikeys.receivers.customer_user_changed"
        )

        user_logged_in.connect(audit.on_login, dispatch_uid="apikeys.audit.login")
        user_login_failed.connect(audit.on_login_failed, dispatch_uid="apikeys.audit.login_failed")
        if apps.is_installed("axes"):
            from axes.signals import user_locked_out

            user_locked_out.connect(audit.on_locked_out, dispatch_uid="apikeys.audit.locked_out")
