"""`tools.rounds.best_round_median`: a burst of other work spoils one round, not the figure."""

from tools.rounds import alternating_rounds, best_round_median


def test_a_slow_round_does_not_decide_the_median():
    # 5 rounds of 4 timings: the second round is a burst (100 µs), the others 10, 11, 12, 13 µs.
    timings = iter([10, 11, 12, 13, 100, 100, 100, 100, 10, 11, 12, 13, 11, 12, 13, 14, 10, 11, 12, 13])
    median, p90 = best_round_median(lambda _number: next(timings), runs=20, rounds=5)
    assert median == 11.5
    assert p90 == 100  # the 90th percentile still shows the burst


def test_each_measurement_gets_its_number_within_its_round():
    numbers = []
    best_round_median(lambda number: numbers.append(number) or 1.0, runs=6, rounds=2)
    assert numbers == [0, 1, 2, 0, 1, 2]


def test_alternating_rounds_take_turns_and_answer_each_ones_best():
    calls = []

    def ours(count):
        calls.append("ours")
        return [20.0] * count if len(calls) > 2 else [90.0] * count  # the first round is a burst

    def peers(count):
        calls.append("peer")
        return [100.0] * count

    [(our_median, _our_p90), (peer_median, peer_p90)] = alternating_rounds([ours, peers], runs=9, rounds=3)
    assert calls == ["ours", "peer", "ours", "peer", "ours", "peer"]
    assert (our_median, peer_median, peer_p90) == (20.0, 100.0, 100.0)
