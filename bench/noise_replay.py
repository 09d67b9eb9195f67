# SPDX-License-Identifier: GPL-2.0-or-later
"""Figures and figures-of-merit of the noise-replay study (Bouhadjar et al. 2023).

Reads the sweep directories written by::

    seqnest sweep specs/noise_replay_2branch.yaml --out runs/noise-2branch --workers 2
    seqnest sweep specs/noise_replay_3branch.yaml --out runs/noise-3branch --workers 2

and writes one figure per panel of the paper's main result (into ``--docs``/figures),
printing the numbers the study is judged by:

* ``noise_replay_probability.png``: replay probability of a branch against its
  training frequency, per noise condition (no noise: a step at 0.5, the
  max-probability strategy; matching: the diagonal);
* ``noise_replay_strategy.png``: matching distance, share of the most frequent
  branch and simultaneous + failed trials against the noise amplitude sigma,
  for shared (c = 1, c = 0.5) and uncorrelated noise;
* ``noise_replay_oscillation.png``: the same against the oscillation amplitude,
  one line per frequency;
* ``noise_replay_three_branches.png``: the 0.2 / 0.5 / 0.3 set under each kind;
* ``noise_replay_latency.png``: latencies from the cue to the branch head, 0.7 / 0.3;
* ``noise_replay_race.png`` (``--race DIR``, the sweep of
  ``specs/noise_replay_race.yaml``): without noise, the gap between the two heads'
  dAP volleys (C's mean onset latency minus B's) and between their first spikes,
  against the training frequency p of {A,F,B,D}, one line per network.

Run with ``--all`` to run both sweeps first (through ``seqnest sweep``).
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _float(x: str):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def read_rows(sweep: Path) -> list[dict]:
    rows = list(csv.DictReader((sweep / "replays.csv").open()))
    for r in rows:
        for k, v in list(r.items()):
            if k not in ("point", "condition", "noise.kind", "task.frequencies"):
                r[k] = _float(v)
        r["f1"] = r.get("branch1_frequency")
    return rows


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bad(r: dict) -> float:
    return (r["simultaneous"] or 0.0) + (r["failure"] or 0.0)


def _select(rows, kind, **noise):
    out = [r for r in rows if r["noise.kind"] == kind
           and all(r.get(f"noise.{k}") is not None and abs(r[f"noise.{k}"] - v) < 1e-9
                   for k, v in noise.items())]
    return sorted(out, key=lambda r: r["f1"])


def _mean_by(rows, key):
    groups = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    return {k: v for k, v in sorted(groups.items())}


def figure_probability(rows, out: Path, sigma_match: float) -> None:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    conds = [("no noise", "none", {}),
             (f"uncorrelated, sigma {sigma_match:g} pA", "uncorrelated", {"sigma": sigma_match}),
             (f"shared c = 1, sigma {sigma_match:g} pA", "shared", {"sigma": sigma_match, "c": 1}),
             ("oscillation 16 pA, 10 Hz", "oscillation", {"amplitude": 16, "frequency": 10})]
    f = np.linspace(0, 1, 101)
    for ax, key, label in ((axes[0], "branch1_probability", "P(replay A F B D)"),
                           (axes[1], "branch1_share", "share of A F B D among one-branch trials")):
        ax.plot(f, f, color="0.6", ls=":", label="matching")
        ax.plot(f, (f > 0.5).astype(float), color="0.6", ls="--", label="max-probability")
        for name, kind, noise in conds:
            sel = _select(rows, kind, **noise)
            if sel:
                ax.plot([r["f1"] for r in sel], [r[key] if r[key] is not None else np.nan
                                                 for r in sel], marker="o", label=name)
        ax.set_xlabel("training frequency of A F B D")
        ax.set_ylabel(label)
        ax.set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=7)
    _save(fig, out / "noise_replay_probability.png")


def _strategy_curve(rows, kind, sweep_key, **noise):
    """Per value of noise.<sweep_key>: mean TV distance, mean most-frequent share and
    mean simultaneous + failure rate over the networks."""
    out = []
    for value, group in _mean_by(_select(rows, kind, **noise), f"noise.{sweep_key}").items():
        informative = [r for r in group if abs(r["f1"] - 0.5) > 1e-9]
        tv = [r["matching_tv_distance"] for r in informative if r["matching_tv_distance"] is not None]
        most = [r["most_frequent_share"] or 0.0 for r in informative]
        out.append((value, float(np.mean(tv)) if tv else np.nan, float(np.mean(most)),
                    float(np.mean([_bad(r) for r in group]))))
    return out


def figure_strategy(rows, out: Path) -> dict:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    curves = {"shared c = 1": _strategy_curve(rows, "shared", "sigma", c=1),
              "shared c = 0.5": _strategy_curve(rows, "shared", "sigma", c=0.5),
              "uncorrelated": _strategy_curve(rows, "uncorrelated", "sigma")}
    none = _select(rows, "none")
    for name, curve in curves.items():
        if not curve:
            continue
        x = [c[0] for c in curve]
        for ax, i in zip(axes, (1, 2, 3)):
            ax.plot(x, [c[i] for c in curve], marker="o", label=name)
    if none:
        inf = [r for r in none if abs(r["f1"] - 0.5) > 1e-9]
        axes[1].axhline(np.mean([r["most_frequent_share"] or 0 for r in inf]), color="0.5",
                        ls="--", label="no noise")
    for ax, label in zip(axes, ("matching distance (TV, mean over networks)",
                                "most frequent branch (share of trials)",
                                "simultaneous + failed trials")):
        ax.set_xlabel("noise sigma (pA)")
        ax.set_ylabel(label)
    axes[1].legend(fontsize=8)
    _save(fig, out / "noise_replay_strategy.png")
    return curves


def figure_oscillation(rows, out: Path) -> dict:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    curves = {}
    for freq in sorted({r["noise.frequency"] for r in _select(rows, "oscillation")}):
        curve = _strategy_curve(rows, "oscillation", "amplitude", frequency=freq)
        curves[freq] = curve
        axes[0].plot([c[0] for c in curve], [c[2] for c in curve], marker="o",
                     label=f"{freq:g} Hz")
        axes[1].plot([c[0] for c in curve], [c[1] for c in curve], marker="o",
                     label=f"{freq:g} Hz")
    axes[0].set_ylabel("most frequent branch (share of trials)")
    axes[1].set_ylabel("matching distance (TV)")
    for ax in axes:
        ax.set_xlabel("oscillation amplitude (pA)")
        ax.legend(fontsize=8)
    _save(fig, out / "noise_replay_oscillation.png")
    return curves


def figure_three(rows3, out: Path, sigma_match: float) -> list:
    import matplotlib.pyplot as plt
    conds = [("none", {}), ("uncorrelated", {"sigma": sigma_match}),
             ("shared", {"sigma": sigma_match, "c": 1})]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    table = []
    width = 0.2
    base = None
    for j, (kind, noise) in enumerate(conds):
        sel = _select(rows3, kind, **noise)
        if not sel:
            continue
        r = sel[0]
        n = sum(1 for k in r if k.startswith("branch") and k.endswith("_frequency"))
        base = [r[f"branch{k}_frequency"] for k in range(1, n + 1)]
        probs = [r[f"branch{k}_probability"] for k in range(1, n + 1)]
        ax.bar(np.arange(n) + (j + 1) * width, probs, width, label=kind)
        table.append((kind, probs, r["simultaneous"], r["failure"], r["matching_tv_distance"]))
    if base is not None:
        ax.bar(np.arange(len(base)), base, width, color="0.7", label="training")
        ax.set_xticks(np.arange(len(base)) + 1.5 * width, ["A F B D", "A F C E", "A F G H"][
            :len(base)])
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    _save(fig, out / "noise_replay_three_branches.png")
    return table


def figure_latency(sweep2: Path, rows, out: Path, sigma_match: float) -> None:
    import matplotlib.pyplot as plt

    from seqnest.sequences.temporal_memory.figures import latency_distributions
    sel = [r for r in _select(rows, "shared", sigma=sigma_match, c=1) if abs(r["f1"] - 0.7) < 1e-9]
    if not sel:
        return
    stats = json.loads((sweep2 / sel[0]["point"] / "replays" / sel[0]["condition"] /
                        "branches.json").read_text())
    fig, ax = plt.subplots(figsize=(6, 3.6))
    latency_distributions(ax, stats)
    ax.set_title(f"0.7 / 0.3, {stats['noise_description']}", fontsize=9)
    _save(fig, out / "noise_replay_latency.png")


def race_table(rows) -> dict[float, list[dict]]:
    """Per training frequency p of branch 1: one entry per network (its seed; no-noise
    condition) with its heads' dAP gap (branch 2 minus branch 1, ms), first-spike gap, dAP volley
    sizes and the share of trials that replayed branch 1, decided by whole sequences and by
    heads alone (``*_by_head``; None in sweeps older than the two decisions)."""
    out = defaultdict(list)
    for r in _select(rows, "none"):
        d1, d2 = r.get("branch1_dap_latency_ms"), r.get("branch2_dap_latency_ms")
        g1, g2 = r.get("branch1_first_spike_gap_ms"), r.get("branch2_first_spike_gap_ms")
        # first-spike gaps are relative to the most frequent head: back to 2 minus 1
        spike_gap = None if g1 is None or g2 is None else g2 - g1
        out[r["f1"]].append({"network": r.get("run.seed"),
                             "dap_gap": None if d1 is None or d2 is None else d2 - d1,
                             "spike_gap": spike_gap,
                             "n1": r.get("branch1_dap_neurons"), "n2": r.get("branch2_dap_neurons"),
                             "p_branch1": r["branch1_probability"],
                             "simultaneous": r["simultaneous"], "failure": r["failure"],
                             "p_branch1_by_head": r.get("branch1_by_head"),
                             "bad_by_head": (None if r.get("simultaneous_by_head") is None
                                             else r["simultaneous_by_head"]
                                             + r["failure_by_head"])})
    return dict(sorted(out.items()))


def figure_race(table: dict, out: Path) -> None:
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ps = list(table)
    nets = sorted({e["network"] for es in table.values() for e in es})
    for ax, key, label in ((axes[0], "dap_gap", "dAP onset gap C - B (ms)"),
                           (axes[1], "spike_gap", "first-spike gap C - B (ms)")):
        for net in nets:
            ys = [next((e[key] for e in table[p] if e["network"] == net), None) for p in ps]
            ax.plot(ps, [np.nan if y is None else y for y in ys], color="0.7", lw=0.8)
        mean = [np.mean(v) if (v := [e[key] for e in table[p] if e[key] is not None])
                else np.nan for p in ps]
        ax.plot(ps, mean, color="k", marker="o", label="mean over networks")
        for p, m in zip(ps, mean):
            if np.isnan(m):               # the rarer head got no dAP (or spike) at all
                ax.annotate("rare head\nsilent", (p, 0), ha="center", va="center", fontsize=7,
                            color="tab:red")
        ax.axhline(0, color="0.5", ls=":")
        ax.axvline(0.5, color="0.5", ls=":")
        ax.set_xlim(min(ps) - 0.05, max(ps) + 0.05)
        ax.set_xlabel("training frequency p of A F B D")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    _save(fig, out / "noise_replay_race.png")


def print_race(table: dict) -> None:
    print("race without noise: per p, gap of C's dAP volley behind B's (ms, mean +- s.d. over "
          "networks, each network's value; '-': a head without dAPs), first-spike gap, dAP "
          "volley sizes B / C, P(A F B D), simultaneous + failure (trials decided by whole "
          "sequences; in brackets by heads alone)")

    def ms(values, sign="+"):
        v = np.asarray([x for x in values if x is not None], dtype=float)
        sd = v.std(ddof=1) if v.size > 1 else 0.0
        return f"{v.mean():{sign}.2f} +- {sd:.2f}" if v.size else "-"

    def by_head(values):
        return "" if any(v is None for v in values) else f" [{np.mean(values):.2f}]"

    for p, es in table.items():
        each = ", ".join("-" if e["dap_gap"] is None else f"{e['dap_gap']:+.2f}" for e in es)
        print(f"  p {p:.1f}: dAP gap {ms([e['dap_gap'] for e in es])} ({each}); "
              f"spike gap {ms([e['spike_gap'] for e in es])}; "
              f"volleys {ms([e['n1'] for e in es], '')} / {ms([e['n2'] for e in es], '')}; "
              f"P(B) {np.mean([e['p_branch1'] for e in es]):.2f}"
              f"{by_head([e['p_branch1_by_head'] for e in es])}; "
              f"bad {np.mean([e['simultaneous'] + e['failure'] for e in es]):.2f}"
              f"{by_head([e['bad_by_head'] for e in es])}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep2", type=Path, nargs="?",
                        help="sweep directory of the two-branch spec")
    parser.add_argument("sweep3", type=Path, nargs="?", help="sweep directory of the three-branch spec")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--all", action="store_true", help="run the sweeps first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--race", type=Path, metavar="DIR",
                        help="sweep directory of specs/noise_replay_race.yaml")
    args = parser.parse_args(argv)
    if args.sweep2 is None and args.race is None:
        parser.error("give a two-branch sweep directory, --race DIR, or both")
    if args.all:
        for spec, folder in (("noise_replay_2branch", args.sweep2),
                             ("noise_replay_3branch", args.sweep3),
                             ("noise_replay_race", args.race)):
            if folder is not None:
                subprocess.run([sys.executable, "-m", "seqnest", "sweep",
                                str(ROOT / "specs" / f"{spec}.yaml"), "--out", str(folder),
                                "--workers", str(args.workers), "--no-progress"], check=True)
    import matplotlib
    matplotlib.use("Agg")
    out = args.docs / "figures"
    out.mkdir(parents=True, exist_ok=True)
    if args.race is not None:
        table = race_table(read_rows(args.race))
        figure_race(table, out)
        print_race(table)
    if args.sweep2 is None:
        print(f"figures in {out}")
        return 0
    rows = read_rows(args.sweep2)
    curves = figure_strategy(rows, out)
    shared = [c for c in curves["shared c = 1"] if not np.isnan(c[1])]
    sigma_match = min(shared, key=lambda c: c[1])[0] if shared else 15.0
    figure_probability(rows, out, sigma_match)
    osc = figure_oscillation(rows, out)
    figure_latency(args.sweep2, rows, out, sigma_match)

    print(f"two branches ({len({r['point'] for r in rows})} networks, "
          f"{int(rows[0]['trials'])} trials per condition)")
    print("\n| condition | f1 | P(B) | P(C) | simultaneous | failure | TV |")
    print("|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["condition"], r["f1"])):
        print(f"| {r['condition']} | {r['f1']:.1f} | {r['branch1_probability']:.2f} | "
              f"{r['branch2_probability']:.2f} | {r['simultaneous']:.2f} | {r['failure']:.2f} | "
              + (f"{r['matching_tv_distance']:.3f} |" if r['matching_tv_distance'] is not None
                 else "- |"))
    print("\nstrategy against sigma (mean over networks with f1 != 0.5): sigma, TV, most-frequent "
          "share, simultaneous + failure")
    for name, curve in curves.items():
        for c in curve:
            print(f"  {name:15} {c[0]:5g}  {c[1]:.3f}  {c[2]:.2f}  {c[3]:.2f}")
    print(f"shared noise matches best at sigma = {sigma_match:g} pA")
    for freq, curve in osc.items():
        print(f"  oscillation {freq:g} Hz: " + ", ".join(
            f"{c[0]:g} pA -> most {c[2]:.2f}, TV {c[1]:.3f}" for c in curve))
    if args.sweep3 is not None and (args.sweep3 / "replays.csv").is_file():
        table = figure_three(read_rows(args.sweep3), out, sigma_match)
        print("three branches (0.2 / 0.5 / 0.3):")
        for kind, probs, sim, fail, tv in table:
            print(f"  {kind:13} " + " / ".join(f"{p:.2f}" for p in probs)
                  + f"  simultaneous {sim:.2f}, failure {fail:.2f}, TV "
                  + (f"{tv:.3f}" if tv is not None else "-"))
    print(f"figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
