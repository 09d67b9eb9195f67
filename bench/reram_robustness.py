# SPDX-License-Identifier: GPL-2.0-or-later
"""Robustness of set-I learning to ReRAM device properties (Bouhadjar et al. 2023).

    python bench/reram_robustness.py --jobs 2 --out runs/reram --docs docs

One factor at a time, starting from the ideal device (continuous, infinite
on/off ratio, no variability, no failures, no write noise), set I is learned for
40 episodes with seeds 1, 2, 3 for each value of

* on/off ratio r = G_max / G_min: 2, 5, 10, 100, inf;
* conductance levels: 2, 3, 4, 8, 16, inf;
* device-to-device variability sigma_d2d: 0, 0.1, 0.2, 0.4;
* fraction of failed devices: 0, 0.05, 0.1, 0.2, 0.3 (half stuck high, half low);
* cycle-to-cycle write noise sigma_write: 0, 0.1, 0.3, 0.5;
* on/off ratio 10, 5, 2 with the dAP threshold raised by the mean off-state
  input of one active subpopulation (``derived.off_state_dap_threshold``),

with the defaults a user gets: a quantised device takes its updates through
the mixed-precision accumulator (``synapse.update = accumulate``) and stuck-on
devices are kept out of the read path by the fault map
(``synapse.fault_map = exclude``). The ablations run the earlier behaviour:
levels 16, 8, 4, 3, 2 with stochastic rounding (``update = stochastic``) and
stuck fractions 0.2 and 0.3 with every device read (``fault_map = none``);
plus the tristate and bistable synapses (whose state is log2(3) and 1 bit).
Every run is ``seqnest learn --synapse reram --set synapse.KEY=VALUE ...`` in its
own process (``--jobs`` at a time); a finished run is reused when it was
trained with the present NESTML models and configuration (otherwise, or with
``--force``, it is trained again).

After learning, each run is replayed (``seqnest replay``: frozen weights,
V_th x 0.25, one cue per sequence; the dAP threshold derived from the run's own
inputs for the device and tristate synapses, theta_dAP x 0.7 for stdsp: the
default ``replay.theta_dAP_mode = auto``). Prints a table (mean and
range over seeds of the error after the last episode, episodes to convergence,
cues replayed correctly, mature synapses, bits of device state per synapse) and,
with ``--docs DIR``, writes ``DIR/reram_robustness.md`` and
``DIR/figures/reram_robustness.png``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from learning_sets import is_current

#: Factor -> (synapse parameter(s), values); the first value of each is the ideal device.
FACTORS: dict[str, tuple[str, list[float]]] = {
    "on/off ratio": ("on_off_ratio", [math.inf, 100, 10, 5, 2]),
    "levels": ("levels", [math.inf, 16, 8, 4, 3, 2]),
    "device-to-device sigma": ("sigma_d2d", [0.0, 0.1, 0.2, 0.4]),
    "stuck fraction": ("stuck", [0.0, 0.05, 0.1, 0.2, 0.3]),
    "write noise sigma": ("sigma_write", [0.0, 0.1, 0.3, 0.5]),
}
#: On/off ratios also run with the dAP threshold raised by the mean off-state
#: input of one active subpopulation (seqnest.pynest_ext.derived.off_state_dap_threshold).
COMPENSATED_RATIOS = [10, 5, 2]
#: Ablations of the two device-level remedies: factor -> (key, values, the option that
#: turns the remedy off, run-name tag).
ABLATIONS: dict[str, tuple[str, list[float], str, str]] = {
    "levels, stochastic rounding": ("levels", [16, 8, 4, 3, 2], "synapse.update=stochastic",
                                    "stochastic"),
    "stuck fraction, no fault map": ("stuck", [0.2, 0.3], "synapse.fault_map=none",
                                     "nofaultmap"),
}
OTHER_SYNAPSES = ("stdsp", "tristate", "bistable")
SEEDS = (1, 2, 3)
EPISODES = 40


def synapse_options(key: str, value: float) -> list[str]:
    text = "inf" if math.isinf(value) else f"{value:g}"
    if key == "stuck":   # split equally between stuck-high and stuck-low devices
        half = f"{value / 2:g}"
        return [f"synapse.stuck_high_fraction={half}", f"synapse.stuck_low_fraction={half}"]
    return [f"synapse.{key}={text}"]


def run_one(name: str, synapse: str, options: list[str], episodes: int, seed: int,
            out: Path, force: bool) -> dict:
    run_dir = out / f"{name}-seed{seed}"
    metrics = run_dir / "metrics.json"
    if force or not is_current(run_dir, "set1", options, episodes, seed, synapse):
        cmd = [sys.executable, "-m", "seqnest", "learn", "--task", "set1",
               "--synapse", synapse, "--seed", str(seed), "--episodes", str(episodes),
               "--out", str(run_dir), "--force", "--no-progress"]
        for opt in options:
            cmd += ["--set", opt]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"name": name, "seed": seed, "failed": proc.stderr.strip()[-300:]}
    replay = run_dir / "replay" / "replay.json"
    if force or not replay.is_file():
        proc = subprocess.run([sys.executable, "-m", "seqnest", "replay",
                               str(run_dir)], capture_output=True, text=True)
        if proc.returncode != 0:
            return {"name": name, "seed": seed, "failed": proc.stderr.strip()[-300:]}
    m = json.loads(metrics.read_text())
    r = json.loads(replay.read_text())
    return {"name": name, "seed": seed, "error": m["final_error"],
            "conv": m["episodes_to_convergence"], "mature": m["mature_synapses_final"],
            "bits": m["synapse_state_bits"], "curve": m["error"],
            "replay_correct": r["n_correct"], "replay_cues": r["n_cues"]}


def conditions(episodes: int = EPISODES) -> list[tuple[str, str, str, list[str], float, int]]:
    """(factor, run name, synapse, --set options, value, episodes)."""
    out = []
    for factor, (key, values) in FACTORS.items():
        for v in values:
            label = "inf" if math.isinf(v) else f"{v:g}"
            name = "reram-ideal" if v == values[0] else f"reram-{key}-{label}"
            out.append((factor, name, "reram", [] if v == values[0] else synapse_options(key, v),
                        v, episodes))
    for r in COMPENSATED_RATIOS:
        out.append((COMPENSATED, f"reram-on_off_ratio-{r:g}-compensated", "reram",
                    [f"synapse.on_off_ratio={r:g}", f"neuron.theta_dAP={compensated_theta(r):.4f}"],
                    float(r), episodes))
    for factor, (key, values, option, tag) in ABLATIONS.items():
        for v in values:
            out.append((factor, f"reram-{key}-{v:g}-{tag}", "reram",
                        synapse_options(key, v) + [option], v, episodes))
    for syn in OTHER_SYNAPSES:
        out.append(("synapse", syn, syn, [], math.nan, episodes))
    return out


COMPENSATED = "on/off ratio, theta_dAP compensated"


def compensated_theta(ratio: float) -> float:
    from seqnest.pynest_ext.derived import off_state_dap_threshold
    from seqnest.pynest_ext.models import StdspSynapseParams, StmNeuronParams
    from seqnest.pynest_ext.networks.temporal_memory import NetworkParams
    net = NetworkParams()
    return off_state_dap_threshold(StmNeuronParams().theta_dAP, net.p_EE, net.n_E,
                                   StdspSynapseParams().w_mature / ratio)


def summarise(results: list[dict]) -> dict[str, dict]:
    by_name: dict[str, list[dict]] = {}
    for r in results:
        by_name.setdefault(r["name"], []).append(r)
    summary = {}
    for name, rs in by_name.items():
        ok = [r for r in rs if "failed" not in r]
        if not ok:
            summary[name] = {"failed": rs[0]["failed"]}
            continue
        errs = [r["error"] for r in ok]
        convs = [r["conv"] for r in ok]
        summary[name] = {"error_mean": sum(errs) / len(errs), "error_min": min(errs),
                         "error_max": max(errs), "converged": sum(c is not None for c in convs),
                         "conv": convs, "n": len(ok), "bits": ok[0]["bits"],
                         "mature": sum(r["mature"] for r in ok) / len(ok),
                         "replay": (sum(r["replay_correct"] for r in ok),
                                    sum(r["replay_cues"] for r in ok)),
                         "curves": [r["curve"] for r in ok]}
    return summary


def table(conds, summary) -> list[str]:
    lines = ["| factor | value | final error, mean [min, max] | runs reaching error < 0.01 | first episode with error < 0.01 "
             "| replay correct (cues) | mature synapses (mean) | state bits |",
             "|---|---|---|---|---|---|---|---|"]
    for factor, name, synapse, _, value, _ in conds:
        s = summary[name]
        shown = synapse if factor == "synapse" else ("inf" if math.isinf(value) else f"{value:g}")
        if "failed" in s:
            lines.append(f"| {factor} | {shown} | failed: {s['failed']} | | | | | |")
            continue
        conv = ", ".join("-" if c is None else str(c) for c in s["conv"])
        bits = "64 (double)" if s["bits"] >= 64 else f"{s['bits']:.2f}"
        lines.append(f"| {factor} | {shown} | {s['error_mean']:.2f} [{s['error_min']:.2f}, "
                     f"{s['error_max']:.2f}] | {s['converged']}/{s['n']} | {conv} | "
                     f"{s['replay'][0]}/{s['replay'][1]} | {s['mature']:.0f} | {bits} |")
    return lines


def figure(conds, summary, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    factors = [*FACTORS, COMPENSATED, *ABLATIONS]
    episodes = {f: e for f, _, _, _, _, e in conds}
    fig, axes = plt.subplots(3, 3, figsize=(14, 10), constrained_layout=True)
    for ax, factor in zip(axes.flat, factors):
        rows = [(v, summary[n]) for f, n, _, _, v, _ in conds
                if f == factor and "failed" not in summary[n]]
        if factor == COMPENSATED:
            rows = [(math.inf, summary["reram-ideal"])] + rows
        labels = ["inf" if math.isinf(v) else f"{v:g}" for v, _ in rows]
        x = range(len(rows))
        mean = [s["error_mean"] for _, s in rows]
        lo = [s["error_mean"] - s["error_min"] for _, s in rows]
        hi = [s["error_max"] - s["error_mean"] for _, s in rows]
        ax.errorbar(x, mean, yerr=[lo, hi], fmt="o-", capsize=3, label="prediction error")
        ax.plot(x, [s["replay"][0] / s["replay"][1] for _, s in rows], "s--",
                label="fraction of cues replayed correctly")
        ax.set_xticks(list(x), labels)
        ax.set_xlabel(factor)
        ax.set_ylabel(f"after {episodes[factor]} episodes")
        ax.legend(fontsize=7, loc="center right")
        ax.set_ylim(-0.05, 2.15)
    ax = axes.flat[len(factors)]
    groups = {"device + accumulator": [n for n in summary if n.startswith("reram-levels")
                                       and not n.endswith("stochastic")],
              "stochastic rounding": [n for n in summary if n.endswith("-stochastic")],
              "ideal device": ["reram-ideal"], "tristate": ["tristate"], "bistable": ["bistable"]}
    for (label, names), marker in zip(groups.items(), "osD^v"):
        pts = [(min(summary[n]["bits"], 64.0), summary[n]["error_mean"], n) for n in names
               if "failed" not in summary.get(n, {"failed": 1})]
        if not pts:
            continue
        ax.plot([b for b, _, _ in pts], [e for _, e, _ in pts], marker, linestyle="none",
                label=label, alpha=0.8)
        if label == "stochastic rounding":
            for b, e, n in pts:
                ax.annotate(n.split("-")[2], (b, e), textcoords="offset points",
                            xytext=(3, 3), fontsize=7)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bits of plastic state per synapse")
    ax.set_ylabel(f"error after {episodes['levels']} episodes")
    ax.set_ylim(-0.05, 2.15)
    fig.suptitle(f"Set I, sTM network with ReRAM synapses: mean and range over seeds "
                 f"{', '.join(map(str, SEEDS))}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("runs/reram"))
    p.add_argument("--docs", type=Path, help="write the table and figure into this folder")
    p.add_argument("--episodes", type=int, default=EPISODES)
    p.add_argument("--force", action="store_true", help="redo runs that exist")
    args = p.parse_args(argv)

    conds = conditions(args.episodes)
    unique = {}
    for factor, name, synapse, options, _, episodes in conds:
        unique[name] = (synapse, options, episodes)
    jobs = [(name, *spec, seed) for name, spec in unique.items() for seed in SEEDS]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda j: run_one(*j, args.out, args.force), jobs))
    summary = summarise(results)
    lines = table(conds, summary)
    print("\n".join(lines))
    if args.docs:
        figure(conds, summary, args.docs / "figures" / "reram_robustness.png")
        md = args.docs / "reram_robustness.md"
        tmp = md.with_name(f".{md.name}.tmp")
        tmp.write_text(DOC_HEAD + "\n".join(lines) + "\n")
        os.replace(tmp, md)
        print(f"wrote {md} and {args.docs / 'figures' / 'reram_robustness.png'}")
    return 0


DOC_HEAD = f"""# Set-I learning with ReRAM synapses: robustness to device properties

