# SPDX-License-Identifier: GPL-2.0-or-later
"""One sequence network across two MPI processes gives what one process with two
threads gives (NEST's promise per number of virtual processes), and only rank 0
writes. Runs where NEST with MPI is built (bash scripts/build_nest_mpi.sh)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.mpi, pytest.mark.nest]

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--task", "set1", "--episodes", "4", "--seed", "7", "--set", "network.n_E=40",
        "--set", "network.rho=6", "--no-progress"]


@pytest.fixture(scope="module")
def mpi_env():
    prefix = subprocess.run(["bash", str(ROOT / "scripts" / "build_nest_mpi.sh"), "--prefix",
                             sys.executable], capture_output=True, text=True).stdout.strip()
    if not prefix or not (Path(prefix) / ".complete").is_file():
        pytest.skip("NEST with MPI is not built (bash scripts/build_nest_mpi.sh)")
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun not found")
    # NEST with MPI is built: the script then only adds what this environment lacks (mpi4py)
    setup = subprocess.run(["bash", str(ROOT / "scripts" / "build_nest_mpi.sh"), sys.executable],
                           capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stderr[-3000:]
    site = next(Path(prefix).rglob("site-packages"))
    env = {**os.environ, "PYTHONPATH": str(site),
           "SEQNEST_NEST_CONFIG": str(Path(prefix) / "bin" / "nest-config"),
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}
    build = subprocess.run([sys.executable, "-m", "seqnest", "build"], env=env,
                           capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-3000:]
    return env


def _mpirun(env, *args, cwd):
    cmd = ["mpirun", "--allow-run-as-root", "-np", "2", sys.executable, "-m", "seqnest", *args]
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def _probe_on_two_ranks(env, folder: Path, probe: str, *args, timeout: int) -> list[str]:
    """Run the script ``probe`` on 2 MPI processes in ``folder``; what each rank wrote
    to its own ``rank<r>.txt`` (printed lines of two ranks may interleave)."""
    script = folder / "probe.py"
    script.write_text(probe)
    proc = subprocess.run(["mpirun", "--allow-run-as-root", "-np", "2", sys.executable,
                           str(script), *args], env=env, cwd=folder, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [(folder / f"rank{r}.txt").read_text() for r in (0, 1)]


def _single(env, *args, cwd):
    proc = subprocess.run([sys.executable, "-m", "seqnest", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _spikes(run: Path, segment: int = 0) -> dict:
    import seqnest
    from seqnest.sequences.rundir import population_arrays_optional, population_train, train_arrays
    seg = seqnest.load_spikes(run).segments[segment]
    out = {}
    for pop in ("E", "I"):
        out[pop] = train_arrays(population_train(seg, pop))
    out["dAP"] = population_arrays_optional(seg, "E_dAP")
    return out


def _same_run(a: Path, b: Path) -> None:
    """Two run directories hold the same arrays and metrics (timings, memory and the
    layout aside)."""
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    for f in a.glob("*.npz"):
        x, y = np.load(f), np.load(b / f.name)
        assert sorted(x.files) == sorted(y.files)
        for key in x.files:
            np.testing.assert_array_equal(x[key], y[key], err_msg=f"{f.name}: {key}")
    m1, m2 = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    for key in ("error", "false_positives", "false_negatives", "active_fraction",
                "mature_synapses_initial", "mature_synapses_final"):
        assert m1[key] == m2[key], key


def test_two_processes_equal_one_process_with_two_threads(mpi_env, tmp_path):
    out = _mpirun(mpi_env, "learn", *ARGS, "--out", "mpi", cwd=tmp_path)
    assert out.count("run directory: mpi") == 1            # rank 0 prints, rank 1 does not
    _mpirun(mpi_env, "replay", "mpi", "--no-progress", cwd=tmp_path)
    _single(mpi_env, "learn", *ARGS, "--threads", "2", "--out", "single", cwd=tmp_path)
    _single(mpi_env, "replay", "single", "--no-progress", cwd=tmp_path)

    mpi, single = tmp_path / "mpi", tmp_path / "single"
    # only the two run directories: rank 1 wrote nothing, no temporary is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mpi", "single"]
    assert json.loads((mpi / "env.json").read_text())["mpi_processes"] == 2
    assert json.loads((single / "env.json").read_text())["mpi_processes"] == 1
    _same_run(mpi, single)             # metrics, connectivity.npz, neuron_state.npz
    for segment in (0, 1):                                  # training, replay
        s1, s2 = _spikes(mpi, segment), _spikes(single, segment)
        for pop in ("E", "I", "dAP"):
            assert (s1[pop] is None) == (s2[pop] is None)
            if s1[pop] is not None:
                for a, b in zip(s1[pop], s2[pop]):
                    np.testing.assert_array_equal(a, b, err_msg=f"{pop} segment {segment}")
        assert len(s1["E"][1]) > 0
    r1, r2 = (json.loads((d / "replay" / "replay.json").read_text()) for d in (mpi, single))
    assert [c["decoded"] for c in r1["cues"]] == [c["decoded"] for c in r2["cues"]]


def test_device_synapse_resume_and_noisy_trials_agree_across_processes(mpi_env, tmp_path):
    tiny = ["--task", "branch2", "--seed", "4", "--set", "network.n_E=40", "--set",
            "network.rho=6", "--synapse", "tristate_stm", "--no-progress"]
    for name, run in (("mpi", _mpirun), ("single", _single)):
        threads = ["--threads", "2"] if name == "single" else []
        run(mpi_env, "learn", *tiny, "--episodes", "3", *threads, "--out", name, cwd=tmp_path)
        # continued training sets every neuron's dAP trace, calcium and gate
        run(mpi_env, "learn", "--resume", name, "--episodes", "2", "--no-progress", *threads,
            "--out", f"{name}-resumed", cwd=tmp_path)
        # per-neuron thresholds are set on every neuron; noisy trials draw from NEST's RNGs
        run(mpi_env, "replay", f"{name}-resumed", "--set", "replay.theta_dAP_mode=per_neuron",
            "--no-progress", cwd=tmp_path)
        run(mpi_env, "replay", f"{name}-resumed", "--trials", "6", "--noise", "shared",
            "--out", str(tmp_path / f"{name}-trials"), "--no-progress", *threads, cwd=tmp_path)
    _same_run(tmp_path / "mpi", tmp_path / "single")
    _same_run(tmp_path / "mpi-resumed", tmp_path / "single-resumed")
    r1, r2 = (json.loads((tmp_path / d / "replay" / "replay.json").read_text())
              for d in ("mpi-resumed", "single-resumed"))
    assert [c["decoded"] for c in r1["cues"]] == [c["decoded"] for c in r2["cues"]]
    b1, b2 = (json.loads((tmp_path / d / "branches.json").read_text())
              for d in ("mpi-trials", "single-trials"))
    assert b1["trials"] == b2["trials"] == 6
    assert [r["count"] for r in b1["branches"]] == [r["count"] for r in b2["branches"]]
    assert b1["trials_detail"] == b2["trials_detail"]


def test_what_does_not_gather_ranks_is_refused_in_one_line(mpi_env, tmp_path):
    cmd = ["mpirun", "--allow-run-as-root", "-np", "2", sys.executable, "-m", "seqnest", "demo"]
    proc = subprocess.run(cmd, env=mpi_env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seqnest:")]
    assert errors == ["seqnest: error: seqnest demo runs in one process, not across 2 MPI "
                      "processes; only the sequence network (seqnest learn, replay, example) "
                      "does: run it without mpirun"]
    # from Python: a kernel on two processes where nothing gathers (NEST knows the count)
    script = tmp_path / "probe.py"
    script.write_text("from seqnest.pynest_ext import ParameterError\n"
                      "from seqnest.pynest_ext.kernel import setup_kernel\n"
                      "try:\n    setup_kernel()\nexcept ParameterError as exc:\n"
                      "    print('refused:', exc)\n")
    proc = subprocess.run(["mpirun", "--allow-run-as-root", "-np", "2", sys.executable,
                           str(script)], env=mpi_env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("refused: this simulation runs in one process, not across 2 MPI") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.py"]


FINAL_READ_PROBE = """
import sys
import numpy as np
from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

