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

Size: above 400 lines because the two replays (one cue per sequence, and
noise-driven trials) share their network set-up, threshold derivation, cue drive
and writer.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from seqnest.pynest_ext.buildcache import BuiltModule, provide
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork, synaptic_weights
from seqnest.pynest_ext.parallel import set_node_values

from seqnest.params import ParameterError
from seqnest.sequences.temporal_memory.branches import (branch_statistics, branch_structure,
                                                        classify_trial, head_neurons, head_race,
                                                        race_statistics)
from seqnest.sequences.temporal_memory.metrics import mean_pairwise_jaccard, responders
from seqnest.sequences.rundir import (RunDirError, atomic_directory, check_output, load_spikes,
                                      read_json, write_json)
from seqnest.sequences.temporal_memory.rundir import load_config, load_connectivity, network_segment

__all__ = ["CueResult", "replay_run", "decode_replay", "replay_trials", "RNG_STREAM_REPLAY",
           "derived_replay_theta"]

#: Spawn key of the NumPy stream (seeded with the replay seed) that draws the noise
#: and the cue jitter of :func:`replay_trials`.
RNG_STREAM_REPLAY = 3


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


def _decode_cues(exc, cue_times, cued, rp, net_p, vocab) -> list[CueResult]:
    """What each cue replayed: the decoded order against the trained sequence."""
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
    return results


def _replay_overlap(exc, cue_times, seq_set, rp, net_p) -> dict[str, float]:
    """Context specificity during replay: the overlap of the neurons of each shared
    element between the cues of the first round."""
    pop = {el: k for k, el in enumerate(seq_set.vocabulary)}
    overlap = {}
    for el in seq_set.shared_elements():
        k = pop[el]
        groups = [responders(exc.index, exc.times, range(k * net_p.n_E, (k + 1) * net_p.n_E),
                             t, t + rp.cue_interval)
                  for t, seq in zip(cue_times, seq_set.sequences) if el in seq]
        overlap[el] = mean_pairwise_jaccard(groups)
    return overlap


def check_replay_space(out: Path, cfg, cues: int) -> None:
    """Refuse, before anything is built, a replay whose directory would not fit the
    free space of its file system: at most every E neuron of every element of the
    longest sequence spiking (and starting a dAP) once per cue, with a margin."""
    from seqnest.sequences.rundir import check_free_space
    from seqnest.sequences.temporal_memory.rundir import (RUN_BYTES_FIXED,
                                                          RUN_BYTES_PER_SPIKE)
    longest = max(len(s) for s in cfg.sequence_set.sequences)
    spikes = 2 * int(cues) * longest * int(cfg.network.n_E)
    check_free_space(out, spikes * RUN_BYTES_PER_SPIKE + RUN_BYTES_FIXED, "the replay")


