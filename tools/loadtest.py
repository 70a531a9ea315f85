"""Load test of the Billing Solutions API under gunicorn, with deletions and (optionally) a database fault.

    .venv/bin/python -m tools.loadtest              # 30 s, 32 clients, 200 keys, 50 deletions, 1 instance
    .venv/bin/python -m tools.loadtest --instances 2    # two gunicorn instances on two ports, one database
    .venv/bin/python -m tools.loadtest --db-fault   # PostgreSQL only: stop it for 3 s during the load

Run from the checkout root, on a migrated database (``manage.py migrate``).

What it does, all on the loopback interface and bounded in time and in requests:

1. creates an organization «Load test <time>» with users and `--keys` keys (half production, half
   customer integration) in the configured database; the tokens stay in this process's memory;
2. starts `--instances` gunicorn servers (`--workers` each, `--no-control-socket`) on free ports;
3. drives them with `--clients` threads (``http.client``, keep-alive where the server allows it) that
   mix ``GET ping`` and ``POST documents`` (each document with its own ``Idempotency-Key``; after a 503
   or a dropped connection the same document is sent again, as an integrator would, and 5 % of the
   delivered documents are sent a second time, to the other instance when there are two);
4. meanwhile a second process (this module with ``--deleter``) deletes `--deletions` keys at random
   moments and reports the wall-clock time at which each deletion had committed;
5. with `--db-fault`, stops PostgreSQL (``pg_ctl stop -m fast`` through ``PG_CTL``/``PG_DATA``) for
   `--fault-seconds` and starts it again, without touching gunicorn.

Then it proves, and exits non-zero if any proof fails: no request answered 2xx that was *sent* after its
key's deletion had committed; no 5xx (with `--db-fault`: only 503 problem documents, only while the
database was down, and successes again afterwards); every document answered 201 is in the database
exactly once, none is stored twice, and the database holds no document that no client was told about
(or each one is explained: its answer was lost to the fault). It prints requests per second and the
latency percentiles.
"""

import argparse
import csv
import datetime
import http.client
import json
import os
import pwd
import random
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from django.db import DatabaseError, InterfaceError, connection, transaction
from django.utils import timezone

from apikeys.tokens import INTEGRATION, PRODUCTION
from tools import ROOT, ToolError, harness

if TYPE_CHECKING:
    from users.models import User

# Keyed by the values of apikeys.models.Api: the models are imported once main() has set Django up.
BASE_PATHS = {PRODUCTION: "/api/billing/v1/", INTEGRATION: "/api/billing-int/v1/"}
RETRY_LIMIT = 100  # how often a document is sent again after a 503 or a dropped connection
REPLAY_SHARE = 0.05  # share of delivered documents sent a second time with the same Idempotency-Key
DELETED = "loadtest.deleted "  # the deleter's report lines on its stdout


@dataclass
class Result:
    """One request as the client saw it. Times are wall-clock (time.time()), comparable across processes."""

    key_id: str
    op: str  # "ping" or "post"
    instance: int
    sent_at: float
    received_at: float
    status: int  # 0: no answer (connection refused or dropped)
    content_type: str = ""
    document_id: str | None = None
    idempotency_key: str | None = None
    reason: str | None = None
    html: bool = False


