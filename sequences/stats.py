# SPDX-License-Identifier: GPL-2.0-or-later
"""Statistics that every family uses (NEST-free): set overlap and the confidence
interval of a proportion."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["jaccard", "wilson_interval"]


def jaccard(a: np.ndarray, b: np.ndarray, *, empty: float = 0.0) -> float:
    """Jaccard index |A & B| / |A | B| of two sets of neurons.

    Each set is an array of indices, or a boolean mask (one entry per neuron;
    dtype bool). ``empty`` is returned when both sets are empty: 0 for the
    context overlap of Bouhadjar et al. 2022 (two silent contexts share nothing),
    nan where an empty pair is no measurement (pattern sequences).
    """
    a, b = np.asarray(a), np.asarray(b)
    a = np.flatnonzero(a) if a.dtype == bool else a
    b = np.flatnonzero(b) if b.dtype == bool else b
    union = np.union1d(a, b).size
    return float(np.intersect1d(a, b).size / union) if union else float(empty)


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n ((0, 1) when n = 0)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))
