"""A finished run or experiment folder, as the explorer browses it: its figures, tables and texts.

A run folder (`run.py run`) holds meta.json, timeseries.csv, summary.csv and figures/; an
experiment folder (`compare`, `sweep`, `sensitivity`) holds experiment.json, its tables, report.md
and figures/. The explorer only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..experiment_folder import EXPERIMENT_JSON, META_JSON
from ..scenario import ScenarioError

TEXTS = ("report.md", "scenario.toml", "experiment.json", "meta.json")  # shown as text, in this order
MAX_TABLE_ROWS = 5000  # a table's first rows shown (timeseries.csv can hold millions)


@dataclass
class ResultsFolder:
    """A results folder's figures (PNG), tables (CSV) and texts, paths relative to it."""

    path: Path
    kind: str  # "run" or "experiment"
    figures: list[str]
    tables: list[str]
    texts: list[str]

    def table(self, name: str) -> tuple[pd.DataFrame, int]:
        """A table's first MAX_TABLE_ROWS rows, and its number of rows."""
        path = self.path / name
        with path.open(encoding="utf-8") as f:
            total = max(0, sum(1 for _ in f) - 1)
        return pd.read_csv(path, nrows=MAX_TABLE_ROWS), total

    def text(self, name: str) -> str:
        """A text file's content."""
        return (self.path / name).read_text(encoding="utf-8", errors="replace")

    def figure(self, name: str) -> bytes:
        """A figure's PNG bytes."""
        return (self.path / name).read_bytes()


def is_results_folder(path: Path) -> bool:
    """Whether a path is a folder (the explorer then browses it instead of opening a scenario)."""
    return Path(path).is_dir()


def open_folder(path: str | Path) -> ResultsFolder:
    """Read a results folder's listing; a folder that is neither a run nor an experiment is a ScenarioError."""
    path = Path(path)
    if (path / EXPERIMENT_JSON).is_file():
        kind = "experiment"
    elif (path / META_JSON).is_file():
        kind = "run"
    else:
        raise ScenarioError(
            str(path), "", f"not a run or experiment folder (it has neither {META_JSON} nor {EXPERIMENT_JSON})"
        )

    def listed(pattern: str) -> list[str]:
        found = (p.relative_to(path) for p in path.rglob(pattern) if not any(s.startswith(".") for s in p.parts))
        return sorted((str(p) for p in found if not str(p).startswith("runs/")), key=lambda s: (s.count("/"), s))

    texts = [t for t in TEXTS if (path / t).is_file()]
    return ResultsFolder(path, kind, listed("*.png"), listed("*.csv"), texts)
