# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest build`` (the model module) and ``seqnest demo`` (one neuron, one synapse)."""
from __future__ import annotations

import argparse
import time

import seqnest
from seqnest.cli import common
from seqnest.cli.common import positive_int

__all__ = ["add_parsers"]


def _cmd_build(args: argparse.Namespace) -> int:
    from seqnest.pynest_ext.models import SYNAPSE_KINDS
    built = common.module(args.force, args.with_nest, args.jobs)
    state = "compiled" if built.compiled else "reused cached module"
    print(f"{state} in {built.seconds:.2f} s")
    print(f"module: {built.path}")
    print(f"key:    {built.key}")
    for kind in SYNAPSE_KINDS:
        neuron, synapse = built.names.pair(kind)
        print(f"{kind:12} {neuron}, {synapse}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    built = common.module()
    print(f"module: {built.path} ({'compiled' if built.compiled else 'cached'}, "
          f"{built.seconds:.1f} s)")
    demo = seqnest.demo(seed=args.seed)
    dap, adv = demo["dap"], demo["advance"]
    print(f"\nsTM neuron, one dendritic input of {demo['dap_trigger_weight']} pA "
          "(theta_dAP 59 pA):")
    print(f"  dAP onset {dap.onset - dap.input_time:.1f} ms after the input, plateau "
          f"{dap.plateau_current:.0f} pA for {dap.duration:.1f} ms (expected 200 pA, 60 ms)")
    print(f"  somatic plateau {dap.peak_depolarisation:.2f} mV (analytic I_p*tau_m/C_m = "
          f"{dap.analytic_plateau:.2f} mV), somatic spikes: {dap.somatic_spikes}")
    print(f"  spike latency to a 22 mV external input: {adv.latency_without_dap:.1f} ms "
          f"without, {adv.latency_with_dap:.1f} ms with a dAP -> advance {adv.advance:.1f} ms "
          "(paper: ~1.4 ms)")
    for weight, inh in demo["inhibition"]:
        print(f"  inhibitory spike of weight {weight:+.0f} pA: V_m moves by "
              f"{inh.min_deflection:+.2f} mV (hyperpolarising for either sign)")
    print("\nStructural-plasticity synapse, pre->post lag 40 ms (+2 ms delay), one pairing "
          "per 200 ms, P(0) = P_min = 1, z clamped:")
    print("   z   step/pairing (analytic)   crosses theta_P=10   saturates at P_max")
    expected = {0.0: "21", 1.0: "55", 2.0: "never"}
    for z, r in demo["pairing"]:
        cross = r.crossing if r.crossing is not None else "never"
        sat = r.saturation if r.saturation is not None else "-"
        print(f"  {z:3.0f}   {r.step:7.4f} ({max(r.analytic_step, 0.0):7.4f})"
              f"        {str(cross):>6} (expected {expected[z]})   {str(sat):>6}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return 0


def add_parsers(sub) -> None:
    """build and demo."""
    p = sub.add_parser("build", help="build or reuse the cached NESTML model module")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--with-nest", metavar="NEST_CONFIG",
                   help="nest-config of a source-built NEST (default: the pip wheel)")
    p.add_argument("--jobs", type=positive_int, help="parallel compiler processes")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("demo", help="single-neuron and single-synapse demonstration")
    p.add_argument("--seed", type=positive_int, default=1, help="NEST RNG seed")
    p.set_defaults(func=_cmd_demo)
