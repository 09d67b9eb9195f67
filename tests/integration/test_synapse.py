# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_stdsp_synapse against the analytic single-synapse check.

Bouhadjar et al. (2022) rule, set I: per pairing (pre->post lag 40 ms plus a
2 ms delay, z clamped) dP = 20 * (0.08 e^{-42/20} + 0.014 (1 - z) - 0.0015):
0.4459 for z = 0, 0.1659 for z = 1, negative for z = 2 (P stays at P_min).
"""
import pytest

from seqnest.pynest_ext import probes
from seqnest.pynest_ext.kernel import import_nest, setup_kernel
from seqnest.pynest_ext.models import RECEPTOR_DEND, StdspSynapseParams

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module", params=[0.0, 1.0, 2.0], ids=lambda z: f"z={z:g}")
def pairing(request, built_module):
    return probes.synapse_pairing(request.param, n_pairings=60)


def test_post_spikes_follow_pre_spikes_by_the_lag(pairing):
    assert all(lag == pytest.approx(40.0) for lag in pairing.post_lags)


def test_step_per_pairing_matches_analytic(pairing):
    if pairing.analytic_step > 0:
        assert pairing.step == pytest.approx(pairing.analytic_step, abs=2e-3)
    else:
        assert pairing.step == 0.0 and max(pairing.permanence) == pytest.approx(1.0)


def test_crossings(pairing):
    expected = {0.0: 21, 1.0: 55, 2.0: None}[pairing.z]
    if expected is None:
        assert pairing.crossing is None
    else:
        assert abs(pairing.crossing - expected) <= 2


def test_saturation_at_P_max_for_z_zero(pairing):
    if pairing.z == 0.0:
        assert abs(pairing.saturation - 43) <= 2
        assert max(pairing.permanence) <= 20.0
    else:
        assert pairing.saturation is None


def test_weight_is_binary_and_lower_bound_is_per_synapse(built_module):
    """Depression stops at each synapse's own P_min; w is W only at P >= theta_P."""
    names = setup_kernel()
    nest = import_nest()
    syn = StdspSynapseParams(lambda_minus=0.05)   # 1 per spike: fast to reach the bounds
    pre = nest.Create("parrot_neuron")
    gen = nest.Create("spike_generator", params={"spike_times": [10.0 + 50.0 * k for k in range(20)]})
    nest.Connect(gen, pre)
    posts = nest.Create(names.stm_neuron, 3)
    nest.CopyModel(names.stdsp_synapse, "stdsp_test", syn.nest_defaults())
    for post, (p0, pmin) in zip(posts, [(15.0, 2.0), (15.0, 11.0), (15.0, 5.0)]):
        nest.Connect(pre, post, syn_spec={"synapse_model": "stdsp_test", "delay": 2.0,
                                          "receptor_type": RECEPTOR_DEND,
                                          "permanence": p0, "permanence_min": pmin})
    conns = nest.GetConnections(pre)
    nest.Simulate(1100.0)
    perm = conns.get("permanence")
    pmin = conns.get("permanence_min")
    assert perm == pytest.approx(pmin)                       # each at its own floor
    assert sorted(pmin) == [2.0, 5.0, 11.0]
    for p, w in zip(perm, conns.get("w")):
        assert w == (syn.w_mature if p >= syn.theta_P else 0.0)
