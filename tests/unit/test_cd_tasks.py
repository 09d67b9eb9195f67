# SPDX-License-Identifier: GPL-2.0-or-later
"""Generated tasks (MTS-XOR, frozen patterns), the SHD reader and the dataset file."""
import h5py
import numpy as np
import pytest

from seqnest.params import ParameterError
from seqnest.sequences.tasks.mts_xor import MtsXorParams, make_mts_xor
from seqnest.sequences.tasks.patterns import PatternParams, make_patterns
from seqnest.sequences.tasks.shd import ShdParams, load_shd, shd_files, write_shd
from seqnest.sequences.tasks.spike_data import SpikeDataset


def test_mts_xor_targets_follow_the_rates():
    p = MtsXorParams()
    data = make_mts_xor(200, np.random.default_rng(8), p)
    assert data.n_steps == 100 and data.n_channels == 40 and data.windows.tolist() == [
        [15, 25], [30, 40], [45, 55], [60, 70], [75, 85], [90, 100]]
    for k in range(len(data)):
        x = data.dense(k)
        assert x.max() <= 1
        high1 = x[:20, :10].mean() > 0.4
        for j, (a, b) in enumerate(data.windows):
            high2 = x[20:, a:b].mean() > 0.4
            assert data.labels[k, j] == int(high1 != high2)
    # background only outside the signals: ~p_background
    silent = np.mean([data.dense(k)[:, 10:15].mean() for k in range(len(data))])
    assert silent == pytest.approx(0.01, abs=0.005)
    assert 0.4 < data.labels.mean() < 0.6


def test_patterns_are_frozen_and_jittered():
    p = PatternParams(n_classes=3, n_channels=8, jitter=0.0, background=0.0, pattern_seed=3)
    a = make_patterns(20, np.random.default_rng(1), p)
    b = make_patterns(20, np.random.default_rng(2), p)
    tmpl = p.templates()
    for data in (a, b):
        for k in range(len(data)):
            steps, chans = data.sample(k)
            assert sorted(chans.tolist()) == list(range(8))
            assert np.array_equal(steps[np.argsort(chans, kind="stable")],
                                  tmpl[data.labels[k, 0]])
    jittered = make_patterns(50, np.random.default_rng(1), p.replace(jitter=3.0))
    moved = [np.any(jittered.sample(k)[0][np.argsort(jittered.sample(k)[1], kind="stable")]
                    != tmpl[jittered.labels[k, 0]]) for k in range(50)]
    assert np.mean(moved) > 0.9
    assert not np.array_equal(PatternParams(pattern_seed=4).templates(),
                              PatternParams(pattern_seed=5).templates())


def test_dataset_file_roundtrip_and_corrupt_file(tmp_path):
    data = make_mts_xor(5, np.random.default_rng(1))
    data.save(tmp_path / "d.npz")
    back = SpikeDataset.load(tmp_path / "d.npz")
    assert np.array_equal(back.steps, data.steps) and np.array_equal(back.labels, data.labels)
    assert back.meta == data.meta
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ParameterError, match="corrupt data file"):
        SpikeDataset.load(tmp_path / "bad.npz")
    with pytest.raises(ParameterError, match="missing data file"):
        SpikeDataset.load(tmp_path / "none.npz")


def _drop(path, name):
    with h5py.File(path, "a") as f:
        del f[name]


def test_shd_reader_bins_and_rejects_bad_files(tmp_path):
    samples = [([0.0012, 0.0031, 0.0049, 0.7, 1.2], [3, 3, 699, 10, 5]), ([0.5], [0])]
    write_shd(tmp_path / "shd_train.h5", samples, [4, 19])
    data = load_shd(tmp_path / "shd_train.h5", ShdParams())
    assert (data.n_channels, data.n_classes, data.n_steps, data.dt) == (700, 20, 200, 5.0)
    s, c = data.sample(0)
    assert s.tolist() == [0, 0, 0, 140] and c.tolist() == [3, 3, 699, 10]   # 1.2 s dropped
    assert data.labels[:, 0].tolist() == [4, 19]
    assert len(load_shd(tmp_path / "shd_train.h5", limit=1)) == 1
    for missing in ("spikes/times", "spikes/units", "labels"):
        write_shd(tmp_path / "bad.h5", samples, [4, 19])
        _drop(tmp_path / "bad.h5", missing)
        with pytest.raises(ParameterError, match=f"no dataset '{missing}'"):
            load_shd(tmp_path / "bad.h5")
    write_shd(tmp_path / "bad.h5", [([0.1], [700])], [1])
    with pytest.raises(ParameterError, match="channel outside"):
        load_shd(tmp_path / "bad.h5")
    (tmp_path / "text.h5").write_text("no hdf5")
    with pytest.raises(ParameterError, match="not a readable HDF5"):
        load_shd(tmp_path / "text.h5")
    with pytest.raises(ParameterError, match="missing file"):
        shd_files(tmp_path)      # shd_test.h5 is absent
