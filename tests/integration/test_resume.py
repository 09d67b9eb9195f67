# SPDX-License-Identifier: GPL-2.0-or-later
"""The tristate_stm synapse learns set I; `seqnest learn --resume` continues a
learned network exactly where it stopped (synapses, per-synapse parameters,
neuron state) and refuses what it cannot continue. About 30 s."""
import shutil

import numpy as np
import pytest

from seqnest.cli import main
from seqnest.sequences.rundir import load_connectivity_arrays, read_json

pytestmark = pytest.mark.nest

#: zero rates and drift: a resumed run that changes no synapse
FROZEN_TRISTATE = ["synapse.lambda_plus=0", "synapse.lambda_minus=0", "synapse.lambda_h=0",
                   "synapse.alpha=0", "synapse.beta=0"]
FROZEN_STDSP = ["synapse.lambda_plus=0", "synapse.lambda_minus=0", "synapse.lambda_h=0"]


def _sets(options):
    return [x for o in options for x in ("--set", o)]


@pytest.fixture(scope="module")
def tristate_run(tmp_path_factory, built_module):
    out = tmp_path_factory.mktemp("tri") / "set1"
    assert main(["learn", "--synapse", "tristate_stm", "--task", "set1", "--episodes", "40",
                 "--seed", "1", "--out", str(out), "--no-progress"]) == 0
    return out


def test_tristate_stm_learns_set_one(tristate_run):
    m = read_json(tristate_run / "metrics.json")
    assert m["synapse"] == "tristate_stm" and m["final_error"] < 0.05
    assert m["episodes_to_convergence"] is not None and m["episodes_to_convergence"] <= 35
    X = load_connectivity_arrays(tristate_run)["permanence"]
    assert 0 < m["mature_synapses_final"] == int(np.count_nonzero(X >= 0.75)) < 0.01 * X.size


def test_the_gate_calcium_counts_daps(tristate_run):
    state = np.load(tristate_run / "neuron_state.npz")
    calcium, gate = state["calcium"], state["learn_on"]
    assert calcium.max() > 6.0                   # Ca_stop_high of the tristate_stm kind
    assert np.all(gate[calcium > 6.0] == 0) and np.all(gate[calcium < 2.0] == 1)
    assert 0 < np.mean(gate == 0) < 0.5


@pytest.mark.parametrize("kind, frozen", [("tristate_stm", FROZEN_TRISTATE),
                                          ("stdsp", FROZEN_STDSP)])
def test_a_frozen_resumed_run_keeps_every_synapse(tmp_path, tristate_run, kind, frozen):
    source = tristate_run
    if kind != "tristate_stm":
        source = tmp_path / "source"
        assert main(["learn", "--synapse", kind, "--task", "set1", "--episodes", "3",
                     "--seed", "2", "--out", str(source), "--no-progress"]) == 0
    out = tmp_path / "resumed"
    assert main(["learn", "--resume", str(source), "--episodes", "1", "--out", str(out),
                 "--no-progress", *_sets(frozen)]) == 0
    a, b = load_connectivity_arrays(source), load_connectivity_arrays(out)
    for key in ("source", "target", "permanence", "weight"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    # stdsp: each synapse's own lower bound came back too (else P would be clipped to 1)
    assert set(k for k in a if k.startswith("param_")) == set(k for k in b if k.startswith("param_"))
    for key in (k for k in a if k.startswith("param_")):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    m = read_json(out / "metrics.json")
    assert m["resumed_from"] == str(source)
    assert m["error"][0] == read_json(source / "metrics.json")["error"][-1]


def test_continued_training_learns_on_from_the_learned_state(tmp_path, tristate_run):
    out = tmp_path / "second"
    assert main(["learn", "--resume", str(tristate_run), "--sequences", "A D B E; F D B C",
                 "--episodes", "2", "--out", str(out), "--no-progress"]) == 0
    m = read_json(out / "metrics.json")
    assert m["error"][0] < 0.05                   # already learned: no fresh start
    assert m["mature_synapses_initial"] == read_json(tristate_run / "metrics.json")[
        "mature_synapses_final"]


def test_bad_resumes_are_refused_in_one_line(tmp_path, tristate_run, capsys):
    cases = [
        (["--resume", str(tmp_path / "nowhere")], "run directory not found"),
        (["--resume", str(tristate_run), "--sequences", "A D G"], "no subpopulation"),
        (["--resume", str(tristate_run), "--set", "network.n_E=100"], "cannot change"),
        (["--resume", str(tristate_run), "--inputs", "stp-spatial"], "does not apply"),
    ]
    stp = tmp_path / "stp"
    stp.mkdir()
    (stp / "params.json").write_text('{"hash": "x", "params": {"family": "stp"}}')
    cases.append((["--resume", str(stp)], "is a pattern-sequence run"))
    broken = tmp_path / "broken"
    shutil.copytree(tristate_run, broken)
    (broken / "neuron_state.npz").write_bytes(b"not a zip file")
    cases.append((["--resume", str(broken)], "corrupt neuron state"))
    for args, fragment in cases:
        out = tmp_path / "out"
        assert main(["learn", *args, "--episodes", "1", "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0], err
        assert not out.exists()
