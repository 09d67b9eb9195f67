# SPDX-License-Identifier: GPL-2.0-or-later
"""Learn and replay named sequence sets over several seeds; print the results table and
draw the learning curves (mean and spread over seeds).

    python bench/learning_sets.py --task set1 --seeds 1 2 3 4 5 --episodes 40 --out runs/bench
    python bench/learning_sets.py --paper --seeds 211 223 227 229 233 --out runs/bench-paper \\
        --table docs/learning_sets.md --figure docs/figures/learning_sets.png

``--paper`` runs the study's protocol for each named set: sets I, II and III
(85 episodes; set I 40) over ``--seeds``, task 4 over the first two of them
(200 episodes). Each (task, seed) runs as ``seqnest learn`` then ``seqnest
replay`` in its own process (one NEST kernel each, ``--threads`` threads),
``--jobs`` at a time: the same commands a user runs. For every run the table
gives the first episode with error < 0.01, the episode from which the error
stays below it, the episodes above it after the first convergence, the mean
(max) error and mean active fraction of the last ``tail`` episodes (10; 20 for
task 4), the final error, replay correctness and the time; then, per set, how
many seeds stayed converged, and for runs that did not, the sequences still
wrong in the last episode. ``--table`` writes the table as Markdown,
``--figure`` the curves (error and active fraction per episode: mean over
seeds, the band from the lowest to the highest seed).
"""
from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

#: The study's protocol per set (Bouhadjar et al. 2022): episodes, and the tail over
#: which the error must stay converged and the active fraction is averaged.
PAPER_TASKS = {"set1": (40, 10), "set2": (85, 10), "set3": (85, 10), "task4": (200, 20)}
#: task 4 runs over this many of the seeds (it is three times as long per episode)
TASK4_SEEDS = 2


@functools.lru_cache(maxsize=1)
def _module_key() -> str:
    from seqnest.pynest_ext.buildcache import build_key
    return build_key()[0]


def is_current(run_dir: Path, task: str, options: list[str], episodes: int, seed: int,
               synapse: str | None = None) -> bool:
    """Whether ``run_dir`` holds a finished run trained with the present NESTML models
    (module key) and the configuration these options give today (its hash): a run
    made before a model or a default changed is trained again, not reused."""
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.temporal_memory.rundir import load_config
    try:
        env = json.loads((run_dir / "env.json").read_text())
        if not (run_dir / "metrics.json").is_file() or env.get("module_key") != _module_key():
            return False
        wanted = resolve_config(task=task, synapse=synapse, set_options=options,
                                episodes=episodes, seed=seed)
        return load_config(run_dir).hash() == wanted.hash()
    except (OSError, ValueError, KeyError):
        return False


def _load(task: str, seed: int, run_dir: Path) -> dict:
    from seqnest.sequences.temporal_memory.metrics import with_stability
    # a run older than these keys: the same summary from its curve
    m = with_stability(json.loads((run_dir / "metrics.json").read_text()))
    r = json.loads((run_dir / "replay" / "replay.json").read_text())
    return {"task": task, "seed": seed, "metrics": m, "replay": r, "dir": str(run_dir)}


def run_one(task: str, seed: int, episodes: int, out: Path, extra: list[str],
            threads: int = 1, tail: int | None = None, reuse: bool = False) -> dict:
    """``seqnest learn`` then ``seqnest replay`` for one (task, seed); their records.
    With ``reuse``, a run directory that is already complete is read instead."""
    run_dir = out / f"{task}-seed{seed}"
    options = [extra[i + 1] for i in range(len(extra) - 1) if extra[i] == "--set"]
    if reuse and (run_dir / "replay" / "replay.json").is_file() and \
            is_current(run_dir, task, options, episodes, seed):
        return _load(task, seed, run_dir)
    cmd = [sys.executable, "-m", "seqnest"]
    tail_opt = ["--set", f"evaluation.tail_episodes={tail}"] if tail else []
    learn = cmd + ["learn", "--task", task, "--seed", str(seed), "--episodes", str(episodes),
                   "--threads", str(threads), "--out", str(run_dir), "--force",
                   "--no-progress"] + tail_opt + extra
    for step in (learn, cmd + ["replay", str(run_dir)]):
        proc = subprocess.run(step, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"task": task, "seed": seed, "failed": proc.stderr.strip().splitlines()[-1:]}
    return _load(task, seed, run_dir)


