# SPDX-License-Identifier: GPL-2.0-or-later
"""Prediction metrics of the sTM model (Bouhadjar et al. 2022), as pure functions.

Evaluated once per episode for the last element of every sequence:

* the dAP state of all excitatory neurons is sampled ``sample_delay`` after the
  onset of the penultimate element; a subpopulation counts as predicted if at
  least ``predicted_fraction * rho`` of its neurons have an active dAP. In a set
  whose sequences branch after a shared beginning, the branches not taken keep
  the dAPs of the earlier prediction (60 ms) while the penultimate element is
  presented; there (``count_daps = auto``) only the dAPs that began after the
  penultimate element's onset count, i.e. the prediction that element made;
* with o the predicted vector and y the target (one-hot; several ones where the
  set is ambiguous: after "A F" in {A,F,B,D}, {A,F,C,E} both B and C are
  correct, Bouhadjar et al. 2023), error = ||o - y||_2,
  false positives = sum(max(o - y, 0)), false negatives = sum(max(y - o, 0)),
  each averaged over sequences;
* active fraction: distinct neurons of the last element's subpopulation that
  fire within ``response_window`` after its onset, divided by n_E (about 1 when
  unpredicted, about rho/n_E when predicted);
* context overlap: for each element that occurs in several contexts, the Jaccard
  index |A & B| / |A | B| of the sets of its neurons that respond in two
  contexts, averaged over pairs (1 before learning, falls as the
  representations become context specific).

No NEST here: inputs are NumPy arrays indexed by 0-based excitatory neuron.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from seqnest.pynest_ext.params import Choice, Param, ParameterSet, positive

__all__ = ["EvaluationParams", "counts_new_daps", "predicted_vector", "prediction_scores", "responders",
           "jaccard", "episodes_to_convergence", "wilson_interval"]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"


class EvaluationParams(ParameterSet):
    """How predictions and responses are read out."""

    NAME = "evaluation"
    SPECS = {
        "sample_delay": positive(8.0, "ms", "time after the onset of the penultimate element at "
                                 "which the dAP state is sampled", PAPER),
        "predicted_fraction": Param(0.5, "1", "fraction of rho neurons with a dAP that makes a "
                                    "subpopulation count as predicted", PAPER, low=0.0,
                                    low_open=True),
        "response_window": positive(20.0, "ms", "window after an element's onset in which its "
                                    "neurons' spikes count as its response",
                                    "this package: covers predicted (~1 ms) and unpredicted "
                                    "(~2.5 ms) latencies, ends before the next element"),
        "convergence_error": positive(0.01, "1", "error below which learning has converged", PAPER),
        "count_daps": Choice("auto", ("auto", "active", "new"), "which dAPs make a prediction: "
                             "all active at the sample (active, the 2022 measure), only those "
                             "that began after the penultimate onset (new), or new for sets "
                             "that branch after a shared beginning and active otherwise (auto)",
                             "this package"),
    }


def counts_new_daps(evaluation: "EvaluationParams", sequence_set) -> bool:
    """Whether only dAPs that began after the penultimate onset count (see the module)."""
    mode = evaluation.count_daps
    return mode == "new" or (mode == "auto" and sequence_set.branches())


def predicted_vector(dap_state: np.ndarray, n_E: int, M: int, min_count: float) -> np.ndarray:
    """Binary vector o (M,): subpopulations with at least ``min_count`` active dAPs.

    Parameters
    ----------
    dap_state : (M * n_E,) bool
        dAP active per excitatory neuron; neuron k belongs to subpopulation k // n_E.
    """
    dap_state = np.asarray(dap_state, dtype=bool)
    if dap_state.shape != (M * n_E,):
        raise ValueError(f"dap_state has shape {dap_state.shape}, expected ({M * n_E},)")
    counts = dap_state.reshape(M, n_E).sum(axis=1)
    return (counts >= min_count).astype(float)


def prediction_scores(o: np.ndarray, target) -> tuple[float, float, float]:
    """(error, false positives, false negatives) of output ``o`` for a target index
    (or several: every element that may correctly follow the context)."""
    y = np.zeros_like(o, dtype=float)
    y[np.atleast_1d(np.asarray(target, dtype=int))] = 1.0
    diff = o - y
    return (float(np.sqrt(np.sum(diff ** 2))), float(np.sum(np.maximum(diff, 0.0))),
            float(np.sum(np.maximum(-diff, 0.0))))


def responders(index: np.ndarray, times: np.ndarray, neurons: range, t0: float,
               t1: float) -> np.ndarray:
    """Sorted unique neurons among ``neurons`` that spiked in [t0, t1)."""
    index, times = np.asarray(index), np.asarray(times)
    sel = (times >= t0) & (times < t1) & (index >= neurons.start) & (index < neurons.stop)
    return np.unique(index[sel])


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|A & B| / |A | B| (0 if both are empty)."""
    union = np.union1d(a, b).size
    return float(np.intersect1d(a, b).size / union) if union else 0.0


def mean_pairwise_jaccard(groups: Sequence[np.ndarray]) -> float:
    """Average Jaccard index over all pairs of ``groups`` (nan with fewer than 2)."""
    pairs = [jaccard(a, b) for a, b in combinations(groups, 2)]
    return float(np.mean(pairs)) if pairs else float("nan")


def episodes_to_convergence(errors: Sequence[float], threshold: float) -> int | None:
    """1-based number of the first episode whose error is below ``threshold``."""
    for k, e in enumerate(errors, 1):
        if e < threshold:
            return k
    return None


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n ((0, 1) when n = 0)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))
