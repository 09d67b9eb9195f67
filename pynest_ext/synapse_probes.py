# SPDX-License-Identifier: GPL-2.0-or-later
"""Small NEST experiments on the hardware synapses (ReRAM, tristate, bistable).

* :func:`reram_population` connects many ReRAM synapses, reads back what NEST
  holds, optionally delivers presynaptic spikes, and reads again;
* :func:`transition_curve` measures the probability that a bistable/tristate
  synapse switches up (LTP) or down (LTD) as a function of the postsynaptic
  rate (the experiment of Brader, Senn & Fusi 2007, Fig. 1);
* :func:`gate_trace` records the postsynaptic calcium and the stop-learning gate
  while the postsynaptic rate is ramped up and down (Rubino et al. 2023).

Each function sets up its own kernel (:func:`seqnest.pynest_ext.kernel.setup_kernel`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext.buildcache import BuiltModule
from seqnest.pynest_ext.derived import psp_to_psc
from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import (RECEPTOR_DEND, RECEPTOR_EXT, ReramSynapseParams,
                                       StmNeuronParams, TristateSynapseParams)
from seqnest.pynest_ext.networks.simulation import read_connections

__all__ = ["ReramSample", "reram_population", "TransitionCurve", "transition_curve",
           "GateTrace", "gate_trace"]

#: Keys of a ReRAM connection that are read back.
RERAM_KEYS = ("permanence", "permanence_min", "permanence_high", "level_step", "w",
              "read_enabled", "accumulator")


@dataclass
class ReramSample:
    """Per-synapse values, flattened in the same (post, pre) order.

    ``drawn``: the values passed to ``nest.Connect``; ``before``/``after``: what
    NEST holds after connecting and after the presynaptic spikes.
    """

    drawn: dict[str, np.ndarray]
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]


def _read_aligned(nest, pre, post, keys: Sequence[str]) -> dict[str, np.ndarray]:
    conns = nest.GetConnections(pre, post)
    data = read_connections(conns, ["source", "target", *keys])
    row = data["target"].astype(np.int64) - post[0].global_id
    col = data["source"].astype(np.int64) - pre[0].global_id
    order = np.argsort(row * len(pre) + col)
    return {k: np.asarray(data[k], dtype=float)[order] for k in keys}


def reram_population(params: ReramSynapseParams, n_pre: int = 100, n_post: int = 1000,
                     n_spikes: int = 0, interval: float = 10.0, start_high: bool = False,
                     seed: int = 1, module: BuiltModule | None = None) -> ReramSample:
    """Connect ``n_pre`` x ``n_post`` ReRAM synapses (all to all) and probe them.

    The presynaptic parrot neurons fire ``n_spikes`` times, ``interval`` ms
    apart, starting at 10 ms. With ``start_high`` every working device starts at
    its high state (instead of its initial permanence), so that depression can
    move it. Keep ``params.w_mature`` small so that the postsynaptic neurons stay
    silent (then only the per-spike depression acts).
    """
    nest = import_nest()
    names = setup_kernel(KernelConfig(seed=seed), module=module)
    neuron_model, synapse_model = names.pair("reram")
    post = nest.Create(neuron_model, n_post)
    pre = nest.Create("parrot_neuron", n_pre)
    if n_spikes:
        gen = nest.Create("spike_generator",
                          params={"spike_times": [10.0 + k * interval for k in range(n_spikes)]})
        nest.Connect(gen, pre)
    nest.CopyModel(synapse_model, "reram_probe", params.nest_defaults())
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    drawn = params.connection_arrays((n_post, n_pre), 0.0, 8.0, rng)
    if start_high:
        drawn["permanence"] = drawn["permanence_high"].copy()
        drawn["w"] = np.where(drawn["permanence"] >= params.theta_P, params.w_mature,
                              params.off_weight)
    nest.Connect(pre, post, "all_to_all",
                 syn_spec={"synapse_model": "reram_probe", "receptor_type": RECEPTOR_DEND,
                           "delay": params.delay, "weight": 0.0, **drawn})
    before = _read_aligned(nest, pre, post, RERAM_KEYS)
    if n_spikes:
        nest.Simulate(10.0 + n_spikes * interval + params.delay + 1.0)
    after = _read_aligned(nest, pre, post, RERAM_KEYS)
    return ReramSample({k: np.asarray(v, dtype=float).ravel() for k, v in drawn.items()},
                       before, after)


@dataclass
class TransitionCurve:
    """Transition probabilities versus postsynaptic rate."""

    post_rate: np.ndarray     # Hz, measured during the stimulation
    p_ltp: np.ndarray         # fraction of synapses starting at X = 0 that end at the top level
    p_ltd: np.ndarray         # fraction of synapses starting at X = 1 that end at level 0
    final_X: np.ndarray       # (conditions, synapses) X after the drift has settled


def _probe_neuron(t_ref: float) -> StmNeuronParams:
    return StmNeuronParams(t_ref=t_ref)


def transition_curve(synapse: TristateSynapseParams, drive_rates: Sequence[float],
                     drive_weight: float = 50.0, pre_rate: float = 150.0,
                     duration: float = 300.0, settle: float = 700.0, n_synapses: int = 1000,
                     t_ref: float = 2.0, seed: int = 1,
                     module: BuiltModule | None = None) -> TransitionCurve:
    """The stochastic-transition experiment of Brader, Senn & Fusi (2007, Fig. 1).

    One postsynaptic ``stm_neuron`` per entry of ``drive_rates``, driven at its
    external port by Poisson input of that rate (weight ``drive_weight`` pA),
    receives ``n_synapses`` synapses starting at X = 0 and as many starting at
    X = 1 from independent Poisson presynaptic trains of ``pre_rate`` Hz, for
    ``duration`` ms. After ``settle`` ms without input one more presynaptic
    spike (which causes no jump: the postsynaptic calcium has decayed) applies
    the drift, and the final X is read. The synapses transmit nothing
    (w_min = w_max = 0) so they do not feed back on the rate.
    """
    nest = import_nest()
    names = setup_kernel(KernelConfig(seed=seed), module=module)
    neuron_model, synapse_model = names.pair(synapse.KIND)
    k = len(drive_rates)
    post = nest.Create(neuron_model, k, params=_probe_neuron(t_ref).nest_status())
    drive = nest.Create("poisson_generator", k, params={"start": 0.0, "stop": duration})
    drive.rate = [float(r) for r in drive_rates]
    nest.Connect(drive, post, "one_to_one",
                 syn_spec={"weight": drive_weight, "receptor_type": RECEPTOR_EXT})
    pre = nest.Create("parrot_neuron", 2 * n_synapses)
    trains = nest.Create("poisson_generator",
                         params={"rate": pre_rate, "start": 0.0, "stop": duration})
    nest.Connect(trains, pre)
    probe = nest.Create("spike_generator", params={"spike_times": [duration + settle]})
    nest.Connect(probe, pre)
    nest.CopyModel(synapse_model, "transition_probe",
                   {**synapse.nest_defaults(), "w_max": 0.0, "w_min": 0.0})
    groups = ((0.0, pre[:n_synapses]), (1.0, pre[n_synapses:]))
    for x0, part in groups:
        nest.Connect(part, post, "all_to_all",
                     syn_spec={"synapse_model": "transition_probe", "delay": 1.0,
                               "receptor_type": RECEPTOR_DEND, "X": np.full((k, n_synapses), x0)})
    rec = nest.Create("spike_recorder")
    nest.Connect(post, rec)
    nest.Simulate(duration + settle + 2.0)
    ev = rec.get("events")
    senders, times = np.asarray(ev["senders"]), np.asarray(ev["times"])
    rates = np.array([np.count_nonzero((senders == n.global_id) & (times < duration))
                      for n in post]) / (duration * 1e-3)
    final = np.zeros((k, 2 * n_synapses))
    p_ltp, p_ltd = np.zeros(k), np.zeros(k)
    for i in range(k):
        x_up = np.asarray(nest.GetConnections(groups[0][1], post[i]).get("X"), dtype=float)
        x_down = np.asarray(nest.GetConnections(groups[1][1], post[i]).get("X"), dtype=float)
        final[i] = np.concatenate([x_up, x_down])
        p_ltp[i] = np.mean(np.isclose(x_up, 1.0))
        p_ltd[i] = np.mean(np.isclose(x_down, 0.0))
    return TransitionCurve(rates, p_ltp, p_ltd, final)


@dataclass
class GateTrace:
    """Postsynaptic calcium and stop-learning gate over time."""

    times: np.ndarray      # ms
    rate: np.ndarray       # imposed postsynaptic rate (Hz) at each time
    calcium: np.ndarray
    gate: np.ndarray       # 1 learning, 0 stopped


def gate_trace(rates: Sequence[float], step_duration: float = 200.0, t_ref: float = 2.0,
               neuron: StmNeuronParams | None = None, seed: int = 1,
               module: BuiltModule | None = None) -> GateTrace:
    """Impose a piecewise-constant postsynaptic rate and record the calcium and the gate.

    The neuron receives one strong external input (22 mV PSP, enough to fire
    it) per intended spike, regularly spaced at each rate for ``step_duration``
    ms; the calcium trace and ``learn_on`` are sampled at every time step.
    """
    nest = import_nest()
    names = setup_kernel(KernelConfig(seed=seed), module=module)
    params = neuron or _probe_neuron(t_ref)
    post = nest.Create(names.pair("tristate")[0], params=params.nest_status())
    times, t0 = [], 1.0
    for r in rates:
        if r > 0:
            times.extend(np.arange(t0, t0 + step_duration, 1000.0 / r))
        t0 += step_duration
    h = nest.resolution
    grid = np.unique(np.round(np.asarray(times) / h) * h)
    gen = nest.Create("spike_generator", params={"spike_times": grid.tolist()})
    weight = psp_to_psc(1.1 * (params.V_th - params.E_L), params.tau_m, params.tau_syn_ext,
                        params.C_m)
    nest.Connect(gen, post, syn_spec={"weight": weight, "receptor_type": RECEPTOR_EXT})
    mm = nest.Create("multimeter", params={"record_from": ["calcium", "learn_on"], "interval": h})
    nest.Connect(mm, post)
    nest.Simulate(t0 + 1.0)
    ev = mm.get("events")
    t = np.asarray(ev["times"], dtype=float)
    idx = np.clip(((t - 1.0) // step_duration).astype(int), 0, len(rates) - 1)
    return GateTrace(t, np.asarray(rates, dtype=float)[idx], np.asarray(ev["calcium"], dtype=float),
                     np.asarray(ev["learn_on"], dtype=float))
