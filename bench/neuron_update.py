# SPDX-License-Identifier: GPL-2.0-or-later
"""CPU time per neuron and step of the sTM neuron against NEST's ``iaf_psc_exp``.

    python bench/neuron_update.py [--neurons 2000] [--ms 2000] [--repeats 5]

Each model gets ``--neurons`` neurons in a fresh kernel (one thread). Idle: no
input, so the time is the update itself (propagators, input buffers, dAP logic,
which every step pays). Driven: Poisson input on every spike port (the sTM
neuron's external, dendritic and inhibitory ports; ``iaf_psc_exp``'s excitatory
and inhibitory input at the same rates), delivery included. ``nest.Simulate`` is
timed in CPU time; the minimum over ``--repeats`` runs is divided by neurons x
steps.
"""
from __future__ import annotations

import argparse
import time


def _time(model: str, neurons: int, ms: float, driven: bool) -> float:
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.models import RECEPTOR_DEND, RECEPTOR_EXT, RECEPTOR_INH
    nest = import_nest()
    setup_kernel(KernelConfig(seed=1))
    cells = nest.Create(model, neurons)
    if not driven:
        nest.Simulate(10.0)
        t0 = time.process_time()
        nest.Simulate(ms)
        return time.process_time() - t0
    ext = nest.Create("poisson_generator", params={"rate": 2000.0})
    dend = nest.Create("poisson_generator", params={"rate": 500.0})
    inh = nest.Create("poisson_generator", params={"rate": 500.0})
    stm = model.startswith("stm_neuron")
    nest.Connect(ext, cells, syn_spec={"weight": 20.0, "delay": 1.0,
                                       **({"receptor_type": RECEPTOR_EXT} if stm else {})})
    nest.Connect(dend, cells, syn_spec={"weight": 5.0, "delay": 1.0,
                                        **({"receptor_type": RECEPTOR_DEND} if stm else {})})
    nest.Connect(inh, cells, syn_spec={"weight": -20.0, "delay": 1.0,
                                       **({"receptor_type": RECEPTOR_INH} if stm else {})})
    nest.Simulate(10.0)
    t0 = time.process_time()
    nest.Simulate(ms)
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--neurons", type=int, default=2000)
    p.add_argument("--ms", type=float, default=2000.0)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
    names = setup_kernel(KernelConfig())
    steps = args.ms / KernelConfig().resolution
    models = {"iaf_psc_exp (NEST)": "iaf_psc_exp",
              "stm_neuron (training)": names.pair("stdsp")[0],
              "stm_neuron_stim (replay under noise)": names.stim_neuron}
    print("| model | idle: ns per neuron-step | / iaf_psc_exp | driven: ns per neuron-step "
          "| / iaf_psc_exp |\n|---|---|---|---|---|")
    rows = {label: [1e9 * min(_time(m, args.neurons, args.ms, driven)
                              for _ in range(args.repeats)) / (args.neurons * steps)
                    for driven in (False, True)] for label, m in models.items()}
    floor = rows["iaf_psc_exp (NEST)"]
    for label, (idle, driven) in rows.items():
        print(f"| {label} | {idle:.1f} | {idle / floor[0]:.2f} | {driven:.1f} "
              f"| {driven / floor[1]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
