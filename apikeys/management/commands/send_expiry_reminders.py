import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from apikeys.notices import send_expiry_reminders
from efinance.lib.metrics import note_reminder_run


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "E-mail the reminders of keys that have at most 30, 7 or 1 day(s) left (cron: daily). Each reminder "
        "goes out once per key and threshold, also when run again or by several app servers at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_day, default=None, help="run as if on this day (YYYY-MM-DD)")

    def handle(self, *args, today, **options):
        run = send_expiry_reminders(today)
        note_reminder_run(at=time.time(), messages=run.queued)
        self.stdout.write(
            f"reminders: {run.keys} keys due, {run.queued} messages queued, {run.sent} sent, "
            f"{run.waiting} waiting for the next run (outbox), {run.retried} older sent, {run.seconds:.2f} s"
        )
