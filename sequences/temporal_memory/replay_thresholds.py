# SPDX-License-Identifier: GPL-2.0-or-later
"""A replay dAP threshold derived from the learned network's own inputs.

The paper's replay lowers the dAP threshold by a fixed factor (0.7). That is
tuned for ideal synapses: a device's off state, stuck-high devices or synapses
that stochastic rounding lifted over the permanence threshold add dendritic
input to neurons that should stay silent, and at 0.7 * theta_dAP a whole wrong
subpopulation fires.

Here the threshold comes from the run itself. In the last training episode,
for every step of every sequence (element k -> k + 1) we know which neurons
fired for element k (the active set S; for a sequence's first element the
whole subpopulation, as a replay cue activates it) and which neurons of element
k + 1 were predicted (a dAP between the two onsets; without recorded dAPs: the
neurons of k + 1 that fired). The dendritic input a neuron j receives when S
fires is I_j = sum_{i in S} w_ij (synchronous spikes: the alpha currents peak
together). Replay decodes an element when at least q = fired_fraction * rho
neurons of its subpopulation fire, so a threshold theta works for that step
if

* at least max(q, target_fraction * |T|) predicted neurons have I_j >= theta, and
* fewer than q neurons of every other subpopulation, fewer than q unpredicted
  neurons of element k + 1's own and fewer than q of element k's neurons that
  did not fire (a second activation of element k) have I_j >= theta.

Each step gives an interval (low, high]; the threshold is the middle of their
intersection. If the intersection is empty (the inputs cannot tell the
continuation from the rest), the value that satisfies the most steps is used
and the result says so. NEST-free.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["DerivedThreshold", "step_inputs", "derive_theta", "per_neuron_theta"]

#: Share of the predicted neurons that must reach the threshold at each step.
TARGET_FRACTION = 0.8


@dataclass(frozen=True)
class DerivedThreshold:
    theta_dAP: float            # pA, the replay dAP threshold
    low: float                  # pA: above this no wrong group reaches the quorum
    high: float                 # pA: up to this enough predicted neurons reach it
    separable: bool             # whether one threshold suits every step
    steps: int                  # sequence steps used
    steps_satisfied: int        # steps the chosen threshold suits

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StepInputs:
    """Dendritic inputs of one sequence step: of the predicted neurons, and the
    q-th largest input of each group that must not reach the quorum."""
    targets: np.ndarray
    rivals: np.ndarray
    #: per neuron: the input of every E neuron, the predicted ones, those that fired
    inputs: np.ndarray | None = None
    target_index: np.ndarray | None = None
    active_index: np.ndarray | None = None


def step_inputs(connections: tuple[np.ndarray, np.ndarray, np.ndarray], n_E: int, vocab,
                sequences_presented, onsets,
                spikes: tuple[np.ndarray, np.ndarray], daps: tuple[np.ndarray, np.ndarray] | None,
                quorum: int, first_whole: bool = True) -> list[StepInputs]:
    """The inputs of every step of the presented sequences.

    ``connections`` are (source, target, weight in pA) arrays of the E->E synapses;
    ``sequences_presented`` the sequences of the episode, ``onsets[s][k]`` the
    onset (ms) of element k of sequence s; ``spikes``/``daps`` (neuron, time)
    arrays of that episode; ``quorum`` the neurons that make an element count
    as replayed.
    """
    pop = {el: k for k, el in enumerate(vocab)}
    source, target, weight = (np.asarray(a) for a in connections)
    n_total = n_E * len(vocab)
    neuron, times = spikes
    out = []
    for seq, on in zip(sequences_presented, onsets):
        for k in range(len(seq) - 1):
            t0, t1 = on[k], on[k + 1]
            src_pop, dst_pop = pop[seq[k]], pop[seq[k + 1]]
            members = np.arange(src_pop * n_E, (src_pop + 1) * n_E)
            if k == 0 and first_whole:
                active = members
            else:
                fired = neuron[(times >= t0) & (times < t1)]
                active = np.intersect1d(fired, members)
            dst = np.arange(dst_pop * n_E, (dst_pop + 1) * n_E)
            if daps is not None:
                d_neuron, d_times = daps
                predicted = d_neuron[(d_times >= t0) & (d_times < t1)]
            else:
                predicted = neuron[(times >= t1) & (times < t1 + (t1 - t0))]
            targets = np.intersect1d(predicted, dst)
            if active.size == 0 or targets.size == 0:
                continue
            mask = np.isin(source, active)
            inputs = np.bincount(target[mask], weights=weight[mask], minlength=n_total)
            rivals = []
            for p in range(len(vocab)):
                group = np.arange(p * n_E, (p + 1) * n_E)
                if p == src_pop:
                    # the active neurons are refractory; the element's others are not, and
                    # a quorum of them would replay it a second time
                    group = np.setdiff1d(group, active)
                if p == dst_pop:
                    group = np.setdiff1d(group, targets)
                values = np.sort(inputs[group])[::-1]
                rivals.append(values[quorum - 1] if values.size >= quorum else 0.0)
            out.append(StepInputs(inputs[targets], np.asarray(rivals), inputs, targets, active))
    return out


def derive_theta(steps: list[StepInputs], quorum: int,
                 target_fraction: float = TARGET_FRACTION) -> DerivedThreshold | None:
    """The replay dAP threshold for ``steps`` (None if there is no step)."""
    if not steps:
        return None
    lows, highs = [], []
    for st in steps:
        need = max(quorum, int(np.ceil(target_fraction * st.targets.size)))
        need = min(need, st.targets.size)
        highs.append(np.sort(st.targets)[::-1][need - 1])   # theta <= this: enough targets
        lows.append(st.rivals.max())                          # theta > this: no rival quorum
    low, high = float(max(lows)), float(min(highs))
    if low < high:
        theta = 0.5 * (low + high)
        return DerivedThreshold(theta, low, high, True, len(steps), len(steps))
    candidates = np.unique(np.concatenate([lows, highs]))
    mids = np.concatenate([candidates, 0.5 * (candidates[1:] + candidates[:-1])])
    ok = [(sum(lo < th <= hi for lo, hi in zip(lows, highs)), th) for th in mids]
    best, theta = max(ok, key=lambda x: (x[0], -x[1]))
    return DerivedThreshold(float(theta), low, high, False, len(steps), int(best))


def per_neuron_theta(steps: list[StepInputs], theta: float) -> np.ndarray | None:
    """A dAP threshold for every E neuron (pA), starting from the common ``theta``.

    A neuron never predicted in the steps gets a threshold above (5 % + 1 pA)
    the largest input it received in any of them, so no step gives it a dAP. A
    predicted neuron whose inputs as a bystander stay below those as a predicted
    one keeps ``theta`` moved into the interval between the two (5 % margins;
    their middle if the margins overlap). A neuron that received as much as a
    bystander as it did when predicted keeps ``theta``. None without steps.
    """
    if not steps or steps[0].inputs is None:
        return None
    n = steps[0].inputs.size
    as_target = np.full(n, np.inf)
    as_bystander = np.zeros(n)
    for st in steps:
        bystander = np.ones(n, dtype=bool)
        bystander[st.target_index] = False
        bystander[st.active_index] = False
        as_target[st.target_index] = np.minimum(as_target[st.target_index],
                                                st.inputs[st.target_index])
        as_bystander[bystander] = np.maximum(as_bystander[bystander], st.inputs[bystander])
    safe_low = as_bystander * 1.05 + 1.0         # no bystander input reaches it
    safe_high = as_target * 0.95                  # every input as a predicted neuron does
    out = np.full(n, float(theta))
    never = np.isinf(as_target)
    out[never] = np.maximum(theta, safe_low[never])
    split = ~never & (as_bystander < as_target)
    fits = split & (safe_low <= safe_high)
    out[fits] = np.clip(theta, safe_low[fits], safe_high[fits])
    tight = split & ~fits
    out[tight] = 0.5 * (as_bystander[tight] + as_target[tight])
    return out
