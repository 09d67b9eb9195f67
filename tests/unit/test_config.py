# SPDX-License-Identifier: GPL-2.0-or-later
"""Resolution of run configurations: defaults, task-derived values, files, --set."""
import json

import pytest

from seqnest.params import ParameterError
from seqnest.sequences.temporal_memory.config import (config_from_dict, parse_set_options,
                                                      resolve_config)


def test_set_one_defaults():
    cfg = resolve_config()
    assert cfg.task == "set1"
    assert cfg.neuron.tau_h == 440.0 and cfg.synapse.dt_max == 80.0
    assert cfg.run.episodes == 40 and not cfg.sparse_first


def test_task_derived_values():
    cfg = resolve_config(task="set2")
    assert cfg.neuron.tau_h == 6 * (4 * 40 + 100)
    assert cfg.synapse.lambda_plus == 0.28 and cfg.synapse.lambda_minus == 0.0063
    assert resolve_config(task="set3").sparse_first
    cfg = resolve_config(set_options=["timing.delta_T=50"])
    assert cfg.synapse.dt_max == 100.0 and cfg.neuron.tau_h == 2 * (3 * 50 + 100)


def test_named_sets_keep_their_2022_protocol():
    for task, sparse, rate in (("set1", False, 0.08), ("set2", False, 0.28),
                               ("set3", True, 0.39), ("task4", False, 0.08)):
        cfg = resolve_config(task=task)
        assert cfg.sparse_first == sparse and cfg.synapse.lambda_plus == rate, task
        assert cfg.network.ie_psp_factor_training == 0, task
    custom = resolve_config(sequences="A B C; D B E")
    assert not custom.sparse_first and custom.network.ie_psp_factor_training == 0
    other = resolve_config(task="set2", set_options=["run.sparse_first=on",
                                                     "synapse.lambda_plus=0.39"])
    assert other.sparse_first and other.synapse.lambda_plus == 0.39
    again = config_from_dict(other.to_dict())
    assert again.sparse_first and again.synapse.lambda_plus == 0.39


def test_training_e_to_i_factor_applies_to_training_only():
    from seqnest.pynest_ext.networks.temporal_memory import synaptic_weights
    cfg = resolve_config(task="set2", set_options=["network.ie_psp_factor_training=1.5"])
    paper = resolve_config(task="set2")
    train_w = synaptic_weights(cfg.neuron, cfg.inh_neuron, cfg.network).ie
    paper_w = synaptic_weights(paper.neuron, paper.inh_neuron, paper.network).ie
    assert train_w == pytest.approx(paper_w * 1.5 / 1.2)
    replay = synaptic_weights(cfg.neuron, cfg.inh_neuron, cfg.network, ie_divisor=150).ie
    assert replay == pytest.approx(synaptic_weights(paper.neuron, paper.inh_neuron,
                                                    paper.network, ie_divisor=150).ie)


def test_user_values_win_over_task_values():
    cfg = resolve_config(task="set2", set_options=["synapse.lambda_plus=0.1", "neuron.tau_h=999"])
    assert cfg.synapse.lambda_plus == 0.1 and cfg.neuron.tau_h == 999.0
    cfg = resolve_config(set_options=["run.episodes=7"], episodes=9)
    assert cfg.run.episodes == 9      # explicit flag wins over --set


@pytest.mark.parametrize("options, fragment", [
    (["neuron.tau_mem=3"], "unknown parameter 'tau_mem' for stm_neuron"),
    (["nuron.tau_m=3"], "unknown parameter group 'nuron'"),
    (["neuron.tau_m"], "group.key=value"),
    (["tau_m=3"], "group.key=value"),
    (["network.inhibition=global"], "must be one of per_subpopulation, shared"),
    (["replay.psp_reference=absolute"], "must be one of replay, training"),
    (["run.episodes=-3"], "run.episodes: must be >= 1"),
    (["network.permanence_init_high=30"], "permanence_init_high exceeds"),
])
def test_bad_options_are_rejected(options, fragment):
    with pytest.raises(ParameterError, match=fragment):
        resolve_config(set_options=options)


