# SPDX-License-Identifier: GPL-2.0-or-later
"""Feed-forward dendritic coincidence detector in NEST (DenRAM).

Inputs (one ``spike_generator`` per channel) reach every output soma
(``denram_soma``) through n_d parallel dendritic branches, each a connection
with its own delay (an RRAM delay device, :class:`seqnest.pynest_ext.devices.RramDelayParams`)
and weight (an RRAM conductance, :class:`seqnest.pynest_ext.devices.RramWeightParams`);
each soma has a bias input ``I_bias`` per step.

Trials run back to back, one slot of ``T + D_max + 1`` steps each: the slot's
first step resets V and V_max; input step s of the trial is a spike at
(slot start + 1 + s) * h, so that after the run to (slot start + 1 + t + 1) * h
the somata hold the trainer's V[t] (:mod:`seqnest.sequences.coincidence.model`); the
last D_max steps let late arrivals land before the next reset. Scores are read
as V_max at the end of each readout window (V_max is reset at its start): no
recording device. All trials' input spikes are loaded into the generators once.

With read noise (sigma > 0) the branches are ``rram_dendrite_synapse``
connections, which draw each device's read value once per trial slot; without
it they are NEST's ``static_synapse`` (exactly the deterministic model).

Lifecycle: ``CoincidenceNetwork(...)`` sets up the kernel (via
:func:`seqnest.pynest_ext.kernel.setup_kernel`) and creates the somata;
:meth:`connect` programs the weights; :meth:`run` presents trials and returns
their scores.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from seqnest.pynest_ext.devices import DENRAM
from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import CD_SOMA, CD_SYNAPSE
from seqnest.params import Choice, Param, ParameterError, ParameterSet, positive
from seqnest.pynest_ext.networks.simulation import load_generators

__all__ = ["CdNetworkParams", "CoincidenceNetwork", "TrialLayout", "load_trials"]


class CdNetworkParams(ParameterSet):
    """Structure and soma of the coincidence detector."""

    NAME = "network"
    SPECS = {
        "n_d": Param(16, "1", "parallel dendritic branches (delays) per input-output pair",
                     DENRAM, low=1, high=1024, integer=True),
        "tau_m": positive(20.0, "ms", "leak time constant of the somata (per task: see "
                          "seqnest.sequences.coincidence.config)", "this package (estimate)"),
        "delays": Choice("rram", ("rram", "none"), "rram: delays drawn from the RRAM delay "
                         "device; none: every branch delayed by one step (the no-delay "
                         "control, same number of weights)", DENRAM),
    }


class TrialLayout:
    """Where trial k's steps lie on the simulation grid (in steps of h)."""

    def __init__(self, n_steps: int, max_delay: int) -> None:
        self.n_steps = int(n_steps)
        self.period = int(n_steps) + int(max_delay) + 1

    def origin(self, k: int | np.ndarray) -> int | np.ndarray:
        """Step at which trial k's V is reset; its input step s is a spike at origin + 1 + s."""
        return np.asarray(k) * self.period


def load_trials(generators, trials: Sequence[tuple[np.ndarray, np.ndarray]],
                layout: TrialLayout, h: float) -> None:
    """Set the ``spike_times`` of one ``spike_generator`` per channel so that trial k's
    input step s is a spike at (layout.origin(k) + 1 + s) * h."""
    chans, times = [], []
    for k, (steps, channels) in enumerate(trials):
        chans.append(np.asarray(channels, np.int64))
        times.append(layout.origin(k) + 1 + np.asarray(steps, np.int64))
    load_generators(generators, np.concatenate(chans) if chans else np.zeros(0, np.int64),
                    np.concatenate(times) if times else np.zeros(0, np.int64), h)


