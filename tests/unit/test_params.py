# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameter declaration and validation."""
import pytest

from seqnest.pynest_ext.models import InhNeuronParams, StdspSynapseParams, StmNeuronParams
from seqnest.params import ParameterError, parameter_hash


@pytest.mark.parametrize("cls", [StmNeuronParams, InhNeuronParams, StdspSynapseParams])
def test_every_parameter_has_unit_meaning_and_source(cls):
    for name, default, unit, doc, source in cls.describe():
        assert unit and doc and source, name
    cls()  # defaults are valid


def test_unknown_key_is_rejected_with_its_name():
    with pytest.raises(ParameterError, match="unknown parameter 'tau_mem' for stm_neuron"):
        StmNeuronParams(tau_mem=10.0)


@pytest.mark.parametrize("key, value, fragment", [
    ("C_m", -1.0, "C_m: must be > 0"),
    ("tau_m", 0.0, "tau_m: must be > 0"),
    ("t_ref", -2.0, "t_ref: must be >= 0"),
    ("theta_dAP", float("nan"), "must be finite"),
    ("V_th", "high", "expected a number"),
    ("V_reset", 25.0, "V_reset"),
    ("tau_syn_dend", 10.0, "must differ from tau_m"),
])
def test_impossible_neuron_values_are_rejected(key, value, fragment):
    with pytest.raises(ParameterError, match=fragment):
        StmNeuronParams(**{key: value})


@pytest.mark.parametrize("changes, fragment", [
    ({"dt_min": 90.0}, "dt_min"),
    ({"theta_P": 25.0}, "theta_P"),
    ({"lambda_minus": -0.1}, "lambda_minus"),
    ({"delay": 0.0}, "delay"),
])
def test_impossible_synapse_values_are_rejected(changes, fragment):
    with pytest.raises(ParameterError, match=fragment):
        StdspSynapseParams(**changes)


def test_sets_are_immutable_and_replace_validates():
    p = StmNeuronParams()
    with pytest.raises(AttributeError):
        p.tau_m = 5.0
    q = p.replace(tau_h=1000.0)
    assert q.tau_h == 1000.0 and p.tau_h == 440.0
    with pytest.raises(ParameterError):
        p.replace(tau_h=-1.0)


def test_hash_identifies_the_resolved_values():
    a, b = StmNeuronParams(), StmNeuronParams(tau_h=440)
    assert parameter_hash(a.to_dict()) == parameter_hash(b.to_dict())
    assert parameter_hash(a.to_dict()) != parameter_hash(a.replace(tau_h=441).to_dict())


def test_synapse_defaults_for_nest_leave_out_the_delay():
    d = StdspSynapseParams().nest_defaults()
    assert "delay" not in d and d["lambda_plus"] == 0.08


@pytest.mark.parametrize("changes, fragment", [
    ({"tau_syn_ex": 5.0}, "tau_syn_ex"),
    ({"V_reset": 15.0}, "V_reset"),
])
def test_impossible_inhibitory_neuron_values_are_rejected(changes, fragment):
    with pytest.raises(ParameterError, match=fragment):
        InhNeuronParams(**changes)
