# SPDX-License-Identifier: GPL-2.0-or-later
"""Speed of a spatio-temporal-pattern run against a floor of NEST built-in models.

    python bench/pattern_speed.py [--iterations 20] [--threads 2] [--task s3] [--set G.K=V ...]

Runs :func:`seqnest.sequences.pattern_sequences.learn.train_patterns`, the code path of
``seqnest learn --inputs spatial`` (stream, network, both phases, the dAP
readout at every last element, recorders, metrics), once with this package's
models and once with the floor: the same network, inputs, devices, recorders
and readout schedule built from NEST's built-in models only
(``iaf_psc_exp_multisynapse`` E neurons, static E->E synapses, reading V_m
where the plugin reads the dAP state). Prints simulate, readout and wall
seconds per iteration and the ratio; one run at a time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--task", default="s3")
    parser.add_argument("--inputs", default="spatial")
    parser.add_argument("--set", action="append", default=[], metavar="GROUP.KEY=VALUE")
    args = parser.parse_args(argv)

    from seqnest.pynest_ext.buildcache import provide
    from seqnest import resolve_pattern_config
    from seqnest.sequences.pattern_sequences.learn import train_patterns

    config = resolve_pattern_config(args.inputs, args.task, set_options=args.set,
                                    iterations=args.iterations, threads=args.threads)
    module = provide(None)
    rows = {}
    for label, floor in (("plugin", False), ("floor", True)):
        m = train_patterns(config, module=module, progress=False, floor=floor).metrics
        rows[label] = m
        n = m["iterations"]
        print(f"{label:>6}: simulate {m['simulate_time_s']:.1f} s ({m['simulate_time_s'] / n:.2f} "
              f"s/iteration), readout {m['readout_time_s']:.1f} s, wall {m['wall_time_s']:.1f} s, "
              f"peak {m['peak_rss_mb']:.0f} MB", flush=True)
    p, f = rows["plugin"], rows["floor"]
    n = p["iterations"]
    projected = p["wall_time_s"] + (200 - n) * (p["simulate_time_s"] + p["readout_time_s"]) / n
    print(f"{config.task} {config.coding}, {config.protocol.iterations} iterations, "
          f"{args.threads} threads: plugin / floor simulate {p['simulate_time_s'] / f['simulate_time_s']:.2f}, "
          f"wall {p['wall_time_s'] / f['wall_time_s']:.2f}; a 200-iteration run at this rate: "
          f"about {projected:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
