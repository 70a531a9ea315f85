from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"
    verbose_name = _("Users and organizations")

    def ready(self):
        """The audit log hears of logins (Django) and lockouts (django-axes) from here, and so does the
        per-account login limit; the operators' metrics read the outbox."""
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from efinance.lib.metrics import SCRAPE_COLLECTORS
        from users import limits, receivers
        from users.factors import proof
        from users.metrics import OutboxCollector

        if not any(isinstance(collector, OutboxCollector) for collector in SCRAPE_COLLECTORS):
            SCRAPE_COLLECTORS.append(OutboxCollector())

        user_logged_in.connect(receivers.on_login, dispatch_uid="users.receivers.login")
        user_logged_in.connect(proof.on_login, dispatch_uid="users.factors.proof.login")
        user_login_failed.connect(receivers.on_login_failed, dispatch_uid="users.receivers.login_failed")
        # The per-account login limit counts failures from every address and forgets them at a full login.
        user_login_failed.connect(limits.on_login_failed, dispatch_uid="users.limits.login_failed")
        user_logged_in.connect(limits.on_login, dispatch_uid="users.limits.login")
        if apps.is_installed("axes"):
            from axes.signals import user_locked_out

            user_locked_out.connect(receivers.on_locked_out, dispatch_uid="users.receivers.locked_out")
