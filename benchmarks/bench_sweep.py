#!/usr/bin/env python
"""Sweep throughput: runs per minute of the default scenario, this version beside the previous one.

    python benchmarks/bench_sweep.py                     # 4 delays x 25 replications, workers 1 and 2
    python benchmarks/bench_sweep.py --replications 10 --repeats 1 --no-previous

Two sweeps and the command line, each timed in a fresh process on this version and, right after
it in every repeat, on the previous one (`benchmarks/previous.py`: the commit the speed work starts
from), so that every figure is a ratio measured side by side on the same machine at the same time:

- the timing sweep: `sweep_plan(default, ["quick_fix"], {"brand.delay_hours": [0, 6, 24, 72]}, R,
  seed=1)`, 5 conditions (the 4 delays and the `ignore` baseline), with 1 and 2 workers, every
  per-run series kept (files written included);
- the screening sweep: 210 conditions (`spread.visibility` at 210 values) x 10 replications =
  2,100 runs, metrics only (`series="none"`), all cores: the size of a Morris screening of 20
  parameters with 10 trajectories and 10 replications;
- `python run.py run scenarios/default.toml` end to end, warm (the second of two calls): imports,
  5 replications, the files and the figures; PNG and PDF (`--pdf` on this version; the previous one
  always wrote both), and PNG only (this version's default).

The wall time is the whole `run_experiment` call (pool start-up, runs, writing runs/ and the
tables), or the whole command, each repeat into a fresh folder; the table gives the best of the
repeats (the least disturbed by other jobs) and all of them. The load average at start and end is
recorded: on a shared 2-core machine another job inflates every figure. Writes
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


def row(kind, version, workers, replications, walls, runs, conditions, failed, repeats) -> dict:
    """One line of the table: the best (least disturbed) wall time of the repeats, and all of them."""
    best = min(walls)
    return {
        "sweep": kind,
        "version": version if version == "this" else f"previous ({PREVIOUS})",
        "workers": workers,
        "conditions": conditions,
        "replications": replications,
        "runs": runs,
        "repeats": repeats,
        "wall_s": round(best, 3),
        "runs_per_min": round(runs / best * 60, 1),
        "median_wall_s": round(statistics.median(walls), 3),
        "wall_s_each": " ".join(f"{x:.2f}" for x in walls),
        "failed_runs": failed,
    }


def time_cli(tree: Path, options: list[str]) -> float:
    """Wall time of `python run.py run scenarios/default.toml [options]` (5 replications, files and figures), warm.

    A first, untimed call loads the compiled kernels into numba's cache and the files into the OS's.
    `options`: ["--pdf"] for PNG and PDF figures on this version (PNG only without it); the previous
    version has no such option and always wrote PNG and PDF.
    """
    script = "import sys; from simulation.cli import main; sys.exit(main(sys.argv[1:]))"
    with tempfile.TemporaryDirectory(prefix="buzzsim-cli-") as tmp:
        walls = []
        for k in range(2):
            default = str(tree / "scenarios" / "default.toml")
            cmd = [sys.executable, "-c", script, "run", default, *options, "--out", f"{tmp}/{k}"]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env_for(tree), cwd=tmp)
            walls.append(time.perf_counter() - t0)
            if proc.returncode:
                raise RuntimeError((proc.stderr.strip().splitlines() or ["no output"])[-1])
    return walls[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=25, help="replications per condition of the timing sweep")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per case and version (median)")
    ap.add_argument("--workers", default="1,2", help="worker counts of the timing sweep, comma separated")
    ap.add_argument("--no-screening", dest="screening", action="store_false", help="skip the 2,100-run sweep")
    ap.add_argument("--no-cli", dest="cli", action="store_false", help="skip timing `python run.py` end to end")
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
        walls: dict[str, list[float]] = {v: [] for v, _ in versions}
        info_of: dict[str, tuple[int, int, int]] = {}
        for _ in range(args.repeats):  # the versions side by side in every repeat
            for version, where in versions:
                wall, runs, conditions, f = timed_in(where, kind, w, reps)
                walls[version].append(wall)
                done = info_of.get(version, (0, 0, 0))
                info_of[version] = (runs, conditions, done[2] + f)
        for version, _ in versions:
            rows.append(row(kind, version, w, reps, walls[version], *info_of[version], args.repeats))
            r = rows[-1]
            print(
                f"{kind:<9} {r['version']:<20} workers {w}: {r['runs']:,} runs in {r['wall_s']:.2f} s "
                f"(best of {args.repeats}: {r['wall_s_each']}) = {r['runs_per_min']:,.0f} runs/min",
                flush=True,
            )
    if args.cli:
        for label, formats in (("run.py, figures PNG+PDF", "png,pdf"), ("run.py, figures PNG", "png")):
            walls = {v: [] for v, _ in versions}
            for _ in range(args.repeats):
                for version, where in versions:
                    if version == "previous" and formats == "png":
                        continue  # the previous version always wrote both
                    pdf = formats == "png,pdf" and version != "previous"  # the previous one wrote PDFs unasked
                    walls[version].append(time_cli(where, ["--pdf"] if pdf else []))
            for version, _ in versions:
                if walls[version]:
                    rows.append(row(label, version, 1, 5, walls[version], 5, 1, 0, args.repeats))
                    print(
                        f"{label:<24} {rows[-1]['version']:<20} {rows[-1]['wall_s']:.2f} s (best of "
                        f"{args.repeats}: {rows[-1]['wall_s_each']})",
                        flush=True,
                    )
    this = {(r["sweep"], r["workers"]): r for r in rows if r["version"] == "this"}
    for r in rows:
        if r["version"] != "this" and (r["sweep"], r["workers"]) in this:
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
    prev_cli = next((r for r in rows if r["sweep"] == "run.py, figures PNG+PDF" and r["version"] != "this"), None)
    for label in ("run.py, figures PNG+PDF", "run.py, figures PNG"):
        mine = next((r for r in rows if r["sweep"] == label and r["version"] == "this"), None)
        if mine and prev_cli:
            ratio = prev_cli["wall_s"] / mine["wall_s"]
            targets.append(
                f"{'PASS' if ratio >= 2 else 'MISS'}  python run.py warm, end to end, <= 1/2 of the previous version "
                f"({label[8:]}): {mine['wall_s']:.2f} s vs {prev_cli['wall_s']:.2f} s = {ratio:.2f}x faster"
            )
    if targets:
        print("\nIssue 15 targets, side by side (best of the repeats):\n  " + "\n  ".join(targets))

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
