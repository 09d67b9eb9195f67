# SPDX-License-Identifier: GPL-2.0-or-later
"""Experiments of the spiking temporal memory (no NEST import at package import).

* :mod:`~seqnest.sequences.temporal_memory.learn`: train on a sequence set, evaluate
  every episode;
* :mod:`~seqnest.sequences.temporal_memory.replay`: replay from the learned
  connectivity, and noise-driven replay trials;
* :mod:`~seqnest.sequences.temporal_memory.branches`: decoding and statistics of
  replay trials among branches.
"""
