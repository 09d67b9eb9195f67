# SPDX-License-Identifier: GPL-2.0-or-later
"""Branch sets, training frequencies, the ambiguous targets and the branch decoding."""
import math

import numpy as np
import pytest

from seqnest.params import ParameterError
from seqnest.sequences.stats import wilson_interval
from seqnest.sequences.temporal_memory.metrics import prediction_scores
from seqnest.sequences.temporal_memory.branches import (FAILURE, SIMULTANEOUS, branch_statistics,
                                                        branch_structure, classify_trial, head_race,
                                                        race_statistics, volley_latencies)
from seqnest.sequences.tasks.sequence_sets import (TimingParams, frequency_block, make_schedule,
                                                   named_set, parse_frequencies, parse_sequences)

BRANCH2 = parse_sequences("A F B D; A F C E")


# -- frequencies --------------------------------------------------------------------------
def test_frequencies_are_normalised_and_validated():
    s = BRANCH2.with_frequencies((7, 3))
    assert s.frequencies == pytest.approx((0.7, 0.3))
    for bad, msg in [((0.7,), "1 frequencies for 2 sequences"), ((0.7, 0.3, 0.1), "3 frequencies"),
                     ((0.7, -0.3), "frequency 2"), ((0.0, 1.0), "frequency 1"),
                     ((math.inf, 1.0), "frequency 1"), ((math.nan, 1.0), "frequency 1")]:
        with pytest.raises(ParameterError, match=msg):
            BRANCH2.with_frequencies(bad)


@pytest.mark.parametrize("text, expected", [("0.7,0.3", (0.7, 0.3)), ("0.7 0.3", (0.7, 0.3)),
                                            ("[0.2, 0.5, 0.3]", (0.2, 0.5, 0.3)),
                                            ([1, 2], (1.0, 2.0)), (0.5, (0.5,))])
def test_frequency_text_is_parsed(text, expected):
    assert parse_frequencies(text) == expected


def test_frequency_text_errors_name_the_value():
    with pytest.raises(ParameterError, match="'x' is not a number"):
        parse_frequencies("0.7,x")
    with pytest.raises(ParameterError, match="empty"):
        parse_frequencies(" ")


@pytest.mark.parametrize("freqs, block, counts", [((0.7, 0.3), 10, (7, 3)), ((0.5, 0.5), 2, (1, 1)),
                                                  ((1 / 3,) * 3, 3, (1, 1, 1)),
                                                  ((0.2, 0.5, 0.3), 10, (2, 5, 3)),
                                                  ((0.123, 0.877), 1000, (123, 877))])
def test_frequency_block_is_the_smallest_exact_one(freqs, block, counts):
    assert frequency_block(freqs) == (block, counts)


def test_unrealisable_frequencies_are_refused():
    with pytest.raises(ParameterError, match="cannot be realised exactly"):
        frequency_block((1 / math.pi, 1 - 1 / math.pi))


