"""`python -m tools.bench_auth`, run with tiny numbers: it measures and prints each figure (not a timed test)."""

import os
import re

from tools.bench_auth import main


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def test_it_prints_the_verification_median_and_the_http_ratio_of_each_database(capsys):
    assert main(["--keys", "20", "--verifications", "200", "--seconds", "1", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("bench_auth: 20 keys")
    databases = ["SQLite", "PostgreSQL"] if _postgres_url() else ["SQLite"]
    for database in databases:
        [median] = [line for line in lines if line.startswith(f"{database}: verify_token median")]
        assert float(re.search(r"median ([\d.]+) µs", median)[1]) > 0
        [http] = [line for line in lines if line.startswith(f"{database}: HTTP authenticated ping")]
        ping, trivial, share = re.search(r"ping ([\d,]+) req/s, trivial view ([\d,]+) req/s: (\d+) %", http).groups()
        assert int(ping.replace(",", "")) > 0
        assert int(trivial.replace(",", "")) > 0
        assert int(share) > 0


def test_it_leaves_no_database_behind(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert main(["--keys", "5", "--verifications", "10", "--no-http"]) == 0
    assert list(tmp_path.iterdir()) == []
    if _postgres_url():
        import psycopg

        with psycopg.connect(_postgres_url().replace("postgres://", "postgresql://", 1)) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        assert not [name for name in names if "_bench_" in name]
