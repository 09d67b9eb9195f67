# SPDX-License-Identifier: GPL-2.0-or-later
"""DenRAM in NEST: the network reproduces the trainer's forward pass; RRAM read noise
is drawn once per trial and device; the spiking variant spikes; the commands work."""
import json
import math

import numpy as np
import pytest

from seqnest.pynest_ext.devices import RramWeightParams
from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.models import CD_SOMA
from seqnest.pynest_ext.networks.coincidence import CoincidenceNetwork
from seqnest.sequences.coincidence.train import TrainParams, predict, train
from seqnest.sequences.tasks.mts_xor import make_mts_xor
from seqnest.sequences.tasks.patterns import PatternParams, make_patterns
from seqnest.sequences.tasks.spike_data import SpikeDataset

pytestmark = pytest.mark.nest


@pytest.mark.parametrize("threads", [1, 2])
def test_nest_reproduces_a_trained_model_on_fresh_samples(built_module, threads):
    p = PatternParams(n_classes=4, n_channels=10, pattern_steps=20, tail_steps=4,
                      jitter=1.0, background=20.0, pattern_seed=21)
    data = make_patterns(150, np.random.default_rng(31), p)
    delays = np.random.default_rng(32).integers(1, 15, (4, 10, 3))
    res = train(data, data, delays, 4.0, TrainParams(epochs=4), RramWeightParams(),
                np.random.default_rng(33))
    fresh = make_patterns(40, np.random.default_rng(977), p)
    # a repeated spike in one step counts twice in both
    s, c = fresh.sample(0)
    samples = [(np.r_[s, s[:3]], np.r_[c, c[:3]])] + [fresh.sample(k) for k in range(1, 40)]
    fresh = SpikeDataset.from_samples("p", 1.0, fresh.n_steps, 10, 4, fresh.windows,
                                      fresh.labels, samples)
    ref = predict(res.weights, res.bias, delays, math.exp(-1 / 4.0), fresh)
    net = CoincidenceNetwork(delays, 1.0, 4.0, threads=threads, seed=5, module=built_module)
    net.connect(res.weights, res.bias)
    got = net.run(samples, fresh.n_steps, fresh.windows)
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-12)
    assert rel.max() <= 1e-6
    assert np.array_equal(got.argmax(-1), ref.argmax(-1))


def test_several_readout_windows_match_the_trainer(built_module):
    data = make_mts_xor(12, np.random.default_rng(4))
    rng = np.random.default_rng(5)
    delays = rng.integers(1, 60, (2, 40, 4))
    w, b = rng.normal(0.02, 0.1, (2, 40, 4)), rng.normal(0, 0.05, 2)
    ref = predict(w, b, delays, math.exp(-1 / 8.0), data)
    net = CoincidenceNetwork(delays, 1.0, 8.0, module=built_module)
    net.connect(w, b)
    got = net.run([data.sample(k) for k in range(12)], data.n_steps, data.windows)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_read_noise_is_drawn_once_per_trial_and_device(built_module):
    # one input, two branches (w 1.0 and 0.0), two spikes per trial, 7 steps apart:
    # the second arrival adds the same read value as the first (a^7 decay between)
    n_trials, T = 400, 30
    delays = np.array([[[1, 2]]])
    w = np.array([[[1.0, 0.0]]])
    net = CoincidenceNetwork(delays, 1.0, 1e9, module=built_module, seed=9)
    net.connect(w, np.zeros(1), noise_sd=0.2, n_steps=T)
    trials = [(np.array([0, 7]), np.array([0, 0]))] * n_trials
    windows = np.array([[0, 5], [5, T]])
    s = net.run(trials, T, windows)
    first, total = s[:, 0, 0], s[:, 1, 0]
    assert np.allclose(total, np.maximum(2 * first, 0), atol=1e-9)   # same value twice
    assert first.std() == pytest.approx(0.2, rel=0.15)
    assert first.mean() == pytest.approx(1.0, abs=0.05)
    assert len(np.unique(np.round(first, 12))) > n_trials * 0.95      # new draw each trial
    again = CoincidenceNetwork(delays, 1.0, 1e9, module=built_module, seed=9)
    again.connect(w, np.zeros(1), noise_sd=0.2, n_steps=T)
    assert np.array_equal(again.run(trials, T, windows), s)            # same seed, same draws


