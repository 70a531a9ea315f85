"""`python -m tools.bench_instructions`: each of its three requests answers 200 in its own configuration
(the children, without valgrind), and the figures are the difference of two counts per request."""

import subprocess
import sys

import pytest

from tools import ROOT, bench_instructions, harness


@pytest.mark.parametrize("kind", sorted(bench_instructions.KINDS))
def test_each_child_answers_its_requests_with_200(tmp_path, kind):
    env = harness.child_env(f"sqlite:///{tmp_path / 'child.sqlite3'}")
    env["DJANGO_SETTINGS_MODULE"] = {"peer": "tools.peer.settings", "bare": "tools.bare"}.get(kind, "efinance.settings")
    run = subprocess.run(  # noqa: S603 (this interpreter, the tool's module)
        [sys.executable, "-m", "tools.bench_instructions", "--child", kind, "--count", "3"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_request_that_does_not_answer_200_stops_the_child(db):
    from django.core.handlers.wsgi import WSGIHandler

    with pytest.raises(SystemExit, match="answered"):
        bench_instructions._request(WSGIHandler(), "/api/billing-int/v1/ping", {})  # no key: 401


def test_the_figures_are_the_counted_requests_own_and_printed_side_by_side(monkeypatch, capsys):
    made = {"ping": 1_000, "peer": 2_500, "bare": 700}  # instructions per request of each kind
    setup = 5_000_000  # Python's start, Django's set-up and the warm-up: the same in both counts

    def counted(kind, count, _scratch):
        return setup + made[kind] * count

    monkeypatch.setattr(bench_instructions, "_instructions", counted)
    monkeypatch.setattr(bench_instructions.shutil, "which", lambda _name: "/usr/bin/valgrind")
    assert bench_instructions.main(["--requests", "400"]) == 0
    out = capsys.readouterr().out
    assert "the project's authenticated ping: 1,000" in out
    assert "DRF + djangorestframework-api-key, HasAPIKey): 2,500" in out
    assert "Django's default middleware: 700" in out
    assert "ping / peer's ping: 0.40× the instructions; ping / trivial view: 1.43×" in out


def test_without_valgrind_it_says_so(monkeypatch, capsys):
    monkeypatch.setattr(bench_instructions.shutil, "which", lambda _name: None)
    assert bench_instructions.main([]) == 1
    assert "valgrind is not installed" in capsys.readouterr().err
