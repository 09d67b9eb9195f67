# SPDX-License-Identifier: GPL-2.0-or-later
"""Pruning from learning curves: the spec's ``pruner`` section checked in one line,
and the worker-side monitor against a real study journal (no NEST)."""
import math

import pytest

from seqnest.cli import main
from seqnest.errors import TrainingStopped
from seqnest.sequences.tune_spec import load_tune_spec
from seqnest.sequences.tune_pruning import PRUNED_AT, PointWatch, TrialMonitor, curve_key

GOOD = """task: set1
episodes: 30
config:
  network: {n_E: 20, rho: 4}
search:
  synapse.lambda_plus: {low: 0.02, high: 0.3, log: true}
objective: {key: tail_error_mean, direction: minimize}
seeds: [11, 12]
pruner: {type: median, warmup_episodes: 5, startup_trials: 2}
"""


def write(tmp_path, text):
    path = tmp_path / "tune.yaml"
    path.write_text(text)
    return path


def test_a_pruner_section_is_read_with_the_family_curve(tmp_path):
    spec = load_tune_spec(write(tmp_path, GOOD))
    assert (spec.pruner.type, spec.pruner.curve, spec.pruner.better) == \
        ("median", "error", "minimize")
    assert (spec.pruner.warmup_episodes, spec.pruner.startup_trials) == (5, 2)
    patterns = load_tune_spec(write(tmp_path, """inputs: spatial
task: s3
episodes: 20
search:
  neuron.theta_dAP: {low: 5, high: 60}
objective: {key: final_accuracy, direction: maximize}
pruner: {type: percentile, percentile: 30}
"""))
    assert (patterns.pruner.curve, patterns.pruner.better) == ("accuracy", "maximize")
    assert load_tune_spec(write(tmp_path, GOOD.replace("pruner:", "# pruner:"))).pruner is None


