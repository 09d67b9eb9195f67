# SPDX-License-Identifier: GPL-2.0-or-later
"""Build the NESTML models into one NEST extension module, once, and cache it.

The compiled module is stored outside the repository under
``<cache>/modules/<key>/`` where ``<cache>`` is ``$SEQNEST_CACHE_DIR`` or the
user cache directory (``~/.cache/seqnest`` on Linux), and ``<key>`` hashes
everything that changes the binary: the model sources, the code-generation
options and driver, ``CMakeLists.txt``, the NESTML and NEST versions, and the
compiler and its flags. A second :func:`build` with the same inputs compiles
nothing.

Concurrent builds of the same key are serialised with a file lock; a build is
done in a private temporary directory and published with one atomic rename,
so a reader never sees a half-built module.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from seqnest.pynest_ext import codegen, nestconfig
from seqnest.pynest_ext.models import CODEGEN_OPTIONS, MODEL_NAMES, MODULE_NAME, ModelNames
from seqnest.pynest_ext.nestconfig import BuildError, NestInstall, locate_nest

__all__ = ["BuiltModule", "BuildError", "build", "provide", "build_key", "cache_root",
           "find_cached", "source_root"]

ENV_CACHE = "SEQNEST_CACHE_DIR"
METADATA_FILE = "build.json"
#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 1

#: System headers the NEST headers include, and the Debian package providing each.
REQUIRED_HEADERS = {
    "boost/tuple/tuple.hpp": "libboost-dev",
    "ltdl.h": "libltdl-dev",
    "gsl/gsl_odeiv.h": "libgsl-dev",
}


@dataclass(frozen=True)
class BuiltModule:
    """A compiled, cached extension module."""

    path: Path            # the .so file
    key: str
    names: ModelNames
    compiled: bool        # True if this call compiled it, False if reused
    seconds: float        # time this call spent

    @property
    def directory(self) -> Path:
        return self.path.parent


def source_root() -> Path:
    """Folder holding the NESTML sources and their ``CMakeLists.txt``.

    ``nestml_models/`` beside this package: the source checkout's folder, or the
    package data ``seqnest/nestml_models`` of an installed wheel.
    """
    root = Path(__file__).resolve().parent.parent / "nestml_models"
    if not (root / "CMakeLists.txt").is_file() or not any(root.rglob("*.nestml")):
        raise BuildError(f"model sources not found in {root}: the seqnest installation is "
                         "incomplete (reinstall the wheel, or pip install -e . in a checkout)")
    return root


def cache_root() -> Path:
    """Root of the module cache (``$SEQNEST_CACHE_DIR`` or the user cache dir)."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs
    return Path(platformdirs.user_cache_dir("seqnest"))


def _build_inputs(root: Path, nest: NestInstall) -> dict:
    files = sorted(root.rglob("*.nestml"))
    files += [root / "CMakeLists.txt", Path(codegen.__file__), Path(nestconfig.__file__),
              codegen.ARRAY_BACKEND, codegen.SYNAPSE_READER]
    digests = {}
    for path in files:
        rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        digests[str(rel)] = _digest(path)
    return {
        "format": CACHE_FORMAT,
        "module": MODULE_NAME,
        "sources": digests,
        "codegen_options": CODEGEN_OPTIONS,
        "nestml": importlib.metadata.version("nestml"),
        "nest": nest.identity(),
    }


def _key(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]


def build_key(with_nest: str | os.PathLike | None = None) -> tuple[str, dict]:
    """Cache key (hex) and the inputs it hashes."""
    _, _, inputs, key, _ = _lookup(with_nest)
    return key, inputs


def _entry(key: str) -> Path:
    return cache_root() / "modules" / key


class DamagedEntry(Exception):
    """A cache entry whose library is not the one its build recorded."""


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Libraries verified in this process: (path, size, mtime) -> digest checked.
_VERIFIED: set[tuple[str, int, int]] = set()


def _verify(so: Path, meta: dict) -> None:
    """Raise :class:`DamagedEntry` unless ``so`` has the size and SHA-256 its build
    recorded (a library cut short or overwritten would end NEST with a bus error)."""
    stat = so.stat()
    token = (str(so), stat.st_size, stat.st_mtime_ns)
    if token in _VERIFIED:
        return
    want_size, want = meta.get("library_bytes"), meta.get("library_sha256")
    if want is None:
        raise DamagedEntry("cannot be verified (built by an earlier version: no checksum)")
    if stat.st_size != want_size:
        raise DamagedEntry(f"is damaged ({stat.st_size} bytes where its build wrote "
                           f"{want_size})")
    if _digest(so) != want:
        raise DamagedEntry("is damaged (its content is not what its build wrote: the "
                           "checksum differs)")
    _VERIFIED.add(token)


def _load_entry(directory: Path, key: str, started: float, compiled: bool) -> BuiltModule | None:
    """The entry's module, or None if the entry is missing or incomplete; raises
    :class:`DamagedEntry` if its library is not the one it recorded."""
    so = directory / f"{MODULE_NAME}.so"
    meta = directory / METADATA_FILE
    if not (so.is_file() and meta.is_file()):
        return None
    try:
        record = json.loads(meta.read_text())
        names = ModelNames(**record["names"])
    except (ValueError, KeyError, TypeError):
        return None
    _verify(so, record)
    return BuiltModule(so, key, names, compiled, time.perf_counter() - started)


def _cache_writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def _usable_entry(entry: Path, key: str, started: float) -> BuiltModule | None:
    """The cached module, or None if it must be built (missing, incomplete, or
    damaged: said in one line; a damaged entry in a cache that cannot be written is
    refused with the command that rebuilds it)."""
    try:
        return _load_entry(entry, key, started, compiled=False)
    except DamagedEntry as exc:
        so = entry / f"{MODULE_NAME}.so"
        if not _cache_writable(entry.parent):
            raise BuildError(f"the cached module {so} {exc} and its cache cannot be written: "
                             "rebuild it with `seqnest build --force` where the cache is "
                             f"writable, or set {ENV_CACHE} to a writable folder") from None
        warnings.warn(f"the cached module {so} {exc}; building it again", RuntimeWarning,
                      stacklevel=3)
        return None


def _lookup(with_nest: str | os.PathLike | None):
    """(NEST install, source root, hashed inputs, key, cache entry) for the current sources."""
    nest = locate_nest(with_nest)
    root = source_root()
    inputs = _build_inputs(root, nest)
    key = _key(inputs)
    return nest, root, inputs, key, _entry(key)


def find_cached(with_nest: str | os.PathLike | None = None) -> BuiltModule | None:
    """The cached module for the current sources and NEST, or None."""
    started = time.perf_counter()
    _, _, _, key, entry = _lookup(with_nest)
    try:
        return _load_entry(entry, key, started, compiled=False)
    except DamagedEntry:
        return None


def _check_headers(nest: NestInstall) -> None:
    """Fail with one line naming the Debian package if a system header is missing."""
    if nest.kind != "wheel":
        return  # a source build found its own dependencies when it was built
    for header, package in REQUIRED_HEADERS.items():
        probe = subprocess.run([nest.compiler, "-x", "c++", "-E", "-", "-o", os.devnull],
                               input=f"#include <{header}>\n", capture_output=True, text=True)
        if probe.returncode != 0:
            raise BuildError(f"missing system header <{header}>: install the Debian package "
                             f"{package} (apt-get install {package})")


_MISSING_HEADER = re.compile(r"fatal error: ([\w./+-]+): No such file or directory")


def _run(cmd: list[str], log, stage: str, log_path: Path) -> None:
    log.write(f"\n$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        log.flush()
        text = log_path.read_text(errors="replace")
        missing = _MISSING_HEADER.search(text)
        if missing:
            header = missing.group(1)
            package = next((p for h, p in REQUIRED_HEADERS.items()
                            if h.split("/")[0] == header.split("/")[0]), None)
            hint = f": install the Debian package {package}" if package else ""
            raise BuildError(f"missing system header <{header}>{hint} (log: {log_path})")
        raise BuildError(f"module build failed during {stage} (log: {log_path})")


def _compile(root: Path, nest: NestInstall, workdir: Path, install_dir: Path, jobs: int,
             log_path: Path) -> None:
    if shutil.which("cmake") is None:
        raise BuildError("cmake not found: install the Debian package cmake (apt-get install cmake)")
    build_dir = workdir / "cmake-build"
    configure = ["cmake", "-S", str(root), "-B", str(build_dir),
                 f"-DPython3_EXECUTABLE={sys.executable}",
                 f"-DCMAKE_INSTALL_PREFIX={install_dir}",
                 f"-DSEQNEST_MODULE_NAME={MODULE_NAME}"]
    if nest.nest_config is not None:
        configure.append(f"-Dwith-nest={nest.nest_config}")
    with open(log_path, "w") as log:
        _run(configure, log, "configure and NESTML code generation", log_path)
        _run(["cmake", "--build", str(build_dir), "-j", str(jobs)], log, "compilation", log_path)
        _run(["cmake", "--install", str(build_dir)], log, "installation", log_path)


def _build_into(root: Path, nest: NestInstall, key: str, inputs: dict, workdir: Path,
                entry: Path, jobs: int, started: float) -> None:
    """Compile in ``workdir`` and publish the result as ``entry`` (atomic rename)."""
    install_dir = workdir / "install"
    log_path = entry.parent / f"{key}.build.log"
    _compile(root, nest, workdir, install_dir, jobs, log_path)
    if not (install_dir / f"{MODULE_NAME}.so").is_file():
        raise BuildError(f"the build produced no {MODULE_NAME}.so (log: {log_path})")
    library = install_dir / f"{MODULE_NAME}.so"
    meta = {"key": key, "inputs": inputs, "names": MODEL_NAMES.__dict__,
            "library_bytes": library.stat().st_size, "library_sha256": _digest(library),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_seconds": round(time.perf_counter() - started, 2)}
    (install_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2))
    shutil.copy2(log_path, install_dir / "build.log")
    if entry.exists():  # forced rebuild: move the old entry out of the way first
        os.replace(entry, workdir / "replaced")
    os.replace(install_dir, entry)
    log_path.unlink(missing_ok=True)


def provide(module: "BuiltModule | Callable[[], BuiltModule] | None") -> "BuiltModule":
    """``module`` itself; or, for a callable (a command's build with its notice), its
    result; or :func:`build`. Experiments take the callable so that the module is
    built only after their own input checks have passed."""
    if module is None:
        return build()
    return module() if callable(module) else module


def build(force: bool = False, with_nest: str | os.PathLike | None = None,
          jobs: int | None = None, on_compile: Callable[[], None] | None = None) -> BuiltModule:
    """Return the compiled module, building it only if it is not cached.

    Parameters
    ----------
    force : bool
        Rebuild even if a cached module exists (it is replaced atomically).
    with_nest : path, optional
        ``nest-config`` of a source-built NEST; default: the pip wheel.
    jobs : int, optional
        Parallel compiler processes (default: number of usable cores).
    on_compile : callable, optional
        Called once, just before a compilation starts (not when the cache is used).

    Raises
    ------
    BuildError
        With a one-line message (missing header, compiler, cmake, or a failed step
        and the path of its log).
    """
    started = time.perf_counter()
    nest, root, inputs, key, entry = _lookup(with_nest)
    if not force:
        cached = _usable_entry(entry, key, started)
        if cached is not None:
            return cached
    entry.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(entry) + ".lock"):
        if not force:  # another process may have finished (or repaired) it while we waited
            try:
                cached = _load_entry(entry, key, started, compiled=False)
            except DamagedEntry:
                cached = None
            if cached is not None:
                return cached
        _check_headers(nest)
        if on_compile is not None:
            on_compile()
        jobs = jobs or len(os.sched_getaffinity(0))
        workdir = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=entry.parent))
        try:
            _build_into(root, nest, key, inputs, workdir, entry, jobs, started)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    built = _load_entry(entry, key, started, compiled=True)
    assert built is not None
    return built
