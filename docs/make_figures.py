"""Remake the figures of the README and docs/cases.md from the tool's own runs.

    python docs/make_figures.py            # everything (about 4 minutes on 2 cores)
    python docs/make_figures.py cases      # the case figures only
    python docs/make_figures.py timing     # the README's response-timing figure only
    python docs/make_figures.py sensitivity  # the README's Morris screening of the default scenario
    python docs/make_figures.py calibration  # docs/calibration.md's fit of the shipped synthetic example
    python docs/make_figures.py forecast     # the README's forecast of the shipped live buzz
    python docs/make_figures.py coverage     # docs/calibration.md's coverage of the 90% intervals

Case figures: each shipped case is run as a user would (`python run.py run CASE`: its own seed and
replications) and its posts and reputation figures are copied to docs/figures/cases/. Timing: the
README's sweep of the Porsche case is run (`python run.py sweep ...`, the command below) and its
response-timing figure, critical_window.csv and horizon_check.csv are copied to docs/figures/,
where the README's sentence about the critical window is generated from (python -m simulation.docs).
Sensitivity: the README's Morris screening of the default scenario's assumptions is run (the
command below) and its figures and tables are copied to docs/figures/default_sensitivity_*, where
the README's paragraph on it is generated from.
Calibration: the shipped synthetic export is imported and fitted (the commands below), the
calibrated scenario is run, and the fit's figures and tables are copied to docs/figures/calibration_*,
where docs/calibration.md's numbers and the README's sentence are generated from.
Forecast: the shipped live buzz (synthetic) is imported and forecast (the commands below), and its
figure and tables are copied to docs/figures/forecast_*, where the README's sentence comes from.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.cli import main  # noqa: E402

CASES = ("porsche_991", "kia_deposit", "private_outlet", "lawyers_streisand", "press_latency")
FIGURES = ROOT / "docs" / "figures"
TIMING = [
    "sweep",
    "porsche_991",
    "--vary",
    "brand.delay_hours=0,24,72,168,336,720,1440",
    "--strategies",
    "quick_fix",
    "--set",
    "brand.anchor=complaint",
    "--set",
    "simulation.days=180",
    "--replications",
    "20",
    "--horizon-check",
]

SENSITIVITY = [
    "sensitivity",
    "default",
    "--params",
    "assumptions",
    "--strategies",
    "quick_fix",
    "--n",
    "10",
    "--replications",
    "5",
]

EXAMPLE = ["import-mentions", "data/examples/synthetic_mentions.csv", "--sentiment-col", "sentiment"]
CALIBRATION = [
    "calibrate",
    "default",
    "--data",
    "observed.csv",
    "--fit",
    "spread.anger_dose=0.1:1.5:log",
    "--fit",
    "attention.novelty_half_life_h=3:48:log",
    "--budget",
    "3000",
]
CALIBRATED_REPLICATIONS = 20
LIVE = ["import-mentions", "data/examples/synthetic_live_buzz.csv", "--sentiment-col", "sentiment"]
FORECAST = [
    "forecast",
    "default",
    "--strategy",
    "ignore",
    "--data",
    "live.csv",
    "--until",
    "12",
    "--strategies",
    "ignore,quick_fix@0,quick_fix@24",
    "--fit",
    "spread.anger_dose=0.1:1.5:log",
    "--fit",
    "attention.novelty_half_life_h=3:48:log",
    "--budget",
    "1500",
]


def cases() -> None:
    """Run each case as shipped and keep its posts and reputation figures."""
    out = FIGURES / "cases"
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            if main(["run", case, "--out", str(Path(tmp) / case)]):
                sys.exit(f"error: the run of {case} failed")
            for fig in ("posts", "reputation"):
                shutil.copy(Path(tmp) / case / "figures" / f"{fig}.png", out / f"{case}_{fig}.png")
                print(f"wrote {out / f'{case}_{fig}.png'}")


def timing() -> None:
    """Run the README's Porsche sweep and keep its timing figure and critical window."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        if main([*TIMING, "--out", str(folder)]):
            sys.exit("error: the Porsche sweep failed")
        shutil.copy(folder / "figures" / "response_timing.png", FIGURES / "porsche_response_timing.png")
        shutil.copy(folder / "critical_window.csv", FIGURES / "porsche_critical_window.csv")
        shutil.copy(folder / "horizon_check.csv", FIGURES / "porsche_horizon_check.csv")
    print(f"wrote {FIGURES / 'porsche_response_timing.png'}, porsche_critical_window.csv and porsche_horizon_check.csv")


