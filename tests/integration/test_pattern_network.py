# SPDX-License-Identifier: GPL-2.0-or-later
"""The spatio-temporal-pattern network in NEST: its synapses, phases and commands."""
import json

import numpy as np
import pytest

from seqnest.pynest_ext.kernel import import_nest, setup_kernel
from seqnest.pynest_ext.models import RECEPTOR_DEND, RECEPTOR_EXT, WeightSynapseParams
from seqnest.cli import main

pytestmark = pytest.mark.nest

#: a spike of this weight at the external port fires stm_neuron at once
KICK = 20000.0


def _kicked(nest, model, times, **status):
    """A neuron of ``model`` that fires right after each of ``times``."""
    gen = nest.Create("spike_generator", params={"spike_times": list(times)})
    post = nest.Create(model, params=status)
    nest.Connect(gen, post, syn_spec={"weight": KICK, "delay": 0.1,
                                      "receptor_type": RECEPTOR_EXT})
    return post


def test_builtin_stdp_reaches_the_co_generated_neuron(built_module):
    """stdp_synapse onto stm_neuron__with_stm_weight_synapse changes exactly as onto the
    standalone stm_neuron (NEST's own spike archive); before the fix it never changed."""
    names = setup_kernel()
    nest = import_nest()
    pre_times = [10.0 + 25.0 * k for k in range(12)]
    post_times = [t + dt for t, dt in zip(pre_times, [3, -4, 6, 2, -8, 5, 1, -2, 7, 3, 4, -5])]
    gen = nest.Create("spike_generator", params={"spike_times": pre_times})
    pre = nest.Create("parrot_neuron")
    nest.Connect(gen, pre)
    posts = [_kicked(nest, model, post_times, tau_minus=20.0)
             for model in (names.pair("weight")[0], names.stm_neuron_standalone)]
    for post in posts:
        nest.Connect(pre, post, syn_spec={"synapse_model": "stdp_synapse", "weight": 200.0,
                                          "Wmax": 500.0, "lambda": 0.03, "mu_plus": 1.0,
                                          "mu_minus": 1.0, "delay": 1.0, "receptor_type":
                                          RECEPTOR_EXT})
    nest.Simulate(400.0)
    w = [nest.GetConnections(pre, post).get("weight") for post in posts]
    assert w[0] != pytest.approx(200.0)
    assert w[0] == pytest.approx(w[1], rel=1e-12)


def _emulate(pre_times, post_times, syn: WeightSynapseParams, w0: float, delay: float) -> float:
    """The rule of stm_weight_synapse with z = 0 (no dAPs), in Python, with NESTML's
    timing: ``t`` is the presynaptic spike time at a pre event and the postsynaptic
    spike time at a post event (the lag is between the two neurons' spikes), while
    the trace is read at the post spike time plus the delay, where the synapse
    processes it."""
    events = sorted([(t, 1, t) for t in pre_times] + [(t + delay, 0, t) for t in post_times])
    w, x, t_x, t_leak, t_pre = w0, 0.0, 0.0, 0.0, -1e6
    for when, is_pre, t in events:
        x *= np.exp((t_x - when) / syn.tau_plus)
        t_x = when
        w = syn.w_min + (w - syn.w_min) * np.exp((t_leak - t) / syn.tau_leak)
        t_leak = t
        if is_pre:
            w = min(max(w - syn.lambda_minus, syn.w_min), syn.w_max)
            t_pre = t
            x += 1.0
        else:
            if syn.dt_min < t - t_pre < syn.dt_max:
                w += syn.lambda_plus * syn.z_star * w * x
            w = min(max(w, syn.w_min), syn.w_max)
    return w


