# SPDX-License-Identifier: GPL-2.0-or-later
"""Sweeps on a local Dask cluster of 2 worker processes (tiny network: n_E = 20, 3 episodes)."""
import csv
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from seqnest.cli import main
from seqnest.sequences.sweep import expand, load_spec, run_point, run_sweep

pytestmark = pytest.mark.nest

TINY = (Path(__file__).parent.parent / "data" / "sweep_tiny.yaml").read_text()


def rows(out):
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_four_points_on_two_workers(built_module, spec, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    assert "4 points: ran 4, reused 0, failed 0" in capsys.readouterr().out
    table = rows(out)
    points = expand(load_spec(spec))
    assert {r["point"] for r in table} == {p.key for p in points}
    for p in points:
        run = out / p.key
        for name in ("params.json", "env.json", "metrics.json", "schedule.json", "spikes.nix",
                     "connectivity.npz"):
            assert (run / name).is_file()
        assert json.loads((run / "params.json").read_text())["hash"] == p.key
    assert {r["synapse.lambda_plus"] for r in table} == {"0.08", "0.16"}
    for r in table:                      # whether each point stayed learned, from its curve
        m = json.loads((out / r["point"] / "metrics.json").read_text())
        for key in ("stays_converged_from", "relapses_after_convergence", "tail_error_mean",
                    "tail_active_fraction_mean"):
            assert r[key] == ("" if m[key] is None else str(m[key])), key
    assert json.loads((out / "failures.json").read_text()) == []
    assert not list(out.glob(".*tmp*"))


def test_threads_beyond_the_cores_are_said_once_in_one_line(built_module, tmp_path):
    """workers x threads against the cores, checked by the command before it starts the
    workers; the workers, which run the same check, stay silent."""
    import subprocess

    from seqnest.pynest_ext.resources import available_cores
    threads = available_cores() + 1
    spec = tmp_path / "threads.yaml"
    spec.write_text(TINY.replace("episodes: 3", "episodes: 1").replace(
        "  seeds: [1, 2]\n", "") + f"cluster: {{threads: {threads}}}\n")
    done = subprocess.run([sys.executable, "-m", "seqnest", "sweep", str(spec), "--out",
                           str(tmp_path / "sweep"), "--workers", "2", "--no-progress"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "cores" in line]
    assert said == [f"seqnest: warning: run.threads={threads} x 2 workers exceeds the "
                    f"{available_cores()} cores available: slower, not faster"], done.stderr


def test_an_interrupted_sweep_runs_only_the_missing_points(built_module, spec, tmp_path):
    out = tmp_path / "sweep"
    first = run_sweep(load_spec(spec), out, workers=2, progress=False)
    assert first["ran"] == 4
    points = expand(load_spec(spec))
    for p in points[:2]:                      # as if these had not finished
        shutil.rmtree(out / p.key)
    (out / "results.csv").unlink()
    second = run_sweep(load_spec(spec), out, workers=2, progress=False)
    assert (second["ran"], second["reused"]) == (2, 2)
    assert len(rows(out)) == 4
    # a truncated metrics.json and a point directory without one are run again
    (out / points[2].key / "metrics.json").write_text('{"final_err')
    (out / points[3].key / "metrics.json").unlink()
    third = run_sweep(load_spec(spec), out, workers=2, progress=False)
    assert (third["ran"], third["reused"], third["failed"]) == (2, 2, {})
    assert len(rows(out)) == 4
    assert json.loads((out / points[2].key / "metrics.json").read_text())["final_error"] >= 0


def crash_on_seed_two(record, run_dir):
    """Point function whose worker process dies for seed 2 (as if NEST aborted)."""
    if record["run"]["seed"] == 2:
        os._exit(3)
    return run_point(record, run_dir)


def test_raising_point_and_dead_worker_are_recorded(built_module, tmp_path):
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    path = tmp_path / "faults.yaml"
    # static_delay below the resolution passes validation but fails when the network is built
    path.write_text(TINY.replace("grid:\n    synapse.lambda_plus: [0.08, 0.16]",
                                 "grid:\n    network.static_delay: [0.1, 0.05]"))
    out = tmp_path / "sweep"
    summary = run_sweep(load_spec(path), out, workers=2, progress=False,
                        point_fn=crash_on_seed_two)
    failures = {f["point"]: f for f in json.loads((out / "failures.json").read_text())}
    points = {p.key: p for p in expand(load_spec(path))}
    ok = [k for k, p in points.items()
          if p.varied["run.seed"] == 1 and p.varied["network.static_delay"] == 0.1]
    assert [r["point"] for r in rows(out)] == ok               # the healthy point completed
    assert len(failures) == 3 and set(summary["failed"]) == set(failures)
    reasons = {points[k].varied["run.seed"]: f["reason"] for k, f in failures.items()}
    assert "static_delay" in reasons[1]                        # raised in the worker
    assert "KilledWorker" in reasons[2]                        # worker process died


def killed_once(record, run_dir):
    """Point function whose worker is killed (SIGKILL) while running one point."""
    import signal
    import time
    if record["run"]["seed"] == 2 and record["synapse"]["lambda_plus"] == 0.08:
        time.sleep(1.0)                       # the other points are queued by now
        os.kill(os.getpid(), signal.SIGKILL)
    return run_point(record, run_dir)


def test_a_killed_worker_fails_only_the_point_it_was_running(built_module, spec, tmp_path):
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    out = tmp_path / "sweep"
    summary = run_sweep(load_spec(spec), out, workers=2, progress=False, point_fn=killed_once)
    failures = json.loads((out / "failures.json").read_text())
    assert len(failures) == 1 and "KilledWorker" in failures[0]["reason"]
    assert len(rows(out)) == 3 and summary["ran"] == 4


REPLAY_SPEC = """task: branch2
episodes: 3
config:
  network: {n_E: 20, rho: 4}
vary:
  grid:
    task.frequencies: [[0.7, 0.3], [0.5, 0.5]]
replay:
  trials: 3
  conditions:
    - {noise.kind: none}
    - {noise.kind: shared, noise.sigma: [10, 20]}
"""


def test_sweep_replays_each_network_under_each_condition(built_module, tmp_path):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(REPLAY_SPEC)
    out = tmp_path / "out"
    summary = run_sweep(load_spec(spec_path), out, workers=2, progress=False)
    assert summary["ran"] == 2 and not summary["failed"]
    rows = list(csv.DictReader((out / "replays.csv").open()))
    assert len(rows) == 2 * 3
    assert {r["condition"] for r in rows} == {"none", "shared-sigma10", "shared-sigma20"}
    assert {r["branch1_frequency"] for r in rows} == {"0.7", "0.5"}
    for r in rows:
        assert (out / r["point"] / "replays" / r["condition"] / "branches.json").is_file()
    # a new condition replays the stored networks without training them again
    spec_path.write_text(REPLAY_SPEC + "    - {noise.kind: uncorrelated, noise.sigma: 10}\n")
    before = {p: (out / p / "metrics.json").stat().st_mtime_ns for p in {r["point"] for r in rows}}
    again = run_sweep(load_spec(spec_path), out, workers=2, progress=False)
    assert again["ran"] == 2
    assert all((out / p / "metrics.json").stat().st_mtime_ns == t for p, t in before.items())
    assert len(list(csv.DictReader((out / "replays.csv").open()))) == 2 * 4
    assert run_sweep(load_spec(spec_path), out, workers=2, progress=False)["ran"] == 0


def test_pattern_sequence_sweep(built_module, tmp_path, capsys):
    """A robustness axis of spatio-temporal-pattern runs: run directories of
    seqnest learn --inputs, STP columns in results.csv, and the sweep report."""
    spec = tmp_path / "stp.yaml"
    spec.write_text((Path(__file__).parent.parent / "data" / "sweep_patterns_tiny.yaml").read_text())
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "2", "--no-progress"]) == 0
    assert "2 points: ran 2, reused 0, failed 0" in capsys.readouterr().out
    table = rows(out)
    assert {r["inputs.channel_jitter"] for r in table} == {"0", "5"}
    assert all(0.0 <= float(r["final_accuracy"]) <= 1.0 for r in table)
    for p in expand(load_spec(spec)):
        assert json.loads((out / p.key / "params.json").read_text())["params"]["family"] == "patterns"
    assert main(["report", str(out)]) == 0 and (out / "report.html").is_file()


def test_pattern_sequence_spec_refuses_what_does_not_apply(tmp_path):
    from seqnest.params import ParameterError
    text = (Path(__file__).parent.parent / "data" / "sweep_patterns_tiny.yaml").read_text()
    for extra, message in (("synapse: reram\n", "'synapse' does not apply"),
                           ("", "unknown parameter group 'synapse'")):
        spec = tmp_path / "bad.yaml"
        body = text if extra else text.replace("config:\n", "config:\n  synapse: {x: 1}\n")
        spec.write_text(extra + body)
        with pytest.raises(ParameterError, match=message):
            expand(load_spec(spec))
