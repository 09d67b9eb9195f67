# SPDX-License-Identifier: GPL-2.0-or-later
"""A study started from the trials of another (``warm_start``): the runs are stood
in for by their metrics files (no NEST, no cluster; the fake_runs fixture)."""
import pytest

import seqnest
from seqnest.cli import main
from seqnest.sequences.tune_report import _study

FIRST = """inputs: spatial
task: s3
episodes: 40
config: {network: {n_E_per_item: 30}}
search:
  neuron.theta_dAP: {low: 5, high: 60, log: true}
  inputs.rate: {low: 100, high: 140}
objective: {key: final_accuracy, direction: maximize}
seeds: [3, 4]
trials: 4
sampler: {startup_trials: 10}
"""
WIDER = FIRST.replace("high: 60, log", "high: 120, log").replace(
    "trials: 4", "trials: 6\nwarm_start: first")


def _write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_a_wider_search_starts_with_the_trials_of_the_narrower(tmp_path, fake_runs, capsys):
    seqnest.tune(_write(tmp_path, "first.yaml", FIRST), tmp_path / "first", module=object())
    first = {t.number: t for t in _study(tmp_path / "first").trials}
    spec = _write(tmp_path, "wider.yaml", WIDER)
    assert main(["tune", str(spec), "--dry-run"]) == 0
    assert f"warm start: the finished trials of {tmp_path / 'first'}" in capsys.readouterr().out
    summary = seqnest.tune(spec, tmp_path / "wider", module=object())
    assert summary["trials"] == 6 and summary["ran"] == 2       # 4 of the 6 were there
    trials = _study(tmp_path / "wider").trials
    added = trials[:4]
    assert [t.user_attrs["warm_start"] for t in added] == [f"first#{n}" for n in range(4)]
    assert [(t.params, t.value) for t in added] == [(first[n].params, first[n].value)
                                                    for n in range(4)]
    assert all(t.distributions["neuron.theta_dAP"].high == 120 for t in trials)
    assert all("warm_start" not in t.user_attrs for t in trials[4:])
    assert len((tmp_path / "wider" / "trials.csv").read_text().splitlines()) == 1 + 6
    from seqnest.sequences.tune_report import write_tune_report
    assert "6 asked, 6 finished" in write_tune_report(tmp_path / "wider").read_text()
    # continued: nothing is added twice
    again = seqnest.tune(spec, tmp_path / "wider", trials=7, module=object())
    assert again["trials"] == 7 and len(_study(tmp_path / "wider").trials) == 7


@pytest.mark.parametrize("change, fragment", [
    (("warm_start: first", "warm_start: nowhere"), "not a tune directory seqnest wrote"),
    (("high: 120, log", "high: 30, log"), "its range of neuron.theta_dAP is not within"),
    (("seeds: [3, 4]", "seeds: [3, 5]"), "its study differs in 'seeds'"),
    (("episodes: 40", "episodes: 50"), "its study differs in 'episodes'"),
    (("inputs.rate: {low: 100, high: 140}", "inputs.rate: {choices: [100, 140]}"),
     "its range of inputs.rate is not within"),
    (("  inputs.rate: {low: 100, high: 140}\n", ""), "searched other parameters"),
    (("warm_start: first", "warm_start: [first]"), "must be the path of a tune directory"),
])
def test_a_warm_start_from_a_study_of_other_measurements_is_refused(tmp_path, fake_runs,
                                                                    capsys, change, fragment):
    seqnest.tune(_write(tmp_path, "first.yaml", FIRST), tmp_path / "first", module=object())
    capsys.readouterr()
    spec = _write(tmp_path, "wider.yaml", WIDER.replace(*change))
    assert main(["tune", str(spec), "--out", str(tmp_path / "wider")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not (tmp_path / "wider").exists()
