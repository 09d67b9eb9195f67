# SPDX-License-Identifier: GPL-2.0-or-later
"""Declared, validated, immutable parameter sets.

Every parameter is declared once with a default, a unit, a one-line meaning and a
source. A :class:`ParameterSet` subclass lists its :class:`Param` declarations in
``SPECS``; instances are immutable mappings. Creating one with an unknown key, a
non-numeric or non-finite value, or a value outside the declared bounds raises
:class:`ParameterError` with a one-line message naming the parameter.

Every family resolves its configuration in layers (defaults, then values derived
from the task, a file, ``--set`` options and flags; later layers win) through one
function, :func:`resolve_layers`, which also parses the command line's ``--set``.

This module does not import NEST.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Union

from seqnest.errors import ParameterError

__all__ = ["Choice", "Param", "ParameterError", "ParameterSet", "parameter_hash", "positive",
           "describe_groups", "USER_SOURCE", "coerce", "split_set_option", "resolve_layers",
           "read_parameter_file"]


@dataclass(frozen=True)
class Param:
    """Declaration of one scalar parameter.

    Parameters
    ----------
    default : float
        Default value, in ``unit``.
    unit : str
        Physical unit ("1" for dimensionless).
    doc : str
        One-line meaning.
    source : str
        Where the default comes from (paper, equation, measurement).
    low, high : float or None
        Bounds; ``None`` means unbounded on that side.
    low_open, high_open : bool
        Whether the bound itself is excluded.
    integer : bool
        Whether only whole numbers are allowed.
    allow_inf : bool
        Whether +infinity is allowed (an ideal limit, e.g. an infinite on/off
        ratio). ``None`` and the text "inf" also mean +infinity, so the value
        survives strict JSON, which writes it as null.
    """

    default: float
    unit: str
    doc: str
    source: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    allow_inf: bool = False

    def _unit(self) -> str:
        return "" if self.unit == "1" else f" {self.unit}"

    def check(self, owner: str, name: str, value: Any) -> float:
        """Return ``value`` as a number, or raise :class:`ParameterError`."""
        if self.allow_inf and (value is None or (isinstance(value, (int, float, str))
                                                 and not isinstance(value, bool)
                                                 and _is_plus_inf(value))):
            return math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{owner}.{name}: expected a number in {self.unit}, got {value!r}") from None
        if not math.isfinite(value):
            raise ParameterError(f"{owner}.{name}: must be finite, got {value!r}")
        if self.integer:
            if float(value) != int(value):
                raise ParameterError(f"{owner}.{name}: must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            rel = ">" if self.low_open else ">="
            raise ParameterError(
                f"{owner}.{name}: must be {rel} {self.low:g}{self._unit()}, got {value:g}")
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            rel = "<" if self.high_open else "<="
            raise ParameterError(
                f"{owner}.{name}: must be {rel} {self.high:g}{self._unit()}, got {value:g}")
        return value


def _is_plus_inf(value: Any) -> bool:
    try:
        return float(value) == math.inf
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Choice:
    """Declaration of a parameter that takes one of a fixed set of names."""

    default: str
    choices: tuple[str, ...]
    doc: str
    source: str
    unit: str = "choice"

    def check(self, owner: str, name: str, value: Any) -> str:
        if value not in self.choices:
            raise ParameterError(f"{owner}.{name}: must be one of {', '.join(self.choices)}; "
                                 f"got {value!r}")
        return str(value)


def positive(default: float, unit: str, doc: str, source: str, **kw: Any) -> Param:
    """Shorthand for a strictly positive parameter."""
    return Param(default, unit, doc, source, low=0.0, low_open=True, **kw)


class ParameterSet(Mapping[str, Any]):
    """Immutable, validated mapping of named parameters.

    Subclasses define ``NAME`` (used in error messages) and ``SPECS``, and may
    override :meth:`_check_relations` for constraints between parameters.
    """

    NAME: ClassVar[str] = "parameters"
    SPECS: ClassVar[dict[str, Param | Choice]] = {}

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None, /, **overrides: Any) -> None:
        given = dict(values or {})
        given.update(overrides)
        unknown = sorted(set(given) - set(self.SPECS))
        if unknown:
            known = ", ".join(sorted(self.SPECS))
            raise ParameterError(
                f"unknown parameter {unknown[0]!r} for {self.NAME} (known: {known})")
        resolved = {}
        for name, spec in self.SPECS.items():
            resolved[name] = spec.check(self.NAME, name, given.get(name, spec.default))
        object.__setattr__(self, "_values", resolved)
        self._check_relations()

    def _check_relations(self) -> None:
        """Raise :class:`ParameterError` if parameters are inconsistent."""

    def _require(self, ok: bool, message: str) -> None:
        if not ok:
            raise ParameterError(f"{self.NAME}: {message}")

    # -- mapping protocol ---------------------------------------------------
    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> float:
        try:
            return object.__getattribute__(self, "_values")[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace()")

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({items})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and dict(self) == dict(other)  # type: ignore[arg-type]

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._values.items())))

    # -- helpers --------------------------------------------------------------
    def replace(self, **changes: Any) -> "ParameterSet":
        """Return a copy with ``changes`` applied (validated)."""
        return type(self)(self._values, **changes)

    def to_dict(self) -> dict[str, float]:
        return dict(self._values)

    @classmethod
    def describe(cls) -> list[tuple[str, float, str, str, str]]:
        """Rows ``(name, default, unit, meaning, source)`` for documentation."""
        return [(n, s.default, s.unit, s.doc, s.source) for n, s in cls.SPECS.items()]


#: The source of a value that is neither a parameter's default nor one its family
#: sets: the user's (a config file or ``--set``).
USER_SOURCE = "given (config file or --set)"


def describe_groups(groups: Mapping[str, "ParameterSet"],
                    sources: Mapping[tuple[str, str], tuple[Any, str]] | None = None,
                    others: str | None = None) -> list[str]:
    """Each parameter group as aligned lines: name, value, unit, meaning, source.
    ``sources`` maps (group, key) to (value, source) for values a task prescribes or
    derives: shown as that source where the value is still it. ``others`` (e.g.
    :data:`USER_SOURCE`), when ``sources`` holds every value the family sets: the
    source of any other value that is not the parameter's default."""
    lines = []
    for name, group in groups.items():
        lines += ["", f"[{name}]  ({type(group).__name__})"]
        specs = type(group).SPECS
        width = max((len(k) for k in specs), default=0)
        for key, spec in specs.items():
            value = group[key]
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            unit = "" if spec.unit in ("", "1") else f" {spec.unit}"
            source = spec.source
            given = (sources or {}).get((name, key))
            if given is not None and given[0] == value:
                source = given[1]
            elif others and value != spec.default:
                source = others
            lines.append(f"  {key:<{width}}  {shown}{unit}  {spec.doc}  [{source}]")
    return lines


