"""`python -m tools.bench_metrics`, run with tiny numbers in a process of its own (it sets up Django
with its own settings): it measures and prints each figure (not a timed test)."""

import re
import subprocess
import sys

from django.conf import settings


def test_it_prints_the_ping_with_metrics_off_and_on_and_their_own_cost():
    command = [sys.executable, "-m", "tools.bench_metrics", "--requests", "20", "--rounds", "1"]
    done = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"metrics off: [\d.]+ µs   metrics on: [\d.]+ µs", out), out
    assert re.search(r"own work per request: [\d.]+ µs", out), out
    assert re.search(r"cost: [\d.]+% of the ping", out), out
