"""calibrate: the observed format read back, the distance and alignment by hand, the sampler's reproducibility
and resume, parameter recovery (coverage of the 90% intervals), and every bad input of the command."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import load_scenario
from simulation.calibrate import (
    CAPTURE,
    Generation,
    Settings,
    Store,
    aligned,
    binned,
    check_fit,
    distance,
    log_series,
    parse_capture,
    parse_fit,
    run_calibration,
    summary_frame,
    synthetic_observed,
    write_outputs,
)
from simulation.mentions import MentionsError, ObservedSeries, read_observed
from simulation.scenario import ScenarioError, to_toml, with_changes
from tests.conftest import ROOT, run_cli, small

FIT = "spread.anger_dose=0.05:0.8:log"


@pytest.fixture(scope="module")
def sc():
    """A small buzz of the tests' own: 300 consumers, 3 days."""
    return load_scenario(small(**{"population.size": 300, "simulation.days": 3}))


@pytest.fixture(scope="module")
def data(sc):
    """Two days of a synthetic buzz made by the model (anger_dose 0.3, capture 0.5)."""
    return synthetic_observed(sc, {"spread.anger_dose": 0.3}, 0.5, seed=11, sim=0, hours=48)


def _settings(**kw):
    kw.setdefault("factors", [parse_fit(FIT)])
    kw.setdefault("capture", (0.1, 10.0))
    kw.setdefault("particles", 20)
    kw.setdefault("budget", 120)
    kw.setdefault("seed", 5)
    return Settings(**kw)


def _write(tmp_path, text, name="observed.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# -- the observed format ------------------------------------------------------------------------


def test_read_observed_aligns_on_the_first_negative_bin(tmp_path):
    path = _write(tmp_path, "hours,negative,positive,neutral,bin_hours\n0,0,1,0,2\n2,0,0,3,2\n4,5,0,0,2\n6,0,2,0,2\n")
    obs = read_observed(path)
    assert obs.bin_hours == 2 and obs.skipped == 2 and obs.span_h == 4
    assert obs.negative.tolist() == [5, 0] and obs.positive.tolist() == [0, 2]
    assert obs.until(2.5).negative.tolist() == [5]


def test_read_observed_infers_the_bin_from_hours(tmp_path):
    obs = read_observed(_write(tmp_path, "hours,negative\n10,1\n16,0\n22,4\n"))
    assert obs.bin_hours == 6 and obs.negative.tolist() == [1, 0, 4] and obs.positive is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("hours,negative\n0,1\n2,1\n1,1\n", "line 4: hours '1': not after the bin before it (line 3)"),
        ("hours,negative\n0,1\n1,1\n1,2\n", "line 4: hours '1': a duplicate bin (line 3)"),
        ("hours,negative\n0,1\n1,1\n3,2\n", "line 4: hours '3': not the next bin after 1 (bins of 1 h)"),
        ("hours,negative\n0,0\n1,0\n", "no negative mentions"),
        ("time,negative\n0,1\n", "no 'hours' column; columns present: time, negative"),
        ("hours,positive\n0,1\n", "no 'negative' column"),
        ("hours,negative\n0,1\n1,-1\n", "line 3: negative '-1' is not a count"),
        ("hours,negative\n0,1\n", "one bin and no 'bin_hours' column"),
        ("hours,negative,bin_hours\n0,1,1\n1,1,2\n", "line 3: bin_hours '2': every bin has the same width"),
    ],
)
def test_bad_observed_files_name_the_line(tmp_path, text, message):
    with pytest.raises(MentionsError) as exc:
        read_observed(_write(tmp_path, text))
    assert message in str(exc.value) and str(exc.value).startswith(str(tmp_path / "observed.csv"))