def replay_run(run_dir: str | os.PathLike,
               module: BuiltModule | Callable[[], BuiltModule] | None = None,
               force: bool = True, repetitions: int | None = None,
               progress: bool = False, replay_params=None, out: str | os.PathLike | None = None,
               seed: int | None = None, threads: int | None = None
               ) -> tuple[list[CueResult], dict]:
    """Replay every sequence of a training run; write (or replace) ``out``, by
    default ``RUN_DIR/replay/`` (a run directory that is read-only or archived
    replays into another ``out``; an existing ``out`` is replaced only if it is a
    replay directory).

    ``progress`` shows a bar over the cues on stderr (when it is a terminal).

    ``repetitions`` overrides ``replay.repetitions`` (how often each sequence is cued);
    ``seed`` and ``threads`` the run's NEST seed and threads.
    ``module`` is the compiled module or a callable that builds it (called after the
    inputs and the output are checked).
    """
    t_wall = time.perf_counter()
    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    conn = load_connectivity(run_dir)
    out = Path(out) if out is not None else run_dir / "replay"
    check_output(out, force, kind="replay")    # before simulating
    from seqnest.sequences.temporal_memory.learn import check_run_resources
    check_run_resources(cfg)
    seq_set = cfg.sequence_set
    rp = replay_params if replay_params is not None else cfg.replay
    if repetitions is not None:
        rp = rp.replace(repetitions=repetitions)
    net_p = _replay_network(cfg, rp)
    cued = list(seq_set.sequences) * int(rp.repetitions)
    check_replay_space(out, cfg, len(cued))
    vocab = seq_set.vocabulary
    pop = {el: k for k, el in enumerate(vocab)}
    mode, derived, per_neuron = _replay_thresholds(cfg, run_dir, conn, rp)
    neuron = _replay_neuron(cfg, rp, derived)
    module = provide(module)
    seed = int(cfg.run.seed if seed is None else seed)
    threads = int(cfg.run.threads if threads is None else threads)
    names = setup_kernel(KernelConfig(resolution=cfg.run.resolution, threads=threads,
                                      seed=seed), module=module, across_processes=True)
    start = cfg.timing.start
    cue_times = [start + i * rp.cue_interval for i in range(len(cued))]
    stimulus, drive, targets = _cues(cfg, run_dir, [(t, pop[seq[0]])
                                                    for t, seq in zip(cue_times, cued)])
    net = SequenceNetwork(names, len(vocab), neuron, cfg.inh_neuron, cfg.synapse, net_p,
                          plastic=False, ie_divisor=rp.quorum(net_p),
                          psp_neuron=rp.psp_neuron(cfg.neuron, neuron))
    t_end = cue_times[-1] + rp.cue_interval
    net.create(stimulus, drive, drive_targets=targets)
    if per_neuron is not None:
        set_node_values(net.exc, {"theta_dAP": per_neuron})
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

    results = _decode_cues(exc, cue_times, cued, rp, net_p, vocab)
    overlap = _replay_overlap(exc, cue_times, seq_set, rp, net_p)
    summary = {
        "cues": [r.__dict__ for r in results],
        "n_correct": sum(r.correct for r in results),
        "n_cues": len(results),
        "training_pace_ms": [(len(s) - 1) * cfg.timing.delta_T for s in seq_set.sequences],
        "shared_element_overlap": overlap,
        "n_static_synapses": int(np.count_nonzero(conn.weight)),
        "settings": {"V_th": neuron.V_th, "theta_dAP": neuron.theta_dAP,
                     "theta_dAP_mode": mode,
                     "derived_threshold": derived.to_dict() if derived else None,
                     "cue_interval": rp.cue_interval, "cue_times": cue_times,
                     "repetitions": int(rp.repetitions),
                     "replay": rp.to_dict(), "weights_pA": asdict(net.weights),
                     "seed": seed, "threads": threads},
        "run_dir": str(run_dir.resolve()),
        "wall_time_s": time.perf_counter() - t_wall,
    }
    _write(out, summary, exc, inh, dap, node_ids, cfg, t_end, force)
    return results, summary


#: Synapse kinds whose replay threshold is derived from the network by default
#: (``replay.theta_dAP_mode = auto``): the device and tristate synapses.
DERIVED_THRESHOLD_KINDS = ("reram", "tristate", "bistable", "tristate_stm")


def _replay_thresholds(cfg, run_dir: Path, conn, rp):
    """(mode used, derived threshold or None, per-neuron thresholds or None) of a
    replay under ``replay.theta_dAP_mode``; "factor" where nothing is derived."""
    mode = rp.theta_dAP_mode
    if mode == "auto":
        mode = "derived" if cfg.synapse.KIND in DERIVED_THRESHOLD_KINDS else "factor"
    if mode == "factor":
        return mode, None, None
    derived, per_neuron = derived_replay_theta(cfg, run_dir, conn, rp)
    if derived is None:
        return "factor", None, None
    return mode, derived, per_neuron if mode == "per_neuron" else None


def derived_replay_theta(cfg, run_dir: Path, conn, rp):
    """(:class:`~.replay_thresholds.DerivedThreshold`, per-neuron thresholds) of a
    training run (None, None if its last episode shows no predicted step to learn
    from)."""
    from seqnest.sequences.rundir import population_arrays_optional, population_train, train_arrays
    from seqnest.sequences.temporal_memory.learn import run_schedule
    from seqnest.sequences.temporal_memory.replay_thresholds import (derive_theta, per_neuron_theta,
                                                                     step_inputs)
    sch = run_schedule(cfg)
    ep = sch.n_episodes - 1
    t0, t1 = sch.episode_start(ep), sch.episode_start(ep + 1)
    segment = load_spikes(run_dir).segments[0]

    def last_episode(arrays):
        if arrays is None:
            return None
        keep = (arrays[1] >= t0) & (arrays[1] < t1)
        return arrays[0][keep], arrays[1][keep]
    spikes = last_episode(train_arrays(population_train(segment, "E")))
    daps = last_episode(population_arrays_optional(segment, "E_dAP"))
    presented = sch.presented(ep)
    onsets = [[sch.onset(ep, s, k) for k in range(len(seq))] for s, seq in enumerate(presented)]
    quorum = max(1, int(np.ceil(rp.fired_fraction * cfg.network.rho)))
    steps = step_inputs((conn.source, conn.target, conn.weight), int(cfg.network.n_E),
                        cfg.sequence_set.vocabulary, presented, onsets, spikes, daps, quorum,
                        first_whole=not cfg.sparse_first)
    derived = derive_theta(steps, quorum)
    if derived is None:
        return None, None
    return derived, per_neuron_theta(steps, derived.theta_dAP)


