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
