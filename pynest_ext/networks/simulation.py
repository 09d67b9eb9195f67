# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulated time of a network builder, run in interruptible pieces.

Shared by the builders of :mod:`seqnest.pynest_ext.networks`: the builder keeps the
biological time itself (every kernel-status read costs 10-20 ms in a
paper-size network) and runs NEST in pieces of at most :data:`RUN_PIECE_MS`
inside one ``RunManager`` context, so that Ctrl-C takes effect within about a
second and recorders or state can be read between calls.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext._nest import kernel_api, node_status, set_node_status
from seqnest.pynest_ext.parallel import allgather_arrays, every_rank

__all__ = ["RUN_PIECE_MS", "Simulated", "Spikes", "load_generators", "read_connections",
           "READ_CHUNK", "WAVE_EVENTS", "CONNECT_CHUNK", "connect_with_arrays"]

#: Longest piece of biological time (ms) simulated without returning to Python, so
#: that Ctrl-C takes effect within about a second even at paper size.
RUN_PIECE_MS = 100.0


def load_generators(generators, channels: np.ndarray, steps: np.ndarray, h: float) -> None:
    """Give each of ``generators`` (one ``spike_generator`` per channel) the spikes of
    its channel: a spike at ``steps * h`` ms for every (channel, step) pair."""
    chan = np.asarray(channels, dtype=np.int64)
    step = np.asarray(steps, dtype=np.int64)
    order = np.lexsort((step, chan))
    chan, step = chan[order], step[order]
    bounds = np.searchsorted(chan, np.arange(len(generators) + 1))
    generators.set([{"spike_times": np.round(step[bounds[i]:bounds[i + 1]] * h, 10).tolist()}
                    for i in range(len(generators))])


#: Synapses made per ``nest.Connect`` call when each gets its own values: NEST
#: copies the arrays of a call into its own structures, and the C library keeps
#: the freed copies resident; one call for 162,000 stdsp synapses kept 23 B per
#: synapse more than calls of this size (bench/synapse_memory.py).
CONNECT_CHUNK = 100_000