@pytest.mark.parametrize("learning", [1.0, 0.0])
def test_weight_rule_matches_its_equations(built_module, learning):
    """Potentiation at post spikes inside the window, depression per pre spike and the
    leak, against a Python emulation; frozen (learning 0) nothing changes."""
    names = setup_kernel()
    nest = import_nest()
    syn = WeightSynapseParams({"lambda_minus": 0.05, "tau_leak": 2000.0, "lambda_plus": 2.0})
    pre_times = [20.0, 150.0, 300.0, 420.0, 700.0]
    post_times = [95.0, 110.0, 380.0, 470.0, 600.0, 760.0]   # lags 73, 88, 78, 48, 178, 58
    gen = nest.Create("spike_generator", params={"spike_times": pre_times})
    pre = nest.Create("parrot_neuron")
    nest.Connect(gen, pre)
    post = _kicked(nest, names.pair("weight")[0], post_times, dAP_spike_reset=0.0)
    nest.CopyModel(names.pair("weight")[1], "w_test", {**syn.nest_defaults(),
                                                       "learning": learning})
    delay = 1.5
    nest.Connect(pre, post, syn_spec={"synapse_model": "w_test", "w": 2.0, "delay": delay,
                                      "receptor_type": RECEPTOR_DEND})
    rec = nest.Create("spike_recorder")
    nest.Connect(post, rec)
    nest.Simulate(800.0)
    fired = rec.get("events")["times"]
    assert len(fired) == len(post_times)
    # one more pre spike transmits (and so updates) the weight
    gen.set({"spike_times": [900.0]})
    nest.Simulate(200.0)
    w = nest.GetConnections(pre, post).get("w")
    if learning:
        expected = _emulate([t + 1.0 for t in pre_times + [900.0]], list(fired), syn, 2.0, delay)
        assert w == pytest.approx(expected, rel=1e-9)
        assert abs(w - 2.0) > 0.3
    else:
        assert w == 2.0


def _run(tmp_path, name, *extra):
    out = tmp_path / name
    code = main(["learn", "--inputs", "stp-spatial", "--episodes", "6", "--seed", "3",
                 "--set", "network.n_E_per_item=30", "--set", "protocol.assembly_iterations=2",
                 "--set", "protocol.final_iterations=2", "--no-progress", *extra,
                 "--out", str(out)])
    assert code == 0
    return out


def test_two_phases_end_to_end(tmp_path, capsys):
    """Phase 1 changes the input weights only, phase 2 E->E only; the run directory and
    the report are complete; the same seed gives the same spikes."""
    out = _run(tmp_path, "a")
    printed = capsys.readouterr().out
    assert "last-element accuracy" in printed and "assemblies:" in printed
    m = json.loads((out / "metrics.json").read_text())
    assert m["phase1_iterations"] == 2 and len(m["accuracy"]) == 4
    assert all(0.0 <= a <= 1.0 for a in m["accuracy"])
    assert sum(m["assembly_sizes"].values()) + m["unassigned"] == m["n_E"] == 150
    w = np.load(out / "input_weights.npz")
    assert w["weight"].size == 150 * 25 and not np.allclose(w["weight"], w["initial_weight"])
    ee = np.load(out / "ee_weights.npz")
    assert ee["weight"].size == 150 * round(0.25 * 150)
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").is_file() and (out / "report" / "input_weights.png").is_file()
    again = _run(tmp_path, "b")
    s1, s2 = np.load(out / "spikes.npz"), np.load(again / "spikes.npz")
    assert np.array_equal(s1["exc_times"], s2["exc_times"])
    assert np.array_equal(s1["exc_index"], s2["exc_index"])


def _network(coding: str, n_per_item: int, iterations: int, seed: int):
    """(config, stream, connected PatternNetwork) of a small S3 network."""
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
    from seqnest.sequences.pattern_sequences.learn import make_run_stream
    from seqnest.pynest_ext.networks.pattern_sequences import PatternNetwork

    cfg = resolve_pattern_config(coding, "s3", sets={"network": {"n_E_per_item": n_per_item}},
                                 iterations=iterations)
    stream = make_run_stream(cfg)
    net = PatternNetwork(setup_kernel(), 5, 100, cfg.neuron, cfg.inh_neuron, cfg.ee_synapse,
                         cfg.input_synapse, cfg.network, np.random.default_rng(seed))
    net.create(stream.times, stream.channels)
    net.connect(stream.patterns)
    return cfg, stream, net