wave = SequenceNetwork.final_ee_connectivity
seen = {}

def both(net):
    seen["status"] = net.ee_connectivity(status=True)
    return wave(net)

SequenceNetwork.final_ee_connectivity = both
kind, how = sys.argv[1], sys.argv[2]
if how == "wave":                      # no synapse reader: the spike wave
    SequenceNetwork._read_ee_directly = lambda net: None
config = resolve_config(task="set1", episodes=3, seed=9, synapse=kind,
                        set_options=["network.n_E=24", "network.rho=5"])
final = train(config, progress=False).connectivity_final
status = seen["status"]
same = all(np.array_equal(getattr(final, f), getattr(status, f))
           for f in ("source", "target", "permanence", "weight"))
same = same and all(np.array_equal(final.parameters[k], v) for k, v in status.parameters.items())
from seqnest.pynest_ext.parallel import rank
# one file per rank: the ranks' printed lines may interleave
open(f"rank{rank()}.txt", "w").write(f"synapses {final.source.size} same {same}")
"""


@pytest.mark.parametrize("how", ["reader", "wave"])
@pytest.mark.parametrize("kind", ["stdsp", "reram"])
def test_the_final_read_under_mpi_is_the_status_read(mpi_env, tmp_path, kind, how):
    lines = _probe_on_two_ranks(mpi_env, tmp_path, FINAL_READ_PROBE, kind, how, timeout=600)
    # every rank holds every synapse (gathered) and reads them as the status read does
    assert lines == ["synapses 4176 same True"] * 2


CLOCK_PROBE = """
from seqnest.pynest_ext.parallel import rank
from seqnest.sequences.temporal_memory import learn
from seqnest.sequences.temporal_memory.config import resolve_config

