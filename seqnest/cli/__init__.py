# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest``: command-line entry point.

Subcommands:

* ``seqnest build [--force] [--with-nest NEST_CONFIG] [--jobs N]`` builds the
  NESTML model module or reuses the cached one, and prints where it is;
* ``seqnest demo [--seed S]`` runs the single-neuron and single-synapse
  demonstrations and prints their figures next to the reference values;
* ``seqnest learn [--task NAME | --sequences TEXT] [--episodes N] [--seed S]
  [--threads T] [--config FILE] [--set group.key=value ...] --out DIR`` trains
  the sequence network and writes a run directory;
* ``seqnest replay RUN_DIR [--repetitions N]`` replays the learned sequences
  from their cues;
* ``seqnest report RUN_DIR`` writes a self-contained HTML report of a run
  directory (figures, metrics, parameters, environment; no NEST needed);
* ``seqnest sweep SPEC --out DIR [--cluster local|slurm] [--workers N] [--dry-run]``
  runs a parameter sweep on Dask (see :mod:`seqnest.sequences.sweep`);
* ``seqnest example [--out DIR]`` learns set I, replays it and prints a summary.

Errors in the input or the environment give one line on stderr and exit code 2
(bad input) or 1 (a failed build or simulation).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from seqnest.pynest_ext.models import SYNAPSE_KINDS
from seqnest.params import ParameterError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _version() -> str:
    import seqnest
    return seqnest.__version__


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
    from seqnest.pynest_ext import build

    def notice() -> None:
        print("seqnest: compiling the NESTML models (once; about 80 s on 2 cores) ...",
              file=sys.stderr, flush=True)

    return build(force=force, with_nest=with_nest, jobs=jobs, on_compile=notice)


