# SPDX-License-Identifier: GPL-2.0-or-later
"""Structure and basic dynamics of small sTM networks."""
import numpy as np
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import InhNeuronParams, StdspSynapseParams, StmNeuronParams
from seqnest.pynest_ext.networks.temporal_memory import NetworkParams, SequenceNetwork
from seqnest.params import ParameterError
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

pytestmark = pytest.mark.nest

SMALL = NetworkParams(n_E=20, rho=5)


def build(built_module, inhibition="per_subpopulation", stimulus=None, seed=1):
    names = setup_kernel(KernelConfig(seed=seed), module=built_module)
    net = SequenceNetwork(names, 3, StmNeuronParams(), InhNeuronParams(), StdspSynapseParams(),
                          SMALL.replace(inhibition=inhibition),
                          rng=np.random.default_rng(seed))
    net.create(stimulus or {})
    net.connect()
    return net


@pytest.mark.parametrize("inhibition, n_inh", [("per_subpopulation", 3), ("shared", 1)])
def test_structure(built_module, inhibition, n_inh):
    net = build(built_module, inhibition)
    nest = import_nest()
    assert len(net.exc) == 60 and len(net.inh_neurons) == n_inh
    ee = net.ee_connectivity()
    indegree = round(0.2 * 60)
    assert ee.source.size == 60 * indegree
    assert np.all(np.bincount(ee.target, minlength=60) == indegree)
    assert not np.any(ee.source == ee.target)                            # no autapses
    assert len({(s, t) for s, t in zip(ee.source, ee.target)}) == ee.source.size  # no multapses
    assert np.all((ee.permanence >= 0) & (ee.permanence <= 8)) and np.all(ee.weight == 0)
    conns = nest.GetConnections(net.exc, net.exc, synapse_model=net.EE_MODEL)
    from seqnest.pynest_ext.networks.simulation import read_connections
    data = read_connections(conns, ["permanence", "permanence_min"])
    assert np.array_equal(data["permanence"], data["permanence_min"])   # P_min = initial P
    assert len(nest.GetConnections(net.exc, net.inh_neurons)) == 60
    assert len(nest.GetConnections(net.inh_neurons, net.exc)) == 60


def test_stimulus_fires_its_subpopulation_and_inhibition(built_module):
    net = build(built_module, stimulus={1: [10.0]})
    net.run(50.0)
    exc, inh = net.take_spikes()
    assert sorted(set(exc.index.tolist())) == list(range(20, 40))
    assert np.bincount(exc.index, minlength=60)[20:40].tolist() == [1] * 20
    assert inh.index.tolist() == [1]
    assert net.take_spikes()[0].index.size == 0       # recorders were cleared


def tiny(seed, threads=1):
    return resolve_config(task="set1", episodes=3, seed=seed, threads=threads,
                          set_options=["network.n_E=30", "network.rho=5"])


def spikes_of(result):
    return result.exc_spikes[0].tolist(), result.exc_spikes[1].tolist()


def test_same_seed_and_threads_give_identical_spikes(built_module):
    a = train(tiny(3, threads=2), module=built_module, progress=False)
    b = train(tiny(3, threads=2), module=built_module, progress=False)
    assert spikes_of(a) == spikes_of(b) and len(a.exc_spikes[0]) > 0
    assert np.array_equal(a.connectivity_final.permanence, b.connectivity_final.permanence)
    c = train(tiny(4, threads=2), module=built_module, progress=False)
    assert not np.array_equal(a.connectivity_initial.source, c.connectivity_initial.source)


@pytest.mark.parametrize("kwargs", [
    {"sequences": "Q R S T; U R S V; W X Q"},
    {"task": "random", "set_options": ["random.n_sequences=3", "random.length=5",
                                       "random.shared_core=2", "random.vocab_size=10",
                                       "random.seed=9"]},
])
def test_unseen_sets_run_end_to_end(built_module, kwargs):
    opts = kwargs.pop("set_options", []) + ["network.n_E=30", "network.rho=5"]
    cfg = resolve_config(episodes=2, set_options=opts, **kwargs)
    r = train(cfg, module=built_module, progress=False)
    assert len(r.metrics["error"]) == 2
    assert r.metrics["false_negatives"][0] == pytest.approx(1.0)   # nothing predicted yet
    assert r.metrics["active_fraction"][0] == pytest.approx(1.0)


