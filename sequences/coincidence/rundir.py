# SPDX-License-Identifier: GPL-2.0-or-later
"""The run directories of coincidence detection (no NEST needed).

A training run holds ``params.json`` (family "coincidence", seed, every
parameter), ``env.json``, ``model.npz`` (weights, biases, delays in steps, dt,
tau_m), ``test_data.npz`` (the test samples) and ``metrics.json`` (learning
curve, the trainer's test accuracy, weight count, delay statistics); each NEST
evaluation ``RUN/eval/<name>/`` holds ``eval.json`` and ``scores.npz``. Both are
written to a temporary sibling and renamed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from seqnest.sequences.coincidence.config import CdConfig
from seqnest.sequences.directories import require_kind
from seqnest.sequences.rundir import (COINCIDENCE, RunDirError, atomic_directory,
                                      environment, read_json, run_family,
                                      write_json)

__all__ = ["FAMILY", "is_cd_run", "write_train_run", "load_model", "write_eval_run",
           "load_evaluations", "save_npz"]

FAMILY = COINCIDENCE


def is_cd_run(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` is a coincidence-detection run directory."""
    return run_family(run_dir) == FAMILY


def write_train_run(out: str | os.PathLike, force: bool, config: CdConfig, seed: int,
                    data_dir: str | os.PathLike | None, result: Any, delays: np.ndarray,
                    test: Any, metrics: dict) -> None:
    """Write a training run directory (``result``: the trainer's weights and biases;
    ``test``: the test :class:`~seqnest.sequences.tasks.spike_data.SpikeDataset`)."""
    with atomic_directory(out, force) as tmp:
        write_json(tmp / "params.json", {"family": FAMILY, "seed": seed,
                                         "data_dir": None if data_dir is None else str(data_dir),
                                         **config.to_dict()})
        write_json(tmp / "env.json", environment(None, seed, 1))
        save_npz(tmp / "model.npz", weights=result.weights, bias=result.bias, delays=delays,
                 dt=config.dt, tau_m=config.network.tau_m)
        test.save(tmp / "test_data.npz")
        write_json(tmp / "metrics.json", metrics)


def save_npz(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_model(run_dir: str | os.PathLike) -> tuple[CdConfig, dict, dict[str, np.ndarray]]:
    """Parameters, params.json and the arrays of ``model.npz`` of a run directory."""
    import zipfile
    run = require_kind(run_dir, FAMILY)
    params = read_json(run / "params.json")
    if not isinstance(params, dict) or params.get("family") != FAMILY:
        raise RunDirError(f"corrupt parameter record: {run / 'params.json'}")
    config = CdConfig.from_dict(params)
    path = run / "model.npz"
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            model = {k: f[k] for k in ("weights", "bias", "delays", "dt", "tau_m")}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise RunDirError(f"corrupt model file {path}: {exc}") from None
    w, d = model["weights"], model["delays"]
    if w.ndim != 3 or w.shape != d.shape or model["bias"].shape != (w.shape[0],):
        raise RunDirError(f"corrupt model file {path}: array shapes do not match")
    return config, params, model


def write_eval_run(out: Path, force: bool, scores: np.ndarray, labels: np.ndarray,
                   sample: np.ndarray, result: dict) -> None:
    """Write an evaluation directory: ``scores.npz`` and ``eval.json``."""
    with atomic_directory(out, force, kind="eval") as tmp:
        save_npz(tmp / "scores.npz", scores=scores, labels=labels, sample=sample)
        write_json(tmp / "eval.json", result)


def load_evaluations(run: Path) -> list[dict]:
    """Every readable ``eval/*/eval.json`` of a run, by noise then name."""
    rows = []
    folder = Path(run) / "eval"
    if folder.is_dir():
        for path in sorted(folder.glob("*/eval.json")):
            try:
                rows.append(dict(read_json(path), name=path.parent.name))
            except RunDirError:
                continue
    return sorted(rows, key=lambda r: (r.get("sigma", 0.0), r["name"]))
