# SPDX-License-Identifier: GPL-2.0-or-later
"""A training killed as a preempted node is killed, continued from its checkpoint,
against the same training uninterrupted.

    python bench/checkpoint_resume.py [--task set2] [--episodes 85] [--kill-at 60]
                                      [--seeds 613 617 619 631 641] [--threads 2]
                                      [--out runs/checkpoint-resume]

For every seed, ``seqnest learn`` (the user's command) runs twice: once to the
end, and once with ``--checkpoint-every KILL_AT``, killed with SIGKILL as soon
as its checkpoint after episode KILL_AT is on disk (nothing else written), then
continued with ``seqnest learn --resume RUN``. The continued network is built
anew (NEST's random streams, the neurons' fast state and spikes in flight are
not in a checkpoint; see ``seqnest.sequences.temporal_memory.checkpoint``), so
the episodes after KILL_AT are a different sample of the same training, not a
copy. Printed per seed and for both: the first episode with error below
``--threshold`` (0.01), whether the error is below it at the last episode and in
each of the last 10, the final error, and the error curve from KILL_AT on.
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

import numpy as np


def _cmd(args, seed: int, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "seqnest", "learn", "--task", args.task, "--episodes",
            str(args.episodes), "--threads", str(args.threads), "--seed", str(seed),
            "--out", str(out), "--no-progress", *extra]


def _killed_and_resumed(args, seed: int, out: Path) -> dict:
    ckpt = out.parent / f".{out.name}.checkpoint.npz"
    proc = subprocess.Popen(_cmd(args, seed, out, "--checkpoint-every", str(args.kill_at)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ckpt.is_file():
        if proc.poll() is not None:
            raise SystemExit(f"seed {seed}: the run ended before its checkpoint")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if out.exists():
        raise SystemExit(f"seed {seed}: the killed run left {out}")
    subprocess.run([sys.executable, "-m", "seqnest", "learn", "--resume", str(out),
                    "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "metrics.json").read_text())


def _summary(m: dict, threshold: float) -> dict:
    err = np.asarray([np.nan if e is None else e for e in m["error"]], dtype=float)
    below = np.flatnonzero(err < threshold)
    return {"first": int(below[0]) + 1 if below.size else None,
            "end": bool(err[-1] < threshold), "stays": bool(np.all(err[-10:] < threshold)),
            "final": float(err[-1]), "curve": err}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="set2")
    p.add_argument("--episodes", type=int, default=85)
    p.add_argument("--kill-at", type=int, default=60)
    p.add_argument("--seeds", type=int, nargs="+", default=[613, 617, 619, 631, 641])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--threshold", type=float, default=0.01)
    p.add_argument("--out", type=Path, default=Path("runs/checkpoint-resume"))
    args = p.parse_args(argv)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in args.seeds:
        plain_dir, cont_dir = args.out / f"plain-{seed}", args.out / f"continued-{seed}"
        subprocess.run(_cmd(args, seed, plain_dir, "--force"), check=True,
                       stdout=subprocess.DEVNULL)
        plain = _summary(json.loads((plain_dir / "metrics.json").read_text()), args.threshold)
        if cont_dir.exists():
            subprocess.run([sys.executable, "-c", "import shutil,sys; shutil.rmtree(sys.argv[1])",
                            str(cont_dir)], check=True)
        m = _killed_and_resumed(args, seed, cont_dir)
        assert m["checkpoints"]["continued_at_episodes"] == [args.kill_at], m["checkpoints"]
        cont = _summary(m, args.threshold)
        same_before = bool(np.array_equal(plain["curve"][:args.kill_at],
                                          cont["curve"][:args.kill_at]))
        rows.append((seed, plain, cont, same_before))
    print(f"{args.task}, {args.episodes} episodes, {args.threads} threads; killed (SIGKILL) "
          f"after the checkpoint of episode {args.kill_at}, then --resume; "
          f"error threshold {args.threshold}")
    print("| seed | run | first below | below at the end | below in the last 10 | final error "
          f"| errors of episodes {args.kill_at + 1}-{args.episodes} |\n|---|---|---|---|---|---|---|")
    for seed, plain, cont, same in rows:
        for label, s in (("uninterrupted", plain), ("killed, continued", cont)):
            tail = " ".join(f"{x:.2f}".rstrip("0").rstrip(".") for x in s["curve"][args.kill_at:])
            print(f"| {seed} | {label} | {s['first']} | {s['end']} | {s['stays']} | "
                  f"{s['final']:.3f} | {tail} |")
    ends = [sum(r[k]["end"] for r in rows) for k in (1, 2)]
    stays = [sum(r[k]["stays"] for r in rows) for k in (1, 2)]
    print(f"below {args.threshold} at episode {args.episodes}: uninterrupted {ends[0]} of "
          f"{len(rows)}, continued {ends[1]} of {len(rows)}; in each of the last 10: "
          f"{stays[0]} and {stays[1]} of {len(rows)}")
    print(f"episodes 1-{args.kill_at} identical in both (the checkpoint's curves): "
          f"{all(r[3] for r in rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
