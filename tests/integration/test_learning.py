# SPDX-License-Identifier: GPL-2.0-or-later
"""Regression: the sTM network learns and replays set I (Bouhadjar et al. 2022).

Runs the command line as a user would: `seqnest learn` on set I (M = 6,
n_E = 150, 40 episodes, seed 1), then `seqnest replay`. About 25 s.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from seqnest.pynest_ext.neo_convert import read_nix, split_population
from seqnest.cli import main

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module")
def run_dir(built_module, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "set1"
    assert main(["learn", "--task", "set1", "--episodes", "40", "--seed", "1", "--out", str(out),
                 "--no-progress"]) == 0
    assert main(["replay", str(out)]) == 0
    return out


def load(run_dir, name):
    return json.loads((run_dir / name).read_text())


def test_set_one_is_learned(run_dir):
    m = load(run_dir, "metrics.json")
    assert m["episodes_to_convergence"] is not None and m["episodes_to_convergence"] <= 40
    assert m["final_error"] < 0.01
    assert 0.08 <= m["active_fraction"][-1] <= 0.2
    assert m["active_fraction"][0] == pytest.approx(1.0)      # nothing predicted at first
    assert m["false_negatives"][0] == pytest.approx(1.0)
    assert m["overlap"][0] > 0.9 and m["overlap"][-1] < 0.2    # context-specific codes
    # it stays learned: below the threshold to the end, the last 10 episodes sparse
    stays = m["stays_converged_from"]
    assert stays is not None and all(e < 0.01 for e in m["error"][stays - 1:])
    assert m["relapses_after_convergence"] == sum(
        e >= 0.01 for e in m["error"][m["episodes_to_convergence"]:])
    assert m["tail_episodes"] == 10 and m["tail_error_max"] < 0.01
    assert m["tail_active_fraction_mean"] == pytest.approx(np.mean(m["active_fraction"][-10:]))
    assert 0.08 <= m["tail_active_fraction_mean"] <= 0.15


def test_curves_are_those_of_the_multimeter_evaluation(run_dir):
    """Episode by episode, the curves recorded before the readout register existed."""
    pinned = json.loads((Path(__file__).parents[1] / "data" /
                         "pinned_curves.json").read_text())["runs"]["set1_seed1"]
    assert pinned["config"] == {"task": "set1", "episodes": 40, "seed": 1, "threads": 1,
                                "set_options": []}
    m = load(run_dir, "metrics.json")
    for key in ("error", "false_positives", "false_negatives", "active_fraction"):
        assert m[key] == pinned[key], key


def test_replay_follows_the_trained_order_faster(run_dir):
    r = load(run_dir / "replay", "replay.json")
    assert r["n_correct"] == r["n_cues"] == 2
    for cue, pace in zip(r["cues"], r["training_pace_ms"]):
        assert cue["decoded"] == cue["expected"]
        assert 0 < cue["duration_ms"] < pace
    assert max(r["shared_element_overlap"].values()) < 0.5     # through different D/B neurons


def test_run_directory_contents(run_dir):
    params = load(run_dir, "params.json")
    from seqnest.sequences.temporal_memory.config import config_from_dict
    assert config_from_dict(params["params"]).hash() == params["hash"]
    env = load(run_dir, "env.json")
    assert env["seed"] == 1 and env["module_key"] and env["nest_build_info"]
    assert env["packages"]["nest-simulator"]
    m = load(run_dir, "metrics.json")
    for key in ("error", "false_positives", "false_negatives", "active_fraction", "overlap"):
        assert len(m[key]) == 40
    for key in ("episodes_to_convergence", "final_error", "wall_time_s", "simulate_time_s",
                "readout_time_s", "evaluation_time_s", "network_memory_mb", "peak_rss_mb"):
        assert key in m
    timing = m["episode_timing"]
    assert all(len(timing[k]) == 40 for k in ("simulate_s", "readout_s", "evaluation_s"))
    assert m["simulate_time_s"] == pytest.approx(sum(timing["simulate_s"]))
    assert m["readout_time_s"] < 0.25 * m["simulate_time_s"]     # no per-step recorders
    with np.load(run_dir / "connectivity.npz") as c:
        n = c["source"].size
        assert n == 900 * 180
        assert all(c[k].size == n for k in ("target", "permanence", "weight",
                                            "initial_permanence", "initial_weight"))
        assert np.count_nonzero(c["weight"]) == m["mature_synapses_final"] > 0
    block = read_nix(run_dir / "spikes.nix")
    seg = block.segments[0]
    assert seg.name == "training"
    trains = split_population(seg.spiketrains[0])
    assert len(trains) == 900 and trains[0].annotations["element"] == "A"
    assert trains[1].annotations["node_id"] == trains[0].annotations["node_id"] + 1
    dap = seg.spiketrains[2]                                    # dAP onsets, last episode
    assert dap.name == "E_dAP" and len(dap) > 0
    assert dap.times.min().rescale("ms").magnitude >= 39 * 440.0
    assert len(seg.epochs[0]) == 40 and len(seg.events[0]) == 40 * 8
    assert not list(run_dir.parent.glob(".*tmp*"))             # no temporary leftovers


def test_asset_finds_the_learned_order_in_repeated_replays(run_dir, tmp_path):
    import shutil

    from seqnest.sequences.analysis import detect_sequences
    copy = tmp_path / "set1"
    shutil.copytree(run_dir, copy)
    assert main(["replay", str(copy), "--repetitions", "3"]) == 0
    r = load(copy / "replay", "replay.json")
    assert r["n_cues"] == 6 and r["settings"]["repetitions"] == 3
    seg = read_nix(copy / "replay" / "spikes.nix").segments[0]
    found = detect_sequences(split_population(seg.spiketrains[0]))
    orders = {" ".join(f.order) for f in found}
    assert orders == {"A D B E", "F D B C"}


def test_replays_into_other_directories_leave_the_run_untouched(run_dir, tmp_path):
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    first, second = tmp_path / "replay-a", tmp_path / "replays" / "b"
    assert main(["replay", str(run_dir), "--out", str(first), "--seed", "5", "--threads", "2",
                 "--no-progress"]) == 0
    assert main(["replay", str(run_dir), "--out", str(second), "--no-progress"]) == 0
    a, b = load(first, "replay.json"), load(second, "replay.json")
    assert (a["settings"]["seed"], a["settings"]["threads"]) == (5, 2)
    assert (b["settings"]["seed"], b["settings"]["threads"]) == (1, 1)     # the run's
    assert a["run_dir"] == b["run_dir"] == str(run_dir.resolve())
    # a plain replay draws nothing at random: the same orders with any seed and threads
    assert [c["decoded"] for c in a["cues"]] == [c["decoded"] for c in b["cues"]]
    assert a["n_correct"] == a["n_cues"] == 2
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files
    # a directory that is not a replay is not replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert main(["replay", str(run_dir), "--out", str(tmp_path / "mine"), "--no-progress"]) == 2
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_a_network_built_after_another_in_one_process_reports_its_memory(run_dir, built_module):
    """A sweep's worker builds network after network: the memory of the second is
    measured from a baseline that does not count the first's freed pages."""
    import seqnest
    first = load(run_dir, "metrics.json")["network_memory_mb"]
    again = seqnest.learn(None, task="set1", episodes=1, seed=2, module=built_module)
    assert first > 10
    assert again.metrics["network_memory_mb"] > 0.6 * first, (first, again.metrics)
