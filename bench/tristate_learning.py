# SPDX-License-Identifier: GPL-2.0-or-later
"""Sets I, II and III with the tristate_stm synapse beside the stdsp and 3-level ReRAM synapses.

    python bench/tristate_learning.py [--tasks set1] [--seeds 1 2 3 4 5] [--episodes 40] [--jobs 2]
    python bench/tristate_learning.py --tasks set2 --synapses tristate_stm --seeds 5 6 7 --episodes 130
    python bench/tristate_learning.py --tasks set3 --synapses tristate_stm --seeds 5 --episodes 130

For each task, synapse (stdsp; reram with 3 conductance levels; tristate_stm)
and seed, ``seqnest learn --task TASK`` then ``seqnest replay`` in their own
processes (``bench/learning_sets.py``), with the values the kind derives from
the task (tristate_stm: the drift, the same per pass over the set as set I's).
One table per task: seeds reaching error < 0.05, the first episode with error <
0.05 per seed, mean final error, cues replayed correctly, the fraction of E->E
synapses in each stable state after learning (stdsp: below / above theta_P;
reram: its three levels; tristate_stm: the basins of its three levels), the
drift alpha, bits of plastic state per synapse and the simulator's resident
memory per synapse (``bench/synapse_memory.py``).
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from learning_sets import run_one
from synapse_memory import measure

from seqnest.sequences.temporal_memory.metrics import episodes_to_convergence
from seqnest.sequences.rundir import load_connectivity_arrays
from seqnest.sequences.temporal_memory.rundir import load_config

#: name -> (synapse kind, --set options)
SYNAPSES = {
    "stdsp": ("stdsp", []),
    "reram, 3 levels": ("reram", ["synapse.levels=3"]),
    "tristate_stm": ("tristate_stm", []),
}


def state_fractions(kind: str, run_dir: Path) -> str:
    cfg = load_config(run_dir)
    state = load_connectivity_arrays(run_dir)["permanence"]
    syn = cfg.synapse
    if kind == "tristate_stm":
        level = syn.nearest_level(state)
        parts = [np.mean(level == v) for v in syn.levels()]
    elif kind == "reram":
        k = np.rint(state / syn.nominal_step)
        parts = [np.mean(k == i) for i in range(int(syn.levels))]
    else:
        parts = [np.mean(state < syn.theta_P), np.mean(state >= syn.theta_P)]
    return " / ".join(f"{100 * p:.2f}" for p in parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=["set1"], choices=["set1", "set2", "set3"])
    p.add_argument("--synapses", nargs="+", default=list(SYNAPSES), choices=list(SYNAPSES),
                   metavar="NAME", help=f"of: {'; '.join(SYNAPSES)}")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("runs/tristate-learning"))
    args = p.parse_args(argv)
    jobs = [(task, name, seed) for task in args.tasks for name in args.synapses
            for seed in args.seeds]

    def one(job):
        task, name, seed = job
        kind, options = SYNAPSES[name]
        extra = [x for o in [f"run.synapse={kind}", *options] for x in ("--set", o)]
        return task, name, run_one(task, seed, args.episodes, args.out / name.replace(", ", "-")
                                   .replace(" ", "_"), extra)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, jobs))
    for task in args.tasks:
        print(f"{task}, {args.episodes} episodes, seeds {' '.join(map(str, args.seeds))}")
        print(f"{'synapse':16} {'< 0.05':>7} {'first < 0.05':>14} {'error':>6} {'replay':>7} "
              f"{'states (% of synapses)':>26} {'alpha /s':>9} {'bits':>5} {'bytes':>6}")
        for name in args.synapses:
            kind = SYNAPSES[name][0]
            mine = [r for t, n, r in results if n == name and t == task]
            failed = [r for r in mine if "failed" in r]
            if failed:
                print(f"{name:16} FAILED: {failed[0]['failed']}")
                continue
            errors = [r["metrics"]["final_error"] for r in mine]
            firsts = ",".join(str(episodes_to_convergence(r["metrics"]["error"], 0.05) or "-")
                              for r in mine)
            ok = sum(r["replay"]["n_correct"] for r in mine)
            cues = sum(r["replay"]["n_cues"] for r in mine)
            fractions = state_fractions(kind, Path(mine[0]["dir"]))
            nbytes = measure(kind)["bytes_per_synapse"]    # the kind's default parameters
            cfg = load_config(mine[0]["dir"])
            bits = cfg.synapse.state_bits
            alpha = f"{cfg.synapse.alpha:.4f}" if "alpha" in cfg.synapse else "-"
            print(f"{name:16} {sum(e < 0.05 for e in errors):>3}/{len(mine):<3} {firsts:>14} "
                  f"{np.mean(errors):6.2f} {ok:>3}/{cues:<3} {fractions:>26} {alpha:>9} "
                  f"{'64' if bits >= 64 else f'{bits:.2f}':>5} {nbytes:6.0f}")
        print("states: seed", args.seeds[0], "- stdsp: immature / mature; reram and "
              "tristate_stm: low / middle / high level")
    return 0


if __name__ == "__main__":
    sys.exit(main())
