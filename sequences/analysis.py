# SPDX-License-Identifier: GPL-2.0-or-later
"""Spike-train analyses on neo objects (no NEST), with Elephant where it has the method.

Inputs are lists of per-neuron ``neo.SpikeTrain`` (e.g. from
:func:`seqnest.pynest_ext.neo_convert.split_population`), each annotated with its
``subpopulation`` and ``element``; times and rates carry units (quantities).

* :func:`subpopulation_rates` -- mean firing rate per subpopulation
  (``elephant.statistics.mean_firing_rate``);
* :func:`isi_variability` -- per-neuron CV, CV2 and LV of the inter-spike
  intervals (``elephant.statistics.isi``, ``cv``, ``cv2``, ``lv``);
* :func:`population_psth` -- population rate histogram
  (``elephant.statistics.time_histogram``);
* :func:`correlation_matrix` and :func:`correlation_by_group` -- Pearson
  correlation of binned trains (``elephant.conversion.BinnedSpikeTrain``,
  ``elephant.spike_train_correlation.correlation_coefficient``), averaged within
  and between subpopulations;
* :func:`detect_sequences` -- repeated sequences of synchronous events found
  by ASSET (``elephant.asset``; Torre et al. 2016), reported as the order of
  the subpopulations (elements) whose neurons make up the events;
* efficiency figures in the spirit of NeuroBench: :func:`activation_sparsity`,
  :func:`synaptic_events`, :func:`connection_sparsity`.

Why ASSET for sequence detection: an sTM replay is a chain of sparse,
synchronous volleys, one per element, which is exactly ASSET's object (a
sequence of synchronous spike events, found as a diagonal structure in the
intersection matrix of binned spike trains, with an analytical significance
test). SPADE mines exact spatio-temporal patterns of individual spikes with
surrogate-based statistics: more costly, and it looks for more than the order
of volleys that a replay is judged by.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import quantities as pq

__all__ = ["subpopulation_rates", "IsiVariability", "isi_variability", "population_psth",
           "correlation_matrix", "correlation_by_group", "AssetParams", "DetectedSequence",
           "detect_sequences", "activation_sparsity", "synaptic_events", "connection_sparsity"]


def _labels(trains: Sequence, key: str) -> list:
    try:
        return [st.annotations[key] for st in trains]
    except KeyError:
        raise ValueError(f"spike trains lack the annotation {key!r} "
                         "(use seqnest.pynest_ext.neo_convert.split_population)") from None


def subpopulation_rates(trains: Sequence, key: str = "element") -> dict[str, pq.Quantity]:
    """Mean firing rate (Hz) of the neurons of each subpopulation, silent ones included."""
    from elephant.statistics import mean_firing_rate

    labels = _labels(trains, key)
    out: dict[str, list] = {}
    for st, lab in zip(trains, labels):
        out.setdefault(lab, []).append(float(mean_firing_rate(st).rescale(pq.Hz).magnitude))
    return {lab: float(np.mean(v)) * pq.Hz for lab, v in out.items()}


@dataclass(frozen=True)
class IsiVariability:
    """Per-neuron ISI statistics of the neurons with at least ``min_spikes`` spikes."""

    neuron: np.ndarray   # indices (into the input list) of the neurons analysed
    cv: np.ndarray
    cv2: np.ndarray
    lv: np.ndarray


def isi_variability(trains: Sequence, min_spikes: int = 3) -> IsiVariability:
    """CV, CV2 (Holt et al. 1996) and LV (Shinomoto et al. 2003) of each neuron."""
    from elephant.statistics import cv, cv2, isi, lv

    if min_spikes < 3:
        raise ValueError("min_spikes must be >= 3 (CV2 and LV need two intervals)")
    rows = []
    for k, st in enumerate(trains):
        if len(st) < min_spikes:
            continue
        intervals = isi(st).rescale(pq.ms).magnitude
        rows.append((k, cv(intervals), cv2(intervals), lv(intervals)))
    if not rows:
        empty = np.zeros(0)
        return IsiVariability(np.zeros(0, dtype=int), empty, empty, empty)
    k, a, b, c = (np.asarray(col) for col in zip(*rows))
    return IsiVariability(k.astype(int), a.astype(float), b.astype(float), c.astype(float))


def population_psth(trains: Sequence, bin_size: pq.Quantity, t_start: pq.Quantity | None = None,
                    t_stop: pq.Quantity | None = None):
    """Population rate (Hz per neuron) in bins of ``bin_size`` as a neo AnalogSignal."""
    from elephant.statistics import time_histogram

    if t_start is not None or t_stop is not None:
        trains = [st.time_slice(t_start, t_stop) for st in trains]
    return time_histogram(list(trains), bin_size=bin_size, t_start=t_start, t_stop=t_stop,
                          output="rate").rescale(pq.Hz)


def correlation_matrix(trains: Sequence, bin_size: pq.Quantity) -> np.ndarray:
    """Pearson correlation coefficients of the binned trains (NaN for silent trains)."""
    from elephant.conversion import BinnedSpikeTrain
    from elephant.spike_train_correlation import correlation_coefficient

    binned = BinnedSpikeTrain(list(trains), bin_size=bin_size)
    with warnings.catch_warnings():      # silent trains: NaN rows, reported by Elephant as warnings
        warnings.simplefilter("ignore")
        return np.asarray(correlation_coefficient(binned), dtype=float)


def correlation_by_group(matrix: np.ndarray, labels: Sequence) -> tuple[float, float]:
    """Mean correlation of distinct pairs within and between groups (NaNs ignored)."""
    labels = np.asarray(labels)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(labels), dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        within = float(np.nanmean(matrix[same & off_diagonal])) if (same & off_diagonal).any() \
            else float("nan")
        between = float(np.nanmean(matrix[~same])) if (~same).any() else float("nan")
    return within, between


@dataclass(frozen=True)
class AssetParams:
    """Settings of :func:`detect_sequences` (Elephant ASSET); units in the names.

    bin_size_ms: width of the bins of the intersection matrix (a volley must
    fall into one bin); kernel_width_ms: rate-estimation kernel of the
    analytical probability matrix; filter_length, n_largest: the diagonal
    filter of the joint probability matrix; alpha: significance level applied
    to both matrices; max_distance, min_neighbors, stretch: DBSCAN clustering of
    the significant entries into diagonal structures (in bins).
    """

    bin_size_ms: float = 3.0
    kernel_width_ms: float = 50.0
    filter_length: int = 5
    n_largest: int = 3
    alpha: float = 0.01
    max_distance: int = 11
    min_neighbors: int = 3
    stretch: float = 5.0


@dataclass(frozen=True)
class DetectedSequence:
    """One diagonal structure of ASSET: its events in time order.

    ``times_ms``: pairs of bin times (first and repeated occurrence) per event;
    ``order``: the element of the majority of each event's neurons, with
    consecutive repeats collapsed; ``elements``: that element for every event.
    """

    cluster: int
    times_ms: list[tuple[float, float]]
    order: list[str]
    elements: list[str] = field(default_factory=list)


def detect_sequences(trains: Sequence, params: AssetParams = AssetParams(),
                     key: str = "element") -> list[DetectedSequence]:
    """Repeated sequences of synchronous events (ASSET), as orders of elements.

    A sequence must occur at least twice in ``trains`` (ASSET compares the
    recording with itself); each detected structure pairs two occurrences.
    """
    import contextlib
    import io

    from elephant.asset.asset import ASSET

    labels = _labels(trains, key)
    bin_ms = params.bin_size_ms
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(quiet):
        warnings.simplefilter("ignore")
        engine = ASSET(list(trains), bin_size=bin_ms * pq.ms)
        pmat = engine.probability_matrix_analytical(kernel_width=params.kernel_width_ms * pq.ms)
        jmat = engine.joint_probability_matrix(pmat, filter_shape=(params.filter_length, 1),
                                               n_largest=params.n_largest)
        mask = engine.mask_matrices([pmat, jmat], [1 - params.alpha, 1 - params.alpha])
        cmat = engine.cluster_matrix_entries(mask, max_distance=params.max_distance,
                                             min_neighbors=params.min_neighbors,
                                             stretch=params.stretch)
        sse = engine.extract_synchronous_events(cmat)
    out = []
    for cluster, events in sorted(sse.items()):
        if cluster <= 0 or not events:
            continue
        times, order, elements = [], [], []
        for (i, j), neurons in sorted(events.items()):
            if not neurons:
                continue
            values, counts = np.unique([labels[k] for k in neurons], return_counts=True)
            element = str(values[np.argmax(counts)])
            times.append((float(i) * bin_ms, float(j) * bin_ms))
            elements.append(element)
            if not order or order[-1] != element:
                order.append(element)
        out.append(DetectedSequence(int(cluster), times, order, elements))
    return out


def activation_sparsity(counts: np.ndarray, n_neurons: int) -> float:
    """Fraction of neurons that stay silent, from per-neuron spike counts in a window."""
    counts = np.asarray(counts)
    if counts.size != n_neurons:
        raise ValueError(f"{counts.size} spike counts for {n_neurons} neurons")
    return float(np.mean(counts == 0))


def synaptic_events(spike_counts: np.ndarray, out_degree: np.ndarray) -> int:
    """Synaptic events delivered: each spike of a neuron reaches all its targets."""
    spike_counts, out_degree = np.asarray(spike_counts), np.asarray(out_degree)
    if spike_counts.shape != out_degree.shape:
        raise ValueError("spike counts and out-degrees must have one entry per neuron")
    return int(np.sum(spike_counts.astype(np.int64) * out_degree.astype(np.int64)))


def connection_sparsity(n_mature: int, n_potential: int) -> float:
    """Fraction of potential synapses that are not mature (1 - mature / potential)."""
    if n_potential <= 0:
        raise ValueError("there are no potential synapses")
    if not 0 <= n_mature <= n_potential:
        raise ValueError(f"{n_mature} mature synapses out of {n_potential} potential ones")
    return 1.0 - n_mature / n_potential
