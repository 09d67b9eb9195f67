# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequences of spatio-temporal spike patterns (STPs) as one continuous input stream.

After Feiler, Neftci & Bouhadjar (2024): every sequence element (item) is a
frozen Poisson spike pattern of ``item_ms`` on ``n_in`` input channels, drawn
once from the pattern seed.

* *spatial* coding: item k fires on its own block of ``block_channels``
  disjoint channels (default ``n_in // items``), each at ``rate`` Hz;
* *temporal* coding: every item uses every channel at ``rate`` Hz, the items
  differ only in their spike times.

The stream presents the sequences of the set alternately, one iteration being
one presentation of every sequence: ``start_ms`` of noise, then per sequence its
items separated by ``gap_ms`` and followed by ``sequence_gap_ms``. Poisson noise
at ``noise_alpha`` x ``rate`` on every channel fills the gaps (never the items).
Every presentation of an item is its frozen pattern with each spike moved in
time by Gaussian jitter (s.d. ``spike_jitter_ms``) and in channel by a uniform
integer in [-``channel_jitter``, ``channel_jitter``] (wrapped around the
channels), both drawn afresh per presentation.

Nothing here imports NEST.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqnest.params import Choice, Param, ParameterError, ParameterSet, positive

from seqnest.sequences.tasks.sequence_sets import SequenceSet, parse_sequences

__all__ = ["StreamParams", "PatternStream", "PATTERN_SETS", "pattern_set", "frozen_patterns", "make_stream",
           "RATE_DEFAULTS", "NOISE_DEFAULTS"]

FEILER2024 = "Feiler, Neftci & Bouhadjar 2024, ICONS (arXiv:2410.08637)"
OURS = "estimate (ours; the paper's value is not published)"

#: Sets of the paper: S3 = {A B D, C B E}, S4 = {A B F D, C B F E}.
PATTERN_SETS: dict[str, str] = {"s3": "A B D; C B E", "s4": "A B F D; C B F E"}

#: Item rate (Hz per active channel) by coding; ours within the paper's range
#: (spatial 100-140 Hz, temporal 20-30 Hz). The pattern family's spatial default is
#: its search's (seqnest.sequences.pattern_sequences.config.SEARCHED_SPATIAL).
RATE_DEFAULTS = {"spatial": 120.0, "temporal": 25.0}
#: Noise scaling alpha by coding (paper).
NOISE_DEFAULTS = {"spatial": 0.2, "temporal": 0.1}


def pattern_set(name_or_text: str) -> SequenceSet:
    """``s3``/``s4`` or a user-given set ``"A B D; C B E"`` (validated)."""
    key = name_or_text.strip().lower()
    if key in PATTERN_SETS:
        return SequenceSet(key, tuple(tuple(p.split()) for p in PATTERN_SETS[key].split(";")))
    if ";" not in name_or_text and len(name_or_text.split()) <= 1:
        raise ParameterError(f"unknown pattern set {name_or_text!r} (known: "
                             f"{', '.join(PATTERN_SETS)}, or sequences like \"A B D; C B E\")")
    return parse_sequences(name_or_text)


class StreamParams(ParameterSet):
    """Input channels, patterns, timing, noise and jitter of the STP stream."""

    NAME = "inputs"
    SPECS = {
        "coding": Choice("spatial", ("spatial", "temporal"),
                         "spatial: disjoint channel blocks; temporal: all channels, "
                         "different spike times", FEILER2024),
        "n_in": Param(100, "1", "input channels", FEILER2024, low=1, integer=True),
        "block_channels": Param(0, "1", "channels per item (spatial coding; 0: n_in // items)",
                                FEILER2024, low=0, integer=True),
        "item_ms": positive(50.0, "ms", "duration of one item (pattern)", FEILER2024),
        "gap_ms": positive(50.0, "ms", "noise between two items of a sequence", FEILER2024),
        "sequence_gap_ms": positive(150.0, "ms", "noise after each sequence", FEILER2024),
        "start_ms": Param(200.0, "ms", "noise before the first sequence", FEILER2024, low=0.0),
        "rate": positive(120.0, "Hz", "Poisson rate of an active channel within an item "
                         "(default by coding: see seqnest learn --inputs ... --dry-run)",
                         OURS + "; " + FEILER2024 + " range 100-140 / 20-30 Hz"),
        "noise_alpha": Param(0.2, "1", "noise rate in the gaps in units of the item rate "
                             "(default by coding: see seqnest learn --inputs ... --dry-run)",
                             FEILER2024, low=0.0),
        "spike_jitter_ms": Param(0.1, "ms", "s.d. of the Gaussian jitter of every spike time, "
                                 "per presentation", FEILER2024, low=0.0),
        "channel_jitter": Param(0, "1", "largest channel displacement of a spike, uniform "
                                "integer in [-c, c] per spike and presentation (wrapped)",
                                FEILER2024, low=0, integer=True),
        "pattern_seed": Param(0, "1", "seed of the frozen patterns (0: the run's seed)",
                              "this package", low=0, integer=True),
    }

    def _check_relations(self) -> None:
        self._require(self.item_ms <= self.gap_ms,
                      f"item_ms ({self.item_ms:g} ms) is longer than the gap between items "
                      f"(gap_ms {self.gap_ms:g} ms): the delayed responses to one item would "
                      "run into the next")
        self._require(self.rate * 1e-3 * 0.1 <= 1.0, f"rate ({self.rate:g} Hz) exceeds one "
                      "spike per 0.1 ms step")

    def blocks(self, n_items: int) -> int:
        """Channels per item of spatial coding (checked against n_in)."""
        if n_items < 1:
            raise ParameterError("the pattern set has no items")
        size = int(self.block_channels) or int(self.n_in) // n_items
        if size * n_items > self.n_in:
            raise ParameterError(f"inputs.block_channels: {n_items} items x {size} channels "
                                 f"need more channels than the {self.n_in} inputs (n_in)")
        if size < 1:
            raise ParameterError(f"inputs.n_in ({self.n_in}) has fewer channels than the "
                                 f"{n_items} items of spatial coding need")
        return size


def _poisson(rng: np.random.Generator, rate_hz: float, duration: float,
             channels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Independent Poisson trains on ``channels`` over [0, duration) ms."""
    counts = rng.poisson(rate_hz * 1e-3 * duration, size=channels.size)
    chan = np.repeat(channels, counts)
    times = rng.uniform(0.0, duration, size=chan.size)
    return times, chan


def frozen_patterns(params: StreamParams, n_items: int,
                    rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """One frozen pattern per item: (times in ms within the item, channels), time-sorted."""
    out = []
    if params.coding == "spatial":
        size = params.blocks(n_items)
    for k in range(n_items):
        if params.coding == "spatial":
            channels = np.arange(k * size, (k + 1) * size)
        else:
            channels = np.arange(int(params.n_in))
        times, chan = _poisson(rng, params.rate, params.item_ms, channels)
        order = np.argsort(times, kind="stable")
        out.append((times[order], chan[order]))
    return out


@dataclass(frozen=True)
class PatternStream:
    """The input stream and where its items are.

    ``times``/``channels``: every input spike (ms, channel), sorted by time.
    Per item presentation (in time order): ``onsets`` (ms), ``items`` (index
    into ``vocabulary``), ``sequence`` (index into ``sequences``), ``position``
    (within the sequence), ``iteration``.
    """

    times: np.ndarray
    channels: np.ndarray
    onsets: np.ndarray
    items: np.ndarray
    sequence: np.ndarray
    position: np.ndarray
    iteration: np.ndarray
    iteration_starts: np.ndarray     # (iterations + 1,): start of each, and the end
    vocabulary: tuple[str, ...]
    sequences: tuple[tuple[str, ...], ...]
    patterns: tuple[tuple[np.ndarray, np.ndarray], ...]
    item_ms: float

    @property
    def duration(self) -> float:
        return float(self.iteration_starts[-1])

    @property
    def n_iterations(self) -> int:
        return self.iteration_starts.size - 1

    def last_elements(self) -> np.ndarray:
        """Indices of the presentations that end a sequence."""
        lengths = np.array([len(s) for s in self.sequences])
        return np.flatnonzero(self.position == lengths[self.sequence] - 1)


def iteration_ms(params: StreamParams, seq_set: SequenceSet) -> float:
    """Duration of one presentation of every sequence (ms)."""
    return float(sum(len(s) * params.item_ms + (len(s) - 1) * params.gap_ms
                     + params.sequence_gap_ms for s in seq_set.sequences))


def make_stream(params: StreamParams, seq_set: SequenceSet, iterations: int,
                pattern_rng: np.random.Generator, rng: np.random.Generator) -> PatternStream:
    """The whole input stream of ``iterations`` iterations over ``seq_set``."""
    if not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise ParameterError(f"iterations must be a whole number >= 1, got {iterations!r}")
    vocab = seq_set.vocabulary
    index = {el: k for k, el in enumerate(vocab)}
    patterns = frozen_patterns(params, len(vocab), pattern_rng)
    n_in = int(params.n_in)
    all_channels = np.arange(n_in)
    noise_rate = params.noise_alpha * params.rate
    parts_t, parts_c = [], []
    onsets, items, seqs, pos, iters = [], [], [], [], []

    def noise(t0: float, duration: float) -> None:
        if noise_rate > 0 and duration > 0:
            t, c = _poisson(rng, noise_rate, duration, all_channels)
            parts_t.append(t0 + t)
            parts_c.append(c)

    def item(t0: float, k: int) -> None:
        t, c = patterns[k]
        if params.spike_jitter_ms > 0:
            t = t + rng.normal(0.0, params.spike_jitter_ms, size=t.size)
        if params.channel_jitter > 0:
            shift = rng.integers(-int(params.channel_jitter), int(params.channel_jitter) + 1,
                                 size=c.size)
            c = (c + shift) % n_in
        parts_t.append(t0 + t)
        parts_c.append(c)

    now = 0.0
    starts = []
    for it in range(int(iterations)):
        starts.append(now)
        if it == 0:
            noise(now, params.start_ms)
            now += params.start_ms
        for s, seq in enumerate(seq_set.sequences):
            for p, el in enumerate(seq):
                onsets.append(now), items.append(index[el]), seqs.append(s), pos.append(p)
                iters.append(it)
                item(now, index[el])
                now += params.item_ms
                gap = params.gap_ms if p < len(seq) - 1 else params.sequence_gap_ms
                noise(now, gap)
                now += gap
    starts.append(now)
    times = np.concatenate(parts_t) if parts_t else np.zeros(0)
    chans = np.concatenate(parts_c).astype(np.int64) if parts_c else np.zeros(0, np.int64)
    keep = (times >= 0.0) & (times < now)
    times, chans = times[keep], chans[keep]
    order = np.lexsort((chans, times))
    return PatternStream(times[order], chans[order], np.asarray(onsets), np.asarray(items),
                         np.asarray(seqs), np.asarray(pos), np.asarray(iters), np.asarray(starts),
                         vocab, seq_set.sequences, tuple(patterns), float(params.item_ms))
