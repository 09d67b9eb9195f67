# SPDX-License-Identifier: GPL-2.0-or-later
"""Ctrl-C stops `seqnest learn`, `replay` and `report` within seconds, exit 130, nothing left.

Each command runs as a user would start it, in its own process; SIGINT is sent
once it is well into its work.
"""
import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.nest

STORED = Path(__file__).parents[1] / "data" / "run_small"


def interrupt(argv, after_s, cwd):
    proc = subprocess.Popen([sys.executable, "-m", "seqnest", *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    time.sleep(after_s)
    assert proc.poll() is None, proc.communicate()
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, time.perf_counter() - sent, err


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def test_ctrl_c_stops_learning(built_module, tmp_path):
    code, took, err = interrupt(["learn", "--task", "set2", "--episodes", "400", "--out",
                                 str(tmp_path / "run"), "--no-progress"], 8.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 5.0
    assert listing(tmp_path) == []                       # no run directory, no temporaries


def test_ctrl_c_stops_replay_and_keeps_the_previous_one(built_module, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(STORED, run)
    before = listing(tmp_path)
    code, took, err = interrupt(["replay", str(run), "--repetitions", "4000", "--no-progress"],
                                8.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 5.0
    assert listing(tmp_path) == before
    assert filecmp.cmp(run / "replay" / "replay.json", STORED / "replay" / "replay.json",
                       shallow=False)


def test_ctrl_c_stops_a_report(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(STORED, run)
    before = listing(tmp_path)
    code, took, err = interrupt(["report", str(run)], 3.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 5.0
    assert listing(tmp_path) == before


def test_ctrl_c_stops_a_sweep_and_leaves_only_complete_points(built_module, tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text((Path(__file__).parents[1] / "data" / "sweep_tiny.yaml").read_text()
                    .replace("episodes: 3", "episodes: 400"))
    out = tmp_path / "sweep"
    code, took, err = interrupt(["sweep", str(spec), "--out", str(out), "--workers", "2",
                                 "--no-progress"], 12.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 15.0
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    for point in (p for p in out.iterdir() if p.is_dir()):
        assert (point / "metrics.json").is_file()         # only complete run directories


def test_ctrl_c_stops_cd_train_and_cd_eval(built_module, tmp_path):
    code, took, err = interrupt(["cd-train", "--task", "mts-xor", "--out", str(tmp_path / "run")],
                                4.0, tmp_path)
    assert code == 130 and "interrupted" in err and took < 5.0
    assert listing(tmp_path) == []
    from seqnest.cli import main
    run = tmp_path / "small"
    assert main(["cd-train", "--task", "patterns", "--epochs", "1", "--no-progress",
                 "--set", "training.n_train=50", "--set", "training.n_test=20",
                 "--out", str(run)]) == 0
    before = listing(tmp_path)
    code, took, err = interrupt(["cd-eval", str(run), "--trials", "2000000", "--no-progress"],
                                6.0, tmp_path)
    assert code == 130 and "interrupted" in err and took < 5.0
    assert listing(tmp_path) == before
