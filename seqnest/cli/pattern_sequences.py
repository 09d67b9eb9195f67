# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest learn --inputs spatial|temporal``: sequences of spatio-temporal spike
patterns (Feiler et al. 2024)."""
from __future__ import annotations

import argparse

import seqnest
from seqnest.cli import common
from seqnest.params import ParameterError

__all__ = ["add_inputs_argument", "learn"]


def add_inputs_argument(parser: argparse.ArgumentParser) -> None:
    """``--inputs`` of ``seqnest learn`` (``stp-*``: the names of earlier versions)."""
    parser.add_argument("--inputs", choices=["spatial", "temporal", "stp-spatial", "stp-temporal"],
                        metavar="{spatial,temporal}",
                        help="sequence elements are spatio-temporal spike patterns on input "
                             "channels, learned through plastic input synapses (Feiler et al. "
                             "2024); parameter groups: inputs, network, neuron, inh_neuron, "
                             "input_synapse, ee_synapse, delays, protocol, run")


def _print_summary(config, m: dict, out: str) -> None:
    conv = m["converged_at"]
    print(f"run directory: {out}")
    print(f"  sequences: {'; '.join(m['sequences'])}  ({m['coding']} patterns, seed "
          f"{config.run.seed}, {m['iterations']} iterations, phase 1: {m['phase1_iterations']})")
    print("  assemblies: " + ", ".join(f"{k} {v}" for k, v in m["assembly_sizes"].items())
          + f" neurons ({m['unassigned']} unassigned); STP-detection score "
          f"{m['stp_detection']:.2f}")
    print(f"  last-element accuracy (last {m['final_window']} iterations) "
          f"{m['final_accuracy']:.2f} (chance {m['chance']:.2f}); all correct from phase-2 "
          f"iteration {conv if conv is not None else '- (not reached)'}")
    print(f"  simulate {m['simulate_time_s']:.1f} s, readout {m['readout_time_s']:.1f} s, wall "
          f"{m['wall_time_s']:.1f} s ({m['threads']} thread{'s' if m['threads'] != 1 else ''}), "
          f"peak memory {m['peak_rss_mb']:.0f} MB")


def _config(args: argparse.Namespace):
    """The pattern-sequence configuration of ``seqnest learn --inputs ...``."""
    for flag, name in ((args.frequencies, "--frequencies"), (args.synapse, "--synapse")):
        if flag is not None:
            raise ParameterError(f"{name} does not apply to --inputs {args.inputs} (set "
                                 "ee_synapse.* or input_synapse.* instead)")
    if args.resume:
        raise ParameterError("--resume continues a sequence network; it does not apply "
                             f"to --inputs {args.inputs}")
    return seqnest.resolve_pattern_config(args.inputs, args.sequences or args.task or "s3",
                                          config_file=args.config, set_options=args.set or [],
                                          iterations=args.episodes, seed=args.seed,
                                          threads=args.threads)


def describe(args: argparse.Namespace) -> str:
    """``seqnest learn --inputs ... --dry-run``: every parameter, as for the sequence
    network."""
    return seqnest.describe_parameters(_config(args))


def learn(args: argparse.Namespace) -> int:
    """``seqnest learn --inputs ...`` (the parser is the temporal memory's ``learn``)."""
    config = _config(args)
    result = seqnest.learn_patterns(args.out, config=config, force=args.force, module=common.module,
                                    progress=not args.no_progress)
    _print_summary(config, result.metrics, args.out)
    return 0
