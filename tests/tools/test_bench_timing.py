"""`python -m tools.bench_timing`, run with tiny numbers: it measures and prints every figure (not a timed
test: the < 5 % target is for the full run, on a quiet machine)."""

import re

from tools.bench_timing import main
from tools.harness import postgres_url


def test_it_prints_both_medians_and_their_difference_for_each_database(capsys):
    assert main(["--requests", "10", "--keys", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    print("\n".join(lines))
    assert lines[0].startswith("bench_timing: 10 requests of each kind in alternating order")
    for database in ["SQLite", "PostgreSQL"] if postgres_url() else ["SQLite"]:
        [line] = [line for line in lines if line.startswith(f"{database}: wrong secret on an existing key ID")]
        existing, unknown, difference = re.search(
            r"median ([\d.]+) µs, unknown key ID median ([\d.]+) µs: difference ([\d.]+) %", line
        ).groups()
        assert float(existing) > 0 and float(unknown) > 0 and float(difference) >= 0


def test_it_measures_the_token_in_a_url_too(capsys):
    assert main(["--requests", "10", "--keys", "5", "--path", "url"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("token in the query string")
    assert any(line.startswith("SQLite: wrong secret on an existing key ID") for line in lines)


def test_it_measures_the_revocation_endpoint_too(capsys):
    assert main(["--requests", "10", "--keys", "5", "--path", "revoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("token in the body of POST /api/credentials/revoke")
    assert any(line.startswith("SQLite: wrong secret on an existing key ID") for line in lines)
