# SPDX-License-Identifier: GPL-2.0-or-later
"""Atomic run directories and their loading errors."""
import json

import numpy as np
import pytest

from seqnest.sequences.rundir import (RunDirError, atomic_directory, check_output, read_json,
                                      write_json)
from seqnest.sequences.temporal_memory.rundir import load_config, load_connectivity


def test_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "params.json").write_text("{}")
            raise RuntimeError("simulation died")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def own_run(path):
    path.mkdir()
    (path / "params.json").write_text("{}")
    (path / "env.json").write_text("{}")
    return path


def test_existing_directory_needs_force(tmp_path):
    out = own_run(tmp_path / "run")
    with pytest.raises(RunDirError, match="output directory exists"):
        with atomic_directory(out):
            pass
    with atomic_directory(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_force_replaces_only_a_directory_this_tool_wrote(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "mydata.csv").write_text("1,2\n")
    with pytest.raises(RunDirError, match="is not a run directory seqnest wrote"):
        check_output(data, force=True)
    with pytest.raises(RunDirError, match="not replaced"):
        with atomic_directory(data, force=True):
            pass
    assert (data / "mydata.csv").read_text() == "1,2\n"
    afile = tmp_path / "notes.txt"
    afile.write_text("keep")
    with pytest.raises(RunDirError, match="not a directory"):
        check_output(afile, force=True)
    assert afile.read_text() == "keep"
    replay = tmp_path / "replay"
    replay.mkdir()
    (replay / "replay.json").write_text("{}")
    check_output(replay, force=True, kind="replay")
    with pytest.raises(RunDirError, match="is not a run directory seqnest wrote"):
        check_output(replay, force=True)          # a replay directory is not a run directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt", "replay"]


def test_output_locations_that_cannot_work_are_refused_up_front(tmp_path, monkeypatch):
    monkeypatch.chdir(own_run(tmp_path / "cwd"))
    for out in (".", tmp_path / "cwd", tmp_path):
        with pytest.raises(RunDirError, match="contains the working directory"):
            check_output(out, force=True)
    with pytest.raises(RunDirError, match="cannot write output directory"):
        check_output("/proc/seqnest-test/run")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a parent folder should be")
    with pytest.raises(RunDirError, match="cannot write output directory"):
        check_output(blocker / "run")
    assert check_output(tmp_path / "new" / "deeper" / "run") == tmp_path / "new" / "deeper" / "run"
    assert not list((tmp_path / "new" / "deeper").iterdir())     # the probe is gone


def test_json_is_strict(tmp_path):
    write_json(tmp_path / "m.json", {"a": float("nan"), "b": np.float64(1.5), "c": np.arange(2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": None, "b": 1.5, "c": [0, 1]}


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RunDirError, match="run directory not found"):
        load_config(tmp_path / "nope")
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(RunDirError, match="not a directory seqnest wrote .no params.json"):
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
