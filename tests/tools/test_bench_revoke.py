"""`python -m tools.bench_revoke`, run with tiny numbers: it measures and prints each figure (not a timed test)."""

import os
import re

from tools.bench_revoke import KINDS, main


def test_it_prints_time_and_queries_of_each_kind_for_each_database(capsys):
    assert main(["--tokens", "5", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "bench_revoke: 5 tokens per request, 1 round(s), median"
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    for database in ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]:
        [line] = [line for line in lines if line.startswith(f"{database}: 5 tokens per request")]
        for kind in KINDS:
            assert re.search(rf"{kind} [\d.]+ ms / \d+ queries", line), line
