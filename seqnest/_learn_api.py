# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest.learn`` and ``seqnest.find_checkpoint``: training a sequence network
into a run directory, with its checkpoints (re-exported by :mod:`seqnest`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from seqnest.pynest_ext.buildcache import BuiltModule
    from seqnest.sequences.temporal_memory.config import RunConfig
    from seqnest.sequences.temporal_memory.learn import TrainingResult

__all__ = ["learn", "find_checkpoint", "checkpoint_run_directory"]


def learn(out: str | os.PathLike | None = None, *, force: bool = False, progress: bool = False,
          module: "BuiltModule | Callable[[], BuiltModule] | None" = None, config: "RunConfig | None" = None,
          resume: str | os.PathLike | None = None, checkpoint_every: int = 0,
          checkpoint_minutes: float | None = None, checkpoints: bool = True,
          **options: Any) -> "TrainingResult":
    """Train the sequence network, evaluate every episode, write a run directory.

    Parameters
    ----------
    out : str or path, optional
        Run directory to write (checked before anything is simulated; written
        to a temporary sibling and renamed). None: nothing is written.
    force : bool
        Replace ``out`` if it holds an earlier seqnest run, and start anew over an
        interrupted run's checkpoint beside it.
    progress : bool
        Progress bar with the current error on stderr.
    module : BuiltModule or callable, optional
        The compiled module, or a callable returning it (default: build or reuse).
    config : RunConfig, optional
        A resolved configuration; otherwise ``options`` are passed to
        :func:`resolve_config`.
    resume : str or path, optional
        Continue training the network of this run directory; or, where an
        interrupted run left a checkpoint (``PARENT/.NAME.checkpoint.npz`` beside
        ``resume`` = ``PARENT/NAME``, or the file itself), continue that run to
        ``episodes`` (default: the number it was started with); only
        ``episodes`` and ``threads`` may be given then.
    checkpoint_every : int
        With ``out``: write a checkpoint beside it every this many episodes (0: not
        by episodes).
    checkpoint_minutes : float, optional
        With ``out``: write one every this many minutes of wall-clock time (default
        :data:`~seqnest.sequences.temporal_memory.checkpoint.DEFAULT_EVERY_MINUTES`;
        0: not by time).
    checkpoints : bool
        False: no checkpoints at all, and SIGTERM/Ctrl-C stop at once.
    **options
        :func:`resolve_config` arguments (``task``, ``sequences``, ``params``,
        ``episodes``, ``seed``, ``threads``, ``synapse``, ...).

    Returns
    -------
    seqnest.sequences.temporal_memory.learn.TrainingResult
        Per-episode prediction error, false positives and negatives (fractions),
        the connectivity before and after learning, recordings and timings.

    Raises
    ------
    seqnest.sequences.temporal_memory.checkpoint.TrainingInterrupted
        SIGTERM or Ctrl-C arrived while training with checkpoints: the episode
        under way was finished and a checkpoint written (named in the exception).
    """
    from seqnest.errors import ParameterError, RunDirError
    from seqnest.sequences.rundir import check_output
    from seqnest.sequences.temporal_memory import checkpoint as ck
    from seqnest.sequences.temporal_memory.rundir import load_resume_state, write_training_run
    from seqnest.sequences.temporal_memory.learn import train
    state = start = None
    found = ck.find_checkpoint(resume) if resume is not None else None
    if found is not None and not Path(resume).is_dir():
        start = ck.load_checkpoint(found)
        extra = sorted(k for k, v in options.items()
                       if v is not None and k not in ("episodes", "threads") and v not in ((), []))
        if extra or config is not None:
            raise ParameterError(f"{found} continues its run as it was configured: only "
                                 f"episodes and threads may be given, not "
                                 f"{extra[0] if extra else 'config'}")
        config = ck.continued_config(start, options.get("episodes"), options.get("threads"))
    elif resume is not None:
        source, state = load_resume_state(resume)
        if config is None:
            from seqnest.sequences.temporal_memory.config import resolve_resumed_config
            config = resolve_resumed_config(source, **_config_options(options))
    elif config is None:
        from seqnest.sequences.temporal_memory.config import resolve_config
        config = resolve_config(**_config_options(options))
    elif options:
        raise TypeError(f"learn() got both config and {', '.join(sorted(options))}")
    policy = None
    if out is not None:                       # before anything is built or simulated
        from seqnest.sequences.rundir import check_free_space, remove_stale_temporaries
        from seqnest.sequences.temporal_memory.learn import check_run_resources
        from seqnest.sequences.temporal_memory.rundir import run_directory_bytes
        check_output(out, force)
        # what a killed earlier run of this directory left half-written
        remove_stale_temporaries(Path(out).absolute().parent, {Path(out).name})
        here = ck.checkpoint_path(out)
        if here.is_file() and not force and (start is None or start.path != here):
            raise RunDirError(f"an interrupted run left a checkpoint for {out} ({here}): "
                              f"continue it with --resume {out}, or start anew with --force")
        check_run_resources(config)           # memory and threads first: the network
        need = run_directory_bytes(config)
        if checkpoints:
            policy = ck.CheckpointPolicy(here, checkpoint_every, ck.DEFAULT_EVERY_MINUTES
                                         if checkpoint_minutes is None else checkpoint_minutes)
            need += 2 * ck.checkpoint_bytes(config)   # the last one and the one replacing it
        check_free_space(out, need, "the run directory and its checkpoints" if checkpoints
                         else "the run directory")
    result = train(config, module=module, progress=progress, resume=state, checkpoint=policy,
                   start=start)
    if out is not None:
        from seqnest.pynest_ext.parallel import is_writer
        if is_writer():                       # MPI: rank 0 writes the gathered run
            write_training_run(result, out, force=force)
            ck.checkpoint_path(out).unlink(missing_ok=True)   # the run directory replaces it
    return result


def find_checkpoint(path: str | os.PathLike) -> "Path | None":
    """The checkpoint an interrupted training run left: ``path`` itself (a
    checkpoint file) or the one beside the run directory ``path``
    (``PARENT/.NAME.checkpoint.npz``); None if there is none."""
    from seqnest.sequences.temporal_memory.checkpoint import find_checkpoint as _find
    return _find(path)


def checkpoint_run_directory(checkpoint: str | os.PathLike) -> Path:
    """The run directory that the checkpoint file ``checkpoint``
    (``PARENT/.NAME.checkpoint.npz``) belongs to: ``PARENT/NAME``."""
    from seqnest.sequences.temporal_memory.checkpoint import run_directory_of
    return run_directory_of(checkpoint)


def _config_options(options: Mapping[str, Any]) -> dict[str, Any]:
    opts = dict(options)
    if "set_options" in opts:
        opts["set_options"] = list(opts["set_options"])
    return opts
