# SPDX-License-Identifier: GPL-2.0-or-later
"""Experiments of the spiking temporal memory (no NEST import at package import).

* :mod:`~seqnest.sequences.temporal_memory.learn`: train on a sequence set, evaluate
  every episode;
* :mod:`~seqnest.sequences.temporal_memory.replay`: replay from the learned
  connectivity, and noise-driven replay trials;
* :mod:`~seqnest.sequences.temporal_memory.replay_thresholds`: the replay dAP
  threshold derived from a run's own inputs;
* :mod:`~seqnest.sequences.temporal_memory.branches`: decoding and statistics of
  replay trials among branches;
* :mod:`~seqnest.sequences.temporal_memory.rundir`: the run directory of a training
  run (write, read back, continue training);
* :mod:`~seqnest.sequences.temporal_memory.config`: parameters and their resolution;
* :mod:`~seqnest.sequences.temporal_memory.metrics`: prediction error, convergence
  and stability;
* :mod:`~seqnest.sequences.temporal_memory.figures`: the report's figures;
* :mod:`~seqnest.sequences.temporal_memory.report`: the HTML report of a run;
* :mod:`~seqnest.sequences.temporal_memory.sweeping`: the family in sweeps.
"""
