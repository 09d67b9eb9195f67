# SPDX-License-Identifier: GPL-2.0-or-later
"""Rescoring a study's best trials on networks the search never saw (``validate``).

.. code-block:: yaml

    validate:
      top: 5                          # the best finished trials (by the objective)
      seeds: [201, 202, 203, 204]     # networks none of the trials ran on
      episodes: 200                   # optional: a longer protocol than the search's

A search picks its best trial on the seeds it is scored on: with a noisy objective
the best of many trials is an optimistic estimate (selection on the same
networks). Once the study has its budget (the spec's ``trials``; a command with a
smaller ``--trials`` rescores nothing), the ``top`` best finished trials that meet
the constraints run on the validation ``seeds`` as a sweep in ``OUT/validation/``
(normal run directories; a point complete there is never run again), and the
trial with the best mean there becomes ``OUT/best_config.json``.
``OUT/validation.csv`` has a row per rescored trial: its objective in the search,
the mean, standard deviation and every seed's value on the validation seeds.
"""
from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seqnest.sequences.tune_pruning import section

__all__ = ["ValidateSpec", "validate_spec", "top_trials", "run_validation", "VALIDATION",
           "VALIDATION_TABLE"]

#: The sweep directory of the rescored trials, and their table, in a tune directory.
VALIDATION = "validation"
VALIDATION_TABLE = "validation.csv"
_KEYS = {"top", "seeds", "episodes"}


@dataclass(frozen=True)
class ValidateSpec:
    """A checked ``validate`` section."""

    top: int
    seeds: tuple[int, ...]
    episodes: int | None = None


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def validate_spec(data: Any, search_seeds: list[int], objectives: int,
                  fail: Callable[[str], None]) -> ValidateSpec | None:
    """The checked ``validate`` section ``data`` of a spec whose trials run on
    ``search_seeds`` with ``objectives`` objectives; ``fail(message)`` raises."""
    if section(data, "validate", _KEYS, "top and seeds", fail) is None:
        return None
    if objectives > 1:
        fail("validate ranks the trials by one objective; a search of several takes none")
    top, seeds, episodes = data.get("top"), data.get("seeds"), data.get("episodes")
    if not _whole(top, 1):
        fail(f"validate.top must be a whole number >= 1, got {top!r}")
    if not (isinstance(seeds, list) and seeds and all(_whole(s, 1) for s in seeds)):
        fail("validate.seeds must be a non-empty list of whole numbers >= 1")
    if len(set(seeds)) != len(seeds):
        fail("validate.seeds repeats a seed")
    shared = sorted(set(seeds) & set(search_seeds))
    if shared:
        fail(f"validate.seeds must be networks the search never ran on; {shared[0]} is one "
             "of its seeds")
    if episodes is not None and not _whole(episodes, 1):
        fail(f"validate.episodes must be a whole number >= 1, got {episodes!r}")
    return ValidateSpec(top, tuple(seeds), episodes)


def top_trials(candidates: list, spec) -> list:
    """The ``spec.validate.top`` best of ``candidates`` (finished trials that meet the
    constraints), best first, one per set of values."""
    done = list(candidates)
    done.sort(key=lambda t: t.value, reverse=spec.direction == "maximize")
    chosen, seen = [], set()
    for t in done:
        values = tuple(sorted(t.params.items()))
        if values not in seen:
            seen.add(values)
            chosen.append(t)
    return chosen[:spec.validate.top]


def validation_sweep(spec, trials: list):
    """The sweep of the rescored trials: each trial's values on each validation seed."""
    v = spec.validate
    return replace(spec.sweep, grid={}, points=[dict(t.params) for t in trials],
                   seeds=list(v.seeds), episodes=v.episodes or spec.sweep.episodes)


def run_validation(spec, trials: list, out: Path, running, module, cluster: str = "local",
                   workers: int = 2) -> dict | None:
    """Rescore ``trials`` (:func:`top_trials`) on ``running`` (a cluster of
    :func:`~seqnest.sequences.sweep.run.sweep_cluster`; None: a ``cluster`` of
    ``workers`` started if any point is missing); write ``OUT/validation.csv`` and
    return the rescored trials and the best (None when there is no trial)."""
    from seqnest.sequences.sweep.points import expand
    from seqnest.sequences.sweep.run import reuse_scan, run_sweep
    if not trials:
        return None
    sweep = validation_sweep(spec, trials)
    folder = out / VALIDATION
    counts = run_sweep(sweep, folder, cluster=cluster, workers=workers, progress=False,
                       module=module, running=running)
    per_trial = [sorted(expand(validation_sweep(spec, [t])),
                        key=lambda p: spec.validate.seeds.index(p.config.run.seed))
                 for t in trials]
    rows = reuse_scan(sweep, folder, [p for points in per_trial for p in points])[0]
    ranked = []
    for t, points in zip(trials, per_trial):
        found = [rows.get(p.key, {}).get(spec.objective) for p in points]
        ok = [x for x in found if isinstance(x, (int, float)) and math.isfinite(x)]
        mean = sum(ok) / len(ok) if len(ok) == len(found) and ok else None
        ranked.append({"trial": t.number, "search": t.value, "mean": mean,
                       "sd": statistics.stdev(ok) if mean is not None and len(ok) > 1 else None,
                       "values": found, "params": dict(t.params)})
    _write_table(out / VALIDATION_TABLE, spec, ranked)
    scored = [r for r in ranked if r["mean"] is not None]
    best = (max if spec.direction == "maximize" else min)(scored, key=lambda r: r["mean"]) \
        if scored else None
    return {"best": best, "trials": ranked, "failed": len(counts["failed"]),
            "seeds": list(spec.validate.seeds), "episodes": sweep.episodes,
            "episode_word": spec.sweep.family.episode_word}


def _write_table(path: Path, spec, ranked: list[dict]) -> None:
    from seqnest.sequences.sweep.results import atomic_text
    buf = io.StringIO()
    writer = csv.writer(buf)
    key = spec.objective
    writer.writerow(["trial", f"search_{key}", f"validation_{key}", "validation_sd",
                     *(f"seed_{s}" for s in spec.validate.seeds)])
    for r in ranked:
        writer.writerow([r["trial"], r["search"], "" if r["mean"] is None else r["mean"],
                         "" if r["sd"] is None else r["sd"],
                         *("" if x is None else x for x in r["values"])])
    atomic_text(path, buf.getvalue())
