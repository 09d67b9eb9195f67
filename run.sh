#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Set everything up (if needed), then run the main job or the test suite.
#
#   bash run.sh            # main job
#   bash run.sh test [pytest args]
#
# Setup, each step only when missing:
#   1. Debian packages for compiling NESTML models against the pip NEST wheel
#      (g++, cmake, make, Boost/ltdl/GSL headers, python3-venv), via apt-get
#      (as root, or with sudo);
#   2. a virtual environment in .venv (or $SEQNEST_VENV) with seqnest installed
#      in editable mode (re-installed when pyproject.toml changes).
# The NESTML module itself is built on first use and cached outside the
# repository (see `seqnest build`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SEQNEST_VENV:-$here/.venv}"
say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pick_python() {
    local cand
    for cand in "${SEQNEST_PYTHON:-}" python3.11 python3.12 python3.13 python3.10 python3; do
        [ -n "$cand" ] || continue
        if command -v "$cand" >/dev/null 2>&1 &&
           "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
            command -v "$cand"; return 0
        fi
    done
    return 1
}

header_ok() { printf '#include <%s>\n' "$1" | g++ -x c++ -E - -o /dev/null >/dev/null 2>&1; }

missing_packages() {
    local py="$1" pkgs=()
    command -v g++ >/dev/null 2>&1 || pkgs+=(g++)
    command -v cmake >/dev/null 2>&1 || pkgs+=(cmake)
    command -v make >/dev/null 2>&1 || pkgs+=(make)
    if [ -z "$py" ]; then
        pkgs+=(python3 python3-venv)
    elif ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        pkgs+=(python3-venv)
    fi
    if command -v g++ >/dev/null 2>&1; then
        header_ok boost/tuple/tuple.hpp || pkgs+=(libboost-dev)
        header_ok ltdl.h || pkgs+=(libltdl-dev)
        header_ok gsl/gsl_odeiv.h || pkgs+=(libgsl-dev)
    else
        pkgs+=(libboost-dev libltdl-dev libgsl-dev)
    fi
    echo "${pkgs[@]:-}"
}

install_system_packages() {
    local py pkgs
    py="$(pick_python || true)"
    pkgs="$(missing_packages "$py")"
    [ -n "$pkgs" ] || return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing system packages ($pkgs) and no apt-get: install their equivalents"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing Debian packages: run as root: apt-get install $pkgs"
        sudo="sudo"
    fi
    say "installing Debian packages: $pkgs"
    # shellcheck disable=SC2086
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >/dev/null ||
        die "apt-get install $pkgs failed"
}

setup_venv() {
    local py stamp want
    py="$(pick_python)" || die "no Python >= 3.10 found"
    if [ ! -x "$venv/bin/python" ]; then
        say "creating virtual environment $venv"
        "$py" -m venv "$venv" || die "could not create $venv (Debian: apt-get install python3-venv)"
    fi
    want="$(cat "$here/pyproject.toml" | sha256sum | cut -c1-16)"
    stamp="$venv/.seqnest-installed"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        local log="$venv/pip-install.log"
        say "installing seqnest and its dependencies into $venv (log: $log)"
        if ! { "$venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
               "$venv/bin/python" -m pip install --disable-pip-version-check -e "$here[test]"; } >"$log" 2>&1; then
            tail -n 20 "$log" >&2
            die "pip install failed (full log: $log)"
        fi
        echo "$want" > "$stamp"
    fi
}

cmd="${1:-main}"
[ $# -gt 0 ] && shift
case "$cmd" in
    main|test) ;;
    -h|--help) sed -n '3,17p' "$0"; exit 0 ;;
    *) die "unknown command '$cmd' (use: bash run.sh [main|test])" ;;
esac

install_system_packages
setup_venv
cd "$here"
case "$cmd" in
    main) exec "$venv/bin/seqnest" example "$@" ;;
    test) exec "$venv/bin/python" -m pytest "$@" ;;
esac
