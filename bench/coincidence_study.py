# SPDX-License-Identifier: GPL-2.0-or-later
"""The DenRAM study: accuracy in NEST against RRAM noise, delays per pair, delay
spread, and the no-delay control; pattern accuracy against jitter.

    python bench/coincidence_study.py --out runs/cd-study [--seeds 1 2 3] [--threads 2]
        [--parts noise,aware,robust,n_d,spread,patterns]

Every point trains with :func:`seqnest.sequences.coincidence.experiment.cd_train` and is
scored in NEST with :func:`~seqnest.sequences.coincidence.experiment.cd_eval` (the code
paths of ``seqnest cd-train`` and ``seqnest cd-eval``); run directories are
kept under --out (existing ones are reused). Prints tables, writes
``--out/study.json`` and the figures docs/figures/cd_*.png.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqnest.sequences.coincidence.config import resolve_cd_config  # noqa: E402
from seqnest.sequences.coincidence.experiment import cd_eval, cd_train  # noqa: E402

SIGMAS = (0.0, 0.05, 0.10, 0.15, 0.20)
N_DS = (1, 4, 16, 32)
SPREADS = (0.25, 0.5, 1.0, 1.5)
JITTERS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)


def _train(out: Path, task: str, seed: int, sets: dict) -> dict:
    if (out / "metrics.json").is_file():
        return json.loads((out / "metrics.json").read_text())
    return cd_train(resolve_cd_config(task, sets), seed, out)


def _eval(run: Path, sigma: float, threads: int, trials: int | None = None) -> dict:
    path = run / "eval" / f"sigma{sigma:g}" / "eval.json"
    if path.is_file():
        return json.loads(path.read_text())
    return cd_eval(run, sigma=sigma, trials=trials, seed=7, threads=threads)


def noise_part(out: Path, seeds, threads: int) -> list[dict]:
    rows = []
    for delays in ("rram", "none"):
        for seed in seeds:
            run = out / f"mts-xor_{delays}_seed{seed}"
            m = _train(run, "mts-xor", seed, {"network.delays": delays})
            for sigma in SIGMAS if delays == "rram" else (0.0,):
                e = _eval(run, sigma, threads)
                rows.append({"delays": delays, "seed": seed, "sigma": sigma,
                             "n_weights": m["n_weights"], "trainer": m["test_accuracy"],
                             "nest": e["accuracy"], "ci95": e["ci95"],
                             "agreement": e.get("agreement", {}).get("max_rel_diff"),
                             "trials_per_s": e["time"]["trials_per_s"]})
                print(f"  mts-xor delays={delays:<4} seed {seed} sigma {sigma:.2f}: "
                      f"NEST {100 * e['accuracy']:.1f} % (trainer {100 * m['test_accuracy']:.1f} %,"
                      f" {m['n_weights']} weights)", flush=True)
    return rows


def noise_aware_part(out: Path, seeds, threads: int, sigma_train: float = 0.1,
                     w_max: float = 0.0) -> list[dict]:
    rows = []
    for seed in seeds:
        clip = f"_wmax{w_max:g}" if w_max else ""
        run = out / f"mts-xor_aware{sigma_train:g}{clip}_seed{seed}"
        _train(run, "mts-xor", seed, {"training.sigma_train": sigma_train,
                                      "training.w_max": w_max})
        for sigma in SIGMAS:
            e = _eval(run, sigma, threads)
            rows.append({"sigma_train": sigma_train, "w_max": w_max, "seed": seed,
                         "sigma": sigma, "nest": e["accuracy"], "ci95": e["ci95"]})
            print(f"  mts-xor noise-aware ({sigma_train:g}, w_max {w_max:g}) seed {seed} "
                  f"sigma {sigma:.2f}: "
                  f"NEST {100 * e['accuracy']:.1f} %", flush=True)
    return rows


def n_d_part(out: Path, threads: int) -> list[dict]:
    rows = []
    for n_d in N_DS:
        for delays in ("rram", "none"):
            run = out / f"mts-xor_nd{n_d}_{delays}"
            m = _train(run, "mts-xor", 1, {"network.n_d": n_d, "network.delays": delays})
            e = _eval(run, 0.0, threads)
            rows.append({"n_d": n_d, "delays": delays, "n_weights": m["n_weights"],
                         "nest": e["accuracy"], "ci95": e["ci95"]})
            print(f"  mts-xor n_d {n_d:>2} delays={delays:<4}: NEST {100 * e['accuracy']:.1f} % "
                  f"({m['n_weights']} weights)", flush=True)
    return rows


def spread_part(out: Path, threads: int) -> list[dict]:
    rows = []
    for s in SPREADS:
        run = out / f"mts-xor_spread{s:g}"
        m = _train(run, "mts-xor", 1, {"delays.sigma_ln": s})
        e = _eval(run, 0.0, threads)
        rows.append({"sigma_ln": s, "nest": e["accuracy"], "ci95": e["ci95"],
                     "delays_ms": m["delays_ms"]})
        print(f"  mts-xor sigma_ln {s:.2f}: NEST {100 * e['accuracy']:.1f} % (delays "
              f"{m['delays_ms']['min']:.0f}-{m['delays_ms']['max']:.0f} ms, "
              f"{m['delays_ms']['at_cap']} at the cap)", flush=True)
    return rows


def patterns_part(out: Path, seeds, threads: int) -> list[dict]:
    rows = []
    for jitter in JITTERS:
        for delays in ("rram", "none"):
            for seed in seeds:
                run = out / f"patterns_j{jitter:g}_{delays}_seed{seed}"
                m = _train(run, "patterns", seed, {"task.jitter": jitter,
                                                   "network.delays": delays})
                e = _eval(run, 0.0, threads)
                rows.append({"jitter": jitter, "delays": delays, "seed": seed,
                             "nest": e["accuracy"], "n_weights": m["n_weights"]})
                print(f"  patterns jitter {jitter:g} ms delays={delays:<4} seed {seed}: NEST "
                      f"{100 * e['accuracy']:.1f} %", flush=True)
    return rows


def _figures(study: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figdir = ROOT / "docs" / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    if study.get("noise"):
        rows = [r for r in study["noise"] if r["delays"] == "rram"]
        fig, ax = plt.subplots(figsize=(5.6, 4.6), constrained_layout=True)
        sig = sorted({r["sigma"] for r in rows})
        acc = [[100 * r["nest"] for r in rows if r["sigma"] == s] for s in sig]
        ax.errorbar(np.array(sig) * 100, [np.mean(a) for a in acc],
                    yerr=[np.std(a) for a in acc], fmt="o-", capsize=3, label="MTS-XOR (ours)")
        for key, color, label in (("aware", "C1", "noise-aware training (0.1)"),
                                  ("robust", "C2", "noise-aware (0.1), |w| <= 5 s.d.")):
            extra = study.get(key) or []
            if extra:
                acc = [[100 * r["nest"] for r in extra if r["sigma"] == s] for s in sig]
                ax.errorbar(np.array(sig) * 100, [np.mean(a) for a in acc],
                            yerr=[np.std(a) for a in acc], fmt="o-", capsize=3, color=color,
                            label=f"MTS-XOR, {label}")
        ctrl = [100 * r["nest"] for r in study["noise"] if r["delays"] == "none"]
        ax.axhline(np.mean(ctrl), color="C3", ls=":", label="no delays, same weights")
        # the published end points only (REFERENCE.md section 5): sigma 0 and 20 %
        ax.plot([0, 20], [90.1, 78.4], "s--", color="0.5", label="SHD 700 inputs (paper repo)")
        ax.plot([0, 20], [86.7, 71.9], "^--", color="0.7", label="SHD 256 inputs (paper repo)")
        ax.axhline(50, color="0.7", lw=0.8)
        ax.set(xlabel="RRAM read noise sigma (% of max|w|)", ylabel="accuracy (%)")
        ax.legend(frameon=False, fontsize=7, ncol=2, loc="upper center",
                  bbox_to_anchor=(0.5, -0.16))
        fig.savefig(figdir / "cd_noise.png", dpi=110)
        plt.close(fig)
    if study.get("patterns"):
        rows = study["patterns"]
        fig, ax = plt.subplots(figsize=(4.8, 3.4), constrained_layout=True)
        for delays, style in (("rram", "o-"), ("none", "s--")):
            js = sorted({r["jitter"] for r in rows})
            ax.plot(js, [100 * np.mean([r["nest"] for r in rows if r["jitter"] == j
                                        and r["delays"] == delays]) for j in js], style,
                    label="RRAM delays" if delays == "rram" else "no delays (same weights)")
        ax.set(xlabel="spike-time jitter (ms)", ylabel="accuracy in NEST (%)",
               title="10 frozen patterns, 20 channels")
        ax.legend(frameon=False)
        fig.savefig(figdir / "cd_patterns.png", dpi=110)
        plt.close(fig)


def _mean_sd(values) -> str:
    v = 100 * np.asarray(values, dtype=float)
    return f"{v.mean():.1f} ± {v.std():.1f}" if v.size > 1 else f"{v.mean():.1f}"


def tables(study: dict) -> str:
    """Markdown tables of every part present in ``study``."""
    out = []
    rows = study.get("noise") or []
    if rows:
        aware = study.get("aware") or []
        robust = study.get("robust") or []
        out += ["| sigma | MTS-XOR, NEST (%, 3 seeds) | noise-aware training (0.1) | "
                "noise-aware (0.1), \\|w\\| <= 5 s.d. | no delays, same weights |",
                "|---|---|---|---|---|"]
        for sig in sorted({r["sigma"] for r in rows}):
            a = [r["nest"] for r in rows if r["delays"] == "rram" and r["sigma"] == sig]
            b = [r["nest"] for r in aware if r["sigma"] == sig]
            c = [r["nest"] for r in rows if r["delays"] == "none" and r["sigma"] == sig]
            d = [r["nest"] for r in robust if r["sigma"] == sig]
            out.append(f"| {100 * sig:.0f} % | {_mean_sd(a)} | {_mean_sd(b) if b else ''} | "
                       f"{_mean_sd(d) if d else ''} | {_mean_sd(c) if c else ''} |")
        out.append("")
    rows = study.get("n_d") or []
    if rows:
        out += ["| n_d | weights | RRAM delays (%) | no delays (%) |", "|---|---|---|---|"]
        for n_d in sorted({r["n_d"] for r in rows}):
            a = [r for r in rows if r["n_d"] == n_d and r["delays"] == "rram"]
            b = [r for r in rows if r["n_d"] == n_d and r["delays"] == "none"]
            out.append(f"| {n_d} | {a[0]['n_weights'] if a else ''} | "
                       f"{_mean_sd([r['nest'] for r in a]) if a else ''} | "
                       f"{_mean_sd([r['nest'] for r in b]) if b else ''} |")
        out.append("")
    rows = study.get("spread") or []
    if rows:
        out += ["| sigma_ln | delays (ms): min-median-max, at cap | accuracy (%) |",
                "|---|---|---|"]
        for r in rows:
            d = r["delays_ms"]
            out.append(f"| {r['sigma_ln']:g} | {d['min']:.0f}-{d['median']:.0f}-{d['max']:.0f}, "
                       f"{d['at_cap']} | {100 * r['nest']:.1f} |")
        out.append("")
    rows = study.get("patterns") or []
    if rows:
        out += ["| jitter (ms) | RRAM delays (%, 3 seeds) | no delays (%) | difference |",
                "|---|---|---|---|"]
        for j in sorted({r["jitter"] for r in rows}):
            a = [r["nest"] for r in rows if r["jitter"] == j and r["delays"] == "rram"]
            b = [r["nest"] for r in rows if r["jitter"] == j and r["delays"] == "none"]
            out.append(f"| {j:g} | {_mean_sd(a)} | {_mean_sd(b)} | "
                       f"{100 * (np.mean(a) - np.mean(b)):+.1f} |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/cd-study")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parts", default="noise,aware,robust,n_d,spread,patterns")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    study_file = out / "study.json"
    study = json.loads(study_file.read_text()) if study_file.is_file() else {}
    started = time.perf_counter()
    parts = args.parts.split(",")
    if "noise" in parts:
        print("MTS-XOR: accuracy vs RRAM read noise, and the no-delay control")
        study["noise"] = noise_part(out, args.seeds, args.threads)
    if "aware" in parts:
        print("MTS-XOR: noise-aware training (sigma_train 0.1) vs read noise")
        study["aware"] = noise_aware_part(out, args.seeds, args.threads)
    if "robust" in parts:
        print("MTS-XOR: noise-aware training (0.1) with |w| <= 5 initial s.d. vs read noise")
        study["robust"] = noise_aware_part(out, args.seeds, args.threads, 0.1, 5.0)
    if "n_d" in parts:
        print("MTS-XOR: delays per pair")
        study["n_d"] = n_d_part(out, args.threads)
    if "spread" in parts:
        print("MTS-XOR: delay spread")
        study["spread"] = spread_part(out, args.threads)
    if "patterns" in parts:
        print("patterns: accuracy vs jitter")
        study["patterns"] = patterns_part(out, args.seeds, args.threads)
    study_file.write_text(json.dumps(study, indent=1))
    _figures(study)
    text = tables(study)
    (out / "study.md").write_text(text)
    print(text)
    print(f"study written to {study_file} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
