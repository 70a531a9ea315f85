"""`python -m tools.bench_instructions`: each of its requests answers 200 in its own configuration
(the children, without valgrind, on a database prepared by the same module), and the figures are the
difference of two counts per request."""

import subprocess
import sys

import pytest

from tools import ROOT, bench_instructions


def _child(kind: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter, the tool's module)
        [sys.executable, "-m", "tools.bench_instructions", "--child", kind, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


@pytest.mark.parametrize("kind", sorted(bench_instructions.KINDS))
def test_each_child_answers_its_requests_with_200(tmp_path, kind):
    env = bench_instructions._env(kind, tmp_path / "child.sqlite3")
    request = tmp_path / "request.json"
    prepared = _child(kind, env, "--prepare", str(request))
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    counted = _child(kind, env, "--count", "3", "--request", str(request))
    assert counted.returncode == 0, counted.stderr[-2000:]


def test_a_request_that_does_not_answer_200_stops_the_child(db):
    from django.core.handlers.wsgi import WSGIHandler

    with pytest.raises(SystemExit, match="answered"):
        bench_instructions._request(WSGIHandler(), "/api/billing-int/v1/ping", {})  # no key: 401


@pytest.fixture
def counted(monkeypatch):
    """Counts of a whole process as valgrind would give them: set-up plus the kind's cost per request."""
    made = {"ping": 1_000, "peer": 2_500, "bare": 700, "list": 70_000}  # instructions per request
    setup = 5_000_000  # Python's start, Django's set-up and the warm-up: the same in both counts
    calls = []

    def instructions(kind, count, _prepared, _scratch):
        calls.append((kind, count))
        return setup + made[kind] * count

    monkeypatch.setattr(bench_instructions, "_prepared", lambda kind, _scratch: ({}, None))
    monkeypatch.setattr(bench_instructions, "_instructions", instructions)
    monkeypatch.setattr(bench_instructions.shutil, "which", lambda _name: "/usr/bin/valgrind")
    return calls


def test_the_figures_are_the_counted_requests_own_and_printed_side_by_side(counted, capsys):
    assert bench_instructions.main(["--requests", "400"]) == 0
    out = capsys.readouterr().out
    assert "the project's authenticated ping: 1,000" in out
    assert "DRF + djangorestframework-api-key, HasAPIKey): 2,500" in out
    assert "Django's default middleware: 700" in out
    assert "ping / peer's ping: 0.40× the instructions; ping / trivial view: 1.43×" in out
    assert counted == [("ping", 200), ("ping", 600), ("peer", 200), ("peer", 600), ("bare", 200), ("bare", 600)]


def test_the_key_list_is_counted_with_a_tenth_of_the_requests(counted, capsys):
    assert bench_instructions.main(["--requests", "400", "--kinds", "list"]) == 0
    out = capsys.readouterr().out
    assert "1,000 keys (50 valid and 50 ended rows): 70,000" in out
    assert "ping / peer" not in out  # no ratio without the three requests
    assert counted == [("list", 20), ("list", 60)]


def test_an_unknown_kind_is_refused(capsys):
    assert bench_instructions.main(["--kinds", "ping,pong"]) == 1
    assert "unknown kinds: pong" in capsys.readouterr().err


def test_without_valgrind_it_says_so(monkeypatch, capsys):
    monkeypatch.setattr(bench_instructions.shutil, "which", lambda _name: None)
    assert bench_instructions.main([]) == 1
    assert "valgrind is not installed" in capsys.readouterr().err
