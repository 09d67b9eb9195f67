# SPDX-License-Identifier: GPL-2.0-or-later
"""Tune specs: every value of the search checked before anything runs (no NEST)."""
from pathlib import Path

import pytest

from seqnest.cli import main
from seqnest.sequences.tune_spec import load_tune_spec

GOOD = """task: set1
episodes: 3
config:
  network: {n_E: 20, rho: 4}
search:
  synapse.lambda_plus: {low: 0.02, high: 0.3, log: true}
  synapse.lambda_minus: {low: 0.0005, high: 0.005}
  network.rho: {low: 2, high: 6, integer: true}
  run.synapse: {choices: [stdsp, tristate_stm]}
objective: {key: tail_error_mean, direction: minimize}
seeds: [11, 12]
trials: 4
"""


def write(tmp_path, text):
    path = tmp_path / "tune.yaml"
    path.write_text(text)
    return path


def test_a_good_spec_has_its_dimensions(tmp_path):
    spec = load_tune_spec(write(tmp_path, GOOD))
    kinds = {d.key: (d.log, d.integer, d.choices) for d in spec.dimensions}
    assert kinds == {"synapse.lambda_plus": (True, False, None),
                     "synapse.lambda_minus": (False, False, None),
                     "network.rho": (False, True, None),
                     "run.synapse": (False, False, ("stdsp", "tristate_stm"))}
    assert spec.seeds == [11, 12] and spec.trials == 4 and spec.direction == "minimize"


@pytest.mark.parametrize("change, fragment", [
    (("synapse.lambda_plus:", "synapse.lambda_pluss:"), "unknown parameter 'lambda_pluss'"),
    (("synapse.lambda_plus:", "nonsense.lambda_plus:"), "unknown parameter group"),
    (("low: 0.02, high: 0.3", "low: 0.3, high: 0.02"), "empty or inverted range"),
    (("low: 0.02, high: 0.3, log: true", "low: 0, high: 0.3, log: true"),
     "a log range must be above 0"),
    (("{low: 0.0005, high: 0.005}", "{low: -1, high: 0.005}"), "must be >= 0"),
    (("low: 2, high: 6, integer: true", "low: 2, high: 6.5, integer: true"), "whole bounds"),
    (("[stdsp, tristate_stm]", "[stdsp, nope]"), "nope"),
    (("{low: 0.0005, high: 0.005}", "{low: 0.0005}"), "needs low and high"),
    (("key: tail_error_mean", "key: nonsense"), "not a summary metric the runs write"),
    (("direction: minimize", "direction: down"), "minimize or maximize"),
    (("seeds: [11, 12]", "seeds: []"), "'seeds'"),
    (("trials: 4", "trials: 0"), "'trials'"),
    (("objective:", "vary: {seeds: [1]}\nobjective:"), "'vary' is a sweep's"),
    (("trials: 4", "trials: 4\nconstraints: [{key: nope, max: 1}]"),
     "constraint key 'nope' is not a summary metric"),
    (("trials: 4", "trials: 4\nconstraints: [{key: wall_time_s, max: 1, min: 0}]"),
     "must be {key: <summary metric>, max: number}"),
    (("trials: 4", "trials: 4\nconstraints: [{key: wall_time_s, max: .inf}]"),
     "the bound must be a finite number"),
    (("trials: 4", "trials: 4\nconstraints: []"), "'constraints' must be a list"),
    (("objective: {key: tail_error_mean, direction: minimize}",
      "objective: [{key: tail_error_mean}, {key: tail_error_mean, direction: maximize}]"),
     "objective 'tail_error_mean' is named twice"),
    (("trials: 4", "trials: 4\nvalidate: [1]"), "'validate' must be a mapping"),
    (("trials: 4", "trials: 4\nvalidate: {top: 2, seeds: [5], runs: 3}"),
     "unknown key 'runs' in validate"),
    (("trials: 4", "trials: 4\nvalidate: {top: 0, seeds: [5]}"), "validate.top must be"),
    (("trials: 4", "trials: 4\nvalidate: {top: 2, seeds: []}"), "validate.seeds must be"),
    (("trials: 4", "trials: 4\nvalidate: {top: 2, seeds: [5, 5]}"), "repeats a seed"),
    (("trials: 4", "trials: 4\nvalidate: {top: 2, seeds: [5, 12]}"),
     "networks the search never ran on; 12 is one of its seeds"),
    (("trials: 4", "trials: 4\nvalidate: {top: 2, seeds: [5], episodes: 0}"),
     "validate.episodes must be"),
    (("objective: {key: tail_error_mean, direction: minimize}",
      "objective: [{key: tail_error_mean}, {key: wall_time_s}]\n"
      "validate: {top: 2, seeds: [5]}"), "validate ranks the trials by one objective"),
    (("objective: {key: tail_error_mean, direction: minimize}",
      "objective: [{key: tail_error_mean}, wall_time_s]"), "or a list of them"),
])
def test_bad_specs_are_one_line_and_write_nothing(tmp_path, capsys, change, fragment):
    path = write(tmp_path, GOOD.replace(*change))
    out = tmp_path / "study"
    assert main(["tune", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not out.exists()


def test_a_folder_that_is_not_a_study_is_not_used(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["tune", str(write(tmp_path, GOOD)), "--out", str(out)]) == 2
    assert "is not a tune directory seqnest wrote" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_dry_run_prints_the_search_and_runs_nothing(tmp_path, capsys):
    path = write(tmp_path, GOOD + "pruner: {type: percentile, percentile: 30, smooth: 4}\n"
                 "validate: {top: 2, seeds: [31, 32], episodes: 9}\n")
    assert main(["tune", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 parameters; objective tail_error_mean (minimize), the mean over seeds 11, 12; " \
           "4 trials = up to 8 runs of 3 episodes" in out
    assert "synapse.lambda_plus" in out and "0.02 to 0.3 (log)" in out
    assert "one of stdsp, tristate_stm" in out and "2 to 6 (whole numbers)" in out
    assert "worse than their 30th percentile" in out and "each the mean of its last 4" in out
    assert "validate: the 2 best finished trials rescored on seeds 31, 32 (9 episodes)" in out
    assert "#SBATCH" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tune.yaml"]
    assert main(["tune", str(path)]) == 2
    assert "needs --out DIR (or --dry-run)" in capsys.readouterr().err


def test_the_search_specs_in_the_repository_load():
    root = Path(__file__).parent.parent.parent / "specs"
    specs = {f.name: load_tune_spec(f) for f in root.glob("tune_*.yaml")}
    assert set(specs) == {"tune_patterns_s3.yaml"}
    s3 = specs["tune_patterns_s3.yaml"]
    assert s3.sweep.family.name == "patterns" and len(s3.seeds) >= 3 and s3.trials >= 200
    assert (s3.objective, s3.direction) == ("final_accuracy", "maximize")
    assert s3.pruner is not None and s3.pruner.curve == "accuracy"
    assert s3.validate is not None and s3.validate.top >= 3 and len(s3.validate.seeds) >= 5
    assert s3.warm_start is not None and s3.warm_start.name == "patterns_s3_spatial"
