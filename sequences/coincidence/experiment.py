# SPDX-License-Identifier: GPL-2.0-or-later
"""Coincidence-detection runs: train offline (:func:`cd_train`), infer in NEST (:func:`cd_eval`).

The run directories are described in :mod:`~seqnest.sequences.coincidence.rundir`;
``cd_eval`` scores with :mod:`~seqnest.sequences.coincidence.metrics` (accuracy
with a 95 % Wilson interval, confusion matrix, agreement of NEST's scores with
the trainer's).

Random streams, all from the run's seed: 0 training samples, 1 test samples,
2 delays, 3 initial weights and training, 4 device programming (eval);
NEST's own generator (read noise per trial) is seeded with the evaluation's seed.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from seqnest.params import ParameterError

from seqnest.sequences.rundir import RunDirError, check_output
from seqnest.sequences.tasks.mts_xor import make_mts_xor
from seqnest.sequences.tasks.patterns import make_patterns
from seqnest.sequences.tasks.shd import load_shd, shd_files
from seqnest.sequences.tasks.spike_data import SpikeDataset
from seqnest.sequences.coincidence.config import CdConfig
from seqnest.sequences.coincidence.metrics import agreement, decision_scores
from seqnest.sequences.coincidence.rundir import (FAMILY, is_cd_run, load_model, write_eval_run,
                                                  write_train_run)
from seqnest.sequences.coincidence.train import init_weights, predict, train

__all__ = ["FAMILY", "cd_eval", "cd_train", "is_cd_run", "load_model", "make_datasets"]

STREAM_TRAIN, STREAM_TEST, STREAM_DELAYS, STREAM_TRAINING, STREAM_PROGRAM = range(5)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), stream])


def make_datasets(config: CdConfig, seed: int,
                  data_dir: str | os.PathLike | None = None) -> tuple[SpikeDataset, SpikeDataset]:
    """Training and test samples of the configured task (generated, or SHD files)."""
    t, p = config.training, config.task_params
    if config.task == "shd":
        if data_dir is None:
            raise ParameterError("task shd needs --data DIR with shd_train.h5 and shd_test.h5")
        train_file, test_file = shd_files(data_dir)
        data, test = load_shd(train_file, p, t.n_train), load_shd(test_file, p, t.n_test)
        spikes = max(len(data.steps) / max(len(data), 1), 1.0)
        check_memory(config, 0, spikes, data.n_channels, data.n_classes)
        return data, test
    if data_dir is not None:
        raise ParameterError(f"--data is for task shd; task {config.task} is generated")
    n_in = (2 * p.group_size) if config.task == "mts-xor" else p.n_channels
    n_out = 2 if config.task == "mts-xor" else p.n_classes
    check_memory(config, t.n_train + t.n_test, _spikes_per_sample(config), n_in, n_out)
    make = make_mts_xor if config.task == "mts-xor" else make_patterns
    return (make(t.n_train, _rng(seed, STREAM_TRAIN), p),
            make(t.n_test, _rng(seed, STREAM_TEST), p))


#: Bytes per (spike x output x branch) element of one training batch (index,
#: weight, gradient and bincount arrays), measured with the SHD-size network.
TRAIN_BYTES_PER_ELEMENT = 48
#: Bytes per stored input spike of a dataset (step, channel).
DATA_BYTES_PER_SPIKE = 16
#: Resident bytes per dendritic branch in NEST (connection, delay, NESTML synapse state), rounded up.
NEST_BYTES_PER_BRANCH = 160


def _spikes_per_sample(config: CdConfig) -> float:
    """Expected input spikes per sample of a generated task (upper estimate)."""
    p = config.task_params
    if config.task == "mts-xor":
        return 2 * p.group_size * p.n_steps * min(1.0, p.p_high + p.p_background)
    return p.n_channels * (1 + p.background * p.dt / 1000.0 * p.n_steps)


def check_memory(config: CdConfig, n_samples: int, spikes_per_sample: float,
                 n_inputs: int, n_outputs: int) -> None:
    """Refuse a task or network that cannot fit in the memory available now."""
    from seqnest.pynest_ext.resources import available_memory_bytes
    n_d = config.network.n_d
    data = n_samples * spikes_per_sample * DATA_BYTES_PER_SPIKE
    batch = (config.training.batch_size * spikes_per_sample * n_outputs * n_d
             * TRAIN_BYTES_PER_ELEMENT)
    nest = n_inputs * n_outputs * n_d * NEST_BYTES_PER_BRANCH
    need = data + max(batch, nest)
    avail = available_memory_bytes()
    if avail is not None and need > avail:
        raise ParameterError(
            f"the {config.task} run needs about {need / 2**30:.1f} GB ({n_samples:,} samples of "
            f"~{spikes_per_sample:,.0f} spikes; batches of {config.training.batch_size} x "
            f"{n_outputs} outputs x {n_d} delays), more than the {avail / 2**30:.1f} GB "
            "available: lower the task size, training.n_train, training.batch_size or "
            "network.n_d")


def _check_nest_resources(branches: int, threads: int) -> None:
    """Refuse thread counts far above the cores and networks beyond the memory."""
    from seqnest.pynest_ext.resources import available_memory_bytes, check_threads
    if not isinstance(threads, int) or threads < 1:
        raise ParameterError(f"threads: must be a whole number >= 1, got {threads!r}")
    check_threads(threads, "threads")
    need = branches * NEST_BYTES_PER_BRANCH
    avail = available_memory_bytes()
    if avail is not None and need > avail:
        raise ParameterError(f"the NEST network needs about {need / 2**30:.1f} GB ({branches:,} "
                             f"branches), more than the {avail / 2**30:.1f} GB available")


def draw_delays(config: CdConfig, n_out: int, n_in: int, seed: int) -> np.ndarray:
    """Delays (steps) of every branch: RRAM draws, or one step for the no-delay control."""
    shape = (n_out, n_in, config.network.n_d)
    rng = _rng(seed, STREAM_DELAYS)
    if config.network.delays == "none":
        return np.ones(shape, dtype=np.int64)
    return config.delays.draw(shape, config.dt, rng)


def cd_train(config: CdConfig, seed: int, out: str | os.PathLike, force: bool = False,
             data_dir: str | os.PathLike | None = None,
             progress: Callable[[dict], None] | None = None) -> dict:
    """Train a DenRAM classifier and write its run directory; returns the metrics."""
    if not (isinstance(seed, int) and 1 <= seed < 2 ** 31):
        raise ParameterError(f"seed: must be a whole number in [1, 2**31), got {seed!r}")
    check_output(out, force)
    data, test = make_datasets(config, seed, data_dir)
    n_out = data.n_classes
    delays = draw_delays(config, n_out, data.n_channels, seed)
    rng = _rng(seed, STREAM_TRAINING)
    t0 = time.perf_counter()
    init = init_weights(data, n_out, config.network.n_d, config.training.init_scale, rng)
    result = train(data, test, delays, config.network.tau_m, config.training, config.rram,
                   rng, init=init, progress=progress)
    train_s = time.perf_counter() - t0
    delay_ms = delays * config.dt
    metrics = {
        "family": FAMILY, "task": config.task, "seed": seed,
        "n_weights": int(result.weights.size + result.bias.size),
        "n_inputs": data.n_channels, "n_outputs": n_out, "n_d": config.network.n_d,
        "n_train": len(data), "n_test": len(test), "n_windows": data.n_windows,
        # scored by train() after the last epoch (weights as the levels hold them)
        "test_accuracy": result.history[-1]["test_accuracy"],
        "chance": 1.0 / n_out,
        "history": result.history,
        "delays_ms": {"min": float(delay_ms.min()), "median": float(np.median(delay_ms)),
                      "mean": float(delay_ms.mean()), "max": float(delay_ms.max()),
                      "at_cap": int(np.sum(delay_ms >= config.delays.max - 1e-9))},
        "train_time_s": train_s,
    }
    write_train_run(out, force, config, seed, data_dir, result, delays, test, metrics)
    return metrics


def cd_eval(run_dir: str | os.PathLike, sigma: float | None = None, trials: int | None = None,
            seed: int = 1, threads: int = 1, out: str | os.PathLike | None = None,
            force: bool = False, rram_sets: dict | None = None, module=None,
            progress: bool = False, check: int = 100) -> dict:
    """Infer the test samples in NEST with programmed RRAM devices; write and return eval.json.

    ``sigma`` is the read noise (default: the run's ``rram.sigma``),
    ``trials`` the number of trials (test samples in order, repeated when
    more trials than samples; default: one per sample), ``rram_sets`` further
    device parameters ({"levels": 16, ...}). Without read noise the first
    ``check`` samples are also run through the trainer's model and the
    agreement is recorded (0: no check).
    """
    from seqnest.pynest_ext.buildcache import provide
    from seqnest.pynest_ext.devices import RramWeightParams

    config, params, model = load_model(run_dir)
    run = Path(run_dir)
    device = dict(config.rram.to_dict(), **(rram_sets or {}))
    if sigma is not None:
        device["sigma"] = sigma
    rram = RramWeightParams(device)
    test = SpikeDataset.load(run / "test_data.npz")
    if test.n_channels != model["weights"].shape[1] or test.n_classes != model["weights"].shape[0]:
        raise RunDirError(f"{run}: test_data.npz does not match model.npz")
    n_trials = len(test) if trials is None else int(trials)
    if not 1 <= n_trials <= 10_000_000:
        raise ParameterError(f"trials: must be in 1..10000000, got {trials!r}")
    if not (isinstance(seed, int) and 1 <= seed < 2 ** 31):
        raise ParameterError(f"seed: must be a whole number in [1, 2**31), got {seed!r}")
    if not (isinstance(check, int) and check >= 0):
        raise ParameterError(f"check: must be a whole number >= 0, got {check!r}")
    _check_nest_resources(model["weights"].size, threads)
    out = Path(out) if out is not None else run / "eval" / f"sigma{rram.sigma:g}"
    new_parent = not out.parent.exists()
    check_output(out, force, kind="eval")          # creates out's parent if missing
    try:
        return _evaluate(run, model, rram, test, n_trials, seed, threads, out, force,
                         provide(module), progress, check)
    except BaseException:
        if new_parent:                             # leave no empty RUN/eval behind
            with contextlib.suppress(OSError):
                out.parent.rmdir()
        raise


def _evaluate(run: Path, model: dict, rram, test: SpikeDataset, n_trials: int, seed: int,
              threads: int, out: Path, force: bool, module, progress: bool,
              check: int) -> dict:
    from seqnest.pynest_ext.networks.coincidence import CoincidenceNetwork

    programmed = rram.program(model["weights"], _rng(seed, STREAM_PROGRAM))
    index = np.arange(n_trials) % len(test)
    t0 = time.perf_counter()
    net = CoincidenceNetwork(model["delays"], float(model["dt"]), float(model["tau_m"]),
                             threads=threads, seed=seed, module=module)
    net.connect(programmed, model["bias"], noise_sd=rram.noise_sd(programmed),
                n_steps=test.n_steps)
    build_s = time.perf_counter() - t0
    from tqdm import tqdm
    with tqdm(total=n_trials, desc="NEST trials", unit="trial", file=sys.stderr,
              disable=None if progress else True) as bar:
        scores = net.run([test.sample(k) for k in index], test.n_steps, test.windows,
                         lambda k: bar.update(1))
    labels = test.labels[index]
    result = {
        "run": str(run), "sigma": rram.sigma, "rram": rram.to_dict(), "trials": n_trials,
        "seed": seed, "threads": threads, **decision_scores(scores, labels, test.n_classes),
        "time": {"build_s": build_s, "load_s": net.time_load_s,
                 "simulate_s": net.time_simulate_s,
                 "trials_per_s": n_trials / max(net.time_simulate_s, 1e-9)},
        "n_connections": net.n_connections,
    }
    if rram.sigma == 0.0 and check > 0:
        # the trainer's forward pass on the same programmed weights and samples
        t0 = time.perf_counter()
        decay = math.exp(-float(model["dt"]) / float(model["tau_m"]))
        first = test.subset(index[:min(n_trials, len(test), check)])
        ref = predict(programmed, model["bias"], model["delays"], decay, first)
        result["agreement"] = agreement(scores[:len(first)], ref)
        result["time"]["check_s"] = time.perf_counter() - t0
    write_eval_run(out, force, scores, labels, index, result)
    return result
