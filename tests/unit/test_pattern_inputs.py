# SPDX-License-Identifier: GPL-2.0-or-later
"""Spatio-temporal pattern streams, the STP configuration and its metrics (no NEST)."""
import numpy as np
import pytest

from seqnest.params import ParameterError
from seqnest.cli import main
from seqnest.sequences.tasks.pattern_streams import (StreamParams, frozen_patterns, iteration_ms,
                                                     make_stream, pattern_set)
from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
from seqnest.sequences.stats import jaccard
from seqnest.sequences.pattern_sequences.metrics import (assign_assemblies, converged_at,
                                                         predict_item, response_matrix, selectivity)


def _stream(coding="spatial", sets="s3", iterations=3, seed=5, **extra):
    p = StreamParams({"coding": coding, **extra})
    return p, make_stream(p, pattern_set(sets), iterations, np.random.default_rng(seed),
                          np.random.default_rng(seed + 1))


def test_spatial_items_use_disjoint_blocks_and_noise_fills_only_gaps():
    p, s = _stream(noise_alpha=0.2, spike_jitter_ms=0.0)
    assert s.vocabulary == ("A", "B", "C", "D", "E")
    size = 100 // 5
    for j, (on, k) in enumerate(zip(s.onsets, s.items)):
        inside = (s.times >= on) & (s.times < on + p.item_ms)
        assert set(np.unique(s.channels[inside])) <= set(range(k * size, (k + 1) * size))
    # the frozen pattern is repeated exactly without jitter
    first = [j for j in range(len(s.items)) if s.items[j] == 1][:2]
    spans = [np.sort(s.times[(s.times >= s.onsets[j]) & (s.times < s.onsets[j] + p.item_ms)]
                     - s.onsets[j]) for j in first]
    assert np.allclose(spans[0], spans[1])
    # noise: every channel, at about alpha * rate in the gaps
    gaps = np.ones(s.times.size, dtype=bool)
    for on in s.onsets:
        gaps &= ~((s.times >= on) & (s.times < on + p.item_ms))
    gap_ms = s.duration - len(s.onsets) * p.item_ms
    rate = gaps.sum() / (gap_ms * 1e-3) / p.n_in
    assert abs(rate - 0.2 * p.rate) < 0.25 * 0.2 * p.rate
    assert np.all(np.diff(s.times) >= 0)


def test_stream_timing_and_last_elements():
    p, s = _stream(sets="s4", iterations=2)
    assert s.n_iterations == 2
    assert s.duration == pytest.approx(p.start_ms + 2 * iteration_ms(p, pattern_set("s4")))
    assert np.allclose(np.diff(s.onsets[:4]), p.item_ms + p.gap_ms)
    last = s.last_elements()
    assert [s.vocabulary[s.items[j]] for j in last] == ["D", "E", "D", "E"]
    assert list(s.iteration[last]) == [0, 0, 1, 1]


def test_temporal_items_share_channels_and_differ_in_time():
    p = StreamParams({"coding": "temporal", "rate": 25.0})
    pats = frozen_patterns(p, 3, np.random.default_rng(1))
    assert all(np.all(np.diff(t) >= 0) for t, _ in pats)
    assert len(set(pats[0][1]) | set(pats[1][1])) > 50       # all channels are in use
    assert not np.array_equal(pats[0][0], pats[1][0][:pats[0][0].size])


def test_jitter_moves_spikes_in_time_and_channel():
    p, s0 = _stream(spike_jitter_ms=0.0, channel_jitter=0, noise_alpha=0.0)
    p, s1 = _stream(spike_jitter_ms=2.0, channel_jitter=10, noise_alpha=0.0)
    assert s0.times.size == s1.times.size
    assert not np.allclose(np.sort(s0.times), np.sort(s1.times))
    size = 20
    on, k = s1.onsets[0], s1.items[0]
    inside = (s1.times >= on) & (s1.times < on + 50)
    assert np.any((s1.channels[inside] < k * size) | (s1.channels[inside] >= (k + 1) * size))


