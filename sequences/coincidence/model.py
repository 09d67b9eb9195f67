# SPDX-License-Identifier: GPL-2.0-or-later
"""The DenRAM classifier in discrete time, with exact gradients (no NEST).

Network (D'Agostino et al. 2024): every (input i, output n) pair has n_d
parallel dendritic branches k, each with a fixed delay d[n, i, k] >= 1 step and
a weight w[n, i, k]; each output has a bias b[n] added in every step. With
x_i[t] the spike count of input i in step t,

    I_n[t] = b_n + sum_{i,k} w[n,i,k] * x_i[t - d[n,i,k]]
    u_n[t] = a * V_n[t-1] + I_n[t],   a = exp(-dt / tau_m),   V_n[-1] = 0
    V_n[t] = max(0, u_n[t])

and the score of output n in readout window j is s[j, n] = max over the
window's steps of V_n[t]; the predicted class is argmax_n s[j, n]. Arrivals at
or after the last step of the trial are dropped. NEST's ``denram_soma`` runs
exactly this recursion (tested to 1e-6 relative).

**Gradients** are exact and closed-form (why no autodiff library: the model is
piecewise linear, so the gradient of a score is a sum over the spikes that
reach the neuron between its last clamp and the maximum, which is cheaper than
a dense backward pass over time and needs no extra dependency). With t* the
step of the window's maximum and c the last step <= t* with u[c] <= 0,

    ds/dI[s] = a^(t* - s)  for c < s <= t*,  else 0,

and ds/dw[n,i,k] = sum over spikes (s', i) of ds/dI[s' + d[n,i,k]],
ds/db[n] = sum_s ds/dI[s]. Scores of 0 (the neuron never rose above the clamp)
have zero gradient, as ReLU in any autodiff library. Loss: softmax
cross-entropy over the outputs in every window, averaged over windows and
samples.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqnest.sequences.tasks.spike_data import Batch

__all__ = ["Forward", "backward", "forward", "loss_and_grads", "softmax_xent"]


@dataclass
class Forward:
    """Everything the backward pass needs from one forward pass."""

    scores: np.ndarray        #: (B, W, n_out)
    t_max: np.ndarray         #: (B, W, n_out) int: step of each window's maximum
    u: np.ndarray             #: (B, n_out, T): pre-clamp values
    V: np.ndarray             #: (B, n_out, T)
    flat: np.ndarray          #: (S, n_out * n_d): index of each arrival in a (B, n_out, T_pad) array
    padded: int               #: T_pad = T + max delay + 1 (arrivals past T land in the padding)


def _arrival_index(batch: Batch, delays: np.ndarray, n_steps: int) -> tuple[np.ndarray, int]:
    """Index of every spike's arrival on every branch in a (B, n_out, T_pad) array.

    Arrivals at or after step T fall into the padding columns and are ignored,
    which needs no clipping pass over the (spikes x branches) array.
    """
    n_out, n_in, n_d = delays.shape
    padded = n_steps + int(delays.max(initial=0)) + 1
    dtype = np.int32 if batch.size * n_out * padded < 2 ** 31 else np.int64
    # per input channel: its branches' offsets n * T_pad + d, shape (n_in, n_out * n_d)
    offsets = (np.arange(n_out)[:, None, None] * padded + delays).transpose(1, 0, 2)
    offsets = offsets.reshape(n_in, n_out * n_d).astype(dtype)
    base = (batch.sample * (n_out * padded) + batch.step).astype(dtype)
    return offsets[batch.channel] + base[:, None], padded


def _by_channel(w: np.ndarray) -> np.ndarray:
    """Weights as (n_in, n_out * n_d), rows in the order of :func:`_arrival_index`."""
    n_out, n_in, n_d = w.shape
    return np.ascontiguousarray(w.transpose(1, 0, 2)).reshape(n_in, n_out * n_d)


def forward(w: np.ndarray, bias: np.ndarray, delays: np.ndarray, decay: float, batch: Batch,
            n_steps: int, windows: np.ndarray) -> Forward:
    """Run the recursion for every sample of ``batch``; scores per window."""
    n_out = w.shape[0]
    B, T = batch.size, n_steps
    flat, padded = _arrival_index(batch, delays, T)
    current = np.bincount(flat.ravel(), weights=_by_channel(w)[batch.channel].ravel(),
                          minlength=B * n_out * padded).reshape(B, n_out, padded)[:, :, :T]
    u = np.empty((B, n_out, T))
    V = np.empty((B, n_out, T))
    v = np.zeros((B, n_out))
    for t in range(T):
        ut = decay * v + bias[None, :] + current[:, :, t]
        u[:, :, t] = ut
        v = np.maximum(ut, 0.0)
        V[:, :, t] = v
    W = len(windows)
    scores = np.empty((B, W, n_out))
    t_max = np.empty((B, W, n_out), dtype=np.int64)
    for j, (a, b) in enumerate(windows):
        seg = V[:, :, a:b]
        idx = np.argmax(seg, axis=2)
        t_max[:, j, :] = a + idx
        scores[:, j, :] = np.take_along_axis(seg, idx[:, :, None], axis=2)[:, :, 0]
    return Forward(scores, t_max, u, V, flat, padded)


def softmax_xent(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(scores) and its gradient w.r.t. the scores."""
    z = scores - scores.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    B, W = labels.shape
    picked = np.take_along_axis(p, labels[:, :, None], axis=-1)[..., 0]
    loss = float(-np.mean(np.log(np.maximum(picked, 1e-300))))
    grad = p.copy()
    np.put_along_axis(grad, labels[:, :, None], np.take_along_axis(grad, labels[:, :, None],
                                                                   axis=-1) - 1.0, axis=-1)
    return loss, grad / (B * W)


