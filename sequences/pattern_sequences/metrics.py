# SPDX-License-Identifier: GPL-2.0-or-later
"""Metrics of the spatio-temporal-pattern network (pure functions, no NEST).

* assemblies: each excitatory neuron joins the item it responds to most
  (mean spikes per presentation in the item's response window), if that
  response reaches ``min_response``; others stay unassigned (-1);
* STP-detection score: per assembly, the mean over its neurons of
  (r_own - r_other) / (r_own + r_other), r_other the mean response to the
  other items (1: responds to its item only; 0: no preference);
* last-element prediction (Feiler et al. 2024): the item whose assembly has the
  most neurons in the dAP state at the last element's onset; no dAP or a tie
  is no prediction (counted wrong);
* overlap of predictive sets: Jaccard index of the neurons in the dAP state
  at the last elements of two sequences (0: context-specific predictions).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["response_matrix", "assign_assemblies", "selectivity", "predict_item",
           "converged_at"]


def response_matrix(index: np.ndarray, times: np.ndarray, n_neurons: int, onsets: np.ndarray,
                    items: np.ndarray, n_items: int, window: float) -> np.ndarray:
    """Mean spikes per presentation, shape (n_neurons, n_items): spikes of each
    neuron in [onset, onset + window) of every presentation of each item."""
    index = np.asarray(index, dtype=np.int64)
    times = np.asarray(times, dtype=float)
    onsets = np.asarray(onsets, dtype=float)
    items = np.asarray(items, dtype=np.int64)
    out = np.zeros((n_neurons, n_items))
    if onsets.size == 0:
        return out
    order = np.argsort(onsets, kind="stable")
    onsets, items = onsets[order], items[order]
    # the presentation each spike falls into (windows do not overlap in a stream)
    slot = np.searchsorted(onsets, times, side="right") - 1
    inside = (slot >= 0)
    inside[inside] &= times[inside] < onsets[slot[inside]] + window
    np.add.at(out, (index[inside], items[slot[inside]]), 1.0)
    shown = np.bincount(items, minlength=n_items).astype(float)
    return out / np.maximum(shown, 1.0)[None, :]


def assign_assemblies(resp: np.ndarray, min_response: float) -> np.ndarray:
    """Item index of each neuron's assembly (-1: unassigned)."""
    resp = np.asarray(resp, dtype=float)
    best = np.argmax(resp, axis=1)
    top = resp[np.arange(resp.shape[0]), best]
    ties = (resp == top[:, None]).sum(axis=1) > 1
    return np.where((top >= max(min_response, 1e-12)) & ~ties, best, -1)


def selectivity(resp: np.ndarray, assembly: np.ndarray) -> np.ndarray:
    """STP-detection score per item (nan for an empty assembly)."""
    resp = np.asarray(resp, dtype=float)
    n_items = resp.shape[1]
    out = np.full(n_items, np.nan)
    for k in range(n_items):
        members = np.flatnonzero(assembly == k)
        if members.size == 0:
            continue
        own = resp[members, k]
        other = (resp[members].sum(axis=1) - own) / max(n_items - 1, 1)
        total = own + other
        out[k] = float(np.mean(np.where(total > 0, (own - other) / np.where(total > 0, total, 1),
                                        0.0)))
    return out


def predict_item(dap: np.ndarray, assembly: np.ndarray, n_items: int) -> tuple[int, np.ndarray]:
    """(predicted item or -1, neurons in the dAP state per assembly)."""
    dap = np.asarray(dap, dtype=bool)
    members = assembly >= 0
    counts = np.bincount(assembly[members & dap], minlength=n_items)[:n_items]
    top = counts.max() if counts.size else 0
    if top == 0 or np.count_nonzero(counts == top) > 1:
        return -1, counts
    return int(np.argmax(counts)), counts


def converged_at(accuracy: Sequence[float]) -> int | None:
    """First index from which every accuracy is 1 (None if the last is not)."""
    acc = np.asarray(accuracy, dtype=float)
    if acc.size == 0 or acc[-1] < 1.0:
        return None
    bad = np.flatnonzero(acc < 1.0)
    return int(bad[-1] + 1) if bad.size else 0
