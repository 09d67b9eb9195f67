# SPDX-License-Identifier: GPL-2.0-or-later
"""What the stop-learning gate buys: retention of set I after training a second set.

    python bench/tristate_retention.py [--seeds 1 2 3] [--episodes 40] [--second "A D B C; F D B E"]

For each seed: train set I with the tristate_stm synapse (``seqnest learn``);
continue training that network on a second set that shares its elements
(``seqnest learn --resume``), once with the postsynaptic stop-learning gate
(``synapse.stop_learning=1``) and once without; then present set I to each
resulting network with every rate and drift set to zero (a frozen network, so
the measurement does not change it) and replay set I from that run
(``seqnest replay``). Printed per seed and gate: set I's error after its own
training, the second set's final error, set I's error after the second set with
its false negatives (set-I last elements no longer predicted: forgotten) and
false positives (second-set predictions added), the set-I cues replayed
correctly, the synapses matured during the second set and the fraction of
neurons whose gate is closed at its end. These are the commands a user runs, in
separate processes.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

#: Rates and drift at zero: presenting set I measures the network without changing it.
FROZEN = ["synapse.lambda_plus=0", "synapse.lambda_minus=0", "synapse.lambda_h=0",
          "synapse.alpha=0", "synapse.beta=0"]


def seqnest(*args: str) -> None:
    cmd = [sys.executable, "-m", "seqnest", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{proc.stderr.strip()}")


def sets(options: list[str]) -> list[str]:
    return [x for o in options for x in ("--set", o)]


def metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--episodes", type=int, default=40, help="episodes of each set")
    p.add_argument("--second", default="A D B C; F D B E",
                   help="the second set (elements of set I only)")
    p.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE",
                   help="extra options for both training stages")
    p.add_argument("--out", type=Path, default=Path("runs/tristate-retention"))
    args = p.parse_args(argv)
    ep = str(args.episodes)
    rows = []
    for seed in args.seeds:
        first = args.out / f"seed{seed}" / "set1"
        seqnest("learn", "--synapse", "tristate_stm", "--task", "set1", "--seed", str(seed),
                "--episodes", ep, "--out", str(first), "--force", "--no-progress",
                *sets(args.set))
        for gate in (1, 0):
            second = first.parent / f"second-gate{gate}"
            seqnest("learn", "--resume", str(first), "--sequences", args.second, "--episodes", ep,
                    "--out", str(second), "--force", "--no-progress",
                    *sets(args.set + [f"synapse.stop_learning={gate}"]))
            test = first.parent / f"test-gate{gate}"
            seqnest("learn", "--resume", str(second), "--task", "set1", "--episodes", "1",
                    "--out", str(test), "--force", "--no-progress", *sets(FROZEN))
            seqnest("replay", str(test))
            replay = json.loads((test / "replay" / "replay.json").read_text())
            gate_state = np.load(second / "neuron_state.npz")["learn_on"]
            m2, mt = metrics(second), metrics(test)
            rows.append((seed, gate, metrics(first)["final_error"], m2["final_error"],
                         mt["error"][0], mt["false_negatives"][0], mt["false_positives"][0],
                         replay["n_correct"], replay["n_cues"],
                         m2["mature_synapses_final"] - m2["mature_synapses_initial"],
                         float(np.mean(gate_state == 0))))
    print(f"second set: {args.second}; {args.episodes} episodes per set")
    print(f"{'seed':>4} {'gate':>4} {'set I':>6} {'second':>7} {'set I after':>12} {'FN':>5} "
          f"{'FP':>5} {'replay':>7} {'new mature':>11} {'closed':>7}")
    for seed, gate, e1, e2, after, fn, fp, ok, n, grown, closed in rows:
        print(f"{seed:4d} {'on' if gate else 'off':>4} {e1:6.2f} {e2:7.2f} {after:12.2f} "
              f"{fn:5.2f} {fp:5.2f} {ok:>4d}/{n:<2d} {grown:11d} {closed:7.2f}")
    for gate in (1, 0):
        mine = [r for r in rows if r[1] == gate]
        print(f"gate {'on ' if gate else 'off'}: set I after the second set: error "
              f"{np.mean([r[4] for r in mine]):.2f}, false negatives "
              f"{np.mean([r[5] for r in mine]):.2f}, false positives "
              f"{np.mean([r[6] for r in mine]):.2f} (means); replay "
              f"{sum(r[7] for r in mine)}/{sum(r[8] for r in mine)}; second set error "
              f"{np.mean([r[3] for r in mine]):.2f}; synapses matured "
              f"{np.mean([r[9] for r in mine]):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