def test_phases_freeze_what_they_should(built_module):
    """Input weights are frozen from phase 2 on; E->E weights do not move in phase 1."""
    from seqnest.pynest_ext.networks.pattern_sequences import PatternNetwork

    cfg, stream, net = _network("stp-spatial", 30, 4, 1)
    ee0, in0 = net.ee_weights()["weight"], net.input_weights().weight
    net.run_until(stream.iteration_starts[2])
    ee1, in1 = net.ee_weights()["weight"], net.input_weights().weight
    assert np.array_equal(ee0, ee1) and not np.allclose(in0, in1)
    net.start_phase2(4.0)
    net.run_until(stream.iteration_starts[4])
    ee2, in2 = net.ee_weights()["weight"], net.input_weights().weight
    assert np.array_equal(in1, in2) and not np.allclose(ee1, ee2)
    ie = import_nest().GetConnections(synapse_model=PatternNetwork.IE_MODEL).get("weight")
    assert np.allclose(ie, 4.0 * cfg.network.w_IE)


def test_oracle_delays_align_each_neurons_item(built_module):
    cfg, stream, net = _network("stp-temporal", 10, 2, 2)
    w = net.input_weights()
    hi = cfg.network.in_delay_max
    checked = 0
    for n in range(0, net.N_E, 7):
        times, chans = stream.patterns[net.oracle_items[n]]
        for c, d in zip(w.channel[w.target == n], w.delay[w.target == n]):
            if c in chans:
                first = times[chans == c].min()
                assert d == pytest.approx(max(round((hi - first) / 0.1) * 0.1, 1.0), abs=1e-9)
                checked += 1
    assert checked > 50


def test_benchmark_floor_runs_the_same_protocol(built_module):
    """The floor (built-in models only) runs the same stream, phases and readout."""
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
    from seqnest.sequences.pattern_sequences.learn import train_patterns

    cfg = resolve_pattern_config("stp-spatial", "s3", sets={"network": {"n_E_per_item": 20},
                                                            "protocol": {"assembly_iterations": 2}},
                                 iterations=4)
    plugin = train_patterns(cfg, module=built_module, progress=False)
    floor = train_patterns(cfg, module=built_module, progress=False, floor=True)
    for r in (plugin, floor):
        assert len(r.metrics["accuracy"]) == 3 and r.exc_spikes[0].size > 0
        assert not np.allclose(r.input_final.weight, r.input_initial.weight)
    assert np.array_equal(plugin.input_initial.delay, floor.input_initial.delay)
    assert floor.metrics["dap_fraction"] == [0.0] * 3


def test_a_point_its_monitor_stops_leaves_nothing(built_module, tmp_path):
    """A pattern-sequence sweep point is told each phase-2 iteration's scores; a
    monitor that stops it (a pruned trial) ends the run after that iteration and no
    run directory is written."""
    from seqnest.errors import TrainingStopped
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
    from seqnest.sequences.pattern_sequences.sweeping import point

    cfg = resolve_pattern_config("spatial", "s3", sets={"network": {"n_E_per_item": 20},
                                                        "protocol": {"assembly_iterations": 2}},
                                 iterations=6)
    told = []

    def monitor(k, scores):
        told.append((k, sorted(scores)))
        if k == 4:
            raise TrainingStopped("pruned")
    with pytest.raises(TrainingStopped):
        point(cfg.to_dict(), str(tmp_path / "run"), monitor=monitor)
    # phase 1 is iterations 1-2 (30 % of 6, rounded); phase 2 is scored from iteration 3
    assert told == [(3, ["accuracy", "dap_fraction", "prediction_overlap"]),
                    (4, ["accuracy", "dap_fraction", "prediction_overlap"])]
    assert not (tmp_path / "run").exists()
