# SPDX-License-Identifier: GPL-2.0-or-later
"""Command-line argument handling (no NEST needed)."""
from pathlib import Path

import pytest

from seqnest.cli import main


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


@pytest.mark.parametrize("argv, fragment", [
    (["learn", "--out", "{tmp}/r", "--sequences", "A D ; ; F"], "sequence 2 of"),
    (["learn", "--out", "{tmp}/r", "--task", "set7"], "unknown task 'set7'"),
    (["learn", "--out", "{tmp}/r", "--set", "neuron.tau_mem=3"], "unknown parameter 'tau_mem'"),
    (["learn", "--out", "{tmp}/r", "--set", "synapse.lambda_plus=-1"], "lambda_plus: must be >= 0"),
    (["learn", "--out", "{tmp}/exists"], "output directory exists"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set", "synapse.levels=-2"],
     "levels: must be >= 2"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set", "synapse.on_off_ratio=0.5"],
     "on_off_ratio: must be >= 1"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set",
      "synapse.stuck_high_fraction=1.5"], "stuck_high_fraction: must be <= 1"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set",
      "synapse.stuck_high_fraction=0.6", "--set", "synapse.stuck_low_fraction=0.6"], "exceeds 1"),
    (["learn", "--out", "{tmp}/r", "--synapse", "tristate", "--set", "synapse.n_states=1"],
     "n_states: must be >= 2"),
    (["learn", "--out", "{tmp}/r", "--synapse", "tristate", "--set",
      "synapse.theta_up_low=20"], "must be below theta_up_high"),
    (["learn", "--out", "{tmp}/r", "--set", "synapse.levels=8"], "parameter of the reram synapse"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set", "synapse.fault_map=exclude"],
     "reram_synapse.fault_map: exclude needs stuck devices"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set", "synapse.update=accumulate"],
     "reram_synapse.update: accumulate needs a quantised device"),
    (["learn", "--out", "{tmp}/r", "--synapse", "reram", "--set", "synapse.levels=1"],
     "levels: must be >= 2"),
    (["learn", "--out", "{tmp}/r", "--synapse", "tristate_stm", "--set", "synapse.beta=0"],
     "tristate_stm_synapse.beta: 0 while alpha is"),
    (["learn", "--out", "{tmp}/r", "--synapse", "tristate", "--set", "synapse.alpha=0"],
     "tristate_synapse.alpha: 0 while beta is 3.5 /s"),
    (["learn", "--out", "{tmp}/r", "--sequences", "A F B D; A F C E", "--frequencies", "0.7"],
     "1 frequencies for 2 sequences"),
    (["learn", "--out", "{tmp}/r", "--task", "branch2", "--frequencies", "0.7,-0.3"],
     "frequency 2 (-0.3) must be a positive number"),
    (["learn", "--out", "{tmp}/r", "--task", "branch2", "--frequencies", "0.7,x"],
     "'x' is not a number"),
    (["learn", "--out", "{tmp}/r", "--task", "branch2", "--set", "task.frequencies=1,2,3"],
     "3 frequencies for 2 sequences"),
    (["replay", "{tmp}/missing"], "run directory not found"),
    (["replay", "{tmp}/exists"], "is not a directory seqnest wrote"),
])
def test_bad_learning_input_is_one_line_exit_2(tmp_path, capsys, argv, fragment):
    (tmp_path / "exists").mkdir()
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and fragment in err[0], err
    assert not (tmp_path / "r").exists()


def test_negative_episode_count_is_rejected(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["learn", "--out", "x", "--episodes", "-2"])
    assert exc.value.code == 2 and "--episodes: must be >= 1" in capsys.readouterr().err


