# SPDX-License-Identifier: GPL-2.0-or-later
"""The fully resolved configuration of a run, and where its values come from.

A run is configured by parameter groups (``neuron``, ``inh_neuron``,
``synapse``, ``network``, ``timing``, ``evaluation``, ``replay``, ``run``,
``random``), each a validated :class:`~seqnest.params.ParameterSet`, plus the
sequence set. Values are resolved in this order, later winning:

1. declared defaults (the paper's set-I values);
2. values derived from the task: ``neuron.tau_h`` (the mean interval between
   two presentations of the most often presented first element: one pass over
   the set when sequences begin differently), ``synapse.dt_max`` (2 * delta_T),
   the set's own learning rates, and ``network.inhibition = shared`` for sets
   trained with frequencies (the topology of Bouhadjar et al. 2023);
3. a configuration file (``--config``: JSON, YAML or TOML, ``{group: {key: value}}``);
4. ``--set group.key=value`` options;
5. explicit command-line flags (``--episodes``, ``--seed``, ``--threads``,
   ``--frequencies``).

Training frequencies of the sequences are the pseudo-group ``task`` of a
config file or ``--set`` (``task: {frequencies: [0.7, 0.3]}``,
``--set task.frequencies=0.7,0.3``); they override a named set's own.

Unknown groups and keys, malformed values and impossible combinations raise
:class:`~seqnest.params.ParameterError` with a one-line message. The hash of
the resolved configuration identifies the run.

Size: above 400 lines because it declares the run's own parameter groups (run,
replay, random task) next to the layered resolution that assembles every group,
including a resumed run's.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from seqnest.pynest_ext.derived import dap_trace_tau
from seqnest.pynest_ext.models import (SYNAPSE_KINDS, InhNeuronParams, StdspSynapseParams,
                                       StmNeuronParams)
from seqnest.pynest_ext.networks.temporal_memory import NetworkParams
from seqnest.params import (Choice, Param, ParameterError, ParameterSet, describe_groups,
                            parameter_hash, positive,
                            read_parameter_file, resolve_layers)

from seqnest.sequences.temporal_memory.metrics import EvaluationParams
from seqnest.sequences.tasks.sequence_sets import (NAMED_SETS, SequenceSet, TimingParams, named_set,
                                                   parse_frequencies, parse_sequences,
                                                   random_high_order)
from seqnest.sequences.temporal_memory.branches import DECISIONS

__all__ = ["RunParams", "ReplayParams", "RandomTaskParams", "RunConfig", "GROUPS", "group_classes",
           "resolve_config", "resolve_resumed_config", "parse_set_options", "load_config_file", "config_from_dict", "TASK_KEYS"]

PAPER = "Bouhadjar et al. 2022, PLoS Comput Biol 18:e1010233"


class RunParams(ParameterSet):
    """How a training run is executed."""

    NAME = "run"
    SPECS = {
        "episodes": Param(40, "1", "training episodes (passes over the sequence set)",
                          "tutorial size; the paper trains 85", low=1, integer=True),
        "seed": Param(1, "1", "seed of NEST's random number generators", "user choice",
                      low=1, high=2**31 - 1, integer=True),
        "threads": Param(1, "1", "NEST threads (OpenMP)", "user choice", low=1, integer=True),
        "resolution": positive(0.1, "ms", "simulation step", PAPER),
        "sparse_first": Choice("auto", ("auto", "on", "off"), "sparse dendritic drive of the "
                               "first elements (auto: as the task prescribes, e.g. set III)", PAPER),
        "synapse": Choice("stdsp", tuple(SYNAPSE_KINDS), "E->E synapse: stdsp (Bouhadjar et "
                          "al. 2022), reram (on a ReRAM device, 2023), tristate (Rubino et al. "
                          "2023), bistable (Brader, Senn & Fusi 2007), tristate_stm (tristate "
                          "circuit with the sTM timing rule); its parameters are the "
                          "'synapse' group", PAPER),
    }


class ReplayParams(ParameterSet):
    """Replay from the learned connectivity (frozen, static synapses)."""

    NAME = "replay"
    SPECS = {
        "V_th_factor": positive(0.25, "1", "somatic threshold during replay, relative to training",
                                PAPER),
        "theta_dAP_factor": positive(0.7, "1", "dAP threshold during replay, relative to training "
                                     "(0.85 under shared inhibition: a threshold closer to "
                                     "training's keeps the onset differences between branches)",
                                     PAPER),
        "theta_dAP_mode": Choice("auto", ("auto", "factor", "derived", "per_neuron"),
                                 "how the replay dAP threshold is set: factor "
                                 "(theta_dAP_factor times training's, the paper), derived "
                                 "(one value from the learned network's own inputs in the "
                                 "last training episode; replay_thresholds), per_neuron (that "
                                 "value adjusted for each neuron), auto (derived for reram "
                                 "and tristate synapses, factor for stdsp)", "this package"),
        "cue_interval": positive(250.0, "ms", "time between cues (first elements)", PAPER),
        "fired_fraction": Param(0.5, "1", "fraction of rho neurons that must fire for a "
                                "subpopulation to count as replayed", "this package", low=0.0,
                                low_open=True),
        "decision": Choice(DECISIONS[0], DECISIONS, "what counts as the replay of a "
                           "branch in --trials: branch (all its elements after the cue, in "
                           "order) or head (its elements up to the head; a head volley cut "
                           "by the inhibition counts although the rest of its sequence does "
                           "not follow)", "this package (criteria of the 2023 study unknown)"),
        "repetitions": Param(1, "1", "times each sequence is cued (in turn); repeated replays "
                             "let ASSET detect the replayed order", "this package", low=1,
                             integer=True),
        "ie_quorum": Param(0.0, "1", "coincident excitatory spikes that fire the inhibitory "
                           "neuron during replay (the E->I PSP is ie_psp_factor theta_I / "
                           "ie_quorum); 0: n_E, a whole subpopulation (the 2022 replay); under "
                           "shared inhibition rho by default, the training weight (rho / 1.2 "
                           "coincident spikes), so that the first branch to fire silences the "
                           "others", "this package",
                           low=0.0),
        "inhibition_ends_daps": Choice("off", ("on", "off"), "whether a spike of the "
                                       "inhibitory neuron ends the running dAPs during replay, "
                                       "so the branches that lost the race stop predicting (on "
                                       "by default under shared inhibition)", "this package"),
        "psp_reference": Choice("replay", ("replay", "training"), "threshold that the "
                                "PSP-derived replay weights (cue X->E, I->E, sparse cue drive) "
                                "are computed at: replay (scaled with the lowered threshold: "
                                "a 5.5 mV cue, -10 mV inhibition) or training (absolute PSPs "
                                "as in the 2022 code: a 22 mV cue, -40 mV inhibition; the "
                                "default under shared inhibition)",
                                "this package; Bouhadjar et al. 2022 code"),
        "ei_scale": Param(1.0, "1", "I->E weight during replay relative to training (0.025 "
                          "by default under shared inhibition, a -1 mV PSP: the race between "
                          "branches is decided by the dAP onsets, not by the recovery from "
                          "the inhibition that the previous element triggered)",
                          "this package", low=0.0, low_open=True),
    }

    def psp_neuron(self, training_neuron, replay_neuron):
        """The neuron whose thresholds the replay's PSP-derived weights refer to."""
        return training_neuron if self.psp_reference == "training" else replay_neuron

    def quorum(self, network) -> float:
        """Coincident E spikes that fire the inhibitory neuron during replay."""
        return float(self.ie_quorum) if self.ie_quorum > 0 else float(network.n_E)