class CoincidenceNetwork:
    """The DenRAM network in NEST; see the module docstring."""

    def __init__(self, delays: np.ndarray, dt: float, tau_m: float, threads: int = 1,
                 seed: int = 1, module=None, spiking: bool = False) -> None:
        delays = np.asarray(delays)
        if delays.ndim != 3 or not np.issubdtype(delays.dtype, np.integer):
            raise ParameterError("delays: expected whole steps of shape (n_out, n_in, n_d)")
        if delays.size and delays.min() < 1:
            raise ParameterError(f"delays: a delay of {delays.min()} steps is below the "
                                 f"resolution ({dt:g} ms)")
        self.delays = delays
        self.n_out, self.n_in, self.n_d = delays.shape
        self.h = float(dt)
        self.names = setup_kernel(KernelConfig(resolution=self.h, threads=threads, seed=seed),
                                  module)
        self._nest = nest = import_nest()
        self.somata = nest.Create(CD_SOMA, self.n_out, params={"tau_m": float(tau_m),
                                                               "spiking": bool(spiking)})
        self.inputs = nest.Create("spike_generator", self.n_in)
        self._connected = False
        self._noise = False
        self.time_simulate_s = 0.0
        self.time_load_s = 0.0
        self._step = 0

    def connect(self, weights: np.ndarray, bias: np.ndarray, noise_sd: float = 0.0,
                n_steps: int | None = None) -> None:
        """Program the branches with ``weights`` (n_out, n_in, n_d) and the biases.

        ``noise_sd`` (mV) is the read noise of every non-zero device, drawn per
        trial (needs ``n_steps``, the trial length, to place the trial slots).
        """
        if self._connected:
            raise RuntimeError("connect() was already called")
        weights = np.asarray(weights, dtype=float)
        if weights.shape != self.delays.shape:
            raise ParameterError(f"weights: shape {weights.shape} does not match the delays "
                                 f"{self.delays.shape}")
        nest = self._nest
        self.somata.set(I_bias=[float(b) for b in np.asarray(bias, dtype=float)])
        self._noise = noise_sd > 0.0
        if self._noise:
            if n_steps is None:
                raise ParameterError("read noise needs the trial length (n_steps)")
            layout = TrialLayout(n_steps, int(self.delays.max()))
            nest.SetDefaults(CD_SYNAPSE, {"sigma_abs": float(noise_sd),
                                          "trial_period": layout.period * self.h})
        for k in range(self.n_d):
            spec = {"synapse_model": CD_SYNAPSE if self._noise else "static_synapse",
                    "weight": weights[:, :, k], "delay": self.delays[:, :, k] * self.h}
            if self._noise:
                spec["w_prog"] = weights[:, :, k]
            nest.Connect(self.inputs, self.somata, "all_to_all", syn_spec=spec)
        self._connected = True

    @property
    def n_connections(self) -> int:
        return self.n_out * self.n_in * self.n_d

    def load(self, trials: Sequence[tuple[np.ndarray, np.ndarray]], n_steps: int) -> TrialLayout:
        """Put all trials' input spikes (steps, channels) into the generators."""
        layout = TrialLayout(n_steps, int(self.delays.max()))
        load_trials(self.inputs, trials, layout, self.h)
        return layout

    def run(self, trials: Sequence[tuple[np.ndarray, np.ndarray]], n_steps: int,
            windows: np.ndarray,
            progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Present ``trials`` (each (steps, channels)) and return scores (n, W, n_out).

        Can be called once per network (the generators hold one run's spikes).
        """
        if not self._connected:
            raise RuntimeError("call connect() before run()")
        if self._step:
            raise RuntimeError("run() can be called once per network")
        nest = self._nest
        windows = np.asarray(windows, dtype=np.int64)
        t0 = time.perf_counter()
        layout = self.load(trials, n_steps)
        self.time_load_s += time.perf_counter() - t0
        scores = np.empty((len(trials), len(windows), self.n_out))
        t0 = time.perf_counter()
        try:
            with nest.RunManager():
                for k in range(len(trials)):
                    start = int(layout.origin(k)) + 1
                    self._advance(start)
                    self.somata.set(V=0.0, V_max=0.0)
                    for j, (a, b) in enumerate(windows):
                        if a > 0:
                            self._advance(start + int(a))
                            self.somata.set(V_max=0.0)
                        self._advance(start + int(b))
                        scores[k, j] = np.atleast_1d(self.somata.get("V_max"))
                    if progress is not None:
                        progress(k + 1)
        finally:
            self.time_simulate_s += time.perf_counter() - t0
        return scores

    def _advance(self, step: int) -> None:
        if step > self._step:
            self._nest.Run((step - self._step) * self.h)
            self._step = step
