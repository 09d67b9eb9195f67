# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest``: command-line entry point.

Subcommands:

* ``seqnest build [--force] [--with-nest NEST_CONFIG] [--jobs N]`` builds the
  NESTML model module or reuses the cached one, and prints where it is;
* ``seqnest demo [--seed S]`` runs the single-neuron and single-synapse
  demonstrations and prints their figures next to the reference values.

Errors in the input or the environment give one line on stderr and exit code 2
(bad input) or 1 (a failed build or simulation).
"""
from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _module(force: bool = False, with_nest: str | None = None, jobs: int | None = None):
    """Build or reuse the module, telling the user when a compilation starts."""
    from pynest_ext import build, find_cached
    if force or find_cached(with_nest) is None:
        print("seqnest: compiling the NESTML models (once; about a minute on 2 cores) ...",
              file=sys.stderr, flush=True)
    return build(force=force, with_nest=with_nest, jobs=jobs)


def _cmd_build(args: argparse.Namespace) -> int:
    module = _module(args.force, args.with_nest, args.jobs)
    state = "compiled" if module.compiled else "reused cached module"
    print(f"{state} in {module.seconds:.2f} s")
    print(f"module: {module.path}")
    print(f"key:    {module.key}")
    print(f"models: {module.names.stm_neuron}, {module.names.stdsp_synapse}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pynest_ext import probes
    from pynest_ext.kernel import KernelConfig
    from pynest_ext.models import StdspSynapseParams

    started = time.perf_counter()
    module = _module()
    print(f"module: {module.path} ({'compiled' if module.compiled else 'cached'}, "
          f"{module.seconds:.1f} s)")
    kernel = KernelConfig(seed=args.seed)

    dap = probes.dap_response(kernel=kernel)
    print("\nsTM neuron, one dendritic input of "
          f"{probes.DAP_TRIGGER_WEIGHT} pA (theta_dAP 59 pA):")
    print(f"  dAP onset {dap.onset - dap.input_time:.1f} ms after the input, plateau "
          f"{dap.plateau_current:.0f} pA for {dap.duration:.1f} ms (expected 200 pA, 60 ms)")
    print(f"  somatic plateau {dap.peak_depolarisation:.2f} mV (analytic I_p*tau_m/C_m = "
          f"{dap.analytic_plateau:.2f} mV), somatic spikes: {dap.somatic_spikes}")
    adv = probes.dap_spike_advance(kernel=kernel)
    print(f"  spike latency to a 22 mV external input: {adv.latency_without_dap:.1f} ms "
          f"without, {adv.latency_with_dap:.1f} ms with a dAP -> advance {adv.advance:.1f} ms "
          "(paper: ~1.4 ms)")
    for weight in (probes.INHIBITORY_TEST_WEIGHT, -probes.INHIBITORY_TEST_WEIGHT):
        inh = probes.inhibition_response(weight, kernel=kernel)
        print(f"  inhibitory spike of weight {weight:+.0f} pA: V_m moves by "
              f"{inh.min_deflection:+.2f} mV (hyperpolarising for either sign)")

    syn = StdspSynapseParams()
    print("\nStructural-plasticity synapse, pre->post lag 40 ms (+2 ms delay), one pairing "
          "per 200 ms, P(0) = P_min = 1, z clamped:")
    print("   z   step/pairing (analytic)   crosses theta_P=10   saturates at P_max")
    expected = {0.0: "21", 1.0: "55", 2.0: "never"}
    for z in (0.0, 1.0, 2.0):
        r = probes.synapse_pairing(z, synapse=syn, kernel=kernel)
        cross = r.crossing if r.crossing is not None else "never"
        sat = r.saturation if r.saturation is not None else "-"
        print(f"  {z:3.0f}   {r.step:7.4f} ({max(r.analytic_step, 0.0):7.4f})"
              f"        {str(cross):>6} (expected {expected[z]})   {str(sat):>6}")
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="seqnest", description="Spiking sequence learning on NEST with "
                     "NESTML models of active dendrites and hardware-like synapses.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("build", help="build or reuse the cached NESTML model module")
    p.add_argument("--force", action="store_true", help="rebuild even if cached")
    p.add_argument("--with-nest", metavar="NEST_CONFIG",
                   help="nest-config of a source-built NEST (default: the pip wheel)")
    p.add_argument("--jobs", type=_positive_int, help="parallel compiler processes")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("demo", help="single-neuron and single-synapse demonstration")
    p.add_argument("--seed", type=_positive_int, default=1, help="NEST RNG seed")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pynest_ext import BuildError, ParameterError
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("seqnest: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