def _replay_neuron(cfg, rp, derived=None):
    """The excitatory neuron's parameters during replay (lowered thresholds; an
    inhibitory spike ends running dAPs where ``replay.inhibition_ends_daps``); the
    dAP threshold is ``derived``'s where given."""
    n = cfg.neuron
    theta = derived.theta_dAP if derived is not None else rp.theta_dAP_factor * n.theta_dAP
    neuron = n.replace(V_th=n.E_L + rp.V_th_factor * (n.V_th - n.E_L), theta_dAP=theta)
    if rp.inhibition_ends_daps == "on":
        # half the replay I->E weight: one spike of the inhibitory neuron is enough
        ei = synaptic_weights(rp.psp_neuron(n, neuron), cfg.inh_neuron,
                              _replay_network(cfg, rp)).ei
        neuron = neuron.replace(I_inh_stop_dAP=0.5 * abs(ei))
    return neuron


def _replay_network(cfg, rp):
    """Network parameters during replay (the I->E weight scaled by replay.ei_scale)."""
    return cfg.network.replace(ei_psp_factor=cfg.network.ei_psp_factor * rp.ei_scale)


def _cues(cfg, run_dir: Path, cues: list[tuple[float, int]]):
    """(stimulus, dendritic drive, drive targets) that present ``cues`` ((time,
    subpopulation) pairs): a stimulus spike each, or, where training used the sparse
    first-element drive, that drive alone onto the neurons it reached in training
    (at the lowered replay threshold their dAP fires them by itself)."""
    vocab = cfg.sequence_set.vocabulary
    pop = {el: k for k, el in enumerate(vocab)}
    stimulus: dict[int, list[float]] = {}
    for t, k in cues:
        stimulus.setdefault(k, []).append(t)
    if not cfg.sparse_first:
        return stimulus, None, None
    stored = read_json(run_dir / "schedule.json").get("sparse_drive_targets") or {}
    targets = {pop[el]: idx for el, idx in stored.items() if el in pop}
    missing = [vocab[p] for p in stimulus if p not in targets]
    if missing:
        raise RunDirError(f"{run_dir / 'schedule.json'}: no sparse-drive neurons stored "
                          f"for first element {missing[0]!r}")
    return {}, stimulus, targets


#: A trial counts as interacting with the one before if any dAP is on when its
#: cue arrives, or an excitatory neuron fired in the QUIET_BEFORE_CUE_MS before.
QUIET_BEFORE_CUE_MS = 20.0


