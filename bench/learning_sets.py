# SPDX-License-Identifier: GPL-2.0-or-later
"""Learn and replay named sequence sets over several seeds; print a results table.

    python bench/learning_sets.py --task set1 --seeds 1 2 3 4 5 --episodes 40 --out runs/bench
    python bench/learning_sets.py --task set2 --seeds 1 2 --episodes 85 --jobs 2 --out runs/bench

Each (task, seed) runs as `seqnest learn` then `seqnest replay` in its own
process (one NEST kernel each), ``--jobs`` at a time. For every run the table
gives episodes to convergence, final error, false positives/negatives, the
active fraction of the last elements, replay correctness, simulate time and
peak memory; for runs that do not converge it lists the failing sequences with
their wrongly predicted elements.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def run_one(task: str, seed: int, episodes: int, out: Path, extra: list[str]) -> dict:
    run_dir = out / f"{task}-seed{seed}"
    cmd = [sys.executable, "-m", "seqnest"]
    learn = cmd + ["learn", "--task", task, "--seed", str(seed), "--episodes", str(episodes),
                   "--out", str(run_dir), "--force", "--no-progress"] + extra
    for step in (learn, cmd + ["replay", str(run_dir)]):
        proc = subprocess.run(step, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"task": task, "seed": seed, "failed": proc.stderr.strip().splitlines()[-1:]}
    m = json.loads((run_dir / "metrics.json").read_text())
    r = json.loads((run_dir / "replay" / "replay.json").read_text())
    return {"task": task, "seed": seed, "metrics": m, "replay": r, "dir": str(run_dir)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", action="append", required=True, help="repeatable")
    p.add_argument("--seeds", type=int, nargs="+", default=[1])
    p.add_argument("--episodes", type=int, required=True)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("runs/bench"))
    p.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE")
    args = p.parse_args(argv)
    extra = [x for s in args.set for x in ("--set", s)]
    jobs = [(t, s) for t in args.task for s in args.seeds]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda ts: run_one(ts[0], ts[1], args.episodes, args.out, extra),
                                jobs))
    head = (f"{'task':6} {'seed':>4} {'conv':>5} {'error':>6} {'FP':>5} {'FN':>5} {'act':>5} "
            f"{'replay':>7} {'sim s':>7} {'RSS MB':>7}")
    print(head)
    print("-" * len(head))
    for res in results:
        if "failed" in res:
            print(f"{res['task']:6} {res['seed']:>4}  FAILED: {res['failed']}")
            continue
        m, r = res["metrics"], res["replay"]
        conv = m["episodes_to_convergence"]
        print(f"{res['task']:6} {res['seed']:>4} {conv if conv else '-':>5} {m['final_error']:6.3f} "
              f"{m['false_positives'][-1]:5.2f} {m['false_negatives'][-1]:5.2f} "
              f"{m['active_fraction'][-1]:5.2f} {r['n_correct']:>3}/{r['n_cues']:<3} "
              f"{m['simulate_time_s']:7.1f} {m['peak_rss_mb']:7.0f}")
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
        wrong = [c for c in res["replay"]["cues"] if not c["correct"]]
        for c in wrong:
            print(f"{res['task']} seed {res['seed']}: cue {c['cue']} replayed "
                  f"{' '.join(c['decoded']) or '(nothing)'} instead of {' '.join(c['expected'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
