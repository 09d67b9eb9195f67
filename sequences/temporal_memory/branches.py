# SPDX-License-Identifier: GPL-2.0-or-later
"""Which branch a replay took, and the statistics of many trials (no NEST).

Sequences that begin alike ({A,F,B,D}, {A,F,C,E}) branch after their common
beginning; cued with its first element, the network replays one branch, several
at once, or none (Bouhadjar et al. 2023). Each branch is recognised by its
*head*: its element at the first position where it differs from every other
branch (B and C above). A branch is *replayed* (``decision="branch"``, the
default) when all its elements replayed in order after the cue, or
(``decision="head"``) as soon as its elements up to the head did. A trial's
outcome is

* the branch that was replayed, if exactly one was;
* ``simultaneous`` if two or more were;
* ``failure`` if none was.

The two decisions differ when the inhibition cuts the volley of the head that
lost the race: enough of its neurons fire to count as the head, too few to drive
the rest of its sequence. Every trial records both (``heads``: branches whose
head was replayed; ``completed``: branches replayed to their end).

Its latency is the time from the cue's arrival to the replayed head (median
spike time of the head's burst; the earliest if several); the trial is
``complete`` if the chosen branch replayed to its end, in order. Probabilities
carry 95 % Wilson score intervals; the probability-matching score is the
total-variation distance between the branch frequencies among single-branch
trials and the training frequencies (0: matching; 1 - f_max for always the most
frequent branch).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqnest.params import ParameterError

from seqnest.sequences.stats import wilson_interval

__all__ = ["Branches", "branch_structure", "TrialOutcome", "classify_trial",
           "branch_statistics", "head_neurons", "volley_latencies", "head_race",
           "race_statistics",
           "SIMULTANEOUS", "FAILURE", "DECISIONS"]

SIMULTANEOUS = "simultaneous"
FAILURE = "failure"
#: what counts as the replay of a branch: its whole sequence, or its head
DECISIONS = ("branch", "head")


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
    if len(idx) < 2:
        shared = sorted(el for el, n in Counter(s[0] for s in seqs).items() if n > 1)
        hint = (f"cue one that several begin with: {', '.join(shared)}" if shared
                else "no two sequences of the set begin alike")
        raise ParameterError(f"cue {cue!r} begins only one sequence ({' '.join(seqs[idx[0]])}): "
                             f"replay trials need branches; {hint}")
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
    completed: tuple[int, ...] = ()    # branches replayed to their end, in order


def _replayed_to(events: Sequence[tuple[str, float]], seq: Sequence[str], upto: int
                 ) -> float | None:
    """Time of ``seq[upto]`` if ``seq[:upto + 1]`` appears in order in ``events``."""
    k = 0
    for el, t in events:
        if el == seq[k]:
            if k == upto:
                return t
            k += 1
    return None


def classify_trial(events: Sequence[tuple[str, float]], branches: Branches, cue_time: float,
                   arrival: float, decision: str = "branch") -> TrialOutcome:
    """Outcome of one trial from its decoded ``events`` ((element, time) in time order);
    ``decision`` says what counts as a branch's replay (module docstring)."""
    if decision not in DECISIONS:
        raise ParameterError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    order = tuple(el for el, _ in events)
    head_time = {}
    for i, seq in enumerate(branches.sequences):
        t_head = _replayed_to(events, seq, branches.heads[i])
        if t_head is not None:
            head_time[i] = t_head
    completed = tuple(i for i, seq in enumerate(branches.sequences)
                      if i in head_time and _replayed_to(events, seq, len(seq) - 1) is not None)
    chosen = completed if decision == "branch" else tuple(head_time)
    latency = (round(min(head_time[i] for i in chosen) - (cue_time + arrival), 6)
               if chosen else None)
    heads = tuple(head_time)
    if len(chosen) == 1:
        i = chosen[0]
        return TrialOutcome(cue_time, branches.names[i], i, heads, order, latency,
                            i in completed, completed)
    outcome = SIMULTANEOUS if chosen else FAILURE
    return TrialOutcome(cue_time, outcome, None, heads, order, latency, False, completed)


def volley_latencies(index: np.ndarray, times: np.ndarray, neurons: tuple[int, int],
                     t0: float, t1: float, origin: float, max_gap: float) -> dict:
    """Latencies (ms after ``origin``) of the first volley of events in ``[t0, t1)``
    among the neurons ``neurons[0] <= index < neurons[1]``.

    Each neuron counts once, with its first event; the volley is the first group of
    these first events with no gap above ``max_gap``. Returns its size ``n`` and the
    ``first``, ``mean`` and ``sd`` (over neurons) of the latencies; None values if no
    neuron had an event."""
    sel = (times >= t0) & (times < t1) & (index >= neurons[0]) & (index < neurons[1])
    idx, t = index[sel], times[sel]
    if t.size == 0:
        return {"n": 0, "first": None, "mean": None, "sd": None}
    order = np.lexsort((t, idx))
    idx, t = idx[order], t[order]
    first = np.sort(t[np.r_[True, idx[1:] != idx[:-1]]])
    cut = np.flatnonzero(np.diff(first) > max_gap)
    volley = first[:cut[0] + 1] if cut.size else first
    lat = volley - origin
    return {"n": int(lat.size), "first": round(float(lat[0]), 6),
            "mean": round(float(lat.mean()), 6),
            "sd": round(float(lat.std(ddof=1)), 6) if lat.size > 1 else 0.0}


