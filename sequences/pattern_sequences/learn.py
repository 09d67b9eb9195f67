# SPDX-License-Identifier: GPL-2.0-or-later
"""Learn sequences of spatio-temporal spike patterns (Feiler, Neftci & Bouhadjar 2024).

:func:`train_patterns` runs the two-phase protocol on one continuous input stream:

1. phase 1 (``protocol.phase1_fraction`` of the iterations): the input
   synapses learn (STDP), E->E is frozen; at its end the assemblies are
   identified from the responses of the last ``protocol.assembly_iterations``
   iterations (:mod:`seqnest.sequences.pattern_sequences.metrics`);
2. phase 2: the input synapses are frozen, E->E learns, I->E is scaled.

At every sequence's last element of phase 2 the dAP state of the excitatory
population is read (one read of the population per sequence; no recording
device: a multimeter would cost on every step of the whole run) and the
prediction scored. :func:`write_pattern_run` writes the run directory.

Random streams of a run (seeded with run.seed): 0 frozen patterns (unless
``inputs.pattern_seed``), 1 the stream (jitter, noise), 2 connectivity drawn in
Python (input channels, delays, initial weights); NEST's own generators
(seeded with run.seed) draw the random E-I connectivity.
"""
from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext.buildcache import BuiltModule, provide
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.networks.pattern_sequences import (InputWeights, PatternNetwork,
                                                           inhibition_scale)
from seqnest.params import ParameterError

from seqnest.sequences.pattern_sequences.rundir import FAMILY
from seqnest.sequences.tasks.pattern_streams import PatternStream, make_stream
from seqnest.pynest_ext.resources import baseline_rss_mb, current_rss_mb, peak_rss_mb
from seqnest.sequences.pattern_sequences.config import PatternConfig
from seqnest.sequences.rundir import check_free_space
from seqnest.sequences.stats import jaccard
from seqnest.sequences.pattern_sequences.metrics import (assign_assemblies, converged_at,
                                                         predict_item, response_matrix, selectivity)

__all__ = ["PatternResult", "train_patterns", "make_run_stream", "FAMILY",
           "estimate_pattern_bytes", "check_pattern_resources"]

STREAM_PATTERNS, STREAM_INPUT, STREAM_CONNECT = range(3)

#: Resident bytes per NESTML E->E synapse and per input synapse (stdp_synapse),
#: and per neuron, rounded up from measurements of the S3 network.
EE_BYTES, INPUT_BYTES, NEURON_BYTES, BASE_BYTES = 200, 80, 20_000, 400 * 2**20


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 1000 + stream])


def make_run_stream(config: PatternConfig) -> PatternStream:
    """The input stream of a run (frozen patterns and presentations)."""
    seed = int(config.run.seed)
    pattern_seed = int(config.inputs.pattern_seed) or seed
    return make_stream(config.inputs, config.sequence_set, int(config.protocol.iterations),
                       _rng(pattern_seed, STREAM_PATTERNS), _rng(seed, STREAM_INPUT))


def estimate_pattern_bytes(config: PatternConfig) -> tuple[int, int, int]:
    """(E->E synapses, input synapses, resident bytes) of the run's network."""
    n_items = len(config.sequence_set.vocabulary)
    net = config.network
    n_e = int(net.n_E_per_item) * n_items
    ee = n_e * int(round(net.p_EE * n_e))
    n_d = int(net.n_delays) if net.in_delays == "rram" else 1
    inp = n_e * int(round(net.p_in * config.inputs.n_in)) * n_d
    return ee, inp, BASE_BYTES + ee * EE_BYTES + inp * INPUT_BYTES + n_e * NEURON_BYTES


def check_pattern_resources(config: PatternConfig, stream_spikes: int, processes: int = 1) -> None:
    """Refuse a network or stream that cannot fit (``processes`` at once), and absurd
    thread counts."""
    from seqnest.pynest_ext.resources import available_memory_bytes, check_threads
    check_threads(int(config.run.threads), "run.threads", processes)
    ee, inp, need = estimate_pattern_bytes(config)
    need = (need + stream_spikes * 40) * int(processes)
    avail = available_memory_bytes()
    if avail is not None and need > avail:
        raise ParameterError(
            f"network.n_E_per_item={config.network.n_E_per_item}: the run needs about "
            f"{need / 2**30:.1f} GB ({ee:,} E->E and {inp:,} input synapses, {stream_spikes:,} "
            f"input spikes), more than the {avail / 2**30:.1f} GB available")


@dataclass
class PatternResult:
    config: PatternConfig
    stream: PatternStream
    metrics: dict
    exc_spikes: tuple[np.ndarray, np.ndarray]
    inh_spikes: tuple[np.ndarray, np.ndarray]
    assembly: np.ndarray
    input_initial: InputWeights
    input_final: InputWeights
    ee_final: dict
    module_key: str
    oracle_items: np.ndarray | None = None


