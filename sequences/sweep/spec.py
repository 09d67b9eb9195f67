# SPDX-License-Identifier: GPL-2.0-or-later
"""A sweep spec: its keys, its structure and the values checked before anything runs
(the format is described in :mod:`seqnest.sequences.sweep`)."""
from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqnest.params import ParameterError, read_parameter_file
from seqnest.sequences.sweep.family import SweepFamily, families, family_of_spec

__all__ = ["SweepSpec", "Condition", "load_spec", "spec_from_mapping", "require", "unknown"]


#: Top-level keys of every spec (a family adds its own: SweepFamily.spec_keys), and
#: the keys of its ``replay``, ``vary`` and ``cluster`` sections.
COMMON_KEYS = {"task", "sequences", "episodes", "config", "vary", "cluster", "replay"}
REPLAY_KEYS = {"trials", "cue", "seed", "conditions"}
VARY_KEYS = {"grid", "points", "seeds"}
CLUSTER_KEYS = {"threads", "slurm"}
SLURM_KEYS = {"queue", "walltime", "memory", "cores", "processes", "job_extra_directives",
              "account", "job_script_prologue", "local_directory", "interface",
              "scheduler_options", "worker_extra_args", "python", "log_directory"}
#: Keys of ``cluster.slurm.scheduler_options`` (passed to the Dask scheduler, which runs
#: in the client's process: where the workers must reach it).
SCHEDULER_OPTION_KEYS = {"interface", "host", "port", "dashboard_address", "protocol"}


@dataclass
class SweepSpec:
    path: Path
    family: SweepFamily             # the model family the spec selects
    task: str | None
    sequences: str | None
    episodes: int | None
    config: dict
    grid: dict[str, list]
    points: list[dict]
    seeds: list[int]
    threads: int = 1
    slurm: dict = field(default_factory=dict)
    replay: dict | None = None      # {"trials", "cue", "seed", "conditions": [Condition]}
    extra: dict = field(default_factory=dict)    # the family's own top-level keys


@dataclass(frozen=True)
class Condition:
    """One replay condition of a sweep: its name and its noise.* / replay.* values."""

    name: str
    noise: dict
    replay: dict

    def as_dict(self) -> dict:
        return {"name": self.name, "noise": dict(self.noise), "replay": dict(self.replay)}


def _condition_name(values: Mapping[str, Any]) -> str:
    parts = [str(values.get("noise.kind", "none"))]
    for key, value in values.items():
        if key != "noise.kind":
            short = key.split(".", 1)[1]
            parts.append(f"{short}{value:g}" if isinstance(value, float) else f"{short}{value}")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts))


def _replay_plan(section: Any, path: Path) -> dict | None:
    """Check and expand a spec's ``replay`` section."""
    if section is None:
        return None
    from seqnest.pynest_ext.noise import NoiseParams
    require(isinstance(section, dict), path, "'replay' must be a mapping")
    unknown(section, REPLAY_KEYS, path, "'replay'")
    trials = section.get("trials", 150)
    require(isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1, path,
            "'replay.trials' must be a whole number >= 1")
    seed = section.get("seed")
    require(seed is None or (isinstance(seed, int) and seed >= 1), path,
            "'replay.seed' must be a whole number >= 1")
    raw = section.get("conditions") or [{"noise.kind": "none"}]
    require(isinstance(raw, list) and all(isinstance(c, dict) for c in raw), path,
            "'replay.conditions' must be a list of mappings")
    conditions, names = [], set()
    for entry in raw:
        keys = list(entry)
        lists = [v if isinstance(v, list) else [v] for v in entry.values()]
        for combo in itertools.product(*lists):
            values = dict(zip(keys, combo))
            groups: dict[str, dict] = {"noise": {}, "replay": {}}
            for key, value in values.items():
                group, dot, name = key.partition(".")
                require(dot == "." and group in groups and bool(name), path,
                        f"replay condition key {key!r}: use noise.KEY or replay.KEY")
                groups[group][name] = value
            try:
                NoiseParams(groups["noise"])
            except ParameterError as exc:
                raise ParameterError(f"sweep spec {path}: replay condition {values}: {exc}") \
                    from None
            name = _condition_name(values)
            require(name not in names, path, f"replay condition {name} is listed twice")
            names.add(name)
            conditions.append(Condition(name, groups["noise"], groups["replay"]))
    return {"trials": trials, "cue": section.get("cue"), "seed": seed, "conditions": conditions}


def require(ok: bool, path: Path, message: str) -> None:
    if not ok:
        raise ParameterError(f"sweep spec {path}: {message}")


