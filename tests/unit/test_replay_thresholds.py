# SPDX-License-Identifier: GPL-2.0-or-later
"""The replay dAP threshold derived from a learned network's inputs (no NEST)."""
import numpy as np

from seqnest.sequences.temporal_memory.replay_thresholds import (StepInputs, derive_theta,
                                                                 step_inputs)

N_E, W, Q = 10, 12.0, 3     # neurons per element, mature weight (pA), quorum


def _network(off_weight=0.0):
    """Elements A B C; A's first 5 neurons project with 5 mature synapses each onto
    B's first 4 neurons, B's first 4 onto C's first 4; every other pair of neurons
    is connected by an off-state synapse of ``off_weight``."""
    src, tgt, w = [], [], []
    for i in range(3 * N_E):
        for j in range(3 * N_E):
            if i == j:
                continue
            mature = (i < 5 and N_E <= j < N_E + 4) or (N_E <= i < N_E + 4 and 2 * N_E <= j < 2 * N_E + 4)
            src.append(i), tgt.append(j), w.append(W if mature else off_weight)
    return np.array(src), np.array(tgt), np.array(w)


def _steps(conn, spikes, daps):
    return step_inputs(conn, N_E, ("A", "B", "C"), [("A", "B", "C")], [[0.0, 40.0, 80.0]],
                       spikes, daps, Q, first_whole=False)


def test_inputs_and_a_separating_threshold():
    spikes = (np.array([0, 1, 2, 3, 4, 10, 11, 12, 13]),
              np.array([1.0, 1, 1, 1, 1, 41, 41, 41, 41]))
    daps = (np.array([10, 11, 12, 13, 20, 21, 22, 23]), np.array([5.0, 5, 5, 5, 45, 45, 45, 45]))
    steps = _steps(_network(), spikes, daps)
    assert len(steps) == 2
    np.testing.assert_allclose(steps[0].targets, [5 * W] * 4)    # A's five onto each of B's four
    np.testing.assert_allclose(steps[1].targets, [4 * W] * 4)
    assert np.all(steps[0].rivals == 0)
    d = derive_theta(steps, Q)
    assert d.separable and d.low == 0.0 and d.high == 4 * W and d.theta_dAP == 2 * W
    assert d.steps == d.steps_satisfied == 2


def test_the_off_state_background_raises_the_threshold():
    spikes = (np.array([0, 1, 2, 3, 4, 10, 11, 12, 13]),
              np.array([1.0, 1, 1, 1, 1, 41, 41, 41, 41]))
    daps = (np.array([10, 11, 12, 13, 20, 21, 22, 23]), np.array([5.0, 5, 5, 5, 45, 45, 45, 45]))
    d = derive_theta(_steps(_network(off_weight=3.0), spikes, daps), Q)
    # a rival neuron gets 5 (or 4) off-state inputs of 3 pA; a target 4 or 5 mature ones more
    assert d.separable and d.low == 15.0 and d.theta_dAP > 15.0 and d.theta_dAP < 4 * W + 12


def test_inseparable_steps_are_reported():
    steps = [StepInputs(np.array([50.0] * 5), np.array([10.0])),
             StepInputs(np.array([20.0] * 5), np.array([30.0]))]
    d = derive_theta(steps, 3)
    assert not d.separable and d.steps == 2 and d.steps_satisfied == 1
    assert 10.0 < d.theta_dAP <= 50.0
    assert derive_theta([], 3) is None


def test_without_daps_the_neurons_that_fired_are_the_targets():
    spikes = (np.array([0, 1, 2, 3, 4, 10, 11, 12, 13]),
              np.array([1.0, 1, 1, 1, 1, 41, 41, 41, 41]))
    steps = _steps(_network(), spikes, None)
    np.testing.assert_allclose(steps[0].targets, [5 * W] * 4)


def test_per_neuron_thresholds_silence_bystanders_and_keep_the_predicted():
    from seqnest.sequences.temporal_memory.replay_thresholds import per_neuron_theta
    # neuron 0: predicted (60 pA) and never a bystander above 10 pA;
    # neuron 1: never predicted, up to 70 pA as a bystander; neuron 2: predicted
    # with 50 pA but 55 pA as a bystander (cannot be separated); neuron 3 active
    inputs_a = np.array([60.0, 70.0, 50.0, 0.0, 5.0, 0.0])
    inputs_b = np.array([10.0, 20.0, 55.0, 0.0, 0.0, 0.0])
    steps = [StepInputs(inputs_a[[0, 2]], np.array([0.0]), inputs_a, np.array([0, 2]),
                        np.array([3])),
             StepInputs(inputs_b[[]], np.array([0.0]), inputs_b, np.array([], dtype=int),
                        np.array([3]))]
    theta = per_neuron_theta(steps, 40.0)
    assert theta[0] == 40.0                        # 40 lies between 10 * 1.05 + 1 and 0.95 * 60
    assert theta[1] == 70.0 * 1.05 + 1.0           # above everything it ever received
    assert theta[2] == 40.0                        # inseparable: the common value
    assert theta[4] == 40.0 and theta[5] == 40.0   # small inputs: the common value
    assert per_neuron_theta([], 40.0) is None
