# SPDX-License-Identifier: GPL-2.0-or-later
"""The one layered resolver (seqnest.params.resolve_layers) and the families' public
resolvers built on it (no NEST)."""
import json

import pytest

import seqnest
from seqnest.params import ParameterError, coerce, resolve_layers, split_set_option


def test_layers_of_every_form_merge_later_winning():
    got = resolve_layers(("a", "b"), {"a": {"x": 1, "y": 2}}, None, ["a.x=3", "b.z=true"],
                         {"b.z": "text", "a.y": 2.5})
    assert got == {"a": {"x": 3, "y": 2.5}, "b": {"z": "text"}}
    assert resolve_layers(("a",)) == {"a": {}}


@pytest.mark.parametrize("layer, message", [
    (["c.x=1"], "unknown parameter group 'c' in c.x (known: a, b): hint"),
    ({"c": {}}, "unknown parameter group 'c' (known: a, b): hint"),
    ({"c.x": 1}, "unknown parameter group 'c' in c.x"),
    (["a.x"], "--set expects group.key=value"),
    (["x=1"], "--set expects group.key=value"),
    ({"a": 3}, "parameter group 'a' must be a mapping"),
    ({".x": 3}, "expected group.key"),
    ("a.x=1", "got the text"),
])
def test_bad_layers_are_refused_in_one_line(layer, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        resolve_layers(("a", "b"), layer, hint=": hint")
    assert "\n" not in str(err.value)


def test_set_values_are_typed():
    assert [coerce(t) for t in ("3", "2.5", "TRUE", "false", " inf ", "shared ")] == \
        [3, 2.5, True, False, float("inf"), "shared"]
    assert split_set_option("neuron.tau_h=500") == ("neuron", "tau_h", 500)


def test_pattern_config_layers_file_params_set_and_flags(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"neuron": {"I_p": 300}, "protocol": {"iterations": 30}}))
    cfg = seqnest.resolve_pattern_config("temporal", "s3", config_file=path,
                                         params={"network.n_E_per_item": 20},
                                         set_options=["neuron.I_p=310"], seed=4)
    assert cfg.coding == "temporal" and cfg.neuron.I_p == 310
    assert cfg.protocol.iterations == 30 and cfg.network.n_E_per_item == 20 and cfg.run.seed == 4
    assert seqnest.resolve_pattern_config("stp-spatial").hash() == \
        seqnest.resolve_pattern_config("spatial").hash()
    with pytest.raises(ParameterError, match="unknown parameter group 'synapse'"):
        seqnest.resolve_pattern_config(set_options=["synapse.lambda_plus=0.1"])
    with pytest.raises(ParameterError, match="unknown inputs 'volley'"):
        seqnest.resolve_pattern_config("volley")


def test_cd_config_layers_nested_dotted_and_set():
    cfg = seqnest.resolve_cd_config("mts-xor", params={"network": {"n_d": 4}, "rram.sigma": 0.2},
                                    set_options=["rram.sigma=0.1"])
    assert cfg.network.n_d == 4 and cfg.rram.sigma == 0.1
    with pytest.raises(ParameterError, match="unknown parameter group 'neuron'"):
        seqnest.resolve_cd_config("mts-xor", set_options=["neuron.tau_m=2"])


def test_learn_patterns_and_cd_train_refuse_two_sources_of_parameters(tmp_path):
    cfg = seqnest.resolve_cd_config("mts-xor")
    with pytest.raises(TypeError, match="both config and task"):
        seqnest.cd_train(tmp_path / "x", config=cfg, task="mts-xor")
    with pytest.raises(TypeError, match="both config and inputs"):
        seqnest.learn_patterns(None, config=seqnest.resolve_pattern_config(), inputs="temporal")
