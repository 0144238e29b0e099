"""forecast: branches by hand, common random numbers until now, the uncertainty split by hand, a forecast that
covers a known continuation, the command end to end, and its bad inputs."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import load_scenario
from simulation.calibrate import (
    Settings,
    parse_fit,
    posterior_frame,
    run_calibration,
    synthetic_observed,
)
from simulation.forecast import (
    Branch,
    Forecast,
    branch_changes,
    check_until,
    parse_branches,
    run_forecast,
    uncertainty_rows,
)
from simulation.mentions import ObservedSeries
from simulation.runner import run_replication
from simulation.scenario import ScenarioError, to_toml, with_changes
from tests.conftest import run_cli, small

FIT = "spread.anger_dose=0.05:0.8:log"


@pytest.fixture(scope="module")
def sc():
    """A small buzz of the tests' own: 300 consumers, 3 days, the brand silent so far."""
    return load_scenario(small(**{"population.size": 300, "simulation.days": 3}))


def test_parse_branches(sc):
    got = parse_branches("ignore, quick_fix@0,quick_fix@24,apology", sc)
    assert [b.label for b in got] == ["ignore", "quick_fix@0", "quick_fix@24", "apology"]
    assert [b.words for b in got] == ["ignore", "quick_fix now", "quick_fix in 24 h", "apology"]
    for text, message in [
        ("pray", "--strategies: pray: unknown strategy; allowed:"),
        ("ignore@3", "@HOURS times a preset's decisive action; this has none"),
        ("quick_fix@-1", "@HOURS takes hours >= 0"),
        ("quick_fix@soon", "@HOURS takes hours >= 0"),
        ("quick_fix,quick_fix", "--strategies: quick_fix: given twice"),
        ("ignore,,apology", "an empty name"),
    ]:
        with pytest.raises(ScenarioError) as exc:
            parse_branches(text, sc)
        assert message in str(exc.value), text


def test_branch_schedules_by_hand(sc):
    followed = with_changes(sc, {"brand.strategy": "delay", "brand.delay_hours": 30.0})  # reply at 1 h, remedy at 30 h
    # detection at 5 h, now at 10 h: the holding reply (6 h) happened; the remedy (35 h) did not
    assert branch_changes(followed, 5.0, 10.0, Branch("ignore")) == {
        "brand.strategy": "custom",
        "brand.schedule": [{"action": "holding_reply", "at_hours": 6.0, "anchor": "start"}],
    }
    assert branch_changes(followed, 5.0, 10.0, Branch("quick_fix", 2.0))["brand.schedule"] == [
        {"action": "holding_reply", "at_hours": 6.0, "anchor": "start"},
        {"action": "remedy", "at_hours": 12.0, "anchor": "start"},
    ]
    # the followed strategy itself from now: its own remedy, re-anchored at now
    assert branch_changes(followed, 5.0, 10.0, Branch("delay"))["brand.schedule"][-1] == {
        "action": "remedy",
        "at_hours": 40.0,
        "anchor": "start",
    }
    # no detection so far: nothing happened; silence and no new action is ignore
    assert branch_changes(followed, math.nan, 10.0, Branch("ignore")) == {"brand.strategy": "ignore"}


def test_branches_share_everything_until_now(sc):
    """Common random numbers: every branch of a run is the followed run until now, and the responses differ after.

    Row k is the state after everything at k hours (dt = 1 h), an action at now included: rows before now agree.
    """
    now = 20.0
    base = run_replication(sc, 4, 0, series=("posts_negative", "reputation"))
    k = int(now / sc.simulation.dt_hours)
    outs = {}
    for branch in (Branch("ignore"), Branch("quick_fix", 0.0), Branch("apology", 3.0)):
        b = with_changes(sc, branch_changes(sc, base.metrics["detection_h"], now, branch))
        outs[branch.label] = run_replication(b, 4, 0, series=("posts_negative", "reputation"))
        for s in ("posts_negative", "reputation"):
            assert np.array_equal(outs[branch.label].series[s][:k], base.series[s][:k]), (branch, s)
    assert np.array_equal(outs["ignore"].series["reputation"], base.series["reputation"])  # ignore is the followed
    assert not np.array_equal(outs["quick_fix@0"].series["reputation"], base.series["reputation"])


