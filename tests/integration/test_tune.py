# SPDX-License-Identifier: GPL-2.0-or-later
"""`seqnest tune` on the local Dask cluster (tiny network): a study that continues,
survives its client being killed, and whose best values learn runs accept."""
import json
from pathlib import Path

import pytest

import seqnest
from seqnest.cli import main

pytestmark = pytest.mark.nest

SPEC = """task: set1
episodes: 2
config:
  network: {n_E: 20, rho: 4}
search:
  synapse.lambda_plus: {low: 0.02, high: 0.3, log: true}
  network.rho: {low: 2, high: 6, integer: true}
objective: {key: final_active_fraction, direction: minimize}
seeds: [21, 22]
trials: 2
"""


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "tune.yaml"
    path.write_text(SPEC)
    return path


def _points(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "runs").iterdir() if p.is_dir())


def test_a_study_runs_continues_and_gives_a_config(built_module, spec, tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["tune", str(spec), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2 trials finished (2 now" in printed and "best: trial" in printed
    assert len(_points(out)) == 2 * 2                       # two trials x two seeds
    # continued with a larger budget: only the new trial runs
    summary = seqnest.tune(spec, out, trials=3, module=built_module)
    assert summary["trials"] == 3 and summary["ran"] == 1 and len(_points(out)) == 3 * 2
    best = json.loads((out / "best_config.json").read_text())
    assert set(best) == {"synapse", "network", "run"}
    assert best["network"]["n_E"] == 20 and best["run"]["episodes"] == 2
    assert main(["learn", "--config", str(out / "best_config.json"), "--dry-run"]) == 0
    # another spec is not mixed into this study
    spec.write_text(SPEC.replace("seeds: [21, 22]", "seeds: [23]"))
    assert main(["tune", str(spec), "--out", str(out)]) == 2
    assert "holds a study of another spec" in capsys.readouterr().err


def test_a_killed_client_loses_nothing_finished(built_module, spec, tmp_path, monkeypatch):
    """The client dies after a batch's points finished and before the study heard of
    them: the next command asks those trials' values again and reuses the points."""
    from seqnest.sequences.sweep import run as sweep_run
    out = tmp_path / "study"
    real = sweep_run.run_sweep

    def dies_after(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_run, "run_sweep", dies_after)
    with pytest.raises(KeyboardInterrupt):
        seqnest.tune(spec, out, module=built_module)
    finished = {p: (out / "runs" / p / "metrics.json").stat().st_mtime_ns for p in _points(out)}
    assert len(finished) == 4
    monkeypatch.setattr(sweep_run, "run_sweep", real)
    summary = seqnest.tune(spec, out, module=built_module)
    assert summary["trials"] == 2 and summary["complete"] == 2
    assert {p: (out / "runs" / p / "metrics.json").stat().st_mtime_ns
            for p in _points(out)} == finished                 # nothing ran again
