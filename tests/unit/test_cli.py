# SPDX-License-Identifier: GPL-2.0-or-later
"""Command-line argument handling (no NEST needed)."""
import pytest

from seqnest_cli.seqnest import main


@pytest.mark.parametrize("argv, fragment", [
    (["frobnicate"], "invalid choice"),
    (["build", "--jobs", "0"], "--jobs: must be >= 1"),
    (["demo", "--seed", "x"], "--seed: expected a whole number"),
    ([], "required"),
])
def test_bad_arguments_give_one_line_and_exit_2(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err
    assert len(err.splitlines()) == 1


def test_bad_nest_config_is_one_line_error(tmp_path, capsys):
    assert main(["build", "--with-nest", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nest-config not found" in err[0]
