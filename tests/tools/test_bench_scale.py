"""`python -m tools.bench_scale --short`, smaller still: it builds every data set, measures and prints
every figure of each database in its one table (the targets are for the full sizes: not checked here)."""

import json
import re

from tools.bench_scale import FULL, main
from tools.harness import postgres_url

TINY = {
    "log": 400,
    "log_small": 200,
    "keys": 60,
    "verify_keys": 300,
    "verify_small": 100,
    "usage_months": 1,
    "report_keys": 20,
    "reminder_keys": 12,
    "reminder_organizations": 3,
    "page_runs": 1,
    "verifications": 50,
}
ROWS = 17  # «Activity» 8, the two lists, verify_token, the key's page 2, the report 2, the reminder run 2


def test_it_prints_every_figure_of_each_database_in_one_table_and_writes_them(capsys, tmp_path):
    figures_file = tmp_path / "figures.json"
    sizes = [arg for name, value in TINY.items() for arg in (f"--{name.replace('_', '-')}", str(value))]
    assert main(["--short", *sizes, "--json", str(figures_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("bench_scale --short: log 200 and 400 entries, key lists at 10 and 60 keys")
    databases = ["SQLite", "PostgreSQL"] if postgres_url() else ["SQLite"]
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| figure | target | " + " | ".join(databases) + " | met? |"
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]
    assert len(rows) == ROWS
    for figure, _target, *cells, verdict in rows:
        assert len(cells) == len(databases), figure
        for cell in cells:
            numbers = [float(number.replace(",", "")) for number in re.findall(r"\d[\d,]*(?:\.\d+)?", cell)]
            assert numbers and any(numbers), (figure, cell)
        assert verdict == "yes" or verdict.startswith("no ("), figure
    written = json.loads(figures_file.read_text())
    assert written["sizes"] == {**TINY}
    assert [vendor for vendor in written if vendor != "sizes"] == [name.lower() for name in databases]
    for vendor in databases:
        figures = written[vendor.lower()]
        assert figures["reminder_sent"] == TINY["reminder_keys"]
        assert figures["reminder_received"] == TINY["reminder_keys"] + figures["reminder_one_sent"]
        assert figures["verify_small_us"] > 0 and figures["verify_large_us"] > 0
        assert figures["activity_user_deep_large_queries"] > 0


def test_the_full_sizes_are_those_of_the_targets():
    assert FULL["log"] == 1_000_000 and FULL["log_small"] == 1_000
    assert FULL["keys"] == 100_000
    assert FULL["verify_keys"] == 1_000_000 and FULL["verify_small"] == 1_000
    assert FULL["usage_months"] == 13 and FULL["report_keys"] == 10_000
    assert FULL["reminder_keys"] == 100_000 and FULL["reminder_organizations"] == 1_000