#: Replay settings that differ under shared inhibition (one inhibitory neuron for
#: all subpopulations, Bouhadjar et al. 2023): a winner-take-all race between
#: branches, decided by the dAP onsets. As in the 2022 code, the cue and the I->E
#: weight are absolute PSPs at the training threshold (a 22 mV cue) and the
#: inhibitory neuron keeps its training E->I weight (``ie_quorum`` = rho times
#: SHARED_QUORUM_FRACTION: rho / 1.2, about 17 coincident spikes, fire it; the
#: decoder asks for rho / 2 per element). Three departures, each measured in
#: docs/noise_replay.md: an inhibitory spike ends the running dAPs (otherwise
#: both heads fire once the inhibition wears off), the I->E PSP is -1 mV instead of
#: -40 mV (the inhibition that the previous element's own volley triggers would
#: otherwise hold both heads and erase their onset gap), and the dAP threshold is
#: 0.85 of training's instead of 0.7 (a larger onset gap between the heads).
SHARED_INHIBITION_REPLAY = {"inhibition_ends_daps": "on", "ei_scale": 0.025,
                            "theta_dAP_factor": 0.85, "psp_reference": "training"}
SHARED_QUORUM_FRACTION = 1.0


class RandomTaskParams(ParameterSet):
    """Random high-order sequence sets (``--task random``)."""

    NAME = "random"
    SPECS = {
        "n_sequences": Param(2, "1", "number of sequences", "this package", low=2, integer=True),
        "length": Param(6, "1", "elements per sequence", "this package", low=3, integer=True),
        "shared_core": Param(3, "1", "length of the core shared by all sequences", "this package",
                             low=1, integer=True),
        "vocab_size": Param(10, "1", "number of distinct elements", "this package", low=3,
                            integer=True),
        "seed": Param(1, "1", "seed of the set generator", "user choice", low=0, integer=True),
    }


