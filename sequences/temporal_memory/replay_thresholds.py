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
and the result says so.

The cue. A replay cue fires a whole subpopulation, as the first element fires
in training: its successor's predicted neurons then receive several times the
input of any later step (all n_E neurons against a sparse code of about rho),
and so does every neuron with a few mature synapses from the cue element,
e.g. the third element's, reached by "skip" synapses at the lag 2 Delta_T that
stochastic rounding lifts over the permanence threshold on quantised devices.
No single threshold then suits both the cue step and the later ones. Where
the steps that follow a whole-subpopulation cue and the later steps each have
an interval of their own, the cue gets its own threshold ``theta_cue``, held
from the cue until the cue's input on every rival has decayed below the
sequence threshold (:func:`cue_window`) and before the successor's spikes can
reach the next element. NEST-free.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["DerivedThreshold", "step_inputs", "derive_theta", "per_neuron_theta",
           "cue_window", "exp_psc_latency", "dap_spike_latency"]

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
    #: pA, threshold while a whole-subpopulation cue's input lasts (None: theta_dAP throughout)
    theta_cue: float | None = None
    cue_low: float | None = None    # pA: the cue steps' interval (low, high]
    cue_high: float | None = None

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
    #: whether the step starts from a whole subpopulation (a cue)
    cue: bool = False


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
            out.append(StepInputs(inputs[targets], np.asarray(rivals), inputs, targets, active,
                                  cue=bool(k == 0 and first_whole)))
    return out


def _interval(steps: list[StepInputs], quorum: int, target_fraction: float):
    """(theta, low, high, separable, steps satisfied) of one set of steps."""
    lows, highs = [], []
    for st in steps:
        need = max(quorum, int(np.ceil(target_fraction * st.targets.size)))
        need = min(need, st.targets.size)
        highs.append(np.sort(st.targets)[::-1][need - 1])   # theta <= this: enough targets
        lows.append(st.rivals.max())                          # theta > this: no rival quorum
    low, high = float(max(lows)), float(min(highs))
    if low < high:
        return 0.5 * (low + high), low, high, True, len(steps)
    candidates = np.unique(np.concatenate([lows, highs]))
    mids = np.concatenate([candidates, 0.5 * (candidates[1:] + candidates[:-1])])
    ok = [(sum(lo < th <= hi for lo, hi in zip(lows, highs)), th) for th in mids]
    best, theta = max(ok, key=lambda x: (x[0], -x[1]))
    return float(theta), low, high, False, int(best)


def derive_theta(steps: list[StepInputs], quorum: int,
                 target_fraction: float = TARGET_FRACTION) -> DerivedThreshold | None:
    """The replay dAP threshold for ``steps`` (None if there is no step).

    One threshold where it suits every step; otherwise, if the steps from a
    whole-subpopulation cue and the others together suit more steps with a
    threshold each, the later steps' threshold and ``theta_cue`` for the cue.
    """
    if not steps:
        return None
    theta, low, high, separable, satisfied = _interval(steps, quorum, target_fraction)
    joint = DerivedThreshold(theta, low, high, separable, len(steps), satisfied)
    cue = [st for st in steps if st.cue]
    later = [st for st in steps if not st.cue]
    if separable or not cue or not later:
        return joint
    c_theta, c_low, c_high, c_sep, c_sat = _interval(cue, quorum, target_fraction)
    s_theta, s_low, s_high, s_sep, s_sat = _interval(later, quorum, target_fraction)
    if c_sat + s_sat <= satisfied:
        return joint
    return DerivedThreshold(s_theta, s_low, s_high, c_sep and s_sep, len(steps),
                            c_sat + s_sat, theta_cue=c_theta, cue_low=c_low, cue_high=c_high)


def exp_psc_latency(weight: float, C_m: float, tau_m: float, tau_syn: float, dV: float,
                    h: float) -> float | None:
    """Time (ms, on the grid of step ``h``) from the arrival of an exponential PSC of
    ``weight`` pA at a resting LIF neuron until its membrane is ``dV`` mV above
    rest; None if it never is."""
    t = np.arange(1, int(np.ceil(10 * max(tau_m, tau_syn) / h)) + 1) * h
    if abs(tau_m - tau_syn) < 1e-12:
        v = weight / C_m * t * np.exp(-t / tau_m)
    else:
        v = (weight / C_m * tau_m * tau_syn / (tau_m - tau_syn)
             * (np.exp(-t / tau_m) - np.exp(-t / tau_syn)))
    hit = np.flatnonzero(v >= dV)
    return float(t[hit[0]]) if hit.size else None


def dap_spike_latency(I_p: float, C_m: float, tau_m: float, dV: float) -> float | None:
    """Time (ms) a dAP plateau of ``I_p`` pA takes to lift a resting membrane by ``dV``
    mV; None if it never does."""
    v_inf = I_p * tau_m / C_m
    if v_inf <= dV:
        return None
    return float(tau_m * np.log(v_inf / (v_inf - dV)))


def cue_window(rival_peak: float, theta: float, tau_dend: float, cue_latency: float,
               delay: float, successor_latency: float, h: float,
               margin: float = 0.9) -> float | None:
    """How long (ms after the cue reaches its subpopulation) ``theta_cue`` must hold.

    The cue subpopulation fires ``cue_latency`` after the cue arrives; its spikes
    reach the dendrites ``delay`` later as alpha currents (time constant
    ``tau_dend``, peak = the summed weights). The window closes when the largest
    rival input, ``rival_peak``, has fallen below ``margin * theta`` for good.
    It must close before the successor's spikes can arrive at the next element
    (cue_latency + 2 delay + ``successor_latency``, the dAP-to-spike time): None
    if it cannot.
    """
    t = np.arange(1, int(np.ceil(20 * tau_dend / h)) + 1) * h
    alpha = (t / tau_dend) * np.exp(1.0 - t / tau_dend)
    above = np.flatnonzero(rival_peak * alpha >= margin * theta)
    decay = float(t[above[-1]] + h) if above.size else 0.0
    close = cue_latency + delay + decay
    if close >= cue_latency + 2 * delay + successor_latency:
        return None
    return close


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
