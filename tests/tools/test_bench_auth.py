"""`python -m tools.bench_auth`, run with tiny numbers: it measures and prints each figure (not a timed test)."""

import json
import re

from tools.bench_auth import main
from tools.harness import postgres_url

FIGURES = ["verify_us", "peer_verify_us", "ping_rps", "ping_uncounted_rps", "ping_metrics_rps", "peer_ping_rps"]
FIGURES += ["bare_rps"]
FIGURES += ["list_10000_ms", "list_10000_queries", "list_10_queries", "round_trip_us"]


def test_it_prints_every_figure_of_each_database_and_writes_them_as_json(capsys, tmp_path):
    figures_file = tmp_path / "figures.json"
    tiny = ["--keys", "20", "--verifications", "200", "--seconds", "1", "--rounds", "1"]
    tiny += ["--list-keys", "60", "--page-runs", "2", "--json", str(figures_file)]
    assert main(tiny) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("bench_auth: 20 keys")
    databases = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    if not postgres_url():
        databases.pop("postgresql")
    figures = json.loads(figures_file.read_text())
    assert list(figures) == list(databases)
    for vendor, label in databases.items():
        [verify] = [line for line in lines if line.startswith(f"{label}: verify_token median")]
        assert float(re.search(r"verify_token median ([\d.]+) µs", verify)[1]) > 0
        assert float(re.search(r"peer is_valid median ([\d.]+) µs", verify)[1]) > 0
        assert float(re.search(r"round trip \(SELECT 1\) ([\d.]+) µs", verify)[1]) > 0
        [http] = [line for line in lines if line.startswith(f"{label}: HTTP authenticated ping")]
        rates = re.search(
            r"ping ([\d,]+) req/s \(counting off: ([\d,]+); metrics on: ([\d,]+), ([\d,]+) pings counted\), "
            r"peer's ping ([\d,]+) req/s, trivial view ([\d,]+) req/s",
            http,
        )
        assert all(int(rate.replace(",", "")) > 0 for rate in rates.groups())
        pages = [line for line in lines if line.startswith(f"{label}: pages at")]
        assert [re.search(r"pages at ([\d,]+) keys", line)[1] for line in pages] == ["10", "60"]
        for name in FIGURES:
            assert figures[vendor][name] > 0, name
        assert figures[vendor]["list_60_queries"] == figures[vendor]["list_10000_queries"]
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| | " + " | ".join(databases.values()) + " |"
    for row in [
        "`verify_token`",
        "`is_valid`",
        "`SELECT 1`",
        "authenticated `ping`",
        "`HasAPIKey`",
        "`/metrics` on",
        "default middleware",
    ]:
        assert [line for line in table if row in line], row
    assert [line for line in table if line.startswith("| key list, 60 keys")]


def test_it_leaves_no_database_behind(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert main(["--keys", "5", "--verifications", "10", "--list-keys", "20", "--page-runs", "1", "--no-http"]) == 0
    assert list(tmp_path.iterdir()) == []
    if postgres_url():
        import psycopg

        with psycopg.connect(postgres_url().replace("postgres://", "postgresql://", 1)) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        assert not [name for name in names if "_bench_" in name]
