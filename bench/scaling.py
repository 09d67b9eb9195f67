# SPDX-License-Identifier: GPL-2.0-or-later
"""What `seqnest learn` costs per episode, against its floors, for network size and threads.

    python bench/scaling.py [--sizes 6 14 26] [--threads 1 2] [--episodes 4]

For each number of subpopulations M (n_E = 150, K_EE = 0.2 N_E; set I for
M = 6, set II for M = 14, otherwise a random high-order set of 6 sequences
over M elements) and each thread count, separate processes run:

* ``learn``: `seqnest learn` itself (its ``main``: configuration, build
  look-up, training with the evaluation of every episode, the dAP raster of
  the last episode, the run directory), which records per episode the time
  spent in ``nest.Simulate``, in reading state and recorders out of NEST, and
  in the evaluation;
* ``static``: the same training (same code, same random draws, same
  connections) with NEST's ``static_synapse`` for E->E at the initial weights;
* ``no E->E``: the same training without E->E connections;
* ``built-in``: the same populations, stimulus, inhibition and connections
  from NEST's built-in models only (``iaf_psc_exp_multisynapse`` with the
  three synaptic time constants, ``static_synapse``), simulated episode by
  episode with its spike recorders: what NEST itself needs for this network.

Printed per episode, averaged over the episodes before the last one (the
last also records the dAP onsets for the report's raster; its cost is shown
separately): the total of `seqnest learn` (simulate + readout + evaluation),
the no-E->E floor, the share of the total spent on E->E connections (total -
floor), the share spent on readout and evaluation, the ratio of its simulate
time to the static-synapse network's, the built-in network's time, the extra
time of the last episode, the wall time of the whole command, and the resident
memory the network adds per E->E synapse. "ep ms" is the biological time of an
episode.

Then, unless ``--no-models``, the per-model costs under the table, measured in
the same run: bytes per E->E synapse (resident and the object's ``sizeof``) for
every synapse kind next to NEST's ``stdp_synapse``, ``stdp_synapse_hom`` and
``static_synapse`` (``bench/synapse_memory.py``), and the ``stm_neuron`` update
per neuron-step against ``iaf_psc_exp`` (``bench/neuron_update.py``).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def task_args(M: int) -> tuple[str, list[str]]:
    """`seqnest learn` task options for a network of M subpopulations."""
    if M == 6:
        return "set1", []
    if M == 14:
        return "set2", []
    return "random", ["random.n_sequences=6", "random.length=5", "random.shared_core=2",
                      f"random.vocab_size={M}", "random.seed=1"]


def run_learn(M: int, threads: int, episodes: int) -> dict:
    """`seqnest learn` as a user runs it; returns its metrics.json and wall time."""
    task, opts = task_args(M)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        argv = ["learn", "--task", task, "--episodes", str(episodes), "--threads", str(threads),
                "--out", str(out), "--no-progress"] + [x for o in opts for x in ("--set", o)]
        code = ("import sys; from seqnest.cli import main; "
                f"sys.exit(main({argv!r}))")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip().splitlines()[-1:])
        metrics = json.loads((out / "metrics.json").read_text())
    metrics["command_wall_s"] = wall
    return metrics


def floor_worker(M: int, threads: int, episodes: int, floor: str) -> dict:
    """Training with static or without E->E connections (same code as `seqnest learn`)."""
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.temporal_memory.learn import train
    task, opts = task_args(M)
    cfg = resolve_config(task=task, episodes=episodes, threads=threads, set_options=opts)
    return train(cfg, progress=False, ee_floor=floor).metrics


def builtin_worker(M: int, threads: int, episodes: int) -> dict:
    """The same network from NEST's built-in models, simulated episode by episode."""
    import numpy as np

    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.networks.temporal_memory import synaptic_weights
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.tasks.sequence_sets import make_schedule
    task, opts = task_args(M)
    cfg = resolve_config(task=task, episodes=episodes, threads=threads, set_options=opts)
    setup_kernel(KernelConfig(threads=threads, seed=1), install=False)
    nest = import_nest()
    neuron, net = cfg.neuron, cfg.network
    w = synaptic_weights(neuron, cfg.inh_neuron, net)
    n_E, d = int(net.n_E), net.static_delay
    vocab = cfg.sequence_set.vocabulary
    exc = nest.Create("iaf_psc_exp_multisynapse", len(vocab) * n_E, params={
        "C_m": neuron.C_m, "tau_m": neuron.tau_m, "E_L": neuron.E_L, "V_m": neuron.E_L,
        "V_reset": neuron.V_reset, "V_th": neuron.V_th, "t_ref": neuron.t_ref,
        "tau_syn": [neuron.tau_syn_ext, neuron.tau_syn_dend, neuron.tau_syn_inh]})
    inh = nest.Create("iaf_psc_exp", len(vocab), params=cfg.inh_neuron.nest_status())
    sch = make_schedule(cfg.sequence_set, cfg.timing, episodes)
    onsets = sch.element_times()
    for k, el in enumerate(vocab):
        sub = exc[k * n_E:(k + 1) * n_E]
        nest.Connect(sub, inh[k], syn_spec={"weight": w.ie, "delay": d})
        nest.Connect(inh[k], sub, syn_spec={"weight": -abs(w.ei), "delay": d, "receptor_type": 3})
        times = onsets.get(el, [])
        if times:
            gen = nest.Create("spike_generator", params={"spike_times": times})
            nest.Connect(gen, sub, syn_spec={"weight": w.ext, "delay": d, "receptor_type": 1})
    indegree = int(round(net.p_EE * len(exc)))
    nest.Connect(exc, exc, {"rule": "fixed_indegree", "indegree": indegree,
                            "allow_autapses": False, "allow_multapses": False},
                 syn_spec={"weight": 0.0, "delay": cfg.synapse.delay, "receptor_type": 2})
    rec_e, rec_i = nest.Create("spike_recorder"), nest.Create("spike_recorder")
    nest.Connect(exc, rec_e)
    nest.Connect(inh, rec_i)
    per_episode = []
    for ep in range(episodes):
        t0 = time.perf_counter()
        nest.Simulate(sch.episode_start(ep + 1) - (0.0 if ep == 0 else sch.episode_start(ep)))
        for rec in (rec_e, rec_i):
            np.asarray(rec.get("events")["times"])
            rec.set({"n_events": 0})
        per_episode.append(time.perf_counter() - t0)
    return {"per_episode_s": per_episode}


