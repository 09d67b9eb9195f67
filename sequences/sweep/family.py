# SPDX-License-Identifier: GPL-2.0-or-later
"""How a model family takes part in sweeps.

The sweep package knows no family: each family describes itself as a
:class:`SweepFamily` (what its spec keys mean, how a point is resolved, trained
and summarised) and registers it under the entry-point group
``seqnest.sweep_families`` (``pyproject.toml``), the way a plugin would. A spec
selects the family whose ``selector`` key it holds (``inputs`` for pattern
sequences), else the one without a selector (the temporal memory).
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError
from seqnest.sequences.rundir import family_name

__all__ = ["SweepFamily", "ReplaySupport", "ENTRY_POINTS", "families", "family_of_spec",
           "family_of_record"]

#: The entry-point group under which families register their :class:`SweepFamily`.
ENTRY_POINTS = "seqnest.sweep_families"


@dataclass(frozen=True)
class ReplaySupport:
    """Replays of every trained point under the conditions of a spec's ``replay``
    section (a family without it refuses that section)."""

    #: (replay plan, resolved config) -> None; raises ParameterError for a point the
    #: plan cannot replay (e.g. no such cue)
    check: Callable[[Mapping, Any], None]
    #: (run directory, replay plan) -> {condition: row} of the replays already there,
    #: None if one is missing
    stored: Callable[[Path, Mapping], dict | None]


@dataclass(frozen=True)
class SweepFamily:
    """What the sweep needs of a model family."""

    name: str
    #: the spec key that selects this family (None: the family of specs without one)
    selector: str | None
    #: top-level spec keys of this family beyond the common ones (task, sequences,
    #: episodes, config, vary, cluster, replay)
    spec_keys: frozenset[str]
    #: the group.key that a top-level spec value sets, below the varied keys
    #: (e.g. episodes -> run.episodes; threads -> run.threads)
    run_keys: Mapping[str, str]
    #: (spec, --set options of the spec's values then the point's, the point's own
    #: options) -> the resolved configuration (with hash() and to_dict())
    resolve: Callable[[Any, list[str], list[str]], Any]
    #: worker side: (config record, run directory, replay plan or None, monitor=None)
    #: -> summary row; trains and writes the run directory unless it is complete, runs
    #: missing replays; ``monitor(k, scores)`` is told the scores of each episode
    #: (iteration) ``k`` and may stop training with :class:`~seqnest.errors.TrainingStopped`
    point: Callable[..., dict]
    #: metrics.json of a finished point -> its summary row (results.csv)
    row: Callable[[Mapping], dict]
    #: the columns of ``row`` in results.csv
    summary_keys: tuple[str, ...]
    #: (resolved config, worker processes on this machine) -> None; refuses what would
    #: not fit
    check_resources: Callable[[Any, int], None]
    replays: ReplaySupport | None = None
    #: resolved config -> an estimate (with a margin) of the bytes its run directory
    #: takes, checked against the free space before a sweep runs (None: not checked)
    run_bytes: Callable[[Any], float] | None = None
    #: the per-episode curves of metrics.json that ``point``'s monitor is told, each
    #: with the direction that is better (the first is the learning curve)
    curves: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: what one of the family's episodes is called (pattern sequences: iteration)
    episode_word: str = "episode"


@functools.lru_cache(maxsize=1)
def families() -> dict[str, SweepFamily]:
    """Every registered family by name (read once from the installed entry points)."""
    from importlib.metadata import entry_points
    found = {}
    for ep in entry_points(group=ENTRY_POINTS):
        family = ep.load()
        if not isinstance(family, SweepFamily):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a SweepFamily")
        found[family.name] = family
    if not found:
        raise ParameterError(f"no model family is registered for sweeps (entry points "
                             f"{ENTRY_POINTS}): reinstall seqnest (pip install -e .)")
    return found


def family_of_spec(data: Mapping[str, Any]) -> SweepFamily:
    """The family a spec's top-level keys select."""
    known = families().values()
    chosen = [f for f in known if f.selector is not None and f.selector in data]
    if len(chosen) > 1:
        raise ParameterError(f"a spec selects one model family; it has "
                             f"{', '.join(f.selector for f in chosen)}")
    if chosen:
        return chosen[0]
    default = [f for f in known if f.selector is None]
    if len(default) != 1:
        raise ParameterError("no default model family for sweeps is registered")
    return default[0]


def family_of_record(record: Mapping[str, Any]) -> SweepFamily:
    """The family of a configuration record (``config.to_dict()``; a record without
    ``family`` is the default family's)."""
    name = family_name(record.get("family"))
    for family in families().values():
        if name == family.name or (name is None and family.selector is None):
            return family
    raise ParameterError(f"no sweep support for model family {name!r}")
