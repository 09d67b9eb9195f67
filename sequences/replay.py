# SPDX-License-Identifier: GPL-2.0-or-later
"""Replay learned sequences from a run directory (Bouhadjar et al. 2022).

The learned E->E weights are frozen (static synapses with the learned weights;
synapses of zero weight are left out as they transmit nothing; the off state of
a ReRAM device with a finite on/off ratio does transmit and is kept). The somatic threshold
and the dAP threshold are lowered (``replay.V_th_factor``,
``replay.theta_dAP_factor``) and the E->I coupling is scaled so that n_E
coincident spikes fire the inhibitory neuron. Each sequence is cued by one
presentation of its first element, ``replay.cue_interval`` apart; the network
then runs through the rest of the sequence on its own.

If training used the sparse first-element drive, a cue is that drive alone,
onto the same neurons as in training: at the lowered replay threshold their dAP
fires them, so the cue activates the first element's own sparse code rather
than all contexts in which the element occurs.

Decoding: in the window after each cue, each subpopulation's spikes are split
into bursts (gaps longer than ``max_gap``); a burst in which at least
``replay.fired_fraction * rho`` distinct neurons fire is one replayed element,
at the median time of its spikes. Elements are ordered by those times, so an
element that occurs twice in a sequence is decoded twice. The replay is
correct if that order begins with the trained sequence. Elements replayed
after it are reported as ``continued``: when the last element of a sequence is
also the first of another (set II: ...H F and F J M...), the network goes on
into that sequence, as its connectivity says it should. The duration is the
time from the cue's arrival to the median spike of the sequence's last
element (of the last replayed element if the replay is wrong).
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pynest_ext.buildcache import BuiltModule, build
from pynest_ext.kernel import KernelConfig, setup_kernel
from pynest_ext.network import SequenceNetwork

from .metrics import mean_pairwise_jaccard, responders
from .rundir import (RunDirError, atomic_directory, check_output, load_config,
                     load_connectivity, network_segment, read_json, write_json)

__all__ = ["CueResult", "replay_run", "decode_replay"]


@dataclass(frozen=True)
class CueResult:
    cue: str
    expected: tuple[str, ...]
    decoded: tuple[str, ...]
    correct: bool
    continued: tuple[str, ...]
    duration_ms: float | None
    element_times_ms: list


#: Silence (ms) that separates two activations of one subpopulation during replay
#: (an activation lasts about 2 ms; consecutive elements are >= 10 ms apart).
MAX_BURST_GAP = 5.0


def decode_replay(index: np.ndarray, times: np.ndarray, t0: float, t1: float, n_E: int,
                  vocabulary: tuple[str, ...], min_neurons: float,
                  max_gap: float = MAX_BURST_GAP) -> list[tuple[str, float]]:
    """Replayed elements in [t0, t1) as (element, median spike time), in time order."""
    sel = (times >= t0) & (times < t1)
    idx, t = index[sel], times[sel]
    events = []
    for k, el in enumerate(vocabulary):
        mine = (idx >= k * n_E) & (idx < (k + 1) * n_E)
        ti, ii = t[mine], idx[mine]
        order = np.argsort(ti, kind="stable")
        ti, ii = ti[order], ii[order]
        for burst in np.split(np.arange(ti.size), np.flatnonzero(np.diff(ti) > max_gap) + 1):
            if burst.size and np.unique(ii[burst]).size >= min_neurons:
                events.append((float(np.median(ti[burst])), el))
    events.sort()
    return [(el, tm) for tm, el in events]


def replay_run(run_dir: str | os.PathLike, module: BuiltModule | None = None,
               force: bool = True, repetitions: int | None = None,
               progress: bool = False) -> tuple[list[CueResult], dict]:
    """Replay every sequence of a training run; write (or replace) ``RUN_DIR/replay/``.

    ``progress`` shows a bar over the cues on stderr (when it is a terminal).

    ``repetitions`` overrides ``replay.repetitions`` (how often each sequence is cued).
    """
    t_wall = time.perf_counter()
    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    conn = load_connectivity(run_dir)
    check_output(run_dir / "replay", force, kind="replay")    # before simulating
    from .learn import check_run_resources
    check_run_resources(cfg)
    seq_set, rp, net_p = cfg.sequence_set, cfg.replay, cfg.network
    if repetitions is not None:
        rp = rp.replace(repetitions=repetitions)
    cued = list(seq_set.sequences) * int(rp.repetitions)
    vocab = seq_set.vocabulary
    pop = {el: k for k, el in enumerate(vocab)}
    neuron = cfg.neuron.replace(V_th=cfg.neuron.E_L + rp.V_th_factor * (cfg.neuron.V_th - cfg.neuron.E_L),
                                theta_dAP=rp.theta_dAP_factor * cfg.neuron.theta_dAP)
    module = module or build()
    names = setup_kernel(KernelConfig(resolution=cfg.run.resolution, threads=cfg.run.threads,
                                      seed=cfg.run.seed), module=module)
    start = cfg.timing.start
    cue_times = [start + i * rp.cue_interval for i in range(len(cued))]
    stimulus: dict[int, list[float]] = {}
    for t, seq in zip(cue_times, cued):
        stimulus.setdefault(pop[seq[0]], []).append(t)
    drive, targets = None, None
    if cfg.sparse_first:
        # cue with the first element's sparse code alone: at the lowered replay
        # threshold the dAP plateau fires the driven neurons by itself
        stored = read_json(run_dir / "schedule.json").get("sparse_drive_targets") or {}
        targets = {pop[el]: idx for el, idx in stored.items() if el in pop}
        missing = [vocab[p] for p in stimulus if p not in targets]
        if missing:
            raise RunDirError(f"{run_dir / 'schedule.json'}: no sparse-drive neurons stored "
                              f"for first element {missing[0]!r}")
        drive, stimulus = stimulus, {}
    net = SequenceNetwork(names, len(vocab), neuron, cfg.inh_neuron, cfg.synapse, net_p,
                          plastic=False, ie_divisor=net_p.n_E)
    t_end = cue_times[-1] + rp.cue_interval
    net.create(stimulus, drive, drive_targets=targets)
    net.connect(conn)
    net.trace_dap_onsets()
    from tqdm import tqdm
    with tqdm(total=len(cue_times), desc="replay", unit="cue", file=sys.stderr,
              disable=None if progress else True) as bar:
        net.run(start)                        # up to the first cue, then a cue at a time
        for _ in cue_times:
            net.run(rp.cue_interval)
            bar.update(1)
    exc, inh = net.take_spikes()
    dap = net.take_dap_onsets()
    node_ids = {"E": net.exc[0].global_id, "I": net.inh_neurons[0].global_id}

    results = []
    min_neurons = rp.fired_fraction * net_p.rho
    arrival = net_p.static_delay
    for t, seq in zip(cue_times, cued):
        events = decode_replay(exc.index, exc.times, t, t + rp.cue_interval, int(net_p.n_E),
                               vocab, min_neurons)
        order = tuple(el for el, _ in events)
        n = len(seq)
        correct = order[:n] == tuple(seq)
        last = events[n - 1] if correct else (events[-1] if events else None)
        duration = last[1] - (t + arrival) if last is not None else None
        results.append(CueResult(seq[0], tuple(seq), order, correct,
                                 order[n:] if correct else (), duration, events))
    # context specificity during replay: neurons of shared elements in the different cues
    overlap = {}
    for el in seq_set.shared_elements():
        k = pop[el]
        groups = [responders(exc.index, exc.times, range(k * net_p.n_E, (k + 1) * net_p.n_E),
                             t, t + rp.cue_interval)
                  for t, seq in zip(cue_times, seq_set.sequences) if el in seq]   # first round
        overlap[el] = mean_pairwise_jaccard(groups)
    summary = {
        "cues": [r.__dict__ for r in results],
        "n_correct": sum(r.correct for r in results),
        "n_cues": len(results),
        "training_pace_ms": [(len(s) - 1) * cfg.timing.delta_T for s in seq_set.sequences],
        "shared_element_overlap": overlap,
        "n_static_synapses": int(np.count_nonzero(conn.weight)),
        "settings": {"V_th": neuron.V_th, "theta_dAP": neuron.theta_dAP,
                     "cue_interval": rp.cue_interval, "cue_times": cue_times,
                     "repetitions": int(rp.repetitions)},
        "wall_time_s": time.perf_counter() - t_wall,
    }
    _write(run_dir / "replay", summary, exc, inh, dap, node_ids, cfg, t_end, force)
    return results, summary


def _write(out: Path, summary: dict, exc, inh, dap, node_ids, cfg, t_stop: float,
           force: bool) -> None:
    import neo

    from pynest_ext.neo_convert import write_nix
    block = neo.Block(name="seqnest replay")
    block.segments.append(network_segment("replay", cfg, (exc.index, exc.times),
                                          (inh.index, inh.times), t_stop,
                                          dap=(dap.index, dap.times), node_ids=node_ids))
    with atomic_directory(out, force=force, kind="replay") as tmp:
        write_json(tmp / "replay.json", summary)
        write_nix(tmp / "spikes.nix", block)
