# SPDX-License-Identifier: GPL-2.0-or-later
"""The injected noise currents have the standard deviation and pairwise correlation asked for.

The currents are read through the soma of ``stm_neuron_stim`` with tau_m =
0.01 ms: V_m then follows I * tau_m / C_m within e^-10 after every step, so a
multimeter sampling V_m once per hold interval tau_n reads the injected
current of every neuron (no synaptic input, threshold out of reach).
"""
import numpy as np
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, setup_kernel
from seqnest.pynest_ext.noise import NoiseParams, inject_noise

pytestmark = pytest.mark.nest

TAU_M, C_M = 0.01, 250.0
SUBPOPS, PER_POP = 3, 12
T_SIM = 4000.0


def _currents(built_module, params: NoiseParams, seed: int = 3) -> np.ndarray:
    """Injected current (pA) per sample (rows) and neuron (columns, by subpopulation)."""
    names = setup_kernel(KernelConfig(seed=seed), module=built_module)
    import nest
    neurons = nest.Create(names.stim_neuron, SUBPOPS * PER_POP,
                          params={"tau_m": TAU_M, "C_m": C_M, "V_th": 1e9})
    pops = [neurons[k * PER_POP:(k + 1) * PER_POP] for k in range(SUBPOPS)]
    inject_noise(nest, pops, params, T_SIM, nest.resolution, np.random.default_rng(seed))
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": params.tau_n,
                                           "start": 10.0})
    nest.Connect(mm, neurons)
    nest.Simulate(T_SIM)
    ev = mm.get("events")
    senders = np.asarray(ev["senders"]) - neurons[0].global_id
    times = np.asarray(ev["times"])
    grid = np.unique(times)
    out = np.zeros((grid.size, SUBPOPS * PER_POP))
    out[np.searchsorted(grid, times), senders] = np.asarray(ev["V_m"])
    return out * C_M / TAU_M


def _pair_correlations(currents: np.ndarray) -> tuple[float, float]:
    """Mean pairwise correlation within and across subpopulations."""
    r = np.corrcoef(currents.T)
    pop = np.arange(currents.shape[1]) // PER_POP
    same = (pop[:, None] == pop[None, :]) & ~np.eye(pop.size, dtype=bool)
    other = pop[:, None] != pop[None, :]
    return float(r[same].mean()), float(r[other].mean())


@pytest.mark.parametrize("c", [0.0, 0.3, 1.0])
def test_shared_noise_has_sigma_and_correlation(built_module, c):
    p = NoiseParams(kind="shared", sigma=15.0, tau_n=2.0, c=c)
    cur = _currents(built_module, p)
    # ~2,000 samples per neuron, 36 neurons: s.d. within 3 %, mean near 0
    assert cur.std(axis=0).mean() == pytest.approx(15.0, rel=0.03)
    assert abs(cur.mean()) < 0.5
    within, across = _pair_correlations(cur)
    assert within == pytest.approx(c, abs=0.05)
    assert abs(across) < 0.05


def test_uncorrelated_noise_is_independent(built_module):
    cur = _currents(built_module, NoiseParams(kind="uncorrelated", sigma=20.0, tau_n=1.0, c=1.0))
    assert cur.std(axis=0).mean() == pytest.approx(20.0, rel=0.03)
    within, across = _pair_correlations(cur)
    assert abs(within) < 0.05 and abs(across) < 0.05


def test_noise_is_correlated_over_tau_n_only(built_module):
    """Sampled every step: the current stays correlated within tau_n and not beyond."""
    p = NoiseParams(kind="shared", sigma=10.0, tau_n=2.0, c=0.5)
    names = setup_kernel(KernelConfig(seed=5), module=built_module)
    import nest
    n = nest.Create(names.stim_neuron, 4, params={"tau_m": TAU_M, "C_m": C_M, "V_th": 1e9})
    inject_noise(nest, [n], p, 2000.0, nest.resolution, np.random.default_rng(5))
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(mm, n)
    nest.Simulate(2000.0)
    ev = mm.get("events")
    for k in range(4):
        v = np.asarray(ev["V_m"])[np.asarray(ev["senders"]) == n[k].global_id][20:]
        v = v - v.mean()

        def autocorr(lag: int) -> float:
            return float(np.dot(v[:-lag], v[lag:]) / np.dot(v, v))

        # piecewise constant over 20 steps: triangular autocorrelation 1 - lag/20
        assert autocorr(5) == pytest.approx(0.75, abs=0.1)
        assert abs(autocorr(25)) < 0.1


def test_oscillation_is_a_sinusoid_per_subpopulation(built_module):
    p = NoiseParams(kind="oscillation", amplitude=8.0, frequency=30.0)
    cur = _currents(built_module, p.replace(tau_n=0.5))
    # amplitude: peak of each neuron's current; identical within, phases differ across
    assert np.abs(cur).max(axis=0) == pytest.approx(np.full(cur.shape[1], 8.0), rel=0.01)
    within, across = _pair_correlations(cur)
    assert within == pytest.approx(1.0, abs=1e-6)
    assert across < 0.99


def test_bad_noise_values_are_refused():
    from seqnest.params import ParameterError
    with pytest.raises(ParameterError, match="sigma"):
        NoiseParams(sigma=-1.0)
    with pytest.raises(ParameterError, match="c"):
        NoiseParams(c=1.5)
    with pytest.raises(ParameterError, match="kind"):
        NoiseParams(kind="pink")
    with pytest.raises(ParameterError, match="resolution"):
        NoiseParams(tau_n=0.25).check_resolution(0.1)
