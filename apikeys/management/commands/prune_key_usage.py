from django.core.management.base import BaseCommand

from apikeys.models import SEEN_NETWORK_DAYS, KeyUsage, SeenNetwork
from apikeys.models.usage import USAGE_KEPT_MONTHS


class Command(BaseCommand):
    help = (
        f"Delete the keys' usage counts older than {USAGE_KEPT_MONTHS} months and the networks a key has "
        f"not used for {SEEN_NETWORK_DAYS} days (cron: daily). Safe to run again or on several app servers at once."
    )

    def handle(self, *args, **options):
        deleted = KeyUsage.objects.prune()
        self.stdout.write(f"{deleted} usage row(s) older than {USAGE_KEPT_MONTHS} months deleted.")
        networks = SeenNetwork.objects.prune()
        self.stdout.write(f"{networks} network(s) not used for {SEEN_NETWORK_DAYS} days deleted.")
