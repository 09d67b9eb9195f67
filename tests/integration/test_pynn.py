# SPDX-License-Identifier: GPL-2.0-or-later
"""seqnest's models from PyNN's NEST backend: the sequence network written in PyNN
(examples/pynn_set1.py) learns set I."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.nest

ROOT = Path(__file__).resolve().parents[2]


def test_types_carry_seqnest_s_models_and_units(built_module):
    code = (
        "import pyNN.nest as sim\n"
        "from seqnest.pynest_ext.pynn import pynn_models\n"
        "sim.setup(timestep=0.1)\n"
        "m = pynn_models(sim, kind='reram')\n"
        "print(m.neuron.nest_model, m.synapse.nest_name)\n"
        "print(sorted(m.neuron.receptor_types))\n"
        "print('w' in m.synapse.default_parameters, 'dAP_counts' in m.neuron.default_initial_values)\n"
        "print(round(m.static_weights()['ext'] * 1000, 1), m.synapse_parameters()['theta_P'])\n"
        "exc = sim.Population(4, m.neuron(**m.neuron_parameters()))\n"
        "sim.Projection(exc, exc, sim.AllToAllConnector(allow_self_connections=False),\n"
        "               m.synapse(**m.synapse_parameters()), receptor_type=m.DEND)\n"
        "sim.run(10.0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()[-4:]
    assert lines[0] == "stm_neuron__with_stm_reram_synapse stm_reram_synapse__with_stm_neuron"
    assert lines[1] == "['DEND_SPIKES', 'EXT_SPIKES', 'INH_SPIKES']"
    assert lines[2] == "False False"                  # PyNN gives the weight; counters stay NEST's
    assert lines[3] == "4112.2 10.0"                  # pA from nA; the shared parameters


def test_the_pynn_network_learns_set_one(built_module):
    """Unpredicted, the last element's whole subpopulation fires; once learned, about
    rho of its n_E neurons (seeds 1-4 measured: 0.12-0.14 from episode 25-33 on)."""
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "pynn_set1.py"),
                          "--episodes", "45", "--seed", "3"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    per_episode = out.stdout.split("per episode:\n", 1)[1].splitlines()[0].split()
    fractions = [float(f) for f in per_episode]
    assert len(fractions) == 45
    assert fractions[0] >= 0.9
    assert max(fractions[-5:]) <= 0.25, fractions
    assert re.search(r"E->E synapses 162000", out.stdout)
