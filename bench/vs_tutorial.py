# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare set-I training with the NESTML sequence-learning tutorial, on this machine.

    python bench/vs_tutorial.py [--episodes 40] [--seeds 111 1 2] [--keep DIR]

1. The tutorial: its notebook is read at run time from the installed ``nestml``
   package (``<prefix>/doc/tutorials/sequence_learning/``; nothing of it is
   stored in this repository). The cells needed for set-I training and its own
   prediction analysis are executed as a script in a fresh process, patched only
   to (a) run headless, (b) find NEST through a nest-config written for the pip
   wheel, and (c) correct the sign of the inhibitory weight (the tutorial's
   neuron subtracts the inhibitory current and is given a negative weight,
   which NESTML 9 no longer negates, so inhibition becomes excitation). It
   compiles its models, as it does on every run.
2. ``seqnest learn`` on the same set, seed and number of episodes (module cached).

Both run one after the other in their own processes with one thread, for each
seed. Printed for the first seed: wall time (process start to end), simulate
time, peak resident memory of the simulating process, and the ratios; for
every seed: episodes to convergence (1-based: the tutorial's episode index k is
our episode k+1) and final error. Convergence is compared by the median over
seeds (the two codes draw different random networks from the same seed).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Markers of the notebook cells to execute, in notebook order.
CELL_MARKERS = (
    "import nest\n",                                   # imports
    "NESTCodeGeneratorUtils.generate_code_for",         # code generation (every run)
    "def psp_max_2_psc_max",
    "class Model:",
    "def generate_sequences",
    "def derived_parameters",
    "def create_sequence_learning_parameters",
    "sequences, _, vocabulary = generate_sequences",
    "def simulate_train_network",
    "def analyse_prediction_performance",
)

#: (old, new, how many times) textual patches; each must apply exactly.
SIGN_FIX = ('p["J_EI_psp"] = -2 * p["soma_params"]["V_th"]',
            'p["J_EI_psp"] = 2 * p["soma_params"]["V_th"]  # sign corrected (NESTML 9)')


def tutorial_dir() -> Path:
    for base in (Path(sys.prefix), Path(sys.base_prefix)):
        d = base / "doc" / "tutorials" / "sequence_learning"
        if (d / "sequence_learning.ipynb").is_file():
            return d
    raise SystemExit("error: the NESTML sequence_learning tutorial is not installed with nestml")


def tutorial_script(nb_path: Path, synapse_path: Path, nest_prefix: Path, episodes: int,
                    seed: int) -> str:
    cells = [("".join(c["source"])) for c in json.loads(nb_path.read_text())["cells"]
             if c["cell_type"] == "code"]
    chosen = []
    for marker in CELL_MARKERS:
        hits = [c for c in cells if marker in c]
        if not hits:
            raise SystemExit(f"error: the tutorial notebook has no cell with {marker!r}")
        chosen.append(hits[0])
    code = "\n\n".join(chosen)
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("%"))

    def patch(text: str, old: str, new: str, count: int | None = None) -> str:
        n = text.count(old)
        if n == 0 or (count is not None and n != count):
            raise SystemExit(f"error: tutorial patch does not apply ({old!r} found {n} times)")
        return text.replace(old, new)

    code = patch(code, '"../../../models/synapses/stdsp_synapse.nestml"', repr(str(synapse_path)), 1)
    code = patch(code, "codegen_opts={", f"codegen_opts={{'nest_path': {str(nest_prefix)!r}, ", 1)
    code = patch(code, *SIGN_FIX, 1)
    code = patch(code, 'p["learning_episodes"] = 40', f'p["learning_episodes"] = {episodes}', 1)
    code = patch(code, 'p["seed"] = 111   # seed for NEST', f'p["seed"] = {seed}   # seed for NEST', 1)
    header = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
              "plt.show = lambda *a, **k: None\n")
    footer = ("\nimport json as _json, resource as _res\n"
              "print('BENCH_RESULT ' + _json.dumps({'error': [float(x) for x in data['error']], "
              "'active': [float(x) for x in data['rel_active_neurons']], "
              "'peak_rss_mb': _res.getrusage(_res.RUSAGE_SELF).ru_maxrss / 1024}))\n")
    return header + code + footer


def run_tutorial(workdir: Path, episodes: int, seed: int) -> dict:
    from seqnest.pynest_ext.nestconfig import write_wheel_nest_config
    src = tutorial_dir()
    shutil.copy2(src / "iaf_psc_exp_nonlineardendrite_neuron.nestml", workdir)
    synapse = Path(sys.prefix) / "models" / "synapses" / "stdsp_synapse.nestml"
    prefix = workdir / "nest-prefix"
    write_wheel_nest_config(prefix)
    script = workdir / "tutorial_set1.py"
    script.write_text(tutorial_script(src / "sequence_learning.ipynb", synapse, prefix, episodes,
                                      seed))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], cwd=workdir, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    (workdir / "tutorial.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"error: the tutorial failed (log: {workdir / 'tutorial.log'})")
    result = json.loads(proc.stdout.split("BENCH_RESULT ", 1)[1].splitlines()[0])
    sim = re.search(r"Time to simulate:\s+([\d.]+) s", proc.stdout)
    errors = result["error"]
    conv = next((k + 1 for k, e in enumerate(errors) if e < 0.01), None)
    return {"wall_time_s": wall, "simulate_time_s": float(sim.group(1)) if sim else float("nan"),
            "peak_rss_mb": result["peak_rss_mb"], "episodes_to_convergence": conv,
            "final_error": errors[-1], "final_active_fraction": result["active"][-1],
            "evaluations": len(errors)}


def run_seqnest(workdir: Path, episodes: int, seed: int) -> dict:
    out = workdir / "seqnest-run"
    subprocess.run([sys.executable, "-m", "seqnest", "build"], check=True,
                   capture_output=True)           # make sure the module is cached
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "seqnest", "learn", "--task", "set1",
                           "--seed", str(seed), "--episodes", str(episodes), "--out", str(out),
                           "--no-progress"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"error: seqnest learn failed: {proc.stderr.strip()[-500:]}")
    m = json.loads((out / "metrics.json").read_text())
    return {"wall_time_s": wall, "simulate_time_s": m["simulate_time_s"],
            "peak_rss_mb": m["peak_rss_mb"], "episodes_to_convergence": m["episodes_to_convergence"],
            "final_error": m["final_error"], "final_active_fraction": m["active_fraction"][-1],
            "evaluations": len(m["error"])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=40,
                   help="tutorial learning_episodes (it simulates one more; seqnest runs the "
                        "same number of passes)")
    p.add_argument("--seeds", type=int, nargs="+", default=[111])
    p.add_argument("--keep", type=Path, help="keep the working files in this directory")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="seqnest-vs-tutorial-")) if not args.keep else args.keep
    work.mkdir(parents=True, exist_ok=True)
    print(f"working directory: {work}", flush=True)
    pairs = []
    for seed in args.seeds:
        sub = work / f"seed{seed}"
        sub.mkdir(exist_ok=True)
        pairs.append((seed, run_tutorial(sub, args.episodes, seed),
                      run_seqnest(sub, args.episodes + 1, seed)))
        print(f"seed {seed} done", flush=True)
    _, tut, ours = pairs[0]
    rows = [("wall time (s)", "wall_time_s", "{:.1f}"),
            ("simulate time (s)", "simulate_time_s", "{:.1f}"),
            ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
            ("episodes to convergence", "episodes_to_convergence", "{}"),
            ("final error", "final_error", "{:.3f}"),
            ("final active fraction", "final_active_fraction", "{:.2f}"),
            ("passes over the set", "evaluations", "{}")]
    print(f"\nseed {args.seeds[0]}:")
    print(f"{'':26} {'tutorial':>10} {'seqnest':>10} {'seqnest/tutorial':>17}")
    for label, key, fmt in rows:
        a, b = tut[key], ours[key]
        ratio = (f"{b / a:.3f}" if isinstance(a, (int, float)) and isinstance(b, (int, float))
                 and a and key != "evaluations" else "")
        print(f"{label:26} {fmt.format(a) if a is not None else 'never':>10} "
              f"{fmt.format(b) if b is not None else 'never':>10} {ratio:>17}")

    def conv(r):
        return r["episodes_to_convergence"] if r["episodes_to_convergence"] else float("inf")

    print(f"\n{'seed':>6} {'tutorial conv':>14} {'seqnest conv':>13} {'tutorial err':>13} "
          f"{'seqnest err':>12}")
    for seed, t, o in pairs:
        print(f"{seed:>6} {str(t['episodes_to_convergence']):>14} "
              f"{str(o['episodes_to_convergence']):>13} {t['final_error']:>13.3f} "
              f"{o['final_error']:>12.3f}")
    med_t = statistics.median(conv(t) for _, t, _ in pairs)
    med_o = statistics.median(conv(o) for _, _, o in pairs)
    print(f"{'median':>6} {med_t:>14} {med_o:>13}")
    print("\ngoals: wall <= 1/4, peak RSS <= 1/5, convergence (median) no later, "
          "final error < 0.01 (every seed)")
    ok = (ours["wall_time_s"] <= tut["wall_time_s"] / 4,
          ours["peak_rss_mb"] <= tut["peak_rss_mb"] / 5, med_o <= med_t,
          all(o["final_error"] < 0.01 for _, _, o in pairs))
    print("met:   " + ", ".join(f"{n} {'yes' if v else 'NO'}" for n, v in
                                zip(("wall", "memory", "convergence", "error"), ok)))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
