# SPDX-License-Identifier: GPL-2.0-or-later
"""The module cache: reuse, reload after ResetKernel, concurrent builders."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqnest.pynest_ext import build
from seqnest.pynest_ext.kernel import KernelConfig, import_nest, setup_kernel

pytestmark = pytest.mark.nest


def test_second_build_compiles_nothing(built_module):
    again = build()
    assert again.compiled is False
    assert again.path == built_module.path
    assert again.seconds < 5.0   # a cache look-up, not a compilation (~40 s)
    meta = json.loads((again.directory / "build.json").read_text())
    assert meta["key"] == again.key


def test_module_loads_again_after_reset(built_module):
    nest = import_nest()
    for seed in (1, 2, 3):
        names = setup_kernel(KernelConfig(seed=seed), module=built_module)
        assert nest.GetKernelStatus("rng_seed") == seed
        nest.Create(names.stm_neuron)
        assert names.stdsp_synapse in nest.synapse_models


def test_kernel_config_is_applied(built_module):
    nest = import_nest()
    setup_kernel(KernelConfig(resolution=0.05, threads=2, seed=7), module=built_module)
    status = nest.GetKernelStatus()
    assert status["resolution"] == pytest.approx(0.05)
    assert status["local_num_threads"] == 2


BUILD_SNIPPET = ("import json, sys; from seqnest.pynest_ext import build; m = build(with_nest=sys.argv[1] or None); "
                 "print(json.dumps({'path': str(m.path), 'compiled': m.compiled}))")


@pytest.mark.slow
def test_concurrent_builds_share_one_compilation_through_a_given_nest_config(tmp_path):
    """Two processes build into an empty cache at once: one compiles, the other
    waits and reuses it. The build goes through an explicit nest-config (the
    path a source-built NEST takes) to exercise -Dwith-nest."""
    from seqnest.pynest_ext.nestconfig import write_wheel_nest_config
    nest_config = write_wheel_nest_config(tmp_path / "nest-prefix")
    env = {**os.environ, "SEQNEST_CACHE_DIR": str(tmp_path / "cache")}
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", BUILD_SNIPPET, str(nest_config)], env=env,
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["compiled"] for r in results) == [False, True]
    assert results[0]["path"] == results[1]["path"]
    entries = [p for p in (tmp_path / "cache" / "modules").iterdir() if p.is_dir()]
    assert len(entries) == 1            # no leftover temporary build directories
    # the module built through nest-config loads and provides the models
    check = ("import sys; from seqnest.pynest_ext import BuiltModule; from seqnest.pynest_ext.buildcache import _load_entry; "
             "from seqnest.pynest_ext.kernel import setup_kernel; from pathlib import Path; "
             "d = Path(sys.argv[1]).parent; m = _load_entry(d, d.name, 0.0, False); "
             "print(setup_kernel(module=m).stm_neuron)")
    out = subprocess.run([sys.executable, "-c", check, results[0]["path"]], env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "stm_neuron__with_stm_stdsp_synapse" in out.stdout
