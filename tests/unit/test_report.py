# SPDX-License-Identifier: GPL-2.0-or-later
"""`seqnest report` on a small stored run directory (no NEST needed).

tests/data/run_small: set I, n_E = 20, rho = 4, 4 episodes, seed 1, replayed
with two repetitions (made with `seqnest learn` and `seqnest replay`).
"""
import json
import re
import shutil
from pathlib import Path

import pytest

from seqnest.cli import main
from seqnest.sequences.temporal_memory.report import write_report
from seqnest.sequences.html import REPORT_MARKER
from seqnest.sequences.rundir import RunDirError

STORED = Path(__file__).parent.parent / "data" / "run_small"
FIGURES = {"raster_first_episode", "raster_last_episode", "learning_curves",
           "permanence_matrices", "weight_matrices", "rate_and_cv", "correlation",
           "replay_raster", "psth_last_episode"}


@pytest.fixture()
def run_dir(tmp_path):
    out = tmp_path / "run"
    shutil.copytree(STORED, out)
    return out


def test_report_is_self_contained_with_png_files(run_dir):
    page = write_report(run_dir)
    assert page == run_dir / "report.html"
    text = page.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(images) == len(FIGURES)
    assert "http://" not in text and "https://" not in text        # opens offline
    pngs = {p.stem for p in (run_dir / "report").glob("*.png")}
    assert pngs == FIGURES
    for p in (run_dir / "report").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.with_suffix(".svg").read_text().lstrip().startswith("<?xml")   # vector copy
    # parameters as tables with units and sources, not a JSON dump
    assert "<th>unit</th>" in text and "<code>theta_dAP</code>" in text and "pA" in text
    # dAP onsets are recorded in the last episode only: the first raster does not promise them
    first = text.split("raster_first_episode")[0].rsplit("<figcaption>", 1)[-1]
    assert "orange: dAP onsets" not in first
    for fragment in ("A D B E; F D B C", "final error", "Parameters", "Environment",
                     "activation sparsity", "connection sparsity", "nest-simulator",
                     # whether it stayed learned, also for a run older than these keys
                     "error stays below threshold from episode",
                     "episodes above threshold after the first convergence",
                     "last 4 episodes: mean (max) error, mean active fraction"):
        assert fragment in text
    assert not list(run_dir.glob(".report*"))                        # no temporary leftovers