def pattern_run_bytes(config: PatternConfig, stream: PatternStream) -> float:
    """An estimate, with a margin, of the run directory's size: every E->E and
    input synapse's weights, the input stream's spikes, and a spike of every
    neuron of an item's assembly at each of its presentations, twice."""
    ee, inp, _ = estimate_pattern_bytes(config)
    e_spikes = 2 * len(stream.onsets) * int(config.network.n_E_per_item)
    return 8.0 * (ee + 3 * inp) + 12.0 * (int(stream.times.size) + e_spikes) + 2 * 2**20


def train_patterns(config: PatternConfig, module: BuiltModule | Callable[[], BuiltModule] | None = None,
                   progress: bool = True, floor: bool = False,
                   out: str | os.PathLike | None = None,
                   on_iteration: Callable[[int, dict[str, float]], None] | None = None
                   ) -> PatternResult:
    """Run the two-phase protocol; see the module docstring. ``floor``: the benchmark
    floor of :class:`~seqnest.pynest_ext.networks.pattern_sequences.PatternNetwork` (built-in
    models only; everything else unchanged). ``out``: the run directory that will be
    written, whose file system must have room for it (checked before building).
    ``on_iteration(k, scores)``: told after each phase-2 iteration ``k`` (counted from
    1) its scores (``accuracy``, ``prediction_overlap``, ``dap_fraction``); it may end
    the run by raising :class:`seqnest.errors.TrainingStopped`."""
    t_wall = time.perf_counter()
    run, proto = config.run, config.protocol
    stream = make_run_stream(config)
    check_pattern_resources(config, int(stream.times.size))
    if out is not None:
        check_free_space(out, pattern_run_bytes(config, stream), "the run directory")
    module = provide(module)
    names = setup_kernel(KernelConfig(resolution=run.resolution, threads=run.threads,
                                      seed=run.seed), module=module)
    n_items = len(stream.vocabulary)
    net = PatternNetwork(names, n_items, int(config.inputs.n_in), config.neuron,
                         config.inh_neuron, config.ee_synapse, config.input_synapse,
                         config.network, _rng(run.seed, STREAM_CONNECT), config.delays,
                         floor=floor)
    t0 = time.perf_counter()
    rss0 = baseline_rss_mb()
    net.create(stream.times, stream.channels)
    net.connect(stream.patterns)
    t_build = time.perf_counter() - t0
    network_mb = current_rss_mb() - rss0
    input_initial = net.input_weights()

    n_iter, n1 = int(proto.iterations), config.phase1_iterations
    window = float(config.inputs.item_ms + config.inputs.gap_ms)
    last = stream.last_elements()
    exc_parts, inh_parts = [], []
    assembly = np.full(net.N_E, -1)
    curves: dict[str, list] = {"accuracy": [], "prediction_overlap": [], "dap_fraction": [],
                               "correct": [], "predicted": []}
    scale = inhibition_scale(config.network, max(len(s) for s in stream.sequences))
    phase1_select = None
    bar = _progress(n_iter, progress)
    for it in range(n_iter):
        if it == n1:
            spikes = _concat(exc_parts[n1 - min(int(proto.assembly_iterations), n1):n1])
            resp = _responses(stream, spikes, net.N_E, n1 - min(int(proto.assembly_iterations),
                                                                n1), n1, window)
            assembly = assign_assemblies(resp, float(proto.min_response))
            phase1_select = selectivity(resp, assembly)
            net.start_phase2(scale)
        states, predicted = [], []
        if it >= n1:
            for j in last[stream.iteration[last] == it]:
                net.run_until(stream.onsets[j] + float(proto.sample_offset_ms))
                dap = net.dap_state()
                states.append(dap)
                predicted.append(predict_item(dap, assembly, n_items)[0])
        net.run_until(stream.iteration_starts[it + 1])
        exc, inh = net.take_spikes()
        exc_parts.append((exc.index, exc.times))
        inh_parts.append((inh.index, inh.times))
        if it >= n1:
            _score_iteration(curves, stream, stream.items[last[stream.iteration[last] == it]],
                             states, predicted)
            _tell_iteration(it + 1, curves, bar, on_iteration)
        bar.update(1)
    bar.close()
    input_final = net.input_weights()
    ee_final = net.ee_weights()
    exc_all, inh_all = _concat(exc_parts), _concat(inh_parts)
    tail = max(n1, n_iter - int(proto.assembly_iterations))
    resp_final = _responses(stream, exc_all, net.N_E, tail, n_iter, window)
    metrics = _metrics(config, stream, curves, assembly, phase1_select,
                       selectivity(resp_final, assembly), exc_all, window)
    metrics.update({
        "inhibition_scale": scale,
        "n_E": net.N_E, "n_I": net.N_I, "n_input_synapses": int(input_final.weight.size),
        "n_ee_synapses": int(ee_final["weight"].size),
        "build_network_time_s": t_build, "network_memory_mb": network_mb,
        "simulate_time_s": net.time_simulate_s, "readout_time_s": net.time_readout_s,
        "threads": int(run.threads), "wall_time_s": time.perf_counter() - t_wall,
        "peak_rss_mb": peak_rss_mb(),
    })
    return PatternResult(config, stream, metrics, exc_all, inh_all, assembly, input_initial,
                         input_final, ee_final, module.key, getattr(net, "oracle_items", None))


