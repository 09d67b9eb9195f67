# SPDX-License-Identifier: GPL-2.0-or-later
"""The kinds of directory seqnest writes, recognised by the files that mark them, and
the one-line answer to a directory of the wrong kind: what it is and which
commands take it."""
from __future__ import annotations

import os
from pathlib import Path

from seqnest.sequences.rundir import (COINCIDENCE, PATTERNS, TEMPORAL_MEMORY, RunDirError,
                                      check_run_dir, run_family)

__all__ = ["DIRECTORY_KINDS", "KIND_MARKERS", "directory_kind", "require_kind"]


#: What each kind of directory seqnest writes is, and the commands that take it.
DIRECTORY_KINDS: dict[str, tuple[str, str]] = {
    TEMPORAL_MEMORY: ("a temporal-memory run (seqnest learn)",
                      "seqnest replay, report, export and learn --resume take it"),
    PATTERNS: ("a pattern-sequence run (seqnest learn-patterns)", "seqnest report takes it"),
    COINCIDENCE: ("a coincidence-detection run (seqnest cd-train)",
                  "seqnest cd-eval and seqnest report take it"),
    "replay": ("a replay directory (seqnest replay)",
               "seqnest report takes it (the report of its run shows it too)"),
    "eval": ("a coincidence evaluation (seqnest cd-eval)",
             "it is read by the report of its run"),
    "trials": ("a directory of noisy replay trials (seqnest replay --trials)",
               "seqnest report takes it (the report of its run shows it too)"),
    "sweep": ("a sweep directory (seqnest sweep)", "seqnest report takes it"),
    "tune": ("a parameter search (seqnest tune)",
             "seqnest report takes it, seqnest tune continues it with its spec"),
    "study": ("a benchmark study (bench/coincidence_study.py)",
              "its script reads it again (study.json)"),
}

#: The file that marks each kind of directory that is not a run (runs: params.json).
KIND_MARKERS = (("trials", "branches.json"), ("replay", "replay.json"), ("eval", "eval.json"),
                ("tune", "tune.json"), ("study", "study.json"))


def directory_kind(folder: str | os.PathLike) -> str | None:
    """Which kind of :data:`DIRECTORY_KINDS` ``folder`` is (None: none that is readable)."""
    folder = Path(folder)
    family = run_family(folder)            # a run's own params.json comes first
    if family is not None:
        return family
    for kind, marker in KIND_MARKERS:
        if (folder / marker).is_file():
            return kind
    if (folder / "results.csv").is_file() and not (folder / "params.json").is_file():
        return "sweep"
    return None


def require_kind(run_dir: str | os.PathLike, kind: str) -> Path:
    """``run_dir`` if it is a directory of ``kind``; otherwise one line saying what it
    is and which commands take it. A run whose ``params.json`` cannot be read is
    returned for its reader to name the damage."""
    run = check_run_dir(run_dir)
    found = directory_kind(run)
    if found == kind or (found is None and (run / "params.json").is_file()):
        return run
    expected = DIRECTORY_KINDS[kind][0]
    if found not in DIRECTORY_KINDS:
        raise RunDirError(f"{run} is not a directory seqnest wrote (no params.json, "
                          f"results.csv or other file seqnest marks its output with); "
                          f"expected {expected}")
    what, takes = DIRECTORY_KINDS[found]
    raise RunDirError(f"{run} is {what}, not {expected}: {takes}")
