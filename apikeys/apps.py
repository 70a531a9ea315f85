from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApikeysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apikeys"
    verbose_name = _("API access")

    def ready(self):
        """What the bank's staff change about a customer's user has consequences for their keys
        (`users.signals`, `apikeys.receivers`). The report key is read once here, so that a setting
        that is no key stops the start-up rather than the first credential report."""
        from apikeys import receivers
        from efinance.lib.report_key import signing_seed
        from users.signals import customer_user_changed

        signing_seed()

        customer_user_changed.connect(
            receivers.on_customer_user_changed, dispatch_uid="apikeys.receivers.customer_user_changed"
        )
