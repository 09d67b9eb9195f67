# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest learn``, ``replay`` and ``example``: the spiking temporal memory
(``learn --inputs`` hands over to :mod:`seqnest.cli.pattern_sequences`)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import seqnest
from seqnest.cli import pattern_sequences
from seqnest.cli import common
from seqnest.cli.common import positive_int
from seqnest.params import ParameterError, resolve_layers
from seqnest.pynest_ext.noise import NOISE_KINDS, NoiseParams
from seqnest.pynest_ext.models import SYNAPSE_KINDS

__all__ = ["add_parsers"]


def _stability(m: dict) -> str:
    """Whether the error stayed converged, and the means over the last episodes."""
    stays = m.get("stays_converged_from")
    if m.get("episodes_to_convergence") is None:
        text = "never below"
    elif stays is None:
        text = "not below in the last episode"
    else:
        text = f"below from episode {stays} on"
    relapses = m.get("relapses_after_convergence", 0)
    if relapses:
        text += f" ({relapses} episode{'s' if relapses != 1 else ''} above it after the first)"
    n = m.get("tail_episodes")
    if n:
        text += (f"\n  last {n} episodes: mean error {m['tail_error_mean']:.3f} (max "
                 f"{m['tail_error_max']:.3f}), mean active fraction "
                 f"{m['tail_active_fraction_mean']:.2f}")
    return text


def _layout(m: dict) -> str:
    threads = m.get("threads", 1)
    text = f"{threads} thread{'s' if threads != 1 else ''}"
    procs = m.get("mpi_processes", 1)
    return text if procs == 1 else f"{procs} MPI processes x {text}"


def _print_learning_summary(result, out) -> None:
    m = result.metrics
    conv = m["episodes_to_convergence"]
    print(f"run directory: {out}")
    if m.get("resumed_from"):
        print(f"  continued training the network of {m['resumed_from']}")
    ck = m.get("checkpoints") or {}
    if ck.get("continued_at_episodes"):
        print(f"  continued from a checkpoint after episode "
              f"{', '.join(str(e) for e in ck['continued_at_episodes'])}")
    if ck.get("written"):
        print(f"  {ck['written']} checkpoints written ({ck['time_s']:.1f} s)")
    print(f"  sequences: {'; '.join(m['sequences'])}  (task {result.config.task}, "
          f"seed {result.config.run.seed}, {result.config.run.episodes} episodes)")
    print(f"  episodes to convergence (error < {result.config.evaluation.convergence_error:g}): "
          f"{conv if conv is not None else 'not reached'}; " + _stability(m))
    print(f"  final error {m['final_error']:.3f}, false positives {m['false_positives'][-1]:.2f}, "
          f"false negatives {m['false_negatives'][-1]:.2f}, "
          f"active fraction of last elements {m['active_fraction'][-1]:.2f}")
    print(f"  mature synapses {m['mature_synapses_final']} of {m['n_synapses']}; "
          f"simulate {m['simulate_time_s']:.1f} s, readout {m.get('readout_time_s', 0):.1f} s, "
          f"synapse read {m.get('synapse_read_time_s', 0):.1f} s, "
          f"wall {m['wall_time_s']:.1f} s ({_layout(m)}), peak memory "
          + (f"{m['peak_rss_mb']:.0f} MB" if m.get("mpi_processes", 1) == 1 else
             "per rank " + ", ".join(f"{x:.0f}" for x in m["peak_rss_mb_per_rank"]) + " MB"))


def _print_frequencies(config, given) -> None:
    """Say how the training frequencies were normalised (and where they came from)."""
    seq_set = config.sequence_set
    if not seq_set.frequencies:
        return
    from seqnest.sequences.tasks.sequence_sets import frequency_block, parse_frequencies
    block, counts = frequency_block(seq_set.frequencies)
    shown = ", ".join(f"{' '.join(s)}: {f:.4g}" for s, f in zip(seq_set.sequences,
                                                                seq_set.frequencies))
    raw = ""
    if given is not None:
        values = parse_frequencies(given)
        if abs(sum(values) - 1.0) > 1e-9:
            raw = f" (given {', '.join(f'{v:g}' for v in values)}, normalised to sum 1)"
    print(f"training frequencies{raw}: {shown}; each block of {block} presentations holds "
          f"{', '.join(str(c) for c in counts)}", file=sys.stderr)