def replay_trials(run_dir: str | os.PathLike, trials: int, noise=None,
                  out: str | os.PathLike | None = None, cue: str | None = None,
                  seed: int | None = None, replay_params=None,
                  module: BuiltModule | Callable[[], BuiltModule] | None = None,
                  force: bool = True, progress: bool = False, threads: int | None = None) -> dict:
    """Cue the shared first element ``trials`` times in one simulation under ``noise``.

    Each trial is decoded as one branch, ``simultaneous`` or ``failure``
    (:mod:`seqnest.sequences.temporal_memory.branches`); ``out`` (default ``RUN_DIR/replay``) receives
    ``branches.json`` (statistics, the race between the branch heads -- the latencies
    of each head's first dAP-onset and spike volleys, per trial and over trials, see
    :func:`~seqnest.sequences.temporal_memory.branches.race_statistics` -- and every
    trial), ``replay.json`` (settings,
    timing, the check that trials did not interact) and ``spikes.nix``.

    Parameters
    ----------
    noise : seqnest.pynest_ext.noise.NoiseParams, optional
        The noise condition (default: none).
    cue : str, optional
        The element to cue (default: the first element most sequences share).
    seed : int, optional
        Seed of NEST and of the noise and cue jitter (default: run.seed).
    threads : int, optional
        NEST threads (default: run.threads).
    module : BuiltModule or callable, optional
        The compiled module, or a callable that builds it (called after every
        input and the output are checked); default: build or reuse the cached one.
    replay_params : ReplayParams, optional
        Replay settings (default: the run's); a trial lasts ``cue_interval`` (plus one
        period of the oscillation, within which its cue falls).
    """
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.learn import check_run_resources

    t_wall = time.perf_counter()
    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    conn = load_connectivity(run_dir)
    noise = noise if noise is not None else NoiseParams()
    rp = replay_params if replay_params is not None else cfg.replay
    out = Path(out) if out is not None else run_dir / "replay"
    if trials < 1:
        raise ParameterError(f"--trials must be >= 1, got {trials}")
    noise.check_resolution(cfg.run.resolution)
    branches = branch_structure(cfg.sequence_set, cue)
    if threads is not None:
        cfg = replace(cfg, groups={**cfg.groups, "run": cfg.run.replace(threads=threads)})
    check_output(out, force, kind="replay")            # before simulating
    check_run_resources(cfg)
    check_replay_space(out, cfg, trials)
    seed = int(cfg.run.seed if seed is None else seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(RNG_STREAM_REPLAY,)))
    net_p = _replay_network(cfg, rp)
    module = provide(module)
    names = setup_kernel(KernelConfig(resolution=cfg.run.resolution, threads=cfg.run.threads,
                                      seed=seed), module=module,
                         across_processes=True)
    cue_times, slot, t_end = _trial_times(cfg, rp, noise, trials, rng)
    net = _trials_network(cfg, run_dir, conn, rp, net_p, names, branches, cue_times, t_end,
                          noise, rng)
    from tqdm import tqdm
    start = cfg.timing.start
    with tqdm(total=trials, desc="replay trials", unit="trial", file=sys.stderr,
              disable=None if progress else True) as bar:
        net.run(start)
        for k in range(trials):
            net.run(start + (k + 1) * slot - net.now)
            bar.update(1)
    exc, inh = net.take_spikes()
    _, dap_state = net.take_dap_samples()     # at every cue: dAPs still on?
    daps = net.take_dap_onsets()
    outcomes, interacting, races = _decode_trials(cfg, rp, net_p, branches, cue_times, t_end,
                                                  exc, daps, dap_state)
    stats = _trial_statistics(outcomes, races, interacting, branches, noise)
    summary = {
        "mode": "trials", "cue": branches.cue, "trials": trials, "seed": seed,
        "run_dir": str(run_dir.resolve()),
        "noise": stats["noise"], "interacting_trials": interacting,
        "quiet_before_cue_ms": QUIET_BEFORE_CUE_MS,
        "settings": {"V_th_factor": rp.V_th_factor, "theta_dAP_factor": rp.theta_dAP_factor,
                     "cue_interval": rp.cue_interval, "trial_length": slot,
                     "cue_times": cue_times,
                     "oscillation_phases_deg": (net.noise.phases_deg if net.noise else []),
                     "replay": rp.to_dict(), "weights_pA": asdict(net.weights)},
        "n_static_synapses": int(np.count_nonzero(conn.weight)),
        "simulate_time_s": net.time_simulate_s,
        "threads": int(cfg.run.threads),
        "wall_time_s": time.perf_counter() - t_wall,
    }
    node_ids = {"E": net.exc[0].global_id, "I": net.inh_neurons[0].global_id}
    _write(out, summary, exc, inh, None, node_ids, cfg, t_end, force,
           extra={"branches.json": stats})
    stats["wall_time_s"] = summary["wall_time_s"]
    return stats


def _trial_times(cfg, rp, noise, trials: int, rng) -> tuple[list[float], float, float]:
    """Cue times (ms, on the grid), the slot of one trial and the end of the last.

    Under an oscillation each cue falls at a uniform time within one period after
    the start of its slot; the slot is one period longer, so cues stay at least
    replay.cue_interval apart."""
    h, start = cfg.run.resolution, cfg.timing.start
    oscillating = noise.kind == "oscillation" and noise.active
    jitter_max = noise.period if oscillating else 0.0
    slot = rp.cue_interval + jitter_max
    jitter = rng.uniform(0.0, jitter_max, trials) if oscillating else np.zeros(trials)
    cue_times = [float(np.round((start + k * slot + j) / h) * h)
                 for k, j in enumerate(jitter)]
    return cue_times, slot, start + trials * slot


