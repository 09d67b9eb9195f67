# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/learning_sets.py's table and figure, from a stored run directory (no NEST)."""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
STORED = ROOT / "tests" / "data" / "run_small"
sys.path.insert(0, str(ROOT / "bench"))

import learning_sets  # noqa: E402


def test_table_and_curves_from_complete_runs(tmp_path, capsys):
    out = tmp_path / "runs"
    for seed in (1, 2):
        shutil.copytree(STORED, out / f"set1-seed{seed}")
    table, figure = tmp_path / "table.md", tmp_path / "curves.png"
    assert learning_sets.main(["--task", "set1", "--seeds", "1", "2", "--episodes", "4",
                               "--out", str(out), "--reuse", "--table", str(table),
                               "--figure", str(figure)]) == 0
    text = table.read_text()
    assert text.startswith("# Learning sets")
    assert "--reuse" not in text and "--task set1 --seeds 1 2 --episodes 4" in text
    assert text.count("| set1 |") == 2                      # one row per seed
    assert "set1: " in text and "seeds below 0.01 in each of the last 4 episodes" in text
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))
    printed = capsys.readouterr().out
    assert "stays from" in printed and "tail active fraction" in printed


def test_stayed_needs_every_tail_episode_below_threshold():
    m = {"error": [1, 0, 0, 0], "stays_converged_from": 2, "tail_episodes": 3}
    assert learning_sets.stayed(m)
    assert not learning_sets.stayed({**m, "stays_converged_from": 3})
    assert not learning_sets.stayed({**m, "stays_converged_from": None})
