# SPDX-License-Identifier: GPL-2.0-or-later
"""Parameter sweeps on Dask: a local cluster by default, SLURM on a cluster.

A sweep spec (YAML, JSON or TOML) names a base configuration and what to vary::

    task: set1                  # or sequences: "A D B E; F D B C"
    frequencies: [0.7, 0.3]     # optional training frequencies (vary: task.frequencies)
    synapse: stdsp              # stdsp | reram | tristate | bistable | tristate_stm
    episodes: 40
    config:                     # base values, {group: {key: value}}
      network: {n_E: 150}
    vary:
      grid:                     # every combination
        synapse.lambda_plus: [0.04, 0.08]
        synapse.lambda_minus: [0.0015, 0.003]
      points:                   # explicit combinations, each crossed with the grid
        - {synapse.levels: 8}
      seeds: [1, 2, 3]          # crossed with everything
    cluster:
      threads: 1                # NEST threads per point
      slurm: {queue: batch, walltime: "01:00:00", memory: 4GB, cores: 2,
              account: abc, interface: ib0,          # the network the workers reach
              scheduler_options: {port: 8786},       # the client's scheduler
              worker_extra_args: ["--lifetime", "55m"],
              job_extra_directives: ["--constraint=cpu"]}

``cluster.slurm`` keys go to dask-jobqueue's ``SLURMCluster`` (``queue``,
``account``, ``walltime``, ``memory``, ``job_extra_directives``,
``job_script_prologue`` (e.g. ``module load``), ``interface``,
``scheduler_options``, ``worker_extra_args``, ``local_directory``,
``log_directory``, ``python``); ``cores`` are the CPUs booked per job and
``processes`` the Dask workers per job (each runs one point at a time with
``cluster.threads`` NEST threads). Every value is checked with the spec.

With ``inputs: stp-spatial`` or ``stp-temporal`` the points are
spatio-temporal-pattern runs (``seqnest learn --inputs``): ``task`` is ``s3``,
``s4`` or omitted, ``sequences`` a custom set, ``episodes`` the iterations,
``config`` and ``vary`` use the groups of
:mod:`seqnest.sequences.temporal_memory.stp_config` (``synapse``, ``frequencies`` and
``replay`` do not apply). Robustness curves are ``vary.points``, one mapping
per value of each axis, crossed with the seeds.

A ``replay`` section replays every trained network under several noise
conditions (Bouhadjar et al. 2023): each mapping of ``conditions`` is crossed
over its list values, and each resulting condition is replayed with
``trials`` cues of the shared first element into ``DIR/<point>/replays/<name>/``
(``seqnest replay --trials``)::

    replay:
      trials: 150
      conditions:
        - {noise.kind: none}
        - {noise.kind: shared, noise.sigma: [5, 15, 30], noise.c: [0.5, 1]}
        - {noise.kind: oscillation, noise.amplitude: [4, 16], noise.frequency: [10, 70]}

``DIR/replays.csv`` then has one row per point and condition (branch
probabilities, simultaneous and failure rates, matching distance).

Every point is resolved and validated (:func:`seqnest.sequences.config.resolve_config`)
before anything runs. The client builds the model module once, then each Dask
worker process runs one point at a time with a fresh kernel and writes a
complete run directory ``DIR/<parameter hash>/`` atomically (the files of
``seqnest learn``). The client keeps ``DIR/results.csv`` (one row per finished
point: its parameters and summary metrics) and ``DIR/failures.json`` (points
that raised or whose worker died, with the reason) up to date. Running the same
sweep again runs only the points whose run directory is missing.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqnest.params import ParameterError

if TYPE_CHECKING:
    from seqnest.pynest_ext.buildcache import BuiltModule

from .config import RunConfig, config_from_dict, load_config_file, resolve_config
from .metrics import with_stability

__all__ = ["SweepSpec", "Point", "Condition", "load_spec", "expand", "run_point", "run_sweep",
           "check_sweep_output",
           "slurm_job_script", "check_scheduler_interface", "check_slurm_submission",
           "SUMMARY_KEYS", "STP_SUMMARY_KEYS", "ALL_SUMMARY_KEYS"]

#: Top-level keys of a spec, and of its ``vary`` and ``cluster`` sections.
SPEC_KEYS = {"task", "sequences", "frequencies", "synapse", "episodes", "config", "vary",
             "cluster", "replay", "inputs"}
REPLAY_KEYS = {"trials", "cue", "seed", "conditions"}
VARY_KEYS = {"grid", "points", "seeds"}
CLUSTER_KEYS = {"threads", "slurm"}
SLURM_KEYS = {"queue", "walltime", "memory", "cores", "processes", "job_extra_directives",
              "account", "job_script_prologue", "local_directory", "interface",
              "scheduler_options", "worker_extra_args", "python", "log_directory"}
#: Keys of ``cluster.slurm.scheduler_options`` (passed to the Dask scheduler, which runs
#: in the client's process: where the workers must reach it).
SCHEDULER_OPTION_KEYS = {"interface", "host", "port", "dashboard_address", "protocol"}
#: Summary metrics copied from each point's metrics.json into results.csv.
SUMMARY_KEYS = ("final_error", "episodes_to_convergence", "stays_converged_from",
                "relapses_after_convergence", "tail_error_mean", "tail_active_fraction_mean",
                "final_false_positives",
                "final_false_negatives", "final_active_fraction", "mature_synapses_final",
                "simulate_time_s", "readout_time_s", "wall_time_s", "peak_rss_mb")
#: The same for spatio-temporal-pattern runs (metrics family "stp").
STP_SUMMARY_KEYS = ("final_accuracy", "converged_at", "stp_detection", "final_prediction_overlap",
                    "unassigned", "simulate_time_s", "readout_time_s", "wall_time_s",
                    "peak_rss_mb")
#: Every column results.csv can hold besides the point and its varied values.
ALL_SUMMARY_KEYS = tuple(dict.fromkeys(SUMMARY_KEYS + STP_SUMMARY_KEYS))


def _summary_keys(stp: bool) -> tuple[str, ...]:
    return STP_SUMMARY_KEYS if stp else SUMMARY_KEYS


@dataclass(frozen=True)
class Point:
    """One configuration of a sweep: its varied values and its resolved config."""

    varied: dict[str, Any]
    config: RunConfig

    @property
    def key(self) -> str:
        return self.config.hash()


@dataclass
class SweepSpec:
    path: Path
    task: str | None
    sequences: str | None
    synapse: str | None
    episodes: int | None
    config: dict
    grid: dict[str, list]
    points: list[dict]
    seeds: list[int]
    threads: int = 1
    slurm: dict = field(default_factory=dict)
    frequencies: Any = None
    replay: dict | None = None      # {"trials", "cue", "seed", "conditions": [Condition]}
    inputs: str | None = None       # stp-spatial / stp-temporal: pattern-sequence runs


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
    _require(isinstance(section, dict), path, "'replay' must be a mapping")
    _unknown(section, REPLAY_KEYS, path, "'replay'")
    trials = section.get("trials", 150)
    _require(isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1, path,
             "'replay.trials' must be a whole number >= 1")
    seed = section.get("seed")
    _require(seed is None or (isinstance(seed, int) and seed >= 1), path,
             "'replay.seed' must be a whole number >= 1")
    raw = section.get("conditions") or [{"noise.kind": "none"}]
    _require(isinstance(raw, list) and all(isinstance(c, dict) for c in raw), path,
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
                _require(dot == "." and group in groups and bool(name), path,
                         f"replay condition key {key!r}: use noise.KEY or replay.KEY")
                groups[group][name] = value
            try:
                NoiseParams(groups["noise"])
            except ParameterError as exc:
                raise ParameterError(f"sweep spec {path}: replay condition {values}: {exc}") \
                    from None
            name = _condition_name(values)
            _require(name not in names, path, f"replay condition {name} is listed twice")
            names.add(name)
            conditions.append(Condition(name, groups["noise"], groups["replay"]))
    return {"trials": trials, "cue": section.get("cue"), "seed": seed, "conditions": conditions}


def _require(ok: bool, path: Path, message: str) -> None:
    if not ok:
        raise ParameterError(f"sweep spec {path}: {message}")


def _unknown(section: Mapping, allowed: set, path: Path, where: str) -> None:
    extra = sorted(set(section) - allowed)
    if extra:
        raise ParameterError(f"sweep spec {path}: unknown key {extra[0]!r} in {where} "
                             f"(known: {', '.join(sorted(allowed))})")


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """Read and check the structure of a sweep spec (values are checked by :func:`expand`)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"sweep spec not found: {path}")
    data = load_config_file(path, groups=False)
    _unknown(data, SPEC_KEYS, path, "the spec")
    vary = data.get("vary") or {}
    cluster = data.get("cluster") or {}
    _require(isinstance(vary, dict), path, "'vary' must be a mapping")
    _require(isinstance(cluster, dict), path, "'cluster' must be a mapping")
    _unknown(vary, VARY_KEYS, path, "'vary'")
    _unknown(cluster, CLUSTER_KEYS, path, "'cluster'")
    grid = vary.get("grid") or {}
    _require(isinstance(grid, dict), path, "'vary.grid' must map group.key to a list")
    for key, values in grid.items():
        _require(isinstance(values, list) and len(values) > 0, path,
                 f"'vary.grid.{key}' must be a non-empty list")
    points = vary.get("points") or [{}]
    _require(isinstance(points, list) and all(isinstance(p, dict) for p in points), path,
             "'vary.points' must be a list of mappings")
    seeds = vary.get("seeds")
    _require(seeds is None or (isinstance(seeds, list) and seeds
                               and all(isinstance(s, int) and not isinstance(s, bool)
                                       for s in seeds)),
             path, "'vary.seeds' must be a non-empty list of whole numbers")
    slurm = cluster.get("slurm") or {}
    _require(isinstance(slurm, dict), path, "'cluster.slurm' must be a mapping")
    _unknown(slurm, SLURM_KEYS, path, "'cluster.slurm'")
    threads = cluster.get("threads", 1)
    _require(isinstance(threads, int) and threads >= 1, path,
             "'cluster.threads' must be a whole number >= 1")
    _check_slurm(slurm, threads, path)
    base = data.get("config") or {}
    _require(isinstance(base, dict) and all(isinstance(v, dict) for v in base.values()), path,
             "'config' must map groups to {key: value}")
    inputs = data.get("inputs")
    if inputs is not None:
        from .temporal_memory.stp_config import INPUT_KINDS
        _require(inputs in INPUT_KINDS, path, f"'inputs' must be one of {', '.join(INPUT_KINDS)}")
        for key in ("synapse", "frequencies", "replay"):
            _require(data.get(key) is None, path, f"'{key}' does not apply to inputs: {inputs}")
    return SweepSpec(path, data.get("task"), data.get("sequences"), data.get("synapse"),
                     data.get("episodes"), base, grid, points, list(seeds or []), threads, slurm,
                     data.get("frequencies"), _replay_plan(data.get("replay"), path), inputs)


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

    from .temporal_memory.branches import branch_structure
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
        cfg = _resolve_stp(spec, [*base, *_spec_run_options(spec), *options])
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
    from .config import parse_set_options
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


