# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequence sets and the stimulus schedule of a training run (no NEST).

Named sets (Bouhadjar et al. 2022): ``set1`` {A,D,B,E}, {F,D,B,C}; ``set2`` and
``set3`` (six sequences of five elements over 14 letters); ``task4`` (two
12-element sequences sharing a 10-element core). Branch sets (Bouhadjar et al.
2023): ``branch2`` {A,F,B,D} 0.7 / {A,F,C,E} 0.3, ``branch3`` (+ {A,F,G,H};
0.2 / 0.5 / 0.3) and ``branch5`` (five branches after "A F"), sequences that
share their beginning and are trained with unequal frequencies. Custom sets are
parsed from text (``"A D B E; F D B C"``, frequencies ``"0.7,0.3"``) and random
high-order sets are drawn with an explicit seed.

An element is presented as one spike of its stimulus generator. Elements of a
sequence are ``delta_T`` apart, sequences ``gap`` apart; episodes follow each
other without pause. Without frequencies an episode is one pass over the set in
its order. With frequencies f_i an episode still presents S sequences (S = the
number of sequences), drawn as follows: the presentations form consecutive
blocks of K, the smallest number for which every K*f_i is whole, each block
holding sequence i exactly K*f_i times in an order drawn from the run's seeded
generator; episodes cut this stream into pieces of S. The realised frequencies
therefore equal the requested ones over every block (and over every
lcm(K, S) / S episodes).

Size: above 400 lines because the sequence sets and the schedule that presents
them are one concept (a set's frequencies decide the schedule's blocks); both are
small pure classes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from seqnest.params import Param, ParameterError, ParameterSet, positive

__all__ = ["SequenceSet", "named_set", "NAMED_SETS", "parse_sequences", "parse_frequencies",
           "random_high_order", "TimingParams", "Schedule", "make_schedule", "frequency_block",
           "MAX_BLOCK"]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"