def _learn_config(args: argparse.Namespace):
    return seqnest.resolve_config(task=args.task, sequences=args.sequences,
                                  config_file=args.config, set_options=args.set or [],
                                  episodes=args.episodes, seed=args.seed, threads=args.threads,
                                  synapse=args.synapse, frequencies=args.frequencies,
                                  resume=args.resume)


def _checkpoint_to_continue(args: argparse.Namespace):
    """The checkpoint that ``--resume`` names (None: it names a run directory)."""
    if not args.resume or Path(args.resume).is_dir():
        return None
    found = seqnest.find_checkpoint(args.resume)
    if found is None:
        raise ParameterError(f"--resume {args.resume}: run directory not found, and no "
                             "checkpoint of an interrupted run beside it")
    given = [f"--{k.replace('_', '-')}" for k in ("task", "sequences", "frequencies", "config",
                                                  "set", "seed", "synapse", "inputs")
             if getattr(args, k, None)]
    if given:
        raise ParameterError(f"--resume {args.resume} continues an interrupted run as it was "
                             f"configured: only --episodes and --threads may change, not "
                             f"{given[0]}")
    return found


def _learn(args: argparse.Namespace, out: str, force: bool, progress: bool,
           continuing: Path | None = None):
    """Train into ``out``; ``continuing``: the checkpoint ``--resume`` names, if any
    (:func:`_checkpoint_to_continue`)."""
    every = dict(checkpoint_every=args.checkpoint_every or 0,
                 checkpoint_minutes=args.checkpoint_minutes, checkpoints=not args.no_checkpoint)
    if continuing is not None:
        return seqnest.learn(out, resume=args.resume, force=force, progress=progress,
                             module=common.module, episodes=args.episodes,
                             threads=args.threads, **every)
    config = _learn_config(args)
    _print_frequencies(config, args.frequencies)
    return seqnest.learn(out, config=config, resume=args.resume, force=force, progress=progress,
                         module=common.module, **every)    # checks out, resources, then builds


def _cmd_learn(args: argparse.Namespace) -> int:
    if args.dry_run:
        print(pattern_sequences.describe(args) if args.inputs
              else seqnest.describe_parameters(_learn_config(args)))
        return 0
    continuing = None if args.inputs else _checkpoint_to_continue(args)
    if not args.out and continuing is not None:
        # an interrupted run continues into its own directory
        args.out = str(seqnest.checkpoint_run_directory(continuing))
    if not args.out:
        raise ParameterError("learn needs --out DIR (the run directory to write)")
    if args.inputs:
        return pattern_sequences.learn(args)
    try:
        result = _learn(args, args.out, args.force, not args.no_progress, continuing)
    except seqnest.TrainingInterrupted as stop:
        print(f"seqnest: {stop.signal_name}: stopped after episode {stop.episodes_done} of "
              f"{stop.episodes}; checkpoint {stop.checkpoint}; continue with: seqnest learn "
              f"--resume {args.out}", file=sys.stderr)
        return stop.exit_code
    _print_learning_summary(result, args.out)
    return 0


def _print_replay(results, summary) -> None:
    for r in results:
        mark = "correct" if r.correct else "WRONG"
        dur = f"{r.duration_ms:.1f} ms" if r.duration_ms is not None else "-"
        shown = r.expected if r.correct else r.decoded
        more = f", then continued into {' '.join(r.continued)}" if r.continued else ""
        print(f"  cue {r.cue}: replayed {' '.join(shown) or '(nothing)'}  "
              f"(trained {' '.join(r.expected)}) {mark}, duration {dur}{more}")
    print(f"  {summary['n_correct']} of {summary['n_cues']} cues replayed correctly "
          f"(training pace {', '.join(f'{p:g}' for p in summary['training_pace_ms'])} ms)")


