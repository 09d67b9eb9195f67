# SPDX-License-Identifier: GPL-2.0-or-later
"""One large sequence network: 1 process x 2 threads against 2 MPI processes x 1 thread.

    python bench/mpi_scaling.py [--M 26] [--n-E 250] [--episodes 3] [--out runs/mpi-scaling]

Needs NEST built with MPI (``bash scripts/build_nest_mpi.sh``); runs
``seqnest learn`` (the user's command: recorders, evaluation, gathering and
the run directory included) on a random set of M elements (``--task random``,
vocabulary M, 4 sequences of 6) both ways with the same seed, and prints the
time per episode (simulation and wall), the memory of every rank and whether
the two runs agree (they must: 2 virtual processes either way). The wall time
is split into building, simulating, reading recorders and evaluating, and the
final read of the synapses (metrics.json); the command's own wall time adds
start-up and writing the run directory. Memory: peak resident memory of each
rank, and how much of the machine's memory the ranks together leave spare.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--M", type=int, default=26, help="elements (subpopulations)")
    p.add_argument("--n-E", type=int, default=250, help="neurons per subpopulation")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--out", type=Path, default=Path("runs/mpi-scaling"))
    args = p.parse_args(argv)
    prefix = Path(subprocess.run(["bash", str(ROOT / "scripts" / "build_nest_mpi.sh"),
                                  "--prefix", sys.executable], capture_output=True, text=True,
                                 check=True).stdout.strip())
    if not (prefix / ".complete").is_file():
        sys.exit(f"NEST with MPI is not built in {prefix}: bash scripts/build_nest_mpi.sh")
    site = next(prefix.rglob("site-packages"))
    env = {**os.environ, "PYTHONPATH": str(site),
           "SEQNEST_NEST_CONFIG": str(prefix / "bin" / "nest-config")}
    subprocess.run([sys.executable, "-m", "seqnest", "build"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    learn = ["-m", "seqnest", "learn", "--task", "random", "--episodes", str(args.episodes),
             "--seed", "3", "--set", f"random.vocab_size={args.M}", "--set",
             "random.n_sequences=4", "--set", "random.length=6", "--set",
             f"network.n_E={args.n_E}", "--no-progress"]
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {"1 process x 2 threads": ([sys.executable, *learn, "--threads", "2"], "threads"),
            "2 processes x 1 thread": (["mpirun", "--allow-run-as-root", "-np", "2",
                                        sys.executable, *learn], "mpi")}
    metrics, command_s = {}, {}
    for label, (cmd, name) in runs.items():
        out = args.out / name                 # --force replaces only a run directory
        t0 = time.perf_counter()
        subprocess.run([*cmd, "--out", str(out), "--force"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        command_s[label] = time.perf_counter() - t0
        metrics[label] = json.loads((out / "metrics.json").read_text())
    same = all(np.array_equal(np.load(args.out / "threads" / "connectivity.npz")[k],
                              np.load(args.out / "mpi" / "connectivity.npz")[k])
               for k in ("source", "target", "permanence"))
    same = same and all(metrics["1 process x 2 threads"][k] == metrics["2 processes x 1 thread"][k]
                        for k in ("error", "false_positives", "false_negatives"))
    m0 = next(iter(metrics.values()))
    print(f"random set, M = {args.M}, n_E = {args.n_E} ({args.M * args.n_E:,} E neurons, "
          f"{m0['n_synapses']:,} plastic E->E synapses), {args.episodes} episodes, seed 3")
    total_mb = machine_memory_mb()
    print("| layout | build (s) | simulate per episode (s) | recorders + evaluation per "
          "episode (s) | final synapse read (s) | wall per episode (s) | wall / simulate | "
          "command wall (s) | peak memory per rank (MB) | spare of the machine's "
          f"{total_mb / 1024:.1f} GB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, m in metrics.items():
        ranks = m["peak_rss_mb_per_rank"]
        ep = args.episodes
        print(f"| {label} | {m['build_network_time_s']:.1f} | "
              f"{m['simulate_time_s'] / ep:.2f} | "
              f"{(m['readout_time_s'] + m['evaluation_time_s']) / ep:.2f} | "
              f"{m.get('synapse_read_time_s', float('nan')):.1f} | "
              f"{m['wall_time_s'] / ep:.2f} | {m['wall_time_s'] / m['simulate_time_s']:.2f} | "
              f"{command_s[label]:.1f} | {', '.join(f'{x:.0f}' for x in ranks)} | "
              f"{100 * (1 - sum(ranks) / total_mb):.0f} % |")
    print(f"identical connectivity and errors: {same}")
    return 0


def machine_memory_mb() -> float:
    """The machine's memory (MemTotal), MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


if __name__ == "__main__":
    sys.exit(main())
