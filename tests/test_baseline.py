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
