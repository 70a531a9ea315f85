from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApikeysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apikeys"
    verbose_name = _("API access")

    def ready(self):
        """What the bank's staff change about a customer's user has consequences for their keys
        (`users.signals`, `apikeys.receivers`)."""
        from apikeys import receivers
        from users.signals import customer_user_changed

        customer_user_changed.connect(
            receivers.on_customer_user_changed, dispatch_uid="apikeys.receivers.customer_user_changed"
        )
