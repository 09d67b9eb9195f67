# SPDX-License-Identifier: GPL-2.0-or-later
"""Branch sets, training frequencies, the ambiguous targets and the branch decoding."""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.params import ParameterError
from seqnest.sequences.metrics import prediction_scores, wilson_interval
from seqnest.sequences.temporal_memory.branches import (FAILURE, SIMULTANEOUS, branch_statistics,
                                                branch_structure, classify_trial)
from seqnest.sequences.tasks.sequence_sets import (TimingParams, frequency_block, make_schedule, named_set,
                             parse_frequencies, parse_sequences)

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
    from seqnest.sequences.config import resolve_config
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


def _events(*pairs):
    return [(el, float(t)) for el, t in pairs]


def test_trials_are_one_branch_simultaneous_or_failure():
    b = branch_structure(BRANCH2.with_frequencies((0.7, 0.3)))
    one = classify_trial(_events(("A", 2), ("F", 16), ("B", 30.5), ("D", 45)), b, 100.0, 0.1)
    assert one.outcome == "A F B D" and one.branch == 0 and one.complete
    assert one.latency_ms == pytest.approx(30.5 - 100.1)   # times relative to the events given
    partial = classify_trial(_events(("A", 2), ("F", 16), ("C", 31)), b, 0.0, 0.1)
    assert partial.branch == 1 and not partial.complete
    both = classify_trial(_events(("A", 2), ("F", 16), ("B", 30), ("C", 30.4)), b, 0.0, 0.1)
    assert both.outcome == SIMULTANEOUS and both.heads == (0, 1) and both.branch is None
    none = classify_trial(_events(("A", 2), ("F", 16)), b, 0.0, 0.1)
    assert none.outcome == FAILURE and none.latency_ms is None
    # a head without the shared beginning before it is not a replay of the branch
    skipped = classify_trial(_events(("A", 2), ("B", 16)), b, 0.0, 0.1)
    assert skipped.outcome == FAILURE


def test_wilson_interval_matches_known_values():
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(150, 150)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)


def test_statistics_count_and_score_probability_matching():
    b = branch_structure(BRANCH2.with_frequencies((0.7, 0.3)))
    ev = {0: _events(("A", 1), ("F", 2), ("B", 3), ("D", 4)),
          1: _events(("A", 1), ("F", 2), ("C", 3), ("E", 4)),
          2: _events(("A", 1), ("F", 2), ("B", 3), ("C", 3.2)),
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
