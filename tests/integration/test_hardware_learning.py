# SPDX-License-Identifier: GPL-2.0-or-later
"""The sequence network with hardware synapses (set I, seed 1).

An ideal ReRAM device (continuous, infinite on/off ratio, no noise, no failed
devices) must learn exactly like the plain structural-plasticity synapse: same
initial permanences, same updates, hence the same spikes and error curve.
About 40 s.
"""
import numpy as np
import pytest

from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

pytestmark = pytest.mark.nest

EPISODES = 30


@pytest.fixture(scope="module")
def pair(built_module):
    runs = {}
    for kind in ("stdsp", "reram"):
        cfg = resolve_config(task="set1", episodes=EPISODES, seed=1, synapse=kind)
        runs[kind] = train(cfg, module=built_module, progress=False)
    return runs


def test_ideal_reram_learns_set_one_like_the_plain_synapse(pair):
    plain, reram = pair["stdsp"].metrics, pair["reram"].metrics
    assert reram["synapse"] == "reram" and plain["synapse"] == "stdsp"
    assert reram["episodes_to_convergence"] is not None
    assert reram["final_error"] < 0.01
    for key in ("error", "false_positives", "false_negatives", "active_fraction"):
        assert reram[key] == plain[key], key
    assert reram["mature_synapses_final"] == plain["mature_synapses_final"]


def test_ideal_reram_gives_the_same_spikes_and_permanences(pair):
    a, b = pair["stdsp"], pair["reram"]
    for x, y in zip(a.exc_spikes, b.exc_spikes):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.connectivity_final.permanence, b.connectivity_final.permanence)
