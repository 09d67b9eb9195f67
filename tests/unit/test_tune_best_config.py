# SPDX-License-Identifier: GPL-2.0-or-later
"""The best trial as a configuration file that `seqnest learn --config` takes, for
each family: the spec's top-level values go where the family's points put them
(pattern sequences: episodes are protocol.iterations). The runs are stood in for
by their metrics files (no NEST, no cluster)."""
import contextlib
import json

import pytest

import seqnest
from seqnest.cli import main
from seqnest.sequences.rundir import write_json
from seqnest.sequences.sweep import run as sweep_run
from seqnest.sequences.sweep.points import expand

PATTERNS = """inputs: spatial
task: s3
episodes: 40
config: {network: {n_E_per_item: 30}}
search:
  neuron.theta_dAP: {low: 5, high: 60, log: true}
objective: {key: final_accuracy, direction: maximize}
seeds: [3, 4]
trials: 3
cluster: {threads: 2}
"""


@pytest.fixture()
def fake_runs(monkeypatch):
    """Each point 'runs' by writing its metrics: accuracy grows with theta_dAP."""
    def run_sweep(spec, out, **kwargs):
        for p in expand(spec):
            accuracy = p.config.neuron.theta_dAP / 100.0
            (out / p.key).mkdir(parents=True, exist_ok=True)
            write_json(out / p.key / "metrics.json", {"final_accuracy": accuracy,
                                                      "accuracy": [accuracy]})
        return {"failed": {}}
    monkeypatch.setattr(sweep_run, "run_sweep", run_sweep)
    monkeypatch.setattr(sweep_run, "sweep_cluster",
                        lambda *a, **k: contextlib.nullcontext(sweep_run.RunningCluster(None, 2)))


def test_a_pattern_study_gives_a_config_learn_takes(tmp_path, fake_runs, capsys):
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS)
    summary = seqnest.tune(spec, tmp_path / "study", module=object())
    assert summary["complete"] == 3
    best = json.loads((tmp_path / "study" / "best_config.json").read_text())
    assert best["protocol"] == {"iterations": 40} and best["run"] == {"threads": 2}
    assert best["network"] == {"n_E_per_item": 30}
    assert best["neuron"]["theta_dAP"] == summary["best"]["params"]["neuron.theta_dAP"]
    path = str(tmp_path / "study" / "best_config.json")
    assert main(["learn", "--inputs", "spatial", "--task", "s3", "--config", path,
                 "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "iterations           40" in shown and "n_E_per_item   30" in shown
