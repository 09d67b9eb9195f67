# SPDX-License-Identifier: GPL-2.0-or-later
"""Dendritic coincidence detection with RRAM delays and weights (DenRAM; D'Agostino
et al. 2024): ``config`` (parameters), ``model`` (the discrete-time model),
``train`` (offline training), ``experiment`` (train, then infer in NEST),
``rundir`` (training and evaluation run directories), ``metrics`` (accuracy,
confusion, agreement with the trainer) and ``report``."""
