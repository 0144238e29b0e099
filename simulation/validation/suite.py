"""The check suite: every check of `check-model` in order, its table and its output files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Callable

from .cases import CASE_CHECKS, CONVERGENCE_CHECKS
from .common import Check, close_pool, jsonable
from .facts import (
    base_rate_runs,
    fact_attention_decay,
    fact_base_rate,
    fact_critical_window,
    fact_damage_outlives,
    fact_fades_on_any_network,
    fact_hub_amplifier,
    fact_remedy_quality,
    fact_streisand,
)
from .known import check_maki_thompson, check_sir_network

CHECKS: list[tuple[str, Callable[..., Check]]] = [
    ("1", fact_base_rate),
    ("2", fact_attention_decay),
    ("3", fact_hub_amplifier),
    ("4", fact_critical_window),
    ("5", fact_streisand),
    ("6", fact_remedy_quality),
    ("7", fact_damage_outlives),
    ("9", fact_fades_on_any_network),
    ("8a", check_maki_thompson),
    ("8b", check_sir_network),
    *CASE_CHECKS,
    *CONVERGENCE_CHECKS,
]


def run_all(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    only: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    formats: tuple[str, ...] | None = None,
) -> list[Check]:
    """Every check (or those whose key is in `only`), in order; figures into `out` in `formats` (default PNG)."""
    results = []
    try:
        for key, fn in CHECKS:
            if only and key not in only:
                continue
            c = fn(out=out, quick=quick, workers=workers, formats=formats)
            results.append(c)
            if progress:
                progress(f"[{key:>2}] {'pass' if c.passed else 'FAIL'}  {c.fact}: {c.measured}  ({c.seconds:.0f} s)")
    finally:
        close_pool()
        base_rate_runs.cache_clear()
    return results


def table(checks: list[Check], width: int | None = None) -> str:
    """The checks as a plain-text table: fact, expected, measured, result."""
    cols = [("fact", 26), ("expected", 40), ("measured", 46), ("result", 6)]
    if width:
        scale = max(0.6, (width - 3 * len(cols)) / sum(w for _, w in cols))
        cols = [(n, max(6, int(w * scale))) for n, w in cols]
    lines = [" | ".join(n.ljust(w) for n, w in cols), "-+-".join("-" * w for _, w in cols)]
    for c in checks:
        cells = [f"{c.key}. {c.fact}", c.expected, c.measured, "pass" if c.passed else "FAIL"]
        wrapped = [textwrap.wrap(str(v), w) or [""] for v, (_, w) in zip(cells, cols)]
        for i in range(max(len(x) for x in wrapped)):
            lines.append(" | ".join((x[i] if i < len(x) else "").ljust(w) for x, (_, w) in zip(wrapped, cols)))
        lines.append("-+-".join("-" * w for _, w in cols))
    return "\n".join(lines)


def write_outputs(checks: list[Check], folder: Path) -> None:
    """checks.json (every record with its details) and checks.csv (one row per check)."""
    import pandas as pd

    from ..experiment_folder import CHECKS_CSV
    from ..results import write_csv, write_text

    rows = [c.row() for c in checks]
    write_text(folder / "checks.json", json.dumps(rows, indent=2, default=jsonable) + "\n")
    flat = [{k: v for k, v in r.items() if k not in ("details", "figures")} for r in rows]
    write_csv(pd.DataFrame(flat), folder / CHECKS_CSV)
