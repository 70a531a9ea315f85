"""`python -m tools.bench_report`, run with tiny numbers: it downloads both formats and prints each figure."""

import os
import re

from tools.bench_report import main


def test_it_prints_time_size_and_peak_memory_of_each_format(capsys):
    assert main(["--keys", "3", "12", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "bench_report: 3, 12 keys, 1 round(s)"
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    labels = ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]
    figures = [line for line in lines[1:] if line.split(":")[0] in labels]
    assert len(figures) == 2 * len(labels)
    for line in figures:
        for fmt in ("csv", "json"):
            found = re.search(rf"{fmt} (\d+) ms, zip ([\d,]+) KiB, peak ([\d,]+) KiB", line)
            assert found and int(found[3].replace(",", "")) > 0, line
