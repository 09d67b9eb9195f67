# SPDX-License-Identifier: GPL-2.0-or-later
"""Does the sequence network learn set I with the tristate synapse, and what does it take?

    python bench/tristate_network.py [--episodes 40] [--seed 1]

Trains set I with the tristate synapse under several settings and prints, for
each, the prediction error after the last episode, how many E->E synapses
changed their stable level, and how many of the potentiated ones connect
successive elements of a trained sequence (A->D, D->B, B->E, F->D, B->C: the
connections the sTM must grow) against all other pairs of subpopulations.

NEST calls a synapse when it delivers a spike, within one min_delay of the
presynaptic spike; the postsynaptic membrane potential and calcium that the
tristate rule reads are therefore those at the presynaptic spike time (the
transmission delay does not shift them).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

#: name -> --set options (with --synapse tristate).
SETTINGS: dict[str, list[str]] = {
    "defaults (BSF windows, theta_V 16 mV, delay 2 ms)": [],
    "single-spike calcium (J_Ca 4: one spike enters the LTP window)": ["neuron.J_Ca=4"],
    "J_Ca 4, theta_V 5 mV (a dAP plateau counts as depolarised)":
        ["neuron.J_Ca=4", "synapse.theta_V=5"],
    "no calcium gate, theta_V 5 mV, random initial X":
        ["synapse.theta_up_low=-1", "synapse.theta_V=5", "synapse.X_init_high=1"],
    "most permissive: no calcium gate, theta_V 5 mV, jump_up 0.3, random initial X":
        ["synapse.theta_up_low=-1", "synapse.theta_V=5", "synapse.jump_up=0.3",
         "synapse.X_init_high=1"],
}


def forward_pairs(config) -> set[tuple[int, int]]:
    vocab = config.sequence_set.vocabulary
    pop = {el: k for k, el in enumerate(vocab)}
    return {(pop[a], pop[b]) for seq in config.sequence_set.sequences
            for a, b in zip(seq[:-1], seq[1:])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", type=int, nargs="*", help="indices of SETTINGS to run")
    args = p.parse_args(argv)
    print(f"{'setting':62} {'error':>6} {'changed':>8} {'potentiated fwd/other':>22}")
    for i, (name, options) in enumerate(SETTINGS.items()):
        if args.only and i not in args.only:
            continue
        cfg = resolve_config(task="set1", synapse="tristate", set_options=options,
                             episodes=args.episodes, seed=args.seed)
        res = train(cfg, progress=False)
        n_e = int(cfg.network.n_E)
        c0, c1 = res.connectivity_initial, res.connectivity_final
        levels = cfg.synapse.levels()
        def level(x):
            return np.argmin(np.abs(np.asarray(x)[:, None] - levels[None, :]), axis=1)
        changed = level(c0.permanence) != level(c1.permanence)
        up = level(c1.permanence) > level(c0.permanence)
        fwd = forward_pairs(cfg)
        is_fwd = np.array([(s // n_e, t // n_e) in fwd for s, t in zip(c1.source, c1.target)])
        print(f"{name:62} {res.metrics['final_error']:6.2f} {int(changed.sum()):8d} "
              f"{int((up & is_fwd).sum()):>10d} / {int((up & ~is_fwd).sum()):<10d}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