def _fmt(x, spec="") -> str:
    return "-" if x is None else format(x, spec)


def stayed(m: dict) -> bool:
    """Error below the threshold in each of the last ``tail_episodes`` episodes."""
    stays = m.get("stays_converged_from")
    return stays is not None and stays <= len(m["error"]) - m["tail_episodes"] + 1


ROW_HEAD = ("set", "seed", "first < 0.01", "stays from", "relapses", "tail error mean (max)",
            "tail active fraction", "final error", "replay", "simulate s", "wall s")


def row(res: dict) -> tuple[str, ...]:
    m, r = res["metrics"], res["replay"]
    return (res["task"], str(res["seed"]), _fmt(m["episodes_to_convergence"]),
            _fmt(m["stays_converged_from"]), str(m["relapses_after_convergence"]),
            f"{m['tail_error_mean']:.3f} ({m['tail_error_max']:.2f})",
            f"{m['tail_active_fraction_mean']:.3f}", f"{m['final_error']:.3f}",
            f"{r['n_correct']}/{r['n_cues']}", f"{m['simulate_time_s']:.1f}",
            f"{m['wall_time_s']:.1f}")


def summary_rows(results: list[dict]) -> list[str]:
    lines = []
    for task in dict.fromkeys(r["task"] for r in results):
        mine = [r for r in results if r["task"] == task and "failed" not in r]
        if not mine:
            continue
        ok = sum(stayed(r["metrics"]) for r in mine)
        sparse = max(r["metrics"]["tail_active_fraction_mean"] for r in mine)
        cues = sum(r["replay"]["n_correct"] for r in mine), sum(r["replay"]["n_cues"] for r in mine)
        tail = mine[0]["metrics"]["tail_episodes"]
        lines.append(f"{task}: {ok} of {len(mine)} seeds below 0.01 in each of the last {tail} "
                     f"episodes; largest tail active fraction {sparse:.3f}; replay "
                     f"{cues[0]} of {cues[1]} cues")
    return lines


def markdown(results: list[dict], command: str) -> str:
    lines = [f"| {' | '.join(ROW_HEAD)} |", "|" + "---|" * len(ROW_HEAD)]
    lines += [f"| {' | '.join(row(r))} |" for r in results if "failed" not in r]
    lines += [f"| {r['task']} | {r['seed']} | failed: {' '.join(r['failed'])} |"
              for r in results if "failed" in r]
    return "\n".join(["# Learning sets: results per seed", "",
                      "Written by `bench/learning_sets.py`; what the columns mean and what the "
                      "numbers showed: [learning_stability](learning_stability.md).", "",
                      f"Command: `{command}`", "", *lines, "",
                      *[f"- {s}" for s in summary_rows(results)], ""])


