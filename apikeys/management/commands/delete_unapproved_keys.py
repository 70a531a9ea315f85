from django.core.management.base import BaseCommand

from apikeys.policy.rules import apikeys_delete_lapsed


class Command(BaseCommand):
    help = (
        "Delete the production keys that waited for a second Admin user's approval longer than 7 days "
        "(cron, daily). The API refuses them anyway; this makes their deletion final and visible."
    )

    def handle(self, *args, **options):
        deleted = apikeys_delete_lapsed()
        for key_id in deleted:
            self.stdout.write(f"deleted {key_id}")
        self.stdout.write(f"{len(deleted)} unapproved key(s) deleted.")
