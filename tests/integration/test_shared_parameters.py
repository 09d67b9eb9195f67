# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared (@homogeneous) synapse parameters live once per model, in its common
properties, also for synapses NESTML generates together with their neuron; the
dynamics are those of the build that stored them in every synapse."""
import hashlib
import re
from pathlib import Path

import nest
import numpy as np
import pytest

import seqnest
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.models import SYNAPSE_MODELS, StdspSynapseParams, TristateSynapseParams

pytestmark = pytest.mark.nest

MODELS = Path(__file__).resolve().parents[2] / "nestml_models" / "synapses"
SHARED = re.compile(r"^\s*(\w+)\s+\w+(?:\s+\w+)?\s*=.*@homogeneous", re.M)
#: ``GetDefaults(model)["sizeof"]`` (bytes per synapse object) when every parameter
#: was stored in each synapse (NESTML 9.0.0 without the patch).
SIZE_BEFORE = {"stdsp": 168, "reram": 240, "tristate": 176, "tristate_stm": 216, "weight": 160}


@pytest.mark.parametrize("kind", sorted(SIZE_BEFORE))
def test_shared_parameters_are_common_properties(built_module, kind):
    names = setup_kernel(KernelConfig(), module=built_module)
    neuron, model = names.pair(kind)
    shared = set(SHARED.findall((MODELS / f"{SYNAPSE_MODELS[kind]}.nestml").read_text()))
    assert shared
    pre, post = nest.Create(neuron, 2)
    nest.Connect(pre, post, syn_spec={"synapse_model": model, "receptor_type": 2})
    conn = nest.GetConnections(synapse_model=model)
    assert shared & set(conn.get().keys()) == set()          # not stored per synapse
    assert shared <= set(nest.GetDefaults(model))             # but by the model
    assert nest.GetDefaults(model)["sizeof"] < SIZE_BEFORE[kind]
    with pytest.raises(nest.NESTError):                       # set through the model only
        conn.set({sorted(shared)[0]: 1.0})


def test_a_copied_model_keeps_its_own_shared_values(built_module):
    names = setup_kernel(KernelConfig(), module=built_module)
    nest.CopyModel(names.stdsp_synapse, "stdsp_fast",
                   {**StdspSynapseParams().nest_defaults(), "lambda_plus": 0.2})
    assert nest.GetDefaults("stdsp_fast")["lambda_plus"] == 0.2
    assert nest.GetDefaults(names.stdsp_synapse)["lambda_plus"] == StdspSynapseParams().lambda_plus
    assert nest.GetDefaults(names.stdsp_synapse)["sizeof"] <= nest.GetDefaults("stdp_synapse")["sizeof"]


def test_the_update_scratch_is_not_stored_per_synapse(built_module):
    """The trace propagator and step (and the reram's normal-deviate adaptor) are kept
    per thread: a synapse object holds its parameters, state and NEST's own members."""
    names = setup_kernel(KernelConfig(), module=built_module)
    stdsp = nest.GetDefaults(names.stdsp_synapse)["sizeof"]
    assert stdsp < nest.GetDefaults("stdp_synapse")["sizeof"]
    # reram adds permanence_high, level_step, read_enabled, accumulator: 4 doubles
    assert nest.GetDefaults(names.pair("reram")[1])["sizeof"] == stdsp + 32


def _digest(values) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype=float).tobytes()).hexdigest()[:16]


def test_learned_states_are_those_of_the_build_without_shared_parameters(built_module,
                                                                       before_search):
    """Digests of final synapse states computed with the build that stored every
    parameter in each synapse (before the shared-parameter fix): the dynamics did not
    change by one bit."""
    from seqnest.pynest_ext.synapse_probes import transition_curve
    got = {}
    for kind in ("stdsp", "tristate_stm"):
        r = seqnest.learn(task="set1", episodes=3, seed=5, synapse=kind, module=built_module,
                          params={"network": {"n_E": 40}})
        got[f"{kind}_state"] = _digest(r.connectivity_final.permanence)
    r = seqnest.learn(task="set1", episodes=3, seed=5, synapse="reram", module=built_module,
                      params={"network": {"n_E": 40},
                              "synapse": {"levels": 8, "sigma_write": 0.05,
                                          "stuck_high_fraction": 0.1,
                                          "stuck_low_fraction": 0.05}})
    got["reram8_state"] = _digest(r.connectivity_final.permanence)
    curve = transition_curve(TristateSynapseParams(), [2000.0, 4000.0, 6000.0, 9000.0],
                             n_synapses=300, module=built_module)
    got["tristate_final_X"] = _digest(curve.final_X)
    then = before_search("spatial", 800.0)              # the pattern defaults of then
    then["network"]["n_E_per_item"] = 20
    p = seqnest.learn_patterns(None, inputs="spatial", iterations=6, seed=3, module=built_module,
                               params=then)
    got["weight_ee"] = _digest(p.ee_final["weight"])
    assert got == PINNED


PINNED = {"stdsp_state": "82f5e9105c7ba8d4", "tristate_stm_state": "8b472b07db80291e",
          "reram8_state": "96aa69492fca056f", "tristate_final_X": "f021b680aa41524f", "weight_ee": "dffee03444474557"}
