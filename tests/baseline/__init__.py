"""The golden baseline: fixed-seed runs whose every number is pinned in `expected/`.

The fixtures in `scenarios/` are frozen copies of the shipped scenarios at small sizes (and the
rumour and SIR reductions); recalibrating a shipped scenario moves nothing here. A change that
moves the baseline updates it in the same commit and says why in CHANGELOG.md. Regenerate with::

    python -m tests.baseline

Numbers are compared to a relative tolerance of 1e-9 (the exact bits of a floating-point result
differ between CPUs' vector units); text columns must be equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
EXPECTED = HERE / "expected"
RTOL, ATOL = 1e-9, 1e-12
CASES = tuple(p.stem for p in sorted(SCENARIOS.glob("*.toml")))
SWEEP = "sweep_default"  # one sweep of the default fixture: its aggregate.csv
# The distributional-equivalence record: the main metrics of 200 seeds of `equivalence.toml`, as
# computed before a change that was allowed to move the baseline (a refactoring that changed
# arithmetic or draws); `tests/test_baseline.py` checks that today's runs have the same
# distributions. Rewritten only by `python -m tests.baseline equivalence`, before such a change.
EQUIVALENCE = "equivalence"
EQUIVALENCE_METRICS = ("final_reputation", "reach", "total_posts", "peak_posts", "churned", "advocates", "crisis")


def run_case(name: str) -> dict[str, pd.DataFrame]:
    """The per-step series and per-run metrics of one fixture, every replication."""
    from simulation import load_scenario, run

    res = run(load_scenario(SCENARIOS / f"{name}.toml"))
    return {"timeseries": res.timeseries, "summary": res.summary}


def run_sweep() -> dict[str, pd.DataFrame]:
    """A sweep of the default fixture: remedy delays 0, 6 and 24 h after detection, 4 replications."""
    from simulation import load_scenario
    from simulation.experiments import run_experiment, sweep_plan

    base = load_scenario(SCENARIOS / "default.toml", {"simulation.days": 3})
    plan = sweep_plan(base, ["quick_fix", "delay"], {"brand.delay_hours": [0, 6, 24]}, 4, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        run_experiment(plan, Path(tmp), workers=1, progress=False)
        return {"aggregate": pd.read_csv(Path(tmp) / "aggregate.csv")}


def run_equivalence() -> pd.DataFrame:
    """The main metrics of the equivalence fixture's replications (one row per seed)."""
    from simulation import load_scenario, run

    summary = run(load_scenario(HERE / "equivalence.toml")).summary
    return summary[["replication", *EQUIVALENCE_METRICS]]


def write_equivalence() -> Path:
    """Record today's distribution of the equivalence fixture (before a distribution-preserving change)."""
    path = expected_path(EQUIVALENCE, "before")
    run_equivalence().to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
    return path


def outputs(name: str) -> dict[str, pd.DataFrame]:
    """The outputs of one baseline entry (a fixture or the sweep)."""
    return run_sweep() if name == SWEEP else run_case(name)


def expected_path(name: str, table: str) -> Path:
    return EXPECTED / f"{name}.{table}.csv"


def write(name: str) -> list[Path]:
    """Recompute one entry and write its tables (17 significant digits: exact round trip)."""
    EXPECTED.mkdir(exist_ok=True)
    paths = []
    for table, df in outputs(name).items():
        path = expected_path(name, table)
        df.to_csv(path, index=False, float_format="%.17g", lineterminator="\n")
        paths.append(path)
    return paths


def differences(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """What differs between a pinned table and a recomputed one (empty if they agree)."""
    out = []
    missing = [c for c in expected.columns if c not in actual.columns]
    if missing:
        out.append(f"columns missing: {missing}")
    if len(expected) != len(actual):
        return out + [f"{len(actual)} rows instead of {len(expected)}"]
    for col in expected.columns:
        if col in missing:
            continue
        e, a = expected[col], actual[col]
        if pd.api.types.is_numeric_dtype(e) and pd.api.types.is_numeric_dtype(a):
            ev, av = e.to_numpy(float), a.to_numpy(float)
            bad = ~((np.isnan(ev) & np.isnan(av)) | np.isclose(av, ev, rtol=RTOL, atol=ATOL))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                out.append(f"{col}: {int(bad.sum())} values differ, first at row {i}: {ev[i]!r} -> {av[i]!r}")
        else:
            es = e.fillna("").astype(str).to_numpy()
            as_ = a.fillna("").astype(str).to_numpy()
            bad = es != as_
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                out.append(f"{col}: {int(bad.sum())} values differ, first at row {i}: {es[i]!r} -> {as_[i]!r}")
    return out


def entries() -> tuple[str, ...]:
    return CASES + (SWEEP,)


def read_expected(name: str, table: str) -> pd.DataFrame:
    return pd.read_csv(expected_path(name, table), keep_default_na=True)


def reread(df: pd.DataFrame) -> pd.DataFrame:
    """A table as it reads back from CSV (so that types compare like for like)."""
    import io

    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format="%.17g", lineterminator="\n")
    buf.seek(0)
    return pd.read_csv(buf)


__all__ = ["CASES", "SWEEP", "entries", "outputs", "write", "differences", "read_expected", "reread"]
