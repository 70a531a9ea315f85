"""Timings that a burst of other work on a shared machine cannot decide: the best round's median."""

import statistics
from collections.abc import Callable

ROUNDS = 5


def best_round_median(measure: Callable[[int], float], runs: int, rounds: int = ROUNDS) -> tuple[float, float]:
    """`measure(number)` answers one timing in µs; `runs` of them in `rounds` rounds. Answers the
    lowest median of a round (a burst of other work on the machine then spoils a round, not the
    figure) and the 90th percentile of all. `tools.bench_auth` times `verify_token`, the database's
    round trip and, in `tools.peer.measure`, the peer's `is_valid` this way."""
    per_round = max(1, runs // rounds)
    medians, everything = [], []
    for _round in range(rounds):
        timings = [measure(number) for number in range(per_round)]
        medians.append(statistics.median(timings))
        everything += timings
    everything.sort()
    return min(medians), everything[int(0.9 * (len(everything) - 1))]
