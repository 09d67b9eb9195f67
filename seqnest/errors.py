# SPDX-License-Identifier: GPL-2.0-or-later
"""The package's errors, in one hierarchy.

Every error this package raises on purpose is a :class:`SeqnestError`, with a
one-line message that names what is wrong (a parameter, a file, a build step).
The command line turns :class:`ParameterError` (and so :class:`RunDirError`)
into exit code 2 and :class:`BuildError` into exit code 1.
"""
from __future__ import annotations

__all__ = ["SeqnestError", "ParameterError", "RunDirError", "BuildError", "TrainingStopped"]


class SeqnestError(Exception):
    """Base of the errors this package raises on purpose (one-line messages)."""


class ParameterError(SeqnestError, ValueError):
    """A parameter is unknown, malformed or outside its allowed range."""


class RunDirError(ParameterError):
    """A run directory or one of its files is missing or unreadable (bad input, like a
    parameter: exit code 2)."""


class BuildError(SeqnestError, RuntimeError):
    """The module cannot be built; the message is one line and says what to do."""


class TrainingStopped(SeqnestError):
    """A training stopped after an episode by the monitor its caller passed (a trial of
    a parameter search that its pruner judged hopeless); nothing of it is written."""
