# SPDX-License-Identifier: GPL-2.0-or-later
"""Sweeps on a real SLURM cluster: a one-node cluster on this machine
(scripts/slurm_local.sh: slurmctld, slurmd and munged as background processes),
jobs submitted through dask-jobqueue."""
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.nest]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "slurm_local.sh"
SPEC = """task: set1
episodes: {episodes}
config:
  network: {{n_E: {n_E}, rho: {rho}}}
vary:
  grid:
    synapse.lambda_plus: [0.08, 0.16]
  seeds: {seeds}
cluster:
  slurm: {{cores: 1, memory: 2GB, walltime: "00:10:00", interface: lo}}
"""


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0 or shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("the one-node SLURM cluster needs root (and apt-get if SLURM is missing)")
    state = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "SEQNEST_SLURM_DIR": str(state)}
    started = time.perf_counter()
    proc = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"SLURM cluster up in {time.perf_counter() - started:.1f} s")
    env["SLURM_CONF"] = str(state / "slurm.conf")
    yield env
    subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120)


def _sweep(env, spec: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "seqnest", "sweep", str(spec), "--cluster",
                             "slurm", "--workers", "2", "--out", str(out), "--no-progress"],
                            env=env, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _jobs(env, state: str = "") -> list[str]:
    cmd = ["squeue", "-h", "-o", "%i"] + (["-t", state] if state else [])
    return subprocess.run(cmd, env=env, capture_output=True, text=True).stdout.split()


def _rows(out: Path) -> list[dict]:
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_sweep_runs_on_slurm_jobs_and_a_rerun_reuses_every_point(slurm, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(episodes=3, n_E=20, rho=4, seeds="[1, 2]"))
    started = time.perf_counter()
    proc = _sweep(slurm, spec, tmp_path / "out")
    seen = set()
    while proc.poll() is None:
        seen.update(_jobs(slurm))
        time.sleep(0.5)
    out, err = proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    assert len(seen) >= 1                      # the workers ran as SLURM jobs
    assert "4 points: ran 4, reused 0, failed 0" in out
    rows = _rows(tmp_path / "out")
    assert len(rows) == 4 and all(r["final_error"] != "" for r in rows)
    # the jobs' output files are kept with the sweep, not in the working directory
    assert list((tmp_path / "out" / "slurm-logs").glob("*.out"))
    assert not list(tmp_path.glob("slurm-*.out"))
    print(f"4-point sweep on SLURM: {time.perf_counter() - started:.1f} s, jobs {sorted(seen)}")

    before = set(_jobs(slurm))
    again = _sweep(slurm, spec, tmp_path / "out")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-3000:]
    assert "4 points: ran 0, reused 4, failed 0" in out
    assert set(_jobs(slurm)) <= before         # nothing submitted


def test_a_cancelled_job_fails_its_point_and_the_others_finish(slurm, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(episodes=40, n_E=100, rho=14, seeds="[1, 2, 3]"))
    out_dir = tmp_path / "out"
    proc = _sweep(slurm, spec, out_dir)
    cancelled = None
    deadline = time.monotonic() + 240
    finished_at = None
    while proc.poll() is None and cancelled is None and time.monotonic() < deadline:
        running = _jobs(slurm, "R")
        done = len(_rows(out_dir)) if (out_dir / "results.csv").is_file() else 0
        if done >= 1 and finished_at is None:
            finished_at = time.monotonic()
        # a point has finished on each of two running jobs' workers and the next ones
        # (one per worker) have started: cancelling a job kills a running point
        if finished_at is not None and time.monotonic() > finished_at + 1.0 and len(running) == 2:
            cancelled = running[0]
            subprocess.run(["scancel", cancelled], env=slurm, check=True)
        time.sleep(0.3)
    out, err = proc.communicate(timeout=600)
    assert cancelled is not None, "no point was running when the sweep ended"
    assert proc.returncode == 1, err[-3000:]
    assert "6 points: ran 6, reused 0, failed 1" in out
    failures = json.loads((out_dir / "failures.json").read_text())
    assert len(failures) == 1 and failures[0]["reason"].startswith("KilledWorker")
    assert len(_rows(out_dir)) == 5


def test_a_job_script_slurm_rejects_is_refused_in_one_line_before_anything_is_written(slurm,
                                                                                      tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(episodes=2, n_E=20, rho=4, seeds="[1]")
                    .replace("interface: lo}", "interface: lo, queue: nosuch}"))
    before = set(_jobs(slurm))
    proc = subprocess.run([sys.executable, "-m", "seqnest", "sweep", str(spec), "--cluster",
                           "slurm", "--out", str(tmp_path / "out"), "--no-progress"], env=slurm,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "invalid partition specified: nosuch" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]
    assert set(_jobs(slurm)) == before


TUNE = """task: set1
episodes: 4
config:
  network: {n_E: 20, rho: 4}
search:
  synapse.lambda_plus: {low: 0.02, high: 0.3, log: true}
objective: {key: final_active_fraction, direction: minimize}
seeds: [5, 6]
trials: 2
pruner: {type: threshold, upper: 0.5, warmup_episodes: 2}
cluster:
  slurm: {cores: 1, memory: 2GB, walltime: "00:10:00", interface: lo}
"""


def test_a_search_runs_on_slurm_jobs_whose_points_report_to_the_study(slurm, tmp_path):
    """`seqnest tune --cluster slurm`: the trials' points run in SLURM jobs and tell the
    study's journal their curves from there (each is pruned at episode 2 by a threshold
    every early error exceeds); a rerun with a larger budget continues the study."""
    spec = tmp_path / "tune.yaml"
    spec.write_text(TUNE)
    out = tmp_path / "study"

    def tune(trials: int) -> tuple[str, set]:
        proc = subprocess.Popen([sys.executable, "-m", "seqnest", "tune", str(spec), "--cluster",
                                 "slurm", "--workers", "2", "--trials", str(trials), "--out",
                                 str(out), "--no-progress"], env=slurm, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = set()
        while proc.poll() is None:
            seen.update(_jobs(slurm))
            time.sleep(0.5)
        printed, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]
        return printed, seen

    printed, seen = tune(2)
    assert seen and printed.count("-> pruned at episode 2") == 2, printed
    printed, _ = tune(3)
    assert printed.count("-> pruned at episode 2") == 1, printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trials"] == 3 and summary["pruned"] == 3
    assert list((out / "runs" / "slurm-logs").glob("*.out"))
