# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequence sets and the stimulus schedule of a training run (no NEST).

Named sets (Bouhadjar et al. 2022): ``set1`` {A,D,B,E}, {F,D,B,C}; ``set2`` and
``set3`` (six sequences of five elements over 14 letters); ``task4`` (two
12-element sequences sharing a 10-element core). Custom sets are parsed from
text (``"A D B E; F D B C"``) and random high-order sets are drawn with an
explicit seed.

An element is presented as one spike of its stimulus generator. Elements of a
sequence are ``delta_T`` apart, sequences ``gap`` apart; one episode is one pass
over the set, and episodes follow each other without pause.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from pynest_ext.params import Param, ParameterError, ParameterSet, positive

__all__ = ["SequenceSet", "named_set", "NAMED_SETS", "parse_sequences", "random_high_order",
           "TimingParams", "Schedule", "make_schedule"]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"
_ELEMENT = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class SequenceSet:
    """An ordered set of sequences of named elements.

    Attributes
    ----------
    name : str
        ``set1`` ... or ``custom`` / ``random``.
    sequences : tuple of tuple of str
        The sequences, in presentation order.
    synapse_overrides : dict
        Learning rates that belong to this set (``lambda_plus`` ...), applied
        unless the user sets them explicitly.
    sparse_first : bool
        Whether the set is trained with the sparse-first-element drive by default.
    alphabet : tuple of str
        Elements that get a subpopulation; empty: exactly those that occur.
        (Set III uses 13 of the 14 letters of the paper's M = 14 network.)
    """

    name: str
    sequences: tuple[tuple[str, ...], ...]
    synapse_overrides: dict = field(default_factory=dict)
    sparse_first: bool = False
    alphabet: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.sequences:
            raise ParameterError("the sequence set is empty")
        for i, seq in enumerate(self.sequences, 1):
            if len(seq) < 2:
                raise ParameterError(f"sequence {i} ({' '.join(seq) or 'empty'}) needs at least "
                                     "two elements: the last one is predicted from the one before")
            for el in seq:
                if not _ELEMENT.match(el):
                    raise ParameterError(f"sequence {i}: element {el!r} is not a name "
                                         "(letters, digits, underscore)")
        seen = {}
        for i, seq in enumerate(self.sequences, 1):
            if seq in seen:
                raise ParameterError(f"sequence {i} repeats sequence {seen[seq]}: "
                                     f"{' '.join(seq)}")
            seen[seq] = i
        used = {el for seq in self.sequences for el in seq}
        missing = sorted(used - set(self.alphabet)) if self.alphabet else []
        if missing:
            raise ParameterError(f"unknown element {missing[0]!r}: not in the alphabet "
                                 f"{' '.join(self.alphabet)}")

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Elements in sorted order; element k is represented by subpopulation k."""
        if self.alphabet:
            return tuple(sorted(set(self.alphabet)))
        return tuple(sorted({el for seq in self.sequences for el in seq}))

    @property
    def lengths(self) -> tuple[int, ...]:
        return tuple(len(s) for s in self.sequences)

    def shared_elements(self) -> tuple[str, ...]:
        """Elements that occur in more than one (sequence, position) context."""
        counts: dict[str, int] = {}
        for seq in self.sequences:
            for el in seq:
                counts[el] = counts.get(el, 0) + 1
        return tuple(sorted(el for el, n in counts.items() if n > 1))


def _seqs(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(part.split()) for part in text.split(";"))


#: Learning rates of sets II and III (set I uses the synapse defaults). The set-III
#: lambda_minus is the authors' code value (the printed paper value is 0.0057).
NAMED_SETS: dict[str, SequenceSet] = {
    "set1": SequenceSet("set1", _seqs("A D B E; F D B C")),
    "set2": SequenceSet("set2", _seqs("E N D I J; L N D I K; G J M C N; F J M C I; "
                                      "B C K H I; A C K H F"),
                        {"lambda_plus": 0.28, "lambda_h": 0.024, "lambda_minus": 0.0063}),
    "set3": SequenceSet("set3", _seqs("E N D I J; L N D I K; G J M E N; F J M E I; "
                                      "B C K B I; A C K B F"),
                        {"lambda_plus": 0.39, "lambda_h": 0.034, "lambda_minus": 0.005785},
                        sparse_first=True, alphabet=tuple("ABCDEFGHIJKLMN")),
    "task4": SequenceSet("task4", _seqs("A D B G H I J K L M N E; F D B G H I J K L M N C")),
}


def named_set(name: str) -> SequenceSet:
    try:
        return NAMED_SETS[name]
    except KeyError:
        raise ParameterError(f"unknown task {name!r} (known: {', '.join(NAMED_SETS)})") from None


def parse_sequences(text: str) -> SequenceSet:
    """Parse ``"A D B E; F D B C"``: sequences separated by ';', elements by spaces."""
    if not text or not text.strip():
        raise ParameterError("--sequences is empty")
    parts = text.split(";")
    seqs = []
    for i, part in enumerate(parts, 1):
        elements = tuple(part.split())
        if not elements:
            raise ParameterError(f"sequence {i} of {text!r} is empty")
        seqs.append(elements)
    return SequenceSet("custom", tuple(seqs))


def random_high_order(n_sequences: int, length: int, shared_core: int, vocab_size: int,
                      seed: int) -> SequenceSet:
    """Draw a high-order set: sequences share a core and differ in their ends.

    Sequence i is ``[first_i] + core + suffix_i``; ``core`` has ``shared_core``
    elements common to all sequences; first and last elements differ between
    sequences, so predicting the last element requires remembering the first
    across the whole core. Elements outside the core are drawn without
    replacement within a sequence. All ``vocab_size`` elements get a
    subpopulation (M = vocab_size), whether they occur or not.

    Parameters
    ----------
    n_sequences : int
        Number of sequences S (>= 2).
    length : int
        Elements per sequence (>= shared_core + 2).
    shared_core : int
        Length of the shared core (>= 1).
    vocab_size : int
        Number of distinct elements available (>= shared_core + 2 * n_sequences,
        and enough for each sequence's own elements).
    seed : int
        Seed of the generator (same seed, same set).
    """
    if n_sequences < 2:
        raise ParameterError("random set: need at least 2 sequences")
    if shared_core < 1:
        raise ParameterError("random set: the shared core needs at least 1 element")
    if length < shared_core + 2:
        raise ParameterError(f"random set: length {length} leaves no room for distinct first and "
                             f"last elements around a core of {shared_core}")
    n_own = length - shared_core
    needed = shared_core + max(2 * n_sequences, n_own)
    if vocab_size < needed:
        raise ParameterError(f"random set: vocabulary of {vocab_size} is too small "
                             f"(need at least {needed})")
    if vocab_size > 26 * 27:
        raise ParameterError("random set: vocabulary too large (at most 702 elements)")
    rng = np.random.default_rng(seed)
    names = _element_names(vocab_size)
    order = rng.permutation(vocab_size)
    core = [names[i] for i in order[:shared_core]]
    rest = [names[i] for i in order[shared_core:]]
    firsts = rng.choice(len(rest), size=n_sequences, replace=False)
    remaining = [i for i in range(len(rest)) if i not in set(firsts)]
    lasts = rng.choice(remaining, size=n_sequences, replace=False)
    seqs = []
    for f, last in zip(firsts, lasts):
        middle_pool = [i for i in range(len(rest)) if i not in (f, last)]
        middle = rng.choice(middle_pool, size=n_own - 2, replace=False) if n_own > 2 else []
        seqs.append(tuple([rest[f]] + core + [rest[i] for i in middle] + [rest[last]]))
    return SequenceSet("random", tuple(seqs), alphabet=tuple(names))


def _element_names(n: int) -> list[str]:
    letters = [chr(ord("A") + i) for i in range(26)]
    names = list(letters)
    for a in letters:
        names += [a + b for b in letters]
    return names[:n]


class TimingParams(ParameterSet):
    """Stimulus timing of the training protocol."""

    NAME = "timing"
    SPECS = {
        "delta_T": positive(40.0, "ms", "interval between consecutive elements of a sequence", PAPER),
        "gap": positive(100.0, "ms", "interval between the last element of a sequence and the "
                        "first of the next", PAPER),
        "start": Param(30.0, "ms", "time of the first stimulus", PAPER, low=1.0),
        "sparse_first_lead": positive(20.0, "ms", "how long before a first element its sparse "
                                      "dendritic drive arrives", PAPER),
    }

    def _check_relations(self) -> None:
        self._require(self.sparse_first_lead < self.start,
                      "sparse_first_lead must be shorter than start (the drive of the first "
                      "element of the first episode would fall before t = 0)")


@dataclass(frozen=True)
class Schedule:
    """When every element of every episode is presented.

    Attributes
    ----------
    episode_duration : float
        Length of one pass over the set (ms).
    offsets : tuple of tuple of float
        Onset of element j of sequence i relative to the episode start (ms).
    start : float
        Onset of the first element of episode 0 (ms).
    n_episodes : int
    """

    sequence_set: SequenceSet
    episode_duration: float
    offsets: tuple[tuple[float, ...], ...]
    start: float
    n_episodes: int

    def episode_start(self, episode: int) -> float:
        return self.start + episode * self.episode_duration

    def onset(self, episode: int, seq: int, pos: int) -> float:
        return self.episode_start(episode) + self.offsets[seq][pos]

    def element_times(self, n_episodes: int | None = None) -> dict[str, list[float]]:
        """Onset times of each element over ``n_episodes`` episodes (default: all)."""
        n = self.n_episodes if n_episodes is None else n_episodes
        times: dict[str, list[float]] = {el: [] for el in self.sequence_set.vocabulary}
        for ep in range(n):
            for i, seq in enumerate(self.sequence_set.sequences):
                for j, el in enumerate(seq):
                    times[el].append(self.onset(ep, i, j))
        return {el: sorted(t) for el, t in times.items()}

    def first_element_times(self, lead: float) -> dict[str, list[float]]:
        """Times of the sparse dendritic drive: ``lead`` before each first element."""
        out: dict[str, list[float]] = {}
        for ep in range(self.n_episodes):
            for i, seq in enumerate(self.sequence_set.sequences):
                out.setdefault(seq[0], []).append(self.onset(ep, i, 0) - lead)
        return {el: sorted(t) for el, t in out.items()}

    @property
    def total_duration(self) -> float:
        return self.start + self.n_episodes * self.episode_duration


def make_schedule(sequence_set: SequenceSet, timing: TimingParams, n_episodes: int) -> Schedule:
    """Onsets for ``n_episodes`` passes over ``sequence_set``."""
    if n_episodes < 1:
        raise ParameterError(f"episodes must be >= 1, got {n_episodes}")
    offsets, t = [], 0.0
    for seq in sequence_set.sequences:
        offsets.append(tuple(t + j * timing.delta_T for j in range(len(seq))))
        t += (len(seq) - 1) * timing.delta_T + timing.gap
    return Schedule(sequence_set, t, tuple(offsets), timing.start, n_episodes)
