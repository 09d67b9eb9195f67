# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_neuron and stm_stdsp_synapse in your own PyNEST network; plot a dAP.

Six presynaptic parrot neurons drive one sTM neuron (Bouhadjar et al. 2022)
through mature structural-plasticity synapses onto its dendrite (receptor 2).
Their coincident input (6 x w_mature = 6 x 12.98 pA > theta_dAP = 59 pA)
triggers a dendritic action potential: a 200-pA plateau of 60 ms that
depolarises the soma without a spike.

    python examples/own_network_dap.py [--out dap.png]
"""
import argparse

import matplotlib
import nest

import seqnest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="dap.png", help="figure to write (PNG or SVG)")
    args = p.parse_args()

    nest.ResetKernel()
    nest.resolution = 0.1                       # ms
    names = seqnest.install()                   # build once (cached), load into this kernel

    pre = nest.Create("parrot_neuron", 6)
    gen = nest.Create("spike_generator", params={"spike_times": [20.0]})   # ms
    nest.Connect(gen, pre)
    neuron = nest.Create(names.stm_neuron)
    # permanence above theta_P = 10: the synapses are mature and transmit w_mature (pA)
    nest.Connect(pre, neuron, syn_spec={"synapse_model": names.stdsp_synapse, "delay": 2.0,
                                        "receptor_type": 2, "permanence": 15.0})
    mm = nest.Create("multimeter", params={"record_from": ["V_m", "I_dAP"], "interval": 0.1})
    nest.Connect(mm, neuron)
    nest.Simulate(150.0)

    ev = mm.events
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(6, 4), constrained_layout=True)
    ax1.plot(ev["times"], ev["I_dAP"], label="dAP plateau current")
    ax1.set_ylabel("I_dAP (pA)")
    ax2.plot(ev["times"], ev["V_m"], color="C1", label="somatic V_m")
    ax2.set_ylabel("V_m (mV)")
    ax2.set_xlabel("time (ms)")
    for ax in (ax1, ax2):
        ax.legend(loc="upper right")
    fig.savefig(args.out)
    print(f"dAP peak {max(ev['I_dAP']):.0f} pA; figure written to {args.out}")


if __name__ == "__main__":
    main()
