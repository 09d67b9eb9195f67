# SPDX-License-Identifier: GPL-2.0-or-later
"""The public Python API, the command line's --dry-run/--version and the project metadata."""
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import seqnest
from seqnest.cli import main

ROOT = Path(__file__).resolve().parents[2]
STORED = Path(__file__).parents[1] / "data" / "run_small"


def test_import_is_light():
    code = ("import sys, seqnest; bad = [m for m in ('nest', 'pynestml', 'dask', 'matplotlib') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_is_declared_once_and_agrees_everywhere(capsys):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert seqnest.__version__ == declared
    assert str(yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"]) == declared
    assert f"## {declared} " in (ROOT / "CHANGELOG.md").read_text()
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"seqnest {declared}"


def test_params_layer_between_file_and_set_options(tmp_path):
    cfg = seqnest.resolve_config(task="set1", params={"synapse": {"lambda_plus": 0.1},
                                                      "network": {"n_E": 40}})
    assert cfg.synapse.lambda_plus == 0.1 and cfg.network.n_E == 40
    cfg = seqnest.resolve_config(params={"synapse": {"lambda_plus": 0.1}},
                                 set_options=["synapse.lambda_plus=0.2"])
    assert cfg.synapse.lambda_plus == 0.2
    with pytest.raises(seqnest.ParameterError, match="unknown parameter group 'synapses'"):
        seqnest.resolve_config(params={"synapses": {"lambda_plus": 0.1}})
    with pytest.raises(seqnest.ParameterError, match="params: expected a mapping"):
        seqnest.resolve_config(params={"synapse": 0.1})


def test_describe_parameters_lists_every_group_with_units_and_sources():
    cfg = seqnest.resolve_config(task="set2", synapse="reram")
    text = seqnest.describe_parameters(cfg)
    for group in cfg.groups:
        assert f"[{group}]" in text
    assert "theta_dAP        59 pA" in text
    assert "Bouhadjar et al. 2022" in text


def test_dry_run_prints_parameters_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["learn", "--dry-run", "--synapse", "reram", "--set", "synapse.levels=8"]) == 0
    out = capsys.readouterr().out
    assert "levels" in out and "[synapse]" in out and "[replay]" in out
    assert list(tmp_path.iterdir()) == []
    assert main(["learn", "--task", "set1"]) == 2          # no --out, no --dry-run
    assert "learn needs --out DIR" in capsys.readouterr().err


def test_a_runs_params_json_is_accepted_back_as_config():
    stored = seqnest.load_config(STORED)
    again = seqnest.resolve_config(config_file=STORED / "params.json")
    assert again.hash() == stored.hash()
    assert again.sequence_set.sequences == stored.sequence_set.sequences
    changed = seqnest.resolve_config(config_file=STORED / "params.json", task="set2")
    assert changed.task == "set2"
    assert changed.network.n_E == stored.network.n_E


def test_source_revision_names_this_checkout_or_nothing():
    from seqnest.sequences.rundir import source_revision
    rev = source_revision()
    assert set(rev) == {"commit", "dirty"}
    if (ROOT / ".git").exists():
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        assert rev["commit"] == head


def test_launcher_rank_comes_from_the_mpi_launchers_environment(monkeypatch):
    from seqnest.pynest_ext.parallel import RANK_VARIABLES, launcher_rank
    for var in RANK_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    assert launcher_rank() == 0
    monkeypatch.setenv("PMI_RANK", "3")
    assert launcher_rank() == 3
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert launcher_rank() == 1


def test_ranks_above_zero_print_nothing(monkeypatch, capsys):
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert main(["learn", "--dry-run"]) == 0
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert main(["learn", "--dry-run"]) == 0
    assert "[neuron]" in capsys.readouterr().out


def test_launcher_size_comes_from_the_mpi_launchers_environment(monkeypatch):
    from seqnest.pynest_ext.parallel import SIZE_VARIABLES, launcher_size
    for var in SIZE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    assert launcher_size() == 1
    monkeypatch.setenv("PMI_SIZE", "4")
    assert launcher_size() == 4
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    assert launcher_size() == 2


@pytest.mark.parametrize("argv, what", [
    (["report", "runs/x"], "seqnest report"),
    (["sweep", "spec.yaml", "--out", "o"], "seqnest sweep"),
    (["demo"], "seqnest demo"),
    (["cd-eval", "runs/x"], "seqnest cd-eval"),
    (["learn", "--inputs", "stp-spatial", "--out", "o"], "seqnest learn --inputs stp-spatial"),
])
def test_commands_that_do_not_gather_ranks_are_refused_under_mpirun(monkeypatch, capsys, tmp_path,
                                                                    argv, what):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith(f"seqnest: error: {what} runs in one process")
    assert "2 MPI processes" in err
    assert list(tmp_path.iterdir()) == []          # nothing written
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert main(argv) == 2
    assert capsys.readouterr().err == ""           # one line for the whole job, from rank 0


def test_the_sequence_network_is_not_refused_under_mpirun(monkeypatch, capsys):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert main(["learn", "--dry-run"]) == 0
    assert "[neuron]" in capsys.readouterr().out


def test_a_kernel_on_several_processes_is_refused_where_nothing_gathers():
    from seqnest.pynest_ext import ParameterError
    from seqnest.pynest_ext.parallel import require_one_process
    require_one_process("a probe", processes=1)
    with pytest.raises(ParameterError, match=r"^a probe runs in one process, not across 3 MPI"):
        require_one_process("a probe", processes=3)


def test_api_sweep_checks_slurm_and_the_output_before_it_builds(tmp_path, monkeypatch):
    """seqnest.sweep() and `seqnest sweep` share one order: validate, ask SLURM,
    check the output, then build once."""
    import shutil

    import seqnest
    from seqnest.errors import ParameterError
    built = []
    monkeypatch.setattr(seqnest, "build", lambda *a, **k: built.append(1))
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)   # no sbatch here
    spec = Path(__file__).parent.parent / "data" / "sweep_tiny.yaml"
    with pytest.raises(ParameterError, match="sbatch not found"):
        seqnest.sweep(spec, tmp_path / "s", cluster="slurm")
    assert not built and not (tmp_path / "s").exists()
