# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input to cd-train is refused with one line, before any output is written."""
import numpy as np
import pytest

from seqnest.cli import main
from seqnest.sequences.coincidence.config import resolve_cd_config
from seqnest.sequences.tasks.shd import write_shd
from seqnest.params import ParameterError


@pytest.mark.parametrize("extra, message", [
    (["--train-noise", "-0.1"], "training.sigma_train: must be >= 0"),
    (["--set", "delays.C=1e-9"], "rounds below the resolution"),
    (["--set", "delays.max=0.2"], "delays.max"),
    (["--set", "bogus.x=1"], "unknown parameter group 'bogus' in bogus.x"),
    (["--set", "task.jitter=-1"], "patterns.jitter"),
    (["--set", "task.nope=1"], "nope"),
    (["--set", "network.delays=maybe"], "network.delays"),
    (["--data", "somewhere"], "--data is for task shd"),
    (["--set", "task.n_channels=100000000"], "GB available"),
    (["--set", "training.n_train=10000000", "--set", "task.n_channels=2000"], "GB available"),
    (["--n-d", "5000"], "network.n_d"),
])
def test_cd_train_rejects_bad_input(tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    assert main(["cd-train", "--task", "patterns", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cd_train_unknown_task(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["cd-train", "--task", "xor9", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="unknown task"):
        resolve_cd_config("xor9")


def test_cd_train_shd_data_checked(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["cd-train", "--task", "shd", "--out", str(out)]) == 2
    assert "needs --data" in capsys.readouterr().err
    data = tmp_path / "data"
    data.mkdir()
    assert main(["cd-train", "--task", "shd", "--data", str(data), "--out", str(out)]) == 2
    assert "missing file" in capsys.readouterr().err
    for name in ("shd_train.h5", "shd_test.h5"):
        write_shd(data / name, [([0.1, 0.2], [1, 2])], [3])
    import h5py
    with h5py.File(data / "shd_test.h5", "a") as f:
        del f["spikes/units"]
    assert main(["cd-train", "--task", "shd", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "no dataset 'spikes/units'" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_task_defaults_and_overrides():
    cfg = resolve_cd_config("mts-xor", {"network.n_d": "4"}, ["rram.sigma=0.1"])
    assert cfg.network.n_d == 4 and cfg.network.tau_m == 2.0 and cfg.rram.sigma == 0.1
    assert cfg.delays.max == 99.0 and cfg.dt == 1.0
    shd = resolve_cd_config("shd")
    assert (shd.delays.R_mean, shd.delays.sigma_ln, shd.delays.max, shd.dt) == (500, 0.4, 1000, 5)
    assert np.isinf(shd.rram.levels)
