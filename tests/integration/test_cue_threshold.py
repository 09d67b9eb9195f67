# SPDX-License-Identifier: GPL-2.0-or-later
"""Replay of a quantised ReRAM run: the cue's own dAP threshold.

Set I learned on 8-level ReRAM devices (40 episodes, seed 1) predicts without
error, but skip synapses (first element -> third, lag 2 Delta_T) lifted over the
permanence threshold by stochastic rounding give the third element a dAP from
the whole-subpopulation cue. The derived thresholds give the cue step its own
threshold, held until the cue's input on those neurons has decayed. About 20 s.
"""
import json

import pytest

from pynest_ext.neo_convert import read_nix
from seqnest_cli.seqnest import main
from sequences.rundir import population_train, train_arrays

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module")
def run_dir(built_module, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "levels8"
    assert main(["learn", "--task", "set1", "--synapse", "reram", "--set", "synapse.levels=8",
                 "--episodes", "40", "--seed", "1", "--out", str(out), "--no-progress"]) == 0
    assert main(["replay", str(out)]) == 0
    return out


def test_the_quantised_run_predicts_and_replays(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["final_error"] < 0.01
    r = json.loads((run_dir / "replay" / "replay.json").read_text())
    assert r["n_correct"] == r["n_cues"] == 2


def test_the_cue_threshold_holds_until_the_rivals_input_has_decayed(run_dir):
    r = json.loads((run_dir / "replay" / "replay.json").read_text())
    s = r["settings"]
    derived, cue = s["derived_threshold"], s["cue_threshold"]
    assert cue is not None and derived["theta_cue"] == cue["theta_dAP"]
    # the cue threshold lies above the skip rivals and below the cue's targets
    assert derived["cue_low"] < cue["theta_dAP"] <= derived["cue_high"]
    assert cue["after"] == s["theta_dAP"] < derived["cue_low"]
    seg = read_nix(run_dir / "replay" / "spikes.nix").segments[0]
    index, times = train_arrays(population_train(seg, "E"))
    n_E = 150
    vocab = "ABCDEF"
    for c, t_cue in zip(r["cues"], s["cue_times"]):
        second, third = vocab.index(c["expected"][1]), vocab.index(c["expected"][2])
        window_end = t_cue + cue["window_ms"]

        def first_spike(pop):
            mine = (index >= pop * n_E) & (index < (pop + 1) * n_E) & (times > t_cue)
            return float(times[mine].min())
        # the window closes before the second element's spikes reach the third
        assert first_spike(second) + 2.0 >= window_end
        # and the third element fires after the second, not with it (no skip activation)
        assert first_spike(third) > first_spike(second) + 5.0