def test_sparse_first_element_drive(built_module):
    """With the drive, only the rho+1 pre-activated neurons of a first element fire."""
    opts = ["network.n_E=30", "network.rho=5", "run.sparse_first=on"]
    cfg = resolve_config(task="set1", episodes=1, set_options=opts)
    r = train(cfg, module=built_module, progress=False)
    idx, t = r.exc_spikes
    a_onset = r.schedule.onset(0, 0, 0)
    a_neurons = {int(i) for i, s in zip(idx, t) if i < 30 and a_onset <= s < a_onset + 20}
    assert 1 <= len(a_neurons) <= 6
    cfg_off = resolve_config(task="set1", episodes=1, set_options=opts[:2])
    r_off = train(cfg_off, module=built_module, progress=False)
    idx, t = r_off.exc_spikes
    assert len({int(i) for i, s in zip(idx, t) if i < 30 and a_onset <= s < a_onset + 20}) == 30


def test_dap_onsets_do_not_depend_on_how_the_run_is_split(built_module):
    """Onsets taken after several runs equal those taken once after one run, also for
    an onset in the step right after a sample, taken before the next sample.

    A dendritic drive at t gives a dAP onset at t + 2.1 ms: the drive at 147.9 ms
    puts one at 150.0 ms, a multiple of the 10-ms sampling interval, and the first
    of the split runs ends 0.1 ms later."""
    drive = {0: [10.0, 147.9, 300.0]}
    results = []
    for chunks in ([400.0], [150.1, 2.0, 97.9, 150.0]):
        names = setup_kernel(KernelConfig(seed=1), module=built_module)
        net = SequenceNetwork(names, 3, StmNeuronParams(), InhNeuronParams(),
                              StdspSynapseParams(), SMALL, rng=np.random.default_rng(1))
        net.create({}, dendritic_drive=drive)
        net.connect()
        net.trace_dap_onsets()
        parts = []
        for dt in chunks:
            net.run(dt)
            onsets = net.take_dap_onsets()
            parts.append(np.stack([onsets.index, onsets.times]))
        results.append(np.concatenate(parts, axis=1))
    single, split = results
    assert np.isclose(single[1], 150.0).sum() == SMALL.rho + 1
    assert single.shape[1] == 3 * (SMALL.rho + 1)              # every driven neuron, every drive
    assert split.shape == single.shape                         # nothing lost, nothing twice
    np.testing.assert_array_equal(np.unique(single, axis=1), np.unique(split, axis=1))


@pytest.mark.parametrize("case", ["busy", "closest", "subset"])
def test_dap_onsets_are_those_of_a_per_step_recording(built_module, case):
    """Every onset, against t_dAP recorded at every step: in a busy network, and where a
    spike cancels a dAP and a strong drive starts the next one as soon as the refractory
    period ends (10.4 ms later; two onsets cannot be closer than t_ref + one step)."""
    net_params = SMALL
    if case in ("busy", "subset"):
        drive = {0: list(np.arange(10.0, 400.0, 3.7)), 1: [10.0, 22.5, 23.0, 33.6, 90.0, 160.0]}
        stimulus = {0: list(np.arange(14.0, 400.0, 11.3)), 1: [13.0, 95.0]}
    else:
        net_params = SMALL.replace(sparse_drive_factor=20.0)   # onset one step after arrival
        drive = {0: [20.0] + [round(x, 1) for x in np.arange(30.0, 34.0, 0.1)]}
        stimulus = {0: [18.0]}                                 # spike just after the first onset
    names = setup_kernel(KernelConfig(seed=2), module=built_module)
    net = SequenceNetwork(names, 3, StmNeuronParams(), InhNeuronParams(), StdspSynapseParams(),
                          net_params, rng=np.random.default_rng(2))
    net.create(stimulus, dendritic_drive=drive)
    net.connect()
    nest = import_nest()
    mm = nest.Create("multimeter", params={"record_from": ["t_dAP"], "interval": 0.1})
    nest.Connect(mm, net.exc)
    # "subset": only the second subpopulation is traced (replay traces the branch heads)
    traced = range(net.n_E, 2 * net.n_E) if case == "subset" else range(net.N_E)
    net.trace_dap_onsets(list(traced) if case == "subset" else None)
    net.run(400.0)
    got = net.take_dap_onsets()
    ev = mm.get("events")
    truth = {(int(i), round(float(t), 1)) for i, t in
             zip(np.asarray(ev["senders"]) - net.exc[0].global_id, ev["t_dAP"])
             if t >= 0 and int(i) in traced}
    assert truth
    assert {(int(i), round(float(t), 1)) for i, t in zip(got.index, got.times)} == truth
    if case == "subset":
        return
    gaps = [np.diff(sorted(t for j, t in truth if j == i)) for i in range(net.N_E)]
    closest = min(g.min() for g in gaps if g.size)
    assert closest < (10.6 if case == "closest" else 20.0)
    assert closest > net.dap_trace_interval


