"""The cast of the tests (after healthchecks' alice, bob and charlie).

- alice: the e-finance Admin user of Demo AG
- bob: a standard user of Demo AG
- charlie: the Admin user of Other AG, an outsider to everything of Demo AG
- sam: the bank's support staff (Django staff, no organization)
- tina: a second support staff user, who approves what sam asks for (users.BankChange)
"""

import contextlib
import datetime
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apikeys import services
from apikeys.models import Api, ApiKey
from tests.cast import client_for, make_technical_user, make_user
from users.models import Organization
from users.services import ensure_support_group

# --- The database's guards and pytest-django's flush (tests only). --------------------------------
# Keys and audit entries are kept for ever: the database refuses DELETE (and on PostgreSQL TRUNCATE) of
# their rows (`0004_audit_log`, `0012_keys_kept_forever`). pytest-django empties the tables after each
# transactional (browser, live server) test with `flush`, which is exactly that. Here, and only here,
# the triggers that refuse it are dropped for the flush and created again, from their own definitions
# as the database holds them, in the flush's transaction: production has no such way around them.

_SQLITE_DELETE_GUARDS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND upper(sql) LIKE '% DELETE ON %'"
# pg_trigger.tgtype bits: 8 = DELETE, 32 = TRUNCATE.
_POSTGRES_DELETE_GUARDS = """
SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND (t.tgtype & 40) <> 0 AND pg_table_is_visible(c.oid)
"""


def _execute_sql_flush_through_the_guards(original):
    def execute_sql_flush(self, sql_list):
        connection = self.connection
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(_SQLITE_DELETE_GUARDS)
                guards = cursor.fetchall()
                drops = [f'DROP TRIGGER "{name}"' for name, _sql in guards]
                creates = [sql for _name, sql in guards]
            else:
                cursor.execute(_POSTGRES_DELETE_GUARDS)
                guards = cursor.fetchall()
                drops = [f'DROP TRIGGER "{name}" ON "{table}"' for name, table, _sql in guards]
                creates = [sql for _name, _table, sql in guards]
            for statement in drops:
                cursor.execute(statement)
            original(self, sql_list)
            for statement in creates:
                cursor.execute(statement)

    return execute_sql_flush


def pytest_configure(config):
    from django.db.backends.base.operations import BaseDatabaseOperations

    BaseDatabaseOperations.execute_sql_flush = _execute_sql_flush_through_the_guards(
        BaseDatabaseOperations.execute_sql_flush
    )


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    settings.API_USAGE_FLUSH_SECONDS = 0  # each API request writes its usage count (batching: test_api_usage)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's per-device delay after a wrong code: its own test
    settings.PASSKEY_RP_ID = "testserver"  # the test client's host (the browser tests: their live server's)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def clock(monkeypatch):
    """The app's clock, moved by the test (tests.clock.Clock)."""
    from tests.clock import Clock

    return Clock(monkeypatch)


@pytest.fixture
def address_limit_only(settings):
    """django-axes' per-address limit alone: the per-account limit (users.limits, its own tests in
    tests/users/test_account_limit.py) far out of reach of a test that counts to axes' five."""
    settings.LOGIN_ACCOUNT_SLOWDOWN_AFTER = 1000
    settings.LOGIN_ACCOUNT_LOCK_AFTER = 1000


@pytest.fixture
def demo_ag(db):
    return Organization.objects.create(name="Demo AG")


@pytest.fixture
def other_ag(db):
    return Organization.objects.create(name="Other AG")


@pytest.fixture
def alice(demo_ag):
    return make_user("alice", demo_ag, is_org_admin=True)


@pytest.fixture
def bob(demo_ag):
    return make_user("bob", demo_ag)


@pytest.fixture
def charlie(other_ag):
    return make_user("charlie", other_ag, is_org_admin=True)


@pytest.fixture
def abacus(demo_ag):
    """The technical user «ERP Abacus» of Demo AG: owns keys of the contract, never logs in."""
    return make_technical_user("ERP Abacus", demo_ag, description="Delivers the invoices of the ERP")


