# SPDX-License-Identifier: GPL-2.0-or-later
"""The best trial as a configuration file that `seqnest learn --config` takes, for
each family: the spec's top-level values go where the family's points put them
(pattern sequences: episodes are protocol.iterations). The runs are stood in for
by their metrics files (no NEST, no cluster). Constraints: the best trial is the best feasible one."""
import json
from pathlib import Path

import pytest

import seqnest
from seqnest.cli import main
from seqnest.sequences.rundir import write_json
from seqnest.sequences.sweep import run as sweep_run

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
    import csv
    with open(tmp_path / "study" / "trials.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["trial"]) for r in table] == [0, 1, 2]
    assert all(r["state"] == "complete" and float(r["final_accuracy"]) ==
               pytest.approx(float(r["neuron.theta_dAP"]) / 100) for r in table)
    assert main(["learn", "--inputs", "spatial", "--task", "s3", "--config", path,
                 "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "iterations           40" in shown and "n_E_per_item   30" in shown


def test_the_best_trial_is_the_best_that_meets_the_constraints(tmp_path, fake_runs, capsys):
    from seqnest.sequences.tune_report import write_tune_report
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS.replace("trials: 3", "trials: 8\nsampler: {startup_trials: 8}")
                    + "constraints: [{key: final_accuracy, max: 0.2}]\n")
    summary = seqnest.tune(spec, tmp_path / "study", module=object())
    printed = capsys.readouterr().out
    from seqnest.sequences.tune_report import _study
    trials = _study(tmp_path / "study").trials
    theta = {t.number: t.params["neuron.theta_dAP"] for t in trials}
    feasible = [n for n, v in theta.items() if v <= 20]
    assert feasible and len(feasible) < len(theta)          # both kinds among the draws
    assert summary["best"]["number"] == max(feasible, key=theta.get)
    assert printed.count("(infeasible: final_accuracy") == len(theta) - len(feasible)
    best = json.loads((tmp_path / "study" / "best_config.json").read_text())
    assert best["neuron"]["theta_dAP"] <= 20
    page = write_tune_report(tmp_path / "study").read_text()
    assert f"{len(feasible)} of 8 finished trials meet them" in page
    assert page.count("<td>broken</td>") == len(theta) - len(feasible)

    # no trial can meet it: no best, and the command says so
    spec.write_text(PATTERNS + "constraints: {key: final_accuracy, max: 0.01}\n")
    assert main(["tune", str(spec), "--out", str(tmp_path / "none")]) == 0
    assert "no finished trial meets the spec's constraints yet" in capsys.readouterr().out
    assert not (tmp_path / "none" / "best_config.json").exists()
    assert "none: no finished trial meets the constraints" in \
        write_tune_report(tmp_path / "none").read_text()


def test_the_best_trials_rescored_on_unseen_seeds_give_the_config(tmp_path, fake_runs,
                                                                 monkeypatch, capsys):
    """On the search's seeds accuracy grows with theta_dAP, on the unseen seeds it
    falls: of the three best trials of the search the one of the lowest theta_dAP is
    best on the unseen seeds and becomes best_config.json, at the longer protocol."""
    from seqnest.sequences.pattern_sequences.config import PatternConfig
    from seqnest.sequences.tune_report import _study, write_tune_report

    def point(record, run_dir, replays=None):
        config = PatternConfig.from_dict(record)
        theta, seed = config.neuron.theta_dAP, config.run.seed
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        accuracy = 1 - theta / 100.0 + seed / 1000.0
        write_json(Path(run_dir) / "metrics.json", {"final_accuracy": accuracy,
                                                    "accuracy": [accuracy],
                                                    "iterations": config.protocol.iterations})
        return {}
    real = sweep_run.run_sweep
    monkeypatch.setattr(sweep_run, "run_sweep",
                        lambda *a, **k: real(*a, **{**k, "point_fn": point}))
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS.replace("trials: 3", "trials: 6\nsampler: {startup_trials: 6}")
                    + "validate: {top: 3, seeds: [201, 202], episodes: 80}\n")
    out = tmp_path / "study"
    assert main(["tune", str(spec), "--out", str(out), "--trials", "2"]) == 0   # not yet
    assert "rescored on unseen seeds once the study has its 6 trials" in \
        capsys.readouterr().out
    assert not (out / "validation").exists() and not (out / "validation.csv").exists()
    assert main(["tune", str(spec), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    theta = {t.number: t.params["neuron.theta_dAP"] for t in _study(out).trials}
    top = sorted(theta, key=theta.get, reverse=True)[:3]
    chosen = min(top, key=theta.get)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best"]["number"] == top[0]
    assert [r["trial"] for r in summary["validation"]["trials"]] == top
    assert summary["validation"]["best"]["trial"] == chosen
    best = json.loads((out / "best_config.json").read_text())
    assert best["neuron"]["theta_dAP"] == theta[chosen]
    assert best["protocol"]["iterations"] == 80
    with open(out / "validation.csv", newline="") as fh:
        import csv
        table = list(csv.DictReader(fh))
    assert [int(r["trial"]) for r in table] == top
    assert list(table[0])[-2:] == ["seed_201", "seed_202"]
    assert float(table[0]["seed_202"]) - float(table[0]["seed_201"]) == pytest.approx(0.001)
    assert f"best on the unseen seeds: trial {chosen}" in printed
    assert len(list((out / "validation").glob("*/metrics.json"))) == 6
    assert all(json.loads(m.read_text())["iterations"] == 80
               for m in (out / "validation").glob("*/metrics.json"))
    page = write_tune_report(out).read_text()
    assert "Best trials rescored on unseen seeds" in page and f"best trial {chosen}" in page
    # continued: nothing runs again, the same choice
    before = {m: m.stat().st_mtime_ns for m in (out / "validation").glob("*/metrics.json")}
    again = seqnest.tune(spec, out, module=object())
    assert again["ran"] == 0 and again["validation"]["best"]["trial"] == chosen
    assert {m: m.stat().st_mtime_ns for m in before} == before


def test_several_objectives_give_a_pareto_front_each_as_a_config(tmp_path, fake_runs, capsys):
    """Accuracy (higher) against unassigned neurons (lower), which conflict above a
    theta_dAP of 30 here: the front is the trials no other beats in both, each a
    configuration file; the report draws the plane and names them."""
    from seqnest.sequences.tune_report import _study, write_tune_report
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS.replace(
        "objective: {key: final_accuracy, direction: maximize}",
        "objective: [{key: final_accuracy, direction: maximize},\n"
        "            {key: unassigned, direction: minimize}]").replace("trials: 3", "trials: 6"))
    assert main(["tune", str(spec), "--out", str(tmp_path / "study")]) == 0
    printed = capsys.readouterr().out
    trials = _study(tmp_path / "study").trials
    scores = {t.number: (t.values[0], t.values[1]) for t in trials}
    front = {n for n, (a, u) in scores.items()
             if not any(a2 >= a and u2 <= u and (a2, u2) != (a, u) for a2, u2 in scores.values())}
    assert front and "Pareto front: " in printed
    written = {int(p.stem.split("-")[1]) for p in (tmp_path / "study" / "pareto").glob("*.json")}
    assert written == front
    assert not (tmp_path / "study" / "best_config.json").exists()
    page = write_tune_report(tmp_path / "study").read_text()
    assert "tune_pareto" in page and f"{len(front)} trials: " in page


def test_a_pruner_judges_one_objective(tmp_path, capsys):
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS.replace(
        "objective: {key: final_accuracy, direction: maximize}",
        "objective: [{key: final_accuracy, direction: maximize}, {key: unassigned}]")
        + "pruner: {type: median}\n")
    assert main(["tune", str(spec), "--out", str(tmp_path / "study")]) == 2
    assert "a pruner judges one objective" in capsys.readouterr().err
    assert not (tmp_path / "study").exists()


def test_values_impossible_together_fail_their_trial_and_the_search_goes_on(tmp_path, fake_runs,
                                                                            capsys):
    """Each value alone is fine, a window's lower bound above its upper is not: such a
    trial is told failed without running, the others run, and a continued study
    (which lists the points of all trials) is not stopped by it."""
    spec = tmp_path / "tune.yaml"
    spec.write_text(PATTERNS.replace(
        "  neuron.theta_dAP: {low: 5, high: 60, log: true}\n",
        "  neuron.theta_dAP: {low: 5, high: 60, log: true}\n"
        "  ee_synapse.dt_min: {choices: [50, 110]}\n  ee_synapse.dt_max: {choices: [100]}\n")
        .replace("trials: 3", "trials: 6\nsampler: {startup_trials: 10}"))
    assert main(["tune", str(spec), "--out", str(tmp_path / "study")]) == 0
    printed = capsys.readouterr().out
    from seqnest.sequences.tune_report import _study
    trials = _study(tmp_path / "study").trials
    bad = [t for t in trials if t.params["ee_synapse.dt_min"] == 110]
    assert bad and len(bad) < len(trials)                  # both kinds among the draws
    assert all(t.state.name == "FAIL" and "dt_min" in t.user_attrs["impossible"] for t in bad)
    assert printed.count("-> impossible together: ") == len(bad)
    assert all(t.state.name == "COMPLETE" for t in trials if t not in bad)
    assert main(["tune", str(spec), "--out", str(tmp_path / "study"), "--trials", "7"]) == 0

