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


def interrupt(argv, after_s, cwd, group=False):
    """Send SIGINT to the command ``after_s`` into its run; with ``group``, to its whole
    process group, as a terminal's Ctrl-C does (a sweep's local workers are in it), and
    with Python's warnings shown. Returns (exit code, seconds to exit, stderr, pid)."""
    env = dict(os.environ) if group else {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "seqnest", *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=group)
    time.sleep(after_s)
    assert proc.poll() is None, proc.communicate()
    sent = time.perf_counter()
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, time.perf_counter() - sent, err, proc.pid


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def test_ctrl_c_stops_learning(built_module, tmp_path):
    code, took, err, pid = interrupt(["learn", "--task", "set2", "--episodes", "400", "--out",
                                 str(tmp_path / "run"), "--no-progress", "--no-checkpoint"],
                                     8.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 5.0
    assert listing(tmp_path) == []                       # no run directory, no temporaries


def test_ctrl_c_keeps_what_training_learned(built_module, tmp_path):
    """With checkpoints (the default) Ctrl-C finishes the episode and writes one."""
    code, took, err, pid = interrupt(["learn", "--task", "set2", "--episodes", "400", "--out",
                                      str(tmp_path / "run"), "--no-progress"], 8.0, tmp_path)
    assert code == 130 and "SIGINT: stopped after episode" in err
    assert took < 5.0
    assert listing(tmp_path) == [".run.checkpoint.npz"]  # the checkpoint, nothing else


def test_ctrl_c_stops_replay_and_keeps_the_previous_one(built_module, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(STORED, run)
    before = listing(tmp_path)
    code, took, err, pid = interrupt(["replay", str(run), "--repetitions", "4000", "--no-progress"],
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
    code, took, err, pid = interrupt(["report", str(run)], 3.0, tmp_path)
    assert code == 130 and "interrupted" in err
    assert took < 5.0
    assert listing(tmp_path) == before


@pytest.mark.parametrize("after_s", [1.0, 12.0])
def test_ctrl_c_stops_a_sweep_and_leaves_only_complete_points(built_module, tmp_path, after_s):
    """Ctrl-C as a terminal sends it, while the workers start and while they run: one
    line, exit 130 within about a second, no worker left, only complete points."""
    spec = tmp_path / "long.yaml"
    spec.write_text((Path(__file__).parents[1] / "data" / "sweep_tiny.yaml").read_text()
                    .replace("episodes: 3", "episodes: 400"))
    out = tmp_path / "sweep"
    code, took, err, pid = interrupt(["sweep", str(spec), "--out", str(out), "--workers", "2",
                                 "--no-progress"], after_s, tmp_path, group=True)
    assert code == 130 and err == "seqnest: interrupted\n", err
    assert took < 3.0
    import psutil

    def in_session():
        found = []
        for proc in psutil.process_iter():
            try:
                if os.getsid(proc.pid) == pid and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append((proc.pid, proc.cmdline()))
            except (OSError, psutil.Error):
                pass
        return found
    # multiprocessing's resource tracker ends on its own once the command has ended
    deadline = time.perf_counter() + 5.0
    while (left := in_session()) and time.perf_counter() < deadline:
        time.sleep(0.1)
    assert left == []                                     # the workers are gone too
    if out.is_dir():
        leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
        assert leftovers == []
        for point in (p for p in out.iterdir() if p.is_dir()):
            assert (point / "metrics.json").is_file()     # only complete run directories


def test_ctrl_c_stops_cd_train_and_cd_eval(built_module, tmp_path):
    code, took, err, pid = interrupt(["cd-train", "--task", "mts-xor", "--out", str(tmp_path / "run")],
                                4.0, tmp_path)
    assert code == 130 and "interrupted" in err and took < 5.0
    assert listing(tmp_path) == []
    from seqnest.cli import main
    run = tmp_path / "small"
    assert main(["cd-train", "--task", "patterns", "--epochs", "1", "--no-progress",
                 "--set", "training.n_train=50", "--set", "training.n_test=20",
                 "--out", str(run)]) == 0
    before = listing(tmp_path)
    code, took, err, pid = interrupt(["cd-eval", str(run), "--trials", "2000000", "--no-progress"],
                                6.0, tmp_path)
    assert code == 130 and "interrupted" in err and took < 5.0
    assert listing(tmp_path) == before
