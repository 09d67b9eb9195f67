# SPDX-License-Identifier: GPL-2.0-or-later
"""A synapse connected to a neuron it was not generated with is a Python error.

NESTML's generated synapses end the process when connected to the wrong neuron
model; the build turns that into NEST's IllegalConnection, so a script or a
Jupyter kernel survives it. The tests run in this process: it would end here.
"""
import pytest

from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel
from seqnest.pynest_ext.models import RECEPTOR_DEND, SYNAPSE_KINDS

pytestmark = pytest.mark.nest


@pytest.mark.parametrize("kind", sorted(SYNAPSE_KINDS))
def test_wrong_neuron_raises_and_the_process_goes_on(built_module, kind):
    names = setup_kernel(KernelConfig(), module=built_module)
    nest = import_nest()
    neuron, synapse = names.pair(kind)
    others = sorted({names.pair(k)[0] for k in SYNAPSE_KINDS} - {neuron})
    for wrong in [names.stm_neuron_standalone, *others]:
        pre, post = nest.Create(neuron), nest.Create(wrong)
        with pytest.raises(nest.NESTError, match="wrong type of neuron connected"):
            nest.Connect(pre, post, syn_spec={"synapse_model": synapse,
                                              "receptor_type": RECEPTOR_DEND})
    pre, post = nest.Create(neuron, 2)[0], nest.Create(neuron)
    nest.Connect(pre, post, syn_spec={"synapse_model": synapse, "receptor_type": RECEPTOR_DEND})
    nest.Simulate(5.0)                                 # the kernel is still usable
    assert len(nest.GetConnections(synapse_model=synapse)) == 1
