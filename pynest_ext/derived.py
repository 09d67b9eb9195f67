# SPDX-License-Identifier: GPL-2.0-or-later
"""Derived quantities of the sTM model, as named pure functions (no NEST).

References
----------
Bouhadjar Y, Wouters DJ, Diesmann M, Tetzlaff T (2022). Sequence learning,
prediction, and replay in networks of spiking neurons. PLoS Comput Biol 18(6):
e1010233.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from seqnest.params import ParameterError

__all__ = ["psp_peak_per_pA", "psp_to_psc", "mature_weight", "dap_trace_tau",
           "dap_plateau_depolarisation", "off_state_dap_threshold"]


def psp_peak_per_pA(tau_m: float, tau_syn: float, C_m: float) -> float:
    """Peak PSP (mV) of a LIF neuron for an exponential PSC of amplitude 1 pA.

    With I(t) = J exp(-t/tau_syn), the PSP is
    V(t) = J/C_m * tau_m tau_syn/(tau_m - tau_syn) * (exp(-t/tau_m) - exp(-t/tau_syn)),
    which peaks at t* = tau_m tau_syn/(tau_m - tau_syn) * ln(tau_m/tau_syn).

    Parameters
    ----------
    tau_m : float
        Membrane time constant (ms).
    tau_syn : float
        Synaptic time constant (ms); must differ from ``tau_m``.
    C_m : float
        Membrane capacitance (pF).

    Returns
    -------
    float
        Peak depolarisation in mV per pA of PSC amplitude.
    """
    if tau_m <= 0 or tau_syn <= 0 or C_m <= 0:
        raise ParameterError("psp_peak_per_pA: tau_m, tau_syn and C_m must be positive")
    if math.isclose(tau_m, tau_syn, rel_tol=1e-9):
        raise ParameterError("psp_peak_per_pA: tau_syn must differ from tau_m")
    scale = tau_m * tau_syn / (tau_m - tau_syn)
    t_peak = scale * math.log(tau_m / tau_syn)
    return scale * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn)) / C_m


def psp_to_psc(psp: float, tau_m: float, tau_syn: float, C_m: float) -> float:
    """PSC amplitude (pA) that gives a PSP peak of ``psp`` (mV); sign is kept.

    Examples (Bouhadjar et al. 2022): 22 mV onto the excitatory neuron
    (tau_m 10 ms, tau_syn 2 ms, C_m 250 pF) gives 4112.21 pA.
    """
    return psp / psp_peak_per_pA(tau_m, tau_syn, C_m)


def mature_weight(theta_dAP: float, n_coincident: int = 5, margin: float = 1.1) -> float:
    """Weight W (pA) of a mature E->E synapse.

    ``n_coincident`` synchronous inputs of weight W onto the dendrite (alpha PSC
    with peak = weight) exceed ``theta_dAP`` by the factor ``margin``:
    W = margin * theta_dAP / n_coincident (12.98 pA for 59 pA, 5, 1.1).
    """
    if n_coincident < 1:
        raise ParameterError("mature_weight: n_coincident must be >= 1")
    return margin * theta_dAP / n_coincident


def dap_trace_tau(sequence_lengths: Sequence[int], delta_T: float = 40.0,
                  gap: float = 100.0) -> float:
    """Time constant tau_h (ms) of the dAP trace: duration of one pass over the set.

    tau_h = sum over sequences of ((C_i - 1) * delta_T + gap), i.e.
    ((C - 1) * 40 + 100) * S ms for S sequences of length C (440 ms for set I).

    Parameters
    ----------
    sequence_lengths : sequence of int
        Number of elements C_i of each sequence.
    delta_T : float
        Interval between elements of a sequence (ms).
    gap : float
        Interval between the last element of a sequence and the next one (ms).
    """
    if not sequence_lengths:
        raise ParameterError("dap_trace_tau: the sequence set is empty")
    if any(c < 1 for c in sequence_lengths):
        raise ParameterError("dap_trace_tau: every sequence needs at least one element")
    if delta_T <= 0 or gap < 0:
        raise ParameterError("dap_trace_tau: delta_T must be > 0 and gap >= 0")
    return float(sum((c - 1) * delta_T + gap for c in sequence_lengths))


def dap_plateau_depolarisation(I_p: float, tau_m: float, C_m: float) -> float:
    """Steady somatic depolarisation (mV) of a dAP plateau alone: I_p * tau_m / C_m."""
    return I_p * tau_m / C_m


def off_state_dap_threshold(theta_dAP: float, p_EE: float, n_E: int, w_off: float) -> float:
    """dAP threshold (pA) that discounts the input of off-state ReRAM synapses.

    With a finite on/off ratio r, every potential E->E synapse transmits at
    least w_off = W / r. When one subpopulation fires, a neuron receives on
    average K = p_EE * n_E such inputs at once (fixed in-degree p_EE * N_E drawn
    from M subpopulations), which adds K * w_off to the dendritic current
    independently of learning. Raising theta_dAP by that amount restores the
    margin of the ideal device; it is the software equivalent of subtracting
    the off-state current of a reference column.
    """
    if w_off < 0:
        raise ParameterError(f"w_off must be >= 0 pA, got {w_off:g}")
    return theta_dAP + p_EE * n_E * w_off
