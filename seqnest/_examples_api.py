# SPDX-License-Identifier: GPL-2.0-or-later
"""The sweep specs and example scripts that ship with seqnest (``seqnest/specs``,
``seqnest/examples``; in a source checkout the top-level ``specs/`` and
``examples/``): list them, copy them where the user wants them."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from seqnest.errors import RunDirError

__all__ = ["SHIPPED", "list_examples", "copy_examples"]

#: The shipped folders and what they hold.
SHIPPED = {"specs": "sweep specs: seqnest sweep specs/NAME.yaml --out DIR",
           "examples": "Python scripts: python examples/NAME.py --help"}

#: The files that are shipped (caches and editor files are not).
_SUFFIXES = (".py", ".yaml")


def _root() -> Path:
    return Path(__file__).resolve().parent


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in _SUFFIXES)


def _summary(path: Path, width: int = 90) -> str:
    """The first sentence (or its beginning) of a script's docstring or of a spec's leading comment."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if path.suffix == ".py":
            if text.startswith(('"""', "'''")):
                words = [text.strip("\"' ")]
                break
        elif text.startswith("#") and not text.startswith("#   "):   # not a command line
            words.append(text.lstrip("# "))
            if text.endswith((".", "?")):
                break
        elif words or text:
            break
    sentence = " ".join(words)
    return sentence if len(sentence) <= width else sentence[:width - 3].rstrip() + "..."


def list_examples() -> list[tuple[str, str]]:
    """(path relative to the copy, first line of its description) of every shipped
    spec and example script."""
    return [(f"{name}/{p.name}", _summary(p))
            for name in SHIPPED for p in _files(_root() / name)]


def copy_examples(dest: str | os.PathLike) -> list[Path]:
    """Copy the shipped ``specs/`` and ``examples/`` into ``dest`` (created if needed),
    so that the commands in their comments run from ``dest``; return the two folders.
    Neither may exist yet in ``dest``: nothing of the user's is replaced, and an
    interrupted copy leaves nothing."""
    from seqnest.sequences.rundir import atomic_directory, require_writable
    dest = Path(dest)
    targets = [dest / name for name in SHIPPED]
    for target in targets:
        if target.exists() or target.is_symlink():
            raise RunDirError(f"{target} exists: not replaced; choose another folder")
    if dest.exists() and not dest.is_dir():
        raise RunDirError(f"{dest} exists and is not a folder")
    require_writable(dest, f"cannot write into {dest}")
    done: list[Path] = []
    try:
        for name, target in zip(SHIPPED, targets):
            with atomic_directory(target) as tmp:        # written beside, then renamed
                for src in _files(_root() / name):
                    shutil.copyfile(src, tmp / src.name)
            done.append(target)
    except BaseException:
        for target in done:               # all or nothing: the folders this call made
            shutil.rmtree(target, ignore_errors=True)
        raise
    return done
