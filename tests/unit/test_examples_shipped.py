# SPDX-License-Identifier: GPL-2.0-or-later
"""The sweep specs and example scripts that ship with seqnest: listed, copied where the
user wants them, never over the user's files (no NEST needed)."""
from pathlib import Path

import pytest

from seqnest.cli import main
from seqnest.sequences.sweep import expand, load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_list_names_every_spec_and_script(capsys):
    assert main(["example", "--list"]) == 0
    out = capsys.readouterr().out
    for folder in ("specs", "examples"):
        for path in (ROOT / folder).iterdir():
            if path.suffix in (".py", ".yaml"):
                assert f"{folder}/{path.name}" in out
    assert "Set I: how fast does the sTM learn" in out          # each with what it is


def test_copy_puts_specs_and_examples_where_their_commands_run(tmp_path, capsys, monkeypatch):
    dest = tmp_path / "mine"
    assert main(["example", "--copy", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["examples", "specs"]
    for folder in ("specs", "examples"):
        shipped = sorted(p.name for p in (ROOT / folder).iterdir() if p.suffix in (".py", ".yaml"))
        assert sorted(p.name for p in (dest / folder).iterdir()) == shipped
    # a copied spec is what the sweep reads, from the folder it was copied to
    monkeypatch.chdir(dest)
    assert len(expand(load_spec("specs/set1_learning_rates.yaml"))) == 27


def test_copy_never_replaces_and_leaves_nothing_when_it_fails(tmp_path, capsys, monkeypatch):
    dest = tmp_path / "mine"
    (dest / "specs").mkdir(parents=True)
    (dest / "specs" / "my.yaml").write_text("mine\n")
    assert main(["example", "--copy", str(dest)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "specs exists: not replaced" in err[0]
    assert sorted(p.name for p in dest.rglob("*")) == ["my.yaml", "specs"]
    # interrupted while copying the second folder: the first one goes too
    import shutil
    copy = shutil.copyfile
    other = tmp_path / "other"

    def interrupted(src, dst, *a, **k):
        if "examples" in str(src):
            raise KeyboardInterrupt
        return copy(src, dst, *a, **k)
    monkeypatch.setattr(shutil, "copyfile", interrupted)
    assert main(["example", "--copy", str(other)]) == 130
    assert list(other.iterdir()) == []


def test_a_missing_spec_named_like_a_shipped_one_says_how_to_get_it(tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "specs/set1_learning_rates.yaml", "--out", "s"]) == 2
    err = capsys.readouterr().err
    assert "seqnest example --copy DIR" in err and not (tmp_path / "s").exists()


@pytest.mark.parametrize("both", [["--list", "--copy", "x"]])
def test_list_and_copy_exclude_each_other(both, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["example", *both])
    assert exc.value.code == 2


def test_the_context_split_specs_measure_20_unseen_realisations():
    """S3 and S4 spatial at 200 iterations, temporal (oracle delays) at 100, each over
    20 seeds that no search or choice of the pattern family's defaults used (seeds
    1001-1020 chose the temporal coding's network values)."""
    seen = {}
    for name, task, coding, iterations, first in (("s3", "s3", "spatial", 200, 1001),
                                                  ("s4", "s4", "spatial", 200, 1001),
                                                  ("temporal", "s3", "temporal", 100, 1101)):
        points = expand(load_spec(ROOT / "specs" / f"context_split_{name}.yaml"))
        seeds = sorted(p.config.run.seed for p in points)
        assert seeds == list(range(first, first + 20))
        config = points[0].config
        assert (config.inputs.coding, config.protocol.iterations) == (coding, iterations)
        assert len(config.sequence_set.sequences[0]) == (4 if task == "s4" else 3)
        seen[name] = config
    assert seen["temporal"].network.in_delays == "oracle"
