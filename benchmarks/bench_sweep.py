#!/usr/bin/env python
"""Sweep throughput: runs per minute of the default scenario, this version beside the previous one.

    python benchmarks/bench_sweep.py                     # 4 delays x 25 replications, workers 1 and 2
    python benchmarks/bench_sweep.py --replications 10 --repeats 1 --no-previous

Two sweeps, each timed in a fresh process on this version and, right after, on the previous one
(`benchmarks/previous.py`: the commit the speed work starts from), so that every figure is a ratio
measured side by side on the same machine at the same time:

- the timing sweep: `sweep_plan(default, ["quick_fix"], {"brand.delay_hours": [0, 6, 24, 72]}, R,
  seed=1)`, 5 conditions (the 4 delays and the `ignore` baseline), with 1 and 2 workers, every
  per-run series kept (files written included);
- the screening sweep: 210 conditions (`spread.visibility` at 210 values) x 10 replications =
  2,100 runs, metrics only (`series="none"`), all cores: the size of a Morris screening of 20
  parameters with 10 trajectories and 10 replications.

The wall time is the whole `run_experiment` call (pool start-up, runs, writing runs/ and the
tables), median over repeats, each repeat into a fresh folder. The load average at start and end is
recorded: on a shared 2-core machine another job makes the figures meaningless. Writes
benchmarks/results/sweep.csv and sweep.json (machine).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from previous import PREVIOUS, code_root, env_for, previous_tree  # noqa: E402

sys.path.insert(0, str(code_root()))

DELAYS = [0, 6, 24, 72]
SCREENING = {"conditions": 210, "replications": 10}  # 2,100 runs: a Morris screening's size


def time_sweep(kind: str, workers: int, replications: int) -> tuple[float, int, int, int]:
    """(wall s, runs, conditions, failed runs) of one sweep in this process."""
    import numpy as np

    from simulation import load_scenario
    from simulation.experiments import run_experiment, sweep_plan
    from simulation.runner import run_replication

    base = load_scenario("default")
    run_replication(load_scenario("default", {"simulation.days": 1}), 1, 0)  # compiled kernels cached: not timed
    if kind == "timing":
        plan = sweep_plan(base, ["quick_fix"], {"brand.delay_hours": DELAYS}, replications, seed=1)
    else:
        values = [float(v) for v in np.round(np.linspace(0.05, 0.6, SCREENING["conditions"]), 6)]
        plan = sweep_plan(base, ["ignore"], {"spread.visibility": values}, replications, seed=1, series="none")
    runs = len(plan.conditions) * plan.replications
    with tempfile.TemporaryDirectory(prefix="buzzsim-sweep-") as tmp:
        t0 = time.perf_counter()
        out = run_experiment(plan, Path(tmp) / "exp", workers=workers, progress=False)
        wall = time.perf_counter() - t0
    return wall, runs, len(plan.conditions), int(out["failed"])


def timed_in(tree: Path, kind: str, workers: int, replications: int) -> tuple[float, int, int, int]:
    """`time_sweep` in a fresh process importing buzzsim from `tree`."""
    payload = json.dumps({"kind": kind, "workers": workers, "replications": replications})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", payload]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env_for(tree), cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return tuple(json.loads(line[7:]))
    raise RuntimeError((proc.stderr.strip().splitlines() or ["no output"])[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=25, help="replications per condition of the timing sweep")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per case and version (median)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the timing sweep, comma separated")
    ap.add_argument("--no-screening", dest="screening", action="store_false", help="skip the 2,100-run sweep")
    ap.add_argument(
        "--no-previous", dest="previous", action="store_false", help=f"skip the previous version ({PREVIOUS})"
    )
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        print("RESULT " + json.dumps(time_sweep(job["kind"], job["workers"], job["replications"])), flush=True)
        return 0

    from bench_scale import machine_info

    info = machine_info()
    load_start = os.getloadavg()
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, load {load_start[0]:.2f}")
    if load_start[0] > 0.5:
        print(f"warning: load average {load_start[0]:.2f}: other processes share the cores; figures are understated")
    tree = previous_tree() if args.previous else None
    versions = [("this", ROOT)] + ([("previous", tree)] if tree else [])
    cases = [("timing", int(w), args.replications) for w in args.workers.split(",")]
    if args.screening:
        cases.append(("screening", os.cpu_count() or 1, SCREENING["replications"]))
    rows = []
    for kind, w, reps in cases:
        for version, where in versions:
            walls, runs, failed, conditions = [], 0, 0, 0
            for _ in range(args.repeats):
                wall, runs, conditions, f = timed_in(where, kind, w, reps)
                walls.append(wall)
                failed += f
            med = statistics.median(walls)
            rows.append(
                {
                    "sweep": kind,
                    "version": version if version == "this" else f"previous ({PREVIOUS})",
                    "workers": w,
                    "conditions": conditions,
                    "replications": reps,
                    "runs": runs,
                    "repeats": args.repeats,
                    "wall_s": round(med, 3),
                    "runs_per_min": round(runs / med * 60, 1),
                    "best_wall_s": round(min(walls), 3),
                    "wall_s_each": " ".join(f"{x:.2f}" for x in walls),
                    "failed_runs": failed,
                }
            )
            print(
                f"{kind:<9} {rows[-1]['version']:<20} workers {w}: {runs:,} runs in {med:.2f} s "
                f"(median of {args.repeats}: {rows[-1]['wall_s_each']}) = {rows[-1]['runs_per_min']:,.0f} runs/min",
                flush=True,
            )
    this = {(r["sweep"], r["workers"]): r for r in rows if r["version"] == "this"}
    for r in rows:
        if r["version"] != "this":
            mine = this[(r["sweep"], r["workers"])]
            mine["ratio_to_previous"] = round(mine["runs_per_min"] / r["runs_per_min"], 2)
    targets = []
    one = this.get(("timing", 1))
    if one and "ratio_to_previous" in one:
        ok = one["ratio_to_previous"] >= 5
        targets.append(
            f"{'PASS' if ok else 'MISS'}  sweep throughput, 1 worker, >= 5x the previous version: "
            f"{one['ratio_to_previous']:.2f}x"
        )
    screen = next((r for r in rows if r["sweep"] == "screening" and r["version"] == "this"), None)
    if screen:
        ok = screen["wall_s"] <= 30
        targets.append(f"{'PASS' if ok else 'MISS'}  2,100 runs, metrics only, <= 30 s: {screen['wall_s']:.1f} s")
    if targets:
        print("\nTargets:\n  " + "\n  ".join(targets))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / "sweep.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=fields)
        wr.writeheader()
        wr.writerows(rows)
    (out / "sweep.json").write_text(
        json.dumps(
            {
                "machine": info,
                "command": " ".join(sys.argv),
                "previous": PREVIOUS if tree else None,
                "plans": {
                    "timing": {"base": "default", "strategies": ["quick_fix"], "vary": {"brand.delay_hours": DELAYS}},
                    "screening": {
                        "base": "default",
                        "strategies": ["ignore"],
                        "vary": "spread.visibility",
                        **SCREENING,
                    },
                },
                "load_average_start": load_start,
                "load_average_end": os.getloadavg(),
                "rows": rows,
                "targets": targets,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out / 'sweep.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