PAPER2023 = "Bouhadjar et al. 2023, PLoS Comput Biol 19:e1010989"
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
    frequencies : tuple of float
        Relative training frequency of each sequence, normalised to sum 1;
        empty: every episode presents every sequence once, in order. Build
        with :meth:`with_frequencies`, which validates and normalises.
    """

    name: str
    sequences: tuple[tuple[str, ...], ...]
    synapse_overrides: dict = field(default_factory=dict)
    sparse_first: bool = False
    alphabet: tuple[str, ...] = ()
    frequencies: tuple[float, ...] = ()

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
        if self.frequencies:
            _check_frequencies(self.frequencies, len(self.sequences))
            if abs(sum(self.frequencies) - 1.0) > 1e-9:
                raise ParameterError("frequencies must be normalised (use with_frequencies)")

    def with_frequencies(self, frequencies) -> "SequenceSet":
        """The same set trained with relative ``frequencies`` (one positive number per
        sequence, normalised here to sum 1)."""
        freqs = _check_frequencies(tuple(frequencies), len(self.sequences))
        total = math.fsum(freqs)
        return replace(self, frequencies=tuple(f / total for f in freqs))

    @property
    def weights(self) -> tuple[float, ...]:
        """Training frequency of each sequence (uniform without frequencies)."""
        n = len(self.sequences)
        return self.frequencies or tuple(1.0 / n for _ in range(n))

    def branches(self) -> bool:
        """Whether some beginning of a sequence is continued in more than one way."""
        return any(len(self.successors(i, pos)) > 1 for i, seq in enumerate(self.sequences)
                   for pos in range(1, len(seq)))

    def first_element_shares(self) -> dict[str, float]:
        """Training frequency of each first element (summed over the sequences it
        begins), in order of first appearance."""
        shares: dict[str, float] = {}
        for seq, w in zip(self.sequences, self.weights):
            shares[seq[0]] = shares.get(seq[0], 0.0) + w
        return shares

    def context_repeats(self) -> float:
        """Expected presentations per episode of the most often presented first
        element: 1 when no two sequences begin alike; S (the number of
        sequences) for the branch sets, whose sequences all begin with "A F"."""
        return max(1.0, len(self.sequences) * max(self.first_element_shares().values()))

    def successors(self, seq: int, pos: int) -> tuple[str, ...]:
        """Elements that may follow ``sequences[seq][:pos]``: the element at ``pos``
        of every sequence with the same beginning (sorted). After "A F" in
        {A,F,B,D}, {A,F,C,E} both B and C are correct predictions."""
        prefix = self.sequences[seq][:pos]
        return tuple(sorted({s[pos] for s in self.sequences
                             if len(s) > pos and s[:pos] == prefix}))

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


def _check_frequencies(freqs: tuple, n_sequences: int) -> tuple[float, ...]:
    if len(freqs) != n_sequences:
        raise ParameterError(f"{len(freqs)} frequencies for {n_sequences} sequences "
                             "(give one per sequence)")
    out = []
    for i, f in enumerate(freqs, 1):
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) \
                or f <= 0:
            raise ParameterError(f"frequency {i} ({f!r}) must be a positive number")
        out.append(float(f))
    return tuple(out)


def parse_frequencies(text) -> tuple[float, ...]:
    """``"0.7,0.3"``, ``"0.7 0.3"``, ``"[0.7, 0.3]"`` or a list -> floats (not yet
    checked against a set; see :meth:`SequenceSet.with_frequencies`)."""
    if isinstance(text, (list, tuple)):
        items = list(text)
    else:
        body = str(text).strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        items = [x for x in re.split(r"[,\s]+", body) if x]
    if not items:
        raise ParameterError("--frequencies is empty")
    out = []
    for x in items:
        try:
            out.append(float(x))
        except (TypeError, ValueError):
            raise ParameterError(f"frequency {x!r} is not a number") from None
    return tuple(out)


#: Learning rates of the 2022 study for sparse first elements (its set III; the set-III
#: lambda_minus is the authors' code value, the printed paper value is 0.0057).
SPARSE_FIRST_RATES = {"lambda_plus": 0.39, "lambda_h": 0.034, "lambda_minus": 0.005785}
#: The study's set-II rates (whole first elements).
SET2_2022_RATES = {"lambda_plus": 0.28, "lambda_h": 0.024, "lambda_minus": 0.0063}

#: Learning rates of sets II and III (set I and task 4 use the synapse defaults, as in
#: the authors' code). Set II with sparse first elements and set III's rates
#: (``--set run.sparse_first=on`` and these as ``synapse.*``) was measured against the
#: study's set-II protocol and was not better over fresh seeds
#: (docs/learning_stability.md).
NAMED_SETS: dict[str, SequenceSet] = {
    "set1": SequenceSet("set1", _seqs("A D B E; F D B C")),
    "set2": SequenceSet("set2", _seqs("E N D I J; L N D I K; G J M C N; F J M C I; "
                                      "B C K H I; A C K H F"), dict(SET2_2022_RATES)),
    "set3": SequenceSet("set3", _seqs("E N D I J; L N D I K; G J M E N; F J M E I; "
                                      "B C K B I; A C K B F"),
                        dict(SPARSE_FIRST_RATES), sparse_first=True,
                        alphabet=tuple("ABCDEFGHIJKLMN")),
    "task4": SequenceSet("task4", _seqs("A D B G H I J K L M N E; F D B G H I J K L M N C")),
    # Bouhadjar et al. 2023: branches after a shared beginning "A F". Frequencies of
    # branch2 and branch3 from the paper (secondary summary); branch5's are our choice.
    "branch2": SequenceSet("branch2", _seqs("A F B D; A F C E"), frequencies=(0.7, 0.3)),
    "branch3": SequenceSet("branch3", _seqs("A F B D; A F C E; A F G H"),
                           frequencies=(0.2, 0.5, 0.3)),
    "branch5": SequenceSet("branch5", _seqs("A F B D; A F C E; A F G H; A F I J; A F K L"),
                           frequencies=(0.1, 0.15, 0.2, 0.25, 0.3)),
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


#: Largest block of presentations in which training frequencies are realised exactly.
MAX_BLOCK = 1000


def frequency_block(frequencies) -> tuple[int, tuple[int, ...]]:
    """(K, counts): the smallest block of K presentations that holds sequence i
    exactly counts[i] = K * f_i times (every count at least 1)."""
    freqs = [float(f) for f in frequencies]
    for K in range(len(freqs), MAX_BLOCK + 1):
        counts = [round(f * K) for f in freqs]
        if all(c >= 1 and abs(c - f * K) < 1e-9 * K for c, f in zip(counts, freqs)) \
                and sum(counts) == K:
            return K, tuple(counts)
    shown = ", ".join(f"{f:g}" for f in freqs)
    raise ParameterError(f"frequencies {shown} cannot be realised exactly in blocks of up to "
                         f"{MAX_BLOCK} presentations; round them (e.g. to 3 decimals)")


@dataclass(frozen=True)
class Schedule:
    """When every element of every episode is presented.

    Episode ``ep`` presents the sequences ``order[ep]`` (indices into the set),
    one after the other; ``slot`` below is a position in that list.

    Attributes
    ----------
    start : float
        Onset of the first element of episode 0 (ms).
    n_episodes : int
    order : tuple of tuple of int
        Sequences presented in each episode, in presentation order.
    episode_starts : tuple of float
        Start of each episode and, last, the end of the run (ms; n_episodes + 1 values).
    slot_offsets : tuple of tuple of float
        Onset of each presentation's first element relative to its episode's start (ms).
    delta_T : float
        Interval between the elements of a sequence (ms).
    """

    sequence_set: SequenceSet
    start: float
    n_episodes: int
    order: tuple[tuple[int, ...], ...]
    episode_starts: tuple[float, ...]
    slot_offsets: tuple[tuple[float, ...], ...]
    delta_T: float

    def episode_start(self, episode: int) -> float:
        return self.episode_starts[episode]

    def presented(self, episode: int) -> tuple[tuple[str, ...], ...]:
        """The sequences of ``episode``, in presentation order."""
        return tuple(self.sequence_set.sequences[i] for i in self.order[episode])

    def onset(self, episode: int, slot: int, pos: int) -> float:
        """Onset of element ``pos`` of presentation ``slot`` of ``episode`` (ms)."""
        return self.episode_starts[episode] + self.slot_offsets[episode][slot] \
            + pos * self.delta_T

    @property
    def episode_durations(self) -> np.ndarray:
        return np.diff(np.asarray(self.episode_starts))

    @property
    def episode_duration(self) -> float:
        """Length of an episode (ms) when all are equal (always so without
        frequencies or with sequences of one length), else their mean."""
        return float(np.mean(self.episode_durations))

    @property
    def offsets(self) -> tuple[tuple[float, ...], ...]:
        """Onsets of episode 0's presentations relative to its start (ms)."""
        seqs = self.presented(0)
        return tuple(tuple(o + j * self.delta_T for j in range(len(seq)))
                     for o, seq in zip(self.slot_offsets[0], seqs))

    def element_times(self, n_episodes: int | None = None) -> dict[str, list[float]]:
        """Onset times of each element over ``n_episodes`` episodes (default: all)."""
        n = self.n_episodes if n_episodes is None else n_episodes
        times: dict[str, list[float]] = {el: [] for el in self.sequence_set.vocabulary}
        for ep in range(n):
            for slot, seq in enumerate(self.presented(ep)):
                for j, el in enumerate(seq):
                    times[el].append(self.onset(ep, slot, j))
        return {el: sorted(t) for el, t in times.items()}

    def first_element_times(self, lead: float) -> dict[str, list[float]]:
        """Times of the sparse dendritic drive: ``lead`` before each first element."""
        out: dict[str, list[float]] = {}
        for ep in range(self.n_episodes):
            for slot, seq in enumerate(self.presented(ep)):
                out.setdefault(seq[0], []).append(self.onset(ep, slot, 0) - lead)
        return {el: sorted(t) for el, t in out.items()}

    def presentation_counts(self) -> tuple[int, ...]:
        """How often each sequence of the set is presented over the run."""
        counts = [0] * len(self.sequence_set.sequences)
        for ep_order in self.order:
            for i in ep_order:
                counts[i] += 1
        return tuple(counts)

    @property
    def total_duration(self) -> float:
        return self.episode_starts[-1]

    def tail(self, first: int) -> "Schedule":
        """Episodes ``first``, ``first + 1``, ... of this schedule as a schedule of
        their own, shifted in time so that episode ``first`` begins at :attr:`start`
        (a run continued from a checkpoint); :meth:`tail_shift` maps its times back."""
        if not 0 <= first < self.n_episodes:
            raise ValueError(f"episode {first} is not in a schedule of {self.n_episodes}")
        shift = self.tail_shift(first)
        return Schedule(self.sequence_set, self.start, self.n_episodes - first,
                        self.order[first:],
                        tuple(round(s - shift, 10) for s in self.episode_starts[first:]),
                        self.slot_offsets[first:], self.delta_T)

    def tail_shift(self, first: int) -> float:
        """What to add to a time of :meth:`tail` ``(first)`` to get this schedule's time (ms)."""
        return self.episode_starts[first] - self.start