def draw(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tasks = list(dict.fromkeys(r["task"] for r in results if "failed" not in r))
    fig, axes = plt.subplots(2, len(tasks), figsize=(3.6 * len(tasks), 5.4), squeeze=False,
                             sharey="row")
    for k, task in enumerate(tasks):
        mine = [r["metrics"] for r in results if r["task"] == task and "failed" not in r]
        for ax, key, label in ((axes[0, k], "error", "error"),
                               (axes[1, k], "active_fraction", "active fraction")):
            y = np.array([[np.nan if v is None else v for v in m[key]] for m in mine], float)
            x = np.arange(1, y.shape[1] + 1)
            for curve in y:
                ax.plot(x, curve, color="grey", lw=0.5, alpha=0.5)
            ax.fill_between(x, np.nanmin(y, 0), np.nanmax(y, 0), color="C0", alpha=0.2, lw=0)
            ax.plot(x, np.nanmean(y, 0), color="C0", lw=1.5,
                    label=f"mean of {len(mine)} seeds (band: min-max)")
            ax.set_xlabel("episode")
            if k == 0:
                ax.set_ylabel(label)
        axes[0, k].set_title(task)
        axes[0, k].axhline(0.01, color="k", ls=":", lw=0.8)
        rho_n = mine[0].get("rho_over_n_E")
        if rho_n:
            axes[1, k].axhline(rho_n, color="k", ls=":", lw=0.8)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", action="append", help="repeatable (or --paper)")
    p.add_argument("--paper", action="store_true",
                   help="sets I-III and task 4 with the study's episodes (task 4: 2 seeds)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--episodes", type=int, help="episodes (default: the study's per set)")
    p.add_argument("--threads", type=int, default=1, help="NEST threads per run")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time")
    p.add_argument("--out", type=Path, default=Path("runs/bench"))
    p.add_argument("--table", type=Path, help="write the table (Markdown) here")
    p.add_argument("--figure", type=Path, help="write the learning curves (PNG) here")
    p.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE")
    p.add_argument("--reuse", action="store_true",
                   help="read run directories that are complete instead of running them again "
                        "(continue an interrupted bench, or redraw its table and figure)")
    args = p.parse_args(argv)
    tasks = list(PAPER_TASKS) if args.paper else (args.task or [])
    if not tasks:
        p.error("give --task (repeatable) or --paper")
    unknown = [t for t in tasks if t not in PAPER_TASKS and args.episodes is None]
    if unknown:
        p.error(f"--episodes is needed for {unknown[0]}")
    extra = [x for s in args.set for x in ("--set", s)]
    jobs = []
    for task in tasks:
        episodes, tail = PAPER_TASKS.get(task, (args.episodes, None))
        episodes = args.episodes or episodes
        seeds = args.seeds[:TASK4_SEEDS] if (task == "task4" and args.paper) else args.seeds
        jobs += [(task, s, episodes, tail) for s in seeds]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda j: run_one(j[0], j[1], j[2], args.out, extra,
                                                  args.threads, j[3], args.reuse), jobs))
    for res in results:
        if "failed" not in res:
            cfg = json.loads((Path(res["dir"]) / "params.json").read_text())["params"]
            res["metrics"]["rho_over_n_E"] = cfg["network"]["rho"] / cfg["network"]["n_E"]
    widths = [max(len(h), 6) for h in ROW_HEAD]
    print("  ".join(h.rjust(w) for h, w in zip(ROW_HEAD, widths)))
    for res in results:
        if "failed" in res:
            print(f"{res['task']:>6} {res['seed']:>6}  FAILED: {res['failed']}")
        else:
            print("  ".join(c.rjust(w) for c, w in zip(row(res), widths)))
    print()
    for line in summary_rows(results):
        print(line)
    for res in results:
        if "failed" in res or res["metrics"]["final_error"] < 0.01:
            continue
        m = res["metrics"]
        ps = m["per_sequence"]
        print(f"\n{res['task']} seed {res['seed']}: sequences still wrong in the last episode")
        for seq, err, fp, fn in zip(m["sequences"], ps["error"][-1],
                                    ps["false_positive_elements"][-1], ps["false_negatives"][-1]):
            if err > 0:
                miss = "last element not predicted" if fn > 0 else ""
                wrong = f"also predicted {' '.join(fp)}" if fp else ""
                print(f"  {seq}: error {err:.2f} {miss} {wrong}".rstrip())
    for res in results:
        if "failed" in res:
            continue
        for c in res["replay"]["cues"]:
            if not c["correct"]:
                print(f"{res['task']} seed {res['seed']}: cue {c['cue']} replayed "
                      f"{' '.join(c['decoded']) or '(nothing)'} instead of "
                      f"{' '.join(c['expected'])}")
    # the command that runs everything (--reuse only reads what it wrote)
    command = "python bench/learning_sets.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--reuse")
    if args.table:
        tmp = args.table.with_name(f".{args.table.name}.tmp")
        tmp.write_text(markdown(results, command))
        tmp.replace(args.table)
        print(f"table: {args.table}")
    if args.figure:
        draw(results, args.figure)
        print(f"figure: {args.figure}")
    return 0 if all("failed" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
