# SPDX-License-Identifier: GPL-2.0-or-later
"""The temporal-memory run directory: writing a training run, reading it back.

The files (``params.json``, ``env.json``, ``metrics.json``, ``schedule.json``,
``spikes.nix``, ``connectivity.npz``, ``neuron_state.npz``) are described in
:mod:`seqnest.sequences.rundir`, whose generic helpers (atomic directories,
JSON, ``.npz`` and neo reading, :func:`~seqnest.sequences.rundir.run_family`)
this module uses.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqnest.errors import ParameterError, RunDirError
from seqnest.pynest_ext.networks.temporal_memory import EEConnectivity
from seqnest.pynest_ext.neo_convert import Population, population_spiketrain, write_nix

from seqnest.sequences.temporal_memory.config import config_from_dict
from seqnest.sequences.directories import require_kind
from seqnest.sequences.rundir import (TEMPORAL_MEMORY, atomic_directory,
                                      load_connectivity_arrays, read_json, read_npz,
                                      write_json, write_run_record)

__all__ = ["ResumeState", "network_segment", "write_training_run", "load_config", "find_replays",
           "run_directory_bytes", "expected_synapses", "expected_spikes",
           "load_connectivity", "load_resumable_config", "load_resume_state"]


@dataclass(frozen=True)
class ResumeState:
    """A learned network to continue training: its E->E connections in their
    learned state (with the per-synapse parameters the kind needs) and the
    E neurons' slow state (None: fresh neurons)."""

    connectivity: EEConnectivity
    neuron_state: dict | None = None
    source: str | None = None
    #: element -> E indices the sparse first-element drive reached in the source run
    drive_targets: dict | None = None


def network_segment(name: str, cfg, exc: tuple, inh: tuple, t_stop: float,
                    dap: tuple | None = None, node_ids: dict | None = None, **annotations):
    """neo Segment with one compact SpikeTrain per population (E, I) of a run.

    ``exc`` and ``inh`` are (neuron index, spike time) arrays; inhibitory neurons
    are labelled by their subpopulation's element, or "shared". ``dap`` adds
    the dAP onsets of the E neurons as a third compact train, "E_dAP";
    ``node_ids`` ({"E": id, "I": id}) records the NEST node id of neuron 0.
    """
    import neo

    vocab = list(cfg.sequence_set.vocabulary)
    n_E = int(cfg.network.n_E)
    per_pop = cfg.network.inhibition == "per_subpopulation"
    ids = node_ids or {}
    seg = neo.Segment(name=name, phase=name, **annotations)
    pops = [Population("E", n_E * len(vocab), *exc, n_E, vocab, ids.get("E")),
            Population("I", len(vocab) if per_pop else 1, *inh, 1,
                       vocab if per_pop else ["shared"], ids.get("I"))]
    if dap is not None:
        pops.append(Population("E_dAP", n_E * len(vocab), *dap, n_E, vocab, ids.get("E")))
    for pop in pops:
        seg.spiketrains.append(population_spiketrain(pop, 0.0, t_stop))
    return seg


def _training_block(result):
    import neo
    import quantities as pq

    cfg, sch = result.config, result.schedule
    seg = network_segment("training", cfg, result.exc_spikes, result.inh_spikes,
                          sch.total_duration, dap=result.dap_onsets, node_ids=result.node_ids,
                          episodes=int(cfg.run.episodes))
    starts = np.array([sch.episode_start(k) for k in range(sch.n_episodes)])
    seg.epochs.append(neo.Epoch(times=starts * pq.ms,
                                durations=sch.episode_durations * pq.ms,
                                labels=np.array([f"episode {k + 1}" for k in range(starts.size)]),
                                name="episodes"))
    onsets, labels = [], []
    for ep in range(sch.n_episodes):
        for slot, seq in enumerate(sch.presented(ep)):
            for j, el in enumerate(seq):
                onsets.append(sch.onset(ep, slot, j))
                labels.append(el)
    seg.events.append(neo.Event(times=np.array(onsets) * pq.ms, labels=np.array(labels),
                                name="stimuli"))
    block = neo.Block(name="seqnest training run", run_hash=cfg.hash())
    block.segments.append(seg)
    return block


def write_training_run(result, out: str | os.PathLike, force: bool = False) -> Path:
    """Write a :class:`seqnest.sequences.temporal_memory.learn.TrainingResult` as a run directory."""
    cfg, sch = result.config, result.schedule
    out = Path(out)
    with atomic_directory(out, force) as tmp:
        write_run_record(tmp, TEMPORAL_MEMORY, cfg, result.module_key, result.metrics)
        write_json(tmp / "schedule.json", {
            "vocabulary": list(cfg.sequence_set.vocabulary),
            "sequences": [list(s) for s in cfg.sequence_set.sequences],
            "n_E": int(cfg.network.n_E), "start": sch.start,
            "episode_duration": sch.episode_duration, "episodes": sch.n_episodes,
            "offsets": [list(o) for o in sch.offsets],
            "episode_starts": list(sch.episode_starts),
            "order": [list(o) for o in sch.order],
            "sparse_drive_targets": result.drive_targets})
        write_nix(tmp / "spikes.nix", _training_block(result))
        init, final = result.connectivity_initial, result.connectivity_final
        np.savez_compressed(tmp / "connectivity.npz", **final.as_arrays(),
                            initial_permanence=init.permanence, initial_weight=init.weight)
        if result.neuron_state is not None:
            np.savez_compressed(tmp / "neuron_state.npz", **result.neuron_state)
    return out