def test_unknown_synapse_kind_is_rejected(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["learn", "--out", "x", "--synapse", "memristor"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_learn_refuses_outputs_that_would_lose_or_destroy_data(tmp_path, capsys, monkeypatch):
    """Checked before anything is built or simulated; nothing the user had is touched."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "mydata.csv").write_text("1,2\n")
    (tmp_path / "notes.txt").write_text("keep")
    monkeypatch.chdir(tmp_path)
    cases = [
        (["--out", "data", "--force"], "is not a run directory seqnest wrote"),
        (["--out", "notes.txt", "--force"], "exists and is not a directory"),
        (["--out", ".", "--force"], "contains the working directory"),
        (["--out", "/proc/seqnest-test/run"], "cannot write output directory"),
        (["--out", "notes.txt/run"], "cannot write output directory"),
    ]
    for extra, fragment in cases:
        assert main(["learn", "--episodes", "1", *extra]) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0], (extra, err)
    assert (data / "mydata.csv").read_text() == "1,2\n"
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt"]


def test_sweep_into_an_unwritable_place_is_one_line(tmp_path, capsys):
    spec = Path(__file__).parents[1] / "data" / "sweep_tiny.yaml"
    assert main(["sweep", str(spec), "--out", "/proc/seqnest-test/sweep", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write the sweep directory" in err[0]


@pytest.mark.parametrize("options, fragment", [
    (["--set", "network.n_E=1e12"], "network.n_E=1000000000000"),
    (["--set", "network.n_E=100000"], "more than the"),
    (["--threads", "1000"], "run.threads=1000 is far more than the"),
])
def test_impossible_resources_are_refused_before_nest(tmp_path, capsys, options, fragment):
    assert main(["learn", "--episodes", "1", "--out", str(tmp_path / "r"), *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not (tmp_path / "r").exists()


def test_resource_estimate_and_thread_warning(monkeypatch):
    from seqnest.pynest_ext import resources
    est = resources.estimate_network(14, 150, 0.2, "stdsp")
    assert est.synapses == 882_000
    assert 300 * 2**20 < est.bytes < 700 * 2**20          # set II measured 570-660 MB peak
    monkeypatch.setattr(resources, "available_cores", lambda: 2)
    with pytest.warns(RuntimeWarning, match="exceeds the 2 cores"):
        resources.check_resources(6, 20, 0.2, "stdsp", threads=3)
    with pytest.raises(resources.ParameterError, match="far more than the 2 cores"):
        resources.check_resources(6, 20, 0.2, "stdsp", threads=2, processes=5)


STORED = Path(__file__).parent.parent / "data" / "run_small"


@pytest.mark.parametrize("argv, fragment", [
    (["--noise", "shared"], "noise needs trials"),
    (["--trials", "5", "--set", "noise.c=1.5"], "c: must be <= 1"),
    (["--trials", "5", "--set", "noise.sigma=-1"], "sigma: must be >= 0"),
    (["--trials", "5", "--set", "noise.tau_n=0.25"], "multiple of the resolution"),
    (["--trials", "5", "--set", "noise.sigma=1e9"], "sigma: must be <= 1000"),
    (["--trials", "5", "--noise", "oscillation", "--set", "noise.frequency=0.001"],
     "frequency: must be >= 1"),
    (["--trials", "5", "--noise", "oscillation", "--set", "noise.frequency=6000"],
     "exceeds what the resolution"),
    (["--trials", "5", "--noise", "oscillation", "--set", "noise.amplitude=5000"],
     "amplitude: must be <= 1000"),
    (["--trials", "5", "--set", "network.n_E=3"], "noise.* and replay.* only"),
    (["--trials", "5", "--set", "noise.colour=pink"], "unknown parameter 'colour'"),
    (["--trials", "5", "--cue", "Q"], "cue 'Q' begins no sequence"),
    (["--trials", "5"], "begins only one sequence"),      # set I: no shared beginning
    (["--cue", "A"], "--cue belongs to replay trials"),
    (["--out", "{tmp}/run"], "exists and is not"),       # the run itself is no replay
])
def test_bad_replay_input_is_one_line_exit_2(tmp_path, capsys, argv, fragment):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(STORED, run)
    before = sorted(p.name for p in run.rglob("*"))
    code = main(["replay", str(run), *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and fragment in err[0], err
    assert sorted(p.name for p in run.rglob("*")) == before
    assert not (tmp_path / "elsewhere").exists()


def test_unknown_noise_kind_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["replay", str(STORED), "--trials", "3", "--noise", "pink"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["replay", "{run}", "--trials", "3", "--cue", "Q"],
    ["replay", "{run}", "--trials", "3", "--set", "noise.tau_n=0.25"],
    ["replay", "{run}", "--trials", "3", "--out", "/proc/seqnest-out"],
    ["replay", "{run}", "--trials", "3", "--threads", "1000"],
    ["learn", "--out", "/proc/seqnest-out"],
])
def test_bad_input_is_refused_before_the_module_is_built(tmp_path, capsys, monkeypatch, argv):
    import shutil

    import seqnest.cli as cli
    shutil.copytree(STORED, tmp_path / "run")
    asked = []
    monkeypatch.setattr(cli.common, "module", lambda *a, **k: asked.append(1))
    code = main([a.replace("{run}", str(tmp_path / "run")) for a in argv])
    assert code == 2 and not asked
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_an_error_raised_because_of_ctrl_c_ends_as_interrupted(capsys):
    """A library that turns the KeyboardInterrupt into another exception (HDF5,
    plotting) still ends the command as interrupted (130), not as a traceback;
    the next command in the same process is not affected."""
    import argparse
    import os
    import signal

    from seqnest.cli import _run

    def swallowed(args):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10**6):      # the signal is handled between bytecodes
                pass
        except KeyboardInterrupt:
            raise RuntimeError("HDF5: operation failed") from None
        return 0

    assert _run(argparse.Namespace(func=swallowed)) == 130
    assert "interrupted" in capsys.readouterr().err

    def fails(args):
        raise RuntimeError("a real bug")

    with pytest.raises(RuntimeError, match="a real bug"):
        _run(argparse.Namespace(func=fails))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_under_mpi_each_rank_holds_its_share_and_the_ranks_here_add_up(monkeypatch):
    from seqnest.pynest_ext import resources
    one = resources.estimate_network(26, 250, 0.2, "stdsp")
    two = resources.estimate_network(26, 250, 0.2, "stdsp", ranks=2)
    assert one.synapses == two.synapses == 8_450_000
    # bench/mpi_scaling.py measured 3538 MB for one process, 2332 MB per rank for two
    assert 3300 < one.bytes / 2**20 < 4200 and 2300 < two.bytes / 2**20 < 2800
    assert resources.estimate_network(26, 250, 0.2, "stdsp", ranks=64).bytes < two.bytes
    monkeypatch.setattr(resources, "available_memory_bytes", lambda: 3 * 2**30)
    monkeypatch.setattr(resources, "available_cores", lambda: 64)
    with pytest.raises(resources.ParameterError, match="the network needs about 3.6 GB"):
        resources.check_resources(26, 250, 0.2, "stdsp", threads=1)
    resources.check_resources(26, 250, 0.2, "stdsp", threads=1, ranks=2)          # 2 nodes
    with pytest.raises(resources.ParameterError, match="its 2 of 2 MPI processes on this machine"):
        resources.check_resources(26, 250, 0.2, "stdsp", threads=1, ranks=2, ranks_here=2)


def test_learn_under_mpirun_checks_the_ranks_on_this_machine(monkeypatch, tmp_path, capsys):
    from seqnest.pynest_ext import resources
    monkeypatch.setattr(resources, "available_memory_bytes", lambda: 2**30)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "2")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert main(["learn", "--task", "set2", "--set", "network.n_E=400", "--out",
                 str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "its 2 of 2 MPI processes on this machine" in err[0], err
    assert not (tmp_path / "r").exists()


def test_dry_run_prints_every_family_s_parameters_and_their_true_sources(capsys):
    """--dry-run describes the pattern-sequence network too, names random among the
    tasks, and says where a derived value comes from for the task at hand."""
    assert main(["learn", "--dry-run", "--inputs", "spatial"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("inputs spatial, task s3: A B D; C B E")
    assert "[input_synapse]" in out and "[ee_synapse]" in out
    assert main(["learn", "--task", "nope", "--dry-run"]) == 2
    assert "branch5, random)" in capsys.readouterr().err
    assert main(["learn", "--task", "branch2", "--dry-run"]) == 0
    tau_h = next(line for line in capsys.readouterr().out.splitlines()
                 if line.strip().startswith("tau_h"))
    assert "220 ms" in tau_h and "[derived for task branch2" in tau_h


def _param_line(out: str, group: str, key: str) -> str:
    """The line of ``key`` within ``[group]`` of a --dry-run listing."""
    lines = out.split(f"[{group}]", 1)[1].splitlines()
    return next(line for line in lines if line.strip().startswith(key + " "))


def test_pattern_dry_run_names_the_source_of_each_family_default(capsys):
    """The pattern family's defaults (the 2024 neuron, the coding's values, the set's
    input weights, the search's values and tau_h) show their own source, not the 2022
    parameter's; a value the user changed does not keep it."""
    assert main(["learn", "--dry-run", "--inputs", "temporal", "--task", "s4",
                 "--set", "neuron.tau_dAP=90"]) == 0
    out = capsys.readouterr().out
    assert "Feiler" in _param_line(out, "neuron", "V_th")
    assert "120 pA" in _param_line(out, "neuron", "I_p")
    tau_h = _param_line(out, "neuron", "tau_h")
    assert "411 ms" in tau_h and "[0.411 iterations of the set, search of" in tau_h
    assert "(docs/studies/patterns_s3_spatial_wide, trial 31;" in _param_line(out, "network",
                                                                              "p_EI")
    assert "Feiler" in _param_line(out, "network", "in_delays")
    assert "25 Hz" in _param_line(out, "inputs", "rate")
    assert "within Feiler" in _param_line(out, "inputs", "rate")
    assert "90 ms" in _param_line(out, "neuron", "tau_dAP")
    assert _param_line(out, "neuron", "tau_dAP").endswith("[given (config file or --set)]")
    assert "--set" not in out.replace(_param_line(out, "neuron", "tau_dAP"), "")
    assert main(["learn", "--dry-run", "--inputs", "spatial", "--task", "s4"]) == 0
    out = capsys.readouterr().out
    weights = _param_line(out, "input_synapse", "w_init_mean")
    assert "360 pA" in weights and "Feiler" in weights
    assert "the paper: not published" in _param_line(out, "inputs", "rate")
    assert "the paper: 0.05]" in _param_line(out, "network", "p_EI")
