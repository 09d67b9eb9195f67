# SPDX-License-Identifier: GPL-2.0-or-later
"""The neo conversion boundary: compact population trains and per-neuron trains."""
import neo
import numpy as np
import pytest
import quantities as pq

from seqnest.pynest_ext.neo_convert import (Population, population_spiketrain, read_nix,
                                            split_population, write_nix)


def make_train():
    index = np.array([4, 0, 4, 2])
    times = np.array([3.0, 1.0, 2.0, 5.0])
    return population_spiketrain(Population("E", 6, index, times, 3, ["A", "B"]), 0.0, 10.0)


def test_compact_train_is_sorted_with_neuron_annotation():
    st = make_train()
    assert st.times.rescale(pq.ms).magnitude.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert st.array_annotations["neuron"].tolist() == [0, 4, 4, 2]
    assert st.annotations["n_neurons"] == 6


def test_split_gives_one_train_per_neuron_including_silent_ones():
    trains = split_population(make_train())
    assert len(trains) == 6
    assert [len(t) for t in trains] == [1, 0, 1, 0, 2, 0]
    assert trains[4].times.magnitude.tolist() == [2.0, 3.0]
    assert trains[4].annotations["element"] == "B" and trains[4].annotations["subpopulation"] == 1
    assert trains[1].t_stop == 10.0 * pq.ms


def test_nix_round_trip(tmp_path):
    seg = neo.Segment(name="training")
    seg.spiketrains.append(make_train())
    block = neo.Block()
    block.segments.append(seg)
    write_nix(tmp_path / "s.nix", block)
    back = read_nix(tmp_path / "s.nix").segments[0].spiketrains[0]
    assert [len(t) for t in split_population(back)] == [1, 0, 1, 0, 2, 0]


def test_bad_inputs():
    with pytest.raises(ValueError, match="outside"):
        population_spiketrain(Population("E", 2, np.array([5]), np.array([1.0]), 1), 0, 10)
    with pytest.raises(FileNotFoundError, match="spike file not found"):
        read_nix("/nonexistent/s.nix")


def test_node_ids_are_annotated_when_known():
    from seqnest.pynest_ext.neo_convert import Population, population_spiketrain, split_population
    pop = Population("E", 4, np.array([0, 3]), np.array([1.0, 2.0]), 2, ("A", "B"),
                     first_node_id=11)
    trains = split_population(population_spiketrain(pop, 0.0, 10.0))
    assert [st.annotations["node_id"] for st in trains] == [11, 12, 13, 14]
    assert [st.annotations["element"] for st in trains] == ["A", "A", "B", "B"]
