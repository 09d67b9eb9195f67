# SPDX-License-Identifier: GPL-2.0-or-later
"""What checkpoints cost a training run: `seqnest learn` with and without them.

    python bench/checkpoint_cost.py [--task set2] [--episodes 85] [--threads 2]
                                    [--seed 7] [--every 10 5] [--out runs/checkpoint-cost]

Runs the user's command (``seqnest learn``, recorders, evaluation and the run
directory included) with ``--no-checkpoint``, with the default interval
(every 10 minutes of wall-clock time), and with a checkpoint every N episodes
for each N of ``--every``; prints the command's wall time, the time spent
writing checkpoints (``metrics.json``: ``checkpoints.time_s``, reading the
synapses and the neurons, merging the curves and spikes so far, writing the
file), its share of the run's training time, and the size of one checkpoint
file (written after episode ``--episodes`` - 1 of a separate run, which is then
killed: a finished run removes its checkpoint). The same seed everywhere: the
learning curves must be identical.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _learn(args, out: Path, extra: list[str]) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "seqnest", "learn", "--task", args.task, "--episodes",
           str(args.episodes), "--threads", str(args.threads), "--seed", str(args.seed),
           "--out", str(out), "--force", "--no-progress", *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, json.loads((out / "metrics.json").read_text())


def _checkpoint_size(args, out: Path) -> float:
    """MB of a checkpoint written after most of the run (a SIGTERM stops the run
    once its first checkpoint, near the end, is there)."""
    ckpt = out.parent / f".{out.name}.checkpoint.npz"
    ckpt.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "seqnest", "learn", "--task", args.task, "--episodes",
           str(args.episodes), "--threads", str(args.threads), "--seed", str(args.seed),
           "--out", str(out), "--no-progress", "--checkpoint-every", str(args.episodes - 1)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ckpt.is_file() and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    size = ckpt.stat().st_size / 2**20 if ckpt.is_file() else float("nan")
    ckpt.unlink(missing_ok=True)
    return size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="set2")
    p.add_argument("--episodes", type=int, default=85)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--every", type=int, nargs="*", default=[10, 5])
    p.add_argument("--out", type=Path, default=Path("runs/checkpoint-cost"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    runs = {"no checkpoints": ["--no-checkpoint"], "default (every 10 min)": []}
    runs.update({f"every {n} episodes": ["--checkpoint-every", str(n)] for n in args.every})
    rows, curves = {}, {}
    for i, (label, extra) in enumerate(runs.items()):
        wall, m = _learn(args, args.out / f"run{i}", extra)
        ck = m.get("checkpoints") or {"written": 0, "time_s": 0.0}
        train_s = m["wall_time_s"]
        rows[label] = (wall, train_s, ck["written"], ck["time_s"], m["n_synapses"])
        curves[label] = m["error"]
    size = _checkpoint_size(args, args.out / "size")
    print(f"{args.task}, {args.episodes} episodes, {args.threads} threads, seed {args.seed}; "
          f"one checkpoint file: {size:.1f} MB")
    print("| checkpoints | command wall (s) | training (s) | written | time writing them (s) | "
          "per checkpoint (s) | share of training |\n|---|---|---|---|---|---|---|")
    for label, (wall, train_s, n, ck_s, syn) in rows.items():
        per = f"{ck_s / n:.2f}" if n else "-"
        print(f"| {label} | {wall:.1f} | {train_s:.1f} | {n} | {ck_s:.2f} | {per} | "
              f"{100 * ck_s / train_s:.1f} % |")
    same = all(c == curves["no checkpoints"] for c in curves.values())
    print(f"learning curves identical with and without checkpoints: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
