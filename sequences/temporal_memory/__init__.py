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
* ``stp_config``, ``stp_learn``, ``stp_metrics``, ``stp_report``: sequences of
  spatio-temporal spike patterns (Feiler, Neftci & Bouhadjar 2024): configuration,
  two-phase protocol, metrics, report.
"""