def test_check_until(sc):
    obs = ObservedSeries("obs.csv", 2.0, np.ones(30, int), None)
    assert check_until(24, obs, sc).bins == 12
    for until, message in [
        (0, "hours > 0"),
        (70, "beyond the data: obs.csv covers 60 h"),
        (5, "a whole number of the data's bins (2 h)"),
    ]:
        with pytest.raises(ScenarioError) as exc:
            check_until(until, obs, sc)
        assert message in str(exc.value)
    short = with_changes(sc, {"simulation.days": 1})
    with pytest.raises(ScenarioError, match="not before the scenario's horizon"):
        check_until(24, ObservedSeries("obs.csv", 1.0, np.ones(30, int), None), short)


def test_kept_runs_match_the_data_so_far_and_late_runs_are_left_out(sc):
    """Only runs whose first hours are within the threshold are kept; their intervals are over draws."""
    data = synthetic_observed(with_changes(sc, {"spread.anger_dose": 0.3}), {}, 0.5, seed=11, sim=0, hours=24)
    settings, posterior, epsilon = _fit(sc, data, seed=3)
    f = Forecast(24, [Branch("ignore"), Branch("quick_fix", 0.0)], draws=8, replications=3, seed=3, epsilon=epsilon)
    out = run_forecast(f, settings, posterior, sc, data, progress=False)
    assert 0 < out["kept"] <= 8 * 3 and out["tried"] >= out["kept"]
    runs = out["runs"]
    assert (runs.now_h + 1 <= sc.simulation.days * 24).all()  # now falls within the horizon
    # every kept run's first 24 h, as the tool saw them, are within the threshold of the data
    seen = out["series"]["ignore"]["posts_negative"][:, :24]
    assert np.isfinite(seen).all() and seen.shape[0] == out["kept"]
    # the intervals are over the draws' means: wider than the runs' t interval when the draws differ
    row = out["summary"].query("strategy == 'ignore' and metric == 'total_posts'").iloc[0]
    means = runs[runs.strategy == "ignore"].groupby("draw").total_posts.mean()
    assert row["draws"] == len(means) and row["mean"] == pytest.approx(means.mean())


def test_uncertainty_split_by_hand():
    # two draws of three runs: draw means 1 and 5 (between variance 8), within variances 1 and 1
    runs = pd.DataFrame({"draw": [0, 0, 0, 1, 1, 1], "strategy": "ignore", "m": [0.0, 1.0, 2.0, 4.0, 5.0, 6.0]})
    f = Forecast(until_h=1, branches=[Branch("ignore")], replications=3, metrics=["m"])
    row = uncertainty_rows(f, runs).iloc[0]
    between = 8.0 - 1.0 / 3  # the draws' means' variance less the chance left in a mean of 3 runs
    assert row.variance == pytest.approx(between + 1.0)
    assert row.share_parameters == pytest.approx(between / (between + 1.0))
    assert row.share_chance == pytest.approx(1.0 / (between + 1.0))


def _fit(sc, data, seed, budget=200, particles=20):
    settings = Settings([parse_fit(FIT)], (0.1, 10.0), particles, budget, seed=seed)
    gen = run_calibration(settings, sc, data, None, progress=False)["generations"][-1]
    return settings, posterior_frame(settings, gen), gen.epsilon


