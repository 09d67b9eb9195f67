# SPDX-License-Identifier: GPL-2.0-or-later
"""Network builders, one module per model family.

* :mod:`~seqnest.pynest_ext.networks.temporal_memory`: the spiking temporal memory
  (Bouhadjar et al. 2022, 2023) and its noise-driven replay;
* :mod:`~seqnest.pynest_ext.networks.pattern_sequences`: the sequence memory for
  spatio-temporal spike patterns learned through plastic input synapses
  (Feiler, Neftci & Bouhadjar 2024);
* :mod:`~seqnest.pynest_ext.networks.coincidence`: the feed-forward dendritic
  coincidence detector with RRAM delays and weights (DenRAM, D'Agostino et al.
  2024);
* :mod:`~seqnest.pynest_ext.networks.simulation`: the simulated time the builders
  share, run in interruptible pieces, and the chunked read of connections;
* :mod:`~seqnest.pynest_ext.networks.dap_register`: decoding the dAP samples the
  sTM neuron keeps in a bit register.

Importing this package does not import NEST.
"""