def _cmd_build(args: argparse.Namespace) -> int:
    module = _module(args.force, args.with_nest, args.jobs)
    state = "compiled" if module.compiled else "reused cached module"
    print(f"{state} in {module.seconds:.2f} s")
    print(f"module: {module.path}")
    print(f"key:    {module.key}")
    for kind in SYNAPSE_KINDS:
        neuron, synapse = module.names.pair(kind)
        print(f"{kind:12} {neuron}, {synapse}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from seqnest.pynest_ext import probes
    from seqnest.pynest_ext.kernel import KernelConfig
    from seqnest.pynest_ext.models import StdspSynapseParams

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


def _print_learning_summary(result, out) -> None:
    m = result.metrics
    conv = m["episodes_to_convergence"]
    print(f"run directory: {out}")
    if m.get("resumed_from"):
        print(f"  continued training the network of {m['resumed_from']}")
    print(f"  sequences: {'; '.join(m['sequences'])}  (task {result.config.task}, "
          f"seed {result.config.run.seed}, {result.config.run.episodes} episodes)")
    print(f"  episodes to convergence (error < {result.config.evaluation.convergence_error:g}): "
          f"{conv if conv is not None else 'not reached'}; " + _stability(m))
    print(f"  final error {m['final_error']:.3f}, false positives {m['false_positives'][-1]:.2f}, "
          f"false negatives {m['false_negatives'][-1]:.2f}, "
          f"active fraction of last elements {m['active_fraction'][-1]:.2f}")
    print(f"  mature synapses {m['mature_synapses_final']} of {m['n_synapses']}; "
          f"simulate {m['simulate_time_s']:.1f} s, readout {m.get('readout_time_s', 0):.1f} s, "
          f"wall {m['wall_time_s']:.1f} s ({_layout(m)}), peak memory "
          + (f"{m['peak_rss_mb']:.0f} MB" if m.get("mpi_processes", 1) == 1 else
             "per rank " + ", ".join(f"{x:.0f}" for x in m["peak_rss_mb_per_rank"]) + " MB"))


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
    import seqnest
    return seqnest.resolve_config(task=args.task, sequences=args.sequences,
                                  config_file=args.config, set_options=args.set or [],
                                  episodes=args.episodes, seed=args.seed, threads=args.threads,
                                  synapse=args.synapse,
                                  frequencies=getattr(args, "frequencies", None),
                                  resume=getattr(args, "resume", None))


def _learn(args: argparse.Namespace, out: str, force: bool, progress: bool):
    import seqnest
    config = _learn_config(args)
    _print_frequencies(config, getattr(args, "frequencies", None))
    return seqnest.learn(out, config=config, resume=getattr(args, "resume", None), force=force,
                         progress=progress, module=_module)   # checks out, resources, then builds


def _learn_patterns(args: argparse.Namespace) -> int:
    from seqnest.sequences.temporal_memory.config import load_config_file, parse_set_options
    from seqnest.sequences.rundir import check_output
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
    from seqnest.sequences.pattern_sequences.learn import train_patterns, write_pattern_run
    for flag, name in ((args.frequencies, "--frequencies"), (args.synapse, "--synapse")):
        if flag is not None:
            raise ParameterError(f"{name} does not apply to --inputs {args.inputs} (set "
                                 "ee_synapse.* or input_synapse.* instead)")
    sets = parse_set_options(args.set or [], check_groups=False)   # groups: the resolver's
    file_values = load_config_file(args.config, groups=False) if args.config else None
    config = resolve_pattern_config(args.inputs, args.sequences or args.task or "s3",
                                file_values=file_values, sets=sets, iterations=args.episodes,
                                seed=args.seed, threads=args.threads)
    check_output(args.out, args.force)        # before anything is built or simulated
    result = train_patterns(config, module=_module, progress=not args.no_progress)
    write_pattern_run(result, args.out, force=args.force)
    m = result.metrics
    conv = m["converged_at"]
    print(f"run directory: {args.out}")
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
    return 0


def _cmd_learn(args: argparse.Namespace) -> int:
    if args.dry_run:
        if args.inputs:
            raise ParameterError("--dry-run prints the sequence network's parameters; it does "
                                 f"not apply to --inputs {args.inputs}")
        import seqnest
        print(seqnest.describe_parameters(_learn_config(args)))
        return 0
    if not args.out:
        raise ParameterError("learn needs --out DIR (the run directory to write)")
    if args.inputs:
        if args.resume:
            raise ParameterError("--resume continues a sequence network; it does not apply "
                                 f"to --inputs {args.inputs}")
        return _learn_patterns(args)
    result = _learn(args, args.out, args.force, not args.no_progress)
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


def _replay_settings(args: argparse.Namespace, cfg):
    """(NoiseParams, ReplayParams) from --noise and --set noise.*/replay.* options."""
    from seqnest.pynest_ext.noise import NoiseParams
    from seqnest.sequences.temporal_memory.config import split_set_option
    values: dict[str, dict] = {"noise": {}, "replay": {}}
    for opt in args.set or []:
        group, name, value = split_set_option(opt)
        if group not in values:
            raise ParameterError(f"replay --set takes noise.* and replay.* only (the network "
                                 f"is the trained one), got '{group}.{name}'")
        values[group][name] = value
    if args.noise is not None:
        values["noise"]["kind"] = args.noise
    noise = NoiseParams(values["noise"])
    if values["noise"] and args.trials is None:
        raise ParameterError("noise needs trials: give --trials N")
    return noise, cfg.replay.replace(**values["replay"])


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
    from seqnest.sequences.temporal_memory.replay import replay_run, replay_trials
    from seqnest.sequences.temporal_memory.rundir import load_config
    cfg = load_config(args.run_dir)
    noise, replay_params = _replay_settings(args, cfg)
    # both replays check the run directory, their inputs and the output before they
    # call _module (which may compile)
    if args.trials is not None:
        out = Path(args.out) if args.out else Path(args.run_dir) / "replay"
        stats = replay_trials(args.run_dir, args.trials, noise, out=out, cue=args.cue,
                              seed=args.seed, replay_params=replay_params, module=_module,
                              progress=not args.no_progress, threads=args.threads)
        _print_branches(stats, out)
        return 0
    if args.out or args.cue or args.seed is not None or args.threads is not None:
        raise ParameterError("--out, --cue, --seed and --threads belong to replay trials: "
                             "give --trials N")
    results, summary = replay_run(args.run_dir, module=_module, repetitions=args.repetitions,
                                  replay_params=replay_params,
                                  progress=not args.no_progress)
    print(f"replay written to {Path(args.run_dir) / 'replay'}")
    _print_replay(results, summary)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import seqnest
    started = time.perf_counter()
    page = seqnest.report(args.run_dir, args.out)
    print(f"report written to {page} ({time.perf_counter() - started:.1f} s); "
          f"figures in {page.parent / 'report'}")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from seqnest.sequences.sweep import expand, load_spec, run_sweep, slurm_job_script
    spec = load_spec(args.spec)
    points = expand(spec)                     # validates every point before anything runs
    if args.dry_run:
        script = slurm_job_script(spec, args.workers)
        print(f"{len(points)} points; job script for --cluster slurm:")
        print(script)
        return 0
    if args.out is None:
        raise ParameterError("seqnest sweep needs --out DIR (or --dry-run)")
    started = time.perf_counter()
    # run_sweep checks SLURM and the output before it writes, then builds once
    summary = run_sweep(spec, args.out, cluster=args.cluster, workers=args.workers,
                        progress=not args.no_progress, module=_module)
    print(f"{summary['points']} points: ran {summary['ran']}, reused {summary['reused']}, "
          f"failed {len(summary['failed'])} ({time.perf_counter() - started:.1f} s)")
    print(f"results: {Path(args.out) / 'results.csv'}; failures: "
          f"{Path(args.out) / 'failures.json'}")
    return 0 if not summary["failed"] else 1


def _cd_sets(options) -> dict:
    from seqnest.sequences.temporal_memory.config import split_set_option
    sets = {}
    for opt in options or []:
        group, name, value = split_set_option(opt)
        sets[f"{group}.{name}"] = value
    return sets


def _cmd_cd_train(args: argparse.Namespace) -> int:
    from seqnest.sequences.coincidence.config import resolve_cd_config
    from seqnest.sequences.coincidence.experiment import cd_train
    sets = _cd_sets(args.set)
    for flag, key in ((args.epochs, "training.epochs"), (args.n_d, "network.n_d"),
                      (args.train_noise, "training.sigma_train")):
        if flag is not None:
            sets[key] = flag
    if args.no_delays:
        sets["network.delays"] = "none"
    config = resolve_cd_config(args.task, sets)
    started = time.perf_counter()

    def show(row: dict) -> None:
        if not args.no_progress:
            print(f"epoch {row['epoch']:>3}: loss {row['loss']:.4f}, "
                  f"test accuracy {100 * row['test_accuracy']:.1f} %", file=sys.stderr,
                  flush=True)

    metrics = cd_train(config, args.seed, args.out, force=args.force, data_dir=args.data,
                       progress=show)
    print(f"{config.task}: {metrics['n_weights']} weights ({metrics['n_inputs']} inputs x "
          f"{metrics['n_outputs']} outputs x {metrics['n_d']} delays + biases); "
          f"test accuracy (trainer) {100 * metrics['test_accuracy']:.1f} % "
          f"(chance {100 * metrics['chance']:.0f} %) in {time.perf_counter() - started:.1f} s")
    print(f"run directory: {args.out}; next: seqnest cd-eval {args.out}")
    return 0


def _cmd_cd_eval(args: argparse.Namespace) -> int:
    from seqnest.sequences.coincidence.experiment import cd_eval
    rram = {}
    for key, value in _cd_sets(args.set).items():
        group, _, name = key.partition(".")
        if group != "rram":
            raise ParameterError(f"cd-eval --set takes rram.* device parameters, got {key!r}")
        rram[name] = value
    started = time.perf_counter()
    result = cd_eval(args.run_dir, sigma=args.noise, trials=args.trials, seed=args.seed,
                     threads=args.threads, out=args.out, force=args.force, rram_sets=rram,
                     module=_module, progress=not args.no_progress, check=args.check)
    lo, hi = result["ci95"]
    print(f"NEST inference, sigma {result['sigma']:g}: accuracy {100 * result['accuracy']:.1f} % "
          f"(95 % CI {100 * lo:.1f}-{100 * hi:.1f}, {result['decisions']} decisions in "
          f"{result['trials']} trials; chance {100 * result['chance']:.0f} %)")
    if "agreement" in result:
        a = result["agreement"]
        print(f"agreement with the trainer on {a['samples']} samples: max relative difference "
              f"{a['max_rel_diff']:.2e}, identical decisions: {a['argmax_identical']}")
    t = result["time"]
    print(f"simulated {result['trials']} trials in {t['simulate_s']:.1f} s "
          f"({t['trials_per_s']:.0f} trials/s; build {t['build_s']:.1f} s, input "
          f"{t['load_s']:.1f} s; total {time.perf_counter() - started:.1f} s)")
    return 0


def _cmd_example(args: argparse.Namespace) -> int:
    from seqnest.sequences.temporal_memory.replay import replay_run
    started = time.perf_counter()
    args.task, args.sequences, args.config, args.set, args.threads = "set1", None, None, [], None
    args.synapse, args.frequencies = None, None
    result = _learn(args, args.out, True, True)
    _print_learning_summary(result, args.out)
    results, summary = replay_run(args.out, module=_module)
    print("replay (frozen weights, one cue per sequence):")
    _print_replay(results, summary)
    print(f"total {time.perf_counter() - started:.1f} s; next: seqnest report {args.out} "
          "(HTML report), seqnest learn --help")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="seqnest", description="Spiking sequence learning on NEST with "
                     "NESTML models of active dendrites and hardware-like synapses.")
    parser.add_argument("--version", action="version", version=f"seqnest {_version()}")
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
    p.add_argument("--inputs", choices=["spatial", "temporal", "stp-spatial", "stp-temporal"],
                   metavar="{spatial,temporal}",
                   help="sequence elements are spatio-temporal spike patterns on input "
                        "channels, learned through plastic input synapses (Feiler et al. "
                        "2024); parameter groups: inputs, network, neuron, inh_neuron, "
                        "input_synapse, ee_synapse, delays, protocol, run")
    p.add_argument("--episodes", type=_positive_int, help="training episodes (default 40; "
                   "with --inputs: iterations, default 200 spatial / 100 temporal)")
    p.add_argument("--seed", type=_positive_int, help="NEST seed (default 1)")
    p.add_argument("--threads", type=_positive_int, help="NEST threads (default 1)")
    p.add_argument("--resume", metavar="RUN_DIR",
                   help="continue training the network of a run directory (its learned "
                        "synapses and neuron state; its parameters are the base for --config "
                        "and --set); --task/--sequences choose what it learns next")
    p.add_argument("--synapse", choices=list(SYNAPSE_KINDS),
                   help="E->E synapse: stdsp (default), reram, tristate, bistable or tristate_stm; set its "
                        "parameters with --set synapse.KEY=VALUE, e.g. --set synapse.levels=8")
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

    p = sub.add_parser("replay", help="replay the learned sequences of a run directory")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--repetitions", type=_positive_int,
                   help="cue each sequence this many times (default: replay.repetitions, 1)")
    p.add_argument("--trials", type=_positive_int,
                   help="cue the shared first element N times and decode each trial as one "
                        "branch, simultaneous or failure (writes branches.json)")
    from seqnest.pynest_ext.noise import NOISE_KINDS
    p.add_argument("--noise", choices=list(NOISE_KINDS),
                   help="noise during the trials; parameters with --set noise.KEY=VALUE "
                        "(sigma, tau_n, c, amplitude, frequency)")
    p.add_argument("--set", action="append", metavar="GROUP.KEY=VALUE",
                   help="noise.* or replay.* parameter (repeatable), e.g. --set noise.sigma=15")
    p.add_argument("--cue", metavar="ELEMENT",
                   help="element to cue (default: the first element most sequences share)")
    p.add_argument("--seed", type=_positive_int,
                   help="seed of NEST, the noise and the cue jitter (default: run.seed)")
    p.add_argument("--out", metavar="DIR",
                   help="replay directory (default RUN_DIR/replay; replaced if it is one)")
    p.add_argument("--threads", type=_positive_int,
                   help="NEST threads of the trials (default: the run's)")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("report", help="write RUN_DIR/report.html for a run or a sweep "
                                      "directory (no NEST needed)")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory or a sweep directory")
    p.add_argument("--out", metavar="DIR", help="write report.html and report/ here "
                   "(default: into RUN_DIR, which may then be read-only)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("sweep", help="run a parameter sweep on Dask (local or SLURM)")
    p.add_argument("spec", metavar="SPEC", help="sweep spec (YAML, JSON or TOML)")
    p.add_argument("--out", metavar="DIR", help="sweep directory (existing points are reused)")
    p.add_argument("--cluster", choices=["local", "slurm"], default="local")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="worker processes (local) or SLURM jobs (default 2)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec and print the SLURM job script; run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("cd-train", help="train a dendritic coincidence detector (DenRAM) "
                       "offline and write a run directory")
    p.add_argument("--task", required=True, choices=["mts-xor", "patterns", "shd"],
                   help="mts-xor and patterns are generated from the seed; shd reads --data")
    p.add_argument("--data", metavar="DIR", help="folder with shd_train.h5 and shd_test.h5")
    p.add_argument("--epochs", type=_positive_int, help="training epochs (training.epochs)")
    p.add_argument("--n-d", type=_positive_int, help="delays per input-output pair "
                   "(network.n_d, default 16)")
    p.add_argument("--train-noise", type=float, metavar="SIGMA",
                   help="noise-aware training at this read noise (training.sigma_train)")
    p.add_argument("--no-delays", action="store_true",
                   help="control: every branch delayed by one step (network.delays=none)")
    p.add_argument("--seed", type=_positive_int, default=1, help="seed of data, delays and "
                   "training (default 1)")
    p.add_argument("--set", action="append", metavar="GROUP.KEY=VALUE",
                   help="override a parameter: task.*, network.*, delays.*, rram.*, "
                        "training.* (repeatable), e.g. --set task.jitter=3")
    p.add_argument("--out", required=True, metavar="DIR", help="run directory to write")
    p.add_argument("--force", action="store_true", help="replace an existing run directory")
    p.add_argument("--no-progress", action="store_true", help="no per-epoch lines")
    p.set_defaults(func=_cmd_cd_train)

    p = sub.add_parser("cd-eval", help="run a trained coincidence detector in NEST with RRAM "
                       "devices and score it")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--noise", type=float, metavar="SIGMA",
                   help="RRAM read noise relative to max|w|, drawn per trial (default: the "
                        "run's rram.sigma, 0)")
    p.add_argument("--trials", type=_positive_int, help="trials (test samples in order, "
                   "repeated if more; default one per test sample)")
    p.add_argument("--set", action="append", metavar="rram.KEY=VALUE",
                   help="device parameter: rram.levels, rram.on_off_ratio, rram.sigma_d2d")
    p.add_argument("--seed", type=_positive_int, default=1, help="seed of device programming "
                   "and NEST (default 1)")
    p.add_argument("--threads", type=_positive_int, default=1, help="NEST threads (default 1)")
    p.add_argument("--out", metavar="DIR", help="evaluation directory (default "
                   "RUN_DIR/eval/sigma<SIGMA>)")
    p.add_argument("--check", type=int, default=100, metavar="N",
                   help="without read noise, also run the first N samples through the "
                        "trainer's model and report the agreement (default 100; 0: no check)")
    p.add_argument("--force", action="store_true", help="replace an existing evaluation")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_cd_eval)

    p = sub.add_parser("example", help="learn set I, replay it and print a summary")
    p.add_argument("--out", default="runs/example", metavar="DIR",
                   help="run directory (replaced if it exists; default runs/example)")
    p.add_argument("--episodes", type=_positive_int, default=40)
    p.add_argument("--seed", type=_positive_int, default=1)
    p.set_defaults(func=_cmd_example)
    return parser


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"seqnest: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import contextlib
    import warnings

    from seqnest.pynest_ext.parallel import launcher_rank, launcher_size
    args = _parser().parse_args(argv)
    refused = _one_process_only(args) if launcher_size() > 1 else None
    if refused is not None:
        if launcher_rank() == 0:
            print(f"seqnest: error: {refused}", file=sys.stderr)
        return 2
    # under mpirun every rank runs the command; rank 0 prints (and writes) for all
    quiet = open(os.devnull, "w") if launcher_rank() > 0 else None
    if quiet is not None and hasattr(args, "no_progress"):
        args.no_progress = True
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet or sys.stdout):
        warnings.showwarning = _warn_one_line
        try:
            return _run(args)
        finally:
            if quiet is not None:
                quiet.close()


