# SPDX-License-Identifier: GPL-2.0-or-later
"""`seqnest tune` on the local Dask cluster (tiny network): a study that continues,
survives its client being killed, and whose best values learn runs accept."""
import json
import os
import sys
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
    """The run directories (not the hidden temporaries of a point killed mid-write)."""
    return sorted(p.name for p in (out / "runs").iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def test_a_study_runs_continues_and_gives_a_config(built_module, spec, tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["tune", str(spec), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2 trials finished (2 now" in printed and "best: trial" in printed
    assert "the search's own cost: " in printed
    assert len(_points(out)) == 2 * 2                       # two trials x two seeds
    cost = json.loads((out / "summary.json").read_text())["cost"]
    assert cost["points"] == 4 and cost["monitor_s"] == 0.0      # no pruner
    assert 0 < cost["client_wait_s"] < cost["point_s"] and cost["percent_of_runs"] > 0
    assert "tuner_timing" not in (out / "runs" / "results.csv").read_text()
    assert json.loads((out / "cost.json").read_text()) == cost     # kept after every trial
    # continued with a larger budget: only the new trial runs
    summary = seqnest.tune(spec, out, trials=3, module=built_module)
    assert summary["trials"] == 3 and summary["ran"] == 1 and len(_points(out)) == 3 * 2
    # results.csv has every point of the study, not only this command's
    assert len((out / "runs" / "results.csv").read_text().splitlines()) == 1 + 3 * 2
    best = json.loads((out / "best_config.json").read_text())
    assert set(best) == {"synapse", "network", "run"}
    assert best["network"]["n_E"] == 20 and best["run"]["episodes"] == 2
    assert main(["learn", "--config", str(out / "best_config.json"), "--dry-run"]) == 0
    # another spec is not mixed into this study
    spec.write_text(SPEC.replace("seeds: [21, 22]", "seeds: [23]"))
    assert main(["tune", str(spec), "--out", str(out)]) == 2
    assert "holds a study of another spec" in capsys.readouterr().err


def test_the_best_trial_rescored_on_an_unseen_seed(built_module, spec, tmp_path, capsys):
    out = tmp_path / "study"
    spec.write_text(SPEC + "validate: {top: 1, seeds: [31], episodes: 3}\n")
    assert main(["tune", str(spec), "--out", str(out), "--no-progress"]) == 0
    assert "rescored on seeds 31 (3 episodes): trial " in capsys.readouterr().out
    row = (out / "validation.csv").read_text().splitlines()[1].split(",")
    # trial, objective in the search, mean on the unseen seed, sd (none of one seed), seed 31
    assert len(row) == 5 and row[3] == "" and all(row[:3]) and row[4] == row[2]
    best = json.loads((out / "best_config.json").read_text())
    assert best["run"]["episodes"] == 3
    metrics = json.loads(next((out / "validation").glob("*/metrics.json")).read_text())
    assert len(metrics["error"]) == 3
    assert main(["learn", "--config", str(out / "best_config.json"), "--dry-run"]) == 0


def test_a_killed_client_loses_nothing_finished(built_module, spec, tmp_path, monkeypatch):
    """The client dies when the first trial's points have finished and before the
    study heard of it: the next command asks that trial's values again and reuses its
    points (and whatever other point had finished)."""
    from seqnest.sequences import tune as tune_module
    out = tmp_path / "study"

    def dies(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(tune_module, "tell_trial", dies)
    with pytest.raises(KeyboardInterrupt):
        seqnest.tune(spec, out, module=built_module)
    finished = {p: (out / "runs" / p / "metrics.json").stat().st_mtime_ns for p in _points(out)
                if (out / "runs" / p / "metrics.json").is_file()}
    assert len(finished) >= 2                                  # the first trial's two seeds
    monkeypatch.undo()
    summary = seqnest.tune(spec, out, module=built_module)
    assert summary["trials"] == 2 and summary["complete"] == 2
    assert summary["ran"] == 2 and len(_points(out)) == 4
    now = {p: (out / "runs" / p / "metrics.json").stat().st_mtime_ns for p in _points(out)}
    assert {p: now[p] for p in finished} == finished            # nothing ran again


def killed_once(watch, record, run_dir, replays=None):
    """A point whose worker is killed (SIGKILL) the first time a point of seed 22 runs
    (a marker file beside the runs says it happened)."""
    import signal

    from seqnest.sequences.tune_pruning import tune_point
    marker = Path(run_dir).parent.parent / "killed-once"
    if record["run"]["seed"] == 22 and not marker.exists():
        marker.write_text("")
        os.kill(os.getpid(), signal.SIGKILL)
    return tune_point(watch, record, run_dir, replays)


def test_a_killed_worker_loses_only_the_trial_it_was_running(built_module, spec, tmp_path,
                                                             monkeypatch):
    import cloudpickle

    from seqnest.sequences import tune_pruning
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setattr(tune_pruning, "tune_point", killed_once)
    out = tmp_path / "study"
    summary = seqnest.tune(spec, out, trials=3, module=built_module)
    assert (out / "killed-once").exists()
    assert summary["trials"] == 3 and summary["complete"] == 2     # the others finished
    table = (out / "trials.csv").read_text().splitlines()[1:]
    assert sorted(row.split(",")[1] for row in table) == ["complete", "complete", "fail"]
    failures = json.loads((out / "runs" / "failures.json").read_text())
    assert len(failures) == 1 and "KilledWorker" in failures[0]["reason"]
    assert len(_points(out)) == 5                 # a run directory per point that finished
    monkeypatch.undo()
    seqnest.tune(spec, out, trials=4, module=built_module)       # continued: still said
    failures = json.loads((out / "runs" / "failures.json").read_text())
    assert len(failures) == 1 and "KilledWorker" in failures[0]["reason"]
    assert len((out / "runs" / "results.csv").read_text().splitlines()) == 1 + 7


def test_hopeless_trials_are_pruned_from_their_curves_and_leave_no_run(built_module, tmp_path,
                                                                        capsys):
    """A threshold on the learning curve: every trial's error is above it at episode 2,
    so each trial stops there, with nothing of its points written; the study counts
    them as pruned, with their curves, and a rerun does not run them again."""
    from seqnest.sequences.tune_report import write_tune_report
    path = tmp_path / "tune.yaml"
    path.write_text(SPEC.replace("episodes: 2", "episodes: 6")
                    + "pruner: {type: threshold, upper: 0.5, warmup_episodes: 2}\n")
    out = tmp_path / "study"
    summary = seqnest.tune(path, out, module=built_module)
    assert summary["trials"] == 2 and summary["pruned"] == 2 and summary["complete"] == 0
    assert summary["cost"]["points"] == 4 and summary["cost"]["monitor_s"] > 0
    printed = capsys.readouterr().out
    assert printed.count("-> pruned at episode 2") == 2, printed
    runs = out / "runs"
    assert not any((runs / p / "metrics.json").exists() for p in _points(out))
    assert not list(runs.glob(".*checkpoint*"))
    failures = json.loads((runs / "failures.json").read_text())
    assert len(failures) == 4 and all(f["reason"].startswith("stopped: trial ")
                                      for f in failures)
    assert "Compute Failed" not in capsys.readouterr().err     # not an error of the run
    from seqnest.sequences.tune_report import _study
    trials = _study(out).trials
    assert all(t.state.name == "PRUNED" and t.last_step == 2 for t in trials)
    # the seed that stopped its trial recorded its curve up to episode 2 (the other seed
    # stops at its next episode, which may come before its second)
    assert all(max(t.user_attrs.get(f"curve:{s}:2", 0.0) for s in (21, 22)) > 0.5
               for t in trials)
    table = (out / "trials.csv").read_text().splitlines()
    assert table[0].startswith("trial,state,final_active_fraction,pruned_at,")
    assert [row.split(",")[1:4] for row in table[1:]] == [["pruned", "", "2"]] * 2
    again = seqnest.tune(path, out, module=built_module)
    assert again["ran"] == 0 and again["pruned"] == 2
    with pytest.raises(Exception, match="no finished trial yet"):
        write_tune_report(out)