def _resolve_stp(spec: SweepSpec, options: list[str]):
    from .config import parse_set_options
    from .temporal_memory.stp_config import resolve_stp_config
    sets = parse_set_options(options, check_groups=False)
    return resolve_stp_config(spec.inputs, spec.sequences or spec.task or "s3", sets=sets)


def _spec_frequencies(spec: SweepSpec, options: list[str]) -> Any:
    """The spec's top-level frequencies, unless the point varies task.frequencies."""
    if spec.frequencies is None or any(o.startswith("task.frequencies=") for o in options):
        return None
    return spec.frequencies


def _summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    if metrics.get("family") != "stp":
        # a point trained before these keys existed: the same summary from its curve
        metrics = with_stability(metrics)
    for key in _summary_keys(metrics.get("family") == "stp"):
        if key.startswith("final_") and key not in metrics:
            series = metrics.get(key[len("final_"):])
            out[key] = series[-1] if series else None
        else:
            out[key] = metrics.get(key)
    return out


def run_point(config_record: dict, run_dir: str, replays: dict | None = None) -> dict[str, Any]:
    """Train one point with a fresh kernel and write its run directory, unless it is
    there already; then replay it under each condition of ``replays`` not yet
    replayed (worker side)."""
    from .temporal_memory.learn import train
    from .rundir import RunDirError, read_json
    from .temporal_memory.rundir import write_training_run

    stp = config_record.get("family") == "stp"
    if stp:
        from .temporal_memory.stp_config import StpConfig
        from .temporal_memory.stp_learn import train_stp, write_stp_run
        config = StpConfig.from_dict(config_record)
    else:
        config = config_from_dict(config_record)
    try:
        metrics = read_json(Path(run_dir) / "metrics.json")
    except RunDirError:
        if stp:
            result = train_stp(config, progress=False)
            write_stp_run(result, run_dir, force=True)
        else:
            result = train(config, progress=False)
            write_training_run(result, run_dir, force=True)
        metrics = result.metrics
    summary = _summary(metrics)
    if replays:
        summary["replays"] = _run_replays(config, Path(run_dir), replays)
    return summary


