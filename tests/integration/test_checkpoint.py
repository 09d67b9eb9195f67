# SPDX-License-Identifier: GPL-2.0-or-later
"""Checkpoints as a user meets them: periodic ones change nothing of the run;
SIGTERM (what a batch scheduler sends before it kills) and Ctrl-C finish the
episode, write one and exit in one line; `kill -9` leaves the last periodic one;
`seqnest learn --resume RUN` continues to the requested episode count and
replaces the checkpoint with the run directory; what cannot continue is refused
in one line. About 60 s."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seqnest.sequences.rundir import load_spikes, population_train, read_json, train_arrays
from seqnest.sequences.temporal_memory.checkpoint import (CheckpointPolicy, checkpoint_path,
                                                          load_checkpoint)
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

pytestmark = pytest.mark.nest

SMALL = ["--set", "network.n_E=40", "--set", "network.rho=8"]


def _seqnest(args, cwd, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "seqnest", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"}, **kwargs)


def _wait_for(path: Path, proc, timeout=120.0):
    t0 = time.perf_counter()
    while not path.is_file():
        assert proc.poll() is None, proc.communicate()
        assert time.perf_counter() - t0 < timeout
        time.sleep(0.05)


def _listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def test_periodic_checkpoints_change_nothing(built_module, tmp_path):
    config = resolve_config(task="set1", episodes=6, seed=4,
                            set_options=["network.n_E=40", "network.rho=8"])
    plain = train(config, built_module, progress=False)
    policy = CheckpointPolicy(tmp_path / ".run.checkpoint.npz", every_episodes=2,
                              every_minutes=0)
    kept = train(config, built_module, progress=False, checkpoint=policy)
    assert kept.metrics["checkpoints"]["written"] == 2            # after episodes 2 and 4
    for key in ("error", "false_positives", "false_negatives", "active_fraction"):
        assert kept.metrics[key] == plain.metrics[key], key
    for a, b in ((kept.exc_spikes, plain.exc_spikes), (kept.inh_spikes, plain.inh_spikes)):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(kept.connectivity_final.permanence,
                                  plain.connectivity_final.permanence)
    ckpt = load_checkpoint(policy.path)                      # the last one: after episode 4
    assert ckpt.episodes_done == 4 and ckpt.reason == "periodic"
    assert ckpt.curves["error"] == plain.metrics["error"][:4]
    np.testing.assert_array_equal(ckpt.initial.permanence, plain.connectivity_initial.permanence)
    # the spikes so far are those of the first four episodes
    end = plain.schedule.episode_start(4)
    np.testing.assert_array_equal(ckpt.exc_spikes[1], plain.exc_spikes[1][plain.exc_spikes[1]
                                                                            < end])


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
def test_a_killed_training_continues_from_its_checkpoint(built_module, tmp_path, how):
    run = tmp_path / "run"
    ckpt = checkpoint_path(run)
    proc = _seqnest(["learn", "--task", "set1", "--episodes", "400", "--seed", "3", "--out",
                     str(run), "--no-progress", "--checkpoint-every", "5", *SMALL], tmp_path)
    _wait_for(ckpt, proc)
    time.sleep(0.3)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    took = time.perf_counter() - sent
    state = load_checkpoint(ckpt)
    if how == "SIGTERM":
        assert proc.returncode == 143 and took < 10.0, err
        last = [line for line in err.splitlines() if line.startswith("seqnest: SIGTERM: stopped")]
        assert len(last) == 1 and str(ckpt) in last[0] and f"--resume {run}" in last[0]
        assert state.reason == "signal"
    else:
        assert proc.returncode == -signal.SIGKILL
        assert state.reason == "periodic" and state.episodes_done % 5 == 0
    left = _listing(tmp_path)
    if how == "kill -9":
        # a kill while the next checkpoint is being written leaves its temporary file; the
        # checkpoint itself is the previous one, whole, and the resumed run removes the rest
        left = [name for name in left if not name.startswith(f"{ckpt.name}.tmp-")]
        (tmp_path / f"{ckpt.name}.tmp-cutshort").write_bytes(b"PK\x03\x04")  # always one
    assert left == [ckpt.name]                               # no run directory
    done = state.episodes_done
    total = done + 4
    proc = _seqnest(["learn", "--resume", str(run), "--episodes", str(total), "--no-progress"],
                    tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"continued from a checkpoint after episode {done}" in out
    assert _listing(tmp_path) == ["run"]     # the run replaced its checkpoint and any temporary
    m = read_json(run / "metrics.json")
    assert len(m["error"]) == total and m["error"][:done] == state.curves["error"]
    assert m["checkpoints"]["continued_at_episodes"] == [done]
    params = read_json(run / "params.json")["params"]
    assert params["run"]["episodes"] == total
    assert json.loads(json.dumps(params["neuron"])) == state.config.neuron.to_dict()
    # one spike train over the whole run: the checkpoint's spikes, then the rest
    segment = load_spikes(run).segments[0]
    index, times = train_arrays(population_train(segment, "E"))
    before = times < state.exc_spikes[1].max() + 1e-9
    np.testing.assert_allclose(np.sort(times[before]), np.sort(state.exc_spikes[1]))
    assert times.max() > read_json(run / "schedule.json")["episode_starts"][done]


def test_what_cannot_continue_is_refused_in_one_line(built_module, tmp_path):
    run = tmp_path / "run"
    proc = _seqnest(["learn", "--task", "set1", "--episodes", "300", "--out", str(run),
                     "--no-progress", "--checkpoint-every", "2", *SMALL], tmp_path)
    _wait_for(checkpoint_path(run), proc)
    proc.send_signal(signal.SIGINT)                              # Ctrl-C writes one too
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "SIGINT: stopped after episode" in err
    before = checkpoint_path(run).read_bytes()
    cases = {
        # the same command again would start over: it names the checkpoint instead
        "again": ["learn", "--task", "set1", "--episodes", "300", "--out", str(run)],
        "changed": ["learn", "--resume", str(run), "--set", "neuron.tau_h=100"],
        "fewer": ["learn", "--resume", str(run), "--episodes", "1"],
        "nothing": ["learn", "--resume", str(tmp_path / "elsewhere")],
    }
    for name, args in cases.items():
        proc = _seqnest(args, tmp_path)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, (name, err)
        assert len(err.strip().splitlines()) == 1, (name, err)
    assert checkpoint_path(run).read_bytes() == before           # nothing of it lost
    checkpoint_path(run).write_bytes(before[:1000])                # damaged: one line too
    proc = _seqnest(["learn", "--resume", str(run)], tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "damaged checkpoint" in err
    assert len(err.strip().splitlines()) == 1


def test_a_stopped_sweep_continues_its_point_from_its_checkpoint(built_module, tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text((Path(__file__).parents[1] / "data" / "sweep_tiny.yaml").read_text()
                    .replace("episodes: 3", "episodes: 300").replace("seeds: [1, 2]", "seeds: [1]")
                    .replace("[0.08, 0.16]", "[0.08]"))
    out = tmp_path / "sweep"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "SEQNEST_CHECKPOINT_EVERY": "4"}
    argv = [sys.executable, "-m", "seqnest", "sweep", str(spec), "--out", str(out),
            "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    t0 = time.perf_counter()
    while not list(out.glob(".*.checkpoint.npz")):
        assert proc.poll() is None and time.perf_counter() - t0 < 120, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)                     # Ctrl-C as a terminal sends it
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    (ckpt,) = out.glob(".*.checkpoint.npz")
    done = load_checkpoint(ckpt).episodes_done
    assert 4 <= done < 300 and done % 4 == 0
    again = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    (point,) = [p for p in out.iterdir() if p.is_dir()]
    m = read_json(point / "metrics.json")
    assert len(m["error"]) == 300 and m["checkpoints"]["continued_at_episodes"] == [done]
    assert not ckpt.exists()                               # the point replaced its checkpoint
