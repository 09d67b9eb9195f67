# SPDX-License-Identifier: GPL-2.0-or-later
"""Build machinery that needs neither NEST nor a compiler run."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from seqnest.pynest_ext import buildcache as b
from seqnest.pynest_ext.nestconfig import BuildError, NestInstall, write_wheel_nest_config

ROOT = b.source_root()


def fake_install(tmp_path: Path, compiler: str = "/bin/true") -> NestInstall:
    inc = tmp_path / "include" / "nest"
    inc.mkdir(parents=True)
    return NestInstall("wheel", "3.10.0", inc, None, "-O2 -D_GLIBCXX_USE_CXX11_ABI=0", compiler)


def copy_sources(dst: Path) -> Path:
    shutil.copytree(ROOT, dst)
    return dst


def test_cache_key_follows_model_sources(tmp_path):
    nest = fake_install(tmp_path / "nest")
    root = copy_sources(tmp_path / "src")
    key0 = b._key(b._build_inputs(root, nest))
    assert key0 == b._key(b._build_inputs(root, nest))
    model = next(root.rglob("stm_neuron.nestml"))
    model.write_text(model.read_text().replace("tau_dAP ms = 60 ms", "tau_dAP ms = 61 ms"))
    assert b._key(b._build_inputs(root, nest)) != key0


def test_cache_key_follows_nest_version_and_flags(tmp_path):
    nest = fake_install(tmp_path / "nest")
    inputs = b._build_inputs(ROOT, nest)
    other_version = NestInstall(**{**nest.__dict__, "version": "3.9.0"})
    other_flags = NestInstall(**{**nest.__dict__, "cxxflags": "-O3"})
    keys = {b._key(inputs), b._key(b._build_inputs(ROOT, other_version)),
            b._key(b._build_inputs(ROOT, other_flags))}
    assert len(keys) == 3


def test_missing_header_names_the_debian_package(tmp_path):
    compiler = tmp_path / "fake-g++"
    compiler.write_text("#!/bin/sh\nif grep -q ltdl.h; then exit 1; fi\nexit 0\n")
    compiler.chmod(0o755)
    nest = fake_install(tmp_path / "nest", str(compiler))
    with pytest.raises(BuildError, match=r"missing system header <ltdl.h>: install the Debian package libltdl-dev"):
        b._check_headers(nest)


def test_cache_root_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQNEST_CACHE_DIR", str(tmp_path / "c"))
    assert b.cache_root() == (tmp_path / "c").resolve()


def test_incomplete_cache_entry_is_not_used(tmp_path):
    (tmp_path / "seqnestmodule.so").write_bytes(b"")
    assert b._load_entry(tmp_path, "k", 0.0, False) is None      # no build.json
    (tmp_path / "build.json").write_text("{corrupt")
    assert b._load_entry(tmp_path, "k", 0.0, False) is None


def test_wheel_nest_config_prints_usable_answers(tmp_path):
    nest = fake_install(tmp_path / "nest", "/usr/bin/g++")
    script = write_wheel_nest_config(tmp_path / "prefix", nest)

    def ask(flag):
        return subprocess.run([str(script), flag], capture_output=True, text=True, check=True).stdout.strip()

    assert ask("--prefix") == str((tmp_path / "prefix").resolve())
    assert ask("--includes") == f"-I{nest.include_dir}"
    assert "-D_GLIBCXX_USE_CXX11_ABI=0" in ask("--cflags")
    assert ask("--libs") == "" and ask("--static-libraries") == "OFF"
    assert ask("--version") == "3.10.0"
    assert subprocess.run([str(script), "--bogus"], capture_output=True).returncode == 1


def test_explicit_nest_config_must_exist(tmp_path):
    from seqnest.pynest_ext.nestconfig import locate_nest
    with pytest.raises(BuildError, match="nest-config not found"):
        locate_nest(tmp_path / "nope" / "nest-config")


def test_wheels_in_different_environments_share_a_key(tmp_path):
    a = fake_install(tmp_path / "venv-a")
    b_ = fake_install(tmp_path / "venv-b")
    assert b._key(b._build_inputs(ROOT, a)) == b._key(b._build_inputs(ROOT, b_))


def _entry_with_checksum(folder: Path, content: bytes = b"\x7fELF" + bytes(range(256)) * 64):
    import hashlib
    import json
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seqnestmodule.so").write_bytes(content)
    (folder / "build.json").write_text(json.dumps({
        "names": b.MODEL_NAMES.__dict__, "library_bytes": len(content),
        "library_sha256": hashlib.sha256(content).hexdigest()}))
    return folder


@pytest.mark.parametrize("damage, said", [
    (lambda so: so.write_bytes(so.read_bytes()[:100]), "bytes where its build wrote"),
    (lambda so: so.write_bytes(bytes(reversed(so.read_bytes()))), "checksum differs")])
def test_a_damaged_library_in_the_cache_is_not_trusted(tmp_path, damage, said):
    entry = _entry_with_checksum(tmp_path / "entry")
    assert b._load_entry(entry, "k", 0.0, False) is not None        # as built: used
    damage(entry / "seqnestmodule.so")
    with pytest.raises(b.DamagedEntry, match=said):
        b._load_entry(entry, "k", 0.0, False)


def test_an_entry_without_a_checksum_cannot_be_verified(tmp_path):
    import json
    entry = _entry_with_checksum(tmp_path / "entry")
    meta = json.loads((entry / "build.json").read_text())
    del meta["library_sha256"]
    (entry / "build.json").write_text(json.dumps(meta))
    with pytest.raises(b.DamagedEntry, match="cannot be verified"):
        b._load_entry(entry, "k", 0.0, False)


def test_a_damaged_entry_is_built_again_or_refused_in_one_line(tmp_path, monkeypatch):
    """Writable cache: one warning, then the build replaces the entry. A cache that
    cannot be written: one line naming the command that rebuilds it."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SEQNEST_CACHE_DIR", str(cache))
    key, _ = b.build_key()
    entry = _entry_with_checksum(cache / "modules" / key)
    good = (entry / "seqnestmodule.so").read_bytes()
    (entry / "seqnestmodule.so").write_bytes(good[:10])
    rebuilt = []

    def fake_build(root, nest, key, inputs, workdir, entry, jobs, started):
        rebuilt.append(key)
        _entry_with_checksum(workdir / "install", good)
        os.replace(entry, workdir / "replaced")
        os.replace(workdir / "install", entry)
    monkeypatch.setattr(b, "_build_into", fake_build)
    monkeypatch.setattr(b, "_check_headers", lambda nest: None)
    with pytest.warns(RuntimeWarning, match="is damaged .* building it again"):
        module = b.build()
    assert rebuilt == [key] and module.compiled
    assert (entry / "seqnestmodule.so").read_bytes() == good
    (entry / "seqnestmodule.so").write_bytes(good[:10])
    monkeypatch.setattr(b, "_cache_writable", lambda folder: False)
    with pytest.raises(BuildError, match="cannot be written: rebuild it with `seqnest build "
                                         "--force`"):
        b.build()