def test_the_forecast_band_covers_the_true_continuation(sc):
    """A buzz made by the model with values drawn from the prior, seen for 24 h, forecast to its horizon:
    the 5-95% band of the runs of the strategy truly followed (ignore) holds the true outcome in most trials.

    Nominally 90% per trial; the test fails when fewer trials cover it than a Binomial(TRIALS, 0.9) falls
    below with probability 1%.
    """
    trials, until = 6, 24
    floor = int(stats.binom.ppf(0.01, trials, 0.9))  # 3 of 6
    rng = np.random.default_rng(7)
    covered = np.zeros(2, int)
    done = 0
    while done < trials:
        dose, capture = 10 ** rng.uniform(np.log10(0.05), np.log10(0.8)), 10 ** rng.uniform(-1, 1)
        truth_sc = with_changes(sc, {"spread.anger_dose": dose})
        data = synthetic_observed(truth_sc, {}, capture, seed=500 + done, sim=0, hours=until)
        if not data.negative.any():
            continue
        truth = run_replication(truth_sc, 500 + done, 0).metrics  # the run the data came from, to its horizon
        settings, posterior, epsilon = _fit(sc, data, seed=done)
        f = Forecast(until_h=until, branches=[Branch("ignore")], draws=20, replications=3, seed=done, epsilon=epsilon)
        out = run_forecast(f, settings, posterior, sc, data, progress=False)
        runs = out["runs"]
        for j, m in enumerate(("total_posts", "customer_reputation_loss_h")):
            lo, hi = np.quantile(runs[m], [0.05, 0.95])
            covered[j] += lo <= truth[m] <= hi
        done += 1
    assert (covered >= floor).all(), covered


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, sc):
    f = tmp_path_factory.mktemp("fc")
    (f / "s.toml").write_text(to_toml(sc))
    (f / "other.toml").write_text(to_toml(with_changes(sc, {"spread.visibility": 0.5})))
    data = synthetic_observed(with_changes(sc, {"spread.anger_dose": 0.3}), {}, 0.5, seed=11, sim=0, hours=48)
    pd.DataFrame({"hours": np.arange(data.bins), "negative": data.negative, "bin_hours": 1.0}).to_csv(
        f / "observed.csv", index=False
    )
    pd.DataFrame({"hours": np.arange(24), "negative": data.negative[:24], "bin_hours": 1.0}).to_csv(
        f / "first24.csv", index=False
    )
    other = data.negative.copy()
    other[3] += 40  # one bin of the first hours changed
    pd.DataFrame({"hours": np.arange(data.bins), "negative": other, "bin_hours": 1.0}).to_csv(
        f / "other.csv", index=False
    )
    cal = run_cli(
        ["calibrate", str(f / "s.toml"), "--data", str(f / "first24.csv"), "--fit", FIT, "--capture", "0.1:10"]
        + ["--particles", "20", "--budget", "120", "--no-figures", "--out", str(f / "posterior")],
        f,
    )
    assert cal.returncode == 0, cal.stderr[-800:]
    return f


def test_forecast_end_to_end_with_a_posterior(files, tmp_path):
    out = tmp_path / "fc"
    proc = run_cli(
        ["forecast", str(files / "s.toml"), "--data", str(files / "observed.csv"), "--until", "24"]
        + ["--strategies", "ignore,quick_fix@0,quick_fix@24", "--posterior", str(files / "posterior")]
        + ["--draws", "6", "--replications", "2", "--out", str(out), "--pdf"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "quick_fix now minus quick_fix in 24 h" in proc.stdout
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 6 * 2 * 3 and set(runs.strategy) == {"ignore", "quick_fix@0", "quick_fix@24"}
    assert {"draw", "replication", "particle", "spread.anger_dose", "capture_fraction", "now_h", "firestorm"} <= set(
        runs.columns
    )
    assert (runs.now_h >= 24).all()
    summary = pd.read_csv(out / "forecast_summary.csv")
    assert {"strategy", "metric", "mean", "mean_low", "mean_high", "q05", "q95"} <= set(summary.columns)
    assert len(pd.read_csv(out / "differences.csv")) == 3 * 7  # three pairs, six metrics and P(firestorm)
    unc = pd.read_csv(out / "uncertainty.csv")
    assert ((unc.share_parameters + unc.share_chance).dropna().round(9) == 1).all()
    for name in ("forecast.png", "forecast.pdf"):
        assert (out / "figures" / name).stat().st_size > 5000
    report = (out / "report.md").read_text()
    assert "## quick_fix now against quick_fix in 24 h" in report and "Where the uncertainty comes from" in report


def test_forecast_of_one_strategy(files, tmp_path):
    out = tmp_path / "one"
    proc = run_cli(
        ["forecast", str(files / "s.toml"), "--data", str(files / "observed.csv"), "--until", "24"]
        + ["--strategies", "quick_fix@0", "--posterior", str(files / "posterior")]
        + ["--draws", "4", "--replications", "2", "--out", str(out)],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "1 strategy x 4 draws" in proc.stdout and (out / "report.md").is_file()
    assert pd.read_csv(out / "differences.csv").empty
