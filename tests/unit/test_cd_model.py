# SPDX-License-Identifier: GPL-2.0-or-later
"""The DenRAM model: forward pass against a naive loop, exact gradients, training learns."""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.devices import RramWeightParams
from seqnest.sequences.coincidence.model import forward, loss_and_grads
from seqnest.sequences.coincidence.train import TrainParams, accuracy, predict, train
from seqnest.sequences.tasks.mts_xor import make_mts_xor
from seqnest.sequences.tasks.patterns import PatternParams, make_patterns
from seqnest.sequences.tasks.spike_data import SpikeDataset


def _naive_scores(w, b, delays, decay, data: SpikeDataset, k: int) -> np.ndarray:
    x = data.dense(k)
    n_out, n_in, n_d = w.shape
    T = data.n_steps
    V = np.zeros((n_out, T))
    v = np.zeros(n_out)
    for t in range(T):
        inp = b.copy()
        for n in range(n_out):
            for i in range(n_in):
                for j in range(n_d):
                    s = t - delays[n, i, j]
                    if s >= 0:
                        inp[n] += w[n, i, j] * x[i, s]
        v = np.maximum(0.0, decay * v + inp)
        V[:, t] = v
    return np.stack([V[:, a:c].max(axis=1) for a, c in data.windows])


def _random_model(rng, data, n_d=3, max_delay=30):
    n_out = data.n_classes
    delays = rng.integers(1, max_delay, (n_out, data.n_channels, n_d))
    w = rng.normal(0.0, 0.3, (n_out, data.n_channels, n_d))
    b = rng.normal(0.0, 0.1, n_out)
    return w, b, delays


def test_forward_matches_a_naive_loop_with_repeated_spikes():
    rng = np.random.default_rng(5)
    data = make_patterns(3, rng, PatternParams(n_classes=3, n_channels=6, pattern_steps=20,
                                               tail_steps=5, background=200.0))
    # a repeated spike (same step and channel) counts twice
    s, c = data.sample(0)
    data = SpikeDataset.from_samples("t", 1.0, data.n_steps, 6, 3, data.windows, data.labels,
                                     [(np.r_[s, s[:2]], np.r_[c, c[:2]]), data.sample(1),
                                      data.sample(2)])
    w, b, delays = _random_model(rng, data, max_delay=12)
    decay = math.exp(-1 / 7.0)
    fw = forward(w, b, delays, decay, data.batch(np.arange(3)), data.n_steps, data.windows)
    for k in range(3):
        np.testing.assert_allclose(fw.scores[k], _naive_scores(w, b, delays, decay, data, k),
                                   rtol=1e-12, atol=1e-12)
    assert np.any(fw.u < 0)       # the clamp was exercised


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(11)
    data = make_mts_xor(4, rng)
    w, b, delays = _random_model(rng, data, max_delay=40)
    w *= 0.3
    decay = math.exp(-1 / 10.0)
    args = (delays, decay, data.batch(np.arange(4)), data.labels, data.n_steps, data.windows)
    _, g_w, g_b, fw = loss_and_grads(w, b, *args)
    assert np.any(fw.u <= 0) and np.any(fw.u > 0)
    eps = 1e-6
    for _ in range(15):
        idx = tuple(rng.integers(0, s) for s in w.shape)
        plus, minus = w.copy(), w.copy()
        plus[idx] += eps
        minus[idx] -= eps
        num = (loss_and_grads(plus, b, *args)[0] - loss_and_grads(minus, b, *args)[0]) / (2 * eps)
        assert num == pytest.approx(g_w[idx], rel=1e-5, abs=1e-9)
    for n in range(len(b)):
        plus, minus = b.copy(), b.copy()
        plus[n] += eps
        minus[n] -= eps
        num = (loss_and_grads(w, plus, *args)[0] - loss_and_grads(w, minus, *args)[0]) / (2 * eps)
        assert num == pytest.approx(g_b[n], rel=1e-5, abs=1e-9)


def test_training_learns_the_patterns_and_noise_aware_training_runs():
    p = PatternParams(n_classes=4, n_channels=12, pattern_steps=20, tail_steps=4, jitter=1.0,
                      background=2.0, pattern_seed=7)
    data = make_patterns(200, np.random.default_rng(1), p)
    test = make_patterns(100, np.random.default_rng(2), p)
    delays = np.random.default_rng(3).integers(1, 20, (4, 12, 4))
    for sigma in (0.0, 0.1):
        res = train(data, test, delays, 3.0, TrainParams(epochs=8, sigma_train=sigma),
                    RramWeightParams(), np.random.default_rng(4))
        acc = accuracy(predict(res.weights, res.bias, delays, math.exp(-1 / 3.0), test),
                       test.labels)
        assert acc > 0.8, (sigma, acc)
        assert res.history[-1]["loss"] < res.history[0]["loss"]
