"""Cost that does not grow with the work: the screens and runs of a contract with a log of millions,
100,000 keys, a year of usage counters, measured beside the same at a small size, on throwaway databases.

    .venv/bin/python -m tools.bench_scale                      # the sizes of the targets (minutes)
    .venv/bin/python -m tools.bench_scale --short              # small sizes: every figure, in about a minute
    .venv/bin/python -m tools.bench_scale --json figures.json

Run from the checkout root; it exits 1 with a message on stderr when a measurement fails. For each
database — a temporary SQLite file and, when DATABASE_URL names a PostgreSQL server, a temporary
database beside it (dropped afterwards) — a child process (``--child``) migrates, builds the data sets
in bulk (`harness.bulk_insert`: COPY on PostgreSQL, `executemany` on SQLite; PostgreSQL's tables then
analysed as autovacuum would) and measures, in process with Django's test Client (DEBUG off, an Admin user
logged in; medians of the best of 5 rounds that take turns, `harness.page_figures`; SQL statements
counted in a request of their own):

1. «Activity», 50 entries a page, of an organization with `--log-small` (1,000) entries and of one
   with `--log` (1,000,000): the first page and a page 70 % deep in the log (``?before=``), unfiltered
   and filtered by user, by key ID and by action;
2. the key list and User management of an organization with 10 keys and of one with `--keys`
   (100,000), of 10 users, every tenth key deleted, their ends spread over two years (about one in
   24 expires within 30 days), one in a hundred created by an Admin user who has left since;
3. ``ApiKey.objects.verify_token`` with `--verify-small` (1,000) keys in the table, then with
   `--verify-keys` (1,000,000);
4. the key's page of a key with `--usage-months` (13) months of hourly counters in every operation
   and outcome, against a new key's, over 30 and 90 days;
5. «Download credential report» (CSV and JSON, read to the end of the streamed zip) of 10 and of
   `--report-keys` (10,000) keys: the median ms of 3 downloads and the peak of what Python allocated
   during one (`tracemalloc`), the large report's over the small one's;
6. the reminder run (`send_expiry_reminders`) for `--reminder-keys` (100,000) keys due the same day
   over `--reminder-organizations` (1,000) organizations, each with one Admin user who owns its keys
   (one message a key), delivered to an SMTP server on the loopback (aiosmtpd, in the parent): its
   SQL statements per batch of keys, and the milliseconds per message handed to SMTP.

The parent prints one table (figure, target, SQLite, PostgreSQL, met?); ``--json FILE`` writes
``{"sqlite": {...}, "postgresql": {...}}``. The targets are those of the full sizes: the short form
only shows that every figure is measured.
"""

import argparse
import datetime
import hashlib
import itertools
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode

from tools import ToolError, harness
from tools.harness import out
from tools.rounds import alternating_rounds

JSON_LINE = "bench_scale.figures "
PAGE_MS = 25  # every page of the targets, median
LOG_RATIO = 1.5  # «Activity» deep in a large log against a small one
VERIFY_RATIO = 1.2  # verify_token at 1,000,000 keys against 1,000
REPORT_MS = 2000
REPORT_GROWTH_MB = 20
# The reminder run's rate as the docs promise it (docs/operations/email-and-cron.md: about 6 ms a message).
REMINDER_MESSAGE_MS = 6.0

