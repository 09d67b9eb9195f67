# SPDX-License-Identifier: GPL-2.0-or-later
"""The wheel carries everything: built from this checkout, installed into a new
virtual environment, used from a directory outside the repository."""
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.nest

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import shutil
    out = tmp_path_factory.mktemp("dist")
    # from a copy of the sources as a fresh clone has them: a build/ folder left by an
    # earlier build would carry modules that no longer exist into the wheel
    src = tmp_path_factory.mktemp("src") / "seqnest"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "runs", "*.egg-info", "__pycache__", ".mypy_cache",
        ".pytest_cache", "_build", "_generated"))
    # the test environment has a recent setuptools (test extra): no download needed
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--disable-pip-version-check", "-q", "-w", str(out), str(src)])
    wheels = list(out.glob("seqnest-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_holds_the_model_sources_and_their_recipe(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    models = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "nestml_models").rglob("*.nestml"))
    assert models
    for rel in models + ["nestml_models/CMakeLists.txt", "pynest_ext/cpp/seqnest_arrays_backend.h"]:
        assert f"seqnest/{rel}" in names
    assert "seqnest/__init__.py" in names and "seqnest/cli/__init__.py" in names
    # the sweep specs and example scripts (seqnest example --list / --copy DIR)
    for folder in ("specs", "examples"):
        for path in (ROOT / folder).iterdir():
            if path.suffix in (".py", ".yaml"):
                assert f"seqnest/{folder}/{path.name}" in names
    # every module of the tree (through the links of seqnest/), and no other
    tree = {p.relative_to(ROOT).as_posix()
            for d, _, files in os.walk(ROOT / "seqnest", followlinks=True)
            for p in (Path(d) / f for f in files) if p.suffix == ".py"}
    assert {n for n in names if n.endswith(".py")} == tree
    assert "seqnest.sweep_families" in zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    # one import namespace: nothing installed at the top level but seqnest
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"seqnest"}


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new venv with the wheel; its dependencies come from this environment's
    site-packages (a .pth entry), so nothing is downloaded."""
    env_dir = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "zz_seqnest_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--disable-pip-version-check", "-q", str(wheel)])
    return env_dir


def test_installed_wheel_builds_learns_and_imports_from_outside_the_checkout(venv, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    # a user's own modules named like our source folders must not shadow the package
    (work / "sequences.py").write_text("raise ImportError('user module imported')\n")
    (work / "pynest_ext.py").write_text("raise ImportError('user module imported')\n")
    bin_dir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([str(bin_dir / "python"), "-c",
                  "import json, seqnest, seqnest.pynest_ext.buildcache as b; "
                  "print(json.dumps([seqnest.__file__, str(b.source_root())]))"],
                 cwd=work, env=env)
    module_file, source_root = json.loads(where.stdout)
    assert Path(module_file).is_relative_to(venv) and Path(source_root).is_relative_to(venv)
    version = _run([str(bin_dir / "seqnest"), "--version"], cwd=work, env=env).stdout
    assert version.startswith("seqnest ")
    built = _run([str(bin_dir / "seqnest"), "build"], cwd=work, env=env)
    assert "reused" in built.stdout, built.stdout           # same content hash: the cached module
    _run([str(bin_dir / "seqnest"), "learn", "--episodes", "2", "--out", "run", "--no-progress"],
         cwd=work, env=env)
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    assert len(metrics["error"]) == 2
    _run([str(bin_dir / "seqnest"), "demo"], cwd=work, env=env)
    # the README's sweep commands from the installed wheel: its specs copied here first
    _run([str(bin_dir / "seqnest"), "example", "--copy", "."], cwd=work, env=env)
    plan = _run([str(bin_dir / "seqnest"), "sweep", "specs/set1_learning_rates.yaml",
                 "--dry-run"], cwd=work, env=env)
    assert plan.stdout.startswith("27 points")
    assert (work / "examples" / "train_replay_report.py").is_file()


def test_sdist_carries_the_models_and_builds_a_complete_wheel(tmp_path):
    import tarfile
    code = ("import sys; from setuptools import build_meta as b; "
            "print(b.build_sdist(sys.argv[1]))")
    name = _run([sys.executable, "-c", code, str(tmp_path / "sdist")], cwd=ROOT).stdout.split()[-1]
    sdist = tmp_path / "sdist" / name
    members = tarfile.open(sdist).getnames()
    stem = name[:-len(".tar.gz")]
    for model in (ROOT / "nestml_models").rglob("*.nestml"):
        assert f"{stem}/{model.relative_to(ROOT).as_posix()}" in members
    assert f"{stem}/nestml_models/CMakeLists.txt" in members
    assert f"{stem}/pynest_ext/cpp/seqnest_arrays_backend.h" in members
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--disable-pip-version-check", "-q", "-w", str(tmp_path / "wheel"), str(sdist)])
    wheel = next((tmp_path / "wheel").glob("seqnest-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert sum(n.endswith(".nestml") for n in names) == len(list((ROOT / "nestml_models").rglob("*.nestml")))
    assert sum(n.startswith("seqnest/specs/") for n in names) == len(list((ROOT / "specs").glob("*.yaml")))
