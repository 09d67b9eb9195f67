# SPDX-License-Identifier: GPL-2.0-or-later
"""Reader of the Spiking Heidelberg Digits (SHD; Cramer et al. 2022, IEEE TNNLS 33: 2744).

The data are distributed as HDF5 files ``shd_train.h5`` and ``shd_test.h5``,
each with the datasets ``spikes/times`` (one array of spike times in seconds
per sample), ``spikes/units`` (the matching input channels, 0..699) and
``labels`` (20 classes). :func:`load_shd` bins the spikes to steps of ``dt``
ms (spikes in the same step and channel add up), drops spikes after
``max_time``, and returns a :class:`SpikeDataset` with one readout window over
the whole trial, as in DenRAM (D'Agostino et al. 2024).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from seqnest.params import Param, ParameterError, ParameterSet, positive

from seqnest.sequences.tasks.spike_data import SpikeDataset, by_step

__all__ = ["ShdParams", "load_shd", "shd_files", "write_shd"]

SHD = "Cramer et al. 2022, IEEE TNNLS 33: 2744"
DATASETS = ("spikes/times", "spikes/units", "labels")


class ShdParams(ParameterSet):
    NAME = "shd"
    SPECS = {
        "dt": positive(5.0, "ms", "bin width of the input spikes (the delay step of DenRAM)",
                       "D'Agostino et al. 2024"),
        "max_time": positive(1000.0, "ms", "spikes after this time are dropped (our choice)",
                             "this package"),
        "n_channels": Param(700, "1", "input channels", SHD, low=1, integer=True),
        "n_classes": Param(20, "1", "classes (digits 0-9 in English and German)", SHD, low=2,
                           integer=True),
    }

    @property
    def n_steps(self) -> int:
        return max(1, math.ceil(self.max_time / self.dt - 1e-9))


def shd_files(folder: str | os.PathLike) -> tuple[Path, Path]:
    """``shd_train.h5`` and ``shd_test.h5`` in ``folder`` (one-line error if missing)."""
    folder = Path(folder)
    files = (folder / "shd_train.h5", folder / "shd_test.h5")
    for f in files:
        if not f.is_file():
            raise ParameterError(f"SHD data: missing file {f}")
    return files


def load_shd(path: str | os.PathLike, params: ShdParams | None = None,
             limit: int | None = None) -> SpikeDataset:
    """Read and bin one SHD file (the first ``limit`` samples if given).

    Raises
    ------
    ParameterError
        One line naming the file and what is wrong: missing, not HDF5, a
        missing dataset, mismatched lengths, channels or labels out of range.
    """
    import h5py
    p = params or ShdParams()
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"SHD data: missing file {path}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ParameterError(f"SHD data: {path} is not a readable HDF5 file ({exc})") from None
    with f:
        for name in DATASETS:
            if name not in f:
                raise ParameterError(f"SHD data: {path} has no dataset '{name}'")
        times, units, labels = f["spikes/times"], f["spikes/units"], f["labels"]
        n = len(labels)
        if len(times) != n or len(units) != n:
            raise ParameterError(f"SHD data: {path}: spikes/times, spikes/units and labels "
                                 f"differ in length ({len(times)}, {len(units)}, {n})")
        n = n if limit is None else min(n, int(limit))
        labels = np.asarray(labels[:n], dtype=np.int64)
        if n and (labels.min() < 0 or labels.max() >= p.n_classes):
            raise ParameterError(f"SHD data: {path}: labels outside 0..{p.n_classes - 1}")
        samples = []
        for k in range(n):
            t = np.asarray(times[k], dtype=float) * 1000.0
            u = np.asarray(units[k], dtype=np.int64)
            if t.shape != u.shape:
                raise ParameterError(f"SHD data: {path}: sample {k} has {len(t)} times but "
                                     f"{len(u)} units")
            if u.size and (u.min() < 0 or u.max() >= p.n_channels):
                raise ParameterError(f"SHD data: {path}: sample {k} has a channel outside "
                                     f"0..{p.n_channels - 1}")
            keep = (t >= 0) & (t < p.max_time)
            # float32 seconds: round to 1e-3 of a bin before flooring (0.7 s is bin 140)
            step = np.minimum(np.floor(np.round(t[keep] / p.dt, 3)).astype(np.int64),
                              p.n_steps - 1)
            samples.append(by_step(step, u[keep]))
    return SpikeDataset.from_samples("shd", p.dt, p.n_steps, p.n_channels, p.n_classes,
                                     [[0, p.n_steps]], labels, samples,
                                     meta={"task": "shd", "file": str(path), **p.to_dict()})


def write_shd(path: str | os.PathLike, samples, labels) -> None:
    """Write samples [(times in s, units), ...] and labels in the SHD file layout
    (for one's own recordings, and for tests: no copy of SHD can be fetched here)."""
    import h5py
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with h5py.File(tmp, "w") as f:
        times = f.create_dataset("spikes/times", (len(samples),),
                                 dtype=h5py.vlen_dtype(np.float32))
        units = f.create_dataset("spikes/units", (len(samples),),
                                 dtype=h5py.vlen_dtype(np.uint16))
        for k, (t, u) in enumerate(samples):
            times[k] = np.asarray(t, np.float32)
            units[k] = np.asarray(u, np.uint16)
        f.create_dataset("labels", data=np.asarray(labels, np.uint8))
    os.replace(tmp, path)