def test_task_and_sequences_are_exclusive():
    with pytest.raises(ParameterError, match="either --task or --sequences"):
        resolve_config(task="set1", sequences="A B; C D")


def test_custom_and_random_tasks():
    cfg = resolve_config(sequences="X Y Z; W Y Q")
    assert cfg.task == "custom" and cfg.sequence_set.vocabulary == ("Q", "W", "X", "Y", "Z")
    cfg = resolve_config(task="random", set_options=["random.n_sequences=3", "random.length=5",
                                                     "random.shared_core=2", "random.vocab_size=9",
                                                     "random.seed=4"])
    assert len(cfg.sequence_set.sequences) == 3


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"neuron": {"tau_h": 500}, "run": {"episodes": 3}}'),
    (".yaml", "neuron:\n  tau_h: 500\nrun:\n  episodes: 3\n"),
    (".toml", "[neuron]\ntau_h = 500\n[run]\nepisodes = 3\n"),
])
def test_config_files(tmp_path, suffix, text):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    cfg = resolve_config(config_file=path, set_options=["run.episodes=4"])
    assert cfg.neuron.tau_h == 500.0 and cfg.run.episodes == 4


@pytest.mark.parametrize("name, text, fragment", [
    ("c.json", "{not json", "cannot parse"),
    ("c.json", '{"neuron": 3}', "expected a mapping"),
    ("c.json", '{"neurons": {}}', "unknown parameter group"),
    ("c.ini", "[x]", "unknown format"),
])
def test_bad_config_files(tmp_path, name, text, fragment):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ParameterError, match=fragment):
        resolve_config(config_file=path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ParameterError, match="config file not found"):
        resolve_config(config_file=tmp_path / "nope.json")


def test_round_trip_keeps_the_hash():
    cfg = resolve_config(task="set3", set_options=["network.n_E=50", "run.seed=3"])
    again = config_from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again.hash() == cfg.hash()
    assert again.sparse_first and again.network.n_E == 50
    assert resolve_config(task="set3").hash() != cfg.hash()


def test_set_option_values_are_typed():
    assert parse_set_options(["run.seed=3", "neuron.tau_h=4.5", "network.inhibition=shared"]) == {
        "run": {"seed": 3}, "neuron": {"tau_h": 4.5}, "network": {"inhibition": "shared"}}


def test_training_frequencies_from_flag_set_option_and_file(tmp_path):
    seqs = "A F B D; A F C E"
    flag = resolve_config(sequences=seqs, frequencies="7,3")
    assert flag.sequence_set.frequencies == pytest.approx((0.7, 0.3))
    opt = resolve_config(sequences=seqs, set_options=["task.frequencies=0.6,0.4"])
    assert opt.sequence_set.frequencies == pytest.approx((0.6, 0.4))
    f = tmp_path / "c.yaml"
    f.write_text("task: {frequencies: [0.2, 0.8]}\nnetwork: {n_E: 40}\n")
    from_file = resolve_config(sequences=seqs, config_file=f)
    assert from_file.sequence_set.frequencies == pytest.approx((0.2, 0.8))
    # the flag wins over --set, which wins over the file
    both = resolve_config(sequences=seqs, config_file=f, set_options=["task.frequencies=1,1"],
                          frequencies="0.9,0.1")
    assert both.sequence_set.frequencies == pytest.approx((0.9, 0.1))
    # and they override a named set's own
    assert resolve_config(task="branch2", frequencies="1,1").sequence_set.frequencies == (0.5, 0.5)
    with pytest.raises(ParameterError, match="unknown key task.order"):
        resolve_config(sequences=seqs, set_options=["task.order=1"])