def test_spiking_variant_emits_at_threshold(built_module):
    setup_kernel(KernelConfig(resolution=1.0), module=built_module)
    import nest
    n = nest.Create(CD_SOMA, params={"spiking": True, "V_th": 2.5, "tau_m": 1e9})
    g = nest.Create("spike_generator", params={"spike_times": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    sr = nest.Create("spike_recorder")
    quiet = nest.Create(CD_SOMA, params={"V_th": 2.5, "tau_m": 1e9})   # spiking off
    nest.Connect(g, n + quiet, syn_spec={"weight": 1.0, "delay": 1.0})
    nest.Connect(n + quiet, sr)
    nest.Simulate(10.0)
    # a spike at t with delay 1 enters V in the step ending at t + 2: V reaches 3 at 5 and 8
    ev = sr.get("events")
    assert ev["times"].tolist() == [5.0, 8.0] and set(ev["senders"]) == {n.global_id}
    assert quiet.get("V") == pytest.approx(6.0, rel=1e-6) and quiet.get("V_max") >= quiet.get("V")


def test_cd_train_eval_report_end_to_end(built_module, tmp_path, capsys):
    from seqnest.cli import main
    run = tmp_path / "run"
    assert main(["cd-train", "--task", "patterns", "--epochs", "3", "--seed", "4",
                 "--set", "training.n_train=120", "--set", "training.n_test=40",
                 "--set", "task.n_channels=12", "--set", "task.n_classes=3", "--n-d", "4",
                 "--no-progress", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_weights"] == 3 * 12 * 4 + 3
    assert main(["cd-eval", str(run), "--threads", "2"]) == 0
    ev = json.loads((run / "eval" / "sigma0" / "eval.json").read_text())
    assert ev["agreement"]["max_rel_diff"] <= 1e-6 and ev["agreement"]["argmax_identical"]
    assert ev["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert np.asarray(ev["confusion"]).sum() == 40
    assert ev["ci95"][0] <= ev["accuracy"] <= ev["ci95"][1]
    assert main(["cd-eval", str(run), "--noise", "0.1", "--trials", "80",
                 "--set", "rram.levels=16"]) == 0
    noisy = json.loads((run / "eval" / "sigma0.1" / "eval.json").read_text())
    assert noisy["trials"] == 80 and noisy["rram"]["levels"] == 16 and "agreement" not in noisy
    capsys.readouterr()
    # bad input: one line, nothing written
    assert main(["cd-eval", str(run), "--noise", "-0.1"]) == 2
    assert "rram.sigma" in capsys.readouterr().err and not (run / "eval" / "sigma-0.1").exists()
    assert main(["cd-eval", str(run), "--threads", "500"]) == 2
    assert "threads" in capsys.readouterr().err
    assert main(["cd-eval", str(run), "--set", "network.n_d=3"]) == 2
    assert "rram.*" in capsys.readouterr().err
    assert main(["cd-eval", str(tmp_path / "nothing")]) == 2
    assert "not found" in capsys.readouterr().err
    (run / "model.npz").rename(run / "model.bak")
    (run / "model.npz").write_bytes(b"garbage")
    assert main(["cd-eval", str(run), "--out", str(tmp_path / "e")]) == 2
    assert "corrupt model file" in capsys.readouterr().err and not (tmp_path / "e").exists()
    (run / "model.bak").replace(run / "model.npz")
    # an existing evaluation is not replaced without --force
    assert main(["cd-eval", str(run)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["cd-eval", str(run), "--force"]) == 0
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    assert "accuracy_vs_noise" in page and "delays" in page


def test_shd_files_train_and_run_in_nest(built_module, tmp_path):
    from seqnest.cli import main
    from seqnest.sequences.tasks.shd import write_shd
    rng = np.random.default_rng(3)

    def sample(label):
        n = 300
        units = (label * 35 + rng.integers(0, 60, n)) % 700
        return np.sort(rng.uniform(0, 1.2, n)), units

    for name, n in (("shd_train.h5", 40), ("shd_test.h5", 12)):
        labels = rng.integers(0, 20, n)
        write_shd(tmp_path / name, [sample(lab) for lab in labels], labels)
    run = tmp_path / "run"
    assert main(["cd-train", "--task", "shd", "--data", str(tmp_path), "--n-d", "2",
                 "--epochs", "1", "--no-progress", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_weights"] == 700 * 20 * 2 + 20 and metrics["n_test"] == 12
    assert 5.0 <= metrics["delays_ms"]["min"] and metrics["delays_ms"]["max"] <= 1000.0
    assert main(["cd-eval", str(run), "--threads", "2", "--no-progress"]) == 0
    ev = json.loads((run / "eval" / "sigma0" / "eval.json").read_text())
    assert ev["agreement"]["max_rel_diff"] <= 1e-6 and ev["agreement"]["argmax_identical"]