@dataclass
class Pending:
    """A document the client still has to get a 201 for (first attempt or a retry)."""

    key_index: int
    idempotency_key: str
    body: bytes
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class Shared:
    deadline: float
    max_requests: int
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.sent >= self.max_requests or time.time() >= self.deadline:
                return False
            self.sent += 1
            return True


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.loadtest",
        description="Load test of the Billing API under gunicorn, with key deletions and optionally a database fault.",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the load (default 30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads (default 32)")
    parser.add_argument("--keys", type=int, default=200, help="API keys to create (default 200)")
    parser.add_argument("--deletions", type=int, default=50, help="keys deleted during the load (default 50)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop after this many requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (default 2)")
    parser.add_argument("--instances", type=int, default=1, help="gunicorn instances on one database")
    parser.add_argument("--conn-max-age", type=int, default=60, help="CONN_MAX_AGE of the servers")
    parser.add_argument("--db-fault", action="store_true", help="PostgreSQL only: stop it during the load")
    parser.add_argument("--fault-seconds", type=float, default=3.0, help="how long PostgreSQL is down")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--report", default="", help="also write the figures to this JSON file")
    parser.add_argument("--deleter", default="", help=argparse.SUPPRESS)  # the second process
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the load test (or, with ``--deleter``, its deletions); 0 when every proof holds, 1 otherwise."""

    def run(options: dict) -> None:
        if options["deleter"]:
            LoadTest().run_deleter(options["deleter"])
        else:
            LoadTest().run(options)

    return harness.run_tool("loadtest", _parser(), argv, run, django_in_parent=True)


class LoadTest:
    """The load test; its report goes to `stdout` (this process's by default), one line per write()."""

    def __init__(self, stdout: TextIO | None = None):
        self.stdout = stdout if stdout is not None else sys.stdout

    def write(self, line: str) -> None:
        print(line, file=self.stdout, flush=True)

    # -- the second process: deletions ----------------------------------------------------------

    def run_deleter(self, plan_file: str) -> None:
        """Delete the planned keys at their moments; one JSON line per committed deletion on stdout."""
        from apikeys import services
        from apikeys.models import ApiKey
        from users.models import User

        plan = json.loads(Path(plan_file).read_text())
        by = User.objects.get(pk=plan["by"])
        for key_id, moment in plan["deletions"]:
            time.sleep(max(0.0, moment - time.time()))
            while True:
                try:
                    with transaction.atomic():
                        key = ApiKey.objects.get(key_id=key_id)
                        services.apikey_revoke(key=key, by=by, reason="load test")
                    committed_at = time.time()  # after COMMIT returned: visible to every later transaction
                    break
                except services.KeyNotValid:  # a retry after a commit whose answer was lost to the fault
                    committed_at = time.time()
                    break
                except (DatabaseError, InterfaceError):  # the database is down (--db-fault): try until it is back
                    connection.close()
                    time.sleep(0.1)
            self.write(DELETED + json.dumps({"key_id": key_id, "committed_at": committed_at}))

    # -- the main process -------------------------------------------------------------------------

    def run(self, options: dict) -> None:
        """The load, the deletions, the fault if asked for, then the proofs: ToolError if one fails."""
        self._check(options)
        rng = random.Random(options["seed"])  # noqa: S311 (choosing keys and moments, not secrets)
        workdir = Path(tempfile.mkdtemp(prefix="efinance-loadtest-"))
        keys, admin = self._create_keys(options["keys"])
        doomed = rng.sample(range(len(keys)), options["deletions"])
        servers, ports = [], []
        deleter = None
        try:
            for instance in range(options["instances"]):
                port = harness.free_port()
                servers.append(self._start_gunicorn(port, options, workdir / f"gunicorn-{instance}.log"))
                ports.append(port)
            for port, server in zip(ports, servers, strict=True):
                harness.wait_until_up(port, server)
            start = time.time()
            deadline = start + options["seconds"]
            plan = self._deletion_plan(keys, doomed, admin, start, options["seconds"], rng)
            plan_file = workdir / "deletions.json"
            plan_file.write_text(json.dumps(plan))
            deleter = subprocess.Popen(  # noqa: S603 (this interpreter, this module)
                [sys.executable, "-m", "tools.loadtest", "--deleter", str(plan_file)],
                stdout=subprocess.PIPE,
                stderr=(workdir / "deleter.log").open("w"),  # kept beside the server logs
                text=True,
                cwd=ROOT,
            )
            fault = {}
            if options["db_fault"]:
                fault_thread = threading.Thread(
                    target=self._db_fault, args=(start + options["seconds"] * 0.4, options["fault_seconds"], fault)
                )
                fault_thread.start()
            results, unfinished = self._drive(keys, doomed, ports, deadline, options, rng)
            if options["db_fault"]:
                fault_thread.join()
            deletions_out, _err = deleter.communicate(timeout=max(30.0, options["seconds"]))
            elapsed = max(r.received_at for r in results) - start if results else options["seconds"]
        finally:
            if deleter is not None and deleter.poll() is None:
                deleter.kill()
            for server in servers:
                harness.stop_gunicorn(server)
        connection.close()
        lines = [line.removeprefix(DELETED) for line in deletions_out.splitlines() if line.startswith(DELETED)]
        deletions = {d["key_id"]: d["committed_at"] for d in map(json.loads, lines)}
        self._write_records(workdir, results, deletions, fault)
        ok = self._prove(keys, results, unfinished, deletions, fault, elapsed, options)
        self.write(f"Per-request records (requests.csv, deletions.csv) and server logs: {workdir}")
        if not ok:
            raise ToolError("a proof failed (see above)")
        self.write("RESULT: every proof holds")

    def _check(self, options) -> None:
        from django.db.migrations.executor import MigrationExecutor

        if options["deletions"] > options["keys"]:
            raise ToolError("--deletions cannot exceed --keys")
        if min(options["clients"], options["keys"], options["workers"], options["instances"]) < 1:
            raise ToolError("--clients, --keys, --workers and --instances must be at least 1")
        if options["seconds"] <= 0 or options["seconds"] > 600:
            raise ToolError("--seconds must be between 0 and 600")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise ToolError("the database has unapplied migrations: run `manage.py migrate` first")
        if options["db_fault"]:
            if connection.vendor != "postgresql":
                raise ToolError("--db-fault needs PostgreSQL (DATABASE_URL=postgres://...)")
            if not os.environ.get("PG_CTL") or not os.environ.get("PG_DATA"):
                raise ToolError("--db-fault needs PG_CTL and PG_DATA (the cluster's pg_ctl and data directory)")

    def _create_keys(self, count: int) -> tuple[list[tuple[str, str, str]], "User"]:
        """(key ID, API, token) for `count` new keys of a new organization, and its Admin user."""
        from apikeys import services
        from apikeys.models import Api
        from users.models import Organization, User

        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        with transaction.atomic():
            organization = Organization.objects.create(name=f"Load test {stamp}")
            admin = User.objects.create_user(
                username=f"loadtest-admin-{stamp}", organization=organization, is_org_admin=True
            )
            users = [
                User.objects.create_user(username=f"loadtest-{n}-{stamp}", organization=organization) for n in range(4)
            ]
            valid_until = timezone.localdate() + datetime.timedelta(days=30)
            keys = []
            for n in range(count):
                api = Api.PRODUCTION if n % 2 else Api.INTEGRATION
                key, token = services.apikey_create(
                    user=users[n % len(users)], api=api, valid_until=valid_until, created_by=admin, note="load test"
                )
                keys.append((key.key_id, api, token))
        self.write(f"Created {count} keys for «{organization.name}» in {connection.vendor}.")
        return keys, admin

    def _deletion_plan(self, keys, doomed, admin, start: float, seconds: float, rng) -> dict:
        moments = sorted(start + seconds * rng.uniform(0.1, 0.85) for _ in doomed)
        return {"by": admin.pk, "deletions": [[keys[i][0], moment] for i, moment in zip(doomed, moments, strict=True)]}

    def _start_gunicorn(self, port: int, options, log_file: Path) -> subprocess.Popen:
        # This process's configuration (its database, its secrets), served on the loopback. Every client
        # thread is 127.0.0.1: the per-address limit of failed authentications would turn the deleted
        # keys' 401s into 429s, and proof 1 is about the 401s.
        env = harness.loopback_env(CONN_MAX_AGE=str(options["conn_max_age"]), API_AUTH_FAILURES_PER_MINUTE=str(10**9))
        return harness.start_gunicorn(port, workers=options["workers"], env=env, log=log_file.open("w"))

    # -- the database fault -----------------------------------------------------------------------

    def _pg_ctl(self, *args: str) -> None:
        data = os.environ["PG_DATA"]
        command = [os.environ["PG_CTL"], "-D", data, *args]
        owner = pwd.getpwuid(os.stat(data).st_uid).pw_name
        if os.geteuid() == 0 and owner != "root":
            command = ["runuser", "-u", owner, "--", *command]  # pg_ctl refuses to run as root
        subprocess.run(command, check=True, cwd="/", stdout=subprocess.DEVNULL)  # noqa: S603

    def _db_fault(self, at: float, seconds: float, fault: dict) -> None:
        """Stop PostgreSQL at `at` for `seconds`, then start it again with the options it ran with."""
        data = Path(os.environ["PG_DATA"])
        recorded = shlex.split((data / "postmaster.opts").read_text())
        options = [arg for arg in recorded[1:] if arg not in ("-D", str(data))]
        time.sleep(max(0.0, at - time.time()))
        fault["stopping"] = time.time()
        try:
            self._pg_ctl("stop", "-m", "fast", "-w")
            fault["down"] = time.time()
            time.sleep(seconds)
        except (OSError, subprocess.CalledProcessError) as error:
            fault["error"] = f"pg_ctl stop: {error}"
        finally:  # whatever happened, PostgreSQL must run again
            fault["starting"] = time.time()
            try:
                self._pg_ctl("start", "-w", "-l", str(data.parent / "log"), "-o", shlex.join(options))
                fault["up"] = time.time()
            except (OSError, subprocess.CalledProcessError) as error:
                fault["error"] = f"pg_ctl start: {error}"

    # -- the clients ------------------------------------------------------------------------------

    def _drive(self, keys, doomed, ports, deadline: float, options, rng) -> tuple[list[Result], list[Pending]]:
        shared = Shared(deadline=deadline, max_requests=options["max_requests"])
        per_thread: list[list[Result]] = [[] for _ in range(options["clients"])]
        leftovers: list[list[Pending]] = [[] for _ in range(options["clients"])]
        doomed_set = sorted(doomed)
        seeds = [rng.randrange(2**32) for _ in range(options["clients"])]
        threads = [
            threading.Thread(
                target=self._client,
                args=(n, keys, doomed_set, ports, shared, per_thread[n], leftovers[n], random.Random(seeds[n])),  # noqa: S311
            )
            for n in range(options["clients"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [r for results in per_thread for r in results], [p for pending in leftovers for p in pending]

    def _client(self, number, keys, doomed, ports, shared, results, leftovers, rng) -> None:
        """One integrator: keep-alive connection(s), mixed ping and POST documents, retries on 503."""
        connections = {}
        retries: list[Pending] = []
        sequence = 0
        while shared.take():
            # Half of the traffic uses keys that are going to be deleted, so that deletions meet requests.
            key_index = rng.choice(doomed) if doomed and rng.random() < 0.5 else rng.randrange(len(keys))
            pending = None
            if retries and retries[0].not_before <= time.time():  # a due retry or replay goes first
                pending = retries.pop(0)
                key_index = pending.key_index
            elif rng.random() < 0.5:
                sequence += 1
                invoice = f"LT{number:03d}-{sequence:07d}-{rng.randrange(10**6):06d}"
                body = {
                    "invoice_number": invoice,
                    "issue_date": "2026-11-01",
                    "due_date": "2026-11-30",
                    "currency": "CHF",
                    "amount": f"{rng.randrange(100, 10**7) / 100:.2f}",
                    "recipient": {"name": f"Customer {invoice}", "email": "billing@example.ch"},
                }
                pending = Pending(key_index, str(uuid.uuid4()), json.dumps(body).encode())
            key_id, api, token = keys[key_index]
            instance = (number + (pending.attempts if pending else 0)) % len(ports)
            headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
            if pending:
                pending.attempts += 1
                method, path, body = "POST", BASE_PATHS[api] + "documents", pending.body
                headers |= {"Content-Type": "application/json", "Idempotency-Key": pending.idempotency_key}
            else:
                method, path, body = "GET", BASE_PATHS[api] + "ping", None
            conn = connections.get(instance)
            if conn is None:
                conn = connections[instance] = http.client.HTTPConnection("127.0.0.1", ports[instance], timeout=15)
            result = Result(key_id, "post" if pending else "ping", instance, time.time(), 0.0, 0)
            if pending:
                result.idempotency_key = pending.idempotency_key
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                result.status = response.status
                result.content_type = response.getheader("Content-Type", "")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                payload = b""
            result.received_at = time.time()
            result.html = b"<html" in payload.lower() or b"traceback" in payload.lower()
            if payload and result.content_type.startswith(("application/json", "application/problem+json")):
                try:
                    answer = json.loads(payload)
                except ValueError:
                    answer = {}
                if result.status == 201:
                    result.document_id = answer.get("id")
                elif isinstance(answer, dict):
                    result.reason = answer.get("reason")
            results.append(result)
            if pending and result.status in (0, 503) and pending.attempts < RETRY_LIMIT:
                pending.not_before = time.time() + 0.25
                retries.append(pending)  # the answer was lost: send the same document again, a little later
            elif pending and result.status == 201 and pending.attempts == 1 and rng.random() < REPLAY_SHARE:
                # Send a delivered document again (to the other instance, if there are two): the idempotency
                # record in the database must answer the same document, not store a second one.
                retries.append(pending)
            if result.status in (0, 503):
                time.sleep(0.05)
        leftovers.extend(retries)
        for conn in connections.values():
            conn.close()

    def _write_records(self, workdir: Path, results, deletions, fault) -> None:
        """Every request (key ID, operation, instance, times, status, document) and every deletion, as CSV."""
        with (workdir / "requests.csv").open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["key_id", "op", "instance", "sent_at", "received_at", "status", "reason", "document_id"])
            for r in sorted(results, key=lambda r: r.sent_at):
                times = [f"{r.sent_at:.6f}", f"{r.received_at:.6f}"]
                writer.writerow([r.key_id, r.op, r.instance, *times, r.status, r.reason or "", r.document_id or ""])
        with (workdir / "deletions.csv").open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["key_id", "committed_at"])
            writer.writerows([key_id, f"{moment:.6f}"] for key_id, moment in sorted(deletions.items()))
            writer.writerows([f"# database {event}", f"{moment:.6f}"] for event, moment in fault.items())

    # -- the proofs -------------------------------------------------------------------------------

    def _prove(self, keys, results, unfinished, deletions, fault, elapsed, options) -> bool:
        out = self.write
        ok = True
        vendor = connection.vendor
        out("")
        out(
            f"Load test on {vendor}: {options['instances']} gunicorn instance(s) × {options['workers']} workers, "
            f"{options['clients']} clients, {options['seconds']:g} s, {len(keys)} keys, "
            f"{len(deletions)}/{options['deletions']} deletions committed"
        )
        statuses = Counter(r.status for r in results)
        ops = Counter(r.op for r in results)
        latencies = sorted((r.received_at - r.sent_at) * 1000 for r in results if r.status)
        rate = len(results) / elapsed if elapsed > 0 else 0.0
        out(
            f"requests: {len(results)} (ping {ops['ping']}, POST documents {ops['post']}) in {elapsed:.1f} s "
            f"= {rate:.0f} requests/s"
        )
        out(
            f"latency ms: p50 {_percentile(latencies, 0.50):.1f}  p95 {_percentile(latencies, 0.95):.1f}  "
            f"p99 {_percentile(latencies, 0.99):.1f}  max {latencies[-1] if latencies else 0:.1f}"
        )
        out("statuses: " + ", ".join(f"{status or 'no answer'}×{n}" for status, n in sorted(statuses.items())))
        if options["instances"] > 1:
            per_instance = Counter(r.instance for r in results)
            out("per instance: " + ", ".join(f"#{i}: {n}" for i, n in sorted(per_instance.items())))

        # 1. Nothing accepted with a key after its deletion had committed.
        late = [r for r in results if r.key_id in deletions and r.sent_at > deletions[r.key_id]]
        leaks = [r for r in late if 200 <= r.status < 300]
        refused = Counter(r.reason for r in late if r.status == 401)
        in_flight = [
            r
            for r in results
            if r.key_id in deletions and r.sent_at <= deletions[r.key_id] < r.received_at and 200 <= r.status < 300
        ]
        out(
            f"proof 1, accepted after the deletion committed: {len(leaks)} "
            f"(of {len(late)} requests sent after their key's deletion: 401 {dict(refused)}; "
            f"{len(in_flight)} accepted requests were in flight across a commit, sent before it)"
        )
        if leaks or len(deletions) != options["deletions"]:
            ok = False
            if len(deletions) != options["deletions"]:
                out(f"  only {len(deletions)} of {options['deletions']} deletions committed: see deleter.log")
            for r in leaks[:10]:
                out(f"  LEAK: {r.key_id} {r.op} sent {r.sent_at - deletions[r.key_id]:+.4f} s after commit: {r.status}")

        # 2. No 5xx (with a database fault: only 503 problem documents, only while it was down).
        window = (fault.get("stopping", 0) - 0.05, fault.get("up", 0) + 2.0) if fault else None
        errors = [r for r in results if r.status >= 500]
        unexpected = [
            r
            for r in errors
            if not (
                window
                and r.status == 503
                and r.content_type.startswith("application/problem+json")
                and not r.html
                and window[0] <= r.received_at
                and r.sent_at <= window[1]
            )
        ]
        html = [r for r in results if r.html]
        out(f"proof 2, 5xx answers: {len(unexpected)} unexpected, {len(errors) - len(unexpected)} expected 503")
        if unexpected or html:
            ok = False
            for r in (unexpected or html)[:10]:
                at = r.received_at - window[0] if window else 0.0
                out(f"  ERROR: {r.op} {r.status} {r.content_type} html={r.html} at {at:+.2f} s")
        no_answer = [r for r in results if r.status == 0 and not (window and window[0] <= r.received_at <= window[1])]
        if no_answer:
            ok = False
            out(f"  {len(no_answer)} requests got no answer outside a database fault")

        if fault.get("error") or (options.get("db_fault") and not fault.get("up")):
            ok = False
            out(f"database fault: FAILED to stop and start PostgreSQL: {fault.get('error', 'no fault happened')}")
        elif fault:
            ok &= self._prove_fault(results, fault, out, workers=options["workers"] * options["instances"])

        # 3. Documents: every 201 in the database once, none twice, none that no client was told about.
        ok &= self._prove_documents(keys, results, unfinished, out)
        if options["report"]:
            harness.write_json(
                options["report"],
                {
                    "vendor": vendor,
                    "instances": options["instances"],
                    "workers": options["workers"],
                    "clients": options["clients"],
                    "seconds": options["seconds"],
                    "requests": len(results),
                    "requests_per_second": round(rate, 1),
                    "p50_ms": round(_percentile(latencies, 0.5), 1),
                    "p95_ms": round(_percentile(latencies, 0.95), 1),
                    "p99_ms": round(_percentile(latencies, 0.99), 1),
                    "statuses": {str(k): v for k, v in statuses.items()},
                    "accepted_after_deletion": len(leaks),
                    "unexpected_5xx": len(unexpected),
                    "ok": ok,
                },
            )
        return ok

    def _prove_fault(self, results, fault, out, workers: int) -> bool:
        """While down only 503; once PostgreSQL is back, at most one 503 per gunicorn worker (the request
        that finds its worker's connection broken; no health check runs before it), then successes."""
        down = [r for r in results if fault["down"] <= r.sent_at and r.received_at <= fault["starting"]]
        during = Counter(r.status for r in down)
        after = [r for r in results if r.sent_at > fault["up"]]
        first_ok = min((r.received_at for r in after if 200 <= r.status < 300), default=None)
        late_errors = [r for r in after if r.status >= 500 and r.sent_at > fault["up"] + 2.0]
        unavailable_after = [r for r in after if r.status == 503]
        recovered = first_ok is not None and not late_errors and len(unavailable_after) <= workers
        out(
            f"database fault: PostgreSQL down for {fault['starting'] - fault['down']:.1f} s "
            f"(stop took {fault['down'] - fault['stopping']:.1f} s, start {fault['up'] - fault['starting']:.1f} s); "
            f"answers while down: {dict(during)}; "
            + (
                f"first success {first_ok - fault['up']:+.2f} s after it was back, "
                f"{len(unavailable_after)} × 503 sent after it was back (at most {workers}: one per worker), "
                f"{len(late_errors)} errors later than 2 s after"
                if first_ok is not None
                else "NO success after it was back"
            )
        )
        ok = recovered and bool(down) and set(during) <= {503}
        if not ok:
            out(
                "  FAULT PROOF FAILED: while down only 503 is allowed, and the servers must recover without a "
                "restart, with at most one 503 per worker after the database is back"
            )
        return ok

    def _prove_documents(self, keys, results, unfinished, out) -> bool:
        from billing.models import Document

        key_ids = [key_id for key_id, _api, _token in keys]
        stored = list(
            Document.objects.filter(api_key__key_id__in=key_ids).values_list("id", "idempotency_key", "invoice_number")
        )
        stored_ids = Counter(str(pk) for pk, _idem, _invoice in stored)
        by_idempotency = defaultdict(list)
        for pk, idem, _invoice in stored:
            by_idempotency[idem].append(str(pk))
        invoices = Counter(invoice for _pk, _idem, invoice in stored)
        answered = defaultdict(set)  # idempotency key -> document IDs answered 201
        for r in results:
            if r.status == 201 and r.document_id:
                answered[r.idempotency_key].add(r.document_id)
        answered_ids = {doc for docs in answered.values() for doc in docs}
        replays = sum(1 for r in results if r.status == 201 and r.idempotency_key) - len(answered_ids)
        lost = [doc for doc in answered_ids if stored_ids[doc] == 0]
        duplicated = [doc for doc, n in stored_ids.items() if n > 1]
        duplicated += [invoice for invoice, n in invoices.items() if n > 1]
        inconsistent = [idem for idem, docs in answered.items() if len(docs) > 1]  # two IDs for one document
        unseen = [doc for doc in stored_ids if doc not in answered_ids]
        attempted = defaultdict(list)
        for r in results:
            if r.idempotency_key:
                attempted[r.idempotency_key].append(r.status)
        explained = [
            doc
            for idem, docs in by_idempotency.items()
            for doc in docs
            if doc in unseen and any(status in (0, 503) for status in attempted.get(idem, []))
        ]
        out(
            f"proof 3, documents: {len(answered_ids)} answered 201 "
            f"(+{replays} answers to retries and replays of the same Idempotency-Key), {len(stored_ids)} stored; "
            f"lost {len(lost)}, duplicated {len(duplicated)}, two IDs for one document {len(inconsistent)}, "
            f"stored but never answered {len(unseen)}"
            + (f" ({len(explained)} of them: the answer was lost to the fault and the retry ran out)" if unseen else "")
            + (f"; {len(unfinished)} retries or replays still queued when the time was up" if unfinished else "")
        )
        ok = not lost and not duplicated and not inconsistent and len(unseen) == len(explained)
        if not ok:
            out("  DOCUMENT PROOF FAILED: " + ", ".join((lost + duplicated + inconsistent + unseen)[:10]))
        return ok


if __name__ == "__main__":
    sys.exit(main())
