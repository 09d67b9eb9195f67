# SPDX-License-Identifier: GPL-2.0-or-later
"""Sequence sets, parsing, random high-order sets and the stimulus schedule."""
import pytest

from seqnest.params import ParameterError
from seqnest.sequences.tasks.sequence_sets import (NAMED_SETS, TimingParams, make_schedule,
                                                   named_set, parse_sequences, random_high_order)


def test_named_sets_match_the_paper():
    s1 = named_set("set1")
    assert s1.sequences == (tuple("ADBE"), tuple("FDBC"))
    assert s1.vocabulary == tuple("ABCDEF")
    assert s1.shared_elements() == ("B", "D")
    assert len(named_set("set2").vocabulary) == 14 and len(named_set("set3").vocabulary) == 14
    assert named_set("set2").synapse_overrides["lambda_plus"] == 0.28
    assert named_set("set3").synapse_overrides["lambda_plus"] == 0.39
    assert named_set("set3").sparse_first and not named_set("set1").sparse_first
    assert not named_set("set2").sparse_first and not named_set("task4").sparse_first
    t4 = named_set("task4").sequences
    assert t4[0][1:-1] == t4[1][1:-1] and len(t4[0]) == 12


def test_unknown_task_is_rejected():
    with pytest.raises(ParameterError, match="unknown task 'set9'"):
        named_set("set9")


def test_custom_sequences_are_parsed():
    s = parse_sequences(" A D B E ;F D  B C ")
    assert s.sequences == NAMED_SETS["set1"].sequences


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("A D B; ;F D B", "sequence 2 .* is empty"),
    ("A D# B", "element 'D#' is not a name"),
    ("A; B C", "at least two elements"),
    ("A B C; A B C", "repeats sequence 1"),
])
def test_malformed_sequences_are_rejected(text, fragment):
    with pytest.raises(ParameterError, match=fragment):
        parse_sequences(text)


def test_random_sets_are_seeded_and_high_order():
    a = random_high_order(3, 6, 3, 12, seed=5)
    assert a == random_high_order(3, 6, 3, 12, seed=5)
    assert a != random_high_order(3, 6, 3, 12, seed=6)
    cores = {s[1:4] for s in a.sequences}
    assert len(cores) == 1                                   # one shared core
    assert len({s[0] for s in a.sequences}) == 3             # distinct first elements
    assert len({s[-1] for s in a.sequences}) == 3            # distinct last elements
    assert all(len(s) == 6 and len(set(s)) == 6 for s in a.sequences)


@pytest.mark.parametrize("args, fragment", [
    ((1, 5, 2, 10), "at least 2 sequences"),
    ((2, 3, 2, 10), "no room"),
    ((3, 6, 3, 5), "too small"),
])
def test_random_set_bad_sizes(args, fragment):
    with pytest.raises(ParameterError, match=fragment):
        random_high_order(*args, seed=1)


def test_schedule_of_set_one():
    sch = make_schedule(named_set("set1"), TimingParams(), 3)
    assert sch.episode_duration == 440.0
    assert sch.offsets == ((0.0, 40.0, 80.0, 120.0), (220.0, 260.0, 300.0, 340.0))
    assert sch.onset(2, 1, 3) == 30.0 + 2 * 440.0 + 340.0
    times = sch.element_times()
    assert times["D"] == [70.0, 290.0, 510.0, 730.0, 950.0, 1170.0]
    assert sch.first_element_times(20.0)["A"] == [10.0, 450.0, 890.0]
    assert sch.total_duration == 30.0 + 3 * 440.0


def test_schedule_needs_an_episode():
    with pytest.raises(ParameterError, match="episodes must be >= 1"):
        make_schedule(named_set("set1"), TimingParams(), 0)


def test_alphabet_gives_unused_elements_a_subpopulation():
    s3 = named_set("set3")
    assert "H" in s3.vocabulary and not any("H" in s for s in s3.sequences)
    from seqnest.sequences.tasks.sequence_sets import SequenceSet
    with pytest.raises(ParameterError, match="unknown element 'Z'"):
        SequenceSet("x", (("A", "Z"),), alphabet=("A", "B"))


def test_random_set_vocabulary_sets_the_network_size():
    assert len(random_high_order(2, 4, 1, 26, seed=1).vocabulary) == 26
