# SPDX-License-Identifier: GPL-2.0-or-later
"""Train the sequence network on set I, replay it and write its report, from Python.

The same steps as ``seqnest learn``, ``seqnest replay`` and ``seqnest report``,
as a notebook would run them, plus a learning curve drawn from the run
directory. Paper size (n_E = 150, 40 episodes) takes about 15 s of simulation.

    python examples/train_replay_report.py --out runs/example-set1
"""
import argparse

import matplotlib

import seqnest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/example-set1", help="run directory to write")
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--n-E", type=int, default=150, help="neurons per subpopulation")
    p.add_argument("--rho", type=int, default=20, help="neurons per sparse code")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--force", action="store_true", help="replace an earlier run in --out")
    args = p.parse_args()

    result = seqnest.learn(args.out, task="set1", episodes=args.episodes, seed=args.seed,
                           params={"network": {"n_E": args.n_E, "rho": args.rho}},
                           force=args.force, progress=True)
    print(f"prediction error per episode: {[round(e, 2) for e in result.metrics['error']]}")

    cues, summary = seqnest.replay(args.out)
    for cue in cues:
        print(f"cue {cue.cue}: replayed {' '.join(cue.decoded)} "
              f"({'correct' if cue.correct else 'wrong'})")

    metrics = seqnest.load_metrics(args.out)
    fig, ax = plt.subplots(figsize=(5, 3), constrained_layout=True)
    ax.plot(range(1, len(metrics["error"]) + 1), metrics["error"], "o-", label="prediction error")
    ax.set_xlabel("episode")
    ax.set_ylabel("error")
    ax.legend()
    fig.savefig(f"{args.out}/learning_curve.svg")

    block = seqnest.load_spikes(args.out)          # neo.Block: training and replay segments
    print(f"neo segments: {[seg.name for seg in block.segments]}")
    print(f"report: {seqnest.report(args.out)}")


if __name__ == "__main__":
    main()