def test_import_mentions_writes_what_read_observed_reads(tmp_path):
    out = tmp_path / "observed.csv"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "import-mentions", str(ROOT / "data/examples/synthetic_mentions.csv")]
        + ["--sentiment-col", "sentiment", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    obs, table = read_observed(out), pd.read_csv(out)
    assert obs.negative.sum() == table.negative.sum() == 263 and obs.bin_hours == 1.0


# -- distance, binning, alignment by hand -------------------------------------------------------


def test_distance_is_the_rms_of_log1p_differences_of_cumulative_counts():
    obs = ObservedSeries("x", 1.0, np.array([0, 3, 7]), np.array([1, 0, 0]))
    # cumulative negative: observed 0, 3, 10 against simulated 1, 4, 4; positive: 1, 1, 1 against 1, 1, 1
    d = distance(log_series(obs), np.array([1.0, 3.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    neg = [math.log(1) - math.log(2), math.log(4) - math.log(5), math.log(11) - math.log(5)]
    assert d == pytest.approx(math.sqrt(sum(x * x for x in neg) / 6))
    no_positive = ObservedSeries("x", 1.0, np.array([0, 3, 7]), np.zeros(3, int))
    d2 = distance(log_series(no_positive), np.array([1.0, 3.0, 0.0]), np.array([9.0, 9.0, 9.0]))
    assert d2 == pytest.approx(math.sqrt(sum(x * x for x in neg) / 3))  # no positive mention: unfitted


def test_binning_and_alignment_by_hand():
    per_step = np.array([0, 1, 2, 3, 4, 5, 6, 7])  # row 0 is the initial state
    assert binned(per_step, 2, 3).tolist() == [3, 7, 11]
    neg, pos, first = aligned(np.array([0.0, 0, 2, 5, 1]), np.array([1.0, 1, 0, 3, 0]), 4)
    assert first == 2 and neg.tolist() == [2, 5, 1, 0] and pos.tolist() == [0, 3, 0, 0]


def test_a_shorter_horizon_changes_nothing_before_it(sc):
    from simulation.runner import run_replication

    a = run_replication(sc, 3, 0, series=("posts_negative", "posts_positive"))
    b = run_replication(with_changes(sc, {"simulation.days": 1.5}), 3, 0, series=("posts_negative", "posts_positive"))
    for name in ("posts_negative", "posts_positive"):
        assert np.array_equal(a.series[name][:37], b.series[name])


# -- settings and checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: parse_fit("spread.visibility=0.5:2"), "--fit: spread.visibility: range 0.5:2 leaves the allowed"),
        (lambda: parse_fit("spread.bogus=0:1"), "--fit: spread.bogus: unknown key"),
        (lambda: parse_fit("complaint.persistent=0:1"), "a true/false key cannot be fitted"),
        (lambda: parse_fit("brand.name=0:1"), "--fit"),
        (lambda: parse_capture("0:1"), "--capture: 0:1: expected LO:HI with 0 < LO < HI"),
        (lambda: parse_capture("abc"), "--capture: abc"),
        (lambda: _settings(budget=30), "--budget: 30: at least twice the particles (40)"),
        (lambda: _settings(particles=5), "--particles: 5: at least 10 particles"),
        (lambda: _settings(factors=[parse_fit(FIT), parse_fit(FIT)]), "--fit: spread.anger_dose: given twice"),
    ],
)
def test_bad_settings_are_one_line(call, message):
    with pytest.raises(ScenarioError) as exc:
        call()
    assert message in str(exc.value)


def test_check_fit_refuses_bins_finer_than_steps_and_data_beyond_the_horizon(sc):
    settings = _settings()
    fine = ObservedSeries("obs.csv", 0.5, np.ones(10, int), None)
    with pytest.raises(ScenarioError, match=r"bins of 0.5 h are not a whole number .* simulation.dt_hours=0.5"):
        check_fit(settings, sc, fine, "--data")
    long = ObservedSeries("obs.csv", 1.0, np.ones(100, int), None)
    with pytest.raises(ScenarioError, match=r"100 bins span 100 h, beyond the scenario's horizon of 72 h"):
        check_fit(settings, sc, long, "--data")
    shape = check_fit(settings, sc, ObservedSeries("obs.csv", 1.0, np.ones(40, int), None), "--data")
    assert shape == {"steps_per_bin": 1, "bins": 40, "sim_bins": 64, "days": 64 / 24}  # 40 + 24 h of slack


# -- the sampler --------------------------------------------------------------------------------


def test_same_seed_same_posterior_on_one_or_two_workers_and_resume_after_tampering(sc, data, tmp_path):
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        runs[workers] = run_calibration(_settings(), sc, data, out, workers=workers, progress=False)
    g1, g2 = runs[1]["generations"], runs[2]["generations"]
    assert len(g1) == len(g2) >= 3
    for a, b in zip(g1, g2):
        for name in ("theta", "weights", "distances", "sims", "negative"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    # thresholds shrink and every particle beats its generation's threshold
    eps = [g.epsilon for g in g1]
    assert math.isinf(eps[0]) and all(b <= a for a, b in zip(eps[1:], eps[2:]))
    assert all((g.distances <= g.epsilon).all() for g in g1)
    assert sum(g.simulations for g in g1) <= 120 and all(g.weights.sum() == pytest.approx(1) for g in g1)
    # tamper: the last generation deleted, the one before edited; a resume redoes them to the same posterior
    folder = tmp_path / "w1"
    store = Store(folder)
    last = store.path(len(g1) - 1)
    last.unlink()
    with open(store.path(len(g1) - 2), "r+b") as f:
        f.seek(200)
        f.write(b"garbage")
    again = run_calibration(_settings(), sc, data, folder, resume=True, progress=False)
    for a, b in zip(g1, again["generations"]):
        assert np.array_equal(a.theta, b.theta) and np.array_equal(a.weights, b.weights)


def test_outputs_have_their_columns_and_the_calibrated_scenario_loads(sc, data, tmp_path):
    settings = _settings()
    result = run_calibration(settings, sc, data, tmp_path / "c", progress=False)
    tables = write_outputs(tmp_path / "c", settings, sc, result, {"data": "synthetic"})
    post = pd.read_csv(tmp_path / "c" / "posterior.csv")
    assert list(post.columns) == [
        "generation",
        "particle",
        "spread.anger_dose",
        CAPTURE,
        "weight",
        "distance",
        "simulation",
    ]
    assert len(post) == 20 and post.weight.sum() == pytest.approx(1) and (post.generation == post.generation[0]).all()
    summary = pd.read_csv(tmp_path / "c" / "posterior_summary.csv")
    assert list(summary.key) == ["spread.anger_dose", CAPTURE]
    assert {"median", "q05", "q95", "prior_low", "prior_high", "informed"} <= set(summary.columns)
    assert (summary.q05 <= summary["median"]).all() and (summary["median"] <= summary.q95).all()
    assert summary.prior_low.tolist() == [0.05, 0.1] and summary.prior_high.tolist() == [0.8, 10.0]
    calibrated = load_scenario(tmp_path / "c" / "calibrated.toml")
    assert calibrated.spread.anger_dose == pytest.approx(tables["summary"]["median"][0], rel=1e-5)
    assert calibrated.simulation.days == sc.simulation.days  # the scenario's own horizon, not the fitted span
    diag = json.loads((tmp_path / "c" / "diagnostics.json").read_text())
    assert diag["simulations"] <= 120 and [g["generation"] for g in diag["generations"]] == list(
        range(len(result["generations"]))
    )
    assert all(0 < g["ess"] <= 20.0001 for g in diag["generations"])


def test_summary_says_informed_from_the_interval_width():
    s = _settings()
    rng = np.random.default_rng(0)
    theta = np.column_stack([rng.uniform(*s.bounds[0], 200), rng.normal(0.0, 0.05, 200)])  # capture: narrow
    gen = Generation(
        0,
        theta,
        np.full(200, 1 / 200),
        np.zeros(200),
        np.arange(200),
        np.zeros(200, int),
        np.zeros((200, 1)),
        np.zeros((200, 1)),
        math.inf,
        200,
        0,
    )
    summary = summary_frame(s, gen).set_index("key")
    assert not summary.loc["spread.anger_dose", "informed"] and summary.loc[CAPTURE, "informed"]
    assert summary.loc[CAPTURE, "median"] == pytest.approx(1.0, rel=0.05)  # 10^0, the capture on its log scale
    assert summary.loc["spread.anger_dose", "interval_share"] == pytest.approx(0.9, abs=0.06)


def test_parameter_recovery_covers_the_truth(sc):
    """Truths drawn from the prior, data made by the model from them, fitted: the 90% intervals cover them.

    Over TRIALS trials each interval should cover its truth about 90% of the time (exactly so for an exact
    posterior; an ABC posterior at a finite threshold is wider, so at least). The test fails when a parameter
    is covered fewer times than a Binomial(TRIALS, 0.9) falls below with probability 1%.
    """
    trials = 10
    floor = int(stats.binom.ppf(0.01, trials, 0.9))  # 6 of 10
    settings = _settings(particles=30, budget=300)
    lo, hi = settings.bounds.T
    covered = np.zeros(2, int)
    rng = np.random.default_rng(20261207)
    done = 0
    while done < trials:
        truth = lo + (hi - lo) * rng.random(2)  # sampled coordinates: log10 of both
        dose, capture = 10**truth
        data = synthetic_observed(sc, {"spread.anger_dose": dose}, capture, seed=1000 + done, sim=0, hours=48)
        if not data.negative.any():  # nothing the tool saw: no buzz to fit (and read_observed would refuse it)
            continue
        s = _settings(particles=30, budget=300, seed=done)
        gen = run_calibration(s, sc, data, None, progress=False)["generations"][-1]
        summary = summary_frame(s, gen)
        covered += (summary.q05.to_numpy() <= 10**truth) & (10**truth <= summary.q95.to_numpy())
        done += 1
    assert (covered >= floor).all(), covered


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, sc, data):
    f = tmp_path_factory.mktemp("cal")
    (f / "s.toml").write_text(to_toml(sc))
    pd.DataFrame({"hours": np.arange(data.bins), "negative": data.negative, "bin_hours": 1.0}).to_csv(
        f / "observed.csv", index=False
    )
    (f / "long.csv").write_text("hours,negative\n" + "".join(f"{h},1\n" for h in range(100)))
    (f / "fine.csv").write_text("hours,negative,bin_hours\n0,1,0.5\n0.5,2,0.5\n")
    (f / "unsorted.csv").write_text("hours,negative\n0,1\n2,1\n1,1\n")
    (f / "zero.csv").write_text("hours,negative\n0,0\n1,0\n")
    return f


def test_a_killed_calibration_resumes_to_the_same_posterior(cli_files, tmp_path):
    common = ["calibrate", str(cli_files / "s.toml"), "--data", str(cli_files / "observed.csv"), "--fit", FIT]
    common += ["--capture", "0.1:10", "--particles", "20", "--budget", "200", "--seed", "9", "--no-figures"]
    whole = run_cli(common + ["--out", str(tmp_path / "whole")], tmp_path)
    assert whole.returncode == 0, whole.stderr[-800:]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *common, "--out", str(killed)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    deadline = time.time() + 240
    while not (killed / "generations" / "g001.npz").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "posterior.csv").exists()
    resumed = run_cli(["calibrate", "--resume", str(killed)], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-800:]
    assert (killed / "figures" / "fit.png").is_file() and "--resume" not in (killed / "report.md").read_text()
    for name in ("posterior.csv", "generations.csv", "posterior_summary.csv", "calibrated.toml"):
        assert (killed / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    again = run_cli(["calibrate", "--resume", str(killed), "--budget", "300"], tmp_path)
    assert again.returncode == 2 and "--budget 300 differs from the calibration's" in again.stderr


def test_calibrate_on_the_shipped_synthetic_example_end_to_end(tmp_path):
    """import-mentions then calibrate on data/examples: the files, the figures and the report."""
    obs = tmp_path / "observed.csv"
    imp = run_cli(
        ["import-mentions", str(ROOT / "data/examples/synthetic_hourly_counts.csv"), "--tz", "Europe/Paris"]
        + ["--out", str(obs)],
        tmp_path,
    )
    assert imp.returncode == 0, imp.stderr
    out = tmp_path / "fit"
    proc = run_cli(
        ["calibrate", "default", "--data", str(obs), "--fit", "spread.anger_dose=0.1:1.5:log"]
        + ["--particles", "10", "--budget", "40", "--out", str(out), "--set", "population.size=600", "--pdf"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    assert "spread.anger_dose:" in proc.stdout and "capture_fraction:" in proc.stdout
    for name in ("fit.png", "fit.pdf", "posterior.png", "posterior.pdf"):
        assert (out / "figures" / name).stat().st_size > 5000, name
    report = (out / "report.md").read_text()
    assert "## Posterior" in report and "capture_fraction" in report and "figures/fit.png" in report
    assert "python run.py calibrate default" in report and "--out" not in report


@pytest.mark.parametrize("command", ["calibrate", "forecast"])
def test_without_pyabc_one_line_says_how_to_install(command, monkeypatch, tmp_path, capsys):
    import importlib.util

    from simulation.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyabc" else real(name, *a))
    (tmp_path / "obs.csv").write_text("hours,negative\n0,1\n1,2\n")
    argv = [command, "default", "--data", str(tmp_path / "obs.csv"), "--fit", FIT, "--out", str(tmp_path / "out")]
    assert main(argv + (["--until", "1", "--strategies", "ignore"] if command == "forecast" else [])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'needs pyabc, an optional extra: pip install -e ".[calibrate]"' in err
    assert not (tmp_path / "out").exists()