Regenerate (about 8 minutes on 2 cores; runs in `runs/reram` trained with the present models and configuration are reused):

    python bench/reram_robustness.py --jobs 2 --out runs/reram --docs docs

One factor at a time from the ideal device; set I (`A D B E`, `F D B C`), M = 6,
n_E = 150, {EPISODES} episodes, seeds {', '.join(map(str, SEEDS))}; error = the prediction
error of the last episode (0: both last elements predicted, nothing else);
replay: cues (2 per run) after which the network replayed the trained sequence
(`seqnest replay`: frozen weights, V_th x 0.25; the dAP threshold derived from
the run's own inputs for the device and tristate synapses, theta_dAP x 0.7 for
stdsp, see `sequences/temporal_memory/replay_thresholds.py`). Stuck
fractions are split equally between devices stuck at their high and their low
state. Every row runs the defaults a user gets: a quantised device is programmed
through the mixed-precision accumulator (`synapse.update = accumulate`) and
stuck-on devices are kept out of the read path by the fault map
(`synapse.fault_map = exclude`); the rows "stochastic rounding" and "no fault
map" are the ablations (the earlier behaviour). The lag window is the study's
(dt_max = 2 Delta_T = 80 ms) for every device. "State bits" is the long-term
state a synapse stores: log2(levels) plus the accumulator's bits (enough to
count the per-spike depression below one level step) for the
device, log2(3) and 1 for the tristate and bistable synapses, a double for the
continuous rules. Model: `nestml_models/synapses/stm_reram_synapse.nestml`.

![error versus device property](figures/reram_robustness.png)

"""


if __name__ == "__main__":
    sys.exit(main())
