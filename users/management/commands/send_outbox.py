import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from users.mail import send_pending


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox: once (cron, every minute), or with --loop as a service "
        "that looks every few seconds. Safe with several runners at once: each message is claimed before "
        "it is sent. A failed send stays for the next round."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="at most this many messages per round")
        parser.add_argument("--loop", action="store_true", help="run until stopped (SIGTERM or SIGINT)")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="with --loop: seconds to wait when the outbox is empty"
        )

    def handle(self, *args, limit, loop, interval, **options):
        if not loop:
            self._round(limit)
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"outbox: sending every {interval:g} s until stopped", ending="\n")
        self.stdout.flush()
        while not stop.is_set():
            close_old_connections()  # a connection the database closed meanwhile is replaced
            sent, failed = self._round(limit, quiet=True)
            if sent + failed < limit:  # the outbox is drained (or only failures are left): wait
                stop.wait(interval)
        self.stdout.write("outbox: stopped")

    def _round(self, limit: int, *, quiet: bool = False) -> tuple[int, int]:
        sent, failed = send_pending(limit=limit)
        if not quiet or sent or failed:
            self.stdout.write(f"outbox: {sent} sent, {failed} failed (kept for the next run)")
            self.stdout.flush()
        return sent, failed
