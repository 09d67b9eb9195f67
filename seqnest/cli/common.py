# SPDX-License-Identifier: GPL-2.0-or-later
"""What every command shares: the one-line-error parser, argument types and the
module provider that says when a compilation starts."""
from __future__ import annotations

import argparse
import sys

__all__ = ["Parser", "positive_int", "module", "version"]


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def version() -> str:
    import seqnest
    return seqnest.__version__


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def module(force: bool = False, with_nest: str | None = None, jobs: int | None = None):
    """Build or reuse the module, telling the user when a compilation starts."""
    import seqnest

    def notice() -> None:
        print("seqnest: compiling the NESTML models (once; about 2 minutes on 2 cores) ...",
              file=sys.stderr, flush=True)

    return seqnest.build(force=force, with_nest=with_nest, jobs=jobs, on_compile=notice)
