# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/noise_replay.py's race figure and table from a replays.csv (no NEST)."""
import csv
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import noise_replay  # noqa: E402

FIELDS = ["point", "run.seed", "task.frequencies", "condition", "noise.kind", "trials",
          "simultaneous", "failure", "matching_tv_distance", "most_frequent_share",
          "branch1_frequency", "branch1_probability", "branch1_dap_latency_ms",
          "branch1_first_spike_gap_ms", "branch1_dap_neurons", "branch2_frequency",
          "branch2_probability", "branch2_dap_latency_ms", "branch2_first_spike_gap_ms",
          "branch2_dap_neurons"]


def _row(seed, p, d1, d2, s1, s2):
    won = 1.0 if p > 0.5 else 0.0
    return {"point": f"pt{seed}{p}", "run.seed": seed, "task.frequencies": f"[{p}, {1 - p}]",
            "condition": "none", "noise.kind": "none", "trials": 10, "simultaneous": 0.0,
            "failure": 0.0, "matching_tv_distance": 0.3, "most_frequent_share": 1.0,
            "branch1_frequency": p, "branch1_probability": won,
            "branch1_dap_latency_ms": d1, "branch1_first_spike_gap_ms": s1,
            "branch1_dap_neurons": 20 if d1 != "" else "",
            "branch2_frequency": 1 - p, "branch2_probability": 1 - won,
            "branch2_dap_latency_ms": d2, "branch2_first_spike_gap_ms": s2,
            "branch2_dap_neurons": 20 if d2 != "" else ""}


def test_race_gap_is_c_minus_b_per_network(tmp_path, capsys):
    rows = [_row(2, 0.7, 19.0, 20.5, 0.0, 0.5), _row(3, 0.7, 19.2, 20.0, 0.0, 0.3),
            _row(2, 0.3, 20.0, 19.0, 0.4, 0.0), _row(3, 0.3, "", 19.0, "", 0.0)]
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    with (sweep / "replays.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, FIELDS)
        w.writeheader()
        w.writerows(rows)
    table = noise_replay.race_table(noise_replay.read_rows(sweep))
    assert list(table) == [0.3, 0.7]
    assert [e["dap_gap"] for e in table[0.7]] == pytest.approx([1.5, 0.8])
    assert [e["spike_gap"] for e in table[0.7]] == pytest.approx([0.5, 0.3])
    assert table[0.3][0]["dap_gap"] == pytest.approx(-1.0)
    assert table[0.3][1]["dap_gap"] is None                # B had no dAPs
    docs = tmp_path / "docs"
    assert noise_replay.main(["--race", str(sweep), "--docs", str(docs)]) == 0
    assert (docs / "figures" / "noise_replay_race.png").read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "p 0.7: dAP gap +1.15 +- 0.49 (+1.50, +0.80)" in out
    assert "p 0.3: dAP gap -1.00 +- 0.00 (-1.00, -)" in out


def test_nothing_to_draw_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        noise_replay.main([])
    assert exc.value.code == 2
