"""Forecast coverage: does the band of the strategy truly followed hold the true continuation?

    python benchmarks/bench_forecast.py [--trials 40] [--until 24] [--budget 400] [--draws 30]

Each trial draws true values from the prior (spread.anger_dose, log-uniform 0.05-0.8, and the
capture fraction, log-uniform 0.1-10), runs the model with them to its horizon with the brand
silent (a 300-consumer, 3-day fixture of the tests), shows the listening tool's counts of the first
`--until` hours to a calibration, and forecasts the rest under the strategy followed (ignore). It
records whether the 5–95% range of the forecast runs holds the true run's outcome, for the
negative posts and the reputation loss among customers over the whole run. The table gives the
coverage with its 95% Wilson interval (nominally 90%). The test suite runs 6 such trials.
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
from simulation.calibrate import (  # noqa: E402
    Settings,
    parse_fit,
    posterior_frame,
    run_calibration,
    synthetic_observed,
)
from simulation.forecast import Branch, Forecast, run_forecast  # noqa: E402
from simulation.runner import run_replication  # noqa: E402
from simulation.scenario import with_changes  # noqa: E402
from simulation.stats import wilson_interval  # noqa: E402
from tests.conftest import small  # noqa: E402

FIT = "spread.anger_dose=0.05:0.8:log"
OUTCOMES = ("total_posts", "customer_reputation_loss_h")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=40)
    p.add_argument("--until", type=float, default=24)
    p.add_argument("--budget", type=int, default=400)
    p.add_argument("--particles", type=int, default=40)
    p.add_argument("--draws", type=int, default=30)
    p.add_argument("--replications", type=int, default=3)
    args = p.parse_args(argv)
    sc = load_scenario(small(**{"population.size": 300, "simulation.days": 3}))
    rng = np.random.default_rng(7)
    covered, done, t0 = np.zeros(len(OUTCOMES), int), 0, time.perf_counter()
    while done < args.trials:
        dose, capture = 10 ** rng.uniform(np.log10(0.05), np.log10(0.8)), 10 ** rng.uniform(-1, 1)
        truth_sc = with_changes(sc, {"spread.anger_dose": dose})
        data = synthetic_observed(truth_sc, {}, capture, seed=500 + done, sim=0, hours=args.until)
        if not data.negative.any():
            continue
        truth = run_replication(truth_sc, 500 + done, 0).metrics
        settings = Settings([parse_fit(FIT)], (0.1, 10.0), args.particles, args.budget, seed=done)
        gen = run_calibration(settings, sc, data, None, progress=False)["generations"][-1]
        f = Forecast(args.until, [Branch("ignore")], args.draws, args.replications, seed=done)
        f.epsilon = gen.epsilon  # runs kept only where their first hours are as close to the data as the particles
        runs = run_forecast(f, settings, posterior_frame(settings, gen), sc, data, progress=False)["runs"]
        hit = np.array([np.quantile(runs[m], 0.05) <= truth[m] <= np.quantile(runs[m], 0.95) for m in OUTCOMES])
        covered += hit
        done += 1
        print(f"trial {done}/{args.trials}: dose {dose:.3f} capture {capture:.3f} covered {hit.tolist()}", flush=True)
    print(
        f"\nforecast coverage: {args.trials} trials from the first {args.until:g} h ({time.perf_counter() - t0:.0f} s)"
    )
    for j, m in enumerate(OUTCOMES):
        lo, hi = wilson_interval(int(covered[j]), args.trials)
        print(f"{m:<28} {covered[j] / args.trials:>6.0%} of true outcomes in the 5-95% band (95% CI {lo:.0%}-{hi:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
