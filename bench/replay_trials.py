# SPDX-License-Identifier: GPL-2.0-or-later
"""What ``seqnest replay --trials`` costs per noise condition, against its floor.

Trains branch2 once (40 episodes, seed 1; or takes ``--run``), then runs the
command a user runs, ``seqnest replay RUN --trials 150 --noise KIND ...``, in
a fresh process per condition and thread count, and reports the process's wall
time and the seconds spent in ``nest.Simulate`` (``replay.json``). The floor
is the same replay network built from NEST's built-in models
(``iaf_psc_exp_multisynapse`` excitatory neurons with the learned static E->E
weights, the shared ``iaf_psc_exp``, the same cues and the same noise devices),
simulated for the same time in one call.

    python bench/replay_trials.py [--run RUN_DIR] [--trials 150] [--threads 1 2]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONDITIONS = {
    "none": [],
    "uncorrelated": ["--noise", "uncorrelated", "--set", "noise.sigma=15"],
    "shared": ["--noise", "shared", "--set", "noise.sigma=15", "--set", "noise.c=1"],
    "oscillation": ["--noise", "oscillation", "--set", "noise.amplitude=8",
                    "--set", "noise.frequency=10"],
}


def seqnest(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seqnest", *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def floor(run: Path, kind: str, threads: int, trials: int) -> float:
    """Simulate seconds of the same replay network from NEST's built-in models."""
    code = f"""
import json, time, numpy as np
from pathlib import Path
from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.noise import NoiseParams, inject_noise
from seqnest.sequences.temporal_memory.replay import _replay_neuron, _replay_network
from seqnest.sequences.temporal_memory.rundir import load_config, load_connectivity
from seqnest.pynest_ext.networks.temporal_memory import synaptic_weights
run = Path({str(run)!r})
cfg, conn = load_config(run), load_connectivity(run)
rp = cfg.replay
neuron, net = _replay_neuron(cfg, rp), _replay_network(cfg, rp)
w = synaptic_weights(neuron, cfg.inh_neuron, net, rp.quorum(net))
setup_kernel(KernelConfig(threads={threads}, seed=1), install=False)
nest = import_nest()
vocab = cfg.sequence_set.vocabulary
n_E, d = int(net.n_E), net.static_delay
exc = nest.Create("iaf_psc_exp_multisynapse", len(vocab) * n_E, params={{
    "C_m": neuron.C_m, "tau_m": neuron.tau_m, "E_L": neuron.E_L, "V_m": neuron.E_L,
    "V_reset": neuron.V_reset, "V_th": neuron.V_th, "t_ref": neuron.t_ref,
    "tau_syn": [neuron.tau_syn_ext, neuron.tau_syn_dend, neuron.tau_syn_inh]}})
inh = nest.Create("iaf_psc_exp", 1, params=cfg.inh_neuron.nest_status())
nest.Connect(exc, inh, syn_spec={{"weight": w.ie, "delay": d}})
nest.Connect(inh, exc, syn_spec={{"weight": -abs(w.ei), "delay": d, "receptor_type": 3}})
mature = conn.weight > 0
first = exc[0].global_id
nest.Connect((conn.source[mature] + first).astype(int), (conn.target[mature] + first).astype(int),
             "one_to_one", {{"weight": conn.weight[mature], "delay": np.full(mature.sum(),
             float(cfg.synapse.delay)), "receptor_type": 2}})
interval, start = rp.cue_interval, cfg.timing.start
cues = [start + k * interval for k in range({trials})]
gen = nest.Create("spike_generator", params={{"spike_times": cues}})
k = vocab.index("A")
nest.Connect(gen, exc[k * n_E:(k + 1) * n_E], syn_spec={{"weight": w.ext, "delay": d,
                                                         "receptor_type": 1}})
t_end = start + {trials} * interval
params = NoiseParams(kind={kind!r}, sigma=15.0, c=1.0, amplitude=8.0, frequency=10.0)
inject_noise(nest, [exc[j * n_E:(j + 1) * n_E] for j in range(len(vocab))], params, t_end,
             0.1, np.random.default_rng(1))
rec = nest.Create("spike_recorder")
nest.Connect(exc, rec)
t0 = time.perf_counter()
nest.Simulate(t_end)
print("RESULT", time.perf_counter() - t0)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1])
    return float(proc.stdout.split("RESULT")[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a trained run directory (default: train branch2)")
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run
        if run is None:
            run = Path(tmp) / "branch2"
            print(f"training branch2 (40 episodes): {seqnest('learn', '--task', 'branch2', '--out', str(run), '--no-progress'):.1f} s")
        cue_interval = json.loads((run / "params.json").read_text())["params"]["replay"]["cue_interval"]
        print(f"{args.trials} trials, cue_interval {cue_interval:g} ms "
              f"({args.trials * cue_interval / 1000:.1f} s of network time)")
        print("| condition | threads | seqnest replay wall (s) | in nest.Simulate (s) | floor: built-in models (s) |")
        print("|---|---|---|---|---|")
        for cond in args.conditions:
            for threads in args.threads:
                out = Path(tmp) / f"r-{cond}-{threads}"
                wall = seqnest("replay", str(run), "--trials", str(args.trials), "--threads",
                               str(threads), "--out", str(out), "--no-progress",
                               *CONDITIONS[cond])
                sim = json.loads((out / "replay.json").read_text())["simulate_time_s"]
                base = floor(run, cond, threads, args.trials)
                print(f"| {cond} | {threads} | {wall:.1f} | {sim:.1f} | {base:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