def test_same_seed_same_stream_and_user_sets():
    _, a = _stream(seed=9)
    _, b = _stream(seed=9)
    assert np.array_equal(a.times, b.times) and np.array_equal(a.channels, b.channels)
    s = pattern_set("X Y Z; W Y V")
    assert s.sequences == (("X", "Y", "Z"), ("W", "Y", "V"))
    with pytest.raises(ParameterError, match="unknown pattern set"):
        pattern_set("s9")


@pytest.mark.parametrize("values, message", [
    ({"item_ms": 80.0}, "longer than the gap"),
    ({"spike_jitter_ms": -1.0}, "spike_jitter_ms: must be >= 0"),
    ({"channel_jitter": -2}, "channel_jitter: must be >= 0"),
    ({"coding": "colour"}, "inputs.coding"),
])
def test_bad_stream_parameters(values, message):
    with pytest.raises(ParameterError, match=message):
        StreamParams(values)


def test_blocks_checked_against_inputs():
    with pytest.raises(ParameterError, match="need more channels"):
        StreamParams({"block_channels": 30}).blocks(5)
    with pytest.raises(ParameterError, match="fewer channels"):
        StreamParams({"n_in": 3}).blocks(5)


def test_config_defaults_by_coding_and_set():
    c = resolve_pattern_config("stp-spatial", "s3")
    assert c.neuron.I_p == 400 and c.neuron.dAP_spike_reset == 0 and c.neuron.V_th == 18
    assert c.input_synapse.w_init_mean == 300 and c.input_synapse.Wmax == 500
    assert c.protocol.iterations == 200 and c.phase1_iterations == 60
    assert c.neuron.tau_h == pytest.approx(0.428 * iteration_ms(c.inputs, c.sequence_set), abs=0.1)
    c4 = resolve_pattern_config("stp-spatial", "s4")
    assert c4.input_synapse.w_init_mean == 360 and c4.input_synapse.Wmax == 550
    t = resolve_pattern_config("stp-temporal", "s3")
    assert t.neuron.I_p == 120 and t.network.in_delays == "oracle"
    assert t.ee_synapse.w_max == 5 and t.inputs.rate == 25 and t.inputs.noise_alpha == 0.1
    # each coding has its trial's network values; the input values and rate are spatial's
    assert t.ee_synapse.lambda_plus == 50 and c.ee_synapse.lambda_plus == 102
    assert (t.network.psp_EI_phase2, c.network.psp_EI_phase2) == (5.0, 7.83)
    assert t.neuron.tau_h == pytest.approx(0.411 * iteration_ms(t.inputs, t.sequence_set), abs=0.1)
    assert c4.neuron.tau_h == pytest.approx(c.neuron.tau_h * 1000 / 800, abs=0.1)
    o = resolve_pattern_config("stp-spatial", "s3", sets={"neuron": {"I_p": 300}}, iterations=10)
    assert o.neuron.I_p == 300 and o.protocol.iterations == 10
    assert resolve_pattern_config("stp-spatial").hash() != o.hash()


