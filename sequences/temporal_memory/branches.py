# SPDX-License-Identifier: GPL-2.0-or-later
"""Which branch a replay took, and the statistics of many trials (no NEST).

Sequences that begin alike ({A,F,B,D}, {A,F,C,E}) branch after their common
beginning; cued with its first element, the network replays one branch, several
at once, or none (Bouhadjar et al. 2023). Each branch is recognised by its
*head*: its element at the first position where it differs from every other
branch (B and C above). A trial's outcome is

* the branch whose head was replayed, if exactly one was;
* ``simultaneous`` if the heads of two or more branches were replayed;
* ``failure`` if none was.

Its latency is the time from the cue's arrival to the replayed head (median
spike time of the head's burst); the trial is ``complete`` if the rest of the
chosen branch followed in order. Probabilities carry 95 % Wilson score
intervals; the probability-matching score is the total-variation distance
between the branch frequencies among single-branch trials and the training
frequencies (0: matching; 1 - f_max for always the most frequent branch).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext.params import ParameterError

from ..metrics import wilson_interval

__all__ = ["Branches", "branch_structure", "TrialOutcome", "classify_trial",
           "branch_statistics", "SIMULTANEOUS", "FAILURE"]

SIMULTANEOUS = "simultaneous"
FAILURE = "failure"


@dataclass(frozen=True)
class Branches:
    """The branches that a cue can start.

    Attributes
    ----------
    cue : str
        The shared first element.
    sequences : tuple of tuple of str
        The branches (sequences of the set that begin with ``cue``).
    indices : tuple of int
        Their positions in the sequence set.
    frequencies : tuple of float
        Their training frequencies, normalised over the branches.
    heads : tuple of int
        Position of each branch's head (first element unlike every other branch's).
    """

    cue: str
    sequences: tuple[tuple[str, ...], ...]
    indices: tuple[int, ...]
    frequencies: tuple[float, ...]
    heads: tuple[int, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(" ".join(s) for s in self.sequences)

    def head(self, i: int) -> str:
        return self.sequences[i][self.heads[i]]


def _common(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def branch_structure(sequence_set, cue: str | None = None) -> Branches:
    """The branches of ``sequence_set`` started by ``cue`` (default: the first element
    that begins the most sequences, by training frequency)."""
    seqs, weights = sequence_set.sequences, sequence_set.weights
    if cue is None:                 # ties: the first to appear (max keeps the first)
        shares = sequence_set.first_element_shares()
        cue = max(shares, key=shares.get)
    idx = tuple(i for i, s in enumerate(seqs) if s[0] == cue)
    if not idx:
        firsts = sorted({s[0] for s in seqs})
        raise ParameterError(f"cue {cue!r} begins no sequence (first elements: "
                             f"{', '.join(firsts)})")
    branch = tuple(seqs[i] for i in idx)
    heads = []
    for i, s in enumerate(branch):
        d = max((_common(s, o) for j, o in enumerate(branch) if j != i), default=1)
        if d >= len(s):
            raise ParameterError(f"sequence {' '.join(s)} is the beginning of another one: "
                                 "its replay cannot be told apart")
        heads.append(d)
    w = np.asarray([weights[i] for i in idx], dtype=float)
    return Branches(cue, branch, idx, tuple(float(x) for x in w / w.sum()), tuple(heads))


@dataclass(frozen=True)
class TrialOutcome:
    """What one cue replayed."""

    cue_time: float
    outcome: str                   # branch name, SIMULTANEOUS or FAILURE
    branch: int | None             # index into Branches.sequences (single branch only)
    heads: tuple[int, ...]         # branches whose head was replayed
    order: tuple[str, ...]         # decoded elements in time order
    latency_ms: float | None       # cue arrival -> replayed head (first head if several)
    complete: bool                 # the chosen branch replayed to its end, in order


def classify_trial(events: Sequence[tuple[str, float]], branches: Branches, cue_time: float,
                   arrival: float) -> TrialOutcome:
    """Outcome of one trial from its decoded ``events`` ((element, time) in time order)."""
    order = tuple(el for el, _ in events)
    fired, first_time = [], []
    for i, seq in enumerate(branches.sequences):
        pos = branches.heads[i]
        # the head counts once the elements before it were replayed in order
        k, t_head = 0, None
        for el, t in events:
            if k < pos and el == seq[k]:
                k += 1
            elif k == pos and el == seq[pos]:
                t_head = t
                break
        if t_head is not None:
            fired.append(i)
            first_time.append(t_head)
    latency = round(min(first_time) - (cue_time + arrival), 6) if first_time else None
    if len(fired) == 1:
        i = fired[0]
        seq, pos = branches.sequences[i], branches.heads[i]
        rest = iter(order[order.index(seq[pos]):])
        complete = all(any(el == x for x in rest) for el in seq[pos:])
        return TrialOutcome(cue_time, branches.names[i], i, (i,), order, latency, complete)
    outcome = SIMULTANEOUS if fired else FAILURE
    return TrialOutcome(cue_time, outcome, None, tuple(fired), order, latency, False)


def _rate(k: int, n: int) -> dict:
    lo, hi = wilson_interval(k, n)
    return {"count": k, "probability": k / n if n else None, "ci95": [lo, hi]}


def _latency(values: list[float]) -> dict:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {"n": 0, "median": None, "mean": None, "sd": None}
    return {"n": int(v.size), "median": float(np.median(v)), "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0}


def branch_statistics(outcomes: Sequence[TrialOutcome], branches: Branches) -> dict:
    """Counts, probabilities with 95 % Wilson intervals, latencies and the matching score."""
    n = len(outcomes)
    single = [o for o in outcomes if o.branch is not None]
    rows = []
    for i, name in enumerate(branches.names):
        mine = [o for o in single if o.branch == i]
        rows.append({"sequence": name, "head": branches.head(i),
                     "training_frequency": branches.frequencies[i], **_rate(len(mine), n),
                     "share_of_single": len(mine) / len(single) if single else None,
                     "complete": sum(o.complete for o in mine),
                     "latency_ms": _latency([o.latency_ms for o in mine])})
    n_sim = sum(o.outcome == SIMULTANEOUS for o in outcomes)
    n_fail = sum(o.outcome == FAILURE for o in outcomes)
    tv = (0.5 * sum(abs(r["share_of_single"] - r["training_frequency"]) for r in rows)
          if single else None)
    f = np.asarray(branches.frequencies)
    most = int(np.argmax(f))
    return {
        "cue": branches.cue, "trials": n,
        "branches": rows,
        "simultaneous": _rate(n_sim, n),
        "failure": _rate(n_fail, n),
        "most_frequent_branch": branches.names[most],
        "most_frequent_share": rows[most]["probability"],
        "matching_tv_distance": tv,
        "max_probability_tv_distance": float(1.0 - f.max()),
    }
