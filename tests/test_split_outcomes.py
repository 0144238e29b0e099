"""Split outcomes, pairwise contrasts, replications to resolve a difference, and the horizon check."""

import math

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.cli import main
from simulation.contrasts import contrasts
from simulation.experiments import MAX_DAYS, aggregate, compare_plan, horizon_shift, sweep_plan
from simulation.metrics import METRICS, run_metrics
from simulation.model import BuzzModel
from simulation.scenario import ScenarioError, to_toml
from simulation.stats import replications_needed, superiority, wilson_interval
from tests.conftest import small

TINY = {"simulation.days": 1, "population.size": 200}


def made_up_summary(plan, columns: dict[str, dict[str, list]]) -> pd.DataFrame:
    """A summary with every metric 0 except `columns`: metric -> strategy -> one value per replication."""
    rows = []
    for ci, c in enumerate(plan.conditions):
        for r in range(plan.replications):
            row = {"condition": ci, "replication": r, **dict.fromkeys(METRICS, 0.0), **c}
            for metric, by_strategy in columns.items():
                row[metric] = by_strategy[c["brand.strategy"]][r]
            rows.append(row)
    return pd.DataFrame(rows)


def test_firestorm_is_reach_by_the_complaint_above_the_analysis_share():
    for share in (0.0, 0.01, 1.0):
        m = BuzzModel(load_scenario(small(**{"simulation.days": 2, "analysis.firestorm_reach": share})), rng=4).run()
        out = run_metrics(m)
        assert out["firestorm"] == int(out["reach_complaint"] > share)
    assert out["reach_complaint"] > 0.01 and out["firestorm"] == 0  # a share of 1: nothing is a firestorm
    assert METRICS["firestorm"].binary and METRICS["firestorm"].better == "lower"


def test_probability_of_a_firestorm_and_damage_given_one_by_hand():
    plan = compare_plan(load_scenario(small(**TINY)), ["quick_fix"], 10, seed=1)
    fire = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]  # 3 of 10
    loss = [30.0, 0.0, 1.0, 50.0, 0.0, 2.0, 0.0, 40.0, 0.0, 0.0]
    summary = made_up_summary(
        plan,
        {
            "firestorm": {"ignore": fire, "quick_fix": [0] * 10},
            "reputation_loss_h": {"ignore": loss, "quick_fix": loss},
        },
    )
    agg = aggregate(summary, plan).set_index(["condition", "metric", "scope"])
    p = agg.loc[(0, "firestorm", "all")]
    # Wilson, 3 of 10, z = 1.95996: centre (0.3 + z²/20) / (1 + z²/10), half z sqrt(.021 + z²/400) / (1 + z²/10)
    assert p["mean"] == 0.3 and p["ci_low"] == pytest.approx(0.10779, abs=1e-4)
    assert p["ci_high"] == pytest.approx(0.60322, abs=1e-4)
    none = agg.loc[(1, "firestorm", "all")]
    assert none["ci_low"] == 0.0 and none["ci_high"] == pytest.approx(0.27753, abs=1e-4)  # never: exactly 0
    given = agg.loc[(0, "reputation_loss_h", "firestorm")]
    assert given["n"] == 3 and given["mean"] == pytest.approx(40.0)
    every = agg.loc[(0, "reputation_loss_h", "all")]
    assert every["median"] == 0.5 and every["q75"] == pytest.approx(np.percentile(loss, 75))
    assert every["mean"] == pytest.approx(12.3) and every["boot_low"] < 12.3 < every["boot_high"]
    assert every["half_width"] == pytest.approx((every["ci_high"] - every["ci_low"]) / 2)
    assert every["boot_low"] >= 0  # the bootstrap stays within the data
    assert every["ci_low"] == 0.0  # the t interval reaches below 0: clipped, a loss cannot be negative


def test_wilson_bounds_are_exact_at_none_and_all():
    for n in (1, 6, 7, 1000):
        assert wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0


