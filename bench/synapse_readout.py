# SPDX-License-Identifier: GPL-2.0-or-later
"""Time to read every E->E synapse's state back out of NEST, per synapse.

    python bench/synapse_readout.py [--neurons 900] [--indegree 180]

The set-I excitatory population (900 neurons, fixed in-degree 180: 162,000
synapses) is connected as the sequence network connects it, then the final read
of the network (``seqnest.pynest_ext.networks.simulation.read_connections``:
source, target, state and weight, in chunks) is timed three times; the minimum
CPU time per synapse is printed with the number of entries in one connection's
status dictionary (what each read builds), next to NEST's ``stdp_synapse``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def measure(kind: str, neurons: int, indegree: int) -> tuple[int, float]:
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.models import RECEPTOR_DEND, SYNAPSE_KINDS
    from seqnest.pynest_ext.networks.simulation import read_connections
    nest = import_nest()
    names = setup_kernel(KernelConfig())
    rng = np.random.default_rng(1)
    rule = {"rule": "fixed_indegree", "indegree": indegree, "allow_autapses": False,
            "allow_multapses": False}
    if kind == "stdp_synapse":
        exc = nest.Create("iaf_psc_exp", neurons)
        nest.Connect(exc, exc, rule, syn_spec={"synapse_model": kind, "delay": 2.0,
                                               "weight": rng.uniform(0, 1, (neurons, indegree))})
        keys = ["source", "target", "weight"]
    else:
        params = SYNAPSE_KINDS[kind]()
        neuron, synapse = names.pair(kind)
        exc = nest.Create(neuron, neurons)
        nest.CopyModel(synapse, "readout_probe", params.nest_defaults())
        nest.Connect(exc, exc, rule, syn_spec={
            "synapse_model": "readout_probe", "receptor_type": RECEPTOR_DEND,
            "delay": params.delay, "weight": 0.0,
            **params.connection_arrays((neurons, indegree), 0.0, 8.0, rng)})
        keys = ["source", "target", params.STATE_KEY, "w"]
    nest.Simulate(1.0)
    conns = nest.GetConnections(source=exc)
    times = []
    for _ in range(3):
        t0 = time.process_time()
        read_connections(conns, keys)
        times.append(time.process_time() - t0)
    return len(conns[0].get()), min(times) / len(conns)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--neurons", type=int, default=900)
    p.add_argument("--indegree", type=int, default=180)
    p.add_argument("--kinds", default="stdp_synapse,stdsp,reram,tristate,tristate_stm")
    args = p.parse_args(argv)
    print("| synapse | status entries | read per synapse (us, CPU) |\n|---|---|---|")
    for kind in args.kinds.split(","):
        entries, per = measure(kind, args.neurons, args.indegree)
        print(f"| {kind} | {entries} | {1e6 * per:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
