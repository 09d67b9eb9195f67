# SPDX-License-Identifier: GPL-2.0-or-later
"""Set I with the tristate_stm synapse beside the stdsp and 3-level ReRAM synapses.

    python bench/tristate_learning.py [--seeds 1 2 3 4 5] [--episodes 40] [--jobs 2]

For each synapse (stdsp; reram with 3 conductance levels; tristate_stm) and
seed, ``seqnest learn --task set1`` then ``seqnest replay`` in their own
processes (``bench/learning_sets.py``). One table: seeds reaching error < 0.05,
episodes to convergence, mean final error, cues replayed correctly, the
fraction of E->E synapses in each stable state after learning (stdsp: below /
above theta_P; reram: its three levels; tristate_stm: the basins of its three
levels), bits of plastic state per synapse and the simulator's resident memory
per synapse (``bench/synapse_memory.py``).
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from learning_sets import run_one
from synapse_memory import measure

from seqnest.sequences.rundir import load_config, load_connectivity_arrays

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
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("runs/tristate-learning"))
    args = p.parse_args(argv)
    jobs = [(name, seed) for name in SYNAPSES for seed in args.seeds]

    def one(job):
        name, seed = job
        kind, options = SYNAPSES[name]
        extra = [x for o in [f"run.synapse={kind}", *options] for x in ("--set", o)]
        return name, run_one("set1", seed, args.episodes, args.out / name.replace(", ", "-")
                             .replace(" ", "_"), extra)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, jobs))
    print(f"set I, {args.episodes} episodes, seeds {' '.join(map(str, args.seeds))}")
    print(f"{'synapse':16} {'learned':>7} {'episodes':>9} {'error':>6} {'replay':>7} "
          f"{'states (% of synapses)':>26} {'bits':>5} {'bytes':>6}")
    for name in SYNAPSES:
        kind = SYNAPSES[name][0]
        mine = [r for n, r in results if n == name]
        failed = [r for r in mine if "failed" in r]
        if failed:
            print(f"{name:16} FAILED: {failed[0]['failed']}")
            continue
        errors = [r["metrics"]["final_error"] for r in mine]
        conv = [r["metrics"]["episodes_to_convergence"] for r in mine]
        conv = [c for c in conv if c is not None]
        ok = sum(r["replay"]["n_correct"] for r in mine)
        cues = sum(r["replay"]["n_cues"] for r in mine)
        fractions = state_fractions(kind, Path(mine[0]["dir"]))
        nbytes = measure(kind)["bytes_per_synapse"]    # the kind's default parameters
        bits = load_config(mine[0]["dir"]).synapse.state_bits
        span = f"{min(conv)}-{max(conv)}" if conv else "-"
        print(f"{name:16} {sum(e < 0.05 for e in errors):>3}/{len(mine):<3} {span:>9} "
              f"{np.mean(errors):6.2f} {ok:>3}/{cues:<3} {fractions:>26} "
              f"{'64' if bits >= 64 else f'{bits:.2f}':>5} {nbytes:6.0f}")
    print("states: seed", args.seeds[0], "- stdsp: immature / mature; reram and tristate_stm: "
          "low / middle / high level")
    return 0


if __name__ == "__main__":
    sys.exit(main())
