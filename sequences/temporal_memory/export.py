# SPDX-License-Identifier: GPL-2.0-or-later
"""Export a temporal-memory run to one NIX file (no NEST needed).

The file holds one neo Block, written through neo's NIX I/O and read back with it
(``neo.io.NixIO(path, "ro").read_block()``):

- Segment ``training``: the spikes of the E and I populations and the dAP onsets of
  the E neurons (SpikeTrain ``E_dAP``), and the stimuli (Event ``stimuli``, labelled
  with their element);
- one Segment per replay of the run (``replay``, ``replay: replay-shared``,
  ``replay: replays/<condition>``; :func:`~seqnest.sequences.temporal_memory.rundir.find_replays`).

Each population is one compact SpikeTrain whose array annotation ``neuron`` gives
each spike's neuron, as in the run directory (annotations: population size,
subpopulation size, elements, NEST node id of neuron 0);
:func:`seqnest.pynest_ext.neo_convert.split_population` gives one SpikeTrain per
neuron. Writing one SpikeTrain per neuron instead was measured 100 times slower
(63 s against 0.6 s, 112 MB against 8 MB for a set-I run of 900 neurons) and is
not offered.

The E->E connectivity (``connectivity.npz``: sources, targets, plastic state and
weight after and before learning, per-synapse parameters) is not something neo
models: it is stored in the same NIX block as NIX DataArrays of type
``seqnest.connectivity`` (neo leaves them alone), each with its unit and meaning,
and read with :func:`read_export` or with nixio directly. The block's annotations
name the run, its family, parameter hash, seed, threads and the seqnest version.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from seqnest.errors import ParameterError, RunDirError
from seqnest.sequences.rundir import (TEMPORAL_MEMORY, check_run_dir, load_connectivity_arrays,
                                      load_segment, package_version, read_json)
from seqnest.sequences.temporal_memory.rundir import find_replays, load_config

__all__ = ["FORMATS", "CONNECTIVITY_TYPE", "export_run", "read_export"]

#: The formats ``seqnest export`` writes.
FORMATS = ("nix",)
#: NIX type of the connectivity DataArrays; the metadata section that marks an export.
CONNECTIVITY_TYPE = "seqnest.connectivity"
EXPORT_SECTION = "seqnest.export"


def _field_meaning(name: str, state_key: str) -> tuple[str | None, str]:
    """(unit, meaning) of a connectivity.npz array."""
    fixed = {"source": (None, "presynaptic E neuron (index into the E population)"),
             "target": (None, "postsynaptic E neuron (index into the E population)"),
             "permanence": (None, f"plastic state after learning ({state_key} of the synapse "
                                  "model)"),
             "initial_permanence": (None, f"plastic state before learning ({state_key})"),
             "weight": ("pA", "synaptic weight after learning"),
             "initial_weight": ("pA", "synaptic weight before learning")}
    if name in fixed:
        return fixed[name]
    if name.startswith("param_"):
        return None, f"per-synapse parameter {name[len('param_'):]} of the synapse model"
    return None, name


def check_export_output(out: Path, force: bool) -> Path:
    """An export may replace only an export seqnest wrote (with ``force``); its folder
    must take a new file."""
    if out.exists() or out.is_symlink():
        if out.is_dir():
            raise RunDirError(f"{out} is a folder: give the file to write (--out FILE.nix)")
        if not force:
            raise RunDirError(f"{out} exists: not replaced (--force replaces an export "
                              "seqnest wrote)")
        if not _is_export(out):
            raise RunDirError(f"{out} exists and is not a NIX export seqnest wrote: "
                              "not replaced; choose another --out")
    if out.suffix != ".nix":
        raise ParameterError(f"--out {out}: a NIX export ends in .nix")
    from seqnest.sequences.rundir import require_writable
    require_writable(out.parent, f"cannot write {out}")
    return out


def _is_export(path: Path) -> bool:
    import nixio
    try:
        with nixio.File.open(str(path), nixio.FileMode.ReadOnly) as f:
            return any(s.type == EXPORT_SECTION for s in f.sections)
    except Exception:        # noqa: BLE001 - not a NIX file at all
        return False


def _segments(run_dir: Path) -> list:
    segments = [load_segment(run_dir / "spikes.nix", "training")]
    for folder in find_replays(run_dir):
        label = folder.relative_to(run_dir).as_posix()
        seg = load_segment(folder / "spikes.nix", "replay")
        seg.name = "replay" if label == "replay" else f"replay: {label}"
        seg.annotate(replay_dir=label)
        segments.append(seg)
    for seg in segments:       # names from the files read: NIX wants them unique in one block
        for obj in (seg, *seg.spiketrains, *seg.events):
            obj.annotations.pop("nix_name", None)
    return segments


def export_run(run_dir: str | os.PathLike, out: str | os.PathLike | None = None,
               fmt: str = "nix", force: bool = False) -> Path:
    """Write the run's spikes, dAP onsets, stimuli, replays and E->E connectivity to
    one NIX file ``out`` (default ``RUN_DIR/export.nix``); return its path. The file
    is written beside its place and renamed into it: an interrupted export leaves
    nothing, and an existing file is replaced only with ``force`` and only if it
    is an export seqnest wrote."""
    import neo
    import nixio

    from seqnest.sequences.directories import require_kind
    if fmt not in FORMATS:
        raise ParameterError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    run_dir = require_kind(check_run_dir(run_dir), TEMPORAL_MEMORY)
    out = check_export_output(Path(out) if out is not None else run_dir / "export.nix", force)
    cfg = load_config(run_dir)
    version = package_version("seqnest") or "unknown"
    env = read_json(run_dir / "env.json") if (run_dir / "env.json").is_file() else {}
    conn = load_connectivity_arrays(run_dir)
    block = neo.Block(
        name=f"seqnest run {run_dir.name}",
        description="Spikes (E, I), dAP onsets (E_dAP) and stimuli of a seqnest "
                    "temporal-memory run and its replays; E->E connectivity in the NIX "
                    f"DataArrays of type {CONNECTIVITY_TYPE} of this block",
        family=TEMPORAL_MEMORY, run=str(run_dir.resolve()), params_hash=cfg.hash(),
        seed=int(cfg.run.seed), threads=int(env.get("threads", cfg.run.threads)),
        synapse=cfg.synapse.KIND, sequences=[" ".join(s) for s in cfg.sequence_set.sequences],
        n_E=int(cfg.network.n_E), seqnest_version=version,
        spike_layout="one SpikeTrain per population; its array annotation 'neuron' gives "
                     "each spike's neuron")
    for seg in _segments(run_dir):
        seg.block = block
        block.segments.append(seg)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.tmp-", suffix=".nix", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with neo.io.NixIO(str(tmp), mode="ow") as io:
            io.write_block(block)
        with nixio.File.open(str(tmp), nixio.FileMode.ReadWrite) as f:
            nix_block = f.blocks[0]
            meta = f.create_section(f"seqnest export {run_dir.name}", EXPORT_SECTION)
            meta["seqnest_version"] = version
            meta["run"] = str(run_dir.resolve())
            fields = f.create_section("connectivity", CONNECTIVITY_TYPE)
            for name in sorted(conn):
                unit, meaning = _field_meaning(name, cfg.synapse.STATE_KEY)
                array = nix_block.create_data_array(f"{CONNECTIVITY_TYPE}.{name}",
                                                    CONNECTIVITY_TYPE, data=np.asarray(conn[name]))
                if unit:
                    array.unit = unit
                array.label = name
                array.append_set_dimension()
                fields[name] = meaning
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def read_export(path: str | os.PathLike) -> tuple:
    """(neo Block, connectivity) of a NIX export: the Block as neo reads it, and a dict
    of the connectivity arrays (weights in pA) by their connectivity.npz names."""
    import neo
    import nixio
    path = Path(path)
    if not path.is_file():
        raise RunDirError(f"export not found: {path}")
    if not _is_export(path):
        raise RunDirError(f"{path} is not a NIX export seqnest wrote")
    with neo.io.NixIO(str(path), mode="ro") as io:
        block = io.read_block()
    with nixio.File.open(str(path), nixio.FileMode.ReadOnly) as f:
        prefix = f"{CONNECTIVITY_TYPE}."
        conn = {da.name[len(prefix):]: np.asarray(da[:]) for da in f.blocks[0].data_arrays
                if da.type == CONNECTIVITY_TYPE}
    return block, conn