@pytest.mark.parametrize("floor", ["static", "none"])
def test_benchmark_floors_train_the_same_network_without_plastic_ee(built_module, floor):
    """bench/scaling.py's floors: the same training code with static or no E->E synapses."""
    r = train(tiny(3), module=built_module, progress=False, ee_floor=floor)
    nest = import_nest()
    exc = nest.NodeCollection(list(range(r.node_ids["E"], r.node_ids["E"] + 180)))
    ee = nest.GetConnections(exc, exc)
    assert len(ee) == (180 * 36 if floor == "static" else 0)
    if floor == "static":
        assert set(ee.get("synapse_model")) == {"static_synapse"}
    assert len(r.metrics["error"]) == 3 and r.metrics["n_synapses"] == 0
    assert r.metrics["false_negatives"][0] == pytest.approx(1.0)


def test_unknown_floor_is_refused(built_module):
    names = setup_kernel(KernelConfig(), module=built_module)
    with pytest.raises(ParameterError, match="ee_floor"):
        SequenceNetwork(names, 3, StmNeuronParams(), InhNeuronParams(), StdspSynapseParams(),
                        SMALL, ee_floor="plastic")


def _connections(nest, model):
    from seqnest.pynest_ext.networks.simulation import read_connections
    data = read_connections(nest.GetConnections(synapse_model=model),
                            ["source", "target", "permanence", "permanence_min", "delay"])
    order = np.lexsort((data["source"], data["target"]))
    return {k: v[order] for k, v in data.items()}


@pytest.mark.parametrize("rule", ["fixed_indegree", "one_to_one"])
def test_connecting_in_chunks_makes_the_connections_of_one_call(built_module, monkeypatch, rule):
    from seqnest.pynest_ext.networks import simulation
    nest = import_nest()
    made = []
    for chunk in (10 ** 9, 7):
        monkeypatch.setattr(simulation, "CONNECT_CHUNK", chunk)
        names = setup_kernel(KernelConfig(seed=3, threads=2), module=built_module)
        cells = nest.Create(names.pair("stdsp")[0], 40)
        nest.CopyModel(names.pair("stdsp")[1], "chunk_probe")
        perm = np.random.default_rng(1).uniform(0, 8, (40, 6))
        spec = {"synapse_model": "chunk_probe", "receptor_type": 2}
        if rule == "fixed_indegree":
            simulation.connect_with_arrays(
                nest, cells, cells, {"rule": "fixed_indegree", "indegree": 6,
                                     "allow_autapses": False, "allow_multapses": False},
                {**spec, "delay": 2.0}, {"permanence": perm, "permanence_min": perm})
        else:
            first = cells[0].global_id
            src = first + np.repeat(np.arange(40), 6)
            tgt = first + (np.repeat(np.arange(40), 6) + np.tile(np.arange(1, 7), 40)) % 40
            simulation.connect_with_arrays(
                nest, src, tgt, "one_to_one", spec,
                {"permanence": perm.ravel(), "permanence_min": perm.ravel(),
                 "weight": np.zeros(240), "delay": np.linspace(1.0, 3.0, 240)})
        made.append(_connections(nest, "chunk_probe"))
    assert made[0]["source"].size == 240
    for key in made[0]:
        np.testing.assert_array_equal(made[1][key], made[0][key], err_msg=key)
