"""What the second factor adds to a login, and what a step-up adds to an action: in-process timings with
Django's test client, on a throwaway SQLite database (a child process, DEBUG off).

    .venv/bin/python -m tools.bench_factors              # 200 runs of each
    .venv/bin/python -m tools.bench_factors --runs 10    # a quick smoke run

Each figure is the best round's median (`tools.rounds`: a burst of other work on this shared machine
spoils a round, not the figure), in milliseconds per run:

- login, password only: ``POST /accounts/login/`` of a user without a factor (one request);
- login, password and code: the same user with an authenticator app, ``POST /accounts/login/`` and
  ``POST /accounts/login/code/`` with the current code (two requests);
- action with a fresh proof: ``POST /accounts/security/recovery-codes/`` (makes 10 codes) within
  STEP_UP_SECONDS — what the step-up check adds is also timed alone (`proof.is_fresh`, µs);
- action with a stale proof: the same POST answered by the question, then the POST with the code
  that carries the form on (two requests, the action included);
- the check that every page of an Admin user makes (`enrolment_due`: must they set up a factor
  first?), alone, in µs, as the middleware asks it (the policy read from the organization loaded with
  the user): with the policy «Admin users must use a second factor» off (no query) and on, for an
  Admin user with a factor (one query: their factors).

Password hashing is MD5 here (as in the tests), so that the differences are the second factor's,
not PBKDF2's (hundreds of milliseconds, the same for both logins). Each run uses the next 30-second
step of a clock the TOTP reads, so that no code is refused as used.
"""

import argparse
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from tools import ROOT, ToolError
from tools.harness import child_env
from tools.rounds import best_round_median

PASSWORD = "bench-factors-2026"  # noqa: S105 (a throwaway database's user)


class _Clock:
    """Stands in for `time` in `users.factors.models`: one 30-second step further per `tick`."""

    def __init__(self):
        self.now = float(int(time.time()) // 30 * 30 + 5)

    def time(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += 30


def _child(runs: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.client import RequestFactory

    from users.backends import UserBackend
    from users.factors import crypto, proof
    from users.factors import models as factor_models
    from users.factors.models import TOTPDevice
    from users.factors.services import _recovery_codes_replace, enrolment_due
    from users.models import Organization, User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    clock = _Clock()
    factor_models.time = clock
    organization = Organization.objects.create(name="Bench AG")
    User.objects.create_user("plain", password=PASSWORD, organization=organization)
    with_factor = User.objects.create_user("factor", password=PASSWORD, organization=organization)
    device = TOTPDevice.start(with_factor)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    _recovery_codes_replace(with_factor)
    key = crypto.decrypt(device.key_encrypted)

    def code() -> str:
        clock.tick()
        return f"{_code_now(key, clock.now):06d}"

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        return (time.perf_counter() - start) * 1000

    def login_plain(_number: int) -> float:
        client = Client()
        elapsed = timed(lambda: client.post("/accounts/login/", {"username": "plain", "password": PASSWORD}))
        _expect("_auth_user_id" in client.session, "not logged in")
        return elapsed

    def login_factor(_number: int) -> float:
        client = Client()
        current = code()

        def both():
            client.post("/accounts/login/", {"username": "factor", "password": PASSWORD})
            client.post("/accounts/login/code/", {"code": current})

        elapsed = timed(both)
        _expect("_auth_user_id" in client.session, "not logged in")
        return elapsed

    signed_in = Client()
    signed_in.force_login(with_factor)

    def action_fresh(_number: int) -> float:
        session = signed_in.session
        session[proof.PROOF_AT] = time.time()
        session.save()
        response = None

        def post():
            nonlocal response
            response = signed_in.post("/accounts/security/recovery-codes/")

        elapsed = timed(post)
        _expect(b'data-testid="recovery-codes"' in response.content, "no recovery codes shown")
        return elapsed

    def action_stale(_number: int) -> float:
        session = signed_in.session
        session[proof.PROOF_AT] = 0.0
        session.save()
        current = code()
        response = None

        def both():
            nonlocal response
            signed_in.post("/accounts/security/recovery-codes/")
            response = signed_in.post("/accounts/security/recovery-codes/", {"step_up": "1", "code": current})

        elapsed = timed(both)
        _expect(b'data-testid="recovery-codes"' in response.content, "no recovery codes shown")
        return elapsed

    admin = User.objects.create_user("admin", password=PASSWORD, organization=organization, is_org_admin=True)
    TOTPDevice.objects.filter(pk=TOTPDevice.start(admin).pk).update(confirmed=True)

    def enrolment_check_us(policy_on: bool) -> float:
        Organization.objects.filter(pk=organization.pk).update(admins_need_factor=policy_on)
        loaded = UserBackend().get_user(admin.pk)  # as a session loads the user: the organization joined

        def check() -> bool:  # as EnrolmentDueMiddleware asks
            return enrolment_due(loaded, policy=loaded.organization.admins_need_factor)

        _expect(not check(), "an Admin user with a factor sent to enrol")
        return min(timeit.repeat(check, number=200, repeat=5)) / 200 * 1e6

    policy_off_us, policy_on_us = enrolment_check_us(False), enrolment_check_us(True)

    request = RequestFactory().post("/")
    request.session = {proof.PROOF_AT: time.time()}
    check_us = min(timeit.repeat(lambda: proof.is_fresh(request), number=10_000, repeat=5)) / 10_000 * 1e6

    plain_ms, _ = best_round_median(login_plain, runs)
    factor_ms, _ = best_round_median(login_factor, runs)
    fresh_ms, _ = best_round_median(action_fresh, runs)
    stale_ms, _ = best_round_median(action_stale, runs)
    print(f"bench_factors: {runs} runs of each, best round's median, SQLite, MD5 password hashing")
    print(f"login, password only: {plain_ms:.2f} ms (1 request)")
    print(f"login, password and code: {factor_ms:.2f} ms (2 requests): ", end="")
    print(f"the second factor adds {factor_ms - plain_ms:.2f} ms")
    print(f"action with a fresh proof: {fresh_ms:.2f} ms; the step-up check itself: {check_us:.2f} µs")
    print(f"action with a stale proof: {stale_ms:.2f} ms (question + proof + action, 2 requests): ", end="")
    print(f"the step-up adds {stale_ms - fresh_ms:.2f} ms")
    print(f"an Admin user's page, enrolment check: {policy_off_us:.2f} µs with the policy off, ", end="")
    print(f"{policy_on_us:.2f} µs with it on")


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise ToolError(f"bench_factors: {what}")


def _code_now(key: bytes, now: float) -> int:
    from django_otp.oath import TOTP

    token = TOTP(key)
    token.time = now
    return token.token()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_factors",
        description="What the second factor adds to a login and a step-up to an action (in-process, test client).",
    )
    parser.add_argument("--runs", type=int, default=200, help="runs of each measurement (default 200)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        env = child_env(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        result = subprocess.run(  # noqa: S603 (this module, fixed arguments)
            [sys.executable, "-m", "tools.bench_factors", "--child", "--runs", str(args.runs)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
