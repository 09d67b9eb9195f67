# SPDX-License-Identifier: GPL-2.0-or-later
"""A run that cannot fit its file system is refused before anything is built; a
write that still runs out of space ends in one line and leaves nothing."""
import errno
import shutil
import subprocess
import sys
from collections import namedtuple

import pytest

from seqnest.cli import main
from seqnest.sequences import rundir
from seqnest.sequences.rundir import RunDirError, atomic_directory


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(tmp_path):
    with pytest.raises(RunDirError, match=r"no space left on the file system of .*run while "
                                          r"writing it .* nothing written"):
        with atomic_directory(tmp_path / "run") as tmp:
            (tmp / "spikes.nix").write_text("part of it")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_other_write_errors_pass_through(tmp_path):
    with pytest.raises(PermissionError):
        with atomic_directory(tmp_path / "run"):
            raise PermissionError(errno.EACCES, "denied")
    assert list(tmp_path.iterdir()) == []


def test_learn_checks_the_space_before_building(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 2**20))
    built = []
    monkeypatch.setattr("seqnest.cli.common.module", lambda: built.append(1))
    assert main(["learn", "--task", "set1", "--episodes", "40", "--out",
                 str(tmp_path / "run"), "--no-progress", "--no-checkpoint"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "about 11.1 MB needed for the run directory" in err[0] \
        and "only 1.0 MB free" in err[0], err
    # with checkpoints (the default) the last one and the one replacing it count too
    assert main(["learn", "--task", "set1", "--episodes", "40", "--out",
                 str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needed for the run directory and its checkpoints" in err[0], err
    assert float(err[0].split("about ")[1].split(" MB")[0]) > 11.1 + 2 * 9
    assert built == [] and list(tmp_path.iterdir()) == []


def test_a_small_real_file_system_is_refused(tmp_path):
    """On a 2-MB tmpfs where this machine lets the tests mount one."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
            capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the simulated test above covers the check)")
    try:
        out = subprocess.run([sys.executable, "-m", "seqnest", "learn", "--task", "set1",
                              "--episodes", "3", "--out", str(mnt / "run"), "--no-progress"],
                             capture_output=True, text=True)
        assert out.returncode == 2, out.stderr
        assert "needed for the run directory" in out.stderr \
            and "free on its file system" in out.stderr
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_a_sweep_whose_runs_cannot_fit_is_refused_before_it_starts(tmp_path, capsys,
                                                                     monkeypatch):
    from pathlib import Path
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 2**20))
    monkeypatch.setattr("seqnest.cli.common.module", lambda: pytest.fail("built"))
    spec = Path(__file__).parent.parent / "data" / "sweep_tiny.yaml"
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sweep"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needed for the 4 run directories still to write" in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_a_replay_checks_the_space_before_building(tmp_path, capsys, monkeypatch):
    import shutil
    from pathlib import Path
    run = tmp_path / "run"
    shutil.copytree(Path(__file__).parents[1] / "data" / "run_small", run)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 2**19))
    built = []
    monkeypatch.setattr("seqnest.cli.common.module", lambda: built.append(1))
    before = sorted(p.name for p in run.iterdir())
    assert main(["replay", str(run), "--out", str(tmp_path / "replay"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needed for the replay" in err[0], err
    assert built == [] and sorted(p.name for p in run.iterdir()) == before
    assert not (tmp_path / "replay").exists()


def test_a_pattern_run_checks_the_space_before_building(tmp_path, capsys, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 2**19))
    built = []
    monkeypatch.setattr("seqnest.cli.common.module", lambda: built.append(1))
    assert main(["learn", "--inputs", "stp-spatial", "--out", str(tmp_path / "run"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needed for the run directory" in err[0], err
    assert built == [] and list(tmp_path.iterdir()) == []
