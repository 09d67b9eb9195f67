# SPDX-License-Identifier: GPL-2.0-or-later
"""Run directories: written atomically, read back with clear errors.

This module knows no model family: each family writes and reads its own files
with these helpers (the temporal memory in
:mod:`seqnest.sequences.temporal_memory.rundir`) and names itself in
``params.json["family"]`` (:func:`run_family`). A temporal-memory training run
directory holds

============================  ===================================================
``params.json``               ``{"family": "temporal_memory", "hash": ...,
                              "params": RunConfig.to_dict()}`` (every family
                              writes its name as ``family``: :func:`run_family`)
``env.json``                  package versions, ``nest.build_info``, module key,
                              seed, threads, host, command line, time
``metrics.json``              per-episode lists and summary figures
``schedule.json``             vocabulary, sequences, n_E, element onsets of episode 0,
                              episode duration, neurons reached by the sparse
                              first-element drive (per element)
``spikes.nix``                neo Block, Segment "training": one compact SpikeTrain
                              per population, E and I (see
                              :mod:`seqnest.pynest_ext.neo_convert`), the dAP onsets of the
                              last episode ("E_dAP", exact times),
                              Epoch "episodes", Event "stimuli"
``connectivity.npz``          E->E connections after learning (``source``,
                              ``target``, ``permanence``, ``weight``; per-synapse
                              parameters as ``param_<name>``, e.g. a ReRAM
                              device's ``param_level_step``) and before
                              (``initial_permanence``, ``initial_weight``)
``neuron_state.npz``          the E neurons' dAP trace ``z``, ``calcium`` and
                              learning gate ``learn_on`` at the end (what
                              ``seqnest learn --resume`` carries over)
============================  ===================================================

Everything is written into a hidden sibling directory first and renamed into
place, so an interrupted run leaves no half-written directory behind.
"""
from __future__ import annotations

import contextlib
import errno
import glob
import importlib.metadata
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqnest.errors import RunDirError

__all__ = ["RunDirError", "atomic_directory", "check_output", "is_own_directory",
           "require_writable", "write_json", "read_json", "environment", "write_run_record",
           "check_run_dir", "package_version", "check_free_space",
           "run_family", "read_npz", "load_connectivity_arrays", "load_spikes", "load_segment", "population_train",
           "train_arrays", "population_arrays_optional", "family_name", "remove_stale_temporaries",
           "TEMPORAL_MEMORY", "PATTERNS", "COINCIDENCE"]

PACKAGES = ("seqnest", "nest-simulator", "nestml", "numpy", "neo", "nixio", "quantities",
            "elephant", "matplotlib", "tqdm", "dask", "distributed")


#: Files that mark a directory as one this tool wrote, by kind: ``--force``
#: replaces nothing else.
OWN_MARKERS: dict[str, tuple[str, ...]] = {
    "run": ("params.json", "env.json"),
    "replay": ("replay.json",),
    "report": ("report.html",),
    "eval": ("eval.json",),
}


def is_own_directory(path: Path, kind: str) -> bool:
    """Whether ``path`` is a directory of ``kind`` written by this tool."""
    return path.is_dir() and all((path / name).is_file() for name in OWN_MARKERS[kind])


def check_output(out: str | os.PathLike, force: bool = False, kind: str = "run") -> Path:
    """Check, before any simulation, that the directory ``out`` can be written.

    ``out`` must not exist, or (with ``force``) be a ``kind`` directory this
    tool wrote (:data:`OWN_MARKERS`); it must not contain the working
    directory; its parent must exist or be creatable and must take the hidden
    temporary sibling that :func:`atomic_directory` writes first (tried here).

    Raises
    ------
    RunDirError
        With one line naming the path and the reason.
    """
    out = Path(out)
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise RunDirError(f"output directory {out} contains the working directory: "
                          "choose a directory below it")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise RunDirError(f"output path exists and is not a directory: {out}")
        if not force:
            raise RunDirError(f"output directory exists: {out} (use --force to replace it)")
        if not is_own_directory(out, kind):
            raise RunDirError(f"{out} exists and is not a {kind} directory seqnest wrote "
                              f"(no {' and '.join(OWN_MARKERS[kind])}): not replaced; choose "
                              "another --out")
    require_writable(resolved.parent, f"cannot write output directory {out}")
    return out


