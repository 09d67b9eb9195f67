# SPDX-License-Identifier: GPL-2.0-or-later
"""The points of a sweep: every combination of the spec's varied values, each
resolved and validated as the command line would resolve it."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from seqnest.params import ParameterError, split_set_option
from seqnest.sequences.sweep.spec import SweepSpec

__all__ = ["Point", "expand"]


@dataclass(frozen=True)
class Point:
    """One configuration of a sweep: its varied values and its resolved config."""

    varied: dict[str, Any]
    config: Any                     # the family's resolved configuration

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
                    try:
                        spec.family.replays.check(spec.replay, cfg)
                    except ParameterError as exc:
                        raise ParameterError(f"sweep spec {spec.path}: point {varied}: {exc}") \
                            from None
                if cfg.hash() not in seen:
                    seen.add(cfg.hash())
                    points.append(Point(varied, cfg))
    return points


def _resolve(spec: SweepSpec, options: list[str]):
    """A point's configuration: the spec's values (its ``config`` and its top-level
    values such as ``episodes`` or ``cluster.threads``), then the point's varied keys,
    which win over all of them."""
    base = [f"{g}.{k}={v}" for g, values in spec.config.items() for k, v in values.items()]
    top = {"episodes": spec.episodes, "threads": spec.threads, **spec.extra}
    run = [_as_set_option(key, top[name]) for name, key in spec.family.run_keys.items()
           if top.get(name) is not None]
    cfg = spec.family.resolve(spec, [*base, *run, *options], options)
    _check_varied_kept(cfg, options)
    return cfg


def _check_varied_kept(cfg, options: list[str]) -> None:
    """Every varied key holds its value in the resolved configuration (a value that
    something else overrode would label a point with what it did not run)."""
    groups = getattr(cfg, "groups", None)
    groups = groups() if callable(groups) else groups
    if not isinstance(groups, dict):
        return
    for option in options:               # one per varied key
        group, key, wanted = split_set_option(option)
        try:
            held = groups[group][key]
        except (KeyError, TypeError):
            continue                     # task.* and derived keys: checked where they apply
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