def parameter_hash(params: Mapping[str, Any]) -> str:
    """Stable SHA-256 (hex, 16 chars) of a JSON-serialisable parameter mapping."""
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"), default=float)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


# -- layered resolution: defaults -> derived -> file -> --set -> flags, later wins -----------

def coerce(text: str) -> Any:
    """A ``--set`` value as typed: ``true``/``false``, an int, a float, else the text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text.strip()


def split_set_option(opt: str) -> tuple[str, str, Any]:
    """``"neuron.tau_h=500"`` -> ``("neuron", "tau_h", 500)`` (value typed, names unchecked)."""
    key, sep, value = opt.partition("=")
    group, dot, name = key.strip().partition(".")
    if not sep or not dot or not group or not name:
        raise ParameterError(f"--set expects group.key=value, got {opt!r}")
    return group, name, coerce(value)


#: One layer of values: ``{group: {key: value}}``, ``{"group.key": value}`` or
#: ``["group.key=value", ...]`` (the command line's ``--set``).
Layer = Union[Mapping[str, Any], Sequence[str]]


def _layer_items(layer: Layer) -> Iterator[tuple[str, str, Any]]:
    if isinstance(layer, str):
        raise ParameterError(f"parameters: expected a mapping or a list of group.key=value, "
                             f"got the text {layer!r}")
    if not isinstance(layer, Mapping):
        for opt in layer:
            yield split_set_option(str(opt))
        return
    for key, value in layer.items():
        group, dot, name = str(key).partition(".")
        if dot:
            if not group or not name:
                raise ParameterError(f"parameter {key!r}: expected group.key")
            yield group, name, value
        elif isinstance(value, Mapping):
            for name, v in value.items():
                yield group, str(name), v
        else:
            raise ParameterError(f"parameter group {key!r} must be a mapping of key: value, "
                                 f"got {value!r}")


def resolve_layers(known: Sequence[str], *layers: Layer | None,
                   hint: str = "") -> dict[str, dict[str, Any]]:
    """Merge layers of parameter values into ``{group: {key: value}}``, later layers
    winning; every family resolves its configuration (and the command line its
    ``--set`` options) through this one function.

    ``known``: the groups a layer may name (an unknown one is refused in one line,
    with ``hint`` appended); None layers are skipped. The keys are checked by each
    group's :class:`ParameterSet` when the family builds it.
    """
    out: dict[str, dict[str, Any]] = {g: {} for g in known}

    def refuse(group: str, where: str) -> None:
        raise ParameterError(f"unknown parameter group {group!r}{where} (known: "
                             f"{', '.join(known)}){hint}")

    for layer in layers:
        if isinstance(layer, Mapping):          # an empty group is still named
            for key in layer:
                if "." not in str(key) and key not in out:
                    refuse(str(key), "")
        for group, name, value in _layer_items(layer or {}):
            if group not in out:
                refuse(group, f" in {group}.{name}")
            out[group][name] = value
    return out


def read_parameter_file(path: str | os.PathLike) -> Any:
    """The content of a JSON, YAML or TOML file (one-line errors naming the file)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"config file not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml", ".toml"):
        raise ParameterError(f"config file {path}: unknown format {suffix!r} "
                             "(use .json, .yaml or .toml)")
    try:
        text = path.read_text()
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            import tomllib
            data = tomllib.loads(text)
        else:
            import yaml
            data = yaml.safe_load(text)
    except Exception as exc:  # parser errors differ per format; report one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"config file {path}: cannot parse: {first}") from None
    return {} if data is None else data