#: Parameter groups that a configuration file or ``--set`` may address. The
#: class of the ``synapse`` group depends on ``run.synapse`` (:func:`group_classes`).
GROUPS: dict[str, type[ParameterSet]] = {
    "neuron": StmNeuronParams, "inh_neuron": InhNeuronParams, "synapse": StdspSynapseParams,
    "network": NetworkParams, "timing": TimingParams, "evaluation": EvaluationParams,
    "replay": ReplayParams, "run": RunParams, "random": RandomTaskParams,
}


#: Keys of the ``task`` section of a config file or ``--set`` (not a parameter group:
#: they change the sequence set, not a model).
TASK_KEYS = ("frequencies",)
#: What a layer of values may name: the groups and the ``task`` section.
KNOWN_GROUPS = (*GROUPS, "task")


def group_classes(synapse_kind: str = "stdsp") -> dict[str, type[ParameterSet]]:
    """Parameter-group classes for the E->E synapse kind ``synapse_kind``."""
    if synapse_kind not in SYNAPSE_KINDS:
        raise ParameterError(f"unknown synapse {synapse_kind!r} (known: {', '.join(SYNAPSE_KINDS)})")
    return {**GROUPS, "synapse": SYNAPSE_KINDS[synapse_kind]}


@dataclass(frozen=True)
class RunConfig:
    """Sequence set plus every parameter group, resolved and validated."""

    task: str
    sequence_set: SequenceSet
    groups: Mapping[str, ParameterSet]

    def __getattr__(self, name: str) -> ParameterSet:
        groups = object.__getattribute__(self, "groups")
        if name in groups:
            return groups[name]
        raise AttributeError(name)

    @property
    def sparse_first(self) -> bool:
        mode = self.groups["run"]["sparse_first"]
        return self.sequence_set.sparse_first if mode == "auto" else mode == "on"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form; :func:`config_from_dict` inverts it."""
        freqs = ({"frequencies": list(self.sequence_set.frequencies)}
                 if self.sequence_set.frequencies else {})
        return {"task": self.task, "sequences": [list(s) for s in self.sequence_set.sequences],
                "synapse_overrides": dict(self.sequence_set.synapse_overrides),
                "set_sparse_first": self.sequence_set.sparse_first,
                "alphabet": list(self.sequence_set.alphabet), **freqs,
                **{name: group.to_dict() for name, group in self.groups.items()}}

    def hash(self) -> str:
        return parameter_hash(self.to_dict())


def parse_set_options(options: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["neuron.tau_h=500", ...]`` -> ``{"neuron": {"tau_h": 500}}``; the groups are
    checked against this module's (sequence-network) groups."""
    values = resolve_layers(KNOWN_GROUPS, options)
    return {g: v for g, v in values.items() if v}