def backward(fw: Forward, d_scores: np.ndarray, w_shape: tuple[int, int, int],
             decay: float, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of a loss w.r.t. the weights and biases, given dL/dscores."""
    B, n_out, T = fw.u.shape
    steps = np.arange(T)
    # last clamped step at or before each t (-1: none)
    clamped = np.where(fw.u <= 0.0, steps[None, None, :], -1)
    last_clamp = np.maximum.accumulate(clamped, axis=2)
    g_current = np.zeros((B, n_out, fw.padded))
    log_a = math.log(decay) if decay > 0 else -np.inf
    for j in range(fw.scores.shape[1]):
        t_star = fw.t_max[:, j, :]                                      # (B, n_out)
        alive = fw.scores[:, j, :] > 0.0
        c = np.take_along_axis(last_clamp, t_star[:, :, None], axis=2)[:, :, 0]
        lag = t_star[:, :, None] - steps[None, None, :]                 # t* - s
        inside = (steps[None, None, :] > c[:, :, None]) & (lag >= 0) & alive[:, :, None]
        kernel = np.where(inside, np.exp(np.where(inside, lag, 0) * log_a), 0.0)
        g_current[:, :, :T] += d_scores[:, j, :][:, :, None] * kernel
    g_bias = g_current[:, :, :T].sum(axis=(0, 2))
    per_spike = g_current.ravel()[fw.flat]                              # (S, n_out * n_d)
    n_out_, n_in, n_d = w_shape
    m = n_out_ * n_d
    rows = (batch.channel[:, None] * m + np.arange(m)[None, :]).ravel()
    g_rows = np.bincount(rows, weights=per_spike.ravel(), minlength=n_in * m)
    g_w = g_rows.reshape(n_in, n_out_, n_d).transpose(1, 0, 2)
    return np.ascontiguousarray(g_w), g_bias


def loss_and_grads(w: np.ndarray, bias: np.ndarray, delays: np.ndarray, decay: float,
                   batch: Batch, labels: np.ndarray, n_steps: int, windows: np.ndarray):
    """Loss, gradients (weights, biases) and the forward pass of one batch."""
    fw = forward(w, bias, delays, decay, batch, n_steps, windows)
    loss, d_scores = softmax_xent(fw.scores, labels)
    g_w, g_b = backward(fw, d_scores, w.shape, decay, batch)
    return loss, g_w, g_b, fw
