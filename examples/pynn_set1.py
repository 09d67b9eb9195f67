# SPDX-License-Identifier: GPL-2.0-or-later
"""The sequence network written in PyNN: learn set I with seqnest's models.

The network of Bouhadjar et al. (2022) built with PyNN's API on its NEST backend:
one population of M x n_E sTM neurons (one subpopulation per element), one
inhibitory neuron per subpopulation, a spike source per element, and plastic
E->E synapses onto the dendrites (fixed in-degree, initial permanences drawn
uniformly, each synapse's lower bound its initial value). The parameters are
seqnest's resolved set-I values; PyNN builds, runs and records the network.

Learning shows in the response to each sequence's last element: unpredicted,
the whole subpopulation fires (active fraction 1); predicted by the element
before it and the context, only the neurons with a dAP fire (about rho/n_E).

    python examples/pynn_set1.py [--episodes 40] [--seed 1] [--n-e 150]
"""
import argparse

import numpy as np
import pyNN.nest as sim

from seqnest.pynest_ext.pynn import pynn_models
from seqnest.sequences.tasks.sequence_sets import make_schedule
from seqnest.sequences.temporal_memory.config import resolve_config

#: Window after an element's onset in which its responses are counted (ms).
RESPONSE_MS = 20.0


def main(argv=None) -> list[float]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--n-e", type=int, default=150, help="neurons per subpopulation")
    args = p.parse_args(argv)

    cfg = resolve_config(task="set1", episodes=args.episodes, seed=args.seed,
                         set_options=[f"network.n_E={args.n_e}"])
    net, vocab = cfg.network, list(cfg.sequence_set.vocabulary)
    n_E, M = int(net.n_E), len(vocab)
    schedule = make_schedule(cfg.sequence_set, cfg.timing, args.episodes)

    sim.setup(timestep=cfg.run.resolution, min_delay=cfg.run.resolution, rng_seed=args.seed)
    m = pynn_models(sim, kind="stdsp")
    w = m.static_weights(cfg)           # nA, as PyNN's StaticSynapse takes them
    d = net.static_delay

    exc = sim.Population(M * n_E, m.neuron(**m.neuron_parameters(cfg)), label="E")
    inh = sim.Population(M, m.inh_neuron(**m.inh_parameters(cfg)), label="I",
                         initial_values={"V_m": cfg.inh_neuron.E_L})
    onsets = {k: [] for k in range(M)}
    for ep in range(args.episodes):
        for slot, seq in enumerate(schedule.presented(ep)):
            for pos, el in enumerate(seq):
                onsets[vocab.index(el)].append(schedule.onset(ep, slot, pos))
    stim = sim.Population(M, sim.SpikeSourceArray(
        spike_times=[sim.Sequence(sorted(onsets[k])) for k in range(M)]), label="stimulus")

    for k in range(M):                  # stimulus, local inhibition
        sub = exc[k * n_E:(k + 1) * n_E]
        sim.Projection(stim[k:k + 1], sub, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=w["ext"], delay=d), receptor_type=m.EXT)
        sim.Projection(sub, inh[k:k + 1], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=w["ie"], delay=d))
        sim.Projection(inh[k:k + 1], sub, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=w["ei"], delay=d), receptor_type=m.INH)
    # plastic E->E onto the dendrites: each synapse starts at its own lower bound
    K = int(round(net.p_EE * M * n_E))
    p_init = sim.random.RandomDistribution("uniform", (net.permanence_init_low,
                                                       net.permanence_init_high),
                                           rng=sim.random.NumpyRNG(seed=args.seed))
    synapse = m.synapse(**m.synapse_parameters(cfg), permanence_min=p_init,
                        delay=cfg.synapse.delay, weight=0.0)
    ee = sim.Projection(exc, exc, sim.FixedNumberPreConnector(K, allow_self_connections=False),
                        synapse, receptor_type=m.DEND)
    lower = ee.get("permanence_min", format="array", gather=True)
    ee.set(permanence=np.where(np.isnan(lower), 0.0, lower))

    exc.record("spikes")
    sim.run(schedule.episode_start(args.episodes - 1) + schedule.episode_durations[-1])
    spikes = exc.get_data("spikes").segments[0].spiketrains
    times = np.concatenate([st.times.rescale("ms").magnitude for st in spikes])
    index = np.concatenate([np.full(len(st), i) for i, st in enumerate(spikes)])

    fractions = []                     # active fraction of the last elements, per episode
    for ep in range(args.episodes):
        per_seq = []
        for slot, seq in enumerate(schedule.presented(ep)):
            t = schedule.onset(ep, slot, len(seq) - 1)
            k = vocab.index(seq[-1])
            sel = (times >= t) & (times < t + RESPONSE_MS) & (index >= k * n_E) \
                & (index < (k + 1) * n_E)
            per_seq.append(np.unique(index[sel]).size / n_E)
        fractions.append(float(np.mean(per_seq)))
    print("active fraction of the last elements per episode:")
    print("  " + " ".join(f"{f:.2f}" for f in fractions))
    print(f"first episode {fractions[0]:.2f}, last {fractions[-1]:.2f} "
          f"(predicted: rho/n_E = {net.rho / n_E:.2f}); "
          f"E->E synapses {ee.size(gather=True)}")
    sim.end()
    return fractions


if __name__ == "__main__":
    main()