def test_frequencies_round_trip_and_leave_other_runs_alone():
    cfg = resolve_config(task="branch3", set_options=["network.n_E=30"])
    record = json.loads(json.dumps(cfg.to_dict()))
    assert record["frequencies"] == pytest.approx([0.2, 0.5, 0.3])
    again = config_from_dict(record)
    assert again.hash() == cfg.hash() and again.sequence_set.frequencies == cfg.sequence_set.frequencies
    assert "frequencies" not in resolve_config(task="set1").to_dict()
    assert resolve_config(task="branch3", frequencies="1,1,1").hash() != cfg.hash()


def test_shared_inhibition_brings_the_race_settings_of_replay():
    cfg = resolve_config(task="branch2", set_options=["network.rho=12"])
    # the training E->I weight (quorum rho), the 2022 absolute PSPs, three named departures
    assert cfg.replay.ie_quorum == 12.0 and cfg.replay.inhibition_ends_daps == "on"
    assert cfg.replay.ei_scale == 0.025 and cfg.replay.theta_dAP_factor == 0.85
    assert cfg.replay.psp_reference == "training" and cfg.replay.decision == "branch"
    per_pop = resolve_config(task="branch2", set_options=["network.inhibition=per_subpopulation"])
    assert per_pop.replay.ie_quorum == 0.0 and per_pop.replay.inhibition_ends_daps == "off"
    assert per_pop.replay.psp_reference == "replay" and per_pop.replay.ei_scale == 1.0
    user = resolve_config(task="branch2", set_options=["replay.ie_quorum=3"])
    assert user.replay.ie_quorum == 3.0


def test_resumed_config_keeps_the_network_and_takes_a_new_task():
    from seqnest.sequences.temporal_memory.config import resolve_resumed_config
    source = resolve_config(set_options=["neuron.tau_h=500", "synapse.lambda_plus=0.1"],
                            episodes=12, seed=4)
    cfg = resolve_resumed_config(source, sequences="C D B A; E D B F", episodes=3)
    assert cfg.run.episodes == 3 and cfg.run.seed == 4
    assert cfg.neuron.tau_h == 500 and cfg.synapse.lambda_plus == 0.1   # the source's values
    assert cfg.sequence_set.vocabulary == source.sequence_set.vocabulary
    assert cfg.sequence_set.sequences == (tuple("CDBA"), tuple("EDBF"))
    same = resolve_resumed_config(source, set_options=["synapse.lambda_h=0"])
    assert same.sequence_set == source.sequence_set and same.synapse.lambda_h == 0
    assert same.run.episodes == 40                                       # RunParams' default
    # a subset of the elements keeps every subpopulation
    part = resolve_resumed_config(source, sequences="A D; F D")
    assert part.sequence_set.vocabulary == source.sequence_set.vocabulary


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(sequences="A D G"), "element 'G' has no subpopulation in the resumed network"),
    (dict(set_options=["network.n_E=100"]), "network.n_E cannot change"),
    (dict(set_options=["network.p_EE=0.3"]), "network.p_EE cannot change"),
    (dict(synapse="reram"), "run.synapse cannot change"),
    (dict(task="set2"), "has no subpopulation"),
])
def test_resumed_config_refuses_a_different_network(kwargs, fragment):
    from seqnest.sequences.temporal_memory.config import resolve_resumed_config
    with pytest.raises(ParameterError, match=fragment):
        resolve_resumed_config(resolve_config(), **kwargs)


def test_described_parameters_name_the_values_a_set_prescribes():
    from seqnest.sequences.temporal_memory.config import describe_config
    text = describe_config(resolve_config(task="set2"))
    line = next(x for x in text.splitlines() if x.strip().startswith("lambda_plus "))
    assert "0.28" in line and "set2's own value" in line
    mine = describe_config(resolve_config(task="set2", set_options=["synapse.lambda_plus=0.3"]))
    line = next(x for x in mine.splitlines() if x.strip().startswith("lambda_plus "))
    assert "0.3" in line and "own value" not in line
