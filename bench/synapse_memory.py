# SPDX-License-Identifier: GPL-2.0-or-later
"""Resident memory per E->E synapse for each synapse kind.

    python bench/synapse_memory.py [--neurons 900] [--indegree 180]

For each kind (stdsp, reram, tristate, bistable, tristate_stm; the ReRAM device
also quantised, with its mixed-precision accumulator and with stochastic
rounding) a fresh process creates the
set-I excitatory population (900 neurons) and connects it with fixed in-degree
180 (162,000 synapses) exactly as the sequence network does (per-synapse values
in calls of ``CONNECT_CHUNK`` synapses, :func:`~seqnest.pynest_ext.networks.simulation.connect_with_arrays`),
and reports the
growth of resident memory during ``nest.Connect`` divided by the number of
synapses, the synapse object's size (NEST's ``sizeof``), and the bits of
long-term plastic state a synapse needs (for the quantised device: log2 of its
levels plus the accumulator's bits).
Parameters marked ``@homogeneous`` are stored once per model (NEST's common
synapse properties; :mod:`seqnest.pynest_ext.codegen` keeps them through NESTML's
co-generation of synapse and neuron), the others in each synapse. The ratios to
NEST's ``stdp_synapse`` are printed under the table.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from seqnest.pynest_ext.models import SYNAPSE_KINDS

#: NEST's own synapse models, connected the same way: the floor of the table
BUILTIN = ("static_synapse", "stdp_synapse_hom", "stdp_synapse")
#: the weight-based rule of the pattern-sequence network
PATTERN_KINDS = ("weight",)
KINDS = tuple(SYNAPSE_KINDS) + PATTERN_KINDS + BUILTIN
#: rows: label -> (kind, parameter overrides)
VARIANTS: dict[str, tuple[str, dict]] = {
    "NEST static_synapse (floor)": ("static_synapse", {}),
    "NEST stdp_synapse_hom (floor)": ("stdp_synapse_hom", {}),
    "NEST stdp_synapse (floor)": ("stdp_synapse", {}),
    "stdsp": ("stdsp", {}),
    "reram (ideal)": ("reram", {}),
    "reram, 16 levels, accumulator": ("reram", {"levels": 16}),
    "reram, 16 levels, stochastic": ("reram", {"levels": 16, "update": "stochastic"}),
    "reram, 3 levels, accumulator": ("reram", {"levels": 3}),
    "tristate": ("tristate", {}),
    "bistable": ("bistable", {}),
    "tristate_stm": ("tristate_stm", {}),
    "weight (pattern sequences)": ("weight", {}),
}


def _rss_bytes() -> int:
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def worker(kind: str, neurons: int, indegree: int, overrides: dict | None = None) -> dict:
    import numpy as np

    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.models import RECEPTOR_DEND, SYNAPSE_KINDS, WeightSynapseParams
    from seqnest.pynest_ext.networks.simulation import connect_with_arrays

    nest = import_nest()
    names = setup_kernel(KernelConfig())
    rng = np.random.default_rng(1)
    if kind in BUILTIN:
        # a built-in neuron that keeps the spike history stdp_synapse needs; the
        # weights drawn per synapse, as the plastic kinds' states are
        exc = nest.Create("iaf_psc_exp", neurons)
        nest.CopyModel(kind, "memory_probe")
        spec = {"weight": rng.uniform(0.0, 1.0, (neurons, indegree)), "delay": 2.0}
        state_bits = 0.0 if kind == "static_synapse" else 64.0
    else:
        params = (WeightSynapseParams if kind == "weight" else SYNAPSE_KINDS[kind])(
            overrides or {})
        neuron_model, synapse_model = names.pair(kind)
        exc = nest.Create(neuron_model, neurons)
        nest.CopyModel(synapse_model, "memory_probe", params.nest_defaults())
        spec = {"receptor_type": RECEPTOR_DEND, "delay": params.delay, "weight": 0.0,
                **params.connection_arrays((neurons, indegree), 0.0, 8.0, rng)}
        state_bits = params.state_bits
    arrays = {k: v for k, v in spec.items() if isinstance(v, np.ndarray)}
    before = _rss_bytes()
    connect_with_arrays(nest, exc, exc, {"rule": "fixed_indegree", "indegree": indegree,
                                         "allow_autapses": False, "allow_multapses": False},
                        {"synapse_model": "memory_probe",
                         **{k: v for k, v in spec.items() if k not in arrays}}, arrays)
    nest.Simulate(1.0)     # finalises the connection infrastructure
    grown = _rss_bytes() - before
    n = nest.num_connections
    return {"kind": kind, "synapses": n, "bytes_per_synapse": grown / n,
            "sizeof": nest.GetDefaults("memory_probe").get("sizeof"),
            "state_bits": state_bits}


def measure(kind: str, neurons: int = 900, indegree: int = 180,
            overrides: dict | None = None) -> dict:
    """:func:`worker` for ``kind`` in a fresh process (its own NEST kernel)."""
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--neurons",
                          str(neurons), "--indegree", str(indegree),
                          "--overrides", json.dumps(overrides or {})],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--neurons", type=int, default=900)
    p.add_argument("--indegree", type=int, default=180)
    p.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    p.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.neurons, args.indegree,
                                json.loads(args.overrides))))
        return 0
    print("| synapse | synapses | resident bytes per synapse | object bytes (sizeof) "
          "| long-term state bits per synapse |\n|---|---|---|---|---|")
    rows = {}
    for label, (kind, overrides) in VARIANTS.items():
        r = rows[label] = measure(kind, args.neurons, args.indegree, overrides)
        bits = "64 (double)" if r["state_bits"] >= 64 else f"{r['state_bits']:.2f}"
        print(f"| {label} | {r['synapses']} | {r['bytes_per_synapse']:.0f} | {r['sizeof']} "
              f"| {bits} |")
    floor = rows["NEST stdp_synapse (floor)"]["bytes_per_synapse"]
    print("\nresident bytes / stdp_synapse: " + ", ".join(
        f"{label} {r['bytes_per_synapse'] / floor:.2f}" for label, r in rows.items()
        if "floor" not in label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