FULL = {
    "log": 1_000_000,
    "log_small": 1_000,
    "keys": 100_000,
    "verify_keys": 1_000_000,
    "verify_small": 1_000,
    "usage_months": 13,
    "report_keys": 10_000,
    "reminder_keys": 100_000,
    "reminder_organizations": 1_000,
    "page_runs": 10,
    "verifications": 5_000,
}
SHORT = {
    "log": 3_000,
    "log_small": 500,
    "keys": 500,
    "verify_keys": 5_000,
    "verify_small": 500,
    "usage_months": 1,
    "report_keys": 100,
    "reminder_keys": 100,
    "reminder_organizations": 10,
    "page_runs": 2,
    "verifications": 500,
}
REMINDER_BATCH_NOTE = "not one more per key or message"
FILTERS = ("all", "user", "key", "action")
STEPS = ("verify", "reminders", "activity", "lists", "usage", "report")
DEPTHS = ("first", "deep")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="small sizes (CI): every figure, not the targets")
    for name, value in FULL.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=None, help=f"default {value:,} ({SHORT[name]:,} short)"
        )
    parser.add_argument(
        "--only",
        default="",
        metavar="STEPS",
        help=f"some of the measurements only, comma-separated: {', '.join(STEPS)}",
    )
    parser.add_argument("--json", default="", metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one database's part of it); 0 when done, 1 on a failure."""
    return harness.run_tool("bench_scale", _parser(), argv, _parent, child=_child)


def _sizes(options) -> dict:
    defaults = SHORT if options["short"] else FULL
    return {name: options[name] if options[name] is not None else default for name, default in defaults.items()}


def _parent(options) -> None:
    from aiosmtpd.controller import Controller

    _steps(options["only"])
    sizes = _sizes(options)
    out(
        f"bench_scale{' --short' if options['short'] else ''}: log {sizes['log_small']:,} and {sizes['log']:,} "
        f"entries, key lists at 10 and {sizes['keys']:,} keys, verify_token at {sizes['verify_small']:,} and "
        f"{sizes['verify_keys']:,} keys, {sizes['usage_months']} month(s) of usage, reports of 10 and "
        f"{sizes['report_keys']:,} keys, reminders of {sizes['reminder_keys']:,} keys over "
        f"{sizes['reminder_organizations']:,} organizations; pages in process, 5 rounds of {sizes['page_runs']}"
    )
    started = time.monotonic()
    received: Counter = Counter()

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received["messages"] += len(envelope.rcpt_tos)
            return "250 OK"

    figures = {}
    for label, urls in harness.each_database("scale", ("scale",)):
        controller = Controller(Inbox(), hostname="127.0.0.1", port=harness.free_port())
        controller.start()
        received.clear()
        try:
            env = harness.child_env(urls["scale"], EMAIL_URL=f"smtp://127.0.0.1:{controller.port}")
            args = [arg for name, value in sizes.items() for arg in (f"--{name.replace('_', '-')}", str(value))]
            args += ["--only", options["only"]] if options["only"] else []
            result = harness.run_child("tools.bench_scale", label, args, env, timeout=4 * 3600)
        finally:
            controller.stop()
        found, lines = harness.read_figures(label, JSON_LINE, result.stdout)
        for line in lines:
            out(line)
        found["reminder_received"] = received["messages"]
        sent = found.get("reminder_sent", 0) + found.get("reminder_one_sent", 0)
        if found["reminder_received"] != sent:
            raise ToolError(f"{label}: {sent} reminders sent, {received['messages']} received")
        figures[label.lower()] = found
    out()
    for line in _table(figures, sizes):
        out(line)
    out(f"bench_scale took {time.monotonic() - started:,.0f} s")
    if options["json"]:
        harness.write_json(options["json"], {"sizes": sizes, **figures})
        out(f"figures written to {options['json']}")


# -- the table ---------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _rows(sizes: dict) -> list[tuple[str, str, Callable, Callable]]:
    """(figure, target, its cell from a database's figures, whether that database meets it)."""
    small, large = f"{sizes['log_small']:,}", f"{sizes['log']:,}"
    rows = []
    for depth in DEPTHS:
        for kind in FILTERS:
            name = f"activity_{kind}_{depth}"
            where = "first page" if depth == "first" else "a page 70 % deep"
            narrowed = "no filter" if kind == "all" else f"by {'key ID' if kind == 'key' else kind}"

            def cell(f, name=name):
                ratio = f[f"{name}_large_ms"] / f[f"{name}_small_ms"]
                return (
                    f"{_ms(f[f'{name}_small_ms'])} → {_ms(f[f'{name}_large_ms'])} ({ratio:.2f}×), "
                    f"{f[f'{name}_small_queries']} → {f[f'{name}_large_queries']} queries"
                )

            def met(f, name=name):
                return (
                    max(f[f"{name}_small_ms"], f[f"{name}_large_ms"]) <= PAGE_MS
                    and f[f"{name}_large_ms"] <= LOG_RATIO * f[f"{name}_small_ms"]
                    and f[f"{name}_small_queries"] == f[f"{name}_large_queries"]
                )

            rows.append(
                (
                    f"«Activity», {where}, {narrowed}: {small} → {large} entries",
                    f"each ≤ {PAGE_MS} ms, ≤ {LOG_RATIO}×, same queries",
                    cell,
                    met,
                )
            )
    for page, title in (("list", "The key list"), ("users", "User management")):

        def cell(f, page=page):
            return (
                f"{_ms(f[f'{page}_small_ms'])} → {_ms(f[f'{page}_large_ms'])}, "
                f"{f[f'{page}_small_queries']} → {f[f'{page}_large_queries']} queries"
            )

        def met(f, page=page):
            return f[f"{page}_large_ms"] <= PAGE_MS and f[f"{page}_large_queries"] <= f[f"{page}_small_queries"]

        rows.append((f"{title}: 10 → {sizes['keys']:,} keys", f"≤ {PAGE_MS} ms, queries as at 10", cell, met))
    rows.append(
        (
            f"`verify_token`: {sizes['verify_small']:,} → {sizes['verify_keys']:,} keys",
            f"≤ {VERIFY_RATIO}×",
            lambda f: (
                f"{f['verify_small_us']:.1f} → {f['verify_large_us']:.1f} µs "
                f"({f['verify_large_us'] / f['verify_small_us']:.2f}×)"
            ),
            lambda f: f["verify_large_us"] <= VERIFY_RATIO * f["verify_small_us"],
        )
    )
    for days in (30, 90):

        def cell(f, days=days):
            return (
                f"{_ms(f[f'usage_{days}_new_ms'])} → {_ms(f[f'usage_{days}_full_ms'])}, "
                f"{f[f'usage_{days}_new_queries']} → {f[f'usage_{days}_full_queries']} queries"
            )

        def met(f, days=days):
            return (
                f[f"usage_{days}_full_ms"] <= PAGE_MS
                and f[f"usage_{days}_full_queries"] == f[f"usage_{days}_new_queries"]
            )

        rows.append(
            (
                f"The key's page, {days} days: a new key → {sizes['usage_months']} months of hourly counters",
                f"≤ {PAGE_MS} ms, queries of a new key",
                cell,
                met,
            )
        )
    for fmt in ("csv", "json"):

        def cell(f, fmt=fmt):
            return f"{f[f'report_{fmt}_ms']:,.0f} ms, +{f[f'report_{fmt}_growth_mb']:.1f} MB"

        def met(f, fmt=fmt):
            return f[f"report_{fmt}_ms"] <= REPORT_MS and f[f"report_{fmt}_growth_mb"] <= REPORT_GROWTH_MB

        rows.append(
            (
                f"Credential report ({fmt.upper()}), {sizes['report_keys']:,} keys: time, memory over 10 keys",
                f"≤ {REPORT_MS / 1000:g} s, ≤ {REPORT_GROWTH_MB} MB more",
                cell,
                met,
            )
        )
    rows.append(
        (
            f"Reminder run, {sizes['reminder_keys']:,} keys over {sizes['reminder_organizations']:,} "
            "organizations: per message handed to SMTP",
            f"≤ {REMINDER_MESSAGE_MS:g} ms (docs: «about 6 ms a message»)",
            lambda f: (
                f"{f['reminder_message_ms']:.2f} ms ({f['reminder_sent']:,} messages in {f['reminder_seconds']:,.1f} s)"
            ),
            lambda f: f["reminder_message_ms"] <= REMINDER_MESSAGE_MS,
        )
    )
    rows.append(
        (
            "Reminder run: SQL statements per batch of keys",
            f"fixed: as for a batch of one key ({REMINDER_BATCH_NOTE})",
            lambda f: (
                f"{f['reminder_batch_queries']:,.1f} per batch of {f['reminder_batch']} keys "
                f"({f['reminder_one_queries']} for one key)"
            ),
            lambda f: f["reminder_batch_queries"] <= f["reminder_one_queries"],
        )
    )
    return rows


def _table(figures: dict, sizes: dict) -> list[str]:
    """Every figure of every database as a Markdown table (what docs/development/performance.md shows)."""
    labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    vendors = list(figures)
    lines = []
    for figure, target, cell, met in _rows(sizes):
        if any(not _measured(cell, figures[vendor]) for vendor in vendors):
            continue  # not measured in this run (--only)
        missed = [labels[vendor] for vendor in vendors if not met(figures[vendor])]
        verdict = "yes" if not missed else "no (" + ", ".join(missed) + ")"
        lines.append([figure, target, *(cell(figures[vendor]) for vendor in vendors), verdict])
    return harness.markdown_table(["figure", "target", *(labels[v] for v in vendors), "met?"], lines)


def _measured(cell, figures: dict) -> bool:
    try:
        cell(figures)
    except KeyError:
        return False
    return True


def _steps(only: str) -> set[str]:
    """The measurements that `--only` names (all of them without it); ToolError for an unknown one."""
    chosen = {name.strip() for name in only.split(",") if name.strip()} or set(STEPS)
    if chosen - set(STEPS):
        raise ToolError(f"--only: no such measurement: {', '.join(sorted(chosen - set(STEPS)))}")
    return chosen


# -- the child: its DATABASE_URL is the throwaway database -------------------------------------------------


def _child(options) -> None:
    label = options["child"]
    sizes = {name: options[name] for name in FULL}
    only = _steps(options["only"])
    harness.migrate()
    figures = {}
    # verify_token first, on a table of its keys alone; then the reminders, before the data sets whose
    # keys could be due one.
    for step in (_verify, _reminders, _activity, _lists, _usage, _report):
        if step.__name__.strip("_") not in only:
            continue
        started = time.monotonic()
        figures.update(step(sizes))
        out(f"{label}: {step.__name__.strip('_')} measured ({time.monotonic() - started:,.0f} s with its data)")
    harness.print_figures(JSON_LINE, figures)


def _organization(name: str, people: int = 10):
    """An organization with an Admin user and `people` - 1 standard users, each with an address."""
    from users.models import Organization, User

    organization = Organization.objects.create(name=name)
    users = [
        User.objects.create_user(
            username=f"{name.lower().replace(' ', '-')}-{number}",
            email=f"user{number}@{name.lower().replace(' ', '-')}.example",
            organization=organization,
            is_org_admin=number == 0,
        )
        for number in range(people)
    ]
    return organization, users


def _client_of(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _timed(what: str, build, *args) -> None:
    """`build(*args)`, and how long it took."""
    started = time.monotonic()
    build(*args)
    out(f"  built {what} in {time.monotonic() - started:,.1f} s")


# 3. verify_token


def _verify_keys(organization, user, count: int) -> list[str]:
    """`count` valid integration keys of `user`, in bulk; answers the tokens of about 100 spread over them."""
    from django.utils import timezone

    from apikeys import tokens
    from apikeys.models import Api, ApiKey, latest_valid_until

    now, valid_until, every = timezone.now(), latest_valid_until(), max(1, count // 100)
    sample = []

    def rows():
        for number in range(count):
            key_id, secret = tokens.new_key_id(), tokens.new_secret()
            if number % every == 0:
                sample.append(tokens.build_token(Api.INTEGRATION, key_id, secret))
            yield (
                key_id,
                tokens.hash_secret(secret),
                Api.INTEGRATION,
                organization.pk,
                user.pk,
                user.pk,
                now,
                valid_until,
            )

    columns = ("key_id", "secret_hash", "api", "organization_id", "user_id", "created_by_id", "created_at")
    harness.bulk_insert(ApiKey, (*columns, "valid_until"), rows())
    harness.analyze(ApiKey)
    return sample


def _verify(sizes) -> dict:
    from apikeys.models import ApiKey

    organization, [user] = _organization("Verify", people=1)
    small = _verify_keys(organization, user, sizes["verify_small"])
    [(small_us, _p90)] = alternating_rounds([harness.verify_round(small)], sizes["verifications"])
    grow = sizes["verify_keys"] - ApiKey.objects.count()
    large = []
    _timed(f"{grow:,} more keys", lambda: large.extend(_verify_keys(organization, user, grow)))
    [(large_us, _p90)] = alternating_rounds([harness.verify_round(large)], sizes["verifications"])
    return {"verify_small_us": round(small_us, 1), "verify_large_us": round(large_us, 1)}


# 1. «Activity»

LOG_ACTIONS = ("key_created", "login", "key_deleted", "login_failed")  # in turn: each a quarter of the log
LOG_KEYS = ("aaaaaaaaaaaa", "bbbbbbbbbbbb")  # a key action's key ID, in turn: «by key ID» an eighth... a quarter
DEEP = 0.7  # «a page deep in the log»: below 70 % of the entries, newest first


def _log(organization, users, count: int, now) -> None:
    """`count` entries of the organization, a second apart up to `now`: actions in turn, the acting user
    one of four, the user concerned one of four in turn, key entries of two keys."""
    from audit.models import AuditEvent

    def rows():
        for number in range(count):
            action = LOG_ACTIONS[number % 4]
            on_key = action.startswith("key_")
            actor, subject = users[number % 4], users[(number // 4) % 4]
            yield (
                now - datetime.timedelta(seconds=count - number),
                action,
                actor.pk,
                actor.username,
                subject.pk,
                organization.pk,
                LOG_KEYS[(number // 4) % 2] if on_key else "",
                "192.0.2.7",
                {"api": "integration", "valid_until": "2027-06-30"} if on_key else {},
            )

    columns = ("at", "action", "actor_id", "username", "subject_id", "organization_id", "key_id", "ip", "details")
    harness.bulk_insert(AuditEvent, columns, rows())


def _activity(sizes) -> dict:
    from django.urls import reverse
    from django.utils import timezone

    from audit.models import AuditEvent
    from audit.pages import Position

    now = timezone.now().replace(microsecond=0)
    pages = {}
    for size in ("small", "large"):
        count = sizes["log_small" if size == "small" else "log"]
        organization, users = _organization(f"Log {size}")
        _timed(f"{count:,} entries of «Activity»", _log, organization, users, count, now)
        deep_at = now - datetime.timedelta(seconds=count - int(count * (1 - DEEP)))
        deep = AuditEvent.objects.filter(organization=organization, at=deep_at).values_list("pk", flat=True).get()
        client = _client_of(users[0])
        filters = {
            "all": {},
            "user": {"user": users[1].pk},
            "key": {"key_id": LOG_KEYS[0]},
            "action": {"action": "key_deleted"},
        }
        for kind, query in filters.items():
            for depth in DEPTHS:
                where = {"before": str(Position(deep_at, deep))} if depth == "deep" else {}
                path = reverse("apikeys:activity") + "?" + urlencode({**query, **where})
                pages[f"activity_{kind}_{depth}_{size}"] = (client, path)
    harness.analyze(AuditEvent)
    return _page_figures(pages, sizes["page_runs"])


def _page_figures(pages: dict, runs: int) -> dict:
    figures = {}
    with harness.plain_static_files():
        for name, (median_ms, queries) in harness.page_figures(pages, runs).items():
            figures[f"{name}_ms"], figures[f"{name}_queries"] = median_ms, queries
    return figures


# 2. The key list and User management


def _contract_keys(organization, users, leaver, count: int) -> None:
    """`count` keys of the 10 `users`, created over the last two years (each valid 700 days: some
    expired, about one in 24 expiring within 30 days), every tenth deleted, one in a hundred created
    by `leaver` (an Admin user who has left since), the others by the Admin user `users[0]`."""
    from django.utils import timezone

    from apikeys import tokens
    from apikeys.models import Api, ApiKey

    now, admin = timezone.now(), users[0]

    def rows():
        for number in range(count):
            # 683 and 729 share no factor: the ages cover the two years evenly, and the second key
            # of any contract expires within 30 days.
            created = now - datetime.timedelta(days=(number * 683) % 729, minutes=number % 1440)
            key_id = tokens.new_key_id()
            deleted = number % 10 == 9
            yield (
                key_id,
                hashlib.sha256(key_id.encode()).hexdigest(),  # each its own; no token matches it
                Api.INTEGRATION if number % 2 else Api.PRODUCTION,
                organization.pk,
                users[number % len(users)].pk,
                (leaver if number % 100 == 0 else admin).pk,
                created,
                timezone.localdate(created) + datetime.timedelta(days=700),
                created + datetime.timedelta(hours=1) if deleted else None,
                admin.pk if deleted else None,
            )

    columns = ("key_id", "secret_hash", "api", "organization_id", "user_id", "created_by_id", "created_at")
    harness.bulk_insert(ApiKey, (*columns, "valid_until", "revoked_at", "revoked_by_id"), rows())


def _lists(sizes) -> dict:
    from django.urls import reverse

    from apikeys.models import ApiKey
    from users.models import User

    pages = {}
    for size, count in (("small", 10), ("large", sizes["keys"])):
        organization, users = _organization(f"Keys {size}")
        leaver = User.objects.create_user(
            username=f"keys-{size}-left", organization=organization, is_org_admin=True, is_active=False
        )
        _timed(f"{count:,} keys of a contract", _contract_keys, organization, users, leaver, count)
        client = _client_of(users[0])
        pages[f"list_{size}"] = (client, reverse("apikeys:list"))
        pages[f"users_{size}"] = (client, reverse("apikeys:user_management"))
    harness.analyze(ApiKey)
    return _page_figures(pages, sizes["page_runs"])


# 4. The key's usage


def _usage(sizes) -> dict:
    from django.urls import reverse
    from django.utils import timezone

    from apikeys.models import ApiKey, KeyUsage, KeyUsageDay, Operation, Outcome

    organization, users = _organization("Usage", people=1)
    _contract_keys(organization, users, users[0], 2)
    new, full = ApiKey.objects.filter(organization=organization).order_by("pk")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    hours = sizes["usage_months"] * 31 * 24

    def rows():
        for back in range(hours):
            at = hour - datetime.timedelta(hours=back)
            for operation, outcome in itertools.product(Operation.values, Outcome.values):
                reason = "unknown" if outcome == Outcome.AUTH_REFUSED else ""
                yield (full.pk, at, operation, outcome, reason, 1 + back % 7)

    counters = hours * len(Operation.values) * len(Outcome.values)
    columns = ("api_key_id", "hour", "operation", "outcome", "reason", "count")
    _timed(f"{counters:,} hourly counters", harness.bulk_insert, KeyUsage, columns, rows())
    harness.analyze(KeyUsage, KeyUsageDay)  # the days filled by the database's triggers, row by row
    client = _client_of(users[0])
    pages = {}
    for days in (30, 90):
        for name, key in (("new", new), ("full", full)):
            pages[f"usage_{days}_{name}"] = (client, reverse("apikeys:detail", args=[key.key_id]) + f"?days={days}")
    return _page_figures(pages, sizes["page_runs"])


# 5. The credential report


def _report(sizes) -> dict:
    from django.utils import timezone

    from apikeys.models import ApiKey, KeyUsage

    clients = {}
    for size, count in (("small", 10), ("large", sizes["report_keys"])):
        organization, users = _organization(f"Report {size}")
        _contract_keys(organization, users, users[0], count)
        hour = timezone.now().replace(minute=0, second=0, microsecond=0)
        keys = list(ApiKey.objects.filter(organization=organization).values_list("pk", flat=True))
        columns = ("api_key_id", "hour", "operation", "outcome", "count")
        harness.bulk_insert(KeyUsage, columns, ((pk, hour, "ping", "ok", 7) for pk in keys))
        clients[size] = _client_of(users[0])
    harness.analyze(ApiKey, KeyUsage)
    figures = {}
    for fmt in ("csv", "json"):
        peaks = {}
        for size, client in clients.items():
            _download(client, fmt)  # warm-up: templates, translations
            tracemalloc.start()
            _download(client, fmt)
            peaks[size] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        timings = []
        for _round in range(3):
            started = time.perf_counter()
            _download(clients["large"], fmt)
            timings.append((time.perf_counter() - started) * 1000)
        figures[f"report_{fmt}_ms"] = round(sorted(timings)[1], 1)
        figures[f"report_{fmt}_growth_mb"] = round(max(0, peaks["large"] - peaks["small"]) / 1e6, 2)
    return figures


def _download(client, fmt: str) -> None:
    response = client.post("/administration/credential-report/", {"format": fmt})
    if response.status_code != 200:
        raise ToolError(f"the credential report ({fmt}) answered {response.status_code}")
    for _chunk in response.streaming_content:
        pass


# 6. The reminder run


def _reminder_keys(name: str, organizations: int, count: int, today) -> list:
    """`organizations` organizations (`name` and a number), each with an Admin user who owns its share
    of `count` keys, each due its 30-day reminder on `today`; answers the organizations."""
    from django.utils import timezone

    from apikeys import tokens
    from apikeys.models import Api, ApiKey
    from users.models import Organization, User

    made = Organization.objects.bulk_create(Organization(name=f"{name} {number}") for number in range(organizations))
    admins = User.objects.bulk_create(
        User(
            username=f"{name.lower()}-{number}",
            email=f"admin@{name.lower()}-{number}.example",
            organization=organization,
            is_org_admin=True,
        )
        for number, organization in enumerate(made)
    )
    created = timezone.now() - datetime.timedelta(days=300)

    def rows():
        for number in range(count):
            admin = admins[number % organizations]
            key_id = tokens.new_key_id()
            yield (
                key_id,
                hashlib.sha256(key_id.encode()).hexdigest(),
                Api.INTEGRATION,
                admin.organization_id,
                admin.pk,
                admin.pk,
                created,
                today + datetime.timedelta(days=30),
            )

    columns = ("key_id", "secret_hash", "api", "organization_id", "user_id", "created_by_id", "created_at")
    harness.bulk_insert(ApiKey, (*columns, "valid_until"), rows())
    harness.analyze(ApiKey)
    return made


def _reminders(sizes) -> dict:
    from django.utils import timezone

    from apikeys.notices import CHUNK, send_expiry_reminders
    from users.models import OutboxMessage

    # One key first, on a day of its own: the statements of a batch of one.
    one_day = timezone.localdate() + datetime.timedelta(days=100)
    _reminder_keys("Reminder", 1, 1, one_day)
    with harness.counted_statements() as statements:
        first = send_expiry_reminders(one_day)
    one = len(statements)
    today = timezone.localdate()
    count = sizes["reminder_keys"]
    _timed(
        f"{count:,} keys due a reminder",
        lambda: _reminder_keys("Reminders", sizes["reminder_organizations"], count, today),
    )
    with harness.counted_statements() as statements:
        run = send_expiry_reminders(today)
    if run.keys != count or run.sent != run.queued or run.queued != count:
        raise ToolError(f"the reminder run: {run}, for {count} keys due")
    batches = -(-count // CHUNK)
    return {
        "reminder_keys": run.keys,
        "reminder_sent": run.sent,
        "reminder_one_sent": first.sent,
        "reminder_seconds": round(run.seconds, 2),
        "reminder_message_ms": round(run.seconds * 1000 / run.sent, 2),
        "reminder_batch": CHUNK,
        "reminder_batch_queries": round(len(statements) / batches, 1),
        "reminder_one_queries": one,
        "reminder_outbox": OutboxMessage.objects.count(),
    }


if __name__ == "__main__":
    sys.exit(main())