@pytest.fixture
def sam(db):
    """Support staff, with the second factor that /support/ needs (tests.factors.enrol)."""
    from tests.factors import enrol

    user = make_user("sam", None, is_staff=True)
    user.groups.add(ensure_support_group())
    enrol(user)
    return user


@pytest.fixture
def tina(db):
    """A second support staff user (tests.factors.enrol): the second bank employee of a `BankChange`."""
    from tests.factors import enrol

    user = make_user("tina", None, is_staff=True)
    user.groups.add(ensure_support_group())
    enrol(user)
    return user


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, with the second factor that /support/ needs."""
    from tests.factors import enrol

    enrol(admin_user)
    return admin_user


@pytest.fixture
def totp_clock(monkeypatch):
    """The clock of the product's TOTP, moved on by the test (tests.factors.TotpClock)."""
    from tests.factors import TotpClock
    from users.factors import models as factor_models

    clock = TotpClock()
    monkeypatch.setattr(factor_models, "time", clock)
    return clock


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def charlie_client(charlie):
    return client_for(charlie)


@pytest.fixture
def sam_client(sam):
    return client_for(sam)


@pytest.fixture
def tina_client(tina):
    return client_for(tina)


@pytest.fixture
def make_key(alice):
    """make_key(user=..., api=..., valid_until=..., deleted=False) -> (ApiKey, token).

    A key whose validity ended in the past is made as it would have been: created a year before its end.
    """

    def make(user=None, api=Api.INTEGRATION, valid_until=None, deleted=False, note="", created_by=None, **extra):
        user = user or alice
        valid_until = valid_until or timezone.localdate() + datetime.timedelta(days=365)
        if valid_until < timezone.localdate() and "created_at" not in extra:
            extra["created_at"] = timezone.now() - (timezone.localdate() - valid_until) - datetime.timedelta(days=365)
        key, token = services.apikey_create(
            user=user,
            api=api,
            note=note,
            valid_until=valid_until,
            created_by=created_by or (user if user.is_org_admin else alice),
            **extra,
        )
        if deleted:
            services.apikey_revoke(key=key, by=created_by or alice)
            key.refresh_from_db()
        return key, token

    return make


@pytest.fixture
def alice_key(make_key, bob):
    return make_key(user=bob, api=Api.INTEGRATION, note="ERP test")


def key_count() -> int:
    return ApiKey.objects.count()


# --- Browser tests: Playwright drives Debian's Chromium (never a browser of Playwright's own). ----


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        # Playwright turns the back/forward cache off by default; a real Chrome has it, and it must not
        # bring the token back when the user goes back in the history.
        "ignore_default_args": ["--disable-back-forward-cache"],
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 800},
        "locale": "en-CH",
        "timezone_id": "Europe/Zurich",
        "permissions": ["clipboard-read", "clipboard-write"],
    }


@pytest.fixture(autouse=True)
def _browser_fails_fast(request):
    """In a browser test, a missing label fails in seconds, not after Playwright's default 30."""
    if request.node.get_closest_marker("browser") is None:
        return
    from playwright.sync_api import expect

    request.getfixturevalue("context").set_default_timeout(10_000)
    expect.set_options(timeout=10_000)


@pytest.fixture
def demo(transactional_db):
    """The demo data of `seed_demo`, with the browser tests' password."""
    from tests.browser import PASSWORD

    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


@pytest.fixture
def minute(monkeypatch):
    """The app's clock held at 20 s past the current minute, so that every per-minute count of a test
    falls into one minute."""
    now = timezone.now().replace(second=20, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def flip_last(text: str) -> str:
    """`text` with its last character changed, always to another one (a random token may end in any)."""
    return text[:-1] + ("a" if text[-1] != "a" else "b")


def run_concurrently(target, count: int, timeout: float = 30) -> None:
    """Run `target` in `count` threads at once and wait for all of them (none may hang)."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)


@contextlib.contextmanager
def statements_run():
    """Every SQL statement the block sends to the database, in any mode (an execute_wrapper sees them all;
    CaptureQueriesContext saw none with DEBUG off)."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements
