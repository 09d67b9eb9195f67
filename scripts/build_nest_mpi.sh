#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build NEST with MPI (Debian's OpenMPI) from the nest-simulator source
# distribution on PyPI, once, into a cache directory; print how to use it.
#
#   bash scripts/build_nest_mpi.sh [PYTHON]     # default PYTHON: .venv/bin/python
#   bash scripts/build_nest_mpi.sh --prefix     # print the install prefix and exit
#
# The version is the one of the nest-simulator wheel installed for PYTHON, so
# the module built against it (`seqnest build --with-nest PREFIX/bin/nest-config`)
# runs the same NEST. Installs, when missing and run as root: openmpi-bin,
# libopenmpi-dev, cmake, g++, make, libgsl-dev, libltdl-dev, libboost-dev;
# and Cython and mpi4py into PYTHON's environment (PyNEST and gathering the
# recordings of all ranks need them).
#
# Prefix: $SEQNEST_NEST_MPI_DIR or ~/.cache/seqnest/nest-mpi-<version>-py<X.Y>.
# Use:
#   export PYTHONPATH=PREFIX/lib/pythonX.Y/site-packages SEQNEST_NEST_CONFIG=PREFIX/bin/nest-config
#   seqnest build                              # the module for this NEST (cached)
#   mpirun -np 2 seqnest learn --out run ...   # one network across 2 processes
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf 'build_nest_mpi: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

print_prefix=0
if [ "${1:-}" = "--prefix" ]; then print_prefix=1; shift; fi
python="${1:-$here/.venv/bin/python}"
[ -x "$python" ] || die "no Python at $python (run: bash run.sh, or give one)"
version="$("$python" -c 'import importlib.metadata as m; print(m.version("nest-simulator"))')" ||
    die "nest-simulator is not installed for $python"
pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/seqnest"
prefix="${SEQNEST_NEST_MPI_DIR:-$cache/nest-mpi-$version-py$pyver}"
if [ "$print_prefix" -eq 1 ]; then echo "$prefix"; exit 0; fi

if [ -x "$prefix/bin/nest-config" ] && [ -f "$prefix/.complete" ]; then
    say "NEST $version with MPI is already built in $prefix"
else
    pkgs=()
    command -v mpicc >/dev/null 2>&1 || pkgs+=(openmpi-bin libopenmpi-dev)
    command -v cmake >/dev/null 2>&1 || pkgs+=(cmake)
    command -v g++ >/dev/null 2>&1 || pkgs+=(g++)
    command -v make >/dev/null 2>&1 || pkgs+=(make)
    for h in gsl/gsl_odeiv.h:libgsl-dev ltdl.h:libltdl-dev boost/tuple/tuple.hpp:libboost-dev; do
        printf '#include <%s>\n' "${h%%:*}" | g++ -x c++ -E - -o /dev/null >/dev/null 2>&1 ||
            pkgs+=("${h##*:}")
    done
    if [ ${#pkgs[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || die "missing Debian packages: run as root: apt-get install ${pkgs[*]}"
        say "installing Debian packages: ${pkgs[*]}"
        apt-get update -qq >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
            die "apt-get install ${pkgs[*]} failed"
    fi
    "$python" -c 'import Cython' 2>/dev/null ||
        "$python" -m pip install -q --disable-pip-version-check "cython>=3" || die "pip install cython failed"
    work="$(mktemp -d "${TMPDIR:-/tmp}/nest-mpi-build.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    say "downloading the nest-simulator $version source distribution"
    "$python" -m pip download -q --disable-pip-version-check --no-deps --no-binary nest-simulator \
        -d "$work" "nest-simulator==$version" || die "pip download nest-simulator==$version failed"
    tar xzf "$work"/nest_simulator-*.tar.gz -C "$work"
    src="$(find "$work" -maxdepth 1 -type d -name 'nest_simulator-*' | head -n 1)"
    # installed in place (NEST bakes its prefix into nest-config, nest_vars.sh and the
    # libraries' run paths); .complete marks a finished install, anything else is redone
    rm -rf "$prefix"
    say "building (about 20-40 minutes on 2 cores; log: $prefix.log)"
    started=$(date +%s)
    {
        cmake -S "$src" -B "$work/build" -DCMAKE_INSTALL_PREFIX="$prefix" \
              -Dwith-mpi=ON -Dwith-openmp=ON -Dwith-gsl=ON -Dwith-ltdl=ON \
              -Dwith-python=ON -DPython_EXECUTABLE="$python" -Dwith-hdf5=OFF -Dwith-sionlib=OFF \
              -Dwith-readline=OFF -Dwith-libneurosim=OFF -Dwith-music=OFF &&
        cmake --build "$work/build" -j "$(nproc)" &&
        cmake --install "$work/build"
    } > "$work/build.log" 2>&1 || { cp "$work/build.log" "$prefix.log"; tail -n 30 "$prefix.log" >&2;
                                    die "NEST build failed (full log: $prefix.log)"; }
    cp "$work/build.log" "$prefix.log"
    echo "$(( $(date +%s) - started ))" > "$prefix/.complete"
    say "built NEST $version with MPI in $(cat "$prefix/.complete") s: $prefix"
fi
"$python" -c 'import mpi4py' 2>/dev/null ||
    "$python" -m pip install -q --disable-pip-version-check "mpi4py>=3.1" || die "pip install mpi4py failed"
site="$(find "$prefix" -path '*site-packages' -type d | head -n 1)"
echo "export PYTHONPATH=$site SEQNEST_NEST_CONFIG=$prefix/bin/nest-config"