def load_config(run_dir: str | os.PathLike):
    """The :class:`~seqnest.sequences.temporal_memory.config.RunConfig` stored in a run directory."""
    record = read_json(require_kind(run_dir, TEMPORAL_MEMORY) / "params.json")
    if not isinstance(record, dict) or "params" not in record:
        raise RunDirError(f"corrupt parameter record: {Path(run_dir) / 'params.json'}")
    try:
        return config_from_dict(record["params"])
    except ParameterError as exc:
        raise RunDirError(f"invalid parameters in {Path(run_dir) / 'params.json'}: {exc}") from None


def load_connectivity(run_dir: str | os.PathLike):
    """Learned E->E connectivity of a run directory."""
    data = load_connectivity_arrays(run_dir, required=("source", "target", "permanence", "weight"))
    return EEConnectivity(data["source"], data["target"], data["permanence"], data["weight"])


def load_resumable_config(run_dir: str | os.PathLike):
    """The configuration of a sequence-network run whose network can be trained further
    (a directory of another kind is named in one line)."""
    return load_config(require_kind(run_dir, TEMPORAL_MEMORY))


def load_resume_state(run_dir: str | os.PathLike):
    """A training run's learned network, to continue training it
    (:class:`ResumeState`)."""
    cfg = load_resumable_config(run_dir)
    run_dir = Path(run_dir)
    data = load_connectivity_arrays(run_dir, required=("source", "target", "permanence",
                                                       "weight"))
    params = {k[len("param_"):]: v for k, v in data.items() if k.startswith("param_")}
    key = cfg.synapse.INITIAL_STATE_KEY
    if key and key not in params and "initial_permanence" in data:
        params[key] = data["initial_permanence"]          # written before param_* existed
    params = cfg.synapse.with_resume_defaults(params, np.size(data["source"]))
    conn = EEConnectivity(data["source"], data["target"], data["permanence"], data["weight"],
                          parameters=params)
    missing = [k for k in cfg.synapse.RESUME_KEYS if k not in params]
    if missing:
        raise RunDirError(f"{run_dir / 'connectivity.npz'}: no per-synapse {missing[0]!r} of "
                          f"the {cfg.synapse.KIND} synapse (cannot continue training)")
    n_E = int(cfg.network.n_E) * len(cfg.sequence_set.vocabulary)
    state = None
    path = run_dir / "neuron_state.npz"
    if path.is_file():
        state = read_npz(path, "neuron state")
        bad = [k for k, v in state.items() if np.shape(v) != (n_E,)]
        if bad:
            raise RunDirError(f"corrupt neuron state {path}: {bad[0]!r} does not hold "
                              f"{n_E} values")
    schedule = read_json(run_dir / "schedule.json") if (run_dir / "schedule.json").is_file() \
        else {}
    targets = schedule.get("sparse_drive_targets") or None if isinstance(schedule, dict) else None
    return cfg, ResumeState(conn, state, str(run_dir), targets)


def find_replays(run_dir: Path) -> list[Path]:
    """The replay directories of a run: ``RUN/replay``, then every other folder of
    the run that holds a replay (``RUN/replay-shared``, ...), then a sweep point's
    noisy replays (``RUN/replays/<condition>``), each group in name order. Replays
    written outside the run are not found here; the report takes them directly."""
    def replays_in(folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(d for d in folder.iterdir()
                      if d.is_dir() and not d.name.startswith(".")
                      and (d / "replay.json").is_file())
    inside = replays_in(run_dir)
    first = [d for d in inside if d.name == "replay"]
    return first + [d for d in inside if d.name != "replay"] + replays_in(run_dir / "replays")


#: What a run directory holds (bytes), with a margin: per value of each E->E synapse
#: in connectivity.npz (source, target, state and weight after and before learning,
#: each per-synapse parameter; compressed, set I measured 3.5 B per value), per
#: spike or dAP onset in spikes.nix (set I measured 22 B), and the small files.
RUN_BYTES_PER_SYNAPSE_VALUE = 5
RUN_BYTES_PER_SPIKE = 24
RUN_BYTES_FIXED = 2 * 2**20


def run_directory_bytes(config) -> float:
    """An estimate, with a margin, of the size of the run directory ``config`` writes:
    every E->E synapse's values, and a spike and a dAP of every E neuron of an
    element at each of its presentations (an unpredicted element fires its whole
    subpopulation; a learned one about rho of them)."""
    synapses = expected_synapses(config)
    values = 6 + len(config.synapse.connection_arrays((1, 1), 0.0, 1.0,
                                                       np.random.default_rng(0)))
    spikes = 2 * expected_spikes(config)        # spikes and dAP onsets
    return (synapses * values * RUN_BYTES_PER_SYNAPSE_VALUE + spikes * RUN_BYTES_PER_SPIKE
            + RUN_BYTES_FIXED)


def expected_synapses(config) -> int:
    """The E->E synapses of ``config``'s network: every E neuron with the in-degree
    round(p_EE * N_E) (the network's fixed-indegree rule)."""
    n = int(config.network.n_E) * len(config.sequence_set.vocabulary)
    return n * int(round(float(config.network.p_EE) * n))


def expected_spikes(config) -> int:
    """An upper estimate of the E spikes of a run: a whole subpopulation at every
    presentation of every element (an unpredicted element fires all its neurons)."""
    presentations = int(config.run.episodes) * sum(len(s) for s in config.sequence_set.sequences)
    return presentations * int(config.network.n_E)
