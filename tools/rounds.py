"""Timings that a burst of other work on a shared machine cannot decide: the best round's median."""

import statistics
from collections.abc import Callable

ROUNDS = 5


def best_round_median(measure: Callable[[int], float], runs: int, rounds: int = ROUNDS) -> tuple[float, float]:
    """`measure(number)` answers one timing in µs; `runs` of them in `rounds` rounds. Answers the
    lowest median of a round (a burst of other work on the machine then spoils a round, not the
    figure) and the 90th percentile of all. `tools.bench_auth` times the database's round trip this
    way, and `verify_token` in rounds that alternate with the peer's (`alternating_rounds`)."""
    [(median, p90)] = alternating_rounds([lambda count: [measure(number) for number in range(count)]], runs, rounds)
    return median, p90


def alternating_rounds(
    rounds_of: list[Callable[[int], list[float]]], runs: int, rounds: int = ROUNDS
) -> list[tuple[float, float]]:
    """Each of `rounds_of` runs a round of `count` measurements and answers their timings (µs). The
    rounds take turns, `rounds` each of `runs // rounds` measurements; for each, the lowest median of a
    round and the 90th percentile of all."""
    per_round = max(1, runs // rounds)
    medians: list[list[float]] = [[] for _ in rounds_of]
    everything: list[list[float]] = [[] for _ in rounds_of]
    for _round in range(rounds):
        for number, round_of in enumerate(rounds_of):
            timings = round_of(per_round)
            medians[number].append(statistics.median(timings))
            everything[number] += timings
    results = []
    for number in range(len(rounds_of)):
        timings = sorted(everything[number])
        results.append((min(medians[number]), timings[int(0.9 * (len(timings) - 1))]))
    return results