#: Commands that run across MPI processes (the sequence network gathers every rank's
#: data; `build` compiles once under a lock); every other one is refused under mpirun.
_ACROSS_PROCESSES = {"build", "learn", "replay", "example"}


def _one_process_only(args: argparse.Namespace) -> str | None:
    """Why ``args`` cannot run under an MPI launcher of several processes (None: it can)."""
    from seqnest.pynest_ext.parallel import launcher_size, one_process_refusal
    what = f"seqnest {args.command}"
    if args.command == "learn" and getattr(args, "inputs", None):
        what = f"seqnest learn --inputs {args.inputs}"
    elif args.command in _ACROSS_PROCESSES:
        return None
    return one_process_refusal(what, launcher_size(),
                               across="the sequence network (seqnest learn, replay, example)")


class _Interrupts:
    """Whether Ctrl-C was pressed: a library that catches the KeyboardInterrupt
    inside its own code (HDF5, plotting, NEST) and raises something else instead
    must still end the command as interrupted, not as an error."""

    seen = False

    @classmethod
    def handler(cls, signum, frame):
        cls.seen = True
        raise KeyboardInterrupt

    @classmethod
    def install(cls):
        """Install the handler (main thread, default handler only); returns a restorer."""
        import signal
        import threading
        cls.seen = False
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, cls.handler)
            return lambda: signal.signal(signal.SIGINT, signal.default_int_handler)
        return lambda: None


def _interrupted() -> int:
    print("seqnest: interrupted", file=sys.stderr)
    return 130


def _run(args: argparse.Namespace) -> int:
    restore = _Interrupts.install()
    try:
        return _dispatch(args)
    finally:
        restore()


def _dispatch(args: argparse.Namespace) -> int:
    from seqnest.pynest_ext import BuildError, ParameterError
    try:
        return args.func(args)
    except ParameterError as exc:
        if _Interrupts.seen:
            return _interrupted()
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        if _Interrupts.seen:
            return _interrupted()
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if _Interrupts.seen:
            return _interrupted()
        if type(exc).__module__.split(".")[0] in ("nest", "NESTErrors", "nestkernel_api"):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"seqnest: error: NEST: {first}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        return _interrupted()


if __name__ == "__main__":
    sys.exit(main())
