# SPDX-License-Identifier: GPL-2.0-or-later
"""RRAM delay and weight devices."""
import math

import numpy as np
import pytest

from seqnest.pynest_ext.devices import RramDelayParams, RramWeightParams
from seqnest.params import ParameterError


def test_delays_are_lognormal_rounded_and_capped():
    p = RramDelayParams()                          # the paper's devices: mean 500 ms
    rng = np.random.default_rng(1)
    d = p.draw((200_000,), 5.0, rng) * 5.0
    assert np.all(d % 5.0 == 0) and d.max() <= 1000.0 and d.min() >= 5.0
    assert np.mean(d) == pytest.approx(500.0, rel=0.02)
    assert np.log(d[d < 1000]).std() == pytest.approx(0.4, rel=0.1)
    capped = RramDelayParams(max=300.0).draw((10_000,), 5.0, rng)
    assert capped.max() == 60
    assert RramDelayParams(C=0.1, R_mean=30, sigma_ln=1.0).draw((50_000,), 1.0, rng).min() == 1


def test_impossible_delays_are_rejected():
    with pytest.raises(ParameterError, match="rounds below the resolution"):
        RramDelayParams(C=1e-6).check(1.0)
    with pytest.raises(ParameterError, match="delays.max"):
        RramDelayParams(max=0.5).check(1.0)
    with pytest.raises(ParameterError, match="sigma_ln"):
        RramDelayParams(sigma_ln=-1)


def test_weight_devices():
    rng = np.random.default_rng(2)
    w = rng.normal(0, 1, (20, 30))
    w[0, :5] = 0.0
    ideal = RramWeightParams()
    assert ideal.ideal and np.array_equal(ideal.program(w, rng), w)
    q = RramWeightParams(levels=5).program(w, rng)
    assert len(np.unique(np.abs(q))) <= 5 and np.abs(q).max() == pytest.approx(np.abs(w).max())
    assert np.all(q[0, :5] == 0)
    leaky = RramWeightParams(on_off_ratio=10, sigma_d2d=0.1).program(w, rng)
    assert np.all(leaky[0, :5] != 0) and np.abs(leaky[0, :5]).max() < 0.2 * np.abs(w).max()
    noisy = RramWeightParams(sigma=0.1)
    reads = np.stack([noisy.read(w, rng) for _ in range(400)])
    assert np.all(reads[:, 0, :5] == 0)
    sd = (reads - w)[:, 1:, :].std()
    assert sd == pytest.approx(0.1 * np.abs(w).max(), rel=0.05)
    assert noisy.noise_sd(w) == pytest.approx(0.1 * np.abs(w).max())
    with pytest.raises(ParameterError, match="rram.sigma"):
        RramWeightParams(sigma=-0.1)
    assert math.isinf(RramWeightParams().levels)
