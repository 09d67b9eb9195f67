# SPDX-License-Identifier: GPL-2.0-or-later
"""Starting a study from the trials of another (``warm_start`` in a tune spec).

.. code-block:: yaml

    warm_start: ../patterns_s3_spatial    # a tune directory, relative to the spec

A search whose best values sit at the edge of a range is widened by a new study
over the wider ranges; its first trials are the other study's, so nothing measured
is run again. The other study must have measured what this one measures (the same
family, task, configuration, protocol, objectives, seeds and constraints) over the
same parameters, each of its ranges within this one's (checked with the spec,
:func:`seqnest.sequences.tune_spec.load_tune_spec`). When the new study is created,
every finished (complete or pruned) trial of the other is added to it with its
values, objective(s), constraints, learning curve and the episode it was pruned
at, and the user attribute ``warm_start`` naming where it came from; they count
towards the budget. Their run directories stay in the other study's folder.
"""
from __future__ import annotations

from seqnest.sequences.tune_pruning import journal_storage
from seqnest.sequences.tune_spec import JOURNAL, Dimension

__all__ = ["distribution", "warm_start"]

#: The user attribute of an added trial: ``<study folder>#<its number there>``.
ORIGIN = "warm_start"


def distribution(d: Dimension):
    """Optuna's distribution of a searched parameter (what ``d.suggest`` asks)."""
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)
    if d.choices is not None:
        return CategoricalDistribution(list(d.choices))
    if d.integer:
        return IntDistribution(int(d.low), int(d.high), log=d.log)
    return FloatDistribution(float(d.low), float(d.high), log=d.log)


def warm_start(study, spec) -> int:
    """Add the finished trials of ``spec.warm_start``'s study to ``study``, over this
    search's (wider) distributions, while it has no trial of its own (those a
    killed client had not added yet included); return how many were added."""
    import optuna
    from optuna.trial import TrialState, create_trial
    held = {t.user_attrs.get(ORIGIN) for t in study.get_trials(deepcopy=False)}
    if None in held:                          # the study has trials of its own
        return 0
    other = optuna.load_study(study_name="seqnest",
                              storage=journal_storage(spec.warm_start / JOURNAL))
    dists = {d.key: distribution(d) for d in spec.dimensions}
    added = []
    for t in other.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
        origin = f"{spec.warm_start.name}#{t.number}"
        if set(t.params) != set(dists) or origin in held:
            continue
        added.append(create_trial(
            state=t.state, values=t.values if t.state == TrialState.COMPLETE else None,
            params=dict(t.params), distributions=dists,
            user_attrs={**t.user_attrs, ORIGIN: origin},
            intermediate_values=dict(t.intermediate_values),
            constraints=dict(t.constraints) or None))
    study.add_trials(added)
    return len(added)
