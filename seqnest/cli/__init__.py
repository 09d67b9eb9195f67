# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest``: command-line entry point.

Subcommands:

* ``seqnest build [--force] [--with-nest NEST_CONFIG] [--jobs N]`` builds the
  NESTML model module or reuses the cached one, and prints where it is;
* ``seqnest demo [--seed S]`` runs the single-neuron and single-synapse
  demonstrations and prints their figures next to the reference values;
* ``seqnest learn [--task NAME | --sequences TEXT] [--episodes N] [--seed S]
  [--threads T] [--config FILE] [--set group.key=value ...] --out DIR`` trains
  the sequence network and writes a run directory;
* ``seqnest replay RUN_DIR [--repetitions N]`` replays the learned sequences
  from their cues;
* ``seqnest report RUN_DIR`` writes a self-contained HTML report of a run
  directory (figures, metrics, parameters, environment; no NEST needed);
* ``seqnest sweep SPEC --out DIR [--cluster local|slurm] [--workers N] [--dry-run]``
  runs a parameter sweep on Dask (see :mod:`seqnest.sequences.sweep`);
* ``seqnest cd-train --task T --out DIR`` and ``seqnest cd-eval RUN_DIR`` train a
  dendritic coincidence detector offline and run it in NEST with RRAM devices;
* ``seqnest example [--out DIR]`` learns set I, replays it and prints a summary.

Errors in the input or the environment give one line on stderr and exit code 2
(bad input) or 1 (a failed build or simulation); Ctrl-C gives 130.

Each command is a thin call of the public API (:mod:`seqnest`); the modules of
this package hold one family's commands each: :mod:`~seqnest.cli.build` (build,
demo), :mod:`~seqnest.cli.temporal_memory` (learn, replay, example),
:mod:`~seqnest.cli.pattern_sequences` (learn --inputs),
:mod:`~seqnest.cli.coincidence` (cd-train, cd-eval) and :mod:`~seqnest.cli.runs`
(report, sweep); this module holds the dispatch, MPI and Ctrl-C handling.
"""
from __future__ import annotations

import argparse
import os
import sys

from seqnest.cli import build, coincidence, runs, temporal_memory
from seqnest.cli.common import Parser, version
from seqnest.errors import BuildError, ParameterError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="seqnest", description="Spiking sequence learning on NEST with "
                    "NESTML models of active dendrites and hardware-like synapses.")
    parser.add_argument("--version", action="version", version=f"seqnest {version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for family in (build, temporal_memory, runs, coincidence):
        family.add_parsers(sub)
    return parser


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"seqnest: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import contextlib
    import warnings

    from seqnest.pynest_ext.parallel import launcher_rank, launcher_size
    args = _parser().parse_args(argv)
    refused = _one_process_only(args) if launcher_size() > 1 else None
    if refused is not None:
        if launcher_rank() == 0:
            print(f"seqnest: error: {refused}", file=sys.stderr)
        return 2
    # under mpirun every rank runs the command; rank 0 prints (and writes) for all
    quiet = open(os.devnull, "w") if launcher_rank() > 0 else None
    if quiet is not None and hasattr(args, "no_progress"):
        args.no_progress = True
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet or sys.stdout):
        warnings.showwarning = _warn_one_line
        try:
            return _run(args)
        finally:
            if quiet is not None:
                quiet.close()


#: Commands that run across MPI processes (the sequence network gathers every rank's
#: data; `build` compiles once under a lock); every other one is refused under mpirun.
_ACROSS_PROCESSES = {"build", "learn", "replay", "example"}


def _one_process_only(args: argparse.Namespace) -> str | None:
    """Why ``args`` cannot run under an MPI launcher of several processes (None: it can)."""
    from seqnest.pynest_ext.parallel import launcher_size, one_process_refusal
    what = f"seqnest {args.command}"
    if args.command == "learn" and getattr(args, "inputs", None):
        what = f"seqnest learn --inputs {args.inputs}"
    elif args.command in _ACROSS_PROCESSES:
        return None
    return one_process_refusal(what, launcher_size(),
                               across="the sequence network (seqnest learn, replay, example)")


class _Interrupts:
    """Whether Ctrl-C (or SIGTERM, as a batch scheduler sends it) arrived: a library
    that catches the KeyboardInterrupt inside its own code (HDF5, plotting, NEST)
    and raises something else instead must still end the command as interrupted,
    not as an error."""

    seen = False
    signum = 2

    @classmethod
    def handler(cls, signum, frame):
        cls.seen, cls.signum = True, signum
        raise KeyboardInterrupt

    @classmethod
    def install(cls):
        """Install the handler for SIGINT and SIGTERM (main thread, default handlers
        only); returns a restorer."""
        import signal
        import threading
        cls.seen, cls.signum = False, signal.SIGINT
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
        mine = [sig for sig, default in defaults.items() if signal.getsignal(sig) is default]
        for sig in mine:
            signal.signal(sig, cls.handler)

        def restore():
            for sig in mine:
                signal.signal(sig, defaults[sig])
        return restore


def _interrupted() -> int:
    import signal
    name = "interrupted" if _Interrupts.signum == signal.SIGINT else \
        f"stopped by {signal.Signals(_Interrupts.signum).name}"
    print(f"seqnest: {name}", file=sys.stderr)
    return 128 + int(_Interrupts.signum)


def _run(args: argparse.Namespace) -> int:
    restore = _Interrupts.install()
    try:
        return _dispatch(args)
    finally:
        restore()


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except ParameterError as exc:
        if _Interrupts.seen:
            return _interrupted()
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        if _Interrupts.seen:
            return _interrupted()
        print(f"seqnest: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if _Interrupts.seen:
            return _interrupted()
        if type(exc).__module__.split(".")[0] in ("nest", "NESTErrors", "nestkernel_api"):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"seqnest: error: NEST: {first}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        return _interrupted()


if __name__ == "__main__":
    sys.exit(main())
