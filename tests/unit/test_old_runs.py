# SPDX-License-Identifier: GPL-2.0-or-later
"""Run directories written before the pattern-sequence family was renamed (marked
"stp", by `seqnest learn --inputs stp-spatial` of version 0.2.0 before the layout
change) still read and report (no NEST)."""
import shutil
from pathlib import Path

import seqnest
from seqnest.cli import main
from seqnest.sequences.rundir import run_family
from seqnest.sequences.sweep.family import family_of_record

OLD = Path(__file__).resolve().parent.parent / "data" / "patterns_run_stp_marked"


def test_an_stp_marked_run_is_a_pattern_sequence_run():
    assert run_family(OLD) == "patterns"
    assert family_of_record({"family": "stp"}).name == "patterns"


def test_an_stp_marked_run_reports(tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(OLD, run)
    page = seqnest.report(run)
    assert page == run / "report.html" and "pattern-sequence report" in page.read_text()
    assert (run / "report" / "input_weights.png").is_file()
    assert main(["report", str(run), "--out", str(tmp_path / "elsewhere")]) == 0
    assert "report written" in capsys.readouterr().out


def test_pattern_configurations_keep_their_earlier_hashes(before_search):
    """Sweep points are directories named by the configuration's hash: the values
    below were computed by version 0.2.0 before the rename, so its sweeps are reused
    (with the defaults of then)."""
    assert seqnest.resolve_pattern_config(
        "spatial", "s3", params=before_search("spatial", 800.0)).hash() == "3d44cdaaf945b362"
    old = before_search("temporal", 1000.0)
    old["network"]["n_E_per_item"] = 20
    assert seqnest.resolve_pattern_config("temporal", "s4", params=old).hash() == \
        "d1b1a45a7d994507"
