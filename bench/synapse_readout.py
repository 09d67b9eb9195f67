# SPDX-License-Identifier: GPL-2.0-or-later
"""Time to read every E->E synapse back out of NEST after training, per synapse.

    python bench/synapse_readout.py [--n-e 150] [--episodes 1] [--threads 2]
                                    [--kinds stdsp,reram,tristate,tristate_stm]

For each synapse kind, ``seqnest learn``'s training runs on set I (the user's
code path: :func:`seqnest.sequences.temporal_memory.learn.train`, recorders and
evaluation included); its final read of the E->E synapses (source, target,
state, weight, initial state and per-synapse parameters) is timed three ways on
the same network: through status dictionaries (``ee_connectivity(status=True)``),
by the module's synapse reader (``ee_connectivity()``, what ``seqnest learn``
and its checkpoints use; it changes nothing), and by a spike wave with the
synapses in read-out mode and a weight recorder (the fallback where the module
has no reader; it spends the network, so it comes last). The
floors are NEST's ``stdp_synapse`` in a network of ``iaf_psc_exp`` neurons of the
same size and in-degree: its status read (source, target, weight) and a
weight-recorder wave of its weight (one variable). Wall-clock microseconds per
synapse; the number of variables each wave reads is printed with it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def measure_kind(kind: str, n_e: int, episodes: int, threads: int, seed: int) -> dict:
    from seqnest.pynest_ext import build
    from seqnest.pynest_ext.models import SYNAPSE_KINDS
    from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.temporal_memory.learn import train
    seen: dict = {}
    wave = SequenceNetwork.final_ee_connectivity

    def timed(net):
        t0 = time.perf_counter()
        seen["status"] = net.ee_connectivity(status=True)
        seen["status_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        direct = net.ee_connectivity()
        seen["reader_s"] = time.perf_counter() - t0
        net._read_ee_directly = lambda: None          # this network only: the wave
        t0 = time.perf_counter()
        out = wave(net)
        seen["wave_s"] = time.perf_counter() - t0
        seen["equal"] = all(np.array_equal(getattr(x, f), getattr(seen["status"], f))
                            for f in ("source", "target", "permanence", "weight")
                            for x in (out, direct))
        return out

    SequenceNetwork.final_ee_connectivity = timed
    try:
        config = resolve_config(task="set1", episodes=episodes, seed=seed, threads=threads,
                                synapse=kind, set_options=[f"network.n_E={n_e}"])
        m = train(config, build(), progress=False).metrics
    finally:
        SequenceNetwork.final_ee_connectivity = wave
    n = m["n_synapses"]
    return {"synapses": n, "neurons": len(config.sequence_set.vocabulary) * n_e,
            "variables": len(SYNAPSE_KINDS[kind].READ_VARIABLES),
            "status_us": 1e6 * seen["status_s"] / n, "reader_us": 1e6 * seen["reader_s"] / n,
            "wave_us": 1e6 * seen["wave_s"] / n, "equal": seen["equal"]}


def measure_floor(n_neurons: int, indegree: int, threads: int, seed: int) -> dict:
    """NEST's stdp_synapse: status read and a one-variable weight-recorder wave."""
    from seqnest.pynest_ext._nest import node_status
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.networks.simulation import read_connections
    nest = import_nest()
    setup_kernel(KernelConfig(seed=seed, threads=threads))
    exc = nest.Create("iaf_psc_exp", n_neurons)
    recorder = nest.Create("weight_recorder")
    nest.CopyModel("stdp_synapse", "floor_synapse")
    rng = np.random.default_rng(seed)
    nest.Connect(exc, exc, {"rule": "fixed_indegree", "indegree": indegree,
                            "allow_autapses": False, "allow_multapses": False},
                 {"synapse_model": "floor_synapse", "delay": 2.0,
                  "weight": rng.uniform(0, 1, (n_neurons, indegree))})
    nest.Simulate(10.0)
    t0 = time.perf_counter()
    conns = nest.GetConnections(exc, exc, synapse_model="floor_synapse")
    read_connections(conns, ["source", "target", "weight"])
    status_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.SetDefaults("floor_synapse", {"weight_recorder": recorder})
    exc.set({"V_m": 1000.0})
    nest.Simulate(2 * float(nest.min_delay) + 2 * float(nest.resolution))
    events = node_status(recorder, "events")
    got = np.asarray(events["weights"]).size
    wave_s = time.perf_counter() - t0
    n = len(conns)
    return {"synapses": n, "variables": 1, "status_us": 1e6 * status_s / n,
            "reader_us": float("nan"), "wave_us": 1e6 * wave_s / n, "equal": got == n}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-e", type=int, default=150, help="neurons per subpopulation (set I: 150)")
    p.add_argument("--episodes", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=101)
    p.add_argument("--kinds", default="stdsp,reram,tristate,tristate_stm")
    args = p.parse_args(argv)
    rows = {kind: measure_kind(kind, args.n_e, args.episodes, args.threads, args.seed)
            for kind in args.kinds.split(",")}
    first = next(iter(rows.values()))
    n_neurons = first["neurons"]
    rows["NEST stdp_synapse (floor)"] = measure_floor(
        n_neurons, int(round(first["synapses"] / n_neurons)), args.threads, args.seed)
    print(f"set I, n_E = {args.n_e}, {args.threads} threads; us per synapse (wall)")
    print("| synapse | synapses | status read | synapse reader | wave read (variables) | "
          "status / reader | all equal |\n|---|---|---|---|---|---|---|")
    for kind, r in rows.items():
        reader = "-" if np.isnan(r["reader_us"]) else f"{r['reader_us']:.3f}"
        ratio = "-" if np.isnan(r["reader_us"]) else f"{r['status_us'] / r['reader_us']:.0f}x"
        print(f"| {kind} | {r['synapses']} | {r['status_us']:.2f} | {reader} | "
              f"{r['wave_us']:.2f} ({r['variables']}) | {ratio} | {r['equal']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
