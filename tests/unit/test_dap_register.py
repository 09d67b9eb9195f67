# SPDX-License-Identifier: GPL-2.0-or-later
"""Decoding of stm_neuron's dAP readout register, against an emulation of the model's latch."""
import numpy as np
import pytest

from seqnest.pynest_ext.networks.dap_register import REGISTER_BITS, DapRegister

HALF = 2.0 ** 51


class EmulatedPopulation:
    """The register of each neuron, updated as stm_neuron does: in every step with an
    arrival at the external port, R <- 2 * (R mod 2**51) + dAP state (as a double)."""

    def __init__(self, M, n_E, arrivals, rng):
        self.M, self.n_E = M, n_E
        self.arrivals = arrivals                      # per subpopulation: set of steps
        self.register = np.zeros(M * n_E)
        self.rng = rng
        self.step = 0
        self.history = {}                             # step -> dAP state of all neurons

    def run_to(self, end):
        while self.step < end:
            self.step += 1
            dap = self.rng.random(self.M * self.n_E) < 0.3
            self.history[self.step] = dap
            for k in range(self.M):
                if self.step in self.arrivals[k]:
                    sl = slice(k * self.n_E, (k + 1) * self.n_E)
                    r = self.register[sl]
                    r = np.where(r >= HALF, r - HALF, r)
                    self.register[sl] = 2.0 * r + dap[sl]


def run_and_decode(samples, stimulus, M, n_E, chunks, seed=0):
    reg = DapRegister(np.asarray(samples), {k: np.asarray(v) for k, v in stimulus.items()},
                      M, n_E, resolution=0.1)
    arrivals = [set(samples) | set(stimulus.get(k, [])) for k in range(M)]
    pop = EmulatedPopulation(M, n_E, arrivals, np.random.default_rng(seed))
    times, states, reads = [], [], 0
    for end in np.cumsum(chunks):
        while (cut := reg.latest_read_step(int(end))) is not None:   # as SequenceNetwork.run
            assert cut > pop.step
            pop.run_to(cut)
            if reg.pending(pop.step):
                t, s = reg.decode(pop.step, pop.register.astype(np.uint64))
                times.append(t), states.append(s)
                reads += 1
        pop.run_to(int(end))
        if reg.pending(pop.step):
            t, s = reg.decode(pop.step, pop.register.astype(np.uint64))
            times.append(t), states.append(s)
            reads += 1
    times = np.concatenate(times) if times else np.zeros(0)
    states = np.concatenate(states) if states else np.zeros((0, M * n_E), bool)
    expected = np.array([pop.history[s] for s in samples])
    return times, states, expected, reads


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decoded_samples_are_the_states_at_the_sample_steps(seed):
    rng = np.random.default_rng(seed)
    samples = np.sort(rng.choice(np.arange(2, 3000), size=180, replace=False))
    # dense stimulus on subpopulation 0 (more than 52 arrivals between samples),
    # sparse on 1, none on 2, some arrivals on the sample steps themselves
    stimulus = {0: np.sort(rng.choice(np.arange(1, 3000), 900, replace=False)),
                1: np.concatenate([rng.choice(np.arange(1, 3000), 40, replace=False),
                                   samples[::7]])}
    chunks = rng.integers(1, 400, size=20)
    chunks[-1] += 3000 - chunks.sum() if chunks.sum() < 3000 else 0
    times, states, expected, reads = run_and_decode(list(samples), stimulus, 3, 4, chunks, seed)
    assert np.allclose(times, samples * 0.1)
    assert np.array_equal(states, expected)
    assert reads < len(samples)            # several samples per read where possible


def test_one_read_per_chunk_when_the_register_suffices():
    samples = [10, 20, 30, 110, 120, 130]
    stimulus = {0: [5, 15, 105], 1: [25]}
    times, states, expected, reads = run_and_decode(samples, stimulus, 2, 3, [100, 100])
    assert reads == 2 and np.array_equal(states, expected)


def test_reads_are_forced_before_the_register_overflows():
    samples = [5]
    stimulus = {0: list(range(6, 6 + 2 * REGISTER_BITS))}
    reg = DapRegister(np.asarray(samples), {k: np.asarray(v) for k, v in stimulus.items()},
                      1, 2, 0.1)
    # sample at 5, then 51 more arrivals fill the register: read by step 5 + 51
    assert reg.latest_read_step(1000) == 5 + REGISTER_BITS - 1
    assert reg.latest_read_step(5 + REGISTER_BITS - 1) is None
    with pytest.raises(RuntimeError, match="too late"):
        reg.decode(5 + REGISTER_BITS, np.zeros(2, np.uint64))
