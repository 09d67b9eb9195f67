# SPDX-License-Identifier: GPL-2.0-or-later
"""The one conversion boundary between recorded spikes and neo objects.

Recordings leave :class:`seqnest.pynest_ext.networks.temporal_memory.SequenceNetwork` as arrays of
0-based neuron indices and times (ms). Two neo forms are used:

* **compact** (on disk): per population one ``neo.SpikeTrain`` holding all its
  spikes, with the per-spike array annotation ``neuron`` and the annotations
  ``population``, ``n_neurons``, ``subpopulation_size``, ``elements``. NIX
  writes one object per population instead of one per neuron (NixIO costs about
  15 ms per object: 0.2 s instead of 15-20 s for 900 neurons);
* **per neuron** (for analysis): :func:`split_population` gives one SpikeTrain
  per neuron, silent neurons included, annotated with ``population``,
  ``neuron``, ``subpopulation`` and ``element``.

Everything downstream works on neo objects with units and never touches NEST.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Population", "population_spiketrain", "split_population", "write_nix", "read_nix"]


@dataclass(frozen=True)
class Population:
    """Spikes of one population and how its neurons are labelled.

    Neuron ``k`` belongs to subpopulation ``k // subpopulation_size``, named
    ``elements[k // subpopulation_size]`` when ``elements`` is given.
    """

    name: str
    size: int
    index: np.ndarray
    times: np.ndarray
    subpopulation_size: int
    elements: Sequence[str] = ()
    first_node_id: int | None = None   # NEST node id of neuron 0 (ids are consecutive)


def population_spiketrain(pop: Population, t_start: float, t_stop: float):
    """Compact neo SpikeTrain of a whole population (times in ms)."""
    import neo
    import quantities as pq

    index = np.asarray(pop.index, dtype=np.int32)
    times = np.asarray(pop.times, dtype=float)
    if index.shape != times.shape:
        raise ValueError(f"{pop.name}: {index.size} neuron indices for {times.size} spike times")
    if index.size and (index.min() < 0 or index.max() >= pop.size):
        raise ValueError(f"{pop.name}: neuron index outside 0..{pop.size - 1}")
    order = np.argsort(times, kind="stable")
    return neo.SpikeTrain(times[order] * pq.ms, t_start=t_start * pq.ms, t_stop=t_stop * pq.ms,
                          name=pop.name, array_annotations={"neuron": index[order]},
                          population=pop.name, n_neurons=int(pop.size),
                          subpopulation_size=int(pop.subpopulation_size),
                          elements=list(pop.elements),
                          **({} if pop.first_node_id is None
                             else {"first_node_id": int(pop.first_node_id)}))


def split_population(train) -> list:
    """One SpikeTrain per neuron (silent ones included) from a compact population train."""
    from neo.core.spiketrainlist import SpikeTrainList

    ann = train.annotations
    try:
        n, sub_size = int(ann["n_neurons"]), int(ann["subpopulation_size"])
        neuron = np.asarray(train.array_annotations["neuron"], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"spike train {train.name!r} is not a compact population train "
                         f"(missing {exc})") from None
    elements = list(ann.get("elements", []))
    first_id = ann.get("first_node_id")
    trains = SpikeTrainList.from_spike_time_array(
        np.asarray(train.times.rescale("ms").magnitude), neuron, np.arange(n),
        t_stop=train.t_stop, t_start=train.t_start, units="ms")
    out = []
    for k, st in enumerate(trains):
        sub = k // sub_size
        st.name = f"{ann.get('population', train.name)}{k}"
        st.annotations.pop("channel_id", None)
        st.annotate(population=ann.get("population", train.name), neuron=k, subpopulation=sub,
                    element=elements[sub] if sub < len(elements) else "")
        if first_id is not None:
            st.annotate(node_id=int(first_id) + k)
        out.append(st)
    return out


def write_nix(path: str | os.PathLike, block) -> None:
    """Write a neo Block to a NIX file (overwrites)."""
    import neo
    with neo.io.NixIO(str(path), mode="ow") as io:
        io.write_block(block)


def read_nix(path: str | os.PathLike):
    """Read the first neo Block of a NIX file; one-line error if unreadable."""
    import neo
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spike file not found: {path}")
    try:
        with neo.io.NixIO(str(path), mode="ro") as io:
            return io.read_block()
    except Exception as exc:
        raise ValueError(f"cannot read {path} as a NIX file: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
