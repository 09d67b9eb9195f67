# SPDX-License-Identifier: GPL-2.0-or-later
"""Atomic run directories and their loading errors."""
import json

import numpy as np
import pytest

from sequences.rundir import (RunDirError, atomic_directory, load_config, load_connectivity,
                              read_json, write_json)


def test_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "params.json").write_text("{}")
            raise RuntimeError("simulation died")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_needs_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RunDirError, match="output directory exists"):
        with atomic_directory(out):
            pass
    with atomic_directory(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_json_is_strict(tmp_path):
    write_json(tmp_path / "m.json", {"a": float("nan"), "b": np.float64(1.5), "c": np.arange(2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": 1.5, "c": [0, 1]}


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RunDirError, match="run directory not found"):
        load_config(tmp_path / "nope")
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(RunDirError, match="missing file: .*params.json"):
        load_config(run)
    (run / "params.json").write_text("{broken")
    with pytest.raises(RunDirError, match="corrupt JSON"):
        read_json(run / "params.json")
    (run / "params.json").write_text('{"params": {"task": "set1"}}')
    with pytest.raises(RunDirError, match="invalid parameters|incomplete"):
        load_config(run)
    (run / "connectivity.npz").write_bytes(b"not a zip")
    with pytest.raises(RunDirError, match="corrupt connectivity"):
        load_connectivity(run)