def in_process(kind: str, M: int, threads: int, episodes: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(M), str(threads),
                           str(episodes)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1:])
    return json.loads(proc.stdout.split("RESULT ", 1)[1])


def mean(xs) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def summarise(M: int, threads: int, episodes: int) -> dict:
    learn = run_learn(M, threads, episodes)
    static = in_process("static", M, threads, episodes)
    floor = in_process("none", M, threads, episodes)
    builtin = in_process("builtin", M, threads, episodes)
    steady = slice(0, max(1, episodes - 1))        # the last episode also traces dAP onsets
    tim = learn["episode_timing"]
    sim, read, ev = (tim[k][steady] for k in ("simulate_s", "readout_s", "evaluation_s"))
    total = mean([a + b + c for a, b, c in zip(sim, read, ev)])
    floor_total = mean([a + b + c for a, b, c in zip(
        *(floor["episode_timing"][k][steady] for k in ("simulate_s", "readout_s", "evaluation_s")))])
    last = tim["simulate_s"][-1] + tim["readout_s"][-1] - mean(sim) - mean(read)
    return {
        "M": M, "threads": threads, "synapses": learn["n_synapses"],
        "total_s": total, "floor_s": floor_total,
        "ee_share": (total - floor_total) / total,
        "readout_share": mean([b + c for b, c in zip(read, ev)]) / total,
        "static_ratio": mean(sim) / mean(static["episode_timing"]["simulate_s"][steady]),
        "builtin_s": mean(builtin["per_episode_s"][steady]),
        "last_extra_s": last,
        "wall_s": learn["command_wall_s"],
        "bytes_per_synapse": learn["network_memory_mb"] * 2**20 / max(1, learn["n_synapses"]),
        "episode_ms": episode_ms(M),
    }


def episode_ms(M: int) -> float:
    """Biological time of one episode (ms)."""
    from seqnest.sequences.temporal_memory.config import resolve_config
    from seqnest.sequences.tasks.sequence_sets import make_schedule
    task, opts = task_args(M)
    cfg = resolve_config(task=task, episodes=1, set_options=opts)
    return make_schedule(cfg.sequence_set, cfg.timing, 1).episode_duration


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[6, 14, 26])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--episodes", type=int, default=4, help="at least 2")
    p.add_argument("--no-models", action="store_true",
                   help="leave out the per-model memory and neuron-update tables")
    p.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, M, threads, episodes = args.worker[0], *map(int, args.worker[1:])
        if kind == "builtin":
            result = builtin_worker(M, threads, episodes)
        else:
            result = floor_worker(M, threads, episodes, kind)
        print("RESULT " + json.dumps(result))
        return 0
    if args.episodes < 2:
        p.error("--episodes must be at least 2")
    head = (f"{'M':>3} {'thr':>3} {'E->E syn':>9} {'ep ms':>5} {'learn s/ep':>10} {'no E->E':>8} "
            f"{'E->E %':>6} {'readout %':>9} {'/static':>7} {'built-in':>8} {'last +s':>7} "
            f"{'wall s':>7} {'B/syn':>6}")
    print(head)
    print("-" * len(head))
    for M in args.sizes:
        for t in args.threads:
            try:
                r = summarise(M, t, args.episodes)
            except RuntimeError as exc:
                print(f"{M:>3} {t:>3} failed: {exc}")
                continue
            print(f"{M:>3} {t:>3} {r['synapses']:>9} {r['episode_ms']:>5.0f} {r['total_s']:>10.2f} "
                  f"{r['floor_s']:>8.2f} "
                  f"{100 * r['ee_share']:>6.1f} {100 * r['readout_share']:>9.1f} "
                  f"{r['static_ratio']:>7.2f} {r['builtin_s']:>8.2f} {r['last_extra_s']:>7.2f} "
                  f"{r['wall_s']:>7.1f} {r['bytes_per_synapse']:>6.0f}", flush=True)
    if not args.no_models:
        model_tables()
    return 0


def model_tables() -> None:
    """The synapse-memory and neuron-update benchmarks of this folder, printed here."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import neuron_update
    import synapse_memory
    print("\nBytes per E->E synapse (bench/synapse_memory.py):", flush=True)
    synapse_memory.main([])
    print("\nNeuron update (bench/neuron_update.py):", flush=True)
    neuron_update.main(["--repeats", "3"])


if __name__ == "__main__":
    sys.exit(main())