def load_config_file(path: str | Path, groups: bool = True) -> dict[str, Any]:
    """Read a JSON, YAML or TOML file of ``{group: {key: value}}``.

    With ``groups=False`` any mapping is accepted (sweep specs).
    """
    data = read_parameter_file(path)
    record = _run_record(data)
    if record is not None:         # a run's params.json: its groups (the set: _recorded_set)
        data = {g: v for g, v in record.items() if g in GROUPS}
        if isinstance(record.get("frequencies"), list):
            data["task"] = {"frequencies": record["frequencies"]}
    if not groups:
        if not isinstance(data, dict):
            raise ParameterError(f"config file {path}: expected a mapping at the top level")
        return data
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParameterError(f"config file {path}: expected a mapping of groups to mappings "
                             "({group: {key: value}})")
    resolve_layers(KNOWN_GROUPS, data)       # unknown groups refused in one line
    return data


def _check_params(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{group: {key: value}}`` given from Python: a mapping of known groups to mappings."""
    if not isinstance(params, Mapping) or not all(isinstance(v, Mapping) for v in params.values()):
        raise ParameterError("params: expected a mapping of groups to mappings ({group: {key: value}})")
    resolve_layers(KNOWN_GROUPS, params)
    return {g: dict(v) for g, v in params.items()}


def _task_options(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the keys of the ``task`` section."""
    for key in values:
        if key not in TASK_KEYS:
            raise ParameterError(f"unknown key task.{key} (known: {', '.join(TASK_KEYS)})")
    return dict(values)


def _select_set(task: str | None, sequences: str | None,
                random: RandomTaskParams) -> tuple[str, SequenceSet]:
    if task and sequences:
        raise ParameterError("give either --task or --sequences, not both")
    if sequences is not None:
        return "custom", parse_sequences(sequences)
    task = task or "set1"
    if task != "random" and task not in NAMED_SETS:
        raise ParameterError(f"unknown task {task!r} (known: {', '.join(NAMED_SETS)}, random)")
    if task == "random":
        return "random", random_high_order(random.n_sequences, random.length, random.shared_core,
                                           random.vocab_size, random.seed)
    return task, named_set(task)


def _check_synapse_keys(cls: type[ParameterSet], given: Mapping[str, Any]) -> None:
    """Name the synapse kind a misplaced synapse parameter belongs to."""
    for key in given:
        if key in cls.SPECS:
            continue
        owners = [kind for kind, other in SYNAPSE_KINDS.items() if key in other.SPECS]
        if owners:
            raise ParameterError(f"synapse.{key} is a parameter of the {' and '.join(owners)} "
                                 f"synapse, not of {cls.KIND} (choose it with --synapse)")


def _episode_and_tau_h(seq_set: SequenceSet, timing: TimingParams) -> tuple[float, float]:
    """(mean episode length, derived neuron.tau_h) in ms: tau_h is the mean interval
    between presentations of the most repeated beginning (one pass over the set when
    no two sequences begin alike, Bouhadjar et al. 2022)."""
    cycle = [(n - 1) * timing.delta_T + timing.gap for n in seq_set.lengths]
    episode = len(cycle) * sum(f * c for f, c in zip(seq_set.weights, cycle))
    tau_h = (dap_trace_tau(seq_set.lengths, timing.delta_T, timing.gap)
             if seq_set.context_repeats() == 1.0 and not seq_set.frequencies
             else episode / seq_set.context_repeats())
    return episode, tau_h


def _build(task_name: str, seq_set: SequenceSet,
           user: Mapping[str, Mapping[str, Any]]) -> RunConfig:
    timing = TimingParams(user.get("timing", {}))
    classes = group_classes(RunParams(user.get("run", {})).synapse)
    episode, tau_h = _episode_and_tau_h(seq_set, timing)
    synapse_specs = classes["synapse"].SPECS
    # the set's learning rates and the lag window belong to the permanence rules
    derived_synapse = {k: v for k, v in {"dt_max": 2.0 * timing.delta_T,
                                         **classes["synapse"].task_derived(episode),
                                         **seq_set.synapse_overrides,
                                         **classes["synapse"].TASK_OVERRIDES.get(task_name, {})
                                         }.items()
                       if k in synapse_specs}
    derived = {
        # values the synapse kind needs of the neuron (e.g. what its gate's calcium counts)
        "neuron": {"tau_h": tau_h, **classes["synapse"].NEURON_DEFAULTS},
        "synapse": derived_synapse,
        # one inhibitory neuron shared by all subpopulations: the branches compete
        "network": {"inhibition": "shared"} if seq_set.frequencies else {},
    }
    inhibition = user.get("network", {}).get("inhibition",
                                             derived["network"].get("inhibition"))
    if inhibition == "shared":
        rho = NetworkParams(user.get("network", {})).rho
        derived["replay"] = {**SHARED_INHIBITION_REPLAY,
                             "ie_quorum": max(1.0, SHARED_QUORUM_FRACTION * rho)}
    values = resolve_layers(list(GROUPS), derived, user)
    _check_synapse_keys(classes["synapse"], values.get("synapse", {}))
    groups = {name: cls(values.get(name, {})) for name, cls in classes.items()}
    net, syn = groups["network"], groups["synapse"]
    if "permanence_max" in syn and net.permanence_init_high > syn.permanence_max:
        raise ParameterError("network.permanence_init_high exceeds synapse.permanence_max")
    if syn.delay < groups["run"].resolution:
        raise ParameterError("synapse.delay must be at least run.resolution")
    return RunConfig(task_name, seq_set, groups)


def resolve_config(task: str | None = None, sequences: str | None = None,
                   config_file: str | Path | None = None, set_options: Sequence[str] = (),
                   frequencies: Any = None, params: Mapping[str, Mapping[str, Any]] | None = None,
                   **run_flags: Any) -> RunConfig:
    """Resolve a run's configuration from the command line's ingredients.

    ``frequencies`` (text such as ``"0.7,0.3"`` or a list) are the sequences'
    training frequencies; ``params`` are ``{group: {key: value}}`` (between the
    file and ``set_options``); ``run_flags`` are explicit ``run`` values
    (``episodes``, ``seed``, ``threads``, ``synapse``). None values are ignored.
    A run's own ``params.json`` as ``config_file`` also gives its sequences
    (unless ``task`` or ``sequences`` is given).
    """
    user, task_opts = _user_values(config_file, set_options, frequencies, run_flags,
                                   params=params)
    random = RandomTaskParams(user.get("random", {}))
    recorded = _recorded_set(config_file) if task is None and sequences is None else None
    task_name, seq_set = recorded or _select_set(task, sequences, random)
    return _build(task_name, _with_frequencies(seq_set, task_opts), user)


def _recorded_set(config_file) -> tuple[str, SequenceSet] | None:
    """The task and sequence set of a run's ``params.json`` given as config file."""
    if not config_file or Path(config_file).suffix.lower() != ".json":
        return None
    record = _run_record(json.loads(Path(config_file).read_text()))
    if record is None:
        return None
    cfg = config_from_dict(record)
    return cfg.task, cfg.sequence_set


def _run_record(data: Any) -> dict | None:
    """The parameter record of a run's ``params.json`` (``{"family", "hash", "params"}``;
    ``family`` is missing in runs written before it), or None."""
    if isinstance(data, dict) and set(data) - {"family"} == {"hash", "params"} \
            and isinstance(data["params"], dict):
        return data["params"]
    return None


def _user_values(config_file, set_options: Sequence[str], frequencies: Any,
                 run_flags: Mapping[str, Any], base: Mapping[str, Mapping[str, Any]] | None = None,
                 params: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """({group: values} of ``base``, the file, ``params``, --set and the flags, later
    winning; the pseudo-group ``task``'s options)."""
    from_file = load_config_file(config_file) if config_file else {}
    given = _check_params(params or {})
    flags = {"run": {k: v for k, v in run_flags.items() if v is not None},
             "task": {} if frequencies is None else {"frequencies": frequencies}}
    user = resolve_layers(KNOWN_GROUPS, base, from_file, given, list(set_options), flags)
    user = {g: v for g, v in user.items() if v or g == "task"}
    return user, _task_options(user.pop("task", {}))


def _with_frequencies(seq_set: SequenceSet, task_opts: Mapping[str, Any]) -> SequenceSet:
    if task_opts.get("frequencies") is None:
        return seq_set
    return seq_set.with_frequencies(parse_frequencies(task_opts["frequencies"]))


def resolve_resumed_config(source: RunConfig, task: str | None = None,
                           sequences: str | None = None,
                           config_file: str | Path | None = None, set_options: Sequence[str] = (),
                           frequencies: Any = None,
                           params: Mapping[str, Mapping[str, Any]] | None = None,
                           **run_flags: Any) -> RunConfig:
    """The configuration of a run that continues training ``source``'s network.

    The source run's values are the base (in place of the defaults and the
    task-derived values: the network keeps its neuron, synapse and network
    parameters); a configuration file, ``--set`` options and flags apply on top
    as usual. ``task`` or ``sequences`` choose what is trained next (default:
    the source's set); its elements must be elements of the source network,
    whose subpopulations keep their order. The network's structure (its size,
    connection probability and synapse kind) cannot change.
    """
    base = {name: dict(values) for name, values in source.to_dict().items() if name in GROUPS}
    base["run"].pop("episodes", None)                    # default: RunParams' own
    user, task_opts = _user_values(config_file, set_options, frequencies, run_flags, base,
                                   params=params)
    vocab = source.sequence_set.vocabulary
    if task is None and sequences is None:
        task_name, seq_set = source.task, source.sequence_set
    else:
        task_name, seq_set = _select_set(task, sequences, RandomTaskParams(user.get("random", {})))
        unknown = sorted({el for seq in seq_set.sequences for el in seq} - set(vocab))
        if unknown:
            raise ParameterError(f"element {unknown[0]!r} has no subpopulation in the resumed "
                                 f"network (its elements: {' '.join(vocab)})")
        seq_set = replace(seq_set, alphabet=tuple(vocab))
    config = _build(task_name, _with_frequencies(seq_set, task_opts), user)
    for group, key in (("run", "synapse"), ("network", "n_E"), ("network", "p_EE")):
        if config.groups[group][key] != source.groups[group][key]:
            raise ParameterError(f"{group}.{key} cannot change when training continues "
                                 f"({source.groups[group][key]} in the resumed run)")
    return config


def config_from_dict(data: Mapping[str, Any]) -> RunConfig:
    """Rebuild a :class:`RunConfig` from :meth:`RunConfig.to_dict` output."""
    try:
        seq_set = SequenceSet(data["task"], tuple(tuple(s) for s in data["sequences"]),
                              dict(data.get("synapse_overrides", {})),
                              bool(data.get("set_sparse_first", False)),
                              tuple(data.get("alphabet", ())))
        if data.get("frequencies"):
            seq_set = seq_set.with_frequencies(data["frequencies"])
        kind = data.get("run", {}).get("synapse", "stdsp")
        groups = {name: cls(data[name]) for name, cls in group_classes(kind).items()}
    except (KeyError, TypeError) as exc:
        raise ParameterError(f"incomplete parameter record (missing {exc})") from None
    return RunConfig(data["task"], seq_set, groups)


def describe_config(config: RunConfig) -> str:
    """Every group of ``config`` as aligned text: name, value, unit, meaning, source."""
    seqs = "; ".join(" ".join(s) for s in config.sequence_set.sequences)
    lines = [f"task {config.task}: {seqs}"]
    if config.sequence_set.frequencies:
        lines.append("frequencies " + ", ".join(f"{f:g}" for f in config.sequence_set.frequencies))
    # values the named set prescribes (its learning rates), and the one derived from it
    own = f"task {config.task}: {config.sequence_set.name}'s own value " \
          "(sequences/tasks/sequence_sets.py)"
    sources = {("synapse", k): (v, own) for k, v in config.sequence_set.synapse_overrides.items()}
    _, tau_h = _episode_and_tau_h(config.sequence_set, config.timing)
    sources[("neuron", "tau_h")] = (tau_h, f"derived for task {config.task} "
                                           "(sequences/temporal_memory/config.py)")
    return "\n".join(lines + describe_groups(config.groups, sources))
