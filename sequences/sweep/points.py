# SPDX-License-Identifier: GPL-2.0-or-later
"""The points of a sweep: every combination of the spec's varied values, each
resolved and validated as the command line would resolve it."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from seqnest.params import ParameterError
from seqnest.sequences.sweep.spec import SweepSpec
from seqnest.sequences.temporal_memory.config import RunConfig, parse_set_options, resolve_config

__all__ = ["Point", "expand"]


@dataclass(frozen=True)
class Point:
    """One configuration of a sweep: its varied values and its resolved config."""

    varied: dict[str, Any]
    config: RunConfig

    @property
    def key(self) -> str:
        return self.config.hash()


def _as_set_option(key: str, value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        value = "inf"
    elif isinstance(value, (list, tuple)):       # task.frequencies: [0.7, 0.3]
        value = ",".join(str(v) for v in value)
    return f"{key}={value}"


def expand(spec: SweepSpec) -> list[Point]:
    """All points of the sweep, resolved and validated, without duplicates."""
    keys = list(spec.grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*spec.grid.values())]
    seeds = spec.seeds or [None]
    points, seen = [], set()
    for extra in spec.points:
        for combo in combos:
            for seed in seeds:
                varied = {**combo, **extra}
                if seed is not None:
                    varied["run.seed"] = seed
                options = [_as_set_option(k, v) for k, v in varied.items()]
                try:
                    cfg = _resolve(spec, options)
                except ParameterError as exc:
                    raise ParameterError(f"sweep spec {spec.path}: point {varied}: {exc}") \
                        from None
                if spec.replay is not None:
                    _check_point_replays(spec, cfg, varied)
                if cfg.hash() not in seen:
                    seen.add(cfg.hash())
                    points.append(Point(varied, cfg))
    return points


def _check_point_replays(spec: SweepSpec, cfg: RunConfig, varied: dict) -> None:
    """Each replay condition's replay.* values, and the cue, against this point."""
    from seqnest.pynest_ext.noise import NoiseParams

    from seqnest.sequences.temporal_memory.branches import branch_structure
    try:
        branch_structure(cfg.sequence_set, spec.replay["cue"])
        for cond in spec.replay["conditions"]:
            cfg.replay.replace(**cond.replay)
            NoiseParams(cond.noise).check_resolution(cfg.run.resolution)
    except ParameterError as exc:
        raise ParameterError(f"sweep spec {spec.path}: point {varied}: {exc}") from None


def _resolve(spec: SweepSpec, options: list[str]) -> RunConfig:
    """A point's configuration: the spec's values (its ``config`` and its top-level
    ``episodes``, ``synapse`` and ``cluster.threads``), then the point's varied keys,
    which win over all of them."""
    base = [f"{g}.{k}={v}" for g, values in spec.config.items() for k, v in values.items()]
    if spec.inputs is not None:
        cfg = _resolve_patterns(spec, [*base, *_spec_run_options(spec), *options])
    else:
        cfg = resolve_config(task=spec.task, sequences=spec.sequences,
                             set_options=[*base, *_spec_run_options(spec), *options],
                             frequencies=_spec_frequencies(spec, options))
    _check_varied_kept(cfg, options)
    return cfg


def _spec_run_options(spec: SweepSpec) -> list[str]:
    """The spec's top-level run values as --set options (below the varied keys); a
    pattern-sequence run counts its episodes as ``protocol.iterations`` and has no
    synapse kind to choose."""
    if spec.inputs is not None:
        values = {"protocol.iterations": spec.episodes, "run.threads": spec.threads}
    else:
        values = {"run.episodes": spec.episodes, "run.threads": spec.threads,
                  "run.synapse": spec.synapse}
    return [f"{k}={v}" for k, v in values.items() if v is not None]


def _check_varied_kept(cfg, options: list[str]) -> None:
    """Every varied key holds its value in the resolved configuration (a value that
    something else overrode would label a point with what it did not run)."""
    groups = getattr(cfg, "groups", None)
    if groups is None:
        return
    for group, values in parse_set_options(options, check_groups=False).items():
        for key, wanted in values.items():
            try:
                held = groups[group][key]
            except (KeyError, TypeError):
                continue                 # task.* and derived keys: checked where they apply
            if _differs(held, wanted):
                raise ParameterError(f"{group}.{key}={wanted} is not what the point would run "
                                     f"({held})")


def _differs(held: Any, wanted: Any) -> bool:
    if isinstance(held, bool) or isinstance(wanted, bool):
        return bool(held) != bool(wanted)
    try:
        return not math.isclose(float(held), float(wanted), rel_tol=1e-12)
    except (TypeError, ValueError):
        return str(held) != str(wanted)


def _resolve_patterns(spec: SweepSpec, options: list[str]):
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config
    sets = parse_set_options(options, check_groups=False)
    return resolve_pattern_config(spec.inputs, spec.sequences or spec.task or "s3", sets=sets)


def _spec_frequencies(spec: SweepSpec, options: list[str]) -> Any:
    """The spec's top-level frequencies, unless the point varies task.frequencies."""
    if spec.frequencies is None or any(o.startswith("task.frequencies=") for o in options):
        return None
    return spec.frequencies
