# SPDX-License-Identifier: GPL-2.0-or-later
"""Public API of the pattern-sequence family (Feiler et al. 2024), re-exported as
``seqnest.resolve_pattern_config`` and ``seqnest.learn_patterns``."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # pragma: no cover
    from seqnest.pynest_ext.buildcache import BuiltModule
    from seqnest.sequences.pattern_sequences.config import PatternConfig
    from seqnest.sequences.pattern_sequences.learn import PatternResult

__all__ = ["resolve_pattern_config", "learn_patterns"]


def resolve_pattern_config(inputs: str = "spatial", sequences: str = "s3", *,
                           config_file: str | os.PathLike | None = None,
                           params: Mapping[str, Any] | None = None,
                           set_options: Sequence[str] = (), iterations: int | None = None,
                           seed: int | None = None, threads: int | None = None) -> "PatternConfig":
    """Resolve and validate every parameter of a pattern-sequence run.

    Layers, later winning: defaults of the coding and the set, ``config_file``,
    ``params``, ``set_options``, then ``iterations``/``seed``/``threads``.

    Parameters
    ----------
    inputs : str
        ``spatial`` or ``temporal`` coding of the patterns (``stp-spatial`` and
        ``stp-temporal`` are read too).
    sequences : str
        ``s3``, ``s4`` or a custom set such as ``"A B D; C B E"``.
    config_file : str or path, optional
        JSON, YAML or TOML file of ``{group: {key: value}}``.
    params : mapping, optional
        ``{group: {key: value}}`` or ``{"group.key": value}``.
    set_options : sequence of str
        ``"group.key=value"`` texts as on the command line.

    Returns
    -------
    seqnest.sequences.pattern_sequences.config.PatternConfig
    """
    from seqnest.params import read_parameter_file, resolve_layers
    from seqnest.sequences.pattern_sequences.config import PATTERN_GROUPS
    from seqnest.sequences.pattern_sequences.config import resolve_pattern_config as _resolve
    from_file = read_parameter_file(config_file) if config_file else None
    if from_file is not None and not isinstance(from_file, Mapping):
        from seqnest.errors import ParameterError
        raise ParameterError(f"config file {config_file}: expected a mapping of groups")
    sets = resolve_layers(PATTERN_GROUPS, params, set_options)
    return _resolve(inputs, sequences, file_values=from_file, sets=sets, iterations=iterations,
                    seed=seed, threads=threads)


def learn_patterns(out: str | os.PathLike | None = None, *, config: "PatternConfig | None" = None,
                   force: bool = False, progress: bool = False,
                   module: "BuiltModule | Callable[[], BuiltModule] | None" = None,
                   **options: Any) -> "PatternResult":
    """Run both phases of a pattern-sequence run and write its run directory.

    Parameters
    ----------
    out : str or path, optional
        Run directory (checked before anything is built or simulated; written to a
        temporary sibling and renamed). None: nothing is written.
    config : PatternConfig, optional
        A resolved configuration; otherwise ``options`` go to
        :func:`resolve_pattern_config`.
    force, progress, module
        As for :func:`seqnest.learn`.

    Returns
    -------
    seqnest.sequences.pattern_sequences.learn.PatternResult
        Accuracy per iteration, assemblies, input weights, recordings, timings.
    """
    from seqnest.sequences.pattern_sequences.learn import train_patterns
    from seqnest.sequences.pattern_sequences.rundir import write_pattern_run
    from seqnest.sequences.rundir import check_output
    if config is None:
        config = resolve_pattern_config(**options)
    elif options:
        raise TypeError(f"learn_patterns() got both config and {', '.join(sorted(options))}")
    if out is not None:
        check_output(out, force)              # before anything is built or simulated
    result = train_patterns(config, module=module, progress=progress, out=out)
    if out is not None:
        write_pattern_run(result, out, force=force)
    return result
