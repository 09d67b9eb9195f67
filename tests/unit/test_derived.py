# SPDX-License-Identifier: GPL-2.0-or-later
"""Derived quantities against the values of Bouhadjar et al. (2022)."""
import pytest

from seqnest.pynest_ext import derived
from seqnest.pynest_ext.models import InhNeuronParams, StdspSynapseParams, StmNeuronParams
from seqnest.params import ParameterError


def test_psp_to_psc_matches_paper_values():
    e, i = StmNeuronParams(), InhNeuronParams()
    assert derived.psp_to_psc(22.0, e.tau_m, e.tau_syn_ext, e.C_m) == pytest.approx(4112.21, abs=0.01)
    assert derived.psp_to_psc(1.2 * i.V_th / 20, i.tau_m, i.tau_syn_ex, i.C_m) == pytest.approx(581.20, abs=0.01)
    assert derived.psp_to_psc(-40.0, e.tau_m, e.tau_syn_inh, e.C_m) == pytest.approx(-12915.50, abs=0.01)


def test_psp_peak_is_the_maximum_of_the_psp_curve():
    import numpy as np
    tau_m, tau_s, C = 10.0, 2.0, 250.0
    t = np.linspace(0, 50, 500001)
    v = tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s)) / C
    assert derived.psp_peak_per_pA(tau_m, tau_s, C) == pytest.approx(v.max(), rel=1e-9)


def test_psp_conversion_rejects_equal_time_constants():
    with pytest.raises(ParameterError, match="differ"):
        derived.psp_to_psc(1.0, 10.0, 10.0, 250.0)


def test_mature_weight_and_default_agree():
    w = derived.mature_weight(StmNeuronParams().theta_dAP)
    assert w == pytest.approx(12.98, abs=1e-9)
    assert StdspSynapseParams().w_mature == pytest.approx(w)
    assert 5 * w > StmNeuronParams().theta_dAP > 4 * w   # five coincident inputs, not four


def test_tau_h_for_set_one_is_440_ms():
    assert derived.dap_trace_tau([4, 4]) == 440.0
    assert StmNeuronParams().tau_h == 440.0
    assert derived.dap_trace_tau([5] * 6) == 6 * (4 * 40 + 100)


@pytest.mark.parametrize("lengths", [[], [0, 3]])
def test_tau_h_rejects_empty_sets(lengths):
    with pytest.raises(ParameterError):
        derived.dap_trace_tau(lengths)


def test_dap_plateau_is_8_mV():
    e = StmNeuronParams()
    assert derived.dap_plateau_depolarisation(e.I_p, e.tau_m, e.C_m) == pytest.approx(8.0)


def test_off_state_dap_threshold():
    from seqnest.pynest_ext.derived import off_state_dap_threshold
    assert off_state_dap_threshold(59.0, 0.2, 150, 0.0) == 59.0
    assert off_state_dap_threshold(59.0, 0.2, 150, 12.98 / 5) == pytest.approx(59.0 + 30 * 2.596)
    with pytest.raises(ParameterError):
        off_state_dap_threshold(59.0, 0.2, 150, -1.0)