@pytest.mark.parametrize("coding", ["spatial", "temporal"])
def test_the_searched_defaults_are_the_study_s_trial(coding):
    """Each coding's searched defaults are its named trial of the named study (its row
    of trials.csv, rounded), so that the two cannot drift apart; the input values and
    lambda_plus are spatial coding's only."""
    import csv
    from pathlib import Path
    from seqnest.sequences.pattern_sequences import config as cfg
    study = Path(__file__).parents[2] / cfg.SEARCH_STUDY
    if not study.is_dir():
        pytest.skip("the studies are kept in the repository, not in the package")
    with open(study / "trials.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["trial"] == str(cfg.SEARCH_TRIALS[coding]))
    network = {f"{g}.{k}" for g, kv in cfg.SEARCHED_NETWORK[coding].items() for k in kv}
    spatial = {f"{g}.{k}" for g, kv in cfg.SEARCHED_SPATIAL.items() for k in kv}
    assert network | spatial | {"neuron.tau_h"} == {k for k in row if "." in k}
    c = resolve_pattern_config(coding, "s3")
    # tau_h in ms of the 800-ms S3 iteration, which both codings share
    for name in network | (spatial if coding == "spatial" else set()) | {"neuron.tau_h"}:
        group, key = name.split(".")
        assert getattr(c, group)[key] == pytest.approx(float(row[name]), rel=0.02), name


@pytest.mark.parametrize("extra, message", [
    (["--set", "inputs.item_ms=80"], "longer than the gap"),
    (["--set", "inputs.block_channels=40"], "need more channels"),
    (["--set", "inputs.spike_jitter_ms=-0.5"], "inputs.spike_jitter_ms"),
    (["--set", "inputs.channel_jitter=-1"], "inputs.channel_jitter"),
    (["--set", "bogus.x=1"], "unknown parameter group 'bogus'"),
    (["--set", "network.nope=1"], "nope"),
    (["--sequences", "A B; A"], "at least two elements"),
    (["--task", "s9"], "unknown pattern set"),
    (["--synapse", "reram"], "--synapse does not apply"),
    (["--set", "network.n_E_per_item=100000000"], "GB available"),
    (["--set", "protocol.phase1_fraction=0.001", "--episodes", "10"], "no phase-1 iteration"),
    (["--set", "network.in_delays=rram", "--set", "delays.max=0.01"], "delays.max"),
])
def test_learn_patterns_rejects_bad_input(tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    code = main(["learn", "--inputs", "stp-spatial", *extra, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_learn_patterns_config_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs: 3\n")
    out = tmp_path / "run"
    assert main(["learn", "--inputs", "stp-spatial", "--config", str(bad), "--out",
                 str(out)]) == 2
    assert "must be a mapping" in capsys.readouterr().err
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("synapse:\n  lambda_plus: 1\n")
    assert main(["learn", "--inputs", "stp-temporal", "--config", str(unknown), "--out",
                 str(out)]) == 2
    assert "unknown parameter group 'synapse'" in capsys.readouterr().err
    good = tmp_path / "good.yaml"
    good.write_text("inputs:\n  rate: 90\nprotocol:\n  iterations: 7\n")
    from seqnest.sequences.temporal_memory.config import load_config_file
    c = resolve_pattern_config("stp-spatial", file_values=load_config_file(good, groups=False))
    assert c.inputs.rate == 90 and c.protocol.iterations == 7
    assert not out.exists()


def test_response_matrix_assemblies_and_selectivity():
    onsets = np.array([0.0, 100.0, 200.0, 300.0])
    items = np.array([0, 1, 0, 1])
    # neuron 0 fires for item 0, neuron 1 for item 1, neuron 2 for both, neuron 3 never
    index = np.array([0, 0, 2, 1, 2, 0, 1, 1])
    times = np.array([5.0, 205.0, 10.0, 150.0, 120.0, 60.0, 320.0, 399.0])
    resp = response_matrix(index, times, 4, onsets, items, 2, 100.0)
    assert np.allclose(resp[0], [1.5, 0.0]) and np.allclose(resp[1], [0.0, 1.5])
    assert np.allclose(resp[2], [0.5, 0.5])
    asm = assign_assemblies(resp, 0.5)
    assert list(asm) == [0, 1, -1, -1]
    sel = selectivity(resp, asm)
    assert np.allclose(sel, [1.0, 1.0])
    sel_mixed = selectivity(resp, np.array([0, 1, 0, -1]))
    assert sel_mixed[0] == pytest.approx(0.5)


def test_prediction_overlap_and_convergence():
    asm = np.array([0, 0, 1, 1, 1, -1])
    assert predict_item(np.array([1, 0, 1, 1, 0, 1], bool), asm, 2)[0] == 1
    assert predict_item(np.array([1, 0, 1, 0, 0, 0], bool), asm, 2)[0] == -1     # tie
    assert predict_item(np.zeros(6, bool), asm, 2)[0] == -1
    assert jaccard(np.array([1, 1, 0], bool), np.array([0, 1, 1], bool)) == pytest.approx(1 / 3)
    assert np.isnan(jaccard(np.zeros(3, bool), np.zeros(3, bool), empty=np.nan))
    assert jaccard(np.zeros(3, bool), np.zeros(3, bool)) == 0.0
    assert converged_at([0, 0.5, 1, 0.5, 1, 1]) == 4
    assert converged_at([1, 1]) == 0 and converged_at([1, 0.5]) is None
