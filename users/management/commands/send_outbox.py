from django.core.management.base import BaseCommand

from users.mail import send_pending


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox (cron: every minute). Safe when several app servers run it "
        "at once: each message is claimed before it is sent. A failed send stays for the next run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="at most this many messages per run")

    def handle(self, *args, limit, **options):
        sent, failed = send_pending(limit=limit)
        self.stdout.write(f"outbox: {sent} sent, {failed} failed (kept for the next run)")
