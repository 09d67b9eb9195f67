# SPDX-License-Identifier: GPL-2.0-or-later
"""`seqnest report` on a tune directory (a study written here with Optuna; no NEST)."""
import json
import re

import pytest

from seqnest.cli import main

SPEC = {"task": "set1", "episodes": 4, "config": {"network": {"n_E": 20, "rho": 4}},
        "search": {"synapse.lambda_plus": {"low": 0.02, "high": 0.3, "log": True},
                   "run.synapse": {"choices": ["stdsp", "tristate_stm"]}},
        "objective": {"key": "tail_error_mean", "direction": "minimize"},
        "seeds": [1, 2]}


@pytest.fixture()
def study_dir(tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    from seqnest.sequences.sweep.points import expand
    from seqnest.sequences.tune_spec import load_tune_spec_data, trial_sweep
    folder = tmp_path / "search"
    folder.mkdir()
    (folder / "tune.json").write_text(json.dumps({"spec": SPEC, "objective": "tail_error_mean",
                                                  "direction": "minimize", "seeds": [1, 2]}))
    study = optuna.create_study(study_name="seqnest", storage=JournalStorage(
        JournalFileBackend(str(folder / "study.journal"))), direction="minimize",
        sampler=optuna.samplers.RandomSampler(seed=0))
    spec = load_tune_spec_data(SPEC, folder / "tune.json")
    for k in range(8):
        trial = study.ask()
        lp = trial.suggest_float("synapse.lambda_plus", 0.02, 0.3, log=True)
        kind = trial.suggest_categorical("run.synapse", ["stdsp", "tristate_stm"])
        value = abs(lp - 0.1) + (0.2 if kind == "tristate_stm" else 0.0)
        for p in expand(trial_sweep(spec, [trial.params])):      # each trial's run dirs
            (folder / "runs" / p.key).mkdir(parents=True, exist_ok=True)
            (folder / "runs" / p.key / "metrics.json").write_text(json.dumps(
                {"error": [1.0, 0.5, value, value], "tail_error_mean": value}))
        study.tell(trial, value)
    trial = study.ask()                                           # one left running
    trial.suggest_float("synapse.lambda_plus", 0.02, 0.3, log=True)
    return folder


def test_a_study_report_shows_history_importance_curves_and_trials(study_dir, capsys):
    assert main(["report", str(study_dir)]) == 0
    text = (study_dir / "report.html").read_text()
    figures = {p.stem for p in (study_dir / "report").glob("*.png")}
    assert figures == {"tune_history", "tune_parameters", "tune_importance", "tune_best_curves"}
    assert "9 asked, 8 finished" in text
    assert len(re.findall(r"<td>running</td>", text)) == 1
    assert "best_config.json" in text
    shares = re.search(r"importance for [a-z_]+ \(fANOVA\)</th><td>([^<]*)", text).group(1)
    numbers = [float(part.rsplit(" ", 1)[1]) for part in shares.split(", ")]
    assert len(numbers) >= 2 and sum(numbers) == pytest.approx(1.0, abs=0.02)
    assert numbers == sorted(numbers, reverse=True)


def test_a_search_without_a_finished_trial_says_so(tmp_path, capsys):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage
    folder = tmp_path / "search"
    folder.mkdir()
    (folder / "tune.json").write_text(json.dumps({"spec": SPEC}))
    optuna.create_study(study_name="seqnest", storage=JournalStorage(
        JournalFileBackend(str(folder / "study.journal"))))
    assert main(["report", str(folder)]) == 2
    assert "no finished trial yet" in capsys.readouterr().err
    assert not (folder / "report.html").exists()
