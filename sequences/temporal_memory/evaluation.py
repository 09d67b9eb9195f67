# SPDX-License-Identifier: GPL-2.0-or-later
"""What training measures after each episode: when the dAP states are sampled
(:func:`sample_plan`) and the episode's scores from its samples and spikes
(:class:`EpisodeEvaluator`): prediction error, false positives and negatives,
active fraction of the last elements and the overlap of shared elements' codes
(:mod:`seqnest.sequences.temporal_memory.metrics`)."""
from __future__ import annotations

import math

import numpy as np

from seqnest.sequences.tasks.sequence_sets import Schedule
from seqnest.sequences.temporal_memory.config import RunConfig
from seqnest.sequences.temporal_memory.metrics import (counts_new_daps, mean_pairwise_jaccard,
                                                       predicted_vector, prediction_scores,
                                                       responders)

__all__ = ["EpisodeEvaluator", "evaluate_episode", "sample_plan"]


class EpisodeEvaluator:
    """Per-episode metrics from one episode's spikes and dAP samples."""

    def __init__(self, config: RunConfig, schedule: Schedule):
        self.config, self.schedule = config, schedule
        seq_set = config.sequence_set
        self.pop = {el: k for k, el in enumerate(seq_set.vocabulary)}
        self.n_E = int(config.network.n_E)
        self.M = len(seq_set.vocabulary)
        ev = config.evaluation
        self.min_count = ev.predicted_fraction * config.network.rho
        self.max_count = ev.predicted_max_factor * config.network.rho
        self.window = ev.response_window
        self.shared = seq_set.shared_elements()
        self.per_sequence: dict[str, list] = {"error": [], "false_positives": [],
                                              "false_negatives": [], "false_positive_elements": [],
                                              "active_fraction": []}

    def _range(self, element: str) -> range:
        k = self.pop[element]
        return range(k * self.n_E, (k + 1) * self.n_E)

    def __call__(self, episode: int, spike_index: np.ndarray, spike_times: np.ndarray,
                 dap_rows: list[np.ndarray]) -> dict[str, float]:
        """Scores of ``episode``; ``dap_rows[slot]``: dAP state sampled for the
        episode's presentation ``slot``."""
        seq_set = self.config.sequence_set
        vocab = seq_set.vocabulary
        order = self.schedule.order[episode]
        seqs = self.schedule.presented(episode)
        errs, fps, fns, fp_names, fracs = [], [], [], [], []
        for i, (index, seq) in enumerate(zip(order, seqs)):
            o = predicted_vector(dap_rows[i], self.n_E, self.M, self.min_count, self.max_count)
            targets = seq_set.successors(index, len(seq) - 1)   # all correct continuations
            e, fp, fn = prediction_scores(o, [self.pop[el] for el in targets])
            errs.append(e), fps.append(fp), fns.append(fn)
            fp_names.append([vocab[k] for k in np.flatnonzero(o) if vocab[k] not in targets])
            t_last = self.schedule.onset(episode, i, len(seq) - 1)
            resp = responders(spike_index, spike_times, self._range(seq[-1]), t_last,
                              t_last + self.window)
            fracs.append(resp.size / self.n_E)
        overlaps = []
        for el in self.shared:
            groups = [responders(spike_index, spike_times, self._range(el),
                                 self.schedule.onset(episode, i, j),
                                 self.schedule.onset(episode, i, j) + self.window)
                      for i, seq in enumerate(seqs) for j, x in enumerate(seq) if x == el]
            overlaps.append(mean_pairwise_jaccard(groups))
        for key, val in zip(self.per_sequence, (errs, fps, fns, fp_names, fracs)):
            self.per_sequence[key].append(val)
        return {"error": float(np.mean(errs)), "false_positives": float(np.mean(fps)),
                "false_negatives": float(np.mean(fns)), "active_fraction": float(np.mean(fracs)),
                "overlap": float(np.mean(overlaps)) if overlaps else math.nan}


def evaluate_episode(evaluate: EpisodeEvaluator, ep: int, plan: list[tuple[float, ...]],
                      times: list[float], rows: list[np.ndarray],
                      spikes: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """Metrics of episode ``ep`` from its spikes and its dAP samples ``times``/``rows``
    (in time order), taken at the instants of ``plan`` (see :func:`sample_plan`)."""
    wanted = sorted(t for slot in plan for t in slot)
    if not np.allclose(times, wanted, atol=1e-6):
        raise RuntimeError(f"dAP samples of episode {ep} taken at {list(times)}, "
                           f"expected {wanted}")
    at = {round(t, 6): row for t, row in zip(wanted, rows)}
    per_slot = []
    for slot in plan:
        late = at[round(slot[-1], 6)]
        # (early, late): only the dAPs that began between the two instants count
        per_slot.append(late & ~at[round(slot[0], 6)] if len(slot) == 2 else late)
    return evaluate(ep, spikes[0], spikes[1], per_slot)


def sample_plan(config: RunConfig, schedule: Schedule, episode: int) -> list[tuple[float, ...]]:
    """dAP sample instants of each presentation in ``episode``: the penultimate
    element's onset + ``evaluation.sample_delay``, preceded by the onset itself
    where only new dAPs count (:func:`seqnest.sequences.temporal_memory.metrics.counts_new_daps`)."""
    delay = config.evaluation.sample_delay
    new = counts_new_daps(config.evaluation, config.sequence_set)
    plan = []
    for i, seq in enumerate(schedule.presented(episode)):
        onset = schedule.onset(episode, i, len(seq) - 2)
        plan.append((onset, onset + delay) if new else (onset + delay,))
    return plan