def test_report_command_replaces_an_old_report(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    first = (run_dir / "report.html").stat().st_mtime_ns
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").stat().st_mtime_ns >= first
    assert "report written to" in capsys.readouterr().out


@pytest.mark.parametrize("damage, fragment", [
    (lambda d: (d / "metrics.json").unlink(), "missing file: "),
    (lambda d: (d / "spikes.nix").write_bytes(b"not a nix file"), "spikes.nix"),
    (lambda d: (d / "connectivity.npz").write_bytes(b"garbage"), "connectivity.npz"),
    (lambda d: (d / "connectivity.npz").write_bytes((d / "connectivity.npz").read_bytes()[:3000]),
     "corrupt connectivity file"),
    (lambda d: (d / "params.json").write_text("{"), "corrupt JSON"),
    (lambda d: shutil.rmtree(d), "run directory not found"),
])
def test_bad_run_directory_is_one_line_exit_2(run_dir, capsys, damage, fragment):
    damage(run_dir)
    code = main(["report", str(run_dir)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and fragment in err[0], err
    if run_dir.exists():
        assert not (run_dir / "report.html").exists()


def test_missing_file_error_names_it(run_dir):
    (run_dir / "schedule.json").unlink()
    with pytest.raises(RunDirError, match="schedule.json"):
        write_report(run_dir)


def test_report_needs_no_nest(run_dir):
    import subprocess
    import sys
    code = ("import sys; from seqnest.sequences.temporal_memory.report import write_report; "
            f"write_report({str(run_dir)!r}); "
            "print(any(m == 'nest' or m.startswith('nest.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sweep_report_plots_each_metric_against_each_parameter(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "results.csv").write_text(
        "point,run.seed,synapse.levels,final_error,episodes_to_convergence,simulate_time_s\n"
        "a1,1,8,0.0,22,15.1\n"
        "a2,2,8,0.5,,15.3\n"
        "b1,1,inf,0.0,21,15.0\n"
        "b2,2,inf,0.0,25,15.2\n")
    (sweep / "failures.json").write_text('[{"point": "c1", "reason": "KilledWorker: x"}]')
    assert main(["report", str(sweep)]) == 0
    text = (sweep / "report.html").read_text()
    # the seed repeats points: only synapse.levels is plotted against
    assert len(re.findall(r"data:image/png;base64,", text)) == 1
    assert {p.name for p in (sweep / "report").iterdir()} == {"sweep_synapse_levels.png",
                                                              "sweep_synapse_levels.svg",
                                                              REPORT_MARKER}
    assert "4 finished points, 1 failed" in text
    assert text.split("<h2>Points</h2>")[1].count("<tr>") == 5
    # each synapse.levels over its two seeds (no metrics.json: no curves)
    across = text.split("Across network realisations")[1].split("<h2>Points</h2>")[0]
    assert "group 1: synapse.levels = 8 (2 networks; seeds 1 2)" in across
    assert "<td>final_error</td><td>2</td><td>0.25</td><td>0.354</td>" in across
    assert "<td>episodes_to_convergence</td><td>1</td><td>22</td><td>0</td>" in across
    assert "report written to" in capsys.readouterr().out


def test_sweep_report_reads_each_network_and_its_learning_curve(tmp_path):
    """A seeds-only sweep: each metric's mean, sd and every seed's value, and each
    network's learning curve by blocks of iterations (phase 2 only), with the mean."""
    from seqnest.sequences.rundir import write_json
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    lines = ["point,run.seed,final_accuracy"]
    for seed, level in ((1001, 1.0), (1002, 0.5), (1003, 0.0)):
        lines.append(f"p{seed},{seed},{level}")
        curve = [0.0] * 10 + [level] * 60           # 70 phase-2 iterations of 100
        (sweep / f"p{seed}").mkdir()
        write_json(sweep / f"p{seed}" / "metrics.json",
                   {"family": "patterns", "iterations": 100, "accuracy": curve})
    (sweep / "results.csv").write_text("\n".join(lines) + "\n")
    assert main(["report", str(sweep)]) == 0
    text = (sweep / "report.html").read_text()
    across = text.split("Across network realisations")[1].split("<h2>Points</h2>")[0]
    assert "every point (3 networks; seeds 1001 1002 1003)" in across
    assert "<td>final_accuracy</td><td>3</td><td>0.5</td><td>0.5</td><td>0</td><td>1</td>" \
           "<td>1 0.5 0</td>" in across
    assert "mean over blocks of 10 iterations" in across
    assert "<th>31-40</th>" in across and "<th>91-100</th>" in across
    assert "<tr><td>1002</td><td>0</td><td>0.5</td>" in across
    assert "<tr><td>mean</td><td>0</td><td>0.5</td>" in across
    assert (sweep / "report" / "sweep_seed_curves.png").is_file()


def test_block_means_and_summary_of_a_metric():
    import numpy as np
    from seqnest.sequences.sweep.seeds import block_means, metric_summary
    got = block_means(np.arange(31, 38), np.array([0, 1, 1, 1, 0, 0, 1.0]), 3)
    assert got == {"31-33": 2 / 3, "34-36": 1 / 3, "37-37": 1.0}
    assert metric_summary([{"m": "1"}, {"m": ""}, {"m": "3"}], "m") == \
        {"n": 2, "mean": 2.0, "sd": 2 ** 0.5, "min": 1.0, "max": 3.0}
    assert metric_summary([{"m": "nan"}], "m") is None


def test_sweep_report_without_results_names_the_file(tmp_path, capsys):
    from seqnest.sequences.sweep.report import write_sweep_report
    with pytest.raises(RunDirError, match="results.csv"):
        write_sweep_report(tmp_path)


def test_report_into_another_folder_leaves_the_run_directory_untouched(run_dir, tmp_path):
    before = sorted(p.name for p in run_dir.iterdir())
    out = tmp_path / "reports" / "mine"
    assert main(["report", str(run_dir), "--out", str(out)]) == 0
    assert (out / "report.html").is_file() and len(list((out / "report").glob("*.png"))) >= 9
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_report_files_follow_the_umask(run_dir):
    import os
    old = os.umask(0o022)
    try:
        assert main(["report", str(run_dir)]) == 0
    finally:
        os.umask(old)
    assert (run_dir / "report").stat().st_mode & 0o777 == 0o755
    assert (run_dir / "report.html").stat().st_mode & 0o777 == 0o644


def test_report_does_not_replace_a_folder_it_did_not_write(run_dir, tmp_path, capsys):
    out = tmp_path / "notes"
    (out / "report").mkdir(parents=True)
    (out / "report" / "draft.txt").write_text("mine")
    assert main(["report", str(run_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a folder of seqnest report figures" in err[0]
    assert (out / "report" / "draft.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["report"]


def test_a_users_figures_and_page_are_never_replaced(run_dir, tmp_path, capsys):
    work = tmp_path / "W"
    (work / "report").mkdir(parents=True)
    (work / "report" / "my_figure.png").write_bytes(b"\x89PNG mine")
    (work / "report.html").write_text("<html>my notes</html>")
    assert main(["report", str(run_dir), "--out", str(work)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not written by seqnest report" in err[0]
    assert (work / "report" / "my_figure.png").read_bytes() == b"\x89PNG mine"
    assert (work / "report.html").read_text() == "<html>my notes</html>"
    assert sorted(p.name for p in (work / "report").iterdir()) == ["my_figure.png"]


def test_a_second_report_keeps_the_users_files_beside_its_figures(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    figures = run_dir / "report"
    ours = {p.name for p in figures.iterdir()}
    (figures / "mine.png").write_bytes(b"mine")
    (figures / "notes.txt").write_text("mine")
    stale = sorted(n for n in ours if n.endswith(".png"))[0]
    marker = json.loads((figures / REPORT_MARKER).read_text())
    marker["files"].append("gone_figure.png")           # a figure an older report wrote
    (figures / REPORT_MARKER).write_text(json.dumps(marker))
    (figures / "gone_figure.png").write_bytes(b"old")
    assert main(["report", str(run_dir)]) == 0
    after = {p.name for p in figures.iterdir()}
    assert after == ours | {"mine.png", "notes.txt"}
    assert (figures / "mine.png").read_bytes() == b"mine" and (figures / stale).stat().st_size > 100
    # a user's file named like one of the report's figures stops it before it writes
    (figures / REPORT_MARKER).write_text(json.dumps({"files": sorted(ours - {stale})}))
    page = (run_dir / "report.html").read_bytes()
    assert main(["report", str(run_dir)]) == 2
    assert f"{stale} is not a file seqnest report wrote" in capsys.readouterr().err
    assert (run_dir / "report.html").read_bytes() == page


@pytest.mark.parametrize("when", ["analysis", "writing"])
def test_a_failed_report_into_a_new_folder_leaves_nothing(run_dir, tmp_path, monkeypatch, when):
    from seqnest.sequences import html
    out = tmp_path / "new" / "reports"
    if when == "analysis":
        monkeypatch.setattr(html.Figures, "add", lambda *a, **k: 1 / 0)
    else:
        calls = []
        write = html._write_atomic

        def interrupted(path, data):
            calls.append(path)
            if len(calls) == 3:
                raise KeyboardInterrupt
            write(path, data)

        monkeypatch.setattr(html, "_write_atomic", interrupted)
    with pytest.raises((ZeroDivisionError, KeyboardInterrupt)):
        write_report(run_dir, out)
    assert not (tmp_path / "new").exists()


def test_report_to_an_unwritable_place_fails_before_any_analysis(run_dir, capsys):
    assert main(["report", str(run_dir), "--out", "/proc/seqnest-test/report"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the report" in err[0]


def test_replay_into_a_run_directory_that_takes_no_files_fails_before_any_build(
        run_dir, capsys, monkeypatch):
    """As on a read-only run directory (permissions do not stop root, so the refusal is
    simulated where the temporary sibling is created)."""
    import tempfile
    real = tempfile.mkdtemp

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == run_dir.resolve():
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    before = sorted(p.name for p in run_dir.rglob("*"))
    assert main(["replay", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write output directory" in err[0] and "Permission" in err[0]
    assert sorted(p.name for p in run_dir.rglob("*")) == before
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the report" in err[0] and "--out" in err[0]


def test_asset_figure_draws_every_structure_with_its_elements():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqnest.sequences.analysis import DetectedSequence
    from seqnest.sequences.temporal_memory.figures import asset_structures
    fig, ax = plt.subplots()
    detected = [DetectedSequence(1, [(0.0, 250.0), (10.0, 260.0)], ["A", "D"], ["A", "D"]),
                DetectedSequence(2, [(500.0, 750.0)], ["F"], ["F"])]
    asset_structures(ax, detected)
    assert [t.get_text() for t in ax.texts] == ["A", "D", "F"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["structure 1: A D",
                                                                   "structure 2: F"]
    plt.close(fig)


def test_sweep_report_shows_the_replay_trials_of_each_condition(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "results.csv").write_text("point,run.seed,final_error\np1,1,0.0\np2,2,0.1\n")
    (sweep / "replays.csv").write_text(
        "point,run.seed,condition,noise.kind,trials,simultaneous,failure,"
        "branch1_frequency,branch1_probability,branch2_frequency,branch2_probability\n"
        "p1,1,none,none,10,0.0,0.1,0.7,0.9,0.3,0.0\n"
        "p2,2,none,none,10,0.1,0.0,0.7,0.6,0.3,0.3\n"
        "p1,1,uncorrelated_sigma=10,uncorrelated,10,0.2,0.0,0.7,0.5,0.3,0.3\n"
        "p2,2,uncorrelated_sigma=10,uncorrelated,10,0.0,0.2,0.7,0.4,0.3,0.4\n")
    assert main(["report", str(sweep)]) == 0
    text = (sweep / "report.html").read_text()
    assert (sweep / "report" / "sweep_replays.png").is_file()
    assert "Replays (replays.csv)" in text and "uncorrelated_sigma=10" in text
    assert text.split("<h2>Points</h2>")[1].count("<tr>") == 3 + 5   # points, replays


def _copy_replay(run_dir, where):
    shutil.copytree(run_dir / "replay", where)
    return where


def test_the_report_shows_every_replay_of_the_run(run_dir):
    """RUN/replay, the other replays written into the run and a sweep point's noisy
    replays (RUN/replays/<condition>), each with its figures and summary row."""
    _copy_replay(run_dir, run_dir / "replay-b")
    _copy_replay(run_dir, run_dir / "replays" / "osc")
    (run_dir / "replays" / "not-a-replay").mkdir()
    text = write_report(run_dir).read_text()
    pngs = {p.stem for p in (run_dir / "report").glob("*.png")}
    assert pngs == FIGURES | {"replay-b_raster", "replays_osc_raster"}
    rows = re.findall(r"<th>(replay: [^<]*)</th>", text)
    assert rows == ["replay: replay", "replay: replay-b", "replay: replays/osc"]


def test_the_report_of_a_replay_directory(run_dir, tmp_path, capsys):
    """A replay is reported by itself, into itself or elsewhere, with its run's
    parameters; moved away from a run that is gone, it says so in one line."""
    rep = _copy_replay(run_dir, run_dir / "replay-b")
    assert main(["report", str(rep)]) == 0
    text = (rep / "report.html").read_text()
    assert "seqnest replay replay-b of run run" in text
    assert {p.stem for p in (rep / "report").glob("*.png")} == {"replay-b_raster"}
    assert "<code>theta_dAP</code>" in text                    # the run's parameters
    other = tmp_path / "reports"
    assert main(["report", str(run_dir / "replay"), "--out", str(other)]) == 0
    assert (other / "report" / "replay_raster.png").is_file()
    capsys.readouterr()
    lone = _copy_replay(run_dir, tmp_path / "lone")
    assert main(["report", str(lone)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the run it replays is not there" in err[0], err
    assert not (lone / "report.html").exists() and not (lone / "report").exists()