def test_superiority_counts_ties_half():
    a, b = [1, 2, 3, 4], [2, 2, 1, 5]  # lower better: wins at 0 and 3, a tie at 1, a loss at 2
    p, lo, hi = superiority(a, b, "lower")
    assert p == 0.625 and (lo, hi) == pytest.approx(wilson_interval(2.5, 4))
    assert superiority(a, b, "higher")[0] == 0.375  # one win (2), a tie (1)
    assert superiority([1, math.nan], [2, 0], "lower")[0] == 1.0  # a missing pair is left out


def test_replications_needed_by_hand():
    # sd 1, ±0.5: z gives 16; t(15) 2.131 / 4 = .533, t(16) 2.120 / 4.12 = .514, t(17) 2.110 / 4.24 = .497
    assert replications_needed(1.0, 0.5) == 18
    assert replications_needed(2.0, 0.5) > replications_needed(1.0, 0.5)
    assert math.isnan(replications_needed(1.0, 0.0)) and math.isnan(replications_needed(math.nan, 1.0))


def test_contrasts_every_pair_in_the_registrys_direction():
    plan = compare_plan(load_scenario(small(**TINY)), ["quick_fix", "apology"], 4, seed=1)
    values = {"ignore": [5, 5, 5, 5], "quick_fix": [1, 5, 2, 6], "apology": [1, 1, 9, 6]}
    summary = made_up_summary(plan, {"customer_reputation_loss_h": values, "final_reputation": values})
    con = contrasts(summary, plan).set_index(["strategy_a", "strategy_b", "metric"])
    pairs = {(a, b) for a, b, _ in con.index}
    assert pairs == {("quick_fix", "ignore"), ("apology", "ignore"), ("apology", "quick_fix")}
    loss = "customer_reputation_loss_h"
    r = con.loc[("quick_fix", "ignore", loss)]
    assert r["diff_mean"] == -1.5 and r["p_a_better"] == 0.625 and r["n"] == 4
    d = np.array([-4, 0, -3, 1.0])
    assert r["effect_size"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert con.loc[("apology", "ignore", loss), "p_a_better"] == 0.5
    assert con.loc[("apology", "quick_fix", loss), "p_a_better"] == 0.5  # one win, two ties, one loss
    assert con.loc[("quick_fix", "ignore", "final_reputation"), "p_a_better"] == 0.375  # higher is better
    # --resolve by default: 10% of the baseline's mean (5) on the main metric only
    assert r["resolve"] == 0.5 and r["replications_needed"] == replications_needed(d.std(ddof=1), 0.5)
    assert math.isnan(con.loc[("quick_fix", "ignore", "final_reputation"), "replications_needed"])
    given = contrasts(summary, plan, resolve=2.0).set_index(["strategy_a", "strategy_b", "metric"])
    assert given.loc[("quick_fix", "ignore", loss), "resolve"] == 2.0
    assert "time_to_peak_h" not in set(con.index.get_level_values("metric"))  # no direction: no contrast


def test_contrasts_within_each_sweep_cell_once():
    plan = sweep_plan(load_scenario(small(**TINY)), ["quick_fix", "apology"], {"brand.delay_hours": [0, 10]}, 3, 1)
    values = {"ignore": [1, 1, 1], "quick_fix": [0, 0, 0], "apology": [2, 2, 2]}
    con = contrasts(made_up_summary(plan, {"reach": values}), plan)
    con = con[con.metric == "reach"]
    assert len(con) == 6  # per delay: quick_fix-ignore, apology-ignore, apology-quick_fix
    assert sorted(con["brand.delay_hours"]) == [0, 0, 0, 10, 10, 10]
    assert set(con.condition_b[con.strategy_b == "ignore"]) == {0}  # the baseline, run once, in every cell


def test_horizon_shift_and_its_cap():
    plan = sweep_plan(
        load_scenario(small(**{**TINY, "simulation.days": 200})), ["quick_fix"], {"brand.delay_hours": [0, 10]}, 3, 1
    )
    row = dict(strategy="quick_fix", metric="reach", key="brand.delay_hours", clock="detection", ci_open=0)
    short = pd.DataFrame(
        [
            {
                **row,
                "critical_delay_h": 12.0,
                "ci_low": 8.0,
                "ci_high": 20.0,
                "status": "found",
                "bootstrap_found_share": 1.0,
            }
        ]
    )
    long = pd.DataFrame(
        [
            {
                **row,
                "critical_delay_h": 30.0,
                "ci_low": 20.0,
                "ci_high": 45.0,
                "status": "found",
                "bootstrap_found_share": 0.97,
            }
        ]
    )
    h = horizon_shift(plan, short, long).iloc[0]
    assert h["shift_h"] == 18.0 and h["days"] == 200 and h["days_long"] == MAX_DAYS == 366 and h["capped"] == 1
    from simulation.text import horizon_text

    assert horizon_text(h) == (
        "at 200 days ≈ 12 h (CI 8–20 h); at 366 days ≈ 30 h (CI 20–45 h): moved +18.0 h "
        "(the longer horizon is the 366-day limit, not twice 200 days)"
    )


def test_horizon_check_reruns_at_twice_the_horizon(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(to_toml(load_scenario(small(**{"simulation.days": 1, "population.size": 300}))))
    out = tmp_path / "exp"
    argv = ["sweep", str(path), "--vary", "brand.delay_hours=0,6", "--replications", "3", "--workers", "1"]
    assert main([*argv, "--horizon-check", "--no-figures", "--out", str(out)]) == 0
    h = pd.read_csv(out / "horizon_check.csv")
    assert list(h["days"]) == [1.0] and list(h["days_long"]) == [2.0] and list(h["capped"]) == [0]
    long = pd.read_csv(out / "horizon_check" / "summary.csv")
    short = pd.read_csv(out / "summary.csv")
    assert len(long) == len(short) and (long["seed"] == short["seed"]).all()  # the same seeds
    assert (long["final_reputation"] != short["final_reputation"]).any()  # a day more of drift
    assert "days = 2.0" in (out / "horizon_check" / "scenario.toml").read_text()
    win = pd.read_csv(out / "critical_window.csv").iloc[0]
    assert h.loc[0, "status"] == win["status"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--resolve", "0"], "--resolve: 0.0: must be a positive number"),
        (["--resolve", "nan"], "--resolve: nan: must be a positive number"),
        (["--horizon-check", "--set", "simulation.days=366"], "the horizon is already the 366-day limit"),
        (["--horizon-check", "--window-key", "spread.visibility"], "is not swept"),
    ],
)
def test_bad_resolve_and_horizon_options_get_one_line(tmp_path, capsys, extra, message):
    path = tmp_path / "s.toml"
    path.write_text(to_toml(load_scenario(small(**TINY))))
    out = tmp_path / "exp"
    argv = ["sweep", str(path), "--vary", "brand.delay_hours=0,6", "--replications", "2", "--out", str(out)]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and not out.exists()


def test_horizon_check_needs_the_windows_key_swept():
    base = load_scenario(small(**TINY))
    with pytest.raises(ScenarioError, match="needs a sweep of the critical window's key"):
        sweep_plan(base, ["quick_fix"], {"spread.visibility": [0.2, 0.3]}, 2, 1, horizon_check=True)


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "s.toml"
    path.write_text(to_toml(load_scenario(small(**{"simulation.days": 2, "population.size": 300}))))
    return path


def compare_report(path, out, *sets):
    argv = ["compare", str(path), "--strategies", "ignore,quick_fix", "--replications", "4", "--workers", "1"]
    assert main([*argv, *(x for s in sets for x in ("--set", s)), "--out", str(out)]) == 0
    return (out / "report.md").read_text()


def test_report_omits_tables_that_repeat_the_all_runs_table(scenario_path, tmp_path):
    md = compare_report(
        scenario_path, tmp_path / "every", "brand.detection_threshold=0.01", "analysis.firestorm_reach=0"
    )
    summary = pd.read_csv(tmp_path / "every" / "summary.csv")
    assert (summary["crisis"] == 1).all() and (summary["firestorm"] == 1).all()
    assert "Every run had a crisis" in md and "Damage given a crisis" not in md
    outcomes = pd.read_csv(tmp_path / "every" / "tables" / "outcomes.csv")
    assert "every run was a firestorm" in md and "mean given a firestorm" not in " ".join(outcomes.columns)
    assert list(outcomes.columns[:5]) == [
        "condition",
        "runs",
        "firestorms (%)",
        "firestorms (%), 95% low",
        "firestorms (%), 95% high",
    ]
    assert {"median", "median, 25–75% low", "mean, bootstrap 95% high"} <= set(outcomes.columns)
    assert (outcomes["firestorms (%)"] == 100).all()
    con = pd.read_csv(tmp_path / "every" / "tables" / "contrasts.csv")
    assert list(con["A vs B"]) == ["quick_fix vs ignore"] and "replications for ± δ" in con.columns


def test_report_splits_outcomes_when_some_runs_are_no_firestorm(scenario_path, tmp_path):
    md = compare_report(scenario_path, tmp_path / "none", "brand.detection_threshold=1e6", "analysis.firestorm_reach=1")
    assert "No run had a crisis" in md and "Damage given a crisis" not in md
    outcomes = pd.read_csv(tmp_path / "none" / "tables" / "outcomes.csv")
    assert (outcomes["firestorms"] == 0).all() and (outcomes["firestorms (%)"] == 0).all()
    assert outcomes["mean given a firestorm"].isna().all()  # n/a: no firestorm to average over


def test_describing_columns_together_gives_each_columns_numbers():
    from simulation.stats import describe_columns, describe_values

    rng = np.random.default_rng(3)
    x = np.column_stack([rng.normal(size=12), rng.integers(0, 2, 12), rng.exponential(size=12), rng.normal(size=12)])
    x[[2, 5], 3] = np.nan  # a column with missing values takes the one-column path
    binary = [False, True, False, False]
    for j, got in enumerate(describe_columns(x, binary, seed=9)):
        want = describe_values(x[:, j], binary=binary[j], seed=9)
        assert got.keys() == want.keys() and got == pytest.approx(want, nan_ok=True), j
    assert describe_columns(x[:1], binary, seed=9)[0]["n"] == 1  # one run: no interval


def test_intervals_of_quantities_that_cannot_be_negative_stop_at_zero():
    from simulation.metrics import NONNEGATIVE

    assert NONNEGATIVE <= set(METRICS) and "final_reputation" not in NONNEGATIVE
    plan = compare_plan(load_scenario(small(**TINY)), ["quick_fix"], 6, seed=1)
    skewed = [0.0, 0.0, 0.0, 0.0, 0.0, 60.0]  # mean 10, t interval from about -15.7
    summary = made_up_summary(
        plan,
        {
            "churned": {"ignore": skewed, "quick_fix": skewed},
            "final_reputation": {"ignore": [x - 30 for x in skewed], "quick_fix": skewed},
        },
    )
    agg = aggregate(summary, plan).set_index(["condition", "metric", "scope"])
    churned = agg.loc[(0, "churned", "all")]
    assert churned["ci_low"] == 0.0 and churned["ci_high"] == pytest.approx(10 + 25.7, abs=0.1)
    assert churned["half_width"] == pytest.approx(churned["ci_high"] / 2)
    assert agg.loc[(0, "final_reputation", "all"), "ci_low"] < -30  # may be negative: not clipped