def unknown(section: Mapping, allowed: set, path: Path, where: str) -> None:
    extra = sorted(set(section) - allowed)
    if extra:
        raise ParameterError(f"sweep spec {path}: unknown key {extra[0]!r} in {where} "
                             f"(known: {', '.join(sorted(allowed))})")


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and check the structure of a sweep spec (values are checked by :func:`expand`)."""
    path = Path(path)
    if not path.is_file():
        from seqnest._examples_api import list_examples
        shipped = any(name == f"specs/{path.name}" for name, _ in list_examples())
        raise ParameterError(f"sweep spec not found: {path}" + (
            f" (seqnest ships {path.name}: seqnest example --copy DIR puts it into DIR/specs/)"
            if shipped else ""))
    return spec_from_mapping(read_parameter_file(path), path)


def spec_from_mapping(data: Any, path: Path) -> SweepSpec:
    """The sweep spec of the mapping ``data`` read from ``path`` (checked as
    :func:`load_spec` checks a file)."""
    require(isinstance(data, dict), path, "expected a mapping at the top level")
    family = family_of_spec(data)
    allowed = (COMMON_KEYS - ({"replay"} if family.replays is None else set())) | family.spec_keys
    elsewhere = set().union(*(f.spec_keys for f in families().values()), {"replay"}) - allowed
    for key in sorted(set(data) & elsewhere):
        require(False, path, f"'{key}' does not apply to the {family.name} family"
                + (f" ({family.selector}: {data[family.selector]})" if family.selector else ""))
    unknown(data, allowed, path, f"the spec ({family.name})")
    vary = data.get("vary") or {}
    cluster = data.get("cluster") or {}
    require(isinstance(vary, dict), path, "'vary' must be a mapping")
    require(isinstance(cluster, dict), path, "'cluster' must be a mapping")
    unknown(vary, VARY_KEYS, path, "'vary'")
    unknown(cluster, CLUSTER_KEYS, path, "'cluster'")
    grid = vary.get("grid") or {}
    require(isinstance(grid, dict), path, "'vary.grid' must map group.key to a list")
    for key, values in grid.items():
        require(isinstance(values, list) and len(values) > 0, path,
                f"'vary.grid.{key}' must be a non-empty list")
    points = vary.get("points") or [{}]
    require(isinstance(points, list) and all(isinstance(p, dict) for p in points), path,
            "'vary.points' must be a list of mappings")
    seeds = vary.get("seeds")
    require(seeds is None or (isinstance(seeds, list) and seeds
                              and all(isinstance(s, int) and not isinstance(s, bool)
                                      for s in seeds)),
            path, "'vary.seeds' must be a non-empty list of whole numbers")
    slurm = cluster.get("slurm") or {}
    require(isinstance(slurm, dict), path, "'cluster.slurm' must be a mapping")
    unknown(slurm, SLURM_KEYS, path, "'cluster.slurm'")
    base = data.get("config") or {}
    if isinstance(base, str):        # a configuration file (e.g. a search's best_config.json)
        file = Path(base).expanduser()
        file = file if file.is_absolute() or path is None else Path(path).parent / file
        try:
            base = read_parameter_file(file)
        except ParameterError as exc:
            require(False, path, f"'config': {exc}")
    require(isinstance(base, dict) and all(isinstance(v, dict) for v in base.values()), path,
            "'config' must map groups to {key: value}")
    # the threads of a point: cluster.threads, or the config's run.threads (given once)
    in_config = (base.get("run") or {}).get("threads")
    require(in_config is None or "threads" not in cluster or cluster["threads"] == in_config,
            path, f"'cluster.threads' ({cluster.get('threads')}) and 'config.run.threads' "
            f"({in_config}) differ: give the threads of a point once")
    threads = cluster.get("threads", 1 if in_config is None else in_config)
    require(isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1, path,
            "'cluster.threads' must be a whole number >= 1")
    _check_slurm(slurm, threads, path)
    return SweepSpec(path, family, data.get("task"), data.get("sequences"), data.get("episodes"),
                     base, grid, points, list(seeds or []), threads, slurm,
                     _replay_plan(data.get("replay"), path),
                     {k: data[k] for k in family.spec_keys if k in data})


#: SLURM memory ("4GB", "500 MB", "2G", "16GiB") and walltime ("[D-]HH:MM[:SS]", "MM").
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*([KMGTP]i?B?)?\s*$", re.IGNORECASE)


_WALLTIME = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")


def _check_slurm(slurm: Mapping[str, Any], threads: int, path: Path) -> None:
    """Values of ``cluster.slurm`` that SLURM or dask-jobqueue would reject later."""
    if "memory" in slurm:
        require(isinstance(slurm["memory"], str) and bool(_MEMORY.match(slurm["memory"])),
                path, f"'cluster.slurm.memory' must be a size such as 4GB or 500MB, "
                f"got {slurm['memory']!r}")
    if "walltime" in slurm:
        require(isinstance(slurm["walltime"], str) and bool(_WALLTIME.match(slurm["walltime"])),
                path, f"'cluster.slurm.walltime' must be HH:MM:SS (or D-HH:MM:SS), "
                f"got {slurm['walltime']!r}")
    for key in ("cores", "processes"):
        if key in slurm:
            require(isinstance(slurm[key], int) and not isinstance(slurm[key], bool)
                    and slurm[key] >= 1, path,
                    f"'cluster.slurm.{key}' must be a whole number >= 1, got {slurm[key]!r}")
    for key in ("queue", "account", "interface", "local_directory", "python", "log_directory"):
        if key in slurm:
            require(isinstance(slurm[key], str) and bool(slurm[key].strip()), path,
                    f"'cluster.slurm.{key}' must be a non-empty text, got {slurm[key]!r}")
    for key in ("job_extra_directives", "job_script_prologue", "worker_extra_args"):
        if key in slurm:
            require(isinstance(slurm[key], list) and all(isinstance(v, str) for v in slurm[key]),
                    path, f"'cluster.slurm.{key}' must be a list of texts, got {slurm[key]!r}")
    if "scheduler_options" in slurm:
        opts = slurm["scheduler_options"]
        require(isinstance(opts, dict) and all(isinstance(k, str) for k in opts), path,
                f"'cluster.slurm.scheduler_options' must be a mapping (e.g. {{interface: ib0, "
                f"port: 8786}}), got {opts!r}")
        unknown(opts, SCHEDULER_OPTION_KEYS, path, "'cluster.slurm.scheduler_options'")
    if "cores" in slurm:
        require(threads <= slurm["cores"], path,
                f"'cluster.threads' ({threads}) exceeds the cores booked per job "
                f"('cluster.slurm.cores': {slurm['cores']})")
        if "processes" in slurm:
            require(slurm["processes"] * threads <= slurm["cores"], path,
                    f"{slurm['processes']} processes x {threads} threads exceed the "
                    f"{slurm['cores']} cores booked per job")