# the ranks' clocks disagree as much as they can about when to read the dAP registers
learn.LIVE_READ_INTERVAL_S = 0.0 if rank() == 1 else 1e9
config = resolve_config(task="set1", episodes=4, seed=2,
                        set_options=["network.n_E=24", "network.rho=5"])
errors = learn.train(config, progress=False).metrics["error"]
open(f"rank{rank()}.txt", "w").write(f"errors {errors}")    # printed lines may interleave
"""


def test_ranks_whose_clocks_disagree_still_read_together(mpi_env, tmp_path):
    # ranks waiting in different calls hang: the timeout ends them
    lines = _probe_on_two_ranks(mpi_env, tmp_path, CLOCK_PROBE, timeout=120)
    assert lines[0].startswith("errors [") and lines[0] == lines[1]


ONE_RANK_MISSES_PROBE = """
import warnings
import numpy as np
from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext.parallel import rank
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

from seqnest.pynest_ext.networks.temporal_memory import SequenceNetwork
SequenceNetwork._read_ee_directly = lambda net: None      # the spike wave, not the reader
if rank() == 1:                       # this rank's first wave reaches nothing it can use
    take, calls = array_backend.take, []
    array_backend.take = lambda: None if not calls.append(1) and len(calls) == 1 else take()
config = resolve_config(task="set1", episodes=2, seed=4,
                        set_options=["network.n_E=24", "network.rho=5"])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    final = train(config, progress=False).connectivity_final
fell_back = any("missed connections" in str(w.message) for w in caught)
open(f"rank{rank()}.txt", "w").write(f"synapses {final.source.size} fell back {fell_back}")
"""


def test_a_wave_missed_on_one_rank_makes_every_rank_read_the_status(mpi_env, tmp_path):
    # ranks waiting in different calls hang: the timeout ends them
    lines = _probe_on_two_ranks(mpi_env, tmp_path, ONE_RANK_MISSES_PROBE, timeout=120)
    assert lines == ["synapses 4176 fell back True"] * 2


ONE_RANK_CANNOT_READ_PROBE = """
import numpy as np
from seqnest.pynest_ext import array_backend
from seqnest.pynest_ext.parallel import rank
from seqnest.sequences.temporal_memory.config import resolve_config
from seqnest.sequences.temporal_memory.learn import train

if rank() == 1:                       # this rank's module reader cannot read the synapses
    array_backend.read_synapses = lambda syn_id, names: None
config = resolve_config(task="set1", episodes=2, seed=4,
                        set_options=["network.n_E=24", "network.rho=5"])
final = train(config, progress=False).connectivity_final
open(f"rank{rank()}.txt", "w").write(f"synapses {final.source.size} {final.permanence.sum():.6f}")
"""


def test_a_reader_that_fails_on_one_rank_makes_every_rank_read_another_way(mpi_env, tmp_path):
    # ranks waiting in different calls hang: the timeout ends them
    lines = _probe_on_two_ranks(mpi_env, tmp_path, ONE_RANK_CANNOT_READ_PROBE, timeout=120)
    assert lines[0] == lines[1] and lines[0].startswith("synapses 4176 ")


def test_sigterm_under_mpi_writes_one_checkpoint_that_either_layout_continues(mpi_env,
                                                                             tmp_path):
    """mpirun passes SIGTERM to every rank: they finish the same episode, rank 0
    writes the checkpoint; two processes or one continue it."""
    import signal
    import time
    run = tmp_path / "run"
    ckpt = tmp_path / ".run.checkpoint.npz"
    args = ["--task", "set1", "--episodes", "300", "--seed", "7", "--set", "network.n_E=40",
            "--set", "network.rho=6", "--no-progress", "--checkpoint-every", "3"]
    proc = subprocess.Popen(["mpirun", "--allow-run-as-root", "-np", "2", sys.executable, "-m",
                             "seqnest", "learn", *args, "--out", str(run)], env=mpi_env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    t0 = time.perf_counter()
    while not ckpt.is_file():
        assert proc.poll() is None and time.perf_counter() - t0 < 300, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "SIGTERM: stopped after episode" in err, err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == [ckpt.name]
    from seqnest.sequences.temporal_memory.checkpoint import load_checkpoint
    done = load_checkpoint(ckpt).episodes_done
    saved = ckpt.read_bytes()
    for layout, out_dir in (("mpi", tmp_path / "two"), ("one", tmp_path / "one")):
        ckpt.write_bytes(saved)
        resume = ["learn", "--resume", str(run), "--episodes", str(done + 2), "--out",
                  str(out_dir), "--no-progress"]
        if layout == "mpi":
            _mpirun(mpi_env, *resume, cwd=tmp_path)
        else:
            _single(mpi_env, *resume, "--threads", "2", cwd=tmp_path)
        m = json.loads((out_dir / "metrics.json").read_text())
        assert len(m["error"]) == done + 2 and m["checkpoints"]["continued_at_episodes"] == [done]
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("two", "one"))
    assert a["error"] == b["error"]                # 2 virtual processes either way
