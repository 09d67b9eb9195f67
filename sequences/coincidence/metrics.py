# SPDX-License-Identifier: GPL-2.0-or-later
"""How a coincidence detector is scored (no NEST): decisions per readout window,
accuracy with its 95 % Wilson interval, the confusion matrix, and the agreement
of NEST's scores with the trainer's model."""
from __future__ import annotations

import numpy as np

from seqnest.sequences.stats import wilson_interval

__all__ = ["accuracy", "decision_scores", "agreement"]


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of correct decisions over all samples and windows."""
    return float(np.mean(scores.argmax(axis=-1) == labels))


def decision_scores(scores: np.ndarray, labels: np.ndarray, n_classes: int) -> dict:
    """Decisions (argmax of each window's scores) against ``labels``: their number,
    the accuracy with its 95 % Wilson interval, chance and the confusion matrix
    (rows: true class)."""
    predicted = scores.argmax(axis=-1)
    correct = int(np.sum(predicted == labels))
    n = int(np.asarray(labels).size)
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (np.asarray(labels).ravel(), predicted.ravel()), 1)
    return {"decisions": n, "accuracy": correct / n, "ci95": list(wilson_interval(correct, n)),
            "chance": 1.0 / n_classes, "confusion": confusion.tolist()}


def agreement(got: np.ndarray, ref: np.ndarray) -> dict:
    """How closely NEST's scores ``got`` reproduce the trainer's ``ref``."""
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-12)
    return {"samples": len(ref), "max_rel_diff": float(rel.max()),
            "argmax_identical": bool(np.array_equal(got.argmax(-1), ref.argmax(-1)))}
