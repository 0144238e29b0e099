"""Parameter recovery of `calibrate`: coverage of the 90% intervals over many synthetic buzzes.

    python benchmarks/bench_recovery.py [--trials 50] [--budget 600] [--particles 40] [--workers 2] [--out CSV]

Each trial draws true values from the prior (spread.anger_dose, log-uniform 0.05-0.8, and the
capture fraction, log-uniform 0.1-10), makes two days of data with the model itself
(`calibrate.synthetic_observed`, a 300-consumer fixture of the tests), fits them, and records
whether each 90% interval covers its truth and how wide it is. With truths drawn from the prior, an
exact posterior covers 90% of them; an ABC posterior at a finite threshold is wider, so at least
as often. The table gives the coverage with its 95% Wilson interval, and the mean share of the
prior range the 90% interval covers (how much the data say). The test suite runs 10 such trials.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import load_scenario  # noqa: E402
from simulation.calibrate import Settings, parse_fit, run_calibration, summary_frame, synthetic_observed  # noqa: E402
from simulation.stats import wilson_interval  # noqa: E402
from tests.conftest import small  # noqa: E402

FIT = "spread.anger_dose=0.05:0.8:log"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=50)
    p.add_argument("--budget", type=int, default=600)
    p.add_argument("--particles", type=int, default=40)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", type=Path, help="also write the table as CSV (docs/calibration.md cites it)")
    args = p.parse_args(argv)
    sc = load_scenario(small(**{"population.size": 300, "simulation.days": 3}))
    rng = np.random.default_rng(20261207)
    names, covered, shares, done, t0 = None, None, [], 0, time.perf_counter()
    while done < args.trials:
        settings = Settings([parse_fit(FIT)], (0.1, 10.0), args.particles, args.budget, seed=done)
        lo, hi = settings.bounds.T
        truth = lo + (hi - lo) * rng.random(len(lo))
        dose, capture = 10**truth
        data = synthetic_observed(sc, {"spread.anger_dose": dose}, capture, seed=1000 + done, sim=0, hours=48)
        if not data.negative.any():
            continue
        gen = run_calibration(settings, sc, data, None, workers=args.workers, progress=False)["generations"][-1]
        summary = summary_frame(settings, gen)
        names = summary.key.tolist()
        hit = (summary.q05.to_numpy() <= 10**truth) & (10**truth <= summary.q95.to_numpy())
        covered = hit.astype(int) if covered is None else covered + hit
        shares.append(summary.interval_share.to_numpy())
        done += 1
        print(f"trial {done}/{args.trials}: truth {np.round(10**truth, 3).tolist()} covered {hit.tolist()}", flush=True)
    print(
        f"\nparameter recovery: {args.trials} trials, {args.particles} particles, budget {args.budget} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print(f"{'parameter':<22} {'coverage of 90% intervals':>28} {'interval / prior range':>24}")
    share = np.mean(shares, axis=0)
    rows = []
    for j, name in enumerate(names):
        lo, hi = wilson_interval(int(covered[j]), args.trials)
        print(f"{name:<22} {covered[j] / args.trials:>10.0%} (95% CI {lo:.0%}-{hi:.0%}) {share[j]:>24.0%}")
        rows.append(
            {
                "parameter": name,
                "trials": args.trials,
                "covered": int(covered[j]),
                "coverage": covered[j] / args.trials,
                "low": lo,
                "high": hi,
                "interval_share": share[j],
                "particles": args.particles,
                "budget": args.budget,
            }
        )
    if args.out:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
