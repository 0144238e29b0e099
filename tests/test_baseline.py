"""The golden baseline: fixed-seed runs of frozen fixtures reproduce their pinned series, metrics
and one sweep's aggregate to a relative tolerance of 1e-9 (see tests/baseline/__init__.py)."""

import pytest

from tests.baseline import differences, entries, outputs, read_expected, reread


@pytest.mark.parametrize("name", entries())
def test_baseline_reproduces(name):
    problems = []
    for table, df in outputs(name).items():
        found = differences(read_expected(name, table), reread(df))
        problems += [f"{name}.{table}: {p}" for p in found]
    assert not problems, (
        "behaviour moved (if intended: python -m tests.baseline, and say why in CHANGELOG.md):\n" + "\n".join(problems)
    )


def test_distributions_equal_those_recorded_before_the_draws_were_renamed():
    """The main metrics of 200 seeds of the equivalence fixture have the distributions recorded
    before the one change allowed to move the baseline (contagion unified in one compiled rule,
    draws named instead of numbered: same rules, other random numbers). Two-sample KS distance
    per metric below 1.949 sqrt(2/200) = 0.195, the distance sampling alone exceeds with chance
    0.1% (seven metrics: 0.7% family-wise); the runs use the same seeds, so a difference is the
    change, not the seeds."""
    from simulation.stats import ks_bound, ks_distance
    from tests.baseline import EQUIVALENCE, EQUIVALENCE_METRICS, run_equivalence

    before = read_expected(EQUIVALENCE, "before")
    now = run_equivalence()
    bound = ks_bound(len(before), len(now))
    far = {m: round(ks_distance(before[m], now[m]), 3) for m in EQUIVALENCE_METRICS}
    assert all(d <= bound for d in far.values()), f"KS distances {far} (bound {bound:.3f})"
