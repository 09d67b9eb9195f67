# SPDX-License-Identifier: GPL-2.0-or-later
"""Offline training of the DenRAM weights (delays fixed), as in D'Agostino et al. 2024.

Mini-batch Adam on the softmax cross-entropy of :mod:`.model`. Noise-aware
training: every batch's forward pass uses the weights as the devices would
read them (rounded to the conductance levels if finite, plus read noise
N(0, 1) * sigma_train * max|w| on non-zero weights) and the gradient is
applied to the underlying weights unchanged (straight-through estimator).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from seqnest.pynest_ext.devices import RramWeightParams
from seqnest.params import Choice, Param, ParameterSet, positive

from seqnest.sequences.tasks.spike_data import SpikeDataset
from seqnest.sequences.coincidence.metrics import accuracy
from seqnest.sequences.coincidence.model import forward, loss_and_grads

__all__ = ["TrainParams", "TrainResult", "init_weights", "predict", "train"]

OURS = "this package (training choice)"


class TrainParams(ParameterSet):
    NAME = "training"
    SPECS = {
        "epochs": Param(30, "1", "passes over the training set", OURS, low=1, high=100000,
                        integer=True),
        "batch_size": Param(32, "1", "samples per gradient step", OURS, low=1, high=65536,
                            integer=True),
        "learning_rate": positive(0.03, "1", "Adam step size at the start, relative to the "
                                  "s.d. of the initial weights", OURS),
        "schedule": Choice("cosine", ("cosine", "constant"), "learning-rate schedule over "
                           "the epochs (cosine: decays to 0 at the last step)", OURS),
        "n_train": Param(2000, "1", "training samples (generated; for shd at most this many are read)", OURS, low=1,
                         high=10_000_000, integer=True),
        "n_test": Param(500, "1", "test samples (generated; for shd at most this many are read)", OURS, low=1,
                        high=10_000_000, integer=True),
        "sigma_train": Param(0.0, "1", "read noise relative to max|w| during training "
                             "(noise-aware training; 0: none)", "D'Agostino et al. 2024",
                             low=0.0, high=10.0),
        "w_max": Param(0.0, "1", "bound on |w| after every step, in units of the initial "
                       "weight s.d. (0: none); a lower max|w| lowers the read noise "
                       "sigma * max|w| of every device", OURS, low=0.0),
        "init_scale": positive(1.0, "1", "s.d. of the initial weights, in units of "
                               "1/sqrt(expected arrivals per step)", OURS),
    }


@dataclass
class TrainResult:
    weights: np.ndarray
    bias: np.ndarray
    history: list[dict] = field(default_factory=list)


def _decay(dt: float, tau_m: float) -> float:
    return math.exp(-dt / tau_m)


def weight_scale(data: SpikeDataset, n_d: int, scale: float) -> float:
    """``scale`` / sqrt(expected spike arrivals per step at one output): the s.d. of
    the initial weights, and the unit of the learning rate."""
    rate = len(data.steps) / max(1, len(data) * data.n_steps * data.n_channels)
    return scale / math.sqrt(max(data.n_channels * n_d * rate, 1e-9))


def init_weights(data: SpikeDataset, n_out: int, n_d: int, scale: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian weights whose summed input per step has s.d. ``scale``, small positive mean."""
    sd = weight_scale(data, n_d, scale)
    w = rng.normal(0.2 * sd, sd, size=(n_out, data.n_channels, n_d))
    return w, np.zeros(n_out)


def predict(weights: np.ndarray, bias: np.ndarray, delays: np.ndarray, decay: float,
            data: SpikeDataset, batch_size: int = 128) -> np.ndarray:
    """Scores (n, W, n_out) of every sample of ``data``."""
    out = np.empty((len(data), data.n_windows, weights.shape[0]))
    for a in range(0, len(data), batch_size):
        index = np.arange(a, min(a + batch_size, len(data)))
        out[index] = forward(weights, bias, delays, decay, data.batch(index), data.n_steps,
                             data.windows).scores
    return out


def train(data: SpikeDataset, test: SpikeDataset, delays: np.ndarray, tau_m: float,
          params: TrainParams, rram: RramWeightParams, rng: np.random.Generator,
          init: tuple[np.ndarray, np.ndarray] | None = None,
          progress: Callable[[dict], None] | None = None) -> TrainResult:
    """Train weights and biases on ``data``; test accuracy after every epoch."""
    n_out, _, n_d = delays.shape
    decay = _decay(data.dt, tau_m)
    w, b = init if init is not None else init_weights(data, n_out, n_d, params.init_scale, rng)
    w, b = w.copy(), b.copy()
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    beta1, beta2, eps, step = 0.9, 0.999, 1e-8, 0
    total = params.epochs * math.ceil(len(data) / params.batch_size)
    unit = weight_scale(data, n_d, params.init_scale)
    history = []
    for epoch in range(params.epochs):
        order = rng.permutation(len(data))
        losses = []
        for a in range(0, len(order), params.batch_size):
            index = order[a:a + params.batch_size]
            w_read = rram.quantise(w)
            if params.sigma_train > 0:
                w_read = rram.read(w_read, rng, sigma=params.sigma_train)
            loss, g_w, g_b, _ = loss_and_grads(w_read, b, delays, decay, data.batch(index),
                                               data.labels[index], data.n_steps, data.windows)
            losses.append(loss)
            lr = params.learning_rate * unit
            if params.schedule == "cosine":
                lr *= 0.5 * (1.0 + math.cos(math.pi * step / total))
            step += 1
            for p, g, mi, vi in ((w, g_w, m[0], v[0]), (b, g_b, m[1], v[1])):
                mi *= beta1
                mi += (1 - beta1) * g
                vi *= beta2
                vi += (1 - beta2) * g * g
                p -= lr * (mi / (1 - beta1 ** step)) / (
                    np.sqrt(vi / (1 - beta2 ** step)) + eps)
            if params.w_max > 0:
                np.clip(w, -params.w_max * unit, params.w_max * unit, out=w)
        test_acc = accuracy(predict(rram.quantise(w), b, delays, decay, test), test.labels)
        row = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "test_accuracy": test_acc}
        history.append(row)
        if progress is not None:
            progress(row)
    return TrainResult(w, b, history)
