#!/usr/bin/env python
"""Sweep throughput: runs per minute of the default scenario through `simulation.experiments`.

    python benchmarks/bench_sweep.py                     # 4 delays x 25 replications, workers 1 and 2
    python benchmarks/bench_sweep.py --replications 10 --repeats 1

The plan is `sweep_plan(default, ["quick_fix"], {"brand.delay_hours": [0, 6, 24, 72]}, R, seed=1)`,
run by `run_experiment(plan, tmpdir, workers=W, progress=False)`; the wall time is
the whole call (pool start-up, runs, writing runs/ and the aggregate CSVs), median over repeats,
each repeat into a fresh folder. The sweep has 5 conditions: the 4 delays and the `ignore` baseline
that `sweep_plan` adds. The load average at start and end is recorded: on a shared 2-core machine
another job running makes the 2-worker figure meaningless. Writes benchmarks/results/sweep.csv and sweep.json (machine).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DELAYS = [0, 6, 24, 72]


def time_sweep(workers: int, replications: int) -> tuple[float, int, int, int]:
    from simulation import load_scenario
    from simulation.experiments import run_experiment, sweep_plan

    plan = sweep_plan(load_scenario("default"), ["quick_fix"], {"brand.delay_hours": DELAYS}, replications, seed=1)
    runs = len(plan.conditions) * plan.replications
    with tempfile.TemporaryDirectory(prefix="buzzsim-sweep-") as tmp:
        t0 = time.perf_counter()
        out = run_experiment(plan, Path(tmp) / "exp", workers=workers, progress=False)
        wall = time.perf_counter() - t0
    return wall, runs, len(plan.conditions), int(out["failed"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=25, help="replications per condition (4 conditions)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per worker count (median)")
    ap.add_argument("--workers", default="1,2", help="worker counts, comma separated")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_scale import machine_info

    info = machine_info()
    load_start = os.getloadavg()
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, load {load_start[0]:.2f}")
    if load_start[0] > 0.5:
        print(
            f"warning: load average {load_start[0]:.2f}: other processes share the cores; the 2-worker "
            "figure will be understated"
        )
    rows = []
    for w in [int(x) for x in args.workers.split(",")]:
        walls, runs, failed = [], 0, 0
        for _ in range(args.repeats):
            wall, runs, conditions, f = time_sweep(w, args.replications)
            walls.append(wall)
            failed += f
        med = statistics.median(walls)
        rows.append(
            {
                "workers": w,
                "conditions": conditions,
                "replications": args.replications,
                "runs": runs,
                "repeats": args.repeats,
                "wall_s": round(med, 3),
                "runs_per_min": round(runs / med * 60, 1),
                "best_wall_s": round(min(walls), 3),
                "runs_per_min_best": round(runs / min(walls) * 60, 1),
                "wall_s_each": " ".join(f"{x:.2f}" for x in walls),
                "failed_runs": failed,
            }
        )
        print(
            f"workers {w}: {runs} runs in {med:.2f} s (median of {args.repeats}: "
            f"{rows[-1]['wall_s_each']}) = {rows[-1]['runs_per_min']:.0f} runs/min "
            f"(best {rows[-1]['runs_per_min_best']:.0f})",
            flush=True,
        )
    base = rows[0]["runs_per_min"]
    best = rows[0]["runs_per_min_best"]
    for r in rows:
        r["ratio_to_first"] = round(r["runs_per_min"] / base, 2)
        r["ratio_to_first_best"] = round(r["runs_per_min_best"] / best, 2)
    if len(rows) > 1:
        print(
            f"ratio {rows[-1]['workers']} workers / {rows[0]['workers']} worker: {rows[-1]['ratio_to_first']:.2f} "
            f"(medians), {rows[-1]['ratio_to_first_best']:.2f} (best repeats)"
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "sweep.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    (out / "sweep.json").write_text(
        json.dumps(
            {
                "machine": info,
                "command": " ".join(sys.argv),
                "plan": {
                    "base": "default",
                    "strategies": ["quick_fix"],
                    "vary": {"brand.delay_hours": DELAYS},
                    "replications": args.replications,
                    "seed": 1,
                },
                "load_average_start": load_start,
                "load_average_end": os.getloadavg(),
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out / 'sweep.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