@pytest.mark.parametrize("freqs", [(0.7, 0.3), (0.2, 0.5, 0.3), (0.1, 0.15, 0.2, 0.25, 0.3)])
@pytest.mark.parametrize("seed", [1, 7, 123])
def test_realised_frequencies_are_exact_over_every_block(freqs, seed):
    seqs = ["A F B D", "A F C E", "A F G H", "A F I J", "A F K L"][:len(freqs)]
    s = parse_sequences("; ".join(seqs)).with_frequencies(freqs)
    K, counts = frequency_block(s.frequencies)
    S = len(seqs)
    n_blocks = 6
    episodes = math.lcm(K, S) // S * n_blocks
    sch = make_schedule(s, TimingParams(), episodes, np.random.default_rng(seed))
    stream = [i for ep in sch.order for i in ep]
    assert all(len(ep) == S for ep in sch.order)
    for b in range(len(stream) // K):
        assert tuple(np.bincount(stream[b * K:(b + 1) * K], minlength=S)) == counts
    assert sch.presentation_counts() == tuple(c * len(stream) // K for c in counts)


def test_order_is_seeded_and_episodes_follow_each_other():
    s = BRANCH2.with_frequencies((0.7, 0.3))
    a = make_schedule(s, TimingParams(), 20, np.random.default_rng(1))
    b = make_schedule(s, TimingParams(), 20, np.random.default_rng(1))
    c = make_schedule(s, TimingParams(), 20, np.random.default_rng(2))
    assert a.order == b.order and a.order != c.order
    assert a.episode_starts[0] == 30.0
    assert np.allclose(a.episode_durations, 440.0)      # two 4-element sequences per episode
    times = sorted(t for ts in a.element_times().values() for t in ts)
    assert len(times) == 20 * 2 * 4 and np.all(np.diff(times) > 0)
    with pytest.raises(ValueError, match="random generator"):
        make_schedule(s, TimingParams(), 2)


def test_sets_without_frequencies_keep_their_order():
    sch = make_schedule(named_set("set1"), TimingParams(), 3)
    assert sch.order == ((0, 1),) * 3
    assert sch.onset(2, 1, 3) == 30.0 + 2 * 440.0 + 220.0 + 120.0


# -- ambiguity --------------------------------------------------------------------------------
def test_every_correct_continuation_is_a_target():
    assert BRANCH2.successors(0, 2) == ("B", "C")
    assert BRANCH2.successors(0, 3) == ("D",)
    assert BRANCH2.branches()
    assert not named_set("set1").branches() and not named_set("set2").branches()
    o = np.zeros(6)
    o[[1, 2]] = 1.0                              # B and C predicted after A F
    assert prediction_scores(o, [1, 2]) == (0.0, 0.0, 0.0)
    assert prediction_scores(o, 1) == pytest.approx((1.0, 1.0, 0.0))


def test_the_most_repeated_beginning_sets_tau_h():
    from seqnest.sequences.temporal_memory.config import resolve_config
    assert named_set("set1").context_repeats() == 1.0
    assert named_set("branch3").context_repeats() == 3.0
    cfg = resolve_config(task="branch2")
    assert cfg.neuron.tau_h == pytest.approx(220.0)       # one sequence, not one episode
    assert cfg.network.inhibition == "shared"
    assert resolve_config(task="set1").neuron.tau_h == pytest.approx(440.0)


# -- branch decoding --------------------------------------------------------------------------
def test_heads_are_the_first_elements_unlike_the_other_branches():
    b = branch_structure(named_set("branch3"))
    assert b.cue == "A" and b.heads == (2, 2, 2)
    assert [b.head(i) for i in range(3)] == ["B", "C", "G"]
    assert b.frequencies == pytest.approx((0.2, 0.5, 0.3))
    late = branch_structure(parse_sequences("A F B D; A F B E; X Y"))
    assert late.heads == (3, 3) and late.indices == (0, 1)
    with pytest.raises(ParameterError, match="cue 'Q' begins no sequence"):
        branch_structure(BRANCH2, "Q")
    with pytest.raises(ParameterError, match="beginning of another"):
        branch_structure(parse_sequences("A F B; A F B D"))
    # trials need sequences that share their beginning
    with pytest.raises(ParameterError, match="begins only one sequence.*no two sequences"):
        branch_structure(parse_sequences("A D B E; F D B C"))
    with pytest.raises(ParameterError, match="begins only one sequence.*cue one .*: A"):
        branch_structure(parse_sequences("A F B D; A F C E; X Y"), "X")


def _events(*pairs):
    return [(el, float(t)) for el, t in pairs]


def test_trials_are_one_branch_simultaneous_or_failure():
    b = branch_structure(BRANCH2.with_frequencies((0.7, 0.3)))
    one = classify_trial(_events(("A", 2), ("F", 16), ("B", 30.5), ("D", 45)), b, 100.0, 0.1)
    assert one.outcome == "A F B D" and one.branch == 0 and one.complete
    assert one.heads == (0,) and one.completed == (0,)
    assert one.latency_ms == pytest.approx(30.5 - 100.1)   # times relative to the events given
    partial = _events(("A", 2), ("F", 16), ("C", 31))
    by_head = classify_trial(partial, b, 0.0, 0.1, "head")
    assert by_head.branch == 1 and not by_head.complete
    # a head that does not drive the rest of its sequence is no replay of the branch
    assert classify_trial(partial, b, 0.0, 0.1).outcome == FAILURE
    both = classify_trial(_events(("A", 2), ("F", 16), ("B", 30), ("C", 30.4), ("D", 45),
                                  ("E", 45.3)), b, 0.0, 0.1)
    assert both.outcome == SIMULTANEOUS and both.heads == (0, 1) and both.branch is None
    none = classify_trial(_events(("A", 2), ("F", 16)), b, 0.0, 0.1)
    assert none.outcome == FAILURE and none.latency_ms is None
    # a head without the shared beginning before it is not a replay of the branch
    skipped = classify_trial(_events(("A", 2), ("B", 16), ("D", 30)), b, 0.0, 0.1, "head")
    assert skipped.outcome == FAILURE
    with pytest.raises(ParameterError, match="decision"):
        classify_trial(partial, b, 0.0, 0.1, "first")


def test_a_head_cut_by_the_inhibition_decides_only_the_head_count():
    """Both heads fire, only B's sequence goes on: one branch by whole sequences,
    simultaneous by heads; the statistics hold both tallies."""
    b = branch_structure(BRANCH2.with_frequencies((0.6, 0.4)))
    ev = _events(("A", 2), ("F", 16), ("B", 35.2), ("C", 35.5), ("D", 53.6))
    whole, head = (classify_trial(ev, b, 0.0, 0.1, d) for d in ("branch", "head"))
    assert whole.outcome == "A F B D" and whole.complete
    assert whole.latency_ms == pytest.approx(35.2 - 0.1)
    assert head.outcome == SIMULTANEOUS
    assert whole.heads == head.heads == (0, 1) and whole.completed == head.completed == (0,)
    st = branch_statistics([whole] * 4, b)
    assert st["by_branch"] == {"A F B D": 4, "A F C E": 0, SIMULTANEOUS: 0, FAILURE: 0}
    assert st["by_head"] == {"A F B D": 0, "A F C E": 0, SIMULTANEOUS: 4, FAILURE: 0}
    assert branch_statistics([head] * 4, b)["by_branch"] == st["by_branch"]


def test_wilson_interval_matches_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(150, 150)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)


def test_statistics_count_and_score_probability_matching():
    b = branch_structure(BRANCH2.with_frequencies((0.7, 0.3)))
    ev = {0: _events(("A", 1), ("F", 2), ("B", 3), ("D", 4)),
          1: _events(("A", 1), ("F", 2), ("C", 3), ("E", 4)),
          2: _events(("A", 1), ("F", 2), ("B", 3), ("C", 3.2), ("D", 4), ("E", 4.1)),
          3: _events(("A", 1))}
    outcomes = [classify_trial(ev[k], b, 0.0, 0.1) for k in [0] * 7 + [1] * 3 + [2, 3]]
    st = branch_statistics(outcomes, b)
    assert st["trials"] == 12
    assert [r["count"] for r in st["branches"]] == [7, 3]
    assert st["branches"][0]["share_of_single"] == pytest.approx(0.7)
    assert st["matching_tv_distance"] == pytest.approx(0.0)
    assert st["simultaneous"]["count"] == 1 and st["failure"]["count"] == 1
    always = [classify_trial(ev[0], b, 0.0, 0.1)] * 10
    assert branch_statistics(always, b)["matching_tv_distance"] == pytest.approx(0.3)


# -- the race between the heads -------------------------------------------------------------
def test_volley_latencies_take_each_neurons_first_event_of_the_first_volley():
    idx = np.array([3, 3, 4, 5, 6, 9, 4])
    t = np.array([10.5, 11.0, 10.0, 11.5, 30.0, 10.2, 40.0])
    # neurons 3..7: firsts 10.5, 10.0, 11.5, 30.0; 30.0 is after a gap -> not in the volley
    v = volley_latencies(idx, t, (3, 8), 0.0, 100.0, 9.0, max_gap=5.0)
    assert v["n"] == 3 and v["first"] == pytest.approx(1.0)
    assert v["mean"] == pytest.approx(np.mean([1.5, 1.0, 2.5]))
    assert v["sd"] == pytest.approx(np.std([1.5, 1.0, 2.5], ddof=1))
    # the window and the neuron range select; nothing left -> None
    assert volley_latencies(idx, t, (3, 8), 20.0, 100.0, 9.0, 5.0)["mean"] == pytest.approx(21.0)
    assert volley_latencies(idx, t, (10, 20), 0.0, 100.0, 0.0, 5.0) == {
        "n": 0, "first": None, "mean": None, "sd": None}
    one = volley_latencies(idx, t, (9, 10), 0.0, 100.0, 10.0, 5.0)
    assert one["n"] == 1 and one["sd"] == 0.0


def test_head_race_and_gap_relative_to_the_most_frequent_head():
    b = branch_structure(BRANCH2.with_frequencies((0.3, 0.7)))      # C's branch most frequent
    vocab = ("A", "B", "C", "D", "E", "F")
    n_E = 10

    def trial(t0, b_dap, c_dap):
        # B = subpopulation 1, C = 2: dAP onsets at the given latencies, spikes 1 ms later
        di = np.r_[np.arange(10, 13), np.arange(20, 23)]
        dt = t0 + np.r_[np.full(3, b_dap), np.full(3, c_dap)]
        return (di, dt + 1.0), (di, dt)

    races = []
    for t0, (bl, cl) in [(0.0, (6.0, 4.0)), (100.0, (7.0, 4.0))]:
        spikes, daps = trial(t0, bl, cl)
        races.append(head_race(b, vocab, n_E, spikes, daps, t0, t0 + 100, t0, 5.0))
    assert [r["head"] for r in races[0]] == ["B", "C"]
    assert races[0][0]["dap"]["mean"] == pytest.approx(6.0)
    assert races[1][1]["spike"]["first"] == pytest.approx(5.0)
    st = race_statistics(races, b)
    assert st["reference"] == "A F C E"
    rows = {r["head"]: r for r in st["heads"]}
    assert rows["B"]["dap_gap_ms"]["mean"] == pytest.approx(2.5)
    assert rows["B"]["dap_gap_ms"]["n"] == 2
    assert rows["C"]["dap_gap_ms"]["mean"] == pytest.approx(0.0)
    assert rows["B"]["first_spike_gap_ms"]["mean"] == pytest.approx(2.5)
    assert rows["B"]["dap_latency_ms"]["sd"] == pytest.approx(np.std([6.0, 7.0], ddof=1))
    # a trial in which a head had no dAP does not enter its gap
    spikes, daps = trial(200.0, 6.0, 4.0)
    keep = daps[0] >= 20
    races.append(head_race(b, vocab, n_E, spikes, (daps[0][keep], daps[1][keep]),
                           200.0, 300.0, 200.0, 5.0))
    rows = {r["head"]: r for r in race_statistics(races, b)["heads"]}
    assert rows["B"]["dap_gap_ms"]["n"] == 2 and rows["B"]["dap_latency_ms"]["n"] == 2