def _print_branches(stats: dict, out: Path) -> None:
    print(f"replay trials written to {out}")
    print(f"  cue {stats['cue']}, {stats['trials']} trials, {stats['noise_description']}")
    for r in stats["branches"]:
        lo, hi = r["ci95"]
        lat = r["latency_ms"]["median"]
        print(f"  {r['sequence']:<14} trained {r['training_frequency']:.2f}  replayed "
              f"{r['probability']:.2f} [{lo:.2f}, {hi:.2f}]  ({r['count']} trials"
              + (f", median latency {lat:.1f} ms)" if lat is not None else ")"))
    for key in ("simultaneous", "failure"):
        r = stats[key]
        print(f"  {key:<14} {r['probability']:.2f} [{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]")
    tv = stats["matching_tv_distance"]
    print(f"  matching distance {tv:.3f} (0: replay frequencies = training frequencies; "
          f"{stats['max_probability_tv_distance']:.2f}: always the most frequent)"
          if tv is not None else "  matching distance: no single-branch trial")
    if stats["interacting_trials"]:
        print(f"  warning: {stats['interacting_trials']} trials began while the previous one "
              "was still active (raise replay.cue_interval)")
    print(f"  {stats['wall_time_s']:.1f} s")


def _cmd_replay(args: argparse.Namespace) -> int:
    values = resolve_layers(("noise", "replay"), args.set or [],
                            {"noise": {"kind": args.noise}} if args.noise else None,
                            hint=": replay --set takes noise.* and replay.* only (the network "
                                 "is the trained one)")
    noise, params = NoiseParams(values["noise"]), values["replay"]
    if args.trials is None:
        if values["noise"]:
            raise ParameterError("noise needs trials: give --trials N")
        if args.cue:
            raise ParameterError("--cue belongs to replay trials: give --trials N")
        # the replay checks the run directory and its inputs before it calls module
        out = Path(args.out) if args.out else Path(args.run_dir) / "replay"
        results, summary = seqnest.replay(args.run_dir, params=params, module=common.module,
                                          repetitions=args.repetitions,
                                          progress=not args.no_progress, out=out,
                                          seed=args.seed, threads=args.threads)
        print(f"replay written to {out}")
        _print_replay(results, summary)
        return 0
    out = Path(args.out) if args.out else Path(args.run_dir) / "replay"
    stats = seqnest.replay_trials(args.run_dir, args.trials, noise=noise, params=params, out=out,
                                  cue=args.cue, seed=args.seed, threads=args.threads,
                                  module=common.module, progress=not args.no_progress)
    _print_branches(stats, out)
    return 0


def _cmd_example(args: argparse.Namespace) -> int:
    if args.list:
        for path, summary in seqnest.list_examples():
            print(f"{path:<36} {summary}")
        print("copy them with: seqnest example --copy DIR")
        return 0
    if args.copy is not None:
        folders = seqnest.copy_examples(args.copy)
        print("copied " + " and ".join(str(f) for f in folders) + "; e.g. from "
              f"{args.copy}: seqnest sweep specs/set1_learning_rates.yaml --out runs/sweep-lr")
        return 0
    started = time.perf_counter()
    learn_args = argparse.Namespace(task="set1", sequences=None, config=None, set=[],
                                    episodes=args.episodes, seed=args.seed, threads=None,
                                    synapse=None, frequencies=None, resume=None,
                                    checkpoint_every=None, checkpoint_minutes=None,
                                    no_checkpoint=False)
    result = _learn(learn_args, args.out, True, True)
    _print_learning_summary(result, args.out)
    results, summary = seqnest.replay(args.out, module=common.module)
    print("replay (frozen weights, one cue per sequence):")
    _print_replay(results, summary)
    print(f"total {time.perf_counter() - started:.1f} s; next: seqnest report {args.out} "
          "(HTML report), seqnest learn --help")
    return 0