def head_neurons(branches: Branches, vocabulary: Sequence[str], n_E: int
                 ) -> list[tuple[int, int]]:
    """Excitatory index range ``[lo, hi)`` of each branch head's subpopulation."""
    ks = [list(vocabulary).index(branches.head(i)) for i in range(len(branches.sequences))]
    return [(k * n_E, (k + 1) * n_E) for k in ks]


def head_race(branches: Branches, vocabulary: Sequence[str], n_E: int, spikes, daps,
              t0: float, t1: float, origin: float, max_gap: float) -> list[dict]:
    """The race between the branch heads in one trial: for each head, the first volley
    of its subpopulation's spikes and dAP onsets (:func:`volley_latencies`) in
    ``[t0, t1)``, latencies after ``origin`` (the cue's arrival). ``spikes`` and
    ``daps`` are (index, time) arrays of the excitatory population."""
    return [{"head": branches.head(i),
             "spike": volley_latencies(*spikes, rng, t0, t1, origin, max_gap),
             "dap": volley_latencies(*daps, rng, t0, t1, origin, max_gap)}
            for i, rng in enumerate(head_neurons(branches, vocabulary, n_E))]


def race_statistics(races: Sequence[Sequence[dict]], branches: Branches) -> dict:
    """The heads' latencies over trials and the gap between them.

    For every head, each as ``{"n", "mean", "sd"}`` over the trials in which the
    head had a volley (``n`` of them): its per-trial mean dAP-onset latency
    (``dap_latency_ms``), dAP-onset spread over neurons (``dap_spread_ms``), dAP
    volley size (``dap_neurons``), mean spike latency and first spike. The gap of
    a head (``dap_gap_ms``) is its mean dAP-onset latency minus that of the most
    frequent branch's head in the same trial, over the trials in which both had
    dAPs (positive: the most frequent head is ahead); ``first_spike_gap_ms`` the
    same for the first spikes."""
    most = int(np.argmax(branches.frequencies))

    def over(values):
        v = np.asarray([x for x in values if x is not None], dtype=float)
        return {"n": int(v.size), "mean": round(float(v.mean()), 6) if v.size else None,
                "sd": round(float(v.std(ddof=1)), 6) if v.size > 1 else (0.0 if v.size else None)}

    def gaps(i, kind, stat):
        """Head i's ``stat`` of its ``kind`` volley minus the most frequent head's, per
        trial in which both had one."""
        return [r[i][kind][stat] - r[most][kind][stat] for r in races
                if r[i][kind][stat] is not None and r[most][kind][stat] is not None]

    rows = []
    for i, name in enumerate(branches.names):
        rows.append({"sequence": name, "head": branches.head(i),
                     "training_frequency": branches.frequencies[i],
                     "dap_latency_ms": over([r[i]["dap"]["mean"] for r in races]),
                     "dap_spread_ms": over([r[i]["dap"]["sd"] for r in races]),
                     "dap_neurons": over([r[i]["dap"]["n"] or None for r in races]),
                     "spike_latency_ms": over([r[i]["spike"]["mean"] for r in races]),
                     "first_spike_ms": over([r[i]["spike"]["first"] for r in races]),
                     "dap_gap_ms": over(gaps(i, "dap", "mean")),
                     "first_spike_gap_ms": over(gaps(i, "spike", "first"))})
    return {"reference": branches.names[most], "heads": rows}


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

    def tally(which: str) -> dict:
        """Outcome counts had every trial been decided by ``which`` replayed branches."""
        counts = {name: 0 for name in branches.names}
        counts.update({SIMULTANEOUS: 0, FAILURE: 0})
        for o in outcomes:
            got = getattr(o, which)
            counts[branches.names[got[0]] if len(got) == 1
                   else SIMULTANEOUS if got else FAILURE] += 1
        return counts
    return {
        "cue": branches.cue, "trials": n,
        "branches": rows,
        "simultaneous": _rate(n_sim, n),
        "failure": _rate(n_fail, n),
        "most_frequent_branch": branches.names[most],
        "most_frequent_share": rows[most]["probability"],
        "matching_tv_distance": tv,
        "max_probability_tv_distance": float(1.0 - f.max()),
        # both decisions, whichever decided the outcomes above
        "by_branch": tally("completed"),
        "by_head": tally("heads"),
    }