def _score_iteration(curves: dict, stream: PatternStream, truth, states: list,
                     predicted: list) -> None:
    """Append one phase-2 iteration's scores: per last element whether the predicted
    item is right, the accuracy, the overlap of the predictive sets of different
    sequences and the active dAP fraction."""
    n_seq = len(states)
    correct = [bool(p == t) for p, t in zip(predicted, truth)]
    curves["correct"].append(correct)
    curves["predicted"].append([stream.vocabulary[p] if p >= 0 else None for p in predicted])
    curves["accuracy"].append(float(np.mean(correct)))
    pairs = [jaccard(states[a], states[b], empty=math.nan) for a in range(n_seq)
             for b in range(a + 1, n_seq)]
    curves["prediction_overlap"].append(_finite_mean(pairs))
    curves["dap_fraction"].append(float(np.mean([s.mean() for s in states])))


def _tell_iteration(k: int, curves: dict, bar, on_iteration) -> None:
    """Show phase-2 iteration ``k``'s accuracy; tell ``on_iteration`` its scores."""
    bar.set_postfix(accuracy=f"{curves['accuracy'][-1]:.2f}")
    if on_iteration is not None:
        on_iteration(k, {key: curves[key][-1] for key in ("accuracy", "prediction_overlap",
                                                           "dap_fraction")})


def _concat(parts) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _responses(stream: PatternStream, spikes, n_neurons: int, first: int, stop: int,
               window: float) -> np.ndarray:
    sel = (stream.iteration >= first) & (stream.iteration < stop)
    return response_matrix(spikes[0], spikes[1], n_neurons, stream.onsets[sel],
                           stream.items[sel], len(stream.vocabulary), window)


def _metrics(config: PatternConfig, stream: PatternStream, curves: dict, assembly: np.ndarray,
             select_phase1, select_final, exc, window: float) -> dict:
    proto = config.protocol
    acc = curves["accuracy"]
    n_final = min(int(proto.final_iterations), len(acc))
    sizes = np.bincount(assembly[assembly >= 0], minlength=len(stream.vocabulary))
    shared = _shared_overlap(config, stream, exc, assembly, window)
    return {
        "family": FAMILY,
        "coding": config.coding,
        "sequences": [" ".join(s) for s in stream.sequences],
        "vocabulary": list(stream.vocabulary),
        "iterations": int(proto.iterations),
        "phase1_iterations": config.phase1_iterations,
        "accuracy": acc,
        "final_accuracy": float(np.mean(acc[-n_final:])) if acc else math.nan,
        "final_window": n_final,
        "chance": 1.0 / len(stream.vocabulary),
        "converged_at": converged_at(acc),
        "correct": curves["correct"],
        "predicted": curves["predicted"],
        "prediction_overlap": curves["prediction_overlap"],
        "final_prediction_overlap": _finite_mean(curves["prediction_overlap"][-n_final:]),
        "dap_fraction": curves["dap_fraction"],
        "assembly_sizes": {el: int(n) for el, n in zip(stream.vocabulary, sizes)},
        "unassigned": int(np.count_nonzero(assembly < 0)),
        "selectivity_phase1": _by_item(stream, select_phase1),
        "selectivity_final": _by_item(stream, select_final),
        "stp_detection": _finite_mean(select_phase1 if select_phase1 is not None else []),
        "shared_element_overlap": shared,
    }


def _finite_mean(values) -> float:
    """Mean of the values that are not nan; nan if there are none."""
    values = np.asarray(values, dtype=float)
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


def _by_item(stream: PatternStream, values) -> dict | None:
    if values is None:
        return None
    return {el: (None if math.isnan(v) else float(v)) for el, v in zip(stream.vocabulary, values)}


def _shared_overlap(config: PatternConfig, stream: PatternStream, exc, assembly: np.ndarray,
                    window: float) -> dict:
    """Per shared item: Jaccard index of its assembly's responders in the first
    two contexts, over the last ``final_iterations`` iterations (mean)."""
    out = {}
    n_iter = int(config.protocol.iterations)
    tail = range(max(config.phase1_iterations, n_iter - int(config.protocol.final_iterations)),
                 n_iter)
    index, times = exc
    for el in config.sequence_set.shared_elements():
        k = stream.vocabulary.index(el)
        members = assembly == k
        values = []
        for it in tail:
            where = np.flatnonzero((stream.iteration == it) & (stream.items == k))
            if where.size < 2:
                continue
            masks = []
            for j in where[:2]:
                t0 = stream.onsets[j]
                sel = (times >= t0) & (times < t0 + window)
                mask = np.zeros(assembly.size, dtype=bool)
                mask[index[sel]] = True
                masks.append(mask & members)
            values.append(jaccard(*masks, empty=math.nan))
        values = [v for v in values if not math.isnan(v)]
        out[el] = float(np.mean(values)) if values else None
    return out


def _progress(total: int, enabled: bool):
    from tqdm import tqdm
    return tqdm(total=total, desc="learning", unit="iteration", file=sys.stderr, leave=True,
                disable=None if enabled else True)
