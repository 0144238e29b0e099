"""Shared fixtures: small scenarios of the tests' own (never the user-facing defaults)."""

import copy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A small network where a hub's complaint usually becomes a crisis within days.
SMALL = {
    "name": "small",
    "seed": 7,
    "simulation": {"days": 6, "dt_hours": 1.0},
    "population": {"size": 600},
    "network": {"kind": "barabasi_albert", "m": 4},
    "complaint": {"placement": "hub"},
    "spread": {"post_rate_per_h": 1.0, "anger_dose": 0.2, "visibility": 0.4},
    "brand": {"strategy": "ignore", "detection_threshold": 4.0},
}


def small(**changes) -> dict:
    """The SMALL scenario dict with dotted-key changes."""
    from simulation.scenario import apply_overrides

    return apply_overrides(copy.deepcopy(SMALL), changes)


@pytest.fixture
def small_scenario():
    from simulation import load_scenario

    return load_scenario(small())


def run_cli(args, cwd, timeout=600):
    """`python run.py ARGS` in a fresh process, in `cwd`, with this checkout's package first on the path."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
