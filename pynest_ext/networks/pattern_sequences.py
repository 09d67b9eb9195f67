# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequence memory for spatio-temporal spike patterns (Feiler, Neftci & Bouhadjar 2024).

No prewired subpopulations: every excitatory neuron receives a random 25 % of
the ``n_in`` input channels (``spike_generator`` -> ``parrot_neuron``) on its
soma through plastic input synapses (NEST's built-in ``stdp_synapse``:
pair-based, multiplicative with soft bounds for mu_plus = mu_minus = 1, which
is the paper's rule) with fixed delays; one random E-I network with a shared
inhibitory population; recurrent E->E connections onto the dendrites with the
weight-based rule of ``stm_weight_synapse``. Excitatory neurons are
``stm_neuron`` with the 2024 dAP (not ended by somatic spikes:
``dAP_spike_reset = 0``).

Input delays (``network.in_delays``):

* ``uniform``: one connection per (channel, neuron), delay uniform in
  [in_delay_min, in_delay_max] (the paper's spatial networks);
* ``oracle``: the delays are computed from the patterns (the paper's temporal
  networks): each neuron is assigned an item, and the delay of channel c is
  ``in_delay_max - t_c`` (at least ``in_delay_min``), t_c the first spike of c
  in that item's frozen pattern, so the item's spikes arrive together (silent
  channels: uniform);
* ``rram``: ``n_delays`` connections per (channel, neuron), each with a delay
  drawn from the log-normal RRAM delay device of the coincidence-detection
  family (:class:`seqnest.pynest_ext.devices.RramDelayParams`); input STDP may select the
  ones that align a pattern.

Two phases (:meth:`PatternNetwork.start_phase2`): the input synapses learn
while E->E is frozen; then the input synapses freeze, E->E becomes plastic
and the I->E weights are scaled.

Neurons are identified by their 0-based index within their population, never
by NEST node ids, in everything this class returns.

Size: about 400 lines: one network class with its two parameter groups.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext.derived import psp_to_psc
from seqnest.pynest_ext.devices import RramDelayParams
from seqnest.pynest_ext.kernel import import_nest
from seqnest.pynest_ext.models import (FEILER2024, RECEPTOR_EXT, RECEPTOR_DEND, RECEPTOR_INH,
                                       InhNeuronParams, ModelNames, StmNeuronParams,
                                       WeightSynapseParams)
from seqnest.params import Choice, Param, ParameterError, ParameterSet, positive
from seqnest.pynest_ext.networks.simulation import Simulated, Spikes, load_generators
from seqnest.pynest_ext.networks.simulation import connect_with_arrays, read_connections

__all__ = ["PatternNetworkParams", "InputSynapseParams", "PatternNetwork", "InputWeights",
           "inhibition_scale"]

OURS = "estimate (ours; not published)"


class PatternNetworkParams(ParameterSet):
    """Sizes, connectivity, delays and static weights of the STP network."""

    NAME = "network"
    SPECS = {
        "n_E_per_item": Param(240, "1", "excitatory neurons per item: N_E = items x this",
                              FEILER2024, low=1, integer=True),
        "n_I": Param(0, "1", "inhibitory neurons (0: N_E / 8)", FEILER2024, low=0,
                     integer=True),
        "p_in": Param(0.25, "1", "fraction of the input channels that reach each E neuron",
                      FEILER2024, low=0.0, high=1.0, low_open=True),
        "in_delays": Choice("uniform", ("uniform", "oracle", "rram"),
                            "input delays: uniform random, computed from the patterns "
                            "(oracle), or drawn from RRAM delay devices", FEILER2024),
        "in_delay_min": Param(1.0, "ms", "shortest input delay", FEILER2024, low=0.1),
        "in_delay_max": Param(50.0, "ms", "longest input delay", FEILER2024, low=0.1),
        "n_delays": Param(1, "1", "connections per (channel, E neuron), each with its own "
                          "delay (in_delays = rram)", "this package", low=1, high=64,
                          integer=True),
        "p_EE": Param(0.25, "1", "E->E in-degree as a fraction of N_E", FEILER2024,
                      low=0.0, high=1.0),
        "p_EI": Param(0.05, "1", "E->I in-degree as a fraction of N_E", FEILER2024,
                      low=0.0, high=1.0),
        "p_IE": Param(0.25, "1", "I->E in-degree as a fraction of N_I", FEILER2024,
                      low=0.0, high=1.0),
        "p_II": Param(0.1, "1", "I->I in-degree as a fraction of N_I", FEILER2024,
                      low=0.0, high=1.0),
        "psp_EI": positive(6.0, "mV", "PSP peak of one E->I spike (2 mV: assemblies barely "
                           "selective; 10 mV: most neurons silenced; see docs/pattern_sequences.md)", OURS),
        "psp_EI_phase2": Param(0.0, "mV", "E->I PSP peak in phase 2 (0: psp_EI)", OURS,
                               low=0.0),
        "w_IE": positive(400.0, "pA", "magnitude of an I->E PSC (phase 1)", FEILER2024),
        "w_II": Param(10.0, "pA", "magnitude of an I->I PSC", FEILER2024, low=0.0),
        "d_EI": Param(0.1, "ms", "E->I delay", OURS, low=0.1),
        "d_IE": Param(0.1, "ms", "I->E delay", FEILER2024, low=0.1),
        "d_II": Param(1.5, "ms", "I->I delay", FEILER2024, low=0.1),
        "inh_scale": Param(0.0, "1", "factor on the I->E weights in phase 2 (0: 4 / 3 / 2 for "
                           "sequences of 3 / 4 / 5 items, at least 1)", FEILER2024, low=0.0),
    }

    def _check_relations(self) -> None:
        self._require(self.in_delay_min <= self.in_delay_max,
                      f"in_delay_min ({self.in_delay_min:g} ms) exceeds in_delay_max "
                      f"({self.in_delay_max:g} ms)")


class InputSynapseParams(ParameterSet):
    """Plastic input synapses: NEST's ``stdp_synapse`` (multiplicative for mu = 1)."""

    NAME = "input_synapse"
    SPECS = {
        "lambda": Param(0.03, "1", "STDP learning rate (fraction of Wmax per pairing)",
                        FEILER2024, low=0.0),
        "alpha": Param(1.0, "1", "ratio of depression to potentiation", FEILER2024, low=0.0),
        "mu_plus": Param(1.0, "1", "weight dependence of potentiation (1: multiplicative)",
                         FEILER2024, low=0.0),
        "mu_minus": Param(1.0, "1", "weight dependence of depression (1: multiplicative)",
                          FEILER2024, low=0.0),
        "tau_plus": positive(20.0, "ms", "presynaptic trace time constant", FEILER2024),
        "tau_minus": positive(20.0, "ms", "postsynaptic trace time constant (a parameter of "
                              "the E neurons in NEST)", FEILER2024),
        "Wmax": positive(500.0, "pA", "upper bound of the weight", FEILER2024),
        "w_init_mean": Param(300.0, "pA", "mean of the initial weights N(mean, sd), clipped "
                             "to [0, Wmax] (divided by n_delays)", FEILER2024, low=0.0),
        "w_init_sd": Param(50.0, "pA", "s.d. of the initial weights (divided by n_delays)",
                           FEILER2024, low=0.0),
    }

    def nest_defaults(self) -> dict[str, float]:
        return {k: float(self[k]) for k in ("lambda", "alpha", "mu_plus", "mu_minus",
                                            "tau_plus", "Wmax")}


def inhibition_scale(net: PatternNetworkParams, longest: int) -> float:
    """Phase-2 factor on I->E: the configured one, or 4 / 3 / 2 for 3 / 4 / 5 items."""
    if net.inh_scale > 0:
        return float(net.inh_scale)
    return float(max(1, 7 - int(longest)))


@dataclass(frozen=True)
class InputWeights:
    """Input connections: target E index, channel, delay (ms), weight (pA)."""

    target: np.ndarray
    channel: np.ndarray
    delay: np.ndarray
    weight: np.ndarray

    def matrix(self, n_E: int, n_in: int) -> np.ndarray:
        """Summed weight per (E neuron, channel)."""
        out = np.zeros((n_E, n_in))
        np.add.at(out, (self.target, self.channel), self.weight)
        return out

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {"target": self.target, "channel": self.channel, "delay": self.delay,
                "weight": self.weight}


class PatternNetwork(Simulated):
    """Builder and runner of one STP network (see the module docstring).

    Parameters
    ----------
    names : ModelNames
        From :func:`seqnest.pynest_ext.kernel.setup_kernel`.
    n_items, n_in : int
        Items (vocabulary size) and input channels.
    neuron, inh, ee, inp, net : parameter sets
    delays : RramDelayParams, optional
        Delay devices (``in_delays = rram``).
    rng : numpy.random.Generator
        Draws input channels, delays and initial weights.
    floor : bool
        Benchmark floor (``bench/pattern_speed.py``): the same network, inputs,
        devices, recorders and readout built from NEST's built-in models only:
        E neurons ``iaf_psc_exp_multisynapse`` (ports in the same order, the
        dendritic PSC an exponential), E->E ``static_synapse`` with the initial
        weights; no dAPs (the readout reads V_m and reports no dAP).
    """

    INPUT_MODEL = "seqnest_input_synapse"
    EE_MODEL = "seqnest_pattern_ee_synapse"
    IE_MODEL = "seqnest_ie_synapse"
    EI_MODEL = "seqnest_ei_synapse"

    def __init__(self, names: ModelNames, n_items: int, n_in: int, neuron: StmNeuronParams,
                 inh: InhNeuronParams, ee: WeightSynapseParams, inp: InputSynapseParams,
                 net: PatternNetworkParams, rng: np.random.Generator,
                 delays: RramDelayParams | None = None, floor: bool = False) -> None:
        if n_items < 1 or n_in < 1:
            raise ParameterError("the network needs at least one item and one input channel")
        self.names, self.n_items, self.n_in = names, int(n_items), int(n_in)
        self.neuron, self.inh, self.ee, self.inp, self.net = neuron, inh, ee, inp, net
        self.delays, self.rng, self.floor = delays, rng, bool(floor)
        self.N_E = int(net.n_E_per_item) * self.n_items
        self.N_I = int(net.n_I) or max(1, self.N_E // 8)
        self.K_in = int(round(net.p_in * self.n_in))
        if self.K_in < 1:
            raise ParameterError(f"network.p_in ({net.p_in:g}) connects no input channel "
                                 f"of {self.n_in}")
        self._init_clock(import_nest())
        self._created = self._connected = False

    @property
    def per_pair(self) -> int:
        """Input connections per (channel, E neuron): n_delays with RRAM delays, else 1."""
        return int(self.net.n_delays) if self.net.in_delays == "rram" else 1

    # -- create ---------------------------------------------------------------------------
    def create(self, times: np.ndarray, channels: np.ndarray) -> None:
        """Neurons, one generator + parrot per channel (spikes ``times`` ms on
        ``channels``), and spike recorders."""
        nest = self._nest
        times = np.asarray(times, dtype=float)
        channels = np.asarray(channels, dtype=np.int64)
        if times.size and (channels.min() < 0 or channels.max() >= self.n_in):
            raise ParameterError(f"input spikes on channels outside 0..{self.n_in - 1}")
        steps = np.maximum(np.rint(times / self.h), 1).astype(np.int64)  # on the grid, after 0
        self.generators = nest.Create("spike_generator", self.n_in)
        load_generators(self.generators, channels, steps, self.h)
        self.parrots = nest.Create("parrot_neuron", self.n_in)
        if self.floor:
            n = self.neuron
            status = {k: float(n[k]) for k in ("C_m", "tau_m", "E_L", "V_reset", "V_th",
                                               "t_ref")}
            status["tau_syn"] = [float(n.tau_syn_ext), float(n.tau_syn_dend),
                                 float(n.tau_syn_inh)]
            model = "iaf_psc_exp_multisynapse"
        else:
            status, model = self.neuron.nest_status(), self.names.pair("weight")[0]
        status["tau_minus"] = float(self.inp.tau_minus)
        self.exc = nest.Create(model, self.N_E, params=status)
        self.inh_neurons = nest.Create(self.names.inh_neuron, self.N_I,
                                       params=self.inh.nest_status())
        self.rec_exc = nest.Create("spike_recorder")
        self.rec_inh = nest.Create("spike_recorder")
        self._created = True

    # -- connect ------------------------------------------------------------------------------
    def input_delays(self, patterns: Sequence[tuple[np.ndarray, np.ndarray]] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw the input connections: (target E index, channel, delay ms), one row each."""
        net, rng, h = self.net, self.rng, self.h
        n_d = self.per_pair
        chan = np.stack([rng.choice(self.n_in, size=self.K_in, replace=False)
                         for _ in range(self.N_E)])                       # (N_E, K_in)
        target = np.repeat(np.arange(self.N_E), self.K_in * n_d)
        chan = np.repeat(chan.ravel(), n_d)
        lo, hi = float(net.in_delay_min), float(net.in_delay_max)
        if net.in_delays == "rram":
            if self.delays is None:
                raise ParameterError("network.in_delays = rram needs the delay devices")
            delay = self.delays.draw(chan.shape, h, rng) * h
            delay = np.maximum(delay, lo)
        else:
            delay = rng.uniform(lo, hi, size=chan.size)
        if net.in_delays == "oracle":
            if patterns is None:
                raise ParameterError("network.in_delays = oracle needs the frozen patterns")
            # a balanced random assignment of neurons to items
            item_of = rng.permutation(np.arange(self.N_E) % len(patterns))
            first = np.full((len(patterns), self.n_in), np.nan)
            for k, (t, c) in enumerate(patterns):
                for tt, cc in zip(t[::-1], c[::-1]):     # earliest spike wins
                    first[k, cc] = tt
            aligned = np.maximum(hi - first[item_of[target], chan], lo)
            delay = np.where(np.isnan(aligned), delay, aligned)
            self.oracle_items = item_of
        delay = np.maximum(np.rint(delay / h), 1) * h
        return target, chan, np.round(delay, 10)

    def connect(self, patterns: Sequence[tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        """Connect everything; ``patterns`` (frozen, per item) for oracle delays."""
        if not self._created:
            raise RuntimeError("call create() before connect()")
        nest, net, rng = self._nest, self.net, self.rng
        h = self.h
        for name, value in (("d_EI", net.d_EI), ("d_IE", net.d_IE), ("d_II", net.d_II),
                            ("ee delay", self.ee.delay)):
            if value < h - 1e-12:
                raise ParameterError(f"{name} ({value:g} ms) is below the resolution ({h:g} ms)")
        nest.Connect(self.generators, self.parrots, "one_to_one",
                     syn_spec={"weight": 1.0, "delay": h})
        # input synapses
        nest.CopyModel("stdp_synapse", self.INPUT_MODEL, self.inp.nest_defaults())
        target, chan, delay = self.input_delays(patterns)
        n_d = self.per_pair
        w = rng.normal(self.inp.w_init_mean / n_d, self.inp.w_init_sd / n_d, size=target.size)
        w = np.clip(w, 0.0, self.inp.Wmax)
        first_p, first_e = self.parrots[0].global_id, self.exc[0].global_id
        connect_with_arrays(nest, (chan + first_p).astype(int), (target + first_e).astype(int),
                            "one_to_one", {"synapse_model": self.INPUT_MODEL,
                                           "receptor_type": RECEPTOR_EXT},
                            {"weight": w, "delay": delay})
        # recurrent E->E (frozen until phase 2)
        if self.floor:
            nest.CopyModel("static_synapse", self.EE_MODEL)
        else:
            nest.CopyModel(self.names.pair("weight")[1], self.EE_MODEL,
                           {**self.ee.nest_defaults(), "learning": 0.0})
        k_ee = int(round(net.p_EE * self.N_E))
        if k_ee >= self.N_E:
            raise ParameterError(f"E->E in-degree {k_ee} needs more than N_E - 1 sources")
        if k_ee >= 1:
            w_ee = self.ee.initial_weights(self.N_E * k_ee, rng).reshape(self.N_E, k_ee)
            connect_with_arrays(nest, self.exc, self.exc,
                                {"rule": "fixed_indegree", "indegree": k_ee,
                                 "allow_autapses": False, "allow_multapses": False},
                                {"synapse_model": self.EE_MODEL, "receptor_type": RECEPTOR_DEND,
                                 "delay": self.ee.delay, **({} if self.floor else {"weight": 0.0})},
                                {"weight": w_ee} if self.floor else {"w": w_ee})
        # shared inhibition
        nest.CopyModel("static_synapse", self.EI_MODEL)
        self._connect_fixed(self.exc, self.inh_neurons, net.p_EI * self.N_E,
                            {"synapse_model": self.EI_MODEL, "weight": self._w_ei(net.psp_EI),
                             "delay": net.d_EI})
        nest.CopyModel("static_synapse", self.IE_MODEL)
        self._connect_fixed(self.inh_neurons, self.exc, net.p_IE * self.N_I,
                            {"synapse_model": self.IE_MODEL, "weight": self._w_ie(1.0),
                             "delay": net.d_IE, "receptor_type": RECEPTOR_INH})
        if net.w_II > 0:
            self._connect_fixed(self.inh_neurons, self.inh_neurons, net.p_II * self.N_I,
                                {"weight": -float(net.w_II), "delay": net.d_II})
        nest.Connect(self.exc, self.rec_exc)
        nest.Connect(self.inh_neurons, self.rec_inh)
        self._connected = True

    def _w_ie(self, scale: float) -> float:
        """I->E weight: stm_neuron's inhibitory port takes the magnitude, the floor's
        iaf_psc_exp_multisynapse the sign."""
        w = float(self.net.w_IE) * float(scale)
        return -w if self.floor else w

    def _w_ei(self, psp: float) -> float:
        return psp_to_psc(psp, self.inh.tau_m, self.inh.tau_syn_ex, self.inh.C_m)

    def _connect_fixed(self, pre, post, indegree: float, syn: dict) -> None:
        k = int(round(indegree))
        same = pre == post
        if k < 1:
            return
        if k > len(pre) - (1 if same else 0):
            raise ParameterError(f"in-degree {k} exceeds the {len(pre)} possible sources")
        self._nest.Connect(pre, post, {"rule": "fixed_indegree", "indegree": k,
                                       "allow_autapses": False, "allow_multapses": False},
                           syn_spec=syn)

    def start_phase2(self, inh_scale: float) -> None:
        """Freeze the input synapses, make E->E plastic, scale I->E by ``inh_scale``."""
        # Connections are fetched when used: NEST re-sorts them as others are
        # made, so a SynapseCollection kept from connect() may point elsewhere.
        nest = self._nest
        nest.GetConnections(synapse_model=self.INPUT_MODEL).set({"lambda": 0.0})
        # `learning` is a shared (@homogeneous) parameter, held once by the model's
        # common properties: setting the model's default switches every connection
        if not self.floor:
            nest.SetDefaults(self.EE_MODEL, {"learning": 1.0})
        ie = nest.GetConnections(synapse_model=self.IE_MODEL)
        if len(ie):
            ie.set({"weight": self._w_ie(inh_scale)})
        if self.net.psp_EI_phase2 > 0:
            ei = nest.GetConnections(synapse_model=self.EI_MODEL)
            if len(ei):
                ei.set({"weight": self._w_ei(self.net.psp_EI_phase2)})

    # -- simulate and read ------------------------------------------------------------------
    def run_until(self, t: float) -> None:
        """Simulate up to biological time ``t`` (ms, rounded to the grid)."""
        if not self._connected:
            raise RuntimeError("call connect() before running")
        end = self._on_grid([t])[0]
        if end > self._now + self.h / 2:
            self._simulate(end - self._now)

    def dap_state(self) -> np.ndarray:
        """Whether each E neuron's dAP is on now (bool, N_E)."""
        t0 = time.perf_counter()
        if self.floor:     # the same read, of a state the floor has
            state = np.asarray(self.exc.get("V_m"), dtype=float) > np.inf
        else:              # the module's node reader, else the status dictionaries
            state = array_backend.node_state(self.exc, ("dAP_active",))["dAP_active"] > 0.5
        self.time_readout_s += time.perf_counter() - t0
        return np.atleast_1d(state)

    def take_spikes(self) -> tuple[Spikes, Spikes]:
        """Excitatory and inhibitory spikes since the last call (then cleared)."""
        return (self._take(self.rec_exc, self.exc[0].global_id),
                self._take(self.rec_inh, self.inh_neurons[0].global_id))

    def input_weights(self) -> InputWeights:
        """Current input connections and weights."""
        t0 = time.perf_counter()
        conns = self._nest.GetConnections(synapse_model=self.INPUT_MODEL)
        data = read_connections(conns, ["source", "target", "delay", "weight"])
        out = InputWeights((data["target"] - self.exc[0].global_id).astype(np.int32),
                           (data["source"] - self.parrots[0].global_id).astype(np.int32),
                           data["delay"].astype(float), data["weight"].astype(float))
        self.time_readout_s += time.perf_counter() - t0
        return out

    def ee_weights(self) -> dict[str, np.ndarray]:
        """E->E connections: source, target (E indices), weight w (pA)."""
        t0 = time.perf_counter()
        conns = self._nest.GetConnections(self.exc, self.exc, synapse_model=self.EE_MODEL)
        key = "weight" if self.floor else "w"
        data = read_connections(conns, ["source", "target", key])
        first = self.exc[0].global_id
        out = {"source": (data["source"] - first).astype(np.int32),
               "target": (data["target"] - first).astype(np.int32),
               "weight": data[key].astype(float)}
        self.time_readout_s += time.perf_counter() - t0
        return out
