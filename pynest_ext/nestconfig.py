# SPDX-License-Identifier: GPL-2.0-or-later
"""Locate NEST and provide a working ``nest-config`` for building extension modules.

Two kinds of NEST installation are supported:

* the ``nest-simulator`` wheel from PyPI: its own ``bin/nest-config`` prints the
  paths of the container the wheel was built in, so we write a replacement into a
  prefix directory of our own (:func:`write_wheel_nest_config`). The wheel's
  kernel is loaded by PyNEST with global symbol visibility, so a module needs no
  link flags; it must be compiled with the old C++ ABI the wheel was built with;
* a source- or conda-built NEST: its ``nest-config`` is used as it is
  (``with_nest=/path/to/nest-config`` or the environment variable
  ``SEQNEST_NEST_CONFIG``).

Run as ``python -m seqnest.pynest_ext.nestconfig --write-prefix DIR`` to write the
replacement and print its path (used by ``CMakeLists.txt``).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from seqnest.errors import BuildError

__all__ = ["NestInstall", "BuildError", "locate_nest", "write_wheel_nest_config", "compiler_id"]

ENV_NEST_CONFIG = "SEQNEST_NEST_CONFIG"

#: Compiler flags for modules built against the wheel: NEST's own flags plus the
#: old C++ ABI (the wheel is built with devtoolset-10, manylinux2014).
WHEEL_CXXFLAGS = "-fopenmp -O2 -DNDEBUG -std=c++20 -fPIC -D_GLIBCXX_USE_CXX11_ABI=0"


@dataclass(frozen=True)
class NestInstall:
    """What a module build needs to know about one NEST installation."""

    kind: str                   # "wheel" or "nest-config"
    version: str
    include_dir: Path | None    # wheel only
    nest_config: Path | None    # source builds only
    cxxflags: str
    compiler: str

    def identity(self) -> dict[str, str]:
        """Fields that change the compiled module (part of the cache key).

        Wheels of one NEST version ship identical headers, so their location is
        left out: every virtual environment with that wheel shares one build. A
        source build is identified by its nest-config path as well.
        """
        ident = {"kind": self.kind, "version": self.version, "cxxflags": self.cxxflags,
                 "compiler": compiler_id(self.compiler)}
        if self.nest_config is not None:
            ident["nest_config"] = str(self.nest_config)
        return ident


def _find_compiler() -> str:
    for name in ("g++", "c++"):
        path = shutil.which(name)
        if path:
            return path
    raise BuildError("no C++ compiler found: install the Debian package g++ "
                     "(apt-get install g++)")


def compiler_id(compiler: str) -> str:
    """First line of ``<compiler> --version`` (identifies the compiler build)."""
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return compiler
    return out.splitlines()[0].strip() if out else compiler


def _wheel_install() -> NestInstall | None:
    spec = importlib.util.find_spec("nest")
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(list(spec.submodule_search_locations)[0])
    include = pkg / "include" / "nest"
    if not (include / "nest.h").is_file():
        return None
    try:
        version = importlib.metadata.version("nest-simulator")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return NestInstall("wheel", version, include, None, WHEEL_CXXFLAGS, _find_compiler())


def _config_install(nest_config: Path) -> NestInstall:
    if not (nest_config.is_file() and os.access(nest_config, os.X_OK)):
        raise BuildError(f"nest-config not found or not executable: {nest_config}")

    def ask(flag: str) -> str:
        try:
            return subprocess.run([str(nest_config), flag], capture_output=True, text=True,
                                  check=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            raise BuildError(f"{nest_config} {flag} failed: {exc}") from None

    return NestInstall("nest-config", ask("--version"), None, nest_config, ask("--cflags"),
                       ask("--compiler") or _find_compiler())


def locate_nest(with_nest: str | os.PathLike | None = None) -> NestInstall:
    """Find the NEST to build against.

    Order: ``with_nest`` (path to a ``nest-config``), ``$SEQNEST_NEST_CONFIG``, the
    ``nest-simulator`` wheel importable by this Python, ``nest-config`` on PATH.
    """
    explicit = with_nest or os.environ.get(ENV_NEST_CONFIG)
    if explicit:
        return _config_install(Path(explicit).expanduser().resolve())
    wheel = _wheel_install()
    if wheel is not None:
        return wheel
    on_path = shutil.which("nest-config")
    if on_path:
        return _config_install(Path(on_path))
    raise BuildError("NEST not found: pip install nest-simulator, or pass the nest-config "
                     f"of a source build (seqnest build --with-nest PATH or ${ENV_NEST_CONFIG})")


def write_wheel_nest_config(prefix: str | os.PathLike, install: NestInstall | None = None) -> Path:
    """Write ``<prefix>/bin/nest-config`` for the pip wheel and return its path."""
    install = install or _wheel_install()
    if install is None or install.kind != "wheel":
        raise BuildError("the nest-simulator wheel is not installed in this Python")
    prefix = Path(prefix).resolve()
    answers = {
        "--prefix": str(prefix),
        "--exec-prefix": str(prefix),
        "--includes": f"-I{install.include_dir}",
        "--cflags": install.cxxflags,
        "--libs": "",
        "--compiler": install.compiler,
        "--compiler-name": Path(install.compiler).name,
        "--static-libraries": "OFF",
        "--libdir": "lib",
        "--version": install.version,
        "--python-executable": sys.executable,
    }
    cases = "\n".join(f"  {flag}) echo {shlex.quote(value)} ;;" for flag, value in answers.items())
    script = ("#!/bin/sh\n"
              "# nest-config for the nest-simulator wheel, written by seqnest.pynest_ext.nestconfig\n"
              f'case "$1" in\n{cases}\n'
              '  *) echo "usage: nest-config --prefix|--includes|--cflags|--libs|--compiler|'
              '--version" >&2; exit 1 ;;\nesac\n')
    path = prefix / "bin" / "nest-config"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(script)
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-prefix", required=True, metavar="DIR",
                        help="write DIR/bin/nest-config for the pip wheel and print its path")
    args = parser.parse_args(argv)
    try:
        print(write_wheel_nest_config(args.write_prefix))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