def sensitivity() -> None:
    """Run the README's Morris screening of the default scenario and keep its figures and tables."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sensitivity"
        if main([*SENSITIVITY, "--out", str(folder)]):
            sys.exit("error: the sensitivity study failed")
        shutil.copy(folder / "figures" / "indices_quick_fix_ignore.png", FIGURES / "default_sensitivity_indices.png")
        shutil.copy(folder / "figures" / "wins.png", FIGURES / "default_sensitivity_wins.png")
        for name in ("sensitivity", "robustness", "noise", "boxes", "samples"):
            if (folder / f"{name}.csv").is_file():
                shutil.copy(folder / f"{name}.csv", FIGURES / f"default_sensitivity_{name}.csv")
        shutil.copy(folder / "sensitivity.json", FIGURES / "default_sensitivity.json")
    print(f"wrote {FIGURES}/default_sensitivity_*")


def calibration() -> None:
    """Fit the shipped synthetic example, run the calibrated scenario, keep the figures and tables."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        observed, folder, runs = tmp / "observed.csv", tmp / "calibration", tmp / "calibrated"
        if main([*EXAMPLE, "--out", str(observed)]):
            sys.exit("error: the example's import failed")
        command = [str(observed) if a == "observed.csv" else a for a in CALIBRATION]
        if main([*command, "--workers", "2", "--pdf", "--out", str(folder)]):
            sys.exit("error: the calibration failed")
        calibrated = ["run", str(folder / "calibrated.toml"), "--replications", str(CALIBRATED_REPLICATIONS)]
        if main([*calibrated, "--no-figures", "--out", str(runs)]):
            sys.exit("error: the calibrated scenario's run failed")
        for stem in ("fit", "posterior"):
            for ext in ("png", "pdf"):
                shutil.copy(folder / "figures" / f"{stem}.{ext}", FIGURES / f"calibration_{stem}.{ext}")
        shutil.copy(folder / "posterior_summary.csv", FIGURES / "calibration_posterior_summary.csv")
        shutil.copy(folder / "diagnostics.json", FIGURES / "calibration_diagnostics.json")
        # the calibrated scenario's scale: each run's busiest hour and its first day's negative posts
        from simulation import load_scenario

        sc = load_scenario(folder / "calibrated.toml")
        ts = pd.read_csv(runs / "timeseries.csv")
        ts["per_h"] = ts.posts_negative / sc.simulation.dt_hours
        scale = pd.DataFrame(
            {
                "peak_posts_per_h": ts.groupby("replication").per_h.max(),
                "first_day_posts": ts[(ts.hours > 0) & (ts.hours <= 24)].groupby("replication").posts_negative.sum(),
            }
        )
        scale.assign(population=sc.population.size).to_csv(FIGURES / "calibration_scale.csv")
    print(f"wrote {FIGURES}/calibration_*")


def forecast() -> None:
    """Forecast the shipped live buzz under three responses; keep the figure and the tables."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        live, folder = tmp / "live.csv", tmp / "forecast"
        if main([*LIVE, "--out", str(live)]):
            sys.exit("error: the live example's import failed")
        command = [str(live) if a == "live.csv" else a for a in FORECAST]
        if main([*command, "--workers", "2", "--pdf", "--out", str(folder)]):
            sys.exit("error: the forecast failed")
        for ext in ("png", "pdf"):
            shutil.copy(folder / "figures" / f"forecast.{ext}", FIGURES / f"forecast.{ext}")
        for name in ("forecast_summary", "differences", "uncertainty"):
            shutil.copy(folder / f"{name}.csv", FIGURES / f"forecast_{name.removeprefix('forecast_')}.csv")
        shutil.copy(folder / "forecast.json", FIGURES / "forecast.json")
    print(f"wrote {FIGURES}/forecast*")


COVERAGE = ["--trials", "60", "--budget", "1500", "--particles", "60", "--workers", "2"]


def coverage() -> None:
    """Parameter recovery over many synthetic buzzes (benchmarks/bench_recovery.py); keep its table."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_recovery", ROOT / "benchmarks" / "bench_recovery.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main([*COVERAGE, "--out", str(FIGURES / "calibration_coverage.csv")])
    print(f"wrote {FIGURES / 'calibration_coverage.csv'}")


if __name__ == "__main__":
    what = sys.argv[1:] or ["cases", "timing", "sensitivity", "calibration", "forecast", "coverage"]
    steps = {"cases": cases, "timing": timing, "sensitivity": sensitivity, "calibration": calibration}
    for name in what:
        {**steps, "forecast": forecast, "coverage": coverage}[name]()
    from simulation.docs import update

    for path in update():
        print(f"updated {path.relative_to(ROOT)}")