def _replay_row(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of one replay condition that replays.csv shows."""
    row = {"trials": stats["trials"], "simultaneous": stats["simultaneous"]["probability"],
           "failure": stats["failure"]["probability"],
           "matching_tv_distance": stats["matching_tv_distance"],
           "most_frequent_share": stats["most_frequent_share"],
           "interacting_trials": stats["interacting_trials"]}
    # the race between the heads (absent in records older than it)
    race = (stats.get("race") or {}).get("heads") or [{}] * len(stats["branches"])
    for k, (b, r) in enumerate(zip(stats["branches"], race), 1):
        row[f"branch{k}_frequency"] = b["training_frequency"]
        row[f"branch{k}_probability"] = b["probability"]
        row[f"branch{k}_share"] = b["share_of_single"]
        row[f"branch{k}_latency_ms"] = b["latency_ms"]["median"]
        for key in ("dap_latency_ms", "dap_gap_ms", "first_spike_gap_ms", "dap_neurons"):
            row[f"branch{k}_{key}"] = (r.get(key) or {}).get("mean")
    # the trials decided by heads alone (absent in records older than the two decisions)
    by_head = stats.get("by_head")
    if by_head:
        n = stats["trials"]
        for k, b in enumerate(stats["branches"], 1):
            row[f"branch{k}_by_head"] = by_head[b["sequence"]] / n
        row["simultaneous_by_head"] = by_head["simultaneous"] / n
        row["failure_by_head"] = by_head["failure"] / n
    return row


def _branches_file(run_dir: Path, cond: Condition) -> Path:
    return run_dir / "replays" / cond.name / "branches.json"


def _stored_replays(run_dir: Path, replays: dict) -> dict[str, dict]:
    from .rundir import read_json
    return {c.name: {**c.as_dict(), **_replay_row(read_json(_branches_file(run_dir, c)))}
            for c in replays["conditions"]}


def _replay_missing(run_dir: Path, replays: dict | None) -> bool:
    return bool(replays) and any(not _branches_file(run_dir, c).is_file()
                                 for c in replays["conditions"])


def _run_replays(config: RunConfig, run_dir: Path, replays: dict) -> dict[str, dict]:
    """Replay ``run_dir`` under every condition still missing; rows of all."""
    from seqnest.pynest_ext.noise import NoiseParams

    from .temporal_memory.replay import replay_trials
    folder = run_dir / "replays"
    folder.mkdir(exist_ok=True)
    _remove_stale_temporaries(folder, {c.name for c in replays["conditions"]})
    for cond in replays["conditions"]:
        if not _branches_file(run_dir, cond).is_file():
            replay_trials(run_dir, replays["trials"], NoiseParams(cond.noise),
                          out=folder / cond.name, cue=replays["cue"], seed=replays["seed"],
                          replay_params=config.replay.replace(**cond.replay))
    return _stored_replays(run_dir, replays)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_results(out: Path, points: Sequence[Point], rows: Mapping[str, dict],
                   failures: Mapping[str, dict]) -> None:
    varied = sorted({k for p in points for k in p.varied})
    keys = _summary_keys(bool(points) and hasattr(points[0].config, "coding"))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["point", *varied, *keys])
    for p in points:
        if p.key in rows:
            writer.writerow([p.key, *(p.varied.get(k, "") for k in varied),
                             *(rows[p.key].get(k) for k in keys)])
    _atomic_text(out / "results.csv", buf.getvalue())
    _atomic_text(out / "failures.json", json.dumps(
        [{"point": k, **v} for k, v in failures.items()], indent=1) + "\n")
    replay_rows = [(p, r) for p in points if p.key in rows
                   for r in (rows[p.key].get("replays") or {}).values()]
    if replay_rows:
        noise_keys = sorted({k for _, r in replay_rows for k in r["noise"]})
        replay_keys = sorted({k for _, r in replay_rows for k in r["replay"]})
        figures = list(dict.fromkeys(k for _, r in replay_rows for k in r
                                     if k not in ("name", "noise", "replay")))
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["point", *varied, "condition", *(f"noise.{k}" for k in noise_keys),
                         *(f"replay.{k}" for k in replay_keys), *figures])
        for p, r in replay_rows:
            writer.writerow([p.key, *(p.varied.get(k, "") for k in varied), r["name"],
                             *(r["noise"].get(k, "") for k in noise_keys),
                             *(r["replay"].get(k, "") for k in replay_keys),
                             *(r.get(k, "") for k in figures)])
        _atomic_text(out / "replays.csv", buf.getvalue())


def _local_cluster(workers: int):
    from distributed import LocalCluster
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40)


def slurm_job_script(spec: SweepSpec, workers: int) -> str:
    """The job script that ``--cluster slurm`` would submit (nothing is submitted)."""
    cluster = _slurm_cluster(spec, workers)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


#: SLURM memory ("4GB", "500 MB", "2G", "16GiB") and walltime ("[D-]HH:MM[:SS]", "MM").
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*([KMGTP]i?B?)?\s*$", re.IGNORECASE)
_WALLTIME = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")


def _check_slurm(slurm: Mapping[str, Any], threads: int, path: Path) -> None:
    """Values of ``cluster.slurm`` that SLURM or dask-jobqueue would reject later."""
    if "memory" in slurm:
        _require(isinstance(slurm["memory"], str) and bool(_MEMORY.match(slurm["memory"])),
                 path, f"'cluster.slurm.memory' must be a size such as 4GB or 500MB, "
                       f"got {slurm['memory']!r}")
    if "walltime" in slurm:
        _require(isinstance(slurm["walltime"], str) and bool(_WALLTIME.match(slurm["walltime"])),
                 path, f"'cluster.slurm.walltime' must be HH:MM:SS (or D-HH:MM:SS), "
                       f"got {slurm['walltime']!r}")
    for key in ("cores", "processes"):
        if key in slurm:
            _require(isinstance(slurm[key], int) and not isinstance(slurm[key], bool)
                     and slurm[key] >= 1, path,
                     f"'cluster.slurm.{key}' must be a whole number >= 1, got {slurm[key]!r}")
    for key in ("queue", "account", "interface", "local_directory", "python", "log_directory"):
        if key in slurm:
            _require(isinstance(slurm[key], str) and bool(slurm[key].strip()), path,
                     f"'cluster.slurm.{key}' must be a non-empty text, got {slurm[key]!r}")
    for key in ("job_extra_directives", "job_script_prologue", "worker_extra_args"):
        if key in slurm:
            _require(isinstance(slurm[key], list) and all(isinstance(v, str) for v in slurm[key]),
                     path, f"'cluster.slurm.{key}' must be a list of texts, got {slurm[key]!r}")
    if "scheduler_options" in slurm:
        opts = slurm["scheduler_options"]
        _require(isinstance(opts, dict) and all(isinstance(k, str) for k in opts), path,
                 f"'cluster.slurm.scheduler_options' must be a mapping (e.g. {{interface: ib0, "
                 f"port: 8786}}), got {opts!r}")
        _unknown(opts, SCHEDULER_OPTION_KEYS, path, "'cluster.slurm.scheduler_options'")
    if "cores" in slurm:
        _require(threads <= slurm["cores"], path,
                 f"'cluster.threads' ({threads}) exceeds the cores booked per job "
                 f"('cluster.slurm.cores': {slurm['cores']})")
        if "processes" in slurm:
            _require(slurm["processes"] * threads <= slurm["cores"], path,
                     f"{slurm['processes']} processes x {threads} threads exceed the "
                     f"{slurm['cores']} cores booked per job")


def _slurm_job_shape(spec: SweepSpec, workers: int) -> tuple[int, int]:
    """CPUs booked per SLURM job and worker processes per job (each runs one point at
    a time)."""
    cpus = int(spec.slurm.get("cores", workers * spec.threads))
    return cpus, int(spec.slurm.get("processes", max(1, cpus // spec.threads)))


def _import_slurm_cluster():
    """``dask_jobqueue.SLURMCluster``, with this process's Ctrl-C handler kept.

    Importing dask_jobqueue sets SIGINT's handler to ``sys.exit()`` (its job
    runner's), so Ctrl-C during a sweep ended the process with exit code 0 and
    no KeyboardInterrupt; the handler in place before the import is put back."""
    import signal
    import threading
    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    from dask_jobqueue import SLURMCluster
    if before is not None:
        signal.signal(signal.SIGINT, before)
    return SLURMCluster


def _slurm_cluster(spec: SweepSpec, workers: int, out: Path | None = None):
    SLURMCluster = _import_slurm_cluster()
    cpus, processes = _slurm_job_shape(spec, workers)
    opts = {k: v for k, v in spec.slurm.items() if k not in ("cores", "processes", "memory")}
    if out is not None and "log_directory" not in opts:
        # the jobs' SLURM output files go with the sweep, not into the working directory
        opts["log_directory"] = str(Path(out).resolve() / "slurm-logs")
    memory = spec.slurm.get("memory", "4GB")
    check_scheduler_interface(spec)
    # One Dask thread per worker process (NEST allows one kernel per process, so a
    # process runs one point at a time); the CPUs booked cover NEST's own threads.
    try:
        return SLURMCluster(cores=processes, processes=processes, job_cpu=cpus, memory=memory,
                            **opts)
    except (RuntimeError, ValueError, OSError) as exc:
        causes = [exc]                        # the innermost cause names the problem
        while causes[-1].__cause__ or causes[-1].__context__:
            causes.append(causes[-1].__cause__ or causes[-1].__context__)
        cause = next((c for c in reversed(causes) if str(c).strip()), exc)
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise ParameterError(f"sweep spec {spec.path}: the sweep's Dask scheduler could not "
                             f"start with 'cluster.slurm': {first}") from None


def check_slurm_submission(spec: SweepSpec, workers: int) -> None:
    """Refuse, in one line and before anything is written, a SLURM sweep whose jobs
    could not be submitted: no ``sbatch`` here, no controller that answers, or a
    job script that SLURM rejects (partition, account, time or memory limits;
    ``sbatch --test-only``, which submits nothing). Without this, dask-jobqueue
    retries the submission in the background and the sweep waits for ever."""
    import shutil
    import subprocess
    import tempfile
    check_scheduler_interface(spec)
    if shutil.which("sbatch") is None:
        raise ParameterError("--cluster slurm: sbatch not found on this machine (run the "
                             "sweep where SLURM's client commands are, e.g. a login node)")
    script = slurm_job_script(spec, workers)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="seqnest-job-") as fh:
        fh.write(script)
        fh.flush()
        try:
            proc = subprocess.run(["sbatch", "--test-only", fh.name], capture_output=True,
                                  text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise ParameterError("--cluster slurm: sbatch --test-only did not answer within "
                                 "60 s (is the SLURM controller up?)") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        worst = [ln for ln in lines if "fatal" in ln or "error" in ln] or lines or ["(no output)"]
        raise ParameterError(f"sweep spec {spec.path}: SLURM would not accept the job script "
                             f"(sbatch --test-only): {worst[-1]}")


def check_scheduler_interface(spec: SweepSpec) -> None:
    """The network interface on which the client's Dask scheduler listens must exist
    here (``scheduler_options.interface``, else ``interface``, which dask-jobqueue
    also gives the workers)."""
    options = spec.slurm.get("scheduler_options") or {}
    key = "scheduler_options.interface" if "interface" in options else "interface"
    name = options.get("interface", spec.slurm.get("interface"))
    if name is None:
        return
    import psutil
    here = sorted(psutil.net_if_addrs())
    _require(name in here, spec.path,
             f"'cluster.slurm.{key}': no network interface {name!r} on this machine, where "
             f"the sweep's Dask scheduler listens (it has: {', '.join(here)}); give the "
             f"workers' interface as 'interface' and this machine's as "
             f"'scheduler_options: {{interface: ...}}'")


def _remove_stale_temporaries(folder: Path, names: set[str]) -> None:
    """Remove the hidden temporary directories that a killed or interrupted worker left
    behind in ``folder`` for one of ``names`` (``.<name>.tmp-*``, ``.<name>.old-*``,
    written by :func:`seqnest.sequences.rundir.atomic_directory`; the random suffix has no dot)."""
    import shutil
    for d in folder.glob(".*.*-*"):
        name, _, rest = d.name[1:].rpartition(".")
        if d.is_dir() and name in names and rest.startswith(("tmp-", "old-")):
            shutil.rmtree(d, ignore_errors=True)


def check_sweep_output(out: str | os.PathLike) -> Path:
    """Create (if needed) the sweep directory and check that it takes new files."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"sweep output {out} exists and is not a directory")
    from .rundir import require_writable
    return require_writable(out, f"cannot write the sweep directory {out}")


def run_sweep(spec: SweepSpec, out: str | os.PathLike, cluster: str = "local", workers: int = 2,
              progress: bool = True, point_fn: Callable[[dict, str], dict] = run_point,
              module: BuiltModule | Callable[[], BuiltModule] | None = None) -> dict:
    """Run the missing points of ``spec`` into ``out``; return counts and failures.

    With ``cluster="slurm"``, SLURM is first asked whether it would accept the
    job script (:func:`check_slurm_submission`), before anything is written.
    ``module``: the compiled module, or a callable that builds it (see
    :func:`seqnest.pynest_ext.buildcache.provide`), used once the checks passed.
    """
    from tqdm import tqdm

    from seqnest.pynest_ext.buildcache import provide
    from .rundir import RunDirError, read_json

    points = expand(spec)
    if cluster == "slurm":
        check_slurm_submission(spec, workers)
    out = check_sweep_output(out)
    _remove_stale_temporaries(out, {p.key for p in points})
    rows: dict[str, dict] = {}
    todo = []
    for p in points:
        metrics = out / p.key / "metrics.json"
        try:
            record = read_json(metrics)
            if not isinstance(record, dict):
                raise RunDirError(f"corrupt metrics record: {metrics}")
            rows[p.key] = _summary(record)
            if _replay_missing(out / p.key, spec.replay):
                todo.append(p)
            elif spec.replay:
                rows[p.key]["replays"] = _stored_replays(out / p.key, spec.replay)
        except RunDirError:                   # missing, truncated or corrupt: run it again
            todo.append(p)
    failures: dict[str, dict] = {}
    _write_results(out, points, rows, failures)
    if not todo:
        return {"points": len(points), "ran": 0, "reused": len(rows), "failed": failures}
    if cluster == "local":                    # this machine runs `workers` points at once
        from .temporal_memory.learn import check_run_resources
        from .temporal_memory.stp_learn import check_stp_resources
        for p in todo:
            processes = min(max(1, workers), len(todo))
            if spec.inputs is not None:
                check_stp_resources(p.config, 0, processes)
            else:
                check_run_resources(p.config, processes=processes)
    provide(module)                           # once, before fan-out; workers reuse the cache
    started = time.perf_counter()
    import dask
    # a worker that dies (NEST aborts, the job is cancelled or reaches its walltime)
    # fails its point at once instead of taking the next worker down with it
    dask.config.set({"distributed.scheduler.allowed-failures": 0,
                     # one point per worker process: no point waits behind another
                     # on a busy worker while an idle one (a job just started) waits
                     "distributed.scheduler.worker-saturation": 1.0})
    if cluster == "local":
        dask_cluster = _local_cluster(workers)
        slots = max(1, workers)
    elif cluster == "slurm":
        dask_cluster = _slurm_cluster(spec, workers, out)
        dask_cluster.scale(jobs=max(1, workers))
        slots = max(1, workers) * _slurm_job_shape(spec, workers)[1]
    else:
        raise ParameterError(f"unknown cluster {cluster!r} (local or slurm)")
    from distributed import Client, as_completed
    bar = tqdm(total=len(todo), desc="sweep", unit="point", file=sys.stderr,
               disable=None if progress else True)
    try:
        with Client(dask_cluster) as client:
            # Points wait here, not in a worker's queue: a worker that dies takes
            # only the point it was running with it.
            waiting = list(todo)
            futures = {}

            def submit():
                p = waiting.pop(0)
                args = (p.config.to_dict(), str(out / p.key))
                if spec.replay:
                    args += (spec.replay,)
                f = client.submit(point_fn, *args, key=f"point-{p.key}", pure=False)
                futures[f] = p
                return f

            running = as_completed([submit() for _ in range(min(slots, len(waiting)))])
            for future in running:
                p = futures.pop(future)
                if waiting:
                    running.add(submit())
                try:
                    rows[p.key] = future.result()
                    failures.pop(p.key, None)
                except Exception as exc:   # noqa: BLE001 - any failure of a point is recorded
                    reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                    failures[p.key] = {"varied": p.varied, "reason": reason}
                _write_results(out, points, rows, failures)
                bar.update(1)
    finally:
        bar.close()
        dask_cluster.close()
        _remove_stale_temporaries(out, {p.key for p in points})
    return {"points": len(points), "ran": len(todo), "reused": len(points) - len(todo),
            "failed": failures, "seconds": time.perf_counter() - started}
