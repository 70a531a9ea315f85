"""`manage.py loadtest`: a real run with tiny numbers, and its proofs shown to catch what they claim to."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apikeys.management.commands.loadtest import Command, Result

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
OPTIONS = {"instances": 1, "workers": 2, "clients": 2, "seconds": 1.0, "report": ""}


def test_a_short_run_on_sqlite_proves_no_late_acceptance_no_5xx_and_no_lost_document(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}"}
    env.pop("PG_CTL", None)
    migrate = subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    run = subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, "loadtest", "--seconds", "3", "--clients", "4", "--keys", "10", "--deletions", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3/3 deletions committed" in run.stdout
    assert "proof 1, accepted after the deletion committed: 0 " in run.stdout
    assert "proof 2, 5xx answers: 0 unexpected" in run.stdout
    assert "lost 0, duplicated 0, two IDs for one document 0, stored but never answered 0" in run.stdout
    assert "requests/s" in run.stdout
    assert "p99" in run.stdout
    assert "RESULT: every proof holds" in run.stdout
    assert "bsint_" not in run.stdout + run.stderr
    assert "bsprod_" not in run.stdout + run.stderr


def _prove(results, deletions=None, fault=None):
    command = Command(stdout=io.StringIO())
    keys = [("k" * 12, "integration", "token-not-used")]
    deletions = deletions or {}
    ok = command._prove(keys, results, [], deletions, fault or {}, 1.0, {**OPTIONS, "deletions": len(deletions)})
    return ok, command.stdout.getvalue()


def _result(status, sent_at, **extra):
    return Result("k" * 12, "ping", 0, sent_at, sent_at + 0.01, status, "application/json", **extra)


@pytest.mark.django_db
def test_the_proof_fails_on_a_request_accepted_after_the_deletion_committed():
    ok, output = _prove([_result(200, 100.002)], deletions={"k" * 12: 100.001})
    assert not ok
    assert "LEAK" in output


@pytest.mark.django_db
def test_a_request_sent_before_the_commit_may_still_be_accepted():
    ok, output = _prove([_result(200, 100.000), _result(401, 100.5, reason="deleted")], deletions={"k" * 12: 100.001})
    assert ok, output
    assert "accepted after the deletion committed: 0" in output


@pytest.mark.django_db
def test_the_proof_fails_on_a_5xx_and_on_html():
    assert not _prove([_result(500, 1.0)])[0]
    assert not _prove([_result(200, 1.0, html=True)])[0]
    assert not _prove([_result(0, 1.0)])[0]  # no answer at all, without a database fault


@pytest.mark.django_db
def test_only_503_problems_while_the_database_is_down_are_expected():
    fault = {"stopping": 10.0, "down": 10.1, "starting": 13.1, "up": 13.3}
    problem = "application/problem+json"
    during = Result("k" * 12, "ping", 0, 11.0, 11.01, 503, problem)
    after = _result(200, 14.0)
    assert _prove([during, after], fault=fault)[0]
    assert not _prove([Result("k" * 12, "ping", 0, 11.0, 11.01, 500, problem), after], fault=fault)[0]
    assert not _prove([Result("k" * 12, "ping", 0, 11.0, 11.01, 503, "text/html"), after], fault=fault)[0]
    assert not _prove([during, _result(503, 20.0)], fault=fault)[0]  # not recovered long after
    assert not _prove([during], fault=fault)[0]  # never a success again


@pytest.mark.django_db
def test_the_proof_fails_on_a_document_answered_201_but_not_stored():
    lost = Result("k" * 12, "post", 0, 1.0, 1.01, 201, "application/json", document_id="0" * 32, idempotency_key="i")
    ok, output = _prove([lost])
    assert not ok
    assert "lost 1" in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--keys", "3", "--deletions", "5"], "--deletions cannot exceed --keys"),
        (["--clients", "0"], "at least 1"),
        (["--seconds", "3600"], "between 0 and 600"),
        (["--db-fault"], "--db-fault needs"),
    ],
)
def test_it_refuses_options_it_cannot_honour(monkeypatch, argv, message):
    monkeypatch.delenv("PG_CTL", raising=False)
    with pytest.raises(CommandError, match=message):
        call_command("loadtest", *argv, stdout=io.StringIO())
