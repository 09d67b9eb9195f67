# SPDX-License-Identifier: GPL-2.0-or-later
"""NEST inference speed of a DenRAM network of the paper's SHD size, against a floor.

    python bench/cd_inference.py [--trials 1000] [--threads 2] [--spikes 8000] [--out DIR]

Writes synthetic data in the SHD file layout (700 channels, 20 classes, 1 s;
``--spikes`` input spikes per sample, our estimate of SHD's density), trains
one epoch with ``seqnest cd-train --task shd`` (700 x 20 x 16 + 20 = 224,020
weights), then times ``seqnest cd-eval --trials N`` (the user's command:
NEST network, device programming, V_max readout per trial). The floor is
the same network from NEST's built-in models only: ``iaf_psc_delta`` somata
(E_L = 0, V_min = 0, no threshold, the bias as I_e), ``static_synapse``
branches with the same delays and weights, the same generators and the same
per-trial run/reset/read schedule (reading V_m, as the built-in neuron has no
maximum readout). Prints seconds and trials per second of both, and the time with read noise
(σ = 0.1: the NESTML synapse draws each device's value once per trial).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_shd(folder: Path, n_train: int, n_test: int, spikes: int, seed: int = 1) -> None:
    """Files in the SHD layout: each class a frozen sweep of channel activity over time."""
    from seqnest.sequences.tasks.shd import write_shd
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 700, size=(20, 5))            # five "formants" per class
    onsets = rng.uniform(0.0, 0.6, size=(20, 5))

    def sample(label):
        k = rng.integers(0, 5, spikes)
        units = np.clip(rng.normal(centres[label, k], 25.0), 0, 699).astype(int)
        times = np.clip(onsets[label, k] + rng.uniform(0, 0.35, spikes)
                        + rng.normal(0, 0.01, spikes), 0, 0.999)
        order = np.argsort(times)
        return times[order], units[order]

    for name, n in (("shd_train.h5", n_train), ("shd_test.h5", n_test)):
        labels = rng.integers(0, 20, n)
        write_shd(folder / name, [sample(lab) for lab in labels], labels)


def floor(run: Path, trials: int, threads: int) -> float:
    """Seconds to present ``trials`` test samples to the built-in-model network."""
    from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
    from seqnest.pynest_ext.networks.coincidence import TrialLayout, load_trials
    from seqnest.sequences.tasks.spike_data import SpikeDataset
    with np.load(run / "model.npz") as f:
        w, b, d, dt, tau = f["weights"], f["bias"], f["delays"], float(f["dt"]), float(f["tau_m"])
    test = SpikeDataset.load(run / "test_data.npz")
    setup_kernel(KernelConfig(resolution=dt, threads=threads, seed=7), install=False)
    nest = import_nest()
    n_out, n_in, n_d = w.shape
    decay = math.exp(-dt / tau)
    # a bias b per step is a constant current I_e with (1 - decay) * tau / C * I_e = b
    somata = nest.Create("iaf_psc_delta", n_out, params={
        "E_L": 0.0, "V_reset": 0.0, "V_min": 0.0, "V_m": 0.0, "V_th": 1e12, "C_m": 1.0,
        "tau_m": tau, "t_ref": 0.0})
    somata.set(I_e=[float(x) / ((1 - decay) * tau) for x in b])
    inputs = nest.Create("spike_generator", n_in)
    for k in range(n_d):
        nest.Connect(inputs, somata, "all_to_all",
                     syn_spec={"weight": w[:, :, k], "delay": d[:, :, k] * dt})
    layout = TrialLayout(test.n_steps, int(d.max()))
    index = np.arange(trials) % len(test)
    load_trials(inputs, [test.sample(k) for k in index], layout, dt)
    t0 = time.perf_counter()
    now = 0
    with nest.RunManager():
        for j in range(trials):
            start = int(layout.origin(j)) + 1
            nest.Run((start - now) * dt)
            somata.set(V_m=0.0)
            nest.Run(test.n_steps * dt)
            now = start + test.n_steps
            somata.get("V_m")
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--spikes", type=int, default=8000)
    ap.add_argument("--out", help="keep the run directory here (default: a temporary one)")
    args = ap.parse_args(argv)
    from seqnest.cli import main as seqnest
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        synthetic_shd(tmp, 64, min(args.trials, 1000), args.spikes)
        print(f"synthetic SHD files: {time.perf_counter() - t0:.1f} s")
        run = Path(args.out) if args.out else tmp / "run"
        t0 = time.perf_counter()
        assert seqnest(["cd-train", "--task", "shd", "--data", str(tmp), "--epochs", "1",
                        "--set", "training.batch_size=8", "--no-progress", "--force",
                        "--out", str(run)]) == 0
        print(f"cd-train (64 samples, 1 epoch): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        assert seqnest(["cd-eval", str(run), "--trials", str(args.trials), "--threads",
                        str(args.threads), "--force"]) == 0
        wall = time.perf_counter() - t0
        ev = json.loads((run / "eval" / "sigma0" / "eval.json").read_text())
        assert seqnest(["cd-eval", str(run), "--trials", str(args.trials), "--threads",
                        str(args.threads), "--noise", "0.1", "--force", "--no-progress"]) == 0
        noisy = json.loads((run / "eval" / "sigma0.1" / "eval.json").read_text())
        t_floor = floor(run, args.trials, args.threads)
        sim = ev["time"]["simulate_s"]
        print(f"\n{ev['n_connections'] + 20} weights, {args.trials} trials, {args.threads} threads, "
              f"{args.spikes} input spikes per sample")
        print(f"seqnest cd-eval: {wall:.1f} s wall ({sim:.1f} s simulating, "
              f"{args.trials / sim:.0f} trials/s)")
        print(f"seqnest cd-eval --noise 0.1 (rram_dendrite_synapse, a draw per trial and "
              f"device): {noisy['time']['simulate_s']:.1f} s simulating")
        print(f"floor (iaf_psc_delta + static_synapse): {t_floor:.1f} s simulating "
              f"({args.trials / t_floor:.0f} trials/s); ratio {sim / t_floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
