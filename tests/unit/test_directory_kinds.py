# SPDX-License-Identifier: GPL-2.0-or-later
"""Every command that takes a directory says, in one line, what a directory of
another kind is and which commands take it (no NEST needed: the check comes before
any simulation)."""
import json
import shutil
from pathlib import Path

import pytest

from seqnest.cli import main
from seqnest.sequences.directories import directory_kind

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture()
def kinds(tmp_path) -> dict[str, Path]:
    """One directory of each kind seqnest writes (the runs as stored, the others
    with the file that marks them), and one it did not write."""
    out = {"temporal_memory": tmp_path / "tm", "patterns": tmp_path / "pat",
           "coincidence": tmp_path / "cd", "replay": tmp_path / "tm" / "replay",
           "sweep": tmp_path / "sweep", "eval": tmp_path / "cd-eval", "other": tmp_path / "other"}
    shutil.copytree(DATA / "run_small", out["temporal_memory"])
    shutil.copytree(DATA / "patterns_run_stp_marked", out["patterns"])
    out["coincidence"].mkdir()
    (out["coincidence"] / "params.json").write_text(json.dumps({"family": "coincidence"}))
    out["sweep"].mkdir()
    (out["sweep"] / "results.csv").write_text("point,error\n")
    out["eval"].mkdir()
    (out["eval"] / "eval.json").write_text("{}")
    out["other"].mkdir()
    for kind, marker in (("trials", "branches.json"), ("study", "study.json"),
                         ("tune", "tune.json")):
        out[kind] = tmp_path / kind
        out[kind].mkdir()
        (out[kind] / marker).write_text("{}")
    return out


def test_each_kind_is_recognised(kinds):
    for kind, path in kinds.items():
        assert directory_kind(path) == (None if kind == "other" else kind), kind


@pytest.mark.parametrize("command, takes", [
    (["replay"], "temporal_memory"), (["learn", "--resume"], "temporal_memory"),
    (["cd-eval"], "coincidence"), (["report"], None), (["export"], "temporal_memory")])
def test_a_directory_of_another_kind_is_named_in_one_line(kinds, capsys, command, takes):
    what = {"temporal_memory": "a temporal-memory run", "patterns": "a pattern-sequence run",
            "coincidence": "a coincidence-detection run", "replay": "a replay directory",
            "sweep": "a sweep directory", "eval": "a coincidence evaluation",
            "trials": "noisy replay trials", "study": "a benchmark study",
            "tune": "a parameter search",
            "other": "not a directory seqnest wrote"}
    for kind, path in kinds.items():
        if kind == takes or (command == ["report"] and kind in
                             ("temporal_memory", "patterns", "coincidence", "sweep", "replay",
                              "trials", "tune")):
            continue
        extra = {"replay": ["--no-progress"], "learn": ["--no-progress", "--out",
                                                         str(path.parent / "new-run")]}
        code = main([*command, str(path), *extra.get(command[0], [])])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, (command, kind)
        assert len(err) == 1 and what[kind] in err[0], (command, kind, err)
        assert "params.json" not in err[0] or kind == "other", err[0]
