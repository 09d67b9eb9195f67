# SPDX-License-Identifier: GPL-2.0-or-later
"""Tristate/bistable synapse probes: transition probabilities and the stop-learning gate.

    python bench/tristate_probes.py --docs docs

Prints (and with ``--docs`` plots into ``DIR/figures/tristate_probes.png``)

* the probability that a bistable synapse (Brader, Senn & Fusi 2007 parameters)
  switches up (LTP, from X = 0) or down (LTD, from X = 1) after 300 ms of
  presynaptic Poisson input at 150 Hz, versus the postsynaptic rate (1000
  synapses per rate; postsynaptic ``stm_neuron`` with t_ref = 2 ms, driven by
  Poisson input), and the same for the tristate synapse (up: from 0 to X >= 0.5,
  down: from 1 to X <= 0.5);
* the postsynaptic calcium and stop-learning gate while the postsynaptic rate
  is ramped 20 -> 240 -> 20 Hz in 200-ms steps (hysteresis).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from seqnest.pynest_ext.models import BistableSynapseParams, StmNeuronParams, TristateSynapseParams
from seqnest.pynest_ext.synapse_probes import gate_trace, transition_curve

DRIVE = [3000, 4000, 4500, 5000, 5500, 6000, 7000, 8000, 10000, 12000, 16000, 20000, 30000,
         40000, 80000]
RAMP = list(range(20, 260, 20))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=Path)
    p.add_argument("--synapses", type=int, default=1000)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    curves = {}
    for name, syn in (("bistable", BistableSynapseParams()), ("tristate", TristateSynapseParams())):
        c = transition_curve(syn, DRIVE, n_synapses=args.synapses)
        if name == "tristate":   # up: from 0 to the middle or top level; down: from 1
            n = args.synapses
            c.p_ltp = np.mean(c.final_X[:, :n] >= 0.5 - 1e-12, axis=1)
            c.p_ltd = np.mean(c.final_X[:, n:] <= 0.5 + 1e-12, axis=1)
        curves[name] = c
        print(f"{name}: post rate (Hz) | P(LTP) | P(LTD)")
        for r, up, down in zip(c.post_rate, c.p_ltp, c.p_ltd):
            print(f"  {r:7.1f} | {up:6.3f} | {down:6.3f}")
    neuron = StmNeuronParams(t_ref=2.0)
    g = gate_trace(RAMP + RAMP[::-1], neuron=neuron)
    change = np.flatnonzero(np.diff(g.gate) != 0) + 1
    for i in change:
        state = "closes" if g.gate[i] == 0 else "opens"
        print(f"gate {state} at t = {g.times[i]:.1f} ms, imposed rate {g.rate[i]:.0f} Hz, "
              f"Ca = {g.calcium[i]:.2f} (thresholds {neuron.Ca_stop_low:g} / "
              f"{neuron.Ca_stop_high:g})")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    if args.docs:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
        for ax, (name, c) in zip(axes[:2], curves.items()):
            order = np.argsort(c.post_rate, kind="stable")
            ax.plot(c.post_rate[order], c.p_ltp[order], "o-", label="LTP (up)")
            ax.plot(c.post_rate[order], c.p_ltd[order], "s-", label="LTD (down)")
            ax.set_xlabel("postsynaptic rate (Hz)")
            ax.set_ylabel("transition probability")
            ax.set_title(f"{name} synapse, pre 150 Hz for 300 ms")
            ax.legend()
        ax = axes[2]
        ax.plot(g.times / 1000, g.calcium, lw=0.6, label="calcium")
        ax.plot(g.times / 1000, 10 * g.gate, lw=1.5, label="gate x 10")
        ax.axhline(neuron.Ca_stop_high, ls="--", c="k", lw=0.8)
        ax.axhline(neuron.Ca_stop_low, ls=":", c="k", lw=0.8)
        ax.set_xlabel("time (s); rate 20 -> 240 -> 20 Hz")
        ax.set_title("stop-learning gate (hysteresis)")
        ax.legend(loc="upper left", fontsize=8)
        out = args.docs / "figures" / "tristate_probes.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp.png")
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, out)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
