# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulate time per episode and memory per synapse versus network size and threads.

    python bench/scaling.py [--sizes 6 14 26] [--threads 1 2] [--episodes 2]

For each number of subpopulations M (n_E = 150, K_EE = 0.2 N_E) and thread
count, a fresh process builds the network on a set with M elements (set I for
6, set II for 14, otherwise a random high-order set with M elements), then
simulates ``--episodes`` episodes of learning. Printed: synapses, time to
build and connect, simulate time per episode (mean), biological time per
episode, real-time factor, and the resident memory added by the E->E synapses
divided by their number.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def worker(M: int, threads: int, episodes: int) -> dict:
    import numpy as np

    from pynest_ext.kernel import KernelConfig, setup_kernel
    from pynest_ext.network import SequenceNetwork
    from sequences.config import resolve_config
    from sequences.tasks import make_schedule

    if M == 6:
        cfg = resolve_config(task="set1", threads=threads, episodes=episodes)
    elif M == 14:
        cfg = resolve_config(task="set2", threads=threads, episodes=episodes)
    else:
        cfg = resolve_config(task="random", threads=threads, episodes=episodes, set_options=[
            "random.n_sequences=6", "random.length=5", "random.shared_core=2",
            f"random.vocab_size={M}", "random.seed=1"])
    seq_set = cfg.sequence_set
    names = setup_kernel(KernelConfig(threads=threads, seed=1))
    sch = make_schedule(seq_set, cfg.timing, episodes)
    pop = {el: k for k, el in enumerate(seq_set.vocabulary)}
    net = SequenceNetwork(names, len(seq_set.vocabulary), cfg.neuron, cfg.inh_neuron, cfg.synapse,
                          cfg.network, rng=np.random.default_rng(1))
    t0 = time.perf_counter()
    net.create({pop[e]: t for e, t in sch.element_times().items()})
    rss0 = _rss_mb()
    net.connect()
    t_build = time.perf_counter() - t0
    rss1 = _rss_mb()
    import nest
    n_syn = nest.GetKernelStatus("num_connections")
    n_ee = len(nest.GetConnections(synapse_model=net.EE_MODEL))
    times = []
    for ep in range(episodes):
        t1 = time.perf_counter()
        net.run(sch.episode_start(ep + 1) - (0.0 if ep == 0 else sch.episode_start(ep)))
        times.append(time.perf_counter() - t1)
        net.take_spikes()
    return {"M": M, "threads": threads, "N_E": net.N_E, "ee_synapses": n_ee, "all_connections": n_syn,
            "build_s": t_build, "sim_per_episode_s": sum(times) / len(times),
            "episode_ms": sch.episode_duration, "bytes_per_synapse": (rss1 - rss0) * 2**20 / n_ee}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[6, 14, 26])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--episodes", type=int, default=2)
    p.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(*args.worker)))
        return 0
    print(f"{'M':>3} {'thr':>3} {'N_E':>5} {'E->E syn':>9} {'build s':>8} {'sim/episode s':>14} "
          f"{'episode ms':>11} {'RT factor':>9} {'B/synapse':>10}")
    for M in args.sizes:
        for t in args.threads:
            proc = subprocess.run([sys.executable, __file__, "--worker", str(M), str(t),
                                   str(args.episodes)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{M:>3} {t:>3} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.split("RESULT ", 1)[1])
            rt = r["sim_per_episode_s"] / (r["episode_ms"] / 1000)
            print(f"{M:>3} {t:>3} {r['N_E']:>5} {r['ee_synapses']:>9} {r['build_s']:>8.2f} "
                  f"{r['sim_per_episode_s']:>14.2f} {r['episode_ms']:>11.0f} {rt:>9.2f} "
                  f"{r['bytes_per_synapse']:>10.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
