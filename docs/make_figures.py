"""Remake the figures of the README and docs/cases.md from the tool's own runs.

    python docs/make_figures.py            # everything (about 4 minutes on 2 cores)
    python docs/make_figures.py cases      # the case figures only
    python docs/make_figures.py timing     # the README's response-timing figure only
    python docs/make_figures.py sensitivity  # the README's Morris screening of the default scenario

Case figures: each shipped case is run as a user would (`python run.py run CASE`: its own seed and
replications) and its posts and reputation figures are copied to docs/figures/cases/. Timing: the
README's sweep of the Porsche case is run (`python run.py sweep ...`, the command below) and its
response-timing figure, critical_window.csv and horizon_check.csv are copied to docs/figures/,
where the README's sentence about the critical window is generated from (python -m simulation.docs).
Sensitivity: the README's Morris screening of the default scenario's assumptions is run (the
command below) and its figures and tables are copied to docs/figures/default_sensitivity_*, where
the README's paragraph on it is generated from.
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


if __name__ == "__main__":
    what = sys.argv[1:] or ["cases", "timing", "sensitivity"]
    for name in what:
        {"cases": cases, "timing": timing, "sensitivity": sensitivity}[name]()
    from simulation.docs import update

    for path in update():
        print(f"updated {path.relative_to(ROOT)}")
