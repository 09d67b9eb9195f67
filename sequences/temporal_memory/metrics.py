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
* a subpopulation with more than ``predicted_max_factor * rho`` active dAPs can
  optionally be refused as a prediction (a non-sparse, unspecific prediction;
  the authors' later code counts a prediction only if rho/2 <= #dAPs <= 5 rho);
* active fraction: distinct neurons of the last element's subpopulation that
  fire within ``response_window`` after its onset, divided by n_E (about 1 when
  unpredicted, about rho/n_E when predicted);
* context overlap: for each element that occurs in several contexts, the Jaccard
  index |A & B| / |A | B| of the sets of its neurons that respond in two
  contexts, averaged over pairs (1 before learning, falls as the
  representations become context specific).

Summaries of a learning curve (:func:`convergence_summary`): the first episode
with error below the threshold (the paper's "episodes to convergence"), the
episode from which the error *stays* below it to the end, the episodes after
the first convergence in which it did not, and the mean error and active
fraction over the last ``tail_episodes`` episodes. The first number alone hides
a network that converges once and then loses what it learned.

No NEST here: inputs are NumPy arrays indexed by 0-based excitatory neuron.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from seqnest.params import Choice, Param, ParameterSet, positive
from seqnest.sequences.stats import jaccard

__all__ = ["EvaluationParams", "counts_new_daps", "predicted_vector", "prediction_scores", "responders",
           "episodes_to_convergence", "stays_converged_from", "relapses",
           "mean_pairwise_jaccard", "tail_mean", "convergence_summary", "STABILITY_KEYS",
           "with_stability"]

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
        "predicted_max_factor": Param(math.inf, "1", "largest number of active dAPs, in units of "
                                      "rho, that still counts as a prediction (inf: no bound, "
                                      "the 2022 measure; 5: the stricter test of the authors' "
                                      "later code)", "Bouhadjar et al. 2022; "
                                      "YounesBouhadjar/SpikingTemporalMemory (later code)",
                                      low=0.0, low_open=True, allow_inf=True),
        "tail_episodes": Param(10, "1", "episodes at the end of training over which the mean "
                               "error and active fraction are reported", "this package",
                               low=1, integer=True),
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


def predicted_vector(dap_state: np.ndarray, n_E: int, M: int, min_count: float,
                     max_count: float = math.inf) -> np.ndarray:
    """Binary vector o (M,): subpopulations with at least ``min_count`` and at most
    ``max_count`` active dAPs.

    Parameters
    ----------
    dap_state : (M * n_E,) bool
        dAP active per excitatory neuron; neuron k belongs to subpopulation k // n_E.
    """
    dap_state = np.asarray(dap_state, dtype=bool)
    if dap_state.shape != (M * n_E,):
        raise ValueError(f"dap_state has shape {dap_state.shape}, expected ({M * n_E},)")
    counts = dap_state.reshape(M, n_E).sum(axis=1)
    return ((counts >= min_count) & (counts <= max_count)).astype(float)


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


def stays_converged_from(errors: Sequence[float], threshold: float) -> int | None:
    """1-based first episode from which every error to the end is below ``threshold``
    (None if the last one is not)."""
    first = None
    for k, e in enumerate(errors, 1):
        if e is None or not e < threshold:
            first = None
        elif first is None:
            first = k
    return first


def relapses(errors: Sequence[float], threshold: float) -> int:
    """Episodes after the first convergence whose error is not below ``threshold``."""
    first = episodes_to_convergence(errors, threshold)
    if first is None:
        return 0
    return sum(1 for e in errors[first:] if e is None or not e < threshold)


def tail_mean(values: Sequence[float | None], n: int) -> float:
    """Mean of the last ``n`` values (NaN entries and None ignored; nan if none)."""
    tail = np.array([np.nan if v is None else v for v in list(values)[-n:]], dtype=float)
    return float(np.nanmean(tail)) if np.any(np.isfinite(tail)) else math.nan


#: Keys of :func:`convergence_summary` (in metrics.json, the summary and sweeps).
STABILITY_KEYS = ("episodes_to_convergence", "stays_converged_from", "relapses_after_convergence",
                  "tail_episodes", "tail_error_mean", "tail_error_max", "tail_active_fraction_mean")


def convergence_summary(curves: dict[str, Sequence[float]], threshold: float,
                        tail: int) -> dict[str, float | int | None]:
    """The summary numbers of a learning curve (see the module docstring)."""
    errors = list(curves["error"])
    n = min(int(tail), len(errors))
    return {"episodes_to_convergence": episodes_to_convergence(errors, threshold),
            "stays_converged_from": stays_converged_from(errors, threshold),
            "relapses_after_convergence": relapses(errors, threshold),
            "tail_episodes": n,
            "tail_error_mean": tail_mean(errors, n),
            "tail_error_max": float(np.max(errors[-n:])) if n else math.nan,
            "tail_active_fraction_mean": tail_mean(curves.get("active_fraction", []), n)}


def with_stability(metrics: Mapping[str, Any],
                   evaluation: "EvaluationParams | None" = None) -> dict[str, Any]:
    """``metrics`` with every :data:`STABILITY_KEYS` entry; a record written before
    these keys existed gets them from its curves (``evaluation``: the run's
    evaluation parameters, default: the declared defaults). Recorded values win."""
    if all(k in metrics for k in STABILITY_KEYS) or not metrics.get("error"):
        return dict(metrics)
    ev = evaluation if evaluation is not None else EvaluationParams()
    return {**convergence_summary(metrics, ev.convergence_error, ev.tail_episodes), **metrics}