def make_schedule(sequence_set: SequenceSet, timing: TimingParams, n_episodes: int,
                  rng: np.random.Generator | None = None) -> Schedule:
    """Onsets for ``n_episodes`` episodes of ``sequence_set`` (see the module docstring).

    ``rng`` draws the presentation order of a set with frequencies (required then).
    """
    if n_episodes < 1:
        raise ParameterError(f"episodes must be >= 1, got {n_episodes}")
    S = len(sequence_set.sequences)
    if sequence_set.frequencies:
        if rng is None:
            raise ValueError("a set with frequencies needs a random generator for its order")
        K, counts = frequency_block(sequence_set.frequencies)
        block = np.repeat(np.arange(S), counts)
        stream: list[int] = []
        while len(stream) < n_episodes * S:
            stream.extend(int(i) for i in rng.permutation(block))
        order = tuple(tuple(stream[ep * S:(ep + 1) * S]) for ep in range(n_episodes))
    else:
        order = tuple(tuple(range(S)) for _ in range(n_episodes))
    lengths = sequence_set.lengths
    starts, slot_offsets, t = [], [], float(timing.start)
    for ep_order in order:
        starts.append(t)
        offs, o = [], 0.0
        for i in ep_order:
            offs.append(o)
            o += (lengths[i] - 1) * timing.delta_T + timing.gap
        slot_offsets.append(tuple(offs))
        t += o
    starts.append(t)
    return Schedule(sequence_set, float(timing.start), n_episodes, order, tuple(starts),
                    tuple(slot_offsets), float(timing.delta_T))
