# SPDX-License-Identifier: GPL-2.0-or-later
"""Prediction metrics on hand-made inputs with known answers."""
import math

import numpy as np
import pytest

from seqnest.sequences.stats import jaccard
from seqnest.sequences.temporal_memory import metrics as m


def state(counts, n_E=10):
    s = np.zeros(len(counts) * n_E, dtype=bool)
    for k, c in enumerate(counts):
        s[k * n_E:k * n_E + c] = True
    return s


def test_predicted_vector_thresholds_each_subpopulation():
    o = m.predicted_vector(state([0, 5, 10, 4]), 10, 4, min_count=5)
    assert o.tolist() == [0, 1, 1, 0]


def test_prediction_scores():
    assert m.prediction_scores(np.array([0., 1, 0]), 1) == (0.0, 0.0, 0.0)
    err, fp, fn = m.prediction_scores(np.array([1., 0, 0]), 1)
    assert (err, fp, fn) == (pytest.approx(math.sqrt(2)), 1.0, 1.0)
    assert m.prediction_scores(np.zeros(3), 2) == (1.0, 0.0, 1.0)
    assert m.prediction_scores(np.array([1., 1, 1]), 0)[1:] == (2.0, 0.0)


def test_responders_counts_distinct_neurons_in_window():
    idx = np.array([3, 3, 4, 12, 5])
    t = np.array([1.0, 2.0, 3.0, 2.0, 9.0])
    assert m.responders(idx, t, range(0, 10), 0.0, 5.0).tolist() == [3, 4]


def test_jaccard_and_pairs():
    assert jaccard(np.array([1, 2]), np.array([2, 3])) == pytest.approx(1 / 3)
    assert jaccard(np.array([]), np.array([])) == 0.0
    assert m.mean_pairwise_jaccard([np.array([1]), np.array([1]), np.array([2])]) == pytest.approx(1 / 3)
    assert math.isnan(m.mean_pairwise_jaccard([np.array([1])]))


def test_episodes_to_convergence_is_one_based():
    assert m.episodes_to_convergence([1.0, 0.5, 0.0, 1.0], 0.01) == 3
    assert m.episodes_to_convergence([1.0, 0.5], 0.01) is None


def test_predicted_vector_upper_bound_refuses_unspecific_predictions():
    o = m.predicted_vector(state([0, 5, 10, 4]), 10, 4, min_count=5, max_count=9)
    assert o.tolist() == [0, 1, 0, 0]


def test_stays_converged_from_is_the_start_of_the_last_run_below_threshold():
    errs = [1.0, 0.0, 0.5, 0.0, 0.0]
    assert m.episodes_to_convergence(errs, 0.01) == 2
    assert m.stays_converged_from(errs, 0.01) == 4
    assert m.relapses(errs, 0.01) == 1
    assert m.stays_converged_from([0.0, 0.0, 0.2], 0.01) is None
    assert m.stays_converged_from([0.0, 0.0], 0.01) == 1
    assert m.relapses([1.0, 1.0], 0.01) == 0


def test_convergence_summary_tail_means():
    curves = {"error": [1.0, 0.0, 0.5, 0.0, 0.25], "active_fraction": [1.0, 0.2, 0.4, None, 0.1]}
    s = m.convergence_summary(curves, 0.01, tail=3)
    assert s["episodes_to_convergence"] == 2 and s["stays_converged_from"] is None
    assert s["relapses_after_convergence"] == 2
    assert s["tail_episodes"] == 3
    assert s["tail_error_mean"] == pytest.approx(0.25) and s["tail_error_max"] == 0.5
    assert s["tail_active_fraction_mean"] == pytest.approx(0.25)   # None ignored
    short = m.convergence_summary({"error": [0.0], "active_fraction": [0.1]}, 0.01, tail=10)
    assert short["tail_episodes"] == 1 and short["stays_converged_from"] == 1
    assert set(s) == set(m.STABILITY_KEYS)


def test_with_stability_fills_a_record_older_than_the_keys_and_keeps_recorded_values():
    old = {"error": [1.0, 0.0, 0.0], "active_fraction": [1.0, 0.2, 0.1]}
    filled = m.with_stability(old)
    assert filled["stays_converged_from"] == 2 and filled["tail_episodes"] == 3
    assert filled["error"] == old["error"] and "stays_converged_from" not in old
    recorded = {**filled, "stays_converged_from": 7}
    assert m.with_stability(recorded)["stays_converged_from"] == 7
    assert m.with_stability({"family": "x"}) == {"family": "x"}   # no curve: nothing to add
    short = m.with_stability(old, m.EvaluationParams(tail_episodes=1))
    assert short["tail_episodes"] == 1 and short["tail_active_fraction_mean"] == 0.1


def test_predicted_vector_checks_shape():
    with pytest.raises(ValueError, match="shape"):
        m.predicted_vector(np.zeros(5, bool), 10, 4, 5)


def test_replay_decoding_orders_by_median_time_and_thresholds():
    from seqnest.sequences.temporal_memory.replay import decode_replay
    n_E = 10
    # A (subpop 0): 10 neurons at ~1 ms; C (2): 8 neurons at ~20 ms; B (1): 3 neurons (below)
    idx = np.r_[np.arange(10), 20 + np.arange(8), 10 + np.arange(3)]
    t = np.r_[np.full(10, 1.0), np.full(8, 20.0), np.full(3, 5.0)]
    events = decode_replay(idx, t, 0.0, 50.0, n_E, ("A", "B", "C"), min_neurons=5)
    assert events == [("A", 1.0), ("C", 20.0)]
    assert decode_replay(idx, t, 30.0, 50.0, n_E, ("A", "B", "C"), 5) == []


def test_replay_decoding_sees_an_element_twice():
    from seqnest.sequences.temporal_memory.replay import decode_replay
    # B C K B: subpopulation B (1) fires at 0 ms and again at 40 ms
    idx = np.r_[10 + np.arange(6), 20 + np.arange(6), 10 + np.arange(6)]
    t = np.r_[np.full(6, 0.5), np.full(6, 15.0), np.full(6, 40.0)]
    order = [el for el, _ in decode_replay(idx, t, 0.0, 60.0, 10, ("A", "B", "C"), 5)]
    assert order == ["B", "C", "B"]
