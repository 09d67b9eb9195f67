# SPDX-License-Identifier: GPL-2.0-or-later
"""``seqnest cd-train`` and ``cd-eval``: dendritic coincidence detection with RRAM
delays and weights (DenRAM)."""
from __future__ import annotations

import argparse
import sys
import time

import seqnest
from seqnest.cli import common
from seqnest.cli.common import positive_int

__all__ = ["add_parsers"]


def _cmd_cd_train(args: argparse.Namespace) -> int:
    flags = {"training.epochs": args.epochs, "network.n_d": args.n_d,
             "training.sigma_train": args.train_noise,
             "network.delays": "none" if args.no_delays else None}
    config = seqnest.resolve_cd_config(args.task, set_options=args.set or [],
                                       params={k: v for k, v in flags.items() if v is not None})
    started = time.perf_counter()

    def show(row: dict) -> None:
        if not args.no_progress:
            print(f"epoch {row['epoch']:>3}: loss {row['loss']:.4f}, "
                  f"test accuracy {100 * row['test_accuracy']:.1f} %", file=sys.stderr,
                  flush=True)

    metrics = seqnest.cd_train(args.out, config=config, seed=args.seed, force=args.force,
                               data_dir=args.data, progress=show)
    print(f"{config.task}: {metrics['n_weights']} weights ({metrics['n_inputs']} inputs x "
          f"{metrics['n_outputs']} outputs x {metrics['n_d']} delays + biases); "
          f"test accuracy (trainer) {100 * metrics['test_accuracy']:.1f} % "
          f"(chance {100 * metrics['chance']:.0f} %) in {time.perf_counter() - started:.1f} s")
    print(f"run directory: {args.out}; next: seqnest cd-eval {args.out}")
    return 0


def _cmd_cd_eval(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    result = seqnest.cd_eval(args.run_dir, sigma=args.noise, trials=args.trials, seed=args.seed,
                             threads=args.threads, out=args.out, force=args.force,
                             set_options=args.set or [], module=common.module,
                             progress=not args.no_progress, check=args.check)
    lo, hi = result["ci95"]
    print(f"NEST inference, sigma {result['sigma']:g}: accuracy {100 * result['accuracy']:.1f} % "
          f"(95 % CI {100 * lo:.1f}-{100 * hi:.1f}, {result['decisions']} decisions in "
          f"{result['trials']} trials; chance {100 * result['chance']:.0f} %)")
    if "agreement" in result:
        a = result["agreement"]
        print(f"agreement with the trainer on {a['samples']} samples: max relative difference "
              f"{a['max_rel_diff']:.2e}, identical decisions: {a['argmax_identical']}")
    t = result["time"]
    print(f"simulated {result['trials']} trials in {t['simulate_s']:.1f} s "
          f"({t['trials_per_s']:.0f} trials/s; build {t['build_s']:.1f} s, input "
          f"{t['load_s']:.1f} s; total {time.perf_counter() - started:.1f} s)")
    return 0


def add_parsers(sub) -> None:
    """The coincidence detector's commands: cd-train, cd-eval."""
    p = sub.add_parser("cd-train", help="train a dendritic coincidence detector (DenRAM) "
                       "offline and write a run directory")
    p.add_argument("--task", required=True, choices=["mts-xor", "patterns", "shd"],
                   help="mts-xor and patterns are generated from the seed; shd reads --data")
    p.add_argument("--data", metavar="DIR", help="folder with shd_train.h5 and shd_test.h5")
    p.add_argument("--epochs", type=positive_int, help="training epochs (training.epochs)")
    p.add_argument("--n-d", type=positive_int, help="delays per input-output pair "
                   "(network.n_d; default 32 for mts-xor, 16 for the other tasks)")
    p.add_argument("--train-noise", type=float, metavar="SIGMA",
                   help="noise-aware training at this read noise (training.sigma_train)")
    p.add_argument("--no-delays", action="store_true",
                   help="control: every branch delayed by one step (network.delays=none)")
    p.add_argument("--seed", type=positive_int, default=1, help="seed of data, delays and "
                   "training (default 1)")
    p.add_argument("--set", action="append", metavar="GROUP.KEY=VALUE",
                   help="override a parameter: task.*, network.*, delays.*, rram.*, "
                        "training.* (repeatable), e.g. --set task.jitter=3")
    p.add_argument("--out", required=True, metavar="DIR", help="run directory to write")
    p.add_argument("--force", action="store_true", help="replace an existing run directory")
    p.add_argument("--no-progress", action="store_true", help="no per-epoch lines")
    p.set_defaults(func=_cmd_cd_train)

    p = sub.add_parser("cd-eval", help="run a trained coincidence detector in NEST with RRAM "
                       "devices and score it")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--noise", type=float, metavar="SIGMA",
                   help="RRAM read noise relative to max|w|, drawn per trial (default: the "
                        "run's rram.sigma, 0)")
    p.add_argument("--trials", type=positive_int, help="trials (test samples in order, "
                   "repeated if more; default one per test sample)")
    p.add_argument("--set", action="append", metavar="rram.KEY=VALUE",
                   help="device parameter: rram.levels, rram.on_off_ratio, rram.sigma_d2d")
    p.add_argument("--seed", type=positive_int, default=1, help="seed of device programming "
                   "and NEST (default 1)")
    p.add_argument("--threads", type=positive_int, default=1, help="NEST threads (default 1)")
    p.add_argument("--out", metavar="DIR", help="evaluation directory (default "
                   "RUN_DIR/eval/sigma<SIGMA>)")
    p.add_argument("--check", type=int, default=100, metavar="N",
                   help="without read noise, also run the first N samples through the "
                        "trainer's model and report the agreement (default 100; 0: no check)")
    p.add_argument("--force", action="store_true", help="replace an existing evaluation")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_cd_eval)
