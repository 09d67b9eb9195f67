# SPDX-License-Identifier: GPL-2.0-or-later
"""Spike-train analyses on synthetic trains with known answers (no NEST)."""
import math

import neo
import numpy as np
import pytest
import quantities as pq

from seqnest.sequences import analysis

T = 20.0 * pq.s


def annotated(trains, size):
    for k, st in enumerate(trains):
        st.annotate(neuron=k, subpopulation=k // size, element="ABCDEF"[k // size])
    return trains


def poisson(rate_hz, n, seed, t_stop=T):
    from elephant.spike_train_generation import StationaryPoissonProcess
    np.random.seed(seed)   # Elephant draws from NumPy's global generator
    proc = StationaryPoissonProcess(rate=rate_hz * pq.Hz, t_stop=t_stop)
    return proc.generate_n_spiketrains(n)


def regular(period_ms, n):
    return [neo.SpikeTrain(np.arange(period_ms, T.rescale("ms").magnitude, period_ms) * pq.ms,
                           t_stop=T) for _ in range(n)]


def test_subpopulation_rates_of_poisson_trains():
    trains = annotated(poisson(5.0, 20, 1) + poisson(20.0, 20, 2), 20)
    rates = analysis.subpopulation_rates(trains)
    for element, expected in (("A", 5.0), ("B", 20.0)):
        # mean of 20 neurons over 20 s: s.e. = sqrt(rate / (20 * 20 s))
        se = math.sqrt(expected / (20 * 20.0))
        assert rates[element].units == pq.Hz
        assert abs(float(rates[element].magnitude) - expected) < 5 * se


def test_isi_variability_of_regular_and_poisson_trains():
    reg = analysis.isi_variability(regular(50.0, 3))
    np.testing.assert_allclose(reg.cv, 0, atol=1e-12)
    np.testing.assert_allclose(reg.cv2, 0, atol=1e-12)
    np.testing.assert_allclose(reg.lv, 0, atol=1e-12)
    poi = analysis.isi_variability(poisson(20.0, 10, 3))
    for stat in (poi.cv, poi.cv2, poi.lv):      # all are 1 for a Poisson process
        assert np.mean(stat) == pytest.approx(1.0, abs=0.1)


def test_isi_variability_skips_neurons_with_few_spikes():
    trains = [neo.SpikeTrain([1.0, 2.0] * pq.ms, t_stop=10 * pq.ms)] + regular(50.0, 1)
    out = analysis.isi_variability(trains)
    assert list(out.neuron) == [1]
    with pytest.raises(ValueError):
        analysis.isi_variability(trains, min_spikes=2)


def test_identical_trains_correlate_at_one_and_independent_near_zero():
    a = poisson(10.0, 1, 4)[0]
    others = poisson(10.0, 2, 5)
    m = analysis.correlation_matrix([a, a.copy(), *others], bin_size=5 * pq.ms)
    assert m[0, 1] == pytest.approx(1.0)
    assert abs(m[2, 3]) < 0.05 and abs(m[0, 2]) < 0.05
    within, between = analysis.correlation_by_group(m, ["x", "x", "y", "z"])
    assert within == pytest.approx(1.0) and abs(between) < 0.05


def test_population_psth_has_units_and_the_mean_rate():
    trains = poisson(10.0, 50, 6)
    psth = analysis.population_psth(trains, 100 * pq.ms)
    assert psth.units == pq.Hz and psth.shape[0] == 200
    assert float(psth.magnitude.mean()) == pytest.approx(10.0, rel=0.05)


def test_efficiency_figures():
    assert analysis.activation_sparsity(np.array([0, 0, 1, 3]), 4) == 0.5
    assert analysis.synaptic_events(np.array([2, 0, 1]), np.array([10, 5, 3])) == 23
    assert analysis.connection_sparsity(20, 100) == pytest.approx(0.8)
    for bad in ((5, 0), (-1, 10), (11, 10)):
        with pytest.raises(ValueError):
            analysis.connection_sparsity(*bad)


def test_missing_annotations_are_named():
    with pytest.raises(ValueError, match="annotation 'element'"):
        analysis.subpopulation_rates(regular(50.0, 2))


def test_asset_finds_a_planted_sequence_in_order():
    """Six groups of 10 neurons fire synchronous volleys 10 ms apart, three times,
    over Poisson background; the neurons are shuffled so their order carries no hint."""
    rng = np.random.default_rng(1)
    groups, size, t_stop = "CAFEBD", 10, 2000.0
    times = [[] for _ in range(len(groups) * size)]
    for rep in range(3):
        for g in range(len(groups)):
            for i in range(size):
                times[g * size + i].append(200 + rep * 600 + g * 10 + rng.normal(0, 0.5))
    for t in times:
        t.extend(rng.uniform(0, t_stop, rng.poisson(2)))
    trains = []
    for k in rng.permutation(len(times)):
        st = neo.SpikeTrain(np.sort(times[k]) * pq.ms, t_stop=t_stop * pq.ms)
        st.annotate(element=groups[k // size])
        trains.append(st)
    found = analysis.detect_sequences(trains)
    assert found, "no sequence detected"
    assert all(seq.order == list(groups) for seq in found)
    assert len(found) == 3          # pairs of the three occurrences


def test_asset_finds_nothing_in_independent_trains():
    trains = annotated(poisson(5.0, 60, 7, t_stop=2.0 * pq.s), 10)
    assert analysis.detect_sequences(trains) == []