def _trials_network(cfg, run_dir: Path, conn, rp, net_p, names, branches, cue_times, t_end,
                    noise, rng) -> SequenceNetwork:
    """The learned network with frozen weights, its cues, noise and the dAP onsets of
    the branch heads traced (a multimeter costs on every step for each neuron it
    reads)."""
    vocab = cfg.sequence_set.vocabulary
    k_cue = vocab.index(branches.cue)
    stimulus, drive, targets = _cues(cfg, run_dir, [(t, k_cue) for t in cue_times])
    _, derived, per_neuron = _replay_thresholds(cfg, run_dir, conn, rp)
    neuron = _replay_neuron(cfg, rp, derived)
    net = SequenceNetwork(names, len(vocab), neuron, cfg.inh_neuron,
                          cfg.synapse, net_p, plastic=False, ie_divisor=rp.quorum(net_p),
                          current_input=True, psp_neuron=rp.psp_neuron(cfg.neuron, neuron))
    net.create(stimulus, drive, sample_times=cue_times, drive_targets=targets)
    if per_neuron is not None:
        set_node_values(net.exc, {"theta_dAP": per_neuron})
    net.inject_noise(noise, t_end, rng)
    net.connect(conn)
    n_E = int(net_p.n_E)
    net.trace_dap_onsets([j for lo, hi in head_neurons(branches, vocab, n_E)
                          for j in range(lo, hi)])
    return net


def _decode_trials(cfg, rp, net_p, branches, cue_times, t_end, exc, daps, dap_state):
    """Each trial's outcome, the race of its heads, and the trials that began while
    the previous one was still active."""
    vocab, n_E = cfg.sequence_set.vocabulary, int(net_p.n_E)
    arrival = net_p.static_delay
    min_neurons = rp.fired_fraction * net_p.rho
    outcomes, interacting, races = [], [], []
    bounds = cue_times[1:] + [t_end]
    for k, (t, t_next) in enumerate(zip(cue_times, bounds)):
        events = decode_replay(exc.index, exc.times, t, t_next, n_E, vocab, min_neurons)
        outcomes.append(classify_trial(events, branches, t, arrival, rp.decision))
        races.append(head_race(branches, vocab, n_E, (exc.index, exc.times),
                               (daps.index, daps.times), t, t_next, t + arrival,
                               MAX_BURST_GAP))
        before = (exc.times >= t - QUIET_BEFORE_CUE_MS) & (exc.times < t)
        active = int(dap_state[k].sum()) if k < len(dap_state) else 0
        if k and (active or before.any()):
            interacting.append({"trial": k, "active_daps_at_cue": active,
                                "spikes_before_cue": int(before.sum())})
    return outcomes, interacting, races


def _trial_statistics(outcomes, races, interacting, branches, noise) -> dict:
    """branches.json: the branch statistics, the noise, the race and every trial."""
    stats = branch_statistics(outcomes, branches)
    stats["noise"] = {"kind": noise.kind, **{k: noise[k] for k in noise if k != "kind"}}
    stats["noise_description"] = noise.describe_short()
    stats["race"] = race_statistics(races, branches)
    stats["trials_detail"] = [
        {"trial": k, "cue_time_ms": o.cue_time, "outcome": o.outcome, "order": list(o.order),
         "latency_ms": o.latency_ms, "complete": o.complete,
         "heads": [branches.names[i] for i in o.heads],
         "completed": [branches.names[i] for i in o.completed], "race": race}
        for k, (o, race) in enumerate(zip(outcomes, races))]
    stats["interacting_trials"] = len(interacting)
    return stats


def _write(out: Path, summary: dict, exc, inh, dap, node_ids, cfg, t_stop: float,
           force: bool, extra: dict | None = None) -> None:
    from seqnest.pynest_ext.parallel import is_writer
    if not is_writer():                      # MPI: rank 0 writes, the others have the same data
        return
    import neo

    from seqnest.pynest_ext.neo_convert import write_nix
    block = neo.Block(name="seqnest replay")
    block.segments.append(network_segment("replay", cfg, (exc.index, exc.times),
                                          (inh.index, inh.times), t_stop,
                                          dap=None if dap is None else (dap.index, dap.times),
                                          node_ids=node_ids))
    with atomic_directory(out, force=force, kind="replay") as tmp:
        write_json(tmp / "replay.json", summary)
        for name, record in (extra or {}).items():
            write_json(tmp / name, record)
        write_nix(tmp / "spikes.nix", block)
