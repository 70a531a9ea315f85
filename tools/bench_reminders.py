"""The reminder run measured: `manage.py send_expiry_reminders` against a real SMTP server on the
loopback (aiosmtpd), on a throwaway SQLite file (never db.sqlite3).

    .venv/bin/python -m tools.bench_reminders               # 1,000 keys due, 3 Admin users
    .venv/bin/python -m tools.bench_reminders --keys 100    # a quick run

The parent migrates a temporary database in a child process that also creates one organization with
`--admins` Admin users and `--keys` keys of a standard user, each due its 30-day reminder today. Then
it runs the command twice in two processes at once and a third time alone, each as a cron job would
(`manage.py send_expiry_reminders`), delivering to the SMTP server, and prints each run's own line
(keys due, messages queued and sent, seconds) and the count of messages received — which must be
keys × (admins + 1), each exactly once. Exits 1 when it is not.
"""

import argparse
import datetime
import subprocess
import sys
import time
from collections import Counter

from tools import ROOT, harness


def _child(options) -> None:
    from django.utils import timezone

    from apikeys import tokens
    from apikeys.models import Api, ApiKey
    from users.models import Organization, User

    keys, admins = options["keys"], options["admins"]
    harness.migrate()
    org = Organization.objects.create(name="Bench AG")
    people = [
        User.objects.create(username=f"admin{i}", email=f"admin{i}@bench.example", organization=org, is_org_admin=True)
        for i in range(admins)
    ]
    user = User.objects.create(username="erp", email="erp@bench.example", organization=org)
    today = timezone.localdate()
    ApiKey.objects.bulk_create(
        ApiKey(
            key_id=tokens.new_key_id(),
            secret_hash=tokens.hash_secret(tokens.new_secret()),
            api=Api.INTEGRATION,
            organization=org,
            user=user,
            valid_until=today + datetime.timedelta(days=30),
            created_by=people[0],
            created_at=timezone.now() - datetime.timedelta(days=300),
        )
        for _ in range(keys)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--admins", type=int, default=3)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return harness.run_tool("bench_reminders", parser, argv, _parent, child=_child)


def _parent(options) -> int:
    from aiosmtpd.controller import Controller

    received = Counter()

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            for to in envelope.rcpt_tos:
                received[(to, envelope.content.split(b"Subject: ", 1)[1].split(b"\n", 1)[0])] += 1
            return "250 OK"

    with harness.temporary_sqlite_databases("reminders") as urls:
        env = harness.child_env(urls["bench"])
        harness.run_child("tools.bench_reminders", "SQLite", harness.option_args(options, ("keys", "admins")), env, 300)
        controller = Controller(Inbox(), hostname="127.0.0.1", port=harness.free_port())
        controller.start()
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
        command = [sys.executable, "manage.py", "send_expiry_reminders"]
        try:
            started = time.perf_counter()
            both = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]  # noqa: S603
            outputs = [process.communicate()[0].strip() for process in both]
            wall = time.perf_counter() - started
            again = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=True)  # noqa: S603
        finally:
            controller.stop()
    expected = options["keys"] * (options["admins"] + 1)
    keys, admins = options["keys"], options["admins"]
    print(f"{keys} keys due, {admins} Admin users + the keys' user: {expected} reminders expected")
    for name, out in (("run A", outputs[0]), ("run B (at once)", outputs[1]), ("run C (after)", again.stdout.strip())):
        print(f"  {name}: {out}")
    print(
        f"  A and B at once: {wall:.2f} s wall; received {sum(received.values())} messages, "
        f"{len(received)} distinct, max {max(received.values(), default=0)} per recipient and key"
    )
    return 0 if sum(received.values()) == expected == len(received) else 1


if __name__ == "__main__":
    sys.exit(main())
