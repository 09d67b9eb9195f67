# SPDX-License-Identifier: GPL-2.0-or-later
"""Public API of dendritic coincidence detection (DenRAM), re-exported as
``seqnest.resolve_cd_config``, ``seqnest.cd_train`` and ``seqnest.cd_eval``."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # pragma: no cover
    from seqnest.pynest_ext.buildcache import BuiltModule
    from seqnest.sequences.coincidence.config import CdConfig

__all__ = ["resolve_cd_config", "cd_train", "cd_eval"]


def resolve_cd_config(task: str, *, params: Mapping[str, Any] | None = None,
                      set_options: Sequence[str] = ()) -> "CdConfig":
    """The validated configuration of a coincidence-detection task.

    Parameters
    ----------
    task : str
        ``mts-xor``, ``patterns`` or ``shd``.
    params : mapping, optional
        ``{group: {key: value}}`` or ``{"group.key": value}`` (groups ``task``,
        ``network``, ``delays``, ``rram``, ``training``), over the task's defaults.
    set_options : sequence of str
        ``"group.key=value"`` texts as on the command line (over ``params``).
    """
    from seqnest.sequences.coincidence.config import resolve_cd_config as _resolve
    return _resolve(task, params, set_options)


def cd_train(out: str | os.PathLike, *, config: "CdConfig | None" = None, seed: int = 1,
             force: bool = False, data_dir: str | os.PathLike | None = None,
             progress: Callable[[dict], None] | None = None, **options: Any) -> dict:
    """Train a DenRAM classifier offline (exact gradients) and write its run directory.

    Parameters
    ----------
    out : str or path
        Run directory (checked first; written atomically).
    config : CdConfig, optional
        A resolved configuration; otherwise ``options`` (``task``, ``params``,
        ``set_options``) go to :func:`resolve_cd_config`.
    seed : int
        Seed of the data, the delays and the training.
    data_dir : str or path, optional
        Folder with ``shd_train.h5`` and ``shd_test.h5`` (task ``shd``).
    progress : callable, optional
        Called with each epoch's row (epoch, loss, test accuracy).

    Returns
    -------
    dict
        The metrics written to ``metrics.json`` (test accuracy, chance, sizes).
    """
    from seqnest.sequences.coincidence.experiment import cd_train as _train
    if config is None:
        config = resolve_cd_config(**options)
    elif options:
        raise TypeError(f"cd_train() got both config and {', '.join(sorted(options))}")
    return _train(config, seed, out, force=force, data_dir=data_dir, progress=progress)


def cd_eval(run_dir: str | os.PathLike, *, sigma: float | None = None, trials: int | None = None,
            seed: int = 1, threads: int = 1, out: str | os.PathLike | None = None,
            force: bool = False, rram: Mapping[str, Any] | None = None,
            set_options: Sequence[str] = (),
            module: "BuiltModule | Callable[[], BuiltModule] | None" = None,
            progress: bool = False, check: int = 100) -> dict:
    """Run a trained coincidence detector in NEST with programmed RRAM devices.

    Parameters
    ----------
    run_dir : str or path
        A run directory written by :func:`cd_train`.
    sigma : float, optional
        Read noise relative to max|w|, drawn per trial (default: the run's).
    trials : int, optional
        Test samples in order, repeated when more (default: one per sample).
    rram, set_options
        Further device parameters: ``{"levels": 16}`` or ``["rram.levels=16"]``.
    check : int
        Without read noise, also run this many samples through the trainer's
        model and record the agreement (0: no check).

    Returns
    -------
    dict
        ``eval.json``: accuracy with its 95 % interval, decisions, timings.
    """
    from seqnest.params import resolve_layers
    from seqnest.sequences.coincidence.experiment import cd_eval as _eval
    device = resolve_layers(("rram",), {"rram": dict(rram or {})}, set_options,
                            hint=": cd-eval --set takes rram.* device parameters")["rram"]
    return _eval(run_dir, sigma=sigma, trials=trials, seed=seed, threads=threads, out=out,
                 force=force, rram_sets=device, module=module, progress=progress, check=check)
