# SPDX-License-Identifier: GPL-2.0-or-later
"""The spiking temporal-memory network of Bouhadjar et al. (2022) in PyNEST.

M subpopulations of n_E excitatory ``stm_neuron`` cells, one per sequence
element, with local inhibition (one ``iaf_psc_exp`` neuron per subpopulation,
or one shared by all); plastic E->E "potential" connections with fixed in-degree
K = p*N_E onto the dendrites (no autapses, no multapses); one stimulus generator
per element that drives its whole subpopulation.

Lifecycle: ``SequenceNetwork(...)`` -> :meth:`create` -> :meth:`connect` ->
:meth:`run` (repeatedly) -> recordings
(:meth:`take_spikes`, :meth:`take_dap_samples`, :meth:`ee_connectivity`) ->
optionally :meth:`final_ee_connectivity`, the fast read that spends the network.
The kernel must have been set up with :func:`seqnest.pynest_ext.kernel.setup_kernel`.
Neurons are identified by their 0-based index in the excitatory population
(subpopulation ``index // n_E``), never by NEST node ids, in everything this
class returns.

Size: above 400 lines because one class, :class:`SequenceNetwork`, owns the
whole NEST lifecycle of the network (create, connect, inject noise, run, read
spikes, dAP samples and synapses); splitting it would spread one object's state
over modules.
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from seqnest.pynest_ext.derived import psp_to_psc
from seqnest.pynest_ext.kernel import import_nest
from seqnest.pynest_ext._nest import set_node_status
from seqnest.pynest_ext.models import (RECEPTOR_DEND, RECEPTOR_EXT, RECEPTOR_INH, EESynapseParams,
                                       InhNeuronParams, ModelNames, StmNeuronParams)
from seqnest.pynest_ext.parallel import (allgather_arrays, every_rank, node_values,
                                          set_node_values)
from seqnest.params import Choice, Param, ParameterError, ParameterSet, positive
from seqnest.pynest_ext.networks.dap_register import REGISTER_BITS, DapRegister
from seqnest.pynest_ext.networks.simulation import (Simulated, Spikes, connect_with_arrays,
                                                    read_connections, read_model_synapses)

__all__ = ["NetworkParams", "SynapticWeights", "synaptic_weights", "SequenceNetwork",
           "EEConnectivity", "Spikes", "DapRegister", "read_connections", "REGISTER_BITS"]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"


class NetworkParams(ParameterSet):
    """Size, connectivity and coupling strengths of the sTM network."""

    NAME = "network"
    SPECS = {
        "n_E": Param(150, "1", "excitatory neurons per subpopulation", PAPER, low=1, integer=True),
        "p_EE": Param(0.2, "1", "E->E connection probability: fixed in-degree K_EE = p_EE * N_E",
                      PAPER, low=0.0, high=1.0, low_open=True),
        "rho": Param(20, "1", "target number of active neurons per predicted element", PAPER,
                     low=1, integer=True),
        "ext_psp_factor": positive(1.1, "1", "PSP peak of an external input in units of V_th "
                                   "(22 mV): fires every unpredicted neuron", PAPER),
        "ie_psp_factor": positive(1.2, "1", "E->I PSP peak in units of theta_I / rho: rho "
                                  "coincident spikes fire the inhibitory neuron (replay: in "
                                  "units of theta_I / replay quorum)", PAPER),
        "ie_psp_factor_training": Param(0.0, "1", "E->I PSP peak during training in units of "
                                        "theta_I / rho, so that rho / factor coincident spikes "
                                        "fire the inhibitory neuron; 0: ie_psp_factor (the "
                                        "paper's 1.2, quorum 17 of rho = 20); replay keeps "
                                        "ie_psp_factor (1.5 measured for set II: codes settle "
                                        "at the lower quorum instead, docs/learning_stability.md)",
                                        "this package", low=0.0),
        "ei_psp_factor": positive(2.0, "1", "magnitude of the I->E PSP peak in units of V_th "
                                  "(40 mV)", PAPER),
        "static_delay": Param(0.1, "ms", "delay of all static connections (stimulus, E<->I)",
                              PAPER, low=0.0, low_open=True),
        "permanence_init_low": Param(0.0, "1", "lower bound of the initial permanences, "
                                     "U(low, high); each synapse's P_min is its initial value",
                                     PAPER, low=0.0),
        "permanence_init_high": Param(8.0, "1", "upper bound of the initial permanences", PAPER,
                                      low=0.0),
        "sparse_drive_factor": positive(1.4, "1", "sparse-first-element dendritic drive in units "
                                        "of theta_dAP (82.6 pA)", PAPER),
        "inhibition": Choice("per_subpopulation", ("per_subpopulation", "shared"),
                             "one inhibitory neuron per subpopulation (paper) or one shared by "
                             "all (noise-driven replay, Bouhadjar et al. 2023)", PAPER),
    }

    def _check_relations(self) -> None:
        self._require(self.permanence_init_low <= self.permanence_init_high,
                      "permanence_init_low must not exceed permanence_init_high")
        self._require(self.rho <= self.n_E, f"rho ({self.rho}) cannot exceed n_E ({self.n_E})")


@dataclass(frozen=True)
class SynapticWeights:
    """PSC amplitudes (pA) of the static connections."""

    ext: float      # stimulus -> E soma
    ie: float       # E -> I
    ei: float       # I -> E (magnitude; the inhibitory port subtracts it)
    dend_drive: float   # sparse-first-element drive -> E dendrite


def synaptic_weights(neuron: StmNeuronParams, inh: InhNeuronParams, net: NetworkParams,
                     ie_divisor: float | None = None) -> SynapticWeights:
    """PSC amplitudes from the PSP peaks of Bouhadjar et al. (2022).

    ``ie_divisor`` is the number of coincident E spikes that should fire the
    inhibitory neuron (default ``rho``, training, with ``ie_psp_factor_training``
    where it is set; replay gives its quorum, ``n_E`` by default).
    """
    divisor = net.rho if ie_divisor is None else ie_divisor
    factor = (net.ie_psp_factor_training if ie_divisor is None and net.ie_psp_factor_training > 0
              else net.ie_psp_factor)
    return SynapticWeights(
        ext=psp_to_psc(net.ext_psp_factor * (neuron.V_th - neuron.E_L), neuron.tau_m,
                       neuron.tau_syn_ext, neuron.C_m),
        ie=psp_to_psc(factor * (inh.V_th - inh.E_L) / divisor, inh.tau_m,
                      inh.tau_syn_ex, inh.C_m),
        ei=psp_to_psc(net.ei_psp_factor * (neuron.V_th - neuron.E_L), neuron.tau_m,
                      neuron.tau_syn_inh, neuron.C_m),
        dend_drive=net.sparse_drive_factor * neuron.theta_dAP,
    )


@dataclass(frozen=True)
class EEConnectivity:
    """E->E connections by 0-based excitatory index."""

    source: np.ndarray
    target: np.ndarray
    permanence: np.ndarray   # the plastic state: permanence, or X of the tristate synapse
    weight: np.ndarray
    #: the state at connection time, where the synapse keeps it (its INITIAL_STATE_KEY)
    initial_state: np.ndarray | None = None
    #: per-synapse parameters needed to continue learning (the kind's RESUME_KEYS)
    parameters: Mapping[str, np.ndarray] = field(default_factory=dict)

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {"source": self.source, "target": self.target,
                "permanence": self.permanence, "weight": self.weight,
                **{f"param_{k}": v for k, v in self.parameters.items()}}

    def initial(self, synapse: EESynapseParams) -> "EEConnectivity":
        """The same connections in their initial state (needs :attr:`initial_state`)."""
        if self.initial_state is None:
            raise ValueError(f"the {synapse.KIND} synapse does not keep its initial state")
        return EEConnectivity(self.source, self.target, self.initial_state,
                              np.asarray(synapse.weight_of(self.initial_state), dtype=float))


def _target_source_order(src: np.ndarray, tgt: np.ndarray, n: int) -> slice | np.ndarray:
    """The order that sorts connections by (target, source), stable (connections
    between the same pair keep their order). NEST keeps each thread's connections
    sorted by source once it has simulated, and a target's connections on one
    thread: a stable radix sort by target then suffices (linear time); otherwise,
    or for more than 65,535 neurons, a lexicographic sort."""
    key = tgt * max(n, 1) + src
    if key.size < 2 or bool(np.all(key[1:] >= key[:-1])):
        return slice(None)
    if n <= np.iinfo(np.uint16).max + 1:
        order = np.argsort(tgt.astype(np.uint16), kind="stable")
        ranked = key[order]
        if bool(np.all(ranked[1:] >= ranked[:-1])):
            return order
    return np.lexsort((src, tgt))


class SequenceNetwork(Simulated):
    """Builder and runner of one sTM network.

    Parameters
    ----------
    names : ModelNames
        Model names from :func:`seqnest.pynest_ext.kernel.setup_kernel`.
    n_subpopulations : int
        M, one per element of the vocabulary.
    neuron, inh, synapse, net : parameter sets
        Excitatory neuron, inhibitory neuron, E->E synapse (its class chooses
        the synapse kind: stdsp, reram, tristate, bistable, tristate_stm), network.
    plastic : bool
        E->E connections plastic (learning) or static with given weights (replay).
    rng : numpy.random.Generator, optional
        Draws the initial synaptic states and device parameters (default: seeded with 1).
    ie_divisor : float, optional
        See :func:`synaptic_weights`.
    ee_floor : {None, "static", "none"}
        Benchmark floors of a plastic network (``bench/scaling.py``): "static"
        makes the same E->E connections (same rule, same random draws) with
        NEST's ``static_synapse`` and the initial weights; "none" leaves them
        out. Everything else, recorders and evaluation included, is unchanged.
    psp_neuron : StmNeuronParams, optional
        The neuron whose thresholds the PSP-derived weights (external input, I->E,
        dendritic drive) refer to (default ``neuron``; replay passes the training
        neuron to keep the 2022 code's absolute PSPs at a lowered threshold).
    current_input : bool
        Build the excitatory neurons as ``stm_neuron_stim`` (the same model with
        a current input) so that :meth:`inject_noise` can reach them; static
        networks only (the plastic synapses are generated with ``stm_neuron``).
    """

    EE_FLOORS = (None, "static", "none")

    EE_MODEL = "seqnest_ee_synapse"

    def __init__(self, names: ModelNames, n_subpopulations: int, neuron: StmNeuronParams,
                 inh: InhNeuronParams, synapse: EESynapseParams, net: NetworkParams,
                 plastic: bool = True, ie_divisor: float | None = None,
                 rng: np.random.Generator | None = None, ee_floor: str | None = None,
                 current_input: bool = False,
                 psp_neuron: StmNeuronParams | None = None) -> None:
        if n_subpopulations < 1:
            raise ParameterError("the network needs at least one subpopulation")
        if ee_floor not in self.EE_FLOORS or (ee_floor is not None and not plastic):
            raise ParameterError(f"ee_floor must be one of {self.EE_FLOORS} (plastic networks "
                                 f"only), got {ee_floor!r}")
        if current_input and plastic:
            raise ParameterError("noise currents need the static network (replay): the "
                                 "plastic synapses are generated with stm_neuron")
        self.ee_floor = ee_floor
        self.current_input = current_input
        self.noise = None
        self.names = names
        self.M = int(n_subpopulations)
        self.neuron, self.inh, self.synapse, self.net = neuron, inh, synapse, net
        self.plastic = plastic
        self.rng = rng if rng is not None else np.random.default_rng(1)
        self.weights = synaptic_weights(psp_neuron if psp_neuron is not None else neuron,
                                        inh, net, ie_divisor)
        self.n_E = int(net.n_E)
        self.N_E = self.M * self.n_E
        self._init_clock(import_nest())
        self._created = self._connected = self._spent = False
        self._n_ee = 0    # E->E connections made (all ranks)

    # -- create ---------------------------------------------------------------------
    def create(self, stimulus: Mapping[int, Sequence[float]],
               dendritic_drive: Mapping[int, Sequence[float]] | None = None,
               sample_times: Sequence[float] = (),
               drive_targets: Mapping[int, Sequence[int]] | None = None) -> None:
        """Create neurons, stimulus generators and recorders.

        Parameters
        ----------
        stimulus : mapping subpopulation -> spike times (ms)
            One generator per subpopulation; each spike fires that subpopulation.
        dendritic_drive : mapping subpopulation -> spike times (ms), optional
            Sparse-first-element drive onto rho+1 random neurons of the subpopulation.
        drive_targets : mapping subpopulation -> excitatory indices, optional
            Drive exactly these neurons instead of random ones (replay uses the
            neurons that were driven during training).
        sample_times : sequence of float
            Instants (ms, on the simulation grid, increasing, at least two steps
            after the start) at which the dAP state of every E neuron is sampled;
            see :meth:`take_dap_samples`.
        """
        nest = self._nest
        h = self.h
        if self.net.static_delay < h - 1e-12:
            raise ParameterError(f"network.static_delay ({self.net.static_delay:g} ms) is below "
                                 f"the resolution ({h:g} ms)")
        neuron_model = (self.names.stim_neuron if self.current_input
                        else self.names.pair(self.synapse.KIND)[0])
        self.exc = nest.Create(neuron_model, self.N_E, params=self.neuron.nest_status())
        n_inh = self.M if self.net.inhibition == "per_subpopulation" else 1
        self.inh_neurons = nest.Create(self.names.inh_neuron, n_inh, params=self.inh.nest_status())
        self.stim = {}
        for pop, times in sorted(stimulus.items()):
            self._check_subpop(pop)
            self.stim[pop] = nest.Create("spike_generator",
                                         params={"spike_times": self._on_grid(times)})
        self._drive_targets = {int(k): [int(i) for i in v] for k, v in (drive_targets or {}).items()}
        self.drive = {}
        for pop, times in sorted((dendritic_drive or {}).items()):
            self._check_subpop(pop)
            self.drive[pop] = nest.Create("spike_generator",
                                          params={"spike_times": self._on_grid(times)})
        self.rec_exc = nest.Create("spike_recorder")
        self.rec_inh = nest.Create("spike_recorder")
        self._create_readout(sample_times, stimulus)
        self.dap_tracer = None
        self._created = True

    def _check_subpop(self, pop: int) -> None:
        if not 0 <= pop < self.M:
            raise ParameterError(f"subpopulation {pop} does not exist (M = {self.M})")

    def _create_readout(self, sample_times: Sequence[float],
                        stimulus: Mapping[int, Sequence[float]]) -> None:
        """One spike generator whose weight-0 spikes reach every E neuron at the sample instants.

        ``stm_neuron`` shifts its dAP state into ``dAP_register`` in every step in
        which spikes arrive at its external port (see the model), so the register
        holds the state at the sample instants and at the stimulus arrivals;
        :class:`DapRegister` knows both and decodes. The register of the
        population is read by :meth:`take_dap_samples`, and by :meth:`run` where
        more than :data:`REGISTER_BITS` arrivals would fall between two reads.
        A population-wide multimeter would cost on every min_delay slice of
        the whole run; this costs one event per neuron and sample and one read.
        """
        h = self.h
        times = np.asarray(self._on_grid(sample_times), dtype=float)
        self._pending_samples: list[tuple[np.ndarray, np.ndarray]] = []
        self.readout = None
        self._register = None
        if times.size == 0:
            return
        if np.any(np.diff(times) < h / 2):
            raise ParameterError("dAP sample times must be distinct and increasing")
        if times[0] < 2 * h - 1e-9:
            raise ParameterError(f"the first dAP sample time ({times[0]:g} ms) must be at least "
                                 f"two simulation steps ({2 * h:g} ms) after the start")
        delay_steps = int(round(self.net.static_delay / h))
        arrivals = {pop: np.rint(np.asarray(self._on_grid(t), dtype=float) / h).astype(np.int64)
                    + delay_steps for pop, t in stimulus.items()}
        self._register = DapRegister(np.rint(times / h).astype(np.int64), arrivals, self.M,
                                     self.n_E, h)
        self.readout = self._nest.Create("spike_generator", params={
            "spike_times": self._on_grid(times - h)})    # delay h: they arrive at the samples

    def subpopulation(self, pop: int):
        """NodeCollection of the excitatory neurons of subpopulation ``pop``."""
        self._check_subpop(pop)
        return self.exc[pop * self.n_E:(pop + 1) * self.n_E]

    # -- connect ------------------------------------------------------------------------
    def connect(self, ee: EEConnectivity | None = None) -> None:
        """Connect the network; ``ee`` gives the E->E connections: static with its
        weights (replay), or plastic in its learned state (continued training;
        without it a plastic network draws its initial state)."""
        if not self._created:
            raise RuntimeError("call create() before connect()")
        nest = self._nest
        d, w = self.net.static_delay, self.weights
        if self.plastic and ee is not None:
            self._connect_learned_ee(ee)
        elif self.plastic:
            self._connect_plastic_ee()
        else:
            if ee is None:
                raise ParameterError("a static network needs its E->E connectivity")
            self._connect_static_ee(ee)
        # local inhibition
        if self.net.inhibition == "per_subpopulation":
            for pop in range(self.M):
                sub, inh = self.subpopulation(pop), self.inh_neurons[pop:pop + 1]
                nest.Connect(sub, inh, syn_spec={"weight": w.ie, "delay": d})
                nest.Connect(inh, sub, syn_spec={"weight": abs(w.ei), "delay": d,
                                                 "receptor_type": RECEPTOR_INH})
        else:
            nest.Connect(self.exc, self.inh_neurons, syn_spec={"weight": w.ie, "delay": d})
            nest.Connect(self.inh_neurons, self.exc, syn_spec={"weight": abs(w.ei), "delay": d,
                                                               "receptor_type": RECEPTOR_INH})
        for pop, gen in self.stim.items():
            nest.Connect(gen, self.subpopulation(pop),
                         syn_spec={"weight": w.ext, "delay": d, "receptor_type": RECEPTOR_EXT})
        drive_syn = {"weight": w.dend_drive, "delay": d, "receptor_type": RECEPTOR_DEND}
        for pop, gen in self.drive.items():
            if pop in self._drive_targets:
                targets = self._drive_targets[pop]
                if any(not pop * self.n_E <= i < (pop + 1) * self.n_E for i in targets):
                    raise ParameterError(f"drive targets of subpopulation {pop} lie outside it")
                nest.Connect(gen, self.exc[targets], syn_spec=drive_syn)
            else:
                nest.Connect(gen, self.subpopulation(pop),
                             {"rule": "fixed_outdegree", "outdegree": int(self.net.rho) + 1,
                              "allow_multapses": False}, syn_spec=drive_syn)
        nest.Connect(self.exc, self.rec_exc)
        nest.Connect(self.inh_neurons, self.rec_inh)
        if self.readout is not None:     # weight 0: samples the dAP state, no effect otherwise
            nest.Connect(self.readout, self.exc, syn_spec={
                "weight": 0.0, "delay": self.h, "receptor_type": RECEPTOR_EXT})
        self._connected = True

    def inject_noise(self, params, t_stop: float, rng: np.random.Generator):
        """Connect the noise of ``params`` (:class:`seqnest.pynest_ext.noise.NoiseParams`) up to
        ``t_stop`` (ms), drawn with ``rng``; needs ``current_input=True``."""
        from seqnest.pynest_ext.noise import inject_noise
        if not self.current_input:
            raise ParameterError("build the network with current_input=True to inject noise")
        if not self._created:
            raise RuntimeError("call create() before inject_noise()")
        self.noise = inject_noise(self._nest, [self.subpopulation(k) for k in range(self.M)],
                                  params, t_stop, self.h, rng)
        return self.noise

    def _copy_ee_model(self) -> None:
        """The plastic E->E model of this synapse kind with its shared parameters."""
        self._nest.CopyModel(self.names.pair(self.synapse.KIND)[1], self.EE_MODEL,
                             self.synapse.nest_defaults())

    def _connect_plastic_ee(self) -> None:
        nest = self._nest
        self._copy_ee_model()
        indegree = int(round(self.net.p_EE * self.N_E))
        if indegree >= self.N_E:
            raise ParameterError(f"E->E in-degree {indegree} needs more than N_E - 1 sources "
                                 "(no autapses)")
        if indegree < 1 or self.ee_floor == "none":
            return
        self._n_ee = self.N_E * indegree
        # Per-synapse initial states (and device parameters) are drawn with an
        # explicit generator and passed at connection time: reading them back
        # from NEST costs several kB per synapse.
        arrays = self.synapse.connection_arrays((self.N_E, indegree),
                                                self.net.permanence_init_low,
                                                self.net.permanence_init_high, self.rng)
        rule = {"rule": "fixed_indegree", "indegree": indegree,
                "allow_autapses": False, "allow_multapses": False}
        if self.ee_floor == "static":
            connect_with_arrays(nest, self.exc, self.exc, rule, {
                "synapse_model": "static_synapse", "receptor_type": RECEPTOR_DEND,
                "delay": self.synapse.delay}, {"weight": arrays["w"]})
            return
        if not np.any(arrays["w"]) and nest.GetDefaults(self.EE_MODEL).get("w") == 0.0:
            # every synapse starts with the model's w = 0: one array less for NEST to
            # set per connection (each costs about 0.15 us per synapse)
            arrays = {k: v for k, v in arrays.items() if k != "w"}
        spec = {"synapse_model": self.EE_MODEL, "receptor_type": RECEPTOR_DEND,
                "delay": self.synapse.delay, "weight": 0.0}
        from seqnest.pynest_ext import array_backend
        if not arrays or not array_backend.can_read_synapses():
            connect_with_arrays(nest, self.exc, self.exc, rule, spec, arrays)
            return
        # the same values where NEST's array parameters would put them, set by the
        # module through each synapse's setters: NEST sets array parameters through
        # a status dictionary per connection (about 0.3 us per synapse and value)
        nest.Connect(self.exc, self.exc, rule, spec)
        array_backend.write_synapses(int(nest.GetDefaults(self.EE_MODEL, "synapse_modelid")),
                                     self.exc[0].global_id, self.N_E, indegree, arrays)

    def _node_ids(self, ee: EEConnectivity, select=None) -> tuple[np.ndarray, np.ndarray]:
        first = self.exc[0].global_id
        src, tgt = np.asarray(ee.source), np.asarray(ee.target)
        if select is not None:
            src, tgt = src[select], tgt[select]
        if src.size and (max(src.max(), tgt.max()) >= self.N_E or min(src.min(), tgt.min()) < 0):
            raise ParameterError("the E->E connectivity refers to neurons outside this network")
        return (src + first).astype(int), (tgt + first).astype(int)

    def _connect_learned_ee(self, ee: EEConnectivity) -> None:
        """Plastic E->E connections in a learned state (continued training)."""
        nest = self._nest
        self._copy_ee_model()
        parameters = self.synapse.with_resume_defaults(ee.parameters, np.size(ee.source))
        missing = [k for k in self.synapse.RESUME_KEYS if k not in parameters]
        if missing:
            raise ParameterError(f"the learned connectivity lacks the {self.synapse.KIND} "
                                 f"synapse's per-synapse {missing[0]!r}")
        src, tgt = self._node_ids(ee)
        if src.size == 0:
            return
        self._n_ee = int(src.size)
        arrays = {self.synapse.STATE_KEY: np.asarray(ee.permanence, dtype=float),
                  **{k: np.asarray(parameters[k], dtype=float)
                     for k in self.synapse.RESUME_KEYS}}
        connect_with_arrays(nest, src, tgt, "one_to_one",
                            {"synapse_model": self.EE_MODEL, "receptor_type": RECEPTOR_DEND},
                            {"delay": np.full(src.size, float(self.synapse.delay)),
                             "weight": np.zeros(src.size), "w": np.asarray(ee.weight, dtype=float),
                             **arrays})

    #: Neuron state variables that continued training carries over.
    NEURON_STATE_KEYS = ("z", "calcium", "learn_on")

    def neuron_state(self) -> dict[str, np.ndarray]:
        """The excitatory neurons' slow state (dAP trace, calcium, learning gate), by
        the module's node reader where it can (else the neurons' status)."""
        from seqnest.pynest_ext import array_backend
        return array_backend.node_state(self.exc, self.NEURON_STATE_KEYS)

    def set_neuron_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`neuron_state` (after :meth:`create`)."""
        for key, values in state.items():
            values = np.asarray(values, dtype=float)
            if key not in self.NEURON_STATE_KEYS or values.shape != (self.N_E,):
                raise ParameterError(f"neuron state {key!r}: expected {self.N_E} values of "
                                     f"{', '.join(self.NEURON_STATE_KEYS)}")
            set_node_values(self.exc, {key: values})

    def _connect_static_ee(self, ee: EEConnectivity) -> None:
        nest = self._nest
        mature = np.asarray(ee.weight) > 0
        if not mature.any():
            return
        src, tgt = self._node_ids(ee, mature)
        weight = np.asarray(ee.weight, dtype=float)[mature]
        connect_with_arrays(nest, src, tgt, "one_to_one",
                            {"synapse_model": "static_synapse", "receptor_type": RECEPTOR_DEND},
                            {"weight": weight, "delay": np.full(weight.size,
                                                                float(self.synapse.delay))})

    # -- simulate ---------------------------------------------------------------------------
    def run(self, duration: float) -> None:
        """Advance the simulation by ``duration`` ms.

        Each call is one simulation (NEST's Prepare, Run in pieces of at most
        :data:`RUN_PIECE_MS`, Cleanup), split only where the dAP register must be
        read before it overflows (see :class:`DapRegister`): recorders can be
        read and cleared between calls, which keeps their memory bounded over
        long runs. dAP samples are read from the register when it would
        overflow and by :meth:`take_dap_samples`.
        """
        if not self._connected:
            raise RuntimeError("call connect() before run()")
        if self._spent:
            raise RuntimeError("the network was spent by final_ee_connectivity(): build a new one")
        h = self.h
        end = round(self._now + self._on_grid([duration])[0], 10)
        if self._register is not None:
            # read before the register would lose a sample that is still unread
            while (cut := self._register.latest_read_step(int(round(end / h)))) is not None:
                self._simulate(cut * h - self._now)
                self._read_register()
        if end > self._now + h / 2:
            self._simulate(end - self._now)

    def _read_register(self) -> None:
        """Decode the samples passed since the last read from ``dAP_register``."""
        reg = self._register
        now = int(round(self._now / self.h))
        if reg is None or not reg.pending(now):
            return
        t0 = time.perf_counter()
        values = node_values(self.exc, ["dAP_register"], np.float64)["dAP_register"]
        self._pending_samples.append(reg.decode(now, values.astype(np.uint64)))
        self.time_readout_s += time.perf_counter() - t0

    # -- recordings ---------------------------------------------------------------------------
    def take_spikes(self) -> tuple[Spikes, Spikes]:
        """Excitatory and inhibitory spikes recorded since the last call (then cleared)."""
        return (self._take(self.rec_exc, self.exc[0].global_id),
                self._take(self.rec_inh, self.inh_neurons[0].global_id))

    def take_dap_samples(self, read: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """dAP state at the sample instants passed since the last call (then cleared).

        Parameters
        ----------
        read : bool
            Read the register now if samples are waiting in it (one read of
            the population). False returns only the samples that :meth:`run`
            had to read already (it reads only before the register would
            overflow), which spares reads when the results can wait.

        Returns
        -------
        times : ndarray (T,)
            Sample instants (ms), increasing.
        state : ndarray (T, N_E) of bool
            Whether each excitatory neuron's dAP was on at each instant (the
            value a multimeter recording ``dAP_active`` gives at that time).
        """
        if read:
            self._read_register()
        parts, self._pending_samples = self._pending_samples, []
        if not parts:
            return np.zeros(0), np.zeros((0, self.N_E), dtype=bool)
        return (np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts], axis=0))

    @property
    def dap_trace_interval(self) -> float:
        """Sampling interval (ms) of the last dAP onset time.

        Two dAP onsets of a neuron are more than min(tau_dAP, t_ref) apart: a
        dAP blocks new onsets for tau_dAP, or a spike cancels it and the
        refractory period t_ref follows, and the next onset comes one step
        later at the earliest. Sampling at that interval (the resolution if
        it is shorter) therefore sees every onset before the next replaces it.
        """
        return max(self.h, min(self.neuron.tau_dAP, self.neuron.t_ref))

    def trace_dap_onsets(self, neurons: Sequence[int] | None = None) -> None:
        """Record every dAP onset from now on (for :meth:`take_dap_onsets`), of the
        excitatory ``neurons`` (0-based indices; default all).

        A multimeter samples each neuron's last onset time ``t_dAP`` every
        :attr:`dap_trace_interval` ms. NEST charges a connected multimeter on
        every min_delay slice of the rest of the simulation, whatever its start,
        stop and interval (it about doubles the cost of a set-I or set-II
        episode), so start it only where the onsets are wanted (the last
        training episode, replay), on the neurons that are wanted. The neurons
        are chosen at the first call.
        """
        if not self._connected:
            raise RuntimeError("call connect() before trace_dap_onsets()")
        if self.dap_tracer is None:
            nest = self._nest
            self.dap_tracer = nest.Create("multimeter", params={
                "record_from": ["t_dAP"],
                "interval": self._on_grid([self.dap_trace_interval])[0]})
            nest.Connect(self.dap_tracer, self.exc if neurons is None
                         else self.exc[sorted({int(i) for i in neurons})])
        # onsets before this time were reported already (or predate the trace)
        self._trace_from = self._now
        self.dap_tracer.set({"n_events": 0})

    def take_dap_onsets(self) -> Spikes:
        """Exact dAP onset times since :meth:`trace_dap_onsets` or the last call (then cleared)."""
        if self.dap_tracer is None:
            return Spikes(np.zeros(0, np.int32), np.zeros(0))
        t0 = time.perf_counter()
        ev = self.dap_tracer.get("events")
        self.dap_tracer.set({"n_events": 0})
        ev = allgather_arrays({"senders": np.asarray(ev["senders"], dtype=np.int64),
                               "t_dAP": np.asarray(ev["t_dAP"], dtype=float),
                               "times": np.asarray(ev["times"], dtype=float)})
        senders = ev["senders"] - self.exc[0].global_id
        onset = ev["t_dAP"]
        keep = onset >= self._trace_from
        if ev["times"].size:
            # an onset after the last sample is seen in the next call's samples
            self._trace_from = float(np.max(ev["times"])) + 0.5 * self.h
        pairs = np.unique(np.stack([senders[keep], onset[keep]]), axis=1)
        order = np.lexsort((pairs[0], pairs[1]))
        self.time_readout_s += time.perf_counter() - t0
        return Spikes(pairs[0][order].astype(np.int32), pairs[1][order])

    def drive_targets(self) -> dict[int, list[int]]:
        """Excitatory indices that each sparse-drive generator reaches."""
        first = self.exc[0].global_id
        out = {}
        for pop, gen in self.drive.items():
            conns = self._nest.GetConnections(gen)
            local = np.atleast_1d(np.asarray(conns.get("target") if len(conns) else [],
                                             dtype=np.int64))
            targets = allgather_arrays({"target": local})["target"]
            out[pop] = sorted(int(t) - first for t in targets)
        return out

    def ee_connectivity(self, status: bool = False) -> EEConnectivity:
        """Current E->E connections (plastic: permanence and weight; static: weight);
        leaves the network as it is. Read by the module's synapse reader (10-30 ns
        per synapse) where it can, else (or with ``status``) from each connection's
        status dictionary (5-10 us per synapse); the same values either way."""
        nest = self._nest
        if self.ee_floor is not None:
            empty = np.zeros(0)
            return EEConnectivity(empty.astype(np.int32), empty.astype(np.int32), empty, empty)
        data = None if status else self._read_ee_directly()
        if data is None:
            model = self.EE_MODEL if self.plastic else "static_synapse"
            conns = nest.GetConnections(self.exc, self.exc, synapse_model=model)
            data = read_connections(conns, ["source", "target", self._weight_key,
                                            *self._plastic_keys])
        # each rank reads the connections onto its neurons
        return self._ee_from(allgather_arrays(data))

    def _read_ee_directly(self) -> dict[str, np.ndarray] | None:
        """This rank's plastic E->E synapses from the module's synapse reader (None
        where it cannot read them). Under MPI every rank must get the same answer:
        they then gather together."""
        if not self.plastic or self.ee_floor is not None:
            return None
        data = read_model_synapses(self._nest, self.EE_MODEL,
                                   [self._weight_key, *self._plastic_keys], self.exc, self.exc)
        return data if every_rank(data is not None) else None

    def final_ee_connectivity(self) -> EEConnectivity:
        """The E->E connections after the last simulation, equal to
        :meth:`ee_connectivity` and read without status dictionaries: by the
        module's synapse reader where it can (the network is left as it is), else
        by making every excitatory neuron spike once while the synapses transmit
        their state (:meth:`Simulated._read_by_wave`): 0.1-0.3 us per synapse and
        variable instead of 4-7 us per synapse (``bench/synapse_readout.py``).

        The spike-wave read spends the network: read spikes, dAPs and neuron
        states first; :meth:`run` refuses afterwards. Kinds without a read-out
        mode, static and floor networks are read by :meth:`ee_connectivity`."""
        codes = {name: k for k, name in enumerate(self.synapse.READ_VARIABLES, start=1)}
        needed = [self._weight_key, *self._plastic_keys]
        if (not self.plastic or self.ee_floor is not None or self._n_ee == 0
                or any(k not in codes for k in needed)):
            return self.ee_connectivity()
        direct = self._read_ee_directly()      # leaves the network as it is
        if direct is not None:
            return self._ee_from(allgather_arrays(direct))
        stm = self.neuron
        data = self._read_by_wave(
            self.EE_MODEL, self.exc,
            # one spike each: far above threshold, then refractory for the rest of the read
            lambda group: set_node_status(group, {
                "V_m": stm.V_th + 1000.0 * max(1.0, abs(stm.V_th - stm.E_L)), "refr_counts": 0,
                "t_ref": 1e6}),
            {k: codes[k] for k in needed}, self._n_ee)
        self._spent = True
        if data is None:
            warnings.warn("the spike-wave read of the E->E synapses missed connections; "
                          "reading their status instead (slower, same values)", RuntimeWarning)
            return self.ee_connectivity()
        return self._ee_from(data)

    @property
    def _weight_key(self) -> str:
        return "w" if self.plastic else "weight"   # plastic: the model's state w is transmitted

    @property
    def _plastic_keys(self) -> list[str]:
        """What a read of plastic E->E synapses takes besides source, target and w."""
        if not self.plastic:
            return []
        skey, ikey = self.synapse.STATE_KEY, self.synapse.INITIAL_STATE_KEY
        keys = [skey] + ([ikey] if ikey else [])
        return keys + [k for k in self.synapse.RESUME_KEYS if k not in keys]

    def _ee_from(self, data: Mapping[str, np.ndarray]) -> EEConnectivity:
        """:class:`EEConnectivity` of read arrays (node ids, every key of a read),
        sorted by (target, source)."""
        first = self.exc[0].global_id
        src = data["source"].astype(np.int64) - first
        tgt = data["target"].astype(np.int64) - first
        skey, ikey = self.synapse.STATE_KEY, self.synapse.INITIAL_STATE_KEY
        perm = data[skey] if self.plastic else np.full(src.size, np.nan)
        order = _target_source_order(src, tgt, self.N_E)
        initial = data[ikey][order] if self.plastic and ikey else None
        resume = self.synapse.RESUME_KEYS if self.plastic else ()
        return EEConnectivity(src[order].astype(np.int32), tgt[order].astype(np.int32),
                              perm[order], data[self._weight_key][order], initial,
                              {k: data[k][order] for k in resume})
