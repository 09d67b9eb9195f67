# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures of the unit tests."""
import contextlib
from pathlib import Path

import pytest

from seqnest.sequences.rundir import write_json
from seqnest.sequences.sweep import run as sweep_run


@pytest.fixture()
def fake_runs(monkeypatch):
    """Each point 'runs' (on an in-process Dask cluster) by writing its metrics:
    accuracy grows with theta_dAP, unassigned neurons are least at 30 pA."""
    from distributed import Client

    from seqnest.sequences import tune_pruning
    from seqnest.sequences.pattern_sequences.config import PatternConfig

    def point(watch, record, run_dir, replays=None):
        theta = PatternConfig.from_dict(record).neuron.theta_dAP
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        write_json(Path(run_dir) / "metrics.json", {"final_accuracy": theta / 100.0,
                                                    "accuracy": [theta / 100.0],
                                                    "unassigned": (theta - 30.0) ** 2})
        return {}
    monkeypatch.setattr(tune_pruning, "tune_point", point)
    client = Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0")
    monkeypatch.setattr(sweep_run, "sweep_cluster",
                        lambda *a, **k: contextlib.nullcontext(sweep_run.RunningCluster(client, 2)))
    from seqnest.pynest_ext import buildcache
    monkeypatch.setattr(buildcache, "provide", lambda module=None: object())   # no build
    yield
    client.close()
