# SPDX-License-Identifier: GPL-2.0-or-later
"""The scripts in examples/ run (tiny sizes), from a directory outside the checkout."""
import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_own_network_example_plots_a_dap(tmp_path):
    out = _run("own_network_dap.py", "--out", "dap.svg", cwd=tmp_path)
    peak = float(out.split("dAP peak ")[1].split(" pA")[0])
    assert peak == pytest.approx(200.0)          # I_p of the paper
    assert (tmp_path / "dap.svg").stat().st_size > 0


def test_train_replay_report_example(tmp_path):
    out = _run("train_replay_report.py", "--out", "run", "--episodes", "2", "--n-E", "20",
               "--rho", "4", cwd=tmp_path)
    assert "cue A:" in out and "cue F:" in out
    for name in ("metrics.json", "replay/replay.json", "report.html", "learning_curve.svg"):
        assert (tmp_path / "run" / name).is_file(), name


def test_sweep_example_spec_is_valid_and_the_script_runs_a_tiny_sweep(tmp_path):
    from seqnest.sequences.sweep import expand, load_spec
    assert len(expand(load_spec(EXAMPLES / "sweep_lambda_plus.yaml"))) == 6
    spec = tmp_path / "tiny.yaml"
    spec.write_text("task: set1\nepisodes: 2\nconfig:\n  network: {n_E: 20, rho: 4}\n"
                    "vary:\n  grid:\n    synapse.lambda_plus: [0.08, 0.16]\n  seeds: [1]\n")
    out = _run("sweep_and_report.py", "--spec", str(spec), "--out", "sweep", "--workers", "1",
               cwd=tmp_path)
    assert "2 points: ran 2" in out
    with open(tmp_path / "sweep" / "results.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2
    assert (tmp_path / "sweep" / "report.html").is_file()


def test_tune_example_spec_is_valid_and_the_script_runs_a_tiny_search(tmp_path):
    from seqnest.sequences.tune_spec import load_tune_spec
    shipped = load_tune_spec(EXAMPLES / "tune_learning_rates.yaml")
    assert shipped.pruner is not None and shipped.validate is not None
    spec = tmp_path / "tiny.yaml"
    spec.write_text((EXAMPLES / "tune_learning_rates.yaml").read_text()
                    .replace("episodes: 40", "episodes: 3")
                    .replace("{n_E: 150}", "{n_E: 20, rho: 4}")
                    .replace("trials: 16", "trials: 3")
                    .replace("warmup_episodes: 10", "warmup_episodes: 2")
                    .replace("top: 3", "top: 1"))
    out = _run("tune_and_report.py", "--spec", str(spec), "--out", "study", "--workers", "1",
               cwd=tmp_path)
    assert "3 trials: " in out and "best of the search: trial " in out
    assert "best on the unseen seeds: trial " in out
    for name in ("best_config.json", "validation.csv", "report.html", "trials.csv"):
        assert (tmp_path / "study" / name).is_file(), name


def test_the_example_command_learns_replays_and_summarises(built_module, tmp_path, capsys):
    """`seqnest example` (what the README's first command runs): learn, replay, summary."""
    from seqnest.cli import main
    assert main(["example", "--out", str(tmp_path / "run"), "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert "replay (frozen weights" in out and "next: seqnest report" in out
    assert (tmp_path / "run" / "metrics.json").is_file()
    assert (tmp_path / "run" / "replay" / "replay.json").is_file()