@pytest.mark.parametrize("change, fragment", [
    ("type: median", "pruner.type must be one of"),
    ("type: median, curve: accuracy", "not a per-episode curve of the temporal_memory"),
    ("type: median, warmup_episodes: -1", "pruner.warmup_episodes must be a whole number"),
    ("type: median, interval: 0", "pruner.interval must be a whole number >= 1"),
    ("type: percentile", "pruner.percentile must be above 0 and below 100"),
    ("type: percentile, percentile: 100", "pruner.percentile must be above 0"),
    ("type: median, percentile: 30", "belongs to type percentile"),
    ("type: threshold", "needs upper, lower or both"),
    ("type: threshold, lower: 0.5, upper: 0.2", "must be below upper"),
    ("type: median, upper: 0.5", "belong to type threshold"),
    ("type: median, patience: 1.5", "pruner.patience must be a whole number"),
    ("type: median, warmup: 3", "unknown key 'warmup' in pruner"),
    ("type: median, smooth: 0", "pruner.smooth must be a whole number >= 1"),
])
def test_bad_pruner_sections_are_one_line_and_write_nothing(tmp_path, capsys, change,
                                                             fragment):
    text = GOOD.replace("{type: median, warmup_episodes: 5, startup_trials: 2}",
                        "{" + change + "}")
    if change == "type: median":
        text = GOOD.replace("type: median", "type: hyperband")
    out = tmp_path / "study"
    assert main(["tune", str(write(tmp_path, text)), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not out.exists()


def _study(tmp_path, direction="minimize"):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    journal = tmp_path / "study.journal"
    study = optuna.create_study(study_name="seqnest", direction=direction, storage=JournalStorage(
        JournalFileBackend(str(journal))))
    return study, str(journal)


def _finished(study, curves):
    """Finished trials with these (intermediate) curves, indexed from episode 1."""
    for curve in curves:
        trial = study.ask()
        for k, v in enumerate(curve, 1):
            trial.report(v, k)
        study.tell(trial, curve[-1])


def _monitor(tmp_path, journal, trial, seed, spec, direction="minimize"):
    from seqnest.sequences.tune_pruning import _study as cached
    cached.cache_clear()              # each monitor as a fresh worker would open it
    return TrialMonitor(PointWatch(journal, trial, seed, (11, 12), spec.pruner, direction))


def test_a_hopeless_trial_is_stopped_after_the_warmup_and_its_other_seeds_too(tmp_path):
    spec = load_tune_spec(write(tmp_path, GOOD))
    study, journal = _study(tmp_path)
    _finished(study, [[1.0] * 3 + [0.2] * 27, [1.0] * 3 + [0.1] * 27])
    trial = study.ask()
    first = _monitor(tmp_path, journal, trial.number, 11, spec)
    second = _monitor(tmp_path, journal, trial.number, 12, spec)
    first.check()
    for k in range(1, 5):                       # within the warmup: never stopped
        first(k, {"error": 0.9})
    second(1, {"error": 0.5})
    stored = study._storage.get_trial(trial._trial_id)
    assert stored.intermediate_values[1] == pytest.approx(0.7)   # mean over both seeds
    assert stored.user_attrs[curve_key(11, 4)] == 0.9
    first(5, {"error": math.nan})               # nothing to judge: ignored
    with pytest.raises(TrainingStopped, match="pruned at episode 5"):
        first(5, {"error": 0.9})
    assert study._storage.get_trial(trial._trial_id).user_attrs[PRUNED_AT] == 5
    with pytest.raises(TrainingStopped, match="pruned at episode 5"):
        second(2, {"error": 0.1})               # the other seed stops at its next episode
    with pytest.raises(TrainingStopped):
        _monitor(tmp_path, journal, trial.number, 12, spec).check()   # or before it starts


def test_a_run_at_its_last_episode_is_recorded_not_stopped(tmp_path):
    """Judging the last episode would throw a complete run away: it is recorded and
    the trial is told with its objective instead."""
    from seqnest.sequences.tune_pruning import _study as cached
    spec = load_tune_spec(write(tmp_path, GOOD))
    study, journal = _study(tmp_path)
    _finished(study, [[1.0] * 3 + [0.2] * 27, [1.0] * 3 + [0.1] * 27])
    trial = study.ask()
    cached.cache_clear()
    last = TrialMonitor(PointWatch(journal, trial.number, 11, (11,), spec.pruner, "minimize",
                                   last=5))
    for k in range(1, 6):
        last(k, {"error": 0.9})                 # hopeless, and episode 5 is its last
    stored = study._storage.get_trial(trial._trial_id)
    assert PRUNED_AT not in stored.user_attrs and stored.intermediate_values[5] == 0.9
    # another seed of the trial, behind: its run goes on too (one run is complete)
    cached.cache_clear()
    behind = TrialMonitor(PointWatch(journal, trial.number, 12, (11, 12), spec.pruner,
                                     "minimize", last=5))
    for k in range(1, 5):
        behind(k, {"error": 0.9})
    assert PRUNED_AT not in study._storage.get_trial(trial._trial_id).user_attrs


def test_a_trial_as_good_as_the_others_goes_on(tmp_path):
    spec = load_tune_spec(write(tmp_path, GOOD))
    study, journal = _study(tmp_path)
    _finished(study, [[0.5] * 30, [0.3] * 30])
    trial = study.ask()
    monitor = _monitor(tmp_path, journal, trial.number, 11, spec)
    spent = monitor.seconds
    for k in range(1, 31):
        monitor(k, {"error": 0.2})
    assert PRUNED_AT not in study._storage.get_trial(trial._trial_id).user_attrs
    assert monitor.seconds > spent > 0          # the monitor counts its own time


def test_the_search_cost_is_the_wait_for_the_client_and_the_monitors_against_the_runs():
    from seqnest.sequences.tune_runner import cost_summary
    cost = cost_summary({"points": 4, "point_s": 102.0, "monitor_s": 2.0,
                         "client_wait_s": 1.0}, trials=2)
    assert cost["per_trial_s"] == 1.5 and cost["percent_of_runs"] == 3.0
    assert cost_summary({"points": 0, "point_s": 0.0, "monitor_s": 0.0,
                         "client_wait_s": 0.0}, trials=0)["percent_of_runs"] is None


def test_a_curve_better_upward_is_judged_in_the_study_direction(tmp_path):
    """Prune on accuracy (higher is better) in a study that minimises: the study sees
    -accuracy, and a threshold stays in the curve's own units."""
    spec = load_tune_spec(write(tmp_path, """inputs: spatial
task: s3
episodes: 20
search:
  neuron.theta_dAP: {low: 5, high: 60}
objective: {key: unassigned, direction: minimize}
seeds: [11, 12]
pruner: {type: threshold, lower: 0.3, warmup_episodes: 8}
"""))
    study, journal = _study(tmp_path)
    trial = study.ask()
    monitor = _monitor(tmp_path, journal, trial.number, 11, spec)
    monitor(7, {"accuracy": 0.0})               # warmup
    monitor(8, {"accuracy": 0.5})
    assert study._storage.get_trial(trial._trial_id).intermediate_values[8] == -0.5
    with pytest.raises(TrainingStopped):
        monitor(9, {"accuracy": 0.1})


def test_a_smoothed_curve_is_the_mean_of_each_seeds_last_values(tmp_path):
    spec = load_tune_spec(write(tmp_path, GOOD.replace("startup_trials: 2}",
                                                       "startup_trials: 2, smooth: 3}")))
    study, journal = _study(tmp_path)
    trial = study.ask()
    monitor = _monitor(tmp_path, journal, trial.number, 11, spec)
    for k, v in enumerate([1.0, 0.0, 0.5, 0.0], 1):
        monitor(k, {"error": v})
    attrs = study._storage.get_trial(trial._trial_id).user_attrs
    assert [attrs[curve_key(11, k)] for k in range(1, 5)] == pytest.approx([1.0, 0.5, 0.5,
                                                                           1 / 6])


@pytest.mark.parametrize("sampler, fragment", [
    ("{startup_trials: -1}", "sampler.startup_trials must be a whole number"),
    ("{multivariate: 1}", "sampler.multivariate must be true or false"),
    ("{kind: cmaes}", "'sampler' takes multivariate, startup_trials"),
])
def test_bad_sampler_sections_are_one_line(tmp_path, capsys, sampler, fragment):
    path = write(tmp_path, GOOD + f"sampler: {sampler}\n")
    assert main(["tune", str(path), "--out", str(tmp_path / "study")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
