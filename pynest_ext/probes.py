# SPDX-License-Identifier: GPL-2.0-or-later
"""Single-neuron and single-synapse experiments with the compiled models.

Each function sets up a fresh kernel (:func:`seqnest.pynest_ext.kernel.setup_kernel`),
builds a tiny network, simulates it and returns plain numbers in a frozen
dataclass. The test suite checks them against analytic values and
``seqnest demo`` prints them.

Protocols follow Bouhadjar et al. (2022): a dendritic input strong enough to
trigger a dendritic action potential (dAP); an external input of 22 mV PSP
(1.1 theta) that fires the neuron; the analytic single-synapse pairing check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext.derived import dap_plateau_depolarisation, psp_to_psc
from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import (RECEPTOR_DEND, RECEPTOR_EXT, RECEPTOR_INH,
                                       StdspSynapseParams, StmNeuronParams)
from seqnest.params import ParameterError

__all__ = ["DapResponse", "dap_response", "SpikeAdvance", "dap_spike_advance",
           "InhibitionResponse", "inhibition_response", "PairingResult", "synapse_pairing",
           "analytic_pairing_step", "external_weight"]

#: Dendritic input (pA, alpha-PSC peak) used to trigger one dAP in the paper's
#: sparse-first-element drive: above theta_dAP = 59 pA.
DAP_TRIGGER_WEIGHT = 82.6
#: Somatic PSP peak (mV) of one external input: 1.1 * theta (Bouhadjar et al. 2022).
EXTERNAL_PSP = 22.0
#: Inhibitory test weight (pA) of the NESTML-tutorial sign check.
INHIBITORY_TEST_WEIGHT = -500.0
#: Time constant (ms) that freezes the dAP trace over a probe ("z clamped").
FROZEN_TAU_H = 1e12


def external_weight(neuron: StmNeuronParams, psp: float = EXTERNAL_PSP) -> float:
    """PSC amplitude (pA) of an external input with PSP peak ``psp`` (mV)."""
    return psp_to_psc(psp, neuron.tau_m, neuron.tau_syn_ext, neuron.C_m)


def _grid(t: float, resolution: float) -> float:
    return round(round(t / resolution) * resolution, 10)


def _stim(nest, times, target, weight, receptor, resolution):
    gen = nest.Create("spike_generator", params={"spike_times": [_grid(t, resolution) for t in times]})
    nest.Connect(gen, target, syn_spec={"weight": weight, "delay": resolution,
                                        "receptor_type": receptor})
    return gen


# -- dendritic action potential ------------------------------------------------------

@dataclass(frozen=True)
class DapResponse:
    """Response of one neuron to a single dendritic input.

    Attributes: input time, dAP onset and duration (ms), the plateau current
    (pA), the peak somatic depolarisation (mV), its analytic value
    I_p*tau_m/C_m (mV), the number of somatic spikes and the dAP trace z after
    the dAP.
    """

    input_time: float
    onset: float
    duration: float
    plateau_current: float
    peak_depolarisation: float
    analytic_plateau: float
    somatic_spikes: int
    z_after: float


def dap_response(neuron: StmNeuronParams | None = None, weight: float = DAP_TRIGGER_WEIGHT,
                 input_time: float = 10.0, t_sim: float = 150.0,
                 kernel: KernelConfig | None = None) -> DapResponse:
    """Simulate one neuron receiving one dendritic input of ``weight`` pA."""
    neuron = neuron or StmNeuronParams()
    kernel = kernel or KernelConfig()
    names = setup_kernel(kernel)
    nest = import_nest()
    h = kernel.resolution
    cell = nest.Create(names.stm_neuron, params=neuron.nest_status())
    _stim(nest, [input_time], cell, weight, RECEPTOR_DEND, h)
    mm = nest.Create("multimeter", params={"interval": h,
                                           "record_from": ["V_m", "I_dAP", "dAP_active", "z"]})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, cell)
    nest.Connect(cell, sr)
    nest.Simulate(t_sim)
    ev = mm.events
    times, active = np.asarray(ev["times"]), np.asarray(ev["dAP_active"])
    on = times[active > 0.5]
    if on.size == 0:
        onset, duration, plateau = math.nan, 0.0, 0.0
    else:
        onset, duration = float(on[0]), float(on.size * h)
        plateau = float(np.max(np.asarray(ev["I_dAP"])[active > 0.5]))
    return DapResponse(input_time=input_time, onset=onset, duration=duration,
                       plateau_current=plateau,
                       peak_depolarisation=float(np.max(ev["V_m"]) - neuron.E_L),
                       analytic_plateau=dap_plateau_depolarisation(neuron.I_p, neuron.tau_m, neuron.C_m),
                       somatic_spikes=int(sr.n_events),
                       z_after=float(np.asarray(ev["z"])[-1]))


@dataclass(frozen=True)
class SpikeAdvance:
    """Somatic spike latencies (ms after the external input) with and without a dAP."""

    latency_with_dap: float
    latency_without_dap: float

    @property
    def advance(self) -> float:
        return self.latency_without_dap - self.latency_with_dap


def dap_spike_advance(neuron: StmNeuronParams | None = None, lead: float = 40.0,
                      dendritic_weight: float = DAP_TRIGGER_WEIGHT, t_dend: float = 10.0,
                      kernel: KernelConfig | None = None) -> SpikeAdvance:
    """How much earlier a neuron with a dAP fires on its external input.

    Two identical neurons receive the same external input (22 mV PSP) at
    ``t_dend + lead``; only the first received a dendritic input at ``t_dend``
    (``lead`` < tau_dAP, so its dAP is still on).
    """
    neuron = neuron or StmNeuronParams()
    if not 0 < lead < neuron.tau_dAP:
        raise ParameterError(f"lead must be in (0, tau_dAP = {neuron.tau_dAP:g}) ms, got {lead:g}")
    kernel = kernel or KernelConfig()
    names = setup_kernel(kernel)
    nest = import_nest()
    h = kernel.resolution
    cells = nest.Create(names.stm_neuron, 2, params=neuron.nest_status())
    _stim(nest, [t_dend], cells[0], dendritic_weight, RECEPTOR_DEND, h)
    t_ext = _grid(t_dend + lead, h)
    _stim(nest, [t_ext], cells, external_weight(neuron), RECEPTOR_EXT, h)
    sr = nest.Create("spike_recorder")
    nest.Connect(cells, sr)
    nest.Simulate(t_ext + 30.0)
    ev = sr.events
    first = {}
    for sender, t in sorted(zip(ev["senders"], ev["times"]), key=lambda p: p[1]):
        first.setdefault(int(sender), float(t))
    ids = cells.tolist()
    if ids[0] not in first or ids[1] not in first:
        raise RuntimeError("the external input did not fire both neurons")
    t_arrival = t_ext + h  # spike generator -> neuron delay of one step
    return SpikeAdvance(latency_with_dap=first[ids[0]] - t_arrival,
                        latency_without_dap=first[ids[1]] - t_arrival)


# -- inhibition ----------------------------------------------------------------------

@dataclass(frozen=True)
class InhibitionResponse:
    """Extreme deflections (mV, relative to rest) after one inhibitory spike."""

    weight: float
    min_deflection: float
    max_deflection: float


def inhibition_response(weight: float = INHIBITORY_TEST_WEIGHT,
                        neuron: StmNeuronParams | None = None,
                        kernel: KernelConfig | None = None) -> InhibitionResponse:
    """Membrane response of a resting neuron to one spike on the inhibitory port."""
    neuron = neuron or StmNeuronParams()
    kernel = kernel or KernelConfig()
    names = setup_kernel(kernel)
    nest = import_nest()
    cell = nest.Create(names.stm_neuron, params=neuron.nest_status())
    _stim(nest, [5.0], cell, weight, RECEPTOR_INH, kernel.resolution)
    mm = nest.Create("multimeter", params={"interval": kernel.resolution, "record_from": ["V_m"]})
    nest.Connect(mm, cell)
    nest.Simulate(50.0)
    v = np.asarray(mm.events["V_m"]) - neuron.E_L
    return InhibitionResponse(weight, float(v.min()), float(v.max()))


# -- single synapse -------------------------------------------------------------------

def analytic_pairing_step(synapse: StdspSynapseParams, z: float, lag: float) -> float:
    """Permanence change per pre-post pairing (one pre spike, one post spike).

    dP = P_max * (lambda_plus * exp(-lag/tau_plus) + lambda_h * (z_star - z) - lambda_minus),
    valid while P stays inside [P_min, P_max] and pairings are far apart
    compared with tau_plus. ``lag`` is the pre->post lag seen by the synapse
    (spike lag plus the dendritic delay).
    """
    return synapse.permanence_max * (synapse.lambda_plus * math.exp(-lag / synapse.tau_plus)
                                     + synapse.lambda_h * (synapse.z_star - z)
                                     - synapse.lambda_minus)


@dataclass(frozen=True)
class PairingResult:
    """Permanence of one synapse under repeated pre->post pairings with z clamped.

    ``permanence[k]`` is the permanence after k complete pairings as the synapse
    sees it, read just after presynaptic spike k+1 (NEST applies postsynaptic
    updates at the next presynaptic spike), so it includes the depression of
    that spike. ``crossing`` / ``saturation`` are the first k with
    ``permanence[k] >= theta_P`` / ``>= P_max * (1 - lambda_minus) - 1e-9``
    (None if never).
    """

    z: float
    permanence: tuple[float, ...]
    post_lags: tuple[float, ...]
    crossing: int | None
    saturation: int | None
    step: float
    analytic_step: float


def synapse_pairing(z: float, n_pairings: int = 60, lag: float = 40.0, interval: float = 200.0,
                    synapse: StdspSynapseParams | None = None,
                    neuron: StmNeuronParams | None = None, p_initial: float = 1.0,
                    kernel: KernelConfig | None = None) -> PairingResult:
    """Pair a presynaptic spike with a postsynaptic spike ``lag`` ms later, repeatedly.

    The postsynaptic dAP trace is set to ``z`` and frozen (tau_h = 1e12 ms). The
    postsynaptic neuron is fired by an external input strong enough to cross
    threshold within one step, so its spike time is exact.
    """
    synapse = synapse or StdspSynapseParams()
    neuron = (neuron or StmNeuronParams()).replace(tau_h=FROZEN_TAU_H)
    kernel = kernel or KernelConfig()
    if n_pairings < 1 or interval <= lag + synapse.delay:
        raise ParameterError("synapse_pairing: need n_pairings >= 1 and interval > lag + delay")
    names = setup_kernel(kernel)
    nest = import_nest()
    h = kernel.resolution
    t0 = 50.0
    pre_times = [t0 + k * interval for k in range(n_pairings + 1)]   # +1: flushing spike
    post_times = [t + lag for t in pre_times[:-1]]

    pre = nest.Create("parrot_neuron")
    _stim(nest, [t - h for t in pre_times], pre, 1.0, 0, h)  # parrot fires one step later
    post = nest.Create(names.stm_neuron, params={**neuron.nest_status(), "z": float(z)})
    # Threshold is crossed within one step: V rises by about weight*h/C_m in the
    # first step, so twice (V_th - E_L)*C_m/h suffices. The spike is emitted at
    # the end of the step after arrival: send the input two steps early.
    drive = 2.0 * (neuron.V_th - neuron.E_L) * neuron.C_m / h
    _stim(nest, [t - 2 * h for t in post_times], post, drive, RECEPTOR_EXT, h)

    model = names.stdsp_synapse + "_probe"
    nest.CopyModel(names.stdsp_synapse, model, synapse.nest_defaults())
    nest.Connect(pre, post, syn_spec={"synapse_model": model, "delay": synapse.delay,
                                      "receptor_type": RECEPTOR_DEND, "weight": 0.0,
                                      "permanence": p_initial, "permanence_min": p_initial})
    sr_pre, sr_post = nest.Create("spike_recorder", 2)
    nest.Connect(pre, sr_pre)
    nest.Connect(post, sr_post)
    conn = nest.GetConnections(pre, post)

    readouts = []
    nest.Simulate(pre_times[0] + synapse.delay + h)
    for _ in range(n_pairings):
        nest.Simulate(interval)
        readouts.append(float(conn.get("permanence")))
    pre_spikes = np.sort(np.asarray(sr_pre.events["times"], dtype=float))
    post_spikes = np.sort(np.asarray(sr_post.events["times"], dtype=float))
    lags = tuple(round(float(tp - tq), 6) for tp, tq in zip(post_spikes, pre_spikes))
    if len(post_spikes) != n_pairings:
        raise RuntimeError(f"expected {n_pairings} postsynaptic spikes, got {len(post_spikes)}")

    perm = tuple(readouts)
    full = synapse.permanence_max * (1 - synapse.lambda_minus) - 1e-9
    crossing = next((k + 1 for k, p in enumerate(perm) if p >= synapse.theta_P), None)
    saturation = next((k + 1 for k, p in enumerate(perm) if p >= full), None)
    # median step over the unclipped part of the trajectory
    diffs = np.diff((p_initial,) + perm)
    inside = [d for d, p in zip(diffs, perm) if p_initial < p < full]
    step = float(np.median(inside)) if inside else float(np.median(diffs))
    return PairingResult(z=float(z), permanence=perm, post_lags=lags, crossing=crossing,
                         saturation=saturation, step=step,
                         analytic_step=analytic_pairing_step(synapse, z, lag + synapse.delay))
