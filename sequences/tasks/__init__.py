# SPDX-License-Identifier: GPL-2.0-or-later
"""Tasks, one module per kind of stimulus (none imports NEST).

* :mod:`~seqnest.sequences.tasks.sequence_sets`: sequence sets, frequencies and the
  presentation schedule of the temporal memory;
* :mod:`~seqnest.sequences.tasks.mts_xor`: the multi-time-scale XOR task;
* :mod:`~seqnest.sequences.tasks.patterns`: frozen spatio-temporal spike patterns with
  jitter and background;
* :mod:`~seqnest.sequences.tasks.shd`: a reader of the Spiking Heidelberg Digits HDF5
  files;
* :mod:`~seqnest.sequences.tasks.spike_data`: labelled spike-train samples in
  discrete time (the classifiers' datasets);
* :mod:`~seqnest.sequences.tasks.pattern_streams`: sequences of spatio-temporal spike
  patterns as one continuous input stream.
"""
