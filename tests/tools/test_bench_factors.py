"""`python -m tools.bench_factors`, run with tiny numbers: it logs in both ways and steps up for real,
and prints every figure (not a timed test: the figures are for a full run)."""

import re

from tools.bench_factors import main


def test_it_prints_the_added_cost_of_the_second_factor_and_of_the_step_up(capsys):
    assert main(["--runs", "5"]) == 0
    out = capsys.readouterr().out
    print(out)
    plain, factor, added = re.search(
        r"login, password only: ([\d.]+) ms .*\nlogin, password and code: ([\d.]+) ms .*adds (-?[\d.]+) ms", out
    ).groups()
    assert float(plain) > 0 and float(factor) > 0 and abs(float(added) - (float(factor) - float(plain))) < 0.02
    fresh, check = re.search(
        r"action with a fresh proof: ([\d.]+) ms; the step-up check itself: ([\d.]+) µs", out
    ).groups()
    stale = re.search(r"action with a stale proof: ([\d.]+) ms", out)[1]
    assert float(fresh) > 0 and float(check) > 0 and float(stale) > 0
    off, on = re.search(r"enrolment check: ([\d.]+) µs with the policy off, ([\d.]+) µs with it on", out).groups()
    assert float(off) > 0 and float(on) > 0
