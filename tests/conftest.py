# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures.

Integration tests (marker ``nest``) share one compiled module per session: the
``built_module`` fixture builds it (or reuses the cache) once. Every probe and
network sets up its own fresh kernel, so no test depends on another's state.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def built_module():
    from seqnest.pynest_ext import build
    return build()


@pytest.fixture()
def before_search():
    """``(coding, iteration_ms) -> {group: {key: value}}``: the pattern family's
    defaults that the values of its search replaced, as they were, for results pinned
    before (configuration hashes, learned weights)."""
    from seqnest.pynest_ext.models import WeightSynapseParams
    from seqnest.pynest_ext.networks.pattern_sequences import PatternNetworkParams

    def values(coding: str, iteration_ms: float) -> dict:
        net, ee = PatternNetworkParams.SPECS, WeightSynapseParams.SPECS
        old = {"neuron": {"tau_h": iteration_ms, "tau_dAP": 125.0, "theta_dAP": 20.0},
               "ee_synapse": {k: ee[k].default for k in ("dt_min", "dt_max")},
               "network": {k: net[k].default for k in ("psp_EI", "psp_EI_phase2", "p_EI")},
               "protocol": {"sample_offset_ms": 0.0}}
        if coding == "spatial":
            old["inputs"] = {"rate": 120.0, "noise_alpha": 0.2}
            old["ee_synapse"]["lambda_plus"] = ee["lambda_plus"].default
        return old
    return values
