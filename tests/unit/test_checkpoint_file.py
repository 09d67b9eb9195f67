# SPDX-License-Identifier: GPL-2.0-or-later
"""Checkpoint files without NEST: where they live, when they are due, what they
hold after a round trip, and what a damaged one or a full disk does."""
import errno
import os
import signal

import numpy as np
import pytest

from seqnest.errors import ParameterError, RunDirError
from seqnest.pynest_ext.networks.temporal_memory import EEConnectivity
from seqnest.sequences.tasks.sequence_sets import make_schedule
from seqnest.sequences.temporal_memory import checkpoint as ck
from seqnest.sequences.temporal_memory.config import resolve_config


def _checkpoint(config, done=3, n=50, seed=0):
    rng = np.random.default_rng(seed)
    src, tgt = rng.integers(0, 20, n).astype(np.int32), rng.integers(0, 20, n).astype(np.int32)
    perm = rng.uniform(0, 20, n)
    conn = EEConnectivity(src, tgt, perm, np.where(perm > 10, 12.98, 0.0), perm * 0.5,
                          {"permanence_min": perm * 0.5})
    initial = EEConnectivity(src, tgt, perm * 0.5, np.zeros(n))
    curves = {k: list(rng.uniform(0, 1, done)) for k in ("error", "false_positives",
                                                        "false_negatives", "active_fraction",
                                                        "overlap")}
    return ck.Checkpoint(config, done, curves, {"error": [[0.5, 0.5]] * done},
                         {"simulate_s": [0.1] * done}, (np.arange(5), np.linspace(0, 9, 5)),
                         (np.arange(2), np.array([1.0, 2.0])), conn, initial,
                         {"z": rng.uniform(0, 1, 20)}, {"A": [1, 2, 3]}, "abc", 1.5, 10.0, 7.0)


@pytest.fixture
def config():
    return resolve_config(task="set1", episodes=8, set_options=["network.n_E=10", "network.rho=4"])


def test_the_checkpoint_lives_beside_the_run_directory(tmp_path):
    assert ck.checkpoint_path(tmp_path / "runs" / "a") == tmp_path / "runs" / ".a.checkpoint.npz"
    assert ck.find_checkpoint(tmp_path / "a") is None
    ck.checkpoint_path(tmp_path / "a").write_bytes(b"x")
    assert ck.find_checkpoint(tmp_path / "a") == tmp_path / ".a.checkpoint.npz"
    assert ck.find_checkpoint(tmp_path / ".a.checkpoint.npz") == tmp_path / ".a.checkpoint.npz"
    assert ck.run_directory_of(ck.checkpoint_path(tmp_path / "runs" / "a.b")) == \
        tmp_path / "runs" / "a.b"
    for bad in ("a.checkpoint.npz", ".checkpoint.npz", ".a.npz"):
        with pytest.raises(RunDirError, match="not named as a checkpoint"):
            ck.run_directory_of(tmp_path / bad)


def test_checkpoints_are_due_by_episodes_or_by_time(tmp_path):
    by_episodes = ck.CheckpointPolicy(tmp_path / "c", every_episodes=5, every_minutes=0)
    assert [d for d in range(1, 21) if by_episodes.due(d, 20, 0.0)] == [5, 10, 15]
    by_time = ck.CheckpointPolicy(tmp_path / "c", every_minutes=0.5)
    assert not by_time.due(3, 20, 29.0) and by_time.due(3, 20, 30.0)
    assert not by_time.due(20, 20, 1e6)          # the run directory follows the last episode
    assert not ck.CheckpointPolicy(tmp_path / "c", 0, 0).due(4, 20, 1e6)
    for bad in ({"every_episodes": -1}, {"every_episodes": 1.5}, {"every_minutes": -2.0},
                {"every_minutes": float("nan")}):
        with pytest.raises(ParameterError, match="checkpoint interval"):
            ck.CheckpointPolicy(tmp_path / "c", **bad)


