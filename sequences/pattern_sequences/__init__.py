# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequences of spatio-temporal spike patterns (Feiler, Neftci & Bouhadjar 2024;
no NEST import at package import).

* :mod:`~seqnest.sequences.pattern_sequences.config`: parameters and their resolution;
* :mod:`~seqnest.sequences.pattern_sequences.learn`: the two-phase protocol and the
  run directory;
* :mod:`~seqnest.sequences.pattern_sequences.metrics`: assemblies, selectivity,
  prediction readout;
* :mod:`~seqnest.sequences.pattern_sequences.report`: the HTML report of a run;
* :mod:`~seqnest.sequences.pattern_sequences.sweeping`: the family in sweeps.
"""
