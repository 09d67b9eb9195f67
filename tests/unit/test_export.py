# SPDX-License-Identifier: GPL-2.0-or-later
"""`seqnest export RUN --format nix`: the run's spikes, dAP onsets, stimuli, replays and
connectivity in one NIX file that neo reads back (no NEST needed)."""
import shutil
from pathlib import Path

import numpy as np
import pytest

import seqnest
from seqnest.cli import main

STORED = Path(__file__).parent.parent / "data" / "run_small"


@pytest.fixture()
def run_dir(tmp_path):
    out = tmp_path / "run"
    shutil.copytree(STORED, out)
    shutil.copytree(out / "replay", out / "replay-b")          # a second replay in the run
    return out


def _times(seg, name):
    st = next(s for s in seg.spiketrains if s.name == name)
    return np.asarray(st.times.rescale("ms").magnitude), np.asarray(st.array_annotations["neuron"])


def test_export_is_read_back_by_neo_with_everything_the_run_holds(run_dir, capsys):
    import neo
    import nixio
    assert main(["export", str(run_dir)]) == 0
    path = run_dir / "export.nix"
    assert f"to {path}" in capsys.readouterr().out
    with neo.io.NixIO(str(path), mode="ro") as io:
        block = io.read_block()
    assert [s.name for s in block.segments] == ["training", "replay", "replay: replay-b"]
    stored = seqnest.load_spikes(STORED)
    for got, want in ((block.segments[0], stored.segments[0]),
                      (block.segments[1], stored.segments[1]),
                      (block.segments[2], stored.segments[1])):
        for name in ("E", "I", "E_dAP"):                       # spikes and dAP onsets
            for a, b in zip(_times(got, name), _times(want, name)):
                np.testing.assert_array_equal(a, b)
    assert [e.name for e in block.segments[0].events] == ["stimuli"]
    assert block.annotations["family"] == "temporal_memory"
    assert block.annotations["sequences"] == ["A D B E", "F D B C"]
    # the connectivity, with units, read by seqnest and by nixio alone
    _, conn = seqnest.read_export(path)
    stored_conn = np.load(STORED / "connectivity.npz")
    assert set(conn) == set(stored_conn.files)
    for key in stored_conn.files:
        np.testing.assert_array_equal(conn[key], stored_conn[key])
    with nixio.File.open(str(path), nixio.FileMode.ReadOnly) as f:
        weight = f.blocks[0].data_arrays["seqnest.connectivity.weight"]
        assert weight.unit == "pA" and weight.shape == stored_conn["weight"].shape


def test_export_refuses_to_replace_what_is_not_its_own(run_dir, tmp_path, capsys):
    out = tmp_path / "mine.nix"
    out.write_text("a file of the user's")
    for argv, fragment in (
            (["--out", str(out)], "exists: not replaced"),
            (["--out", str(out), "--force"], "not a NIX export seqnest wrote"),
            (["--out", str(tmp_path)], "is a folder"),
            (["--out", str(tmp_path / "x.h5")], "ends in .nix"),
            (["--out", str(tmp_path / "no" / "such" / "x.nix")], None)):
        code = main(["export", str(run_dir), *argv])
        err = capsys.readouterr().err.strip().splitlines()
        if fragment is None:
            assert code == 0
            continue
        assert code == 2 and len(err) == 1 and fragment in err[0], (argv, err)
    assert out.read_text() == "a file of the user's"
    # an export seqnest wrote is replaced with --force
    assert main(["export", str(run_dir), "--out", str(tmp_path / "a.nix")]) == 0
    assert main(["export", str(run_dir), "--out", str(tmp_path / "a.nix"), "--force"]) == 0


def test_export_of_another_kind_of_directory_says_what_it_is(run_dir, capsys):
    assert main(["export", str(run_dir / "replay")]) == 2
    err = capsys.readouterr().err
    assert "is a replay directory" in err and "not a temporal-memory run" in err


def test_an_interrupted_export_leaves_nothing(run_dir, tmp_path, monkeypatch):
    import nixio
    original = nixio.Block.create_data_array

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(nixio.Block, "create_data_array", interrupted)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["export", str(run_dir), "--out", str(tmp_path / "e.nix")]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    monkeypatch.setattr(nixio.Block, "create_data_array", original)