def test_a_checkpoint_reads_back_as_it_was_written(tmp_path, config):
    path = tmp_path / ".run.checkpoint.npz"
    written = _checkpoint(config)
    ck.write_checkpoint(path, written)
    back = ck.load_checkpoint(path)
    assert back.config.hash() == config.hash() and back.episodes_done == 3
    for key in written.curves:
        np.testing.assert_allclose(back.curves[key], written.curves[key])
    for field in ("source", "target", "permanence", "weight", "initial_state"):
        np.testing.assert_array_equal(getattr(back.connectivity, field),
                                      getattr(written.connectivity, field))
    np.testing.assert_array_equal(back.connectivity.parameters["permanence_min"],
                                  written.connectivity.parameters["permanence_min"])
    np.testing.assert_array_equal(back.initial.permanence, written.initial.permanence)
    np.testing.assert_array_equal(back.neuron_state["z"], written.neuron_state["z"])
    np.testing.assert_array_equal(back.exc_spikes[1], written.exc_spikes[1])
    assert back.drive_targets == {"A": [1, 2, 3]} and back.module_key == "abc"
    assert back.path == path
    assert os.listdir(tmp_path) == [path.name]                # no temporary left


def test_a_damaged_checkpoint_is_named_in_one_line(tmp_path, config):
    path = tmp_path / ".run.checkpoint.npz"
    ck.write_checkpoint(path, _checkpoint(config))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                 # cut short
    with pytest.raises(RunDirError, match="damaged checkpoint") as err:
        ck.load_checkpoint(path)
    assert "\n" not in str(err.value)
    path.write_bytes(os.urandom(4096))                        # not a checkpoint at all
    with pytest.raises(RunDirError, match="damaged checkpoint"):
        ck.load_checkpoint(path)
    with pytest.raises(RunDirError, match="no checkpoint"):
        ck.load_checkpoint(tmp_path / "missing.npz")


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, config, monkeypatch):
    path = tmp_path / ".run.checkpoint.npz"
    ck.write_checkpoint(path, _checkpoint(config, done=2))
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(RunDirError, match="no space left.*previous checkpoint is kept"):
        ck.write_checkpoint(path, _checkpoint(config, done=4))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_only_episodes_and_threads_change_when_a_run_continues(config):
    ckpt = _checkpoint(config, done=3)
    more = ck.continued_config(ckpt, episodes=20, threads=2)
    assert more.run.episodes == 20 and more.run.threads == 2
    assert more.neuron.to_dict() == config.neuron.to_dict()
    with pytest.raises(ParameterError, match="done 3 episodes"):
        ck.continued_config(ckpt, episodes=3)


def test_the_tail_of_a_schedule_is_the_rest_of_the_run(config):
    timing = config.timing
    full = make_schedule(config.sequence_set, timing, 8)
    tail = full.tail(3)
    shift = full.tail_shift(3)
    assert tail.n_episodes == 5 and tail.episode_start(0) == pytest.approx(full.start)
    for ep in range(5):
        for slot, seq in enumerate(tail.presented(ep)):
            for j in range(len(seq)):
                assert tail.onset(ep, slot, j) + shift == pytest.approx(full.onset(ep + 3, slot, j))
    assert tail.total_duration + shift == pytest.approx(full.total_duration)
    # with training frequencies the order of the first episodes does not depend on the total
    freq = resolve_config(task="set1", episodes=8, frequencies="0.7,0.3")
    rng = lambda: np.random.default_rng(5)                          # noqa: E731
    short = make_schedule(freq.sequence_set, freq.timing, 6, rng())
    long = make_schedule(freq.sequence_set, freq.timing, 11, rng())
    assert long.order[:6] == short.order


def test_the_first_signal_asks_the_second_stops(capsys):
    with ck.StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signum == signal.SIGTERM
        assert "finishing this episode" in capsys.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_what_a_checkpoint_can_derive_is_not_stored_twice(tmp_path, config):
    """stdsp: the initial state is P_min, and the initial connectivity follows from it."""
    written = _checkpoint(config)
    written.initial = written.connectivity.initial(config.synapse)
    written.connectivity.parameters["permanence_min"] = written.connectivity.initial_state
    path = ck.write_checkpoint(tmp_path / ".run.checkpoint.npz", written)
    with np.load(path) as data:
        assert not {"ee_initial_state", "initial_permanence", "initial_weight"} & set(data.files)
    back = ck.load_checkpoint(path)
    np.testing.assert_array_equal(back.connectivity.initial_state,
                                  written.connectivity.initial_state)
    np.testing.assert_array_equal(back.initial.permanence, written.initial.permanence)
    np.testing.assert_array_equal(back.initial.weight, written.initial.weight)