def connect_with_arrays(nest, pre, post, rule: dict | str, syn_spec: dict,
                        arrays: dict) -> None:
    """``nest.Connect(pre, post, rule, {**syn_spec, **arrays})`` in calls of about
    :data:`CONNECT_CHUNK` synapses: the same connections, drawn from the same
    random streams in the same order, with less memory left behind.

    ``rule`` is ``"one_to_one"`` (``pre`` and ``post`` node-id arrays, ``arrays``
    one value per connection, ``weight`` and ``delay`` among them: PyNEST's array
    connection needs both as arrays) or a ``fixed_indegree`` rule (``post`` a
    NodeCollection, ``arrays`` of shape (len(post), indegree))."""
    one_to_one = rule == "one_to_one"
    if one_to_one:
        step = CONNECT_CHUNK                       # connections per call
    elif isinstance(rule, dict) and rule.get("rule") == "fixed_indegree":
        step = max(1, CONNECT_CHUNK // max(int(rule["indegree"]), 1))     # targets per call
    else:
        raise ValueError(f"connect_with_arrays: rule {rule!r} is not one_to_one or fixed_indegree")
    size = len(post)
    for a in range(0, size, step):
        b = min(a + step, size)
        nest.Connect(pre[a:b] if one_to_one else pre, post[a:b], rule,
                     {**syn_spec, **{k: v[a:b] for k, v in arrays.items()}})
    if arrays:
        release_free_memory()


def release_free_memory() -> None:
    """Give the memory freed after connecting back to the system (glibc's
    ``malloc_trim``): NEST's copies of the per-synapse arrays are freed after each
    call, but the allocator keeps them (about 5 B per synapse and array; measured
    with ``bench/synapse_memory.py``). Elsewhere than glibc nothing happens."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)


@dataclass(frozen=True)
class Spikes:
    """Spikes by 0-based index within a population, sorted by time."""

    index: np.ndarray
    times: np.ndarray


class Simulated:
    """Mixin: ``h``, :attr:`now`, grid rounding and :meth:`_simulate`.

    Call :meth:`_init_clock` with the imported ``nest`` once the kernel is set up.
    """

    def _init_clock(self, nest) -> None:
        self._nest = nest
        self.h = float(nest.resolution)
        self._now = float(nest.biological_time)
        #: Wall-clock seconds spent in ``nest.Run`` and in reading state and
        #: recorders out of NEST, accumulated over the network's life.
        self.time_simulate_s = 0.0
        self.time_readout_s = 0.0

    @property
    def now(self) -> float:
        """Biological time simulated so far (ms), kept here (no kernel query)."""
        return self._now

    def _on_grid(self, times: Sequence[float]) -> list[float]:
        h = self.h
        return [round(round(float(t) / h) * h, 10) for t in times]

    def _simulate(self, duration: float) -> None:
        """One simulation (Prepare, Run, Cleanup), run in pieces of at most
        :data:`RUN_PIECE_MS`: Ctrl-C (KeyboardInterrupt) takes effect when a
        piece returns, within a second."""
        t0 = time.perf_counter()
        nest = self._nest
        step = self._on_grid([duration])[0]
        try:
            with nest.RunManager():
                left = step
                while left > self.h / 2:
                    piece = self._on_grid([min(left, RUN_PIECE_MS)])[0]
                    nest.Run(piece)
                    self._now = round(self._now + piece, 10)
                    left = round(left - piece, 10)
        finally:
            self.time_simulate_s += time.perf_counter() - t0

    def _read_by_wave(self, model: str, neurons, fire, variables: Mapping[str, int],
                      expected: int) -> dict[str, np.ndarray] | None:
        """Every synapse of ``model`` from ``neurons`` read without status dictionaries:
        source and target node ids and ``variables``, sorted by (target, source).

        The model's shared ``readout`` = k makes a presynaptic spike transmit its
        read-out variable k as the spike's weight and change nothing (``variables``
        maps the names to read to their k); a ``weight_recorder`` on the model
        records sender, target and weight, in the module's ``seqnest_arrays``
        backend (:mod:`seqnest.pynest_ext.array_backend`) where it has one, else in
        PyNEST's ``events``. ``fire(group)`` makes each neuron of ``group`` spike
        once at the next step and not again; groups carry about
        :data:`WAVE_EVENTS` synapses each. Spikes still in flight from before
        transmit the same values and are dropped.

        Returns None, with the synapses' read variables unchanged, if the waves did
        not reach ``expected`` distinct synapses alike for every variable (the
        caller then reads status dictionaries). Under MPI every rank runs every
        wave and the ranks decide together (a rank that stopped early would leave
        the others waiting). The network is spent afterwards: its neurons were made
        to spike and its synapses are left in read-out mode.
        """
        nest = self._nest
        t0 = time.perf_counter()
        take = self._wave_recorder(model)
        n, first = len(neurons), neurons[0].global_id
        size = max(1, int(WAVE_EVENTS * n // max(expected, 1)))
        groups = [(a, min(a + size, n)) for a in range(0, n, size)]
        duration = 2.0 * float(nest.min_delay) + 2.0 * self.h
        pairs: list[tuple[np.ndarray, np.ndarray]] = []     # per group, of the first variable
        values: dict[str, np.ndarray] = {}
        alike = True                  # this rank's waves reached the same synapses each time
        for name, code in variables.items():
            nest.SetDefaults(model, {"readout": float(code)})
            weights = []
            for g, (a, b) in enumerate(groups):
                fire(neurons[a:b])
                self._simulate(duration)
                ev = take()
                if ev is None or not alike:
                    alike = False
                    continue
                mine = (ev["senders"] >= first + a) & (ev["senders"] < first + b)
                if not mine.all():
                    ev = {k: v[mine] for k, v in ev.items()}
                if len(pairs) < len(groups):
                    pairs.append((ev["senders"], ev["targets"]))
                elif not (np.array_equal(ev["senders"], pairs[g][0])
                          and np.array_equal(ev["targets"], pairs[g][1])):
                    alike = False
                    continue
                weights.append(ev["weights"])
            values[name] = np.concatenate(weights) if weights else np.zeros(0)
        self.time_readout_s += time.perf_counter() - t0
        return _sorted_synapses(pairs, values, expected, alike)

    def _wave_recorder(self, model: str):
        """A weight recorder on ``model``, and a function that takes its events
        (``senders``, ``targets``: int64, ``weights``) and clears it."""
        nest = self._nest
        recorder = nest.Create("weight_recorder")
        arrays = array_backend.available()
        if arrays:
            try:
                set_node_status(recorder, {"record_to": array_backend.BACKEND})
                array_backend.clear()
            except nest.NESTError:     # a kernel reset without the module's initialize()
                arrays = False
        nest.SetDefaults(model, {"weight_recorder": recorder})
        if arrays:
            return array_backend.take

        def events() -> dict[str, np.ndarray]:
            ev = node_status(recorder, "events")
            set_node_status(recorder, {"n_events": 0})
            return {"senders": np.asarray(ev["senders"], dtype=np.int64),
                    "targets": np.asarray(ev["targets"], dtype=np.int64),
                    "weights": np.asarray(ev["weights"], dtype=float)}
        return events

    def _take(self, recorder, first_id: int) -> Spikes:
        """Spikes of ``recorder`` since the last call (then cleared), indexed from ``first_id``."""
        t0 = time.perf_counter()
        ev = recorder.get("events")
        # under MPI a recorder holds its rank's neurons' spikes: gather them
        ev = allgather_arrays({"senders": np.asarray(ev["senders"], dtype=np.int64),
                               "times": np.asarray(ev["times"], dtype=float)})
        idx = ev["senders"] - first_id
        times = ev["times"]
        recorder.set({"n_events": 0})
        order = np.lexsort((idx, times))
        self.time_readout_s += time.perf_counter() - t0
        return Spikes(idx[order].astype(np.int32), times[order])


#: Synapses read per wave of the final read (:meth:`Simulated._read_by_wave`): the
#: weight recorder keeps each event (six numbers) until it is read, so a large
#: network is read in waves of presynaptic neurons carrying about this many.
WAVE_EVENTS = 2_000_000


def _sorted_synapses(pairs: Sequence[tuple[np.ndarray, np.ndarray]],
                     values: Mapping[str, np.ndarray], expected: int,
                     alike: bool) -> dict[str, np.ndarray] | None:
    """The waves' synapses of every rank, sorted by (target, source), or None (on
    every rank) if a rank's waves were not ``alike`` or they are not ``expected``
    distinct ones."""
    if not every_rank(alike):
        return None
    local = {"senders": np.concatenate([p[0] for p in pairs]) if pairs else np.zeros(0, np.int64),
             "targets": np.concatenate([p[1] for p in pairs]) if pairs else np.zeros(0, np.int64)}
    got = allgather_arrays({**local, **values})
    base = int(got["senders"].max(initial=0)) + 1
    key = got["targets"] * base + got["senders"]
    if key.size and int(key.max()) < 2 ** 32:
        key = key.astype(np.uint32)        # sorts about a third faster than int64
    order = np.argsort(key, kind="stable")
    key = key[order].astype(np.int64)
    if key.size > 1 and np.any(key[1:] == key[:-1]):
        return None                      # a synapse read twice: something else spiked
    if key.size != expected:
        return None
    out = {name: got[name][order] for name in values}
    out["target"], out["source"] = np.divmod(key, base)
    return out


#: Connections read per call: NEST builds a full status dictionary per
#: connection (several kB for NESTML synapses), so reading all at once would
#: cost about 1 GB per 160,000 synapses.
READ_CHUNK = 4000


def read_model_synapses(nest, model: str, keys: Sequence[str], sources=None,
                        targets=None) -> dict[str, np.ndarray] | None:
    """Every connection of ``model`` on this process (``source``, ``target`` and
    ``keys``) from the module's synapse reader
    (:func:`seqnest.pynest_ext.array_backend.read_synapses`), without status
    dictionaries and without changing anything; restricted to the node-id ranges
    of the contiguous collections ``sources`` and ``targets`` where given. None
    where the reader cannot read ``model`` (read :func:`read_connections` then)."""
    if not array_backend.can_read_synapses():
        return None
    data = array_backend.read_synapses(int(nest.GetDefaults(model, "synapse_modelid")), keys)
    if data is None:
        return None
    keep = np.ones(data["source"].size, dtype=bool)
    for key, nodes in (("source", sources), ("target", targets)):
        if nodes is not None and len(nodes):
            first = nodes[0].global_id
            keep &= (data[key] >= first) & (data[key] < first + len(nodes))
    return data if keep.all() else {k: v[keep] for k, v in data.items()}


def read_connections(conns, keys: Sequence[str], chunk: int = READ_CHUNK) -> dict[str, np.ndarray]:
    """``conns.get(keys)`` as NumPy arrays, in chunks to bound peak memory.

    Where PyNEST exposes its connection-status call (``nestkernel_api``, NEST
    3.8-3.10), it is called directly: ``SynapseCollection.get`` adds a full
    kernel-status query per call (30 ms in a set-I network) and restructures
    the result in Python, together 15-20 % of the read.
    """
    api = kernel_api()
    status = api.llapi_get_connection_status if api else None
    parts: dict[str, list] = {k: [] for k in keys}
    for start in range(0, len(conns), chunk):
        part = conns[start:start + chunk]
        if status is not None:
            dicts = status(part._datum)
            for k in keys:
                parts[k].append(np.array([d[k] for d in dicts]))
        else:
            data = part.get(list(keys))
            for k in keys:
                parts[k].append(np.atleast_1d(np.asarray(data[k])))
    return {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in parts.items()}
