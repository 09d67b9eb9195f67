# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest report`` (a run of any family, a replay or a sweep), ``seqnest export``
(a temporal-memory run to NIX) and ``seqnest sweep``."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import seqnest
from seqnest.cli import common
from seqnest.cli.common import positive_int
from seqnest.params import ParameterError

__all__ = ["add_parsers"]


def _cmd_report(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    page = seqnest.report(args.run_dir, args.out)
    print(f"report written to {page} ({time.perf_counter() - started:.1f} s); "
          f"figures in {page.parent / 'report'}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    path = seqnest.export(args.run_dir, args.out, format=args.format, force=args.force)
    print(f"exported {args.run_dir} to {path} ({path.stat().st_size / 2**20:.1f} MB, "
          f"{time.perf_counter() - started:.1f} s); read it with neo.io.NixIO or "
          "seqnest.read_export")
    return 0


def _describe_search(spec) -> list[str]:
    """What ``seqnest tune --dry-run`` prints of a checked spec."""
    sweep = spec.sweep
    aims = "; ".join(f"{k} ({d})" for k, d in spec.objectives)
    seeds = ", ".join(map(str, spec.seeds))
    lines = [f"search of the {sweep.family.name} family ({sweep.task or 'custom sequences'}): "
             f"{len(spec.dimensions)} parameters; objective"
             f"{'s (a Pareto front)' if spec.multi else ''} {aims}, the mean over seeds "
             f"{seeds}; {spec.trials} trials = up to {spec.trials * len(spec.seeds)} runs of "
             f"{sweep.episodes} {sweep.family.episode_word}s"]
    for d in spec.dimensions:
        what = (f"one of {', '.join(map(str, d.choices))}" if d.choices is not None else
                f"{d.low:g} to {d.high:g}" + (" (log)" if d.log else "")
                + (" (whole numbers)" if d.integer else ""))
        lines.append(f"  {d.key:<28} {what}")
    sampler = spec.sampler
    lines.append(f"sampler: TPE, {sampler.get('startup_trials', 10)} random trials first, "
                 + ("parameters modelled jointly" if sampler.get("multivariate") else
                    "parameters modelled one by one") + f", seed {spec.sampler_seed}")
    p = spec.pruner
    if p is None:
        lines.append("pruner: none (every trial runs to its end)")
    else:
        rule = {"median": "worse than the median of the finished trials",
                "percentile": f"worse than their {p.percentile:g}th percentile",
                "threshold": "outside "
                             + " and ".join(f"{k} {v:g}" for k, v in (("lower", p.lower),
                                                                      ("upper", p.upper))
                                            if v is not None)}[p.type]
        lines.append(f"pruner: {p.type}: a trial whose {p.curve} ({p.better}; mean over its "
                     f"seeds" + (f", each the mean of its last {p.smooth}" if p.smooth > 1
                                 else "") + f") is {rule} stops, from {sweep.family.episode_word} "
                     f"{p.warmup_episodes}, every {p.interval}"
                     + (f", after {p.patience} {sweep.family.episode_word}s without improvement"
                        if p.patience
                        else "")
                     + (f"; after {p.startup_trials} finished trials"
                        if p.type != "threshold" else ""))
    if spec.warm_start is not None:
        lines.append(f"warm start: the finished trials of {spec.warm_start} "
                     "(when the study is new)")
    v = spec.validate
    if v is not None:
        lines.append(f"validate: the {v.top} best finished trials rescored on seeds "
                     f"{', '.join(map(str, v.seeds))} ({v.episodes or sweep.episodes} "
                     f"{sweep.family.episode_word}s); the best there becomes best_config.json")
    return lines


def _cmd_tune(args: argparse.Namespace) -> int:
    if args.dry_run:
        plan = seqnest.tune_plan(args.spec, workers=args.workers)
        print("\n".join(_describe_search(plan["spec"])))
        print("job script for --cluster slurm:")
        print(plan["job_script"])
        return 0
    if args.out is None:
        raise ParameterError("seqnest tune needs --out DIR (or --dry-run)")
    started = time.perf_counter()
    summary = seqnest.tune(args.spec, args.out, trials=args.trials, cluster=args.cluster,
                           workers=args.workers, progress=not args.no_progress,
                           module=common.module)
    best = summary["best"]
    print(f"{summary['trials']} trials finished ({summary['ran']} now, {summary['pruned']} "
          f"pruned in all, "
          f"{time.perf_counter() - started:.1f} s); study: {Path(args.out) / 'study.journal'}")
    cost = summary.get("cost")
    if cost and cost["percent_of_runs"] is not None:
        print(f"the search's own cost: {cost['per_trial_s']:.3g} s per trial, "
              f"{cost['percent_of_runs']:.2g} % of its runs' time")
    front = summary.get("pareto")
    if front:
        print(f"Pareto front: {len(front)} trials ({', '.join(str(t['number']) for t in front)});"
              f" their values: {Path(args.out) / 'pareto'}/trial-N.json (seqnest learn --config)")
    elif summary.get("validation") is not None:
        _print_validation(summary, Path(args.out))
    elif best is not None:
        print(f"best: trial {best['number']}, objective {best['value']:.4g}; its values: "
              f"{Path(args.out) / 'best_config.json'} (seqnest learn --config)")
        if summary.get("validation_waits"):
            print(f"the best trials are rescored on unseen seeds once the study has its "
                  f"{summary['validation_waits']} trials")
    elif summary["complete"]:
        print("no finished trial meets the spec's constraints yet")
    return 0


def _print_validation(summary: dict, out: Path) -> None:
    """The rescored trials of a search with ``validate`` and the one chosen."""
    v, best = summary["validation"], summary["best"]
    if best is not None:
        print(f"best of the search: trial {best['number']}, objective {best['value']:.4g}")
    if not v["trials"]:
        print("no finished trial meets the spec's constraints yet: nothing rescored")
        return
    shown = ", ".join(f"trial {r['trial']} "
                      + ("failed" if r["mean"] is None else f"{r['mean']:.4g}")
                      for r in v["trials"])
    print(f"rescored on seeds {', '.join(map(str, v['seeds']))} "
          f"({v['episodes']} {v['episode_word']}s): {shown}; table: {out / 'validation.csv'}")
    if v["best"] is not None:
        print(f"best on the unseen seeds: trial {v['best']['trial']}, {v['best']['mean']:.4g};"
              f" its values: {out / 'best_config.json'} (seqnest learn --config)")


def _cmd_sweep(args: argparse.Namespace) -> int:
    if args.dry_run:
        plan = seqnest.sweep_plan(args.spec, workers=args.workers)   # validates every point
        print(f"{plan['points']} points; job script for --cluster slurm:")
        print(plan["job_script"])
        return 0
    if args.out is None:
        raise ParameterError("seqnest sweep needs --out DIR (or --dry-run)")
    started = time.perf_counter()
    # the sweep checks its points, SLURM and the output before it writes, then builds once
    summary = seqnest.sweep(args.spec, args.out, cluster=args.cluster, workers=args.workers,
                            progress=not args.no_progress, module=common.module)
    print(f"{summary['points']} points: ran {summary['ran']}, reused {summary['reused']}, "
          f"failed {len(summary['failed'])} ({time.perf_counter() - started:.1f} s)")
    print(f"results: {Path(args.out) / 'results.csv'}; failures: "
          f"{Path(args.out) / 'failures.json'}")
    return 0 if not summary["failed"] else 1


def add_parsers(sub) -> None:
    """The commands on run and sweep directories: report, sweep."""
    p = sub.add_parser("report", help="write RUN_DIR/report.html for a run or a sweep "
                                      "directory (no NEST needed)")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory or a sweep directory")
    p.add_argument("--out", metavar="DIR", help="write report.html and report/ here "
                   "(default: into RUN_DIR, which may then be read-only)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("export", help="write a temporal-memory run (spikes, dAP onsets, "
                                      "replays, connectivity) to one NIX file (no NEST needed)")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a temporal-memory run directory")
    p.add_argument("--format", choices=["nix"], default="nix", help="file format (nix)")
    p.add_argument("--out", metavar="FILE.nix",
                   help="the file to write (default RUN_DIR/export.nix)")
    p.add_argument("--force", action="store_true",
                   help="replace FILE if it is an export seqnest wrote")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("tune", help="search parameters with Optuna on the sweep's cluster "
                                    "(continues a study in --out)")
    p.add_argument("spec", metavar="SPEC", help="tune spec (YAML, JSON or TOML): a sweep "
                   "spec with search, objective, seeds and trials instead of vary")
    p.add_argument("--out", metavar="DIR", help="tune directory (continued if it holds this "
                   "spec's study)")
    p.add_argument("--trials", type=positive_int, help="trials to have finished (default: "
                   "the spec's)")
    p.add_argument("--cluster", choices=["local", "slurm"], default="local")
    p.add_argument("--workers", type=positive_int, default=2,
                   help="trials at once: local worker processes or SLURM jobs (default 2)")
    p.add_argument("--dry-run", action="store_true", help="check the spec, print the search "
                   "and the SLURM job script; run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_tune)

    p = sub.add_parser("sweep", help="run a parameter sweep on Dask (local or SLURM)")
    p.add_argument("spec", metavar="SPEC", help="sweep spec (YAML, JSON or TOML)")
    p.add_argument("--out", metavar="DIR", help="sweep directory (existing points are reused)")
    p.add_argument("--cluster", choices=["local", "slurm"], default="local")
    p.add_argument("--workers", type=positive_int, default=2,
                   help="worker processes (local) or SLURM jobs (default 2)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the spec and print the SLURM job script; run nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)
