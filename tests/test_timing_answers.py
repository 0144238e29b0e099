"""Timing answers: damage over the whole buzz, and a critical window whose uncertainty is honest."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.experiments import critical_windows, sweep_plan
from simulation.metrics import METRICS, RECOVERY_TOLERANCE, loss_area, recovery, run_metrics
from simulation.model import BuzzModel
from tests.conftest import small


def test_loss_area_and_recovery_by_hand():
    r = np.array([0.3, 0.2, 0.1, 0.2, 0.29, 0.3, 0.3])  # a dip and a full recovery, dt = 2 h
    # deficits 0, .1, .2, .1, .01, 0, 0; trapezoids of width 2: .1 + .3 + .3 + .11 + .01
    assert loss_area(r, 2.0) == pytest.approx(0.82)
    # tolerance: 10% of the largest deficit (.2) = .02: the last row outside is row 3, back at row 4 (8 h)
    assert RECOVERY_TOLERANCE == 0.1
    assert recovery(r, 2.0) == {"recovery_h": 8.0, "recovered": 1}
    assert recovery(r, 2.0, start_h=2.0) == {"recovery_h": 6.0, "recovered": 1}  # from the first complaint
    censored = np.array([0.3, 0.2, 0.25, 0.27])  # still .03 below at the end (> .1 x .1)
    assert recovery(censored, 1.0) == {"recovery_h": 3.0, "recovered": 0}
    assert loss_area(np.array([0.3, 0.4, 0.5]), 1.0) == 0.0  # above the start: no loss
    assert recovery(np.array([0.3, 0.4, 0.5]), 1.0) == {"recovery_h": 0.0, "recovered": 1}


def test_whole_buzz_metrics_of_a_run():
    m = BuzzModel(load_scenario(small(**{"simulation.days": 3})), rng=2).run()
    d, dt = m.recorder.data, m.dt
    out = run_metrics(m)
    assert out["reputation_loss_h"] == pytest.approx(loss_area(d["reputation"], dt))
    assert out["customer_reputation_loss_h"] == pytest.approx(loss_area(d["reputation_customers"], dt))
    assert out["angry_consumer_h"] == pytest.approx(np.trapezoid(d["angry"], dx=dt)) and out["angry_consumer_h"] > 0
    assert out["recovered"] in (0, 1) and 0 <= out["recovery_h"] <= 72
    for name in ("reputation_loss_h", "customer_reputation_loss_h", "recovery_h", "angry_consumer_h"):
        assert METRICS[name].better == "lower"
    assert METRICS["recovered"].binary and METRICS["recovered"].better == "higher"


DELAYS = [0.0, 10.0, 20.0, 40.0]


def plan_of(reps: int):
    base = load_scenario(small(**{"simulation.days": 1, "population.size": 200}))
    return sweep_plan(base, ["quick_fix"], {"brand.delay_hours": DELAYS}, reps, seed=3)


def summary_of(plan, values: dict, metric: str, noise: float, seed: int = 0) -> pd.DataFrame:
    """A made-up summary: the baseline at `values['ignore']`, quick_fix at `values[delay]`, plus noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for ci, c in enumerate(plan.conditions):
        mean = values["ignore"] if c["brand.strategy"] == "ignore" else values[c["brand.delay_hours"]]
        for r in range(plan.replications):
            rows.append({"condition": ci, "replication": r, metric: mean + noise * rng.standard_normal()})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("metric, sign", [("customer_reputation_loss_h", -1.0), ("final_reputation", 1.0)])
def test_window_found_where_it_is_for_either_direction(metric, sign):
    plan = plan_of(40)
    # gain over ignoring: 10 at 0 h, 8 at 10 h, 4 at 20 h, 1 at 40 h: half (5) is crossed at 17.5 h
    gains = {0.0: 10.0, 10.0: 8.0, 20.0: 4.0, 40.0: 1.0}
    values = {"ignore": 50.0, **{d: 50.0 + sign * g for d, g in gains.items()}}
    w = critical_windows(summary_of(plan, values, metric, noise=0.5), plan, metric).iloc[0]
    assert w.status == "found" and w.critical_delay_h == pytest.approx(17.5, abs=0.5)
    assert w.bootstrap_found_share == 1.0 and not w.ci_open and w.ci_low < 17.5 < w.ci_high
    assert w.immediate_gain == pytest.approx(10.0, abs=0.5) and not w.rising


def test_window_open_or_beyond_when_resamples_miss_it():
    plan = plan_of(12)
    # the gain falls to just under half at the last delay only: noisy resamples often keep it above
    values = {"ignore": 0.0, 0.0: 10.0, 10.0: 9.0, 20.0: 8.0, 40.0: 4.9}
    shares = []
    for seed in range(6):
        rows = critical_windows(
            summary_of(plan, values, "final_reputation", noise=2.0, seed=seed), plan, "final_reputation"
        )
        w = rows.iloc[0]
        shares.append(w.bootstrap_found_share)
        if w.status == "found" and w.bootstrap_found_share < 0.95:
            assert w.ci_open == 1 and math.isnan(w.ci_high) and w.ci_low <= w.critical_delay_h
        if w.bootstrap_found_share < 0.5:
            assert w.status == "beyond_range" and math.isnan(w.ci_low) and math.isnan(w.ci_high)
    assert min(shares) < 0.95 and max(shares) > 0.05  # the cases above did happen


def test_a_later_response_that_does_better_is_flagged():
    plan = plan_of(30)
    values = {"ignore": 0.0, 0.0: 10.0, 10.0: 4.0, 20.0: 9.0, 40.0: 1.0}  # 20 h beats 10 h by 5
    w = critical_windows(summary_of(plan, values, "final_reputation", noise=0.5), plan, "final_reputation").iloc[0]
    assert w.rising == 1 and re.fullmatch(r"20 h gains \+(4\.\d+|5\.\d+) \(SE 0\.\d+\) more than 10 h", w.rising_at)


def test_bad_window_options_get_one_line():
    base = load_scenario(small(**{"simulation.days": 1, "population.size": 200}))
    from simulation.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"--window-metric: time_to_peak_h: not a metric with a better direction"):
        sweep_plan(base, ["quick_fix"], {"brand.delay_hours": [0, 1]}, 2, 1, window_metric="time_to_peak_h")
    with pytest.raises(ScenarioError, match=r"--window-key: spread.visibility: is not swept; swept: brand.delay_hours"):
        sweep_plan(base, ["quick_fix"], {"brand.delay_hours": [0, 1]}, 2, 1, window_key="spread.visibility")
