# SPDX-License-Identifier: GPL-2.0-or-later
"""stm_neuron against the analytic and published single-neuron figures."""
import pytest

from seqnest.pynest_ext import probes
from seqnest.pynest_ext.models import StmNeuronParams

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module")
def dap(built_module):
    return probes.dap_response()


def test_dendritic_input_triggers_a_clamped_dap(dap):
    assert dap.plateau_current == pytest.approx(200.0)
    assert dap.duration == pytest.approx(60.0, abs=0.1)
    assert 0 < dap.onset - dap.input_time < 5.0


def test_dap_gives_an_8_mV_subthreshold_plateau(dap):
    assert dap.analytic_plateau == pytest.approx(8.0)
    # 60 ms = 6 tau_m: the plateau reaches (1 - e^-6) of its asymptote
    assert dap.peak_depolarisation == pytest.approx(8.0, abs=0.1)
    assert dap.somatic_spikes == 0


def test_dap_increments_the_trace(dap):
    assert 0.6 < dap.z_after < 1.0   # one dAP, decayed with tau_h = 440 ms


def test_subthreshold_dendritic_input_gives_no_dap(built_module):
    r = probes.dap_response(weight=50.0)     # peak 50 pA < theta_dAP = 59 pA
    assert r.duration == 0.0 and r.plateau_current == 0.0
    assert r.peak_depolarisation < 2.0


def test_dap_advances_the_somatic_spike(built_module):
    adv = probes.dap_spike_advance()
    assert adv.advance == pytest.approx(1.4, abs=0.3)
    assert adv.latency_with_dap > 0


@pytest.mark.parametrize("weight", [-500.0, 500.0])
def test_inhibitory_spike_hyperpolarises_for_either_sign(built_module, weight):
    r = probes.inhibition_response(weight)
    assert r.max_deflection == pytest.approx(0.0, abs=1e-9)
    # peak of a 500 pA exp PSC (tau 1 ms) on tau_m 10 ms, C_m 250 pF
    from seqnest.pynest_ext.derived import psp_peak_per_pA
    expected = -500.0 * psp_peak_per_pA(10.0, 1.0, 250.0)
    assert r.min_deflection == pytest.approx(expected, rel=0.02)
    assert r.min_deflection < -1.0


def test_somatic_spike_cancels_the_dap(built_module):
    """dAP at ~12 ms, external input at 40 ms fires the soma: the dAP ends then."""
    import numpy as np
    from seqnest.pynest_ext.kernel import import_nest, setup_kernel
    from seqnest.pynest_ext.models import RECEPTOR_DEND, RECEPTOR_EXT
    names = setup_kernel()
    nest = import_nest()
    neuron = StmNeuronParams()
    cell = nest.Create(names.stm_neuron, params=neuron.nest_status())
    for t, w, rec in [(10.0, probes.DAP_TRIGGER_WEIGHT, RECEPTOR_DEND),
                      (40.0, probes.external_weight(neuron), RECEPTOR_EXT)]:
        gen = nest.Create("spike_generator", params={"spike_times": [t]})
        nest.Connect(gen, cell, syn_spec={"weight": w, "receptor_type": rec, "delay": 0.1})
    mm = nest.Create("multimeter", params={"interval": 0.1, "record_from": ["dAP_active", "V_m"]})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, cell)
    nest.Connect(cell, sr)
    nest.Simulate(120.0)
    spikes = sr.events["times"]
    assert len(spikes) == 1 and 40.0 < spikes[0] < 43.0
    t, active = np.asarray(mm.events["times"]), np.asarray(mm.events["dAP_active"])
    assert t[active > 0.5].max() < spikes[0] + 0.05            # no dAP after the spike
    v = np.asarray(mm.events["V_m"])
    refractory = (t > spikes[0]) & (t < spikes[0] + neuron.t_ref)
    assert np.all(v[refractory] == neuron.V_reset)              # clamped while refractory
