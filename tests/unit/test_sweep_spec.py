# SPDX-License-Identifier: GPL-2.0-or-later
"""Sweep specs: expansion, validation, SLURM job script (no NEST, nothing submitted)."""
from pathlib import Path

import pytest

from seqnest.params import ParameterError
from seqnest.sequences.sweep import expand, load_spec, slurm_job_script

#: the tests' tiny sweep, with a second grid parameter, explicit points and cluster options
GOOD = (Path(__file__).parent.parent / "data" / "sweep_tiny.yaml").read_text().replace(
    "    synapse.lambda_plus: [0.08, 0.16]\n",
    "    synapse.lambda_plus: [0.08, 0.16]\n    synapse.lambda_minus: [0.0015, 0.003]\n"
    "  points:\n    - {}\n    - {network.p_EE: 0.3}\n") + """cluster:
  threads: 2
  slurm: {queue: short, walltime: "00:10:00", memory: 2GB, cores: 4,
          job_extra_directives: ["--account=abc123"]}
"""


def write(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_points_are_the_product_of_grid_points_and_seeds(tmp_path):
    points = expand(load_spec(write(tmp_path, GOOD)))
    assert len(points) == 2 * 2 * 2 * 2
    assert len({p.key for p in points}) == 16
    p = points[-1]
    assert p.config.synapse.lambda_plus == 0.16 and p.config.network.p_EE == 0.3
    assert p.config.run.seed == 2 and p.config.run.threads == 2 and p.config.run.episodes == 3
    assert p.config.network.n_E == 20


def test_a_varied_key_wins_over_the_spec_top_level_values(tmp_path):
    """episodes / synapse / threads at the top of a spec are defaults: a point that
    varies run.episodes runs what its label says."""
    text = GOOD.replace("    synapse.lambda_minus: [0.0015, 0.003]\n",
                        "    run.episodes: [1, 5]\n")
    points = expand(load_spec(write(tmp_path, text)))
    assert len(points) == 2 * 2 * 2 * 2
    for p in points:
        assert p.config.run.episodes == p.varied["run.episodes"]
    threads = GOOD.replace("    synapse.lambda_minus: [0.0015, 0.003]\n",
                           "    run.threads: [1, 3]\n")
    assert {p.config.run.threads for p in expand(load_spec(write(tmp_path, threads)))} == {1, 3}


def test_the_config_threads_are_the_points_threads(tmp_path):
    """config.run.threads is not overridden by cluster.threads' default."""
    text = (Path(__file__).parent.parent / "data" / "sweep_tiny.yaml").read_text().replace(
        "network: {n_E: 20, rho: 4}", "network: {n_E: 20, rho: 4}\n  run: {threads: 2}")
    spec = load_spec(write(tmp_path, text))
    assert spec.threads == 2 and {p.config.run.threads for p in expand(spec)} == {2}


def test_example_specs_in_the_repository_expand():
    root = Path(__file__).parent.parent.parent / "specs"
    specs = {f.name: load_spec(f) for f in root.glob("*.yaml")
             if not f.name.startswith("tune_")}          # searches: test_tune_spec.py
    sizes = {name: len(expand(spec)) for name, spec in specs.items()}
    assert sizes == {"set1_learning_rates.yaml": 27, "reram_robustness.yaml": 57,
                     "noise_replay_2branch.yaml": 9, "noise_replay_3branch.yaml": 1,
                     "pattern_robustness.yaml": 440, "noise_replay_race.yaml": 45,
                     "context_split_s3.yaml": 20, "context_split_s4.yaml": 20,
                     "context_split_temporal.yaml": 20}
    stp = expand(specs["pattern_robustness.yaml"])
    assert {p.config.coding for p in stp} == {"spatial"}
    assert {p.config.run.seed for p in stp} == set(range(1, 21))
    assert {p.config.neuron.theta_dAP for p in stp} == {5, 10, 20, 24.5, 40, 60, 120}
    race = expand(specs["noise_replay_race.yaml"])
    assert {p.config.run.seed for p in race} == {2, 3, 4, 5, 6}
    assert [c.noise for c in specs["noise_replay_race.yaml"].replay["conditions"]] == [
        {"kind": "none"}]
    for name in ("noise_replay_2branch.yaml", "noise_replay_3branch.yaml"):
        conditions = specs[name].replay["conditions"]
        assert len(conditions) == 16 and specs[name].replay["trials"] == 150
        assert {c.noise.get("kind") for c in conditions} == {"none", "uncorrelated", "shared",
                                                             "oscillation"}


@pytest.mark.parametrize("text, fragment", [
    (GOOD.replace("task: set1", "tusk: set1"), "unknown key 'tusk' in the spec"),
    (GOOD.replace("synapse.lambda_plus", "synapse.lambda_pluss"), "unknown parameter 'lambda_pluss'"),
    (GOOD.replace("synapse.lambda_plus:", "nonsense.lambda_plus:"), "unknown parameter group"),
    (GOOD.replace("[0.08, 0.16]", "0.08"), "must be a non-empty list"),
    (GOOD.replace("seeds: [1, 2]", "seeds: [one]"), "'vary.seeds'"),
    (GOOD.replace("[0.0015, 0.003]", "[-1]"), "lambda_minus: must be >= 0"),
    (GOOD.replace("queue: short", "queueue: short"), "unknown key 'queueue' in 'cluster.slurm'"),
    (GOOD.replace("threads: 2", "threads: 0"), "'cluster.threads'"),
    (GOOD.replace("network: {n_E: 20, rho: 4}", "network: {n_E: 20, rho: 4}\n  run: {threads: 3}"),
     "and 'config.run.threads' .3. differ"),
    ("- just\n- a list\n", "expected a mapping"),
    (GOOD.replace("memory: 2GB", "memory: lots"), "'cluster.slurm.memory' must be a size"),
    (GOOD.replace('walltime: "00:10:00"', "walltime: soon"), "'cluster.slurm.walltime'"),
    (GOOD.replace("cores: 4", "cores: 1"), "exceeds the cores booked per job"),
    (GOOD.replace("cores: 4", "cores: 4, processes: 3"), "3 processes x 2 threads exceed"),
    (GOOD.replace("cores: 4", "cores: two"), "'cluster.slurm.cores' must be a whole number"),
    (GOOD.replace("cores: 4", "cores: 4, interface: 3"), "'cluster.slurm.interface' must be a non-empty text"),
    (GOOD.replace("cores: 4", "cores: 4, worker_extra_args: --lifetime"),
     "'cluster.slurm.worker_extra_args' must be a list of texts"),
    (GOOD.replace("cores: 4", "cores: 4, scheduler_options: {prot: 8786}"),
     "unknown key 'prot' in 'cluster.slurm.scheduler_options'"),
    (GOOD.replace("cores: 4", "cores: 4, scheduler_options: 8786"),
     "'cluster.slurm.scheduler_options' must be a mapping"),
])
def test_bad_specs_are_rejected_before_anything_runs(tmp_path, text, fragment):
    with pytest.raises(ParameterError, match=fragment.replace("[", r"\[").replace("'", "'")):
        expand(load_spec(write(tmp_path, text)))


def test_slurm_job_script_is_generated_without_submitting(tmp_path):
    script = slurm_job_script(load_spec(write(tmp_path, GOOD)), workers=2)
    assert script.startswith("#!/usr/bin/env bash")
    for line in ("#SBATCH -p short", "#SBATCH -t 00:10:00", "#SBATCH --account=abc123",
                 "#SBATCH --cpus-per-task=4"):
        assert line in script
    assert "--nworkers 2" in script and "--nthreads 1" in script   # cores 4 / threads 2


def test_making_the_job_script_keeps_the_ctrl_c_handler(tmp_path):
    import signal
    before = signal.getsignal(signal.SIGINT)
    slurm_job_script(load_spec(write(tmp_path, GOOD)), workers=2)
    assert signal.getsignal(signal.SIGINT) is before


def test_cluster_network_settings_reach_the_job_script(tmp_path):
    text = GOOD.replace("cores: 4", "cores: 4, interface: lo, worker_extra_args: [--lifetime, 50m], "
                        "scheduler_options: {port: 0}, job_script_prologue: [module load nest]")
    script = slurm_job_script(load_spec(write(tmp_path, text)), workers=1)
    assert "--lifetime 50m" in script and "module load nest" in script
    assert "--interface lo" in script


def test_missing_spec_and_bad_output_are_one_line_exit_2(tmp_path, capsys):
    from seqnest.cli import main
    assert main(["sweep", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sweep spec not found" in err[0]
    spec = write(tmp_path, GOOD)
    assert main(["sweep", str(spec)]) == 2
    assert "needs --out DIR" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    from seqnest.sequences.sweep import load_spec, run_sweep
    with pytest.raises(ParameterError, match="not a directory"):
        run_sweep(load_spec(spec), tmp_path / "file")


def test_training_frequencies_in_specs(tmp_path):
    base = "sequences: \"A F B D; A F C E\"\nepisodes: 2\nconfig:\n  network: {n_E: 20, rho: 4}\n"
    fixed = expand(load_spec(write(tmp_path, base + "frequencies: [0.7, 0.3]\n")))
    assert fixed[0].config.sequence_set.frequencies == pytest.approx((0.7, 0.3))
    varied = expand(load_spec(write(tmp_path, base + "frequencies: [0.7, 0.3]\nvary:\n  grid:\n"
                                    "    task.frequencies: [[0.1, 0.9], [0.5, 0.5]]\n")))
    assert [p.config.sequence_set.frequencies for p in varied] == [
        pytest.approx((0.1, 0.9)), pytest.approx((0.5, 0.5))]
    with pytest.raises(ParameterError, match="3 frequencies for 2 sequences"):
        expand(load_spec(write(tmp_path, base + "frequencies: [0.2, 0.3, 0.5]\n")))


@pytest.mark.parametrize("section, fragment", [
    ("replay: {trials: 0}", "'replay.trials' must be a whole number >= 1"),
    ("replay: {conditions: [{noise.kind: pink}]}", "kind"),
    ("replay: {conditions: [{noise.c: 2}]}", "c: must be <= 1"),
    ("replay: {conditions: [{network.n_E: 2}]}", "use noise.KEY or replay.KEY"),
    ("replay: {conditions: [{replay.ei_scale: -1}]}", "ei_scale"),
    ("replay: {cue: Q}", "cue 'Q' begins no sequence"),
    ("replay: {shots: 3}", "unknown key 'shots'"),
    ("replay: {conditions: [{noise.kind: none}, {noise.kind: none}]}", "listed twice"),
])
def test_bad_replay_sections_are_rejected(tmp_path, section, fragment):
    text = "task: branch2\nepisodes: 2\n" + section + "\n"
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        expand(load_spec(write(tmp_path, text)))


def test_replay_conditions_are_crossed_over_their_lists(tmp_path):
    spec = load_spec(write(tmp_path, "task: branch2\nreplay:\n  conditions:\n"
                                     "    - {noise.kind: none}\n"
                                     "    - {noise.kind: oscillation, noise.amplitude: [4, 8],"
                                     " noise.frequency: [10, 30, 70]}\n"))
    names = [c.name for c in spec.replay["conditions"]]
    assert len(names) == 7 and names[0] == "none"
    assert "oscillation-amplitude4-frequency70" in names
    assert spec.replay["trials"] == 150


def test_an_interface_missing_here_is_one_line_before_anything_starts(tmp_path, capsys):
    from seqnest.cli import main
    text = GOOD.replace("cores: 4", "cores: 4, interface: nosuch0")
    spec = write(tmp_path, text)
    with pytest.raises(ParameterError, match=r"'cluster.slurm.interface': no network interface "
                                             r"'nosuch0' on this machine.*lo"):
        slurm_job_script(load_spec(spec), workers=1)
    assert main(["sweep", str(spec), "--cluster", "slurm", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no network interface 'nosuch0'" in err[0]
    assert not (tmp_path / "o").exists()
    # the workers' interface need not exist here when the scheduler's is given
    text = GOOD.replace("cores: 4", "cores: 4, interface: nosuch0, "
                        "scheduler_options: {interface: lo}")
    assert "--interface nosuch0" in slurm_job_script(load_spec(write(tmp_path, text)), workers=1)
    text = GOOD.replace("cores: 4", "cores: 4, scheduler_options: {interface: nosuch1}")
    with pytest.raises(ParameterError, match=r"'cluster.slurm.scheduler_options.interface'"):
        slurm_job_script(load_spec(write(tmp_path, text)), workers=1)


def test_a_slurm_sweep_without_sbatch_is_refused_before_anything_is_written(tmp_path, capsys,
                                                                            monkeypatch):
    from seqnest.cli import main
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    spec = write(tmp_path, GOOD)
    assert main(["sweep", str(spec), "--cluster", "slurm", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sbatch not found" in err[0], err
    assert not (tmp_path / "o").exists()


def test_the_config_may_be_a_file_beside_the_spec(tmp_path, capsys):
    """config: FILE (e.g. a search's best_config.json), relative to the spec's folder;
    the spec's top-level episodes still win over the file's."""
    base = (Path(__file__).parent.parent / "data" / "sweep_tiny.yaml").read_text()
    (tmp_path / "tuned").mkdir()
    (tmp_path / "tuned" / "best.json").write_text(
        '{"network": {"n_E": 30, "rho": 5}, "run": {"episodes": 9}}')
    text = base.replace("config:\n  network: {n_E: 20, rho: 4}", "config: tuned/best.json")
    assert text != base
    points = expand(load_spec(write(tmp_path, text)))
    assert {(p.config.network.n_E, p.config.network.rho) for p in points} == {(30, 5)}
    assert {p.config.run.episodes for p in points} == {3}          # the spec's episodes
    with pytest.raises(ParameterError, match=r"'config': config file not found: .*nope.json"):
        load_spec(write(tmp_path, text.replace("tuned/best.json", "nope.json")))
