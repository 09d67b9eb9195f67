# SPDX-License-Identifier: GPL-2.0-or-later
"""Declared, validated, immutable parameter sets.

Every parameter is declared once with a default, a unit, a one-line meaning and a
source. A :class:`ParameterSet` subclass lists its :class:`Param` declarations in
``SPECS``; instances are immutable mappings. Creating one with an unknown key, a
non-numeric or non-finite value, or a value outside the declared bounds raises
:class:`ParameterError` with a one-line message naming the parameter.

This module does not import NEST.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from seqnest.errors import ParameterError

__all__ = ["Choice", "Param", "ParameterError", "ParameterSet", "parameter_hash", "positive"]


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


def parameter_hash(params: Mapping[str, Any]) -> str:
    """Stable SHA-256 (hex, 16 chars) of a JSON-serialisable parameter mapping."""
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"), default=float)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
