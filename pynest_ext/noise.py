# SPDX-License-Identifier: GPL-2.0-or-later
"""Background noise and oscillations injected as currents (Bouhadjar et al. 2023).

Three kinds, each a current added to the soma of every excitatory neuron
(``stm_neuron_stim``, which has a current input):

``uncorrelated``
    Independent zero-mean Gaussian current per neuron, standard deviation
    ``sigma``, a new value every ``tau_n`` (NEST's ``noise_generator``, which
    sends each target its own current).
``shared``
    The same current with pairwise correlation ``c`` within each subpopulation
    and none across subpopulations, ``sigma`` independent of ``c``: the sum of a
    component shared by the subpopulation (standard deviation sigma*sqrt(c); one
    ``step_current_generator`` per subpopulation, its values drawn from the run's
    seeded generator on the same tau_n grid) and an independent one
    (sigma*sqrt(1 - c); ``noise_generator``). Variance sigma^2, covariance
    c*sigma^2 within a subpopulation.
``oscillation``
    A sinusoid of amplitude ``amplitude`` and frequency ``frequency`` per
    subpopulation (``ac_generator``) with a phase drawn uniformly per
    subpopulation; the replay draws each cue's onset uniformly over one period,
    so the cue locks at a random phase.

Why correlation matters (Bouhadjar et al. 2023): the branch that wins is the
one whose rho predicted neurons fire first. The mean latency of rho neurons
with spike-time variance v and pairwise correlation c varies from trial to
trial with variance (v/rho)(1 + (rho - 1)c): independent jitter averages out,
shared jitter does not.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from seqnest.params import Choice, Param, ParameterSet, positive

__all__ = ["NoiseParams", "NOISE_KINDS", "inject_noise", "NoiseDevices"]

PAPER2023 = "Bouhadjar et al. 2023, PLoS Comput Biol 19:e1010989"
SUMMARY = PAPER2023 + " (secondary summary; an estimate to vary)"

NOISE_KINDS = ("none", "uncorrelated", "shared", "oscillation")


#: Largest noise s.d. or oscillation amplitude accepted (pA): a current of 1 nA swings
#: the membrane by tens of mV, beyond any regime the replay study explores.
MAX_CURRENT_PA = 1000.0


class NoiseParams(ParameterSet):
    """Noise injected into the excitatory neurons during replay."""

    NAME = "noise"
    SPECS = {
        "kind": Choice("none", NOISE_KINDS, "none, uncorrelated (independent per neuron), "
                       "shared (correlated within each subpopulation) or oscillation "
                       "(sinusoid per subpopulation, cue at a random phase)", PAPER2023),
        "sigma": Param(15.0, "pA", "standard deviation of the noise current of each neuron "
                       "(uncorrelated, shared)", SUMMARY + ": ~15 pA with c = 1 matches "
                       "probabilities; at most 1 nA (a membrane s.d. of ~12 mV at tau_n = 2 ms, "
                       "far above the 5 mV replay threshold)", low=0.0, high=MAX_CURRENT_PA),
        "tau_n": positive(2.0, "ms", "correlation time of the noise: the current takes a new "
                          "value every tau_n (piecewise constant, as NEST's noise_generator)",
                          "this package's estimate: the decay time of the external synaptic "
                          "current (2 ms), as for background input through synapses"),
        "c": Param(1.0, "1", "pairwise correlation of the noise currents within a "
                   "subpopulation (shared); sigma stays fixed as c varies", SUMMARY,
                   low=0.0, high=1.0),
        "amplitude": Param(8.0, "pA", "amplitude of the oscillatory current (oscillation)",
                           SUMMARY + ": 0-16 pA; at most 1 nA", low=0.0,
                           high=MAX_CURRENT_PA),
        "frequency": Param(10.0, "Hz", "frequency of the oscillation; at least 1 Hz (each "
                           "trial lasts one period longer)", SUMMARY + ": 10, 30 and 70 Hz",
                           low=1.0),
    }

    @property
    def active(self) -> bool:
        """Whether anything is injected."""
        if self.kind in ("uncorrelated", "shared"):
            return self.sigma > 0
        return self.kind == "oscillation" and self.amplitude > 0

    @property
    def period(self) -> float:
        """Period of the oscillation (ms)."""
        return 1000.0 / self.frequency

    def check_resolution(self, resolution: float) -> None:
        """tau_n must be a whole number of simulation steps (NEST's noise_generator)
        and an oscillation must be slower than half the step rate."""
        steps = self.tau_n / resolution
        self._require(abs(steps - round(steps)) < 1e-9 and round(steps) >= 1,
                      f"noise.tau_n ({self.tau_n:g} ms) must be a multiple of the "
                      f"resolution ({resolution:g} ms)")
        nyquist = 500.0 / resolution
        self._require(self.kind != "oscillation" or self.frequency <= nyquist,
                      f"noise.frequency ({self.frequency:g} Hz) exceeds what the resolution "
                      f"({resolution:g} ms) can represent ({nyquist:g} Hz)")

    def describe_short(self) -> str:
        """One line naming the condition (for logs and figure labels)."""
        if self.kind in ("uncorrelated", "shared"):
            extra = f", c {self.c:g}" if self.kind == "shared" else ""
            return f"{self.kind} noise, sigma {self.sigma:g} pA, tau_n {self.tau_n:g} ms{extra}"
        if self.kind == "oscillation":
            return f"oscillation, {self.amplitude:g} pA at {self.frequency:g} Hz"
        return "no noise"


class NoiseDevices:
    """The NEST devices of one noise condition (kept so they stay inspectable)."""

    def __init__(self) -> None:
        self.independent = None          # noise_generator (each target its own current)
        self.shared: list = []           # step_current_generator per subpopulation
        self.oscillators: list = []      # ac_generator per subpopulation
        self.phases_deg: list[float] = []


def inject_noise(nest, subpopulations: Sequence, params: NoiseParams, t_stop: float,
                 resolution: float, rng: np.random.Generator) -> NoiseDevices:
    """Create and connect the noise devices of ``params`` to ``subpopulations``.

    Parameters
    ----------
    nest : module
        PyNEST, kernel set up.
    subpopulations : sequence of NodeCollection
        Neurons with a current input (``stm_neuron_stim``), one collection per
        subpopulation.
    t_stop : float
        End of the simulation (ms): the shared component is drawn up to here.
    resolution : float
        Simulation step (ms).
    rng : numpy.random.Generator
        Draws the shared components and the phases (the run's seeded stream).
    """
    devices = NoiseDevices()
    if not params.active:
        return devices
    if params.kind == "oscillation":
        for pop in subpopulations:
            phase = float(rng.uniform(0.0, 360.0))
            gen = nest.Create("ac_generator", params={
                "amplitude": float(params.amplitude), "frequency": float(params.frequency),
                "phase": phase, "offset": 0.0})
            nest.Connect(gen, pop)
            devices.oscillators.append(gen)
            devices.phases_deg.append(phase)
        return devices
    params.check_resolution(resolution)
    c = 0.0 if params.kind == "uncorrelated" else float(params.c)
    dt = round(round(params.tau_n / resolution) * resolution, 10)
    sd_own = params.sigma * math.sqrt(1.0 - c)
    if sd_own > 0:
        devices.independent = nest.Create("noise_generator", params={
            "mean": 0.0, "std": float(sd_own), "dt": dt})
        for pop in subpopulations:
            nest.Connect(devices.independent, pop)
    sd_shared = params.sigma * math.sqrt(c)
    if sd_shared > 0:
        # values change on the same grid as the noise_generator's: k * dt, k >= 1
        times = np.round(np.arange(dt, t_stop + dt, dt), 10)
        for pop in subpopulations:
            gen = nest.Create("step_current_generator", params={
                "amplitude_times": times,
                "amplitude_values": rng.normal(0.0, sd_shared, times.size)})
            nest.Connect(gen, pop)
            devices.shared.append(gen)
    return devices
