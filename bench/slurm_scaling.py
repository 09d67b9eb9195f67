# SPDX-License-Identifier: GPL-2.0-or-later
"""A 16-point sweep on SLURM with 1 and with 2 worker jobs (one-node cluster).

    python bench/slurm_scaling.py [--episodes 20] [--out runs/slurm-scaling]

Starts the one-node cluster of ``scripts/slurm_local.sh`` (as root; it stays
up if it was already running), runs ``seqnest sweep SPEC --cluster slurm
--workers W`` for W = 1 and 2 into new directories under --out (set I, n_E = 100,
16 points: 4 learning rates x 4 seeds) and prints wall time, points per
minute and the speed-up. The same command a user runs, end to end: job
submission, worker start-up, the points, results.csv.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = """task: set1
episodes: {episodes}
config:
  network: {{n_E: 100, rho: 14}}
vary:
  grid:
    synapse.lambda_plus: [0.06, 0.08, 0.12, 0.16]
  seeds: [1, 2, 3, 4]
cluster:
  slurm: {{cores: 1, memory: 2GB, walltime: "01:00:00", interface: lo}}
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--out", type=Path, default=Path("runs/slurm-scaling"))
    args = p.parse_args(argv)
    env = dict(os.environ)
    state = Path(env.get("SEQNEST_SLURM_DIR", "/tmp/seqnest-slurm"))
    was_up = (state / "slurmctld.pid").is_file()
    subprocess.run(["bash", str(ROOT / "scripts" / "slurm_local.sh"), "start"], check=True)
    env["SLURM_CONF"] = str(state / "slurm.conf")
    args.out.mkdir(parents=True, exist_ok=True)
    spec = args.out / "spec.yaml"
    spec.write_text(SPEC.format(episodes=args.episodes))
    times = {}
    try:
        for workers in (1, 2):
            # a new directory each time (a sweep reuses the points it finds)
            out = Path(tempfile.mkdtemp(prefix=f"workers{workers}-", dir=args.out))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "seqnest", "sweep", str(spec), "--cluster",
                            "slurm", "--workers", str(workers), "--out", str(out),
                            "--no-progress"], env=env, check=True)
            times[workers] = time.perf_counter() - started
    finally:
        if not was_up:
            subprocess.run(["bash", str(ROOT / "scripts" / "slurm_local.sh"), "stop"])
    print(f"16 points, set I, n_E = 100, {args.episodes} episodes, one-node SLURM cluster "
          f"({os.cpu_count()} cores)")
    print("| worker jobs | wall time (s) | points per minute |")
    print("|---|---|---|")
    for w, t in times.items():
        print(f"| {w} | {t:.1f} | {16 / t * 60:.1f} |")
    print(f"speed-up with 2 jobs: {times[1] / times[2]:.2f} (sweeps in {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