def _add_learn(sub) -> None:
    p = sub.add_parser("learn", help="train the sequence network and write a run directory")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--task", help="set1, set2, set3, task4, branch2, branch3, branch5 or "
                      "random (default set1); with --inputs: s3 (default) or s4")
    what.add_argument("--sequences", metavar="TEXT",
                      help='custom set, e.g. "A D B E; F D B C"')
    p.add_argument("--frequencies", metavar="F1,F2,...",
                   help="relative training frequency of each sequence, e.g. 0.7,0.3 "
                        "(normalised to sum 1; sets the shared inhibition of Bouhadjar et "
                        "al. 2023 unless network.inhibition is given)")
    pattern_sequences.add_inputs_argument(p)
    p.add_argument("--episodes", type=positive_int, help="training episodes (default 40; "
                   "with --inputs: iterations, default 200 spatial / 100 temporal)")
    p.add_argument("--seed", type=positive_int, help="NEST seed (default 1)")
    p.add_argument("--threads", type=positive_int, help="NEST threads (default 1)")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue training the network of a run directory (its learned "
                        "synapses and neuron state; its parameters are the base for --config "
                        "and --set); --task/--sequences choose what it learns next. For an "
                        "interrupted run (its checkpoint .RUN_DIR.checkpoint.npz beside it): "
                        "continue it to --episodes (default: as started) into RUN_DIR")
    p.add_argument("--checkpoint-every", type=positive_int, metavar="N",
                   help="write a checkpoint beside --out every N episodes (default: by time "
                        "only)")
    p.add_argument("--checkpoint-minutes", type=float, metavar="T",
                   help="write a checkpoint every T minutes of wall-clock time (default 10; "
                        "0: not by time); SIGTERM and Ctrl-C always write one after the "
                        "episode under way")
    p.add_argument("--no-checkpoint", action="store_true",
                   help="no checkpoints; SIGTERM and Ctrl-C stop at once")
    p.add_argument("--synapse", choices=list(SYNAPSE_KINDS),
                   help="E->E synapse: stdsp (default), reram, tristate, bistable or "
                        "tristate_stm; set its parameters with --set synapse.KEY=VALUE, e.g. "
                        "--set synapse.levels=8")
    p.add_argument("--config", metavar="FILE", help="JSON/YAML/TOML file of {group: {key: "
                   "value}}, or a run's params.json (its sequences too)")
    p.add_argument("--set", action="append", metavar="GROUP.KEY=VALUE",
                   help="override one parameter (repeatable), e.g. --set neuron.tau_h=500")
    p.add_argument("--out", metavar="DIR", help="run directory to write (required unless "
                   "--dry-run)")
    p.add_argument("--force", action="store_true", help="replace an existing run directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="print every resolved parameter "
                   "(value, unit, meaning, source) and exit without simulating")
    p.set_defaults(func=_cmd_learn)


def _add_replay(sub) -> None:
    p = sub.add_parser("replay", help="replay the learned sequences of a run directory")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--repetitions", type=positive_int,
                   help="cue each sequence this many times (default: replay.repetitions, 1)")
    p.add_argument("--trials", type=positive_int,
                   help="cue the shared first element N times and decode each trial as one "
                        "branch, simultaneous or failure (writes branches.json)")
    p.add_argument("--noise", choices=list(NOISE_KINDS),
                   help="noise during the trials; parameters with --set noise.KEY=VALUE "
                        "(sigma, tau_n, c, amplitude, frequency)")
    p.add_argument("--set", action="append", metavar="GROUP.KEY=VALUE",
                   help="noise.* or replay.* parameter (repeatable), e.g. --set noise.sigma=15")
    p.add_argument("--cue", metavar="ELEMENT",
                   help="element to cue (default: the first element most sequences share)")
    p.add_argument("--seed", type=positive_int,
                   help="seed of NEST, the noise and the cue jitter (default: run.seed)")
    p.add_argument("--out", metavar="DIR",
                   help="replay directory (default RUN_DIR/replay; replaced if it is one): "
                        "replays of a read-only run, or several kept side by side")
    p.add_argument("--threads", type=positive_int,
                   help="NEST threads of the replay (default: the run's)")
    p.set_defaults(func=_cmd_replay)


def add_parsers(sub) -> None:
    """The temporal memory's commands: learn, replay, example."""
    _add_learn(sub)
    _add_replay(sub)
    p = sub.add_parser("example", help="learn set I, replay it and print a summary; "
                                       "--list and --copy the shipped specs and scripts")
    p.add_argument("--out", default="runs/example", metavar="DIR",
                   help="run directory (replaced if it exists; default runs/example)")
    shipped = p.add_mutually_exclusive_group()
    shipped.add_argument("--list", action="store_true",
                         help="list the sweep specs and example scripts shipped with seqnest")
    shipped.add_argument("--copy", metavar="DIR",
                         help="copy them into DIR/specs and DIR/examples (neither may exist)")
    p.add_argument("--episodes", type=positive_int, default=40)
    p.add_argument("--seed", type=positive_int, default=1)
    p.set_defaults(func=_cmd_example)
