"""`python -m tools.loadtest`: a real run with tiny numbers, and its proofs shown to catch what they claim to.

And the tools stay out of the wheel: pyproject's package list does not take them in.
"""

import fnmatch
import io
import os
import subprocess
import sys
import tomllib

import pytest
import setuptools

from tools import ROOT
from tools.loadtest import LoadTest, Result, main

MANAGE = str(ROOT / "manage.py")
OPTIONS = {"instances": 1, "workers": 2, "clients": 2, "seconds": 1.0, "report": ""}


def test_a_short_run_on_sqlite_proves_no_late_acceptance_no_5xx_and_no_lost_document(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}"}
    env.pop("PG_CTL", None)
    migrate = subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    options = ["--seconds", "3", "--clients", "4", "--keys", "10", "--deletions", "3"]
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.loadtest", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
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
    command = LoadTest(stdout=io.StringIO())
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
def test_after_the_database_is_back_each_worker_may_answer_one_503_and_no_more():
    fault = {"stopping": 10.0, "down": 10.1, "starting": 13.1, "up": 13.3}
    problem = "application/problem+json"
    during = Result("k" * 12, "ping", 0, 11.0, 11.01, 503, problem)
    reconnecting = [Result("k" * 12, "ping", 0, 13.4 + n / 100, 13.41 + n / 100, 503, problem) for n in range(3)]
    after = _result(200, 14.0)
    two_workers = {**OPTIONS, "workers": 2, "deletions": 0}
    command = LoadTest(stdout=io.StringIO())
    keys = [("k" * 12, "integration", "token-not-used")]
    assert command._prove(keys, [during, *reconnecting[:2], after], [], {}, fault, 1.0, two_workers)
    assert not command._prove(keys, [during, *reconnecting, after], [], {}, fault, 1.0, two_workers)
    assert "at most one 503 per worker" in command.stdout.getvalue()


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
def test_it_refuses_options_it_cannot_honour(monkeypatch, capsys, argv, message):
    monkeypatch.delenv("PG_CTL", raising=False)
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Created" not in captured.out  # refused before any key is made


def test_the_wheel_leaves_the_tools_out():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [pattern for pattern in include if fnmatch.fnmatch("tools", pattern)]
    assert not [pattern for pattern in include if fnmatch.fnmatch("tools.loadtest", pattern)]
    packages = setuptools.find_packages(where=str(ROOT), include=include)
    assert {"efinance", "efinance.lib", "apikeys", "billing", "billing.api", "users"} <= set(packages)
    assert not [package for package in packages if package == "tools" or package.startswith("tools.")]
    assert "tools" in setuptools.find_packages(where=str(ROOT))  # it is a package, only left out