def require_writable(folder: Path, message: str) -> Path:
    """Create ``folder`` if needed and check that it takes new files (a temporary
    directory is made and removed); otherwise RunDirError ``message: reason``."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        Path(tempfile.mkdtemp(prefix=".seqnest-check-", dir=folder)).rmdir()
    except OSError as exc:
        raise RunDirError(f"{message}: {exc.strerror or exc}") from None
    return folder


@contextlib.contextmanager
def atomic_directory(out: str | os.PathLike, force: bool = False,
                     kind: str = "run") -> Iterator[Path]:
    """Yield a temporary directory that becomes ``out`` when the block succeeds.

    An existing ``out`` is an error unless ``force`` and it is a ``kind``
    directory this tool wrote (see :func:`check_output`); it is replaced only
    after the new directory is complete.
    """
    out = check_output(out, force, kind)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)   # mkdtemp creates 0700; a run directory follows the umask
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "run")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        shutil.rmtree(tmp, ignore_errors=True)
        raise RunDirError(f"no space left on the file system of {out} while writing it "
                          f"({_mb(shutil.disk_usage(out.parent).free)} free after removing "
                          "the partial output): nothing written; free space or choose "
                          "another --out") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def check_free_space(out: str | os.PathLike, need: float, what: str) -> None:
    """Refuse, before anything is built, an output whose file system has less free
    space than ``need`` bytes (an estimate of what will be written there)."""
    folder = Path(out).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < need:
        raise RunDirError(f"{out}: about {_mb(need)} needed for {what}, and only "
                          f"{_mb(free)} free on its file system")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    return str(obj)


def write_json(path: Path, obj: Any) -> None:
    """Write strict JSON (NaN and infinities become null)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(_jsonable(obj), indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirError(f"corrupt JSON in {path}: {exc}") from None


def source_revision() -> dict[str, Any]:
    """The git commit of the plugin's own source checkout (``commit`` None for an
    installed wheel or when git is unavailable) and whether it had local changes."""
    import subprocess
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD", "--show-toplevel"],
                                capture_output=True, text=True, timeout=10)
        lines = commit.stdout.split()
        # only our own checkout (an installed wheel may sit inside someone else's repository)
        if commit.returncode != 0 or len(lines) != 2 or Path(lines[1]).resolve() / "sequences" != here:
            return {"commit": None, "dirty": None}
        status = subprocess.run(["git", "-C", str(here), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True,
                                timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"commit": lines[0], "dirty": dirty}


def package_version(name: str) -> str | None:
    """The installed version of the distribution ``name`` (None: not installed)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(module_key: str, seed: int, threads: int) -> dict[str, Any]:
    """Software and machine record of a run."""
    versions = {pkg: package_version(pkg) for pkg in PACKAGES}
    from seqnest.pynest_ext.kernel import import_nest
    nest = import_nest()
    return {
        "packages": versions,
        "seqnest_source": source_revision(),
        "python": sys.version.split()[0],
        "nest_build_info": dict(nest.build_info),
        "module_key": module_key,
        "seed": seed,
        "threads": threads,
        "mpi_processes": int(nest.NumProcesses()),
        "host": {"name": platform.node(), "platform": platform.platform(),
                 "machine": platform.machine(), "cpus": os.cpu_count()},
        "command": sys.argv,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_run_record(folder: Path, family: str, config, module_key: str,
                     metrics: dict) -> None:
    """``params.json`` (the family, the configuration's hash and values), ``env.json``
    and ``metrics.json`` of a run, into ``folder``. ``config`` has ``hash()``,
    ``to_dict()`` and ``run.seed`` / ``run.threads``."""
    write_json(folder / "params.json", {"family": family, "hash": config.hash(),
                                        "params": config.to_dict()})
    write_json(folder / "env.json", environment(module_key, int(config.run.seed),
                                                int(config.run.threads)))
    write_json(folder / "metrics.json", metrics)


def check_run_dir(run_dir: str | os.PathLike) -> Path:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"run directory not found: {run_dir}")
    return run_dir


#: The names the families write as ``params.json["family"]``.
TEMPORAL_MEMORY = "temporal_memory"
PATTERNS = "patterns"
COINCIDENCE = "coincidence"
#: Names written by earlier versions, read as today's.
OLD_FAMILY_NAMES = {"stp": PATTERNS}


def family_name(name: Any) -> Any:
    """Today's name of a family name read from a file (earlier versions' names mapped)."""
    return OLD_FAMILY_NAMES.get(name, name) if isinstance(name, str) else name


def run_family(folder: str | os.PathLike) -> str | None:
    """The model family of the run directory ``folder`` (None: no readable run).

    Every family writes its name as ``params.json["family"]``; run directories
    written before that still read: a pattern-sequence run kept it inside its
    parameter record (as ``"stp"``), a temporal-memory run had none.
    """
    path = Path(folder) / "params.json"
    if not path.is_file():
        return None
    try:
        record = read_json(path)
    except RunDirError:
        return None
    if not isinstance(record, dict):
        return None
    family = record.get("family")
    params = record.get("params")
    if not isinstance(family, str) and isinstance(params, dict):
        family = params.get("family") if isinstance(params.get("family"), str) \
            else TEMPORAL_MEMORY
    return family_name(family) if isinstance(family, str) else None


def read_npz(path: Path, what: str) -> dict[str, np.ndarray]:
    """Every array of an .npz file; a missing or damaged file is a RunDirError (the
    latter naming ``what``)."""
    if not Path(path).is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise RunDirError(f"corrupt {what} {path}: {exc}") from None


#: Arrays of ``connectivity.npz``.
CONNECTIVITY_KEYS = ("source", "target", "permanence", "weight", "initial_permanence",
                     "initial_weight")


def load_connectivity_arrays(run_dir: str | os.PathLike,
                             required: Sequence[str] = CONNECTIVITY_KEYS) -> dict[str, np.ndarray]:
    """The arrays of a run directory's ``connectivity.npz``; ``required`` must be present."""
    path = check_run_dir(run_dir) / "connectivity.npz"
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    arrays = read_npz(path, "connectivity file")
    missing = [k for k in required if k not in arrays]
    if missing:
        raise RunDirError(f"corrupt connectivity file {path}: no {missing[0]!r}")
    return arrays


def population_train(segment, name: str):
    """The compact SpikeTrain of population ``name`` ("E", "I", "E_dAP") in a segment."""
    for st in segment.spiketrains:
        if st.annotations.get("population", st.name) == name:
            return st
    raise RunDirError(f"segment {segment.name!r} has no population {name!r}")


def train_arrays(train) -> tuple[np.ndarray, np.ndarray]:
    """(neuron index, time in ms) arrays of a compact SpikeTrain."""
    import quantities as pq
    return (np.asarray(train.array_annotations["neuron"], dtype=np.int64),
            np.asarray(train.times.rescale(pq.ms).magnitude, dtype=float))


def population_arrays_optional(segment, name: str):
    """(neuron, time) arrays of population ``name``, or None if not recorded."""
    try:
        return train_arrays(population_train(segment, name))
    except RunDirError:
        return None


def load_spikes(run_dir: str | os.PathLike):
    """The run's recordings as one neo Block: Segment "training" and, if the run was
    replayed, Segment "replay" (compact trains; split them with
    :func:`seqnest.pynest_ext.neo_convert.split_population`)."""
    import neo

    run_dir = check_run_dir(run_dir)
    block = neo.Block(name=f"seqnest run {run_dir.name}")
    block.segments.append(load_segment(run_dir / "spikes.nix", "training"))
    if (run_dir / "replay" / "spikes.nix").is_file():
        block.segments.append(load_segment(run_dir / "replay" / "spikes.nix", "replay"))
    return block


def load_segment(path: Path, name: str):
    """The neo Segment ``name`` of the NIX file ``path`` (one-line error if the file is
    missing, unreadable or has no such segment)."""
    from seqnest.pynest_ext.neo_convert import read_nix
    if not path.is_file():
        raise RunDirError(f"missing file: {path}")
    try:
        stored = read_nix(path)
    except ValueError as exc:
        raise RunDirError(str(exc)) from None
    segment = next((seg for seg in stored.segments if seg.name == name), None)
    if segment is None:
        raise RunDirError(f"{path}: no {name} segment")
    return segment


def remove_stale_temporaries(folder: Path, names: set[str]) -> None:
    """Remove the hidden temporary directories that a killed or interrupted worker left
    behind in ``folder`` for one of ``names`` (``.<name>.tmp-*``, ``.<name>.old-*``,
    written by :func:`atomic_directory`; the random suffix has no dot), and
    the temporary files of their checkpoints."""
    import shutil
    for d in folder.glob(".*.*-*"):
        name, _, rest = d.name[1:].rpartition(".")
        if d.is_dir() and name in names and rest.startswith(("tmp-", "old-")):
            shutil.rmtree(d, ignore_errors=True)
    for name in names:                   # a checkpoint cut short by a kill while written
        for f in folder.glob(f".{glob.escape(name)}.checkpoint.npz.tmp-*"):
            f.unlink(missing_ok=True)
