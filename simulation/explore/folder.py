"""A finished results folder, as the explorer browses it: its figures, tables and texts.

A run folder (`run.py run`) holds meta.json, timeseries.csv, summary.csv and figures/; an
experiment folder (`compare`, `sweep`, `sensitivity`) holds experiment.json, its tables, report.md
and figures/; a calibration (`calibrate`), a forecast (`forecast`) and a validation (`check-model`)
folder are known by their own files (`KINDS`). The explorer only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..calibrate import SETTINGS_JSON
from ..experiment_folder import CHECKS_CSV, EXPERIMENT_JSON, META_JSON
from ..forecast import FORECAST_JSON
from ..scenario import ScenarioError

TEXTS = ("report.md", "scenario.toml", "calibrated.toml", "experiment.json", "meta.json")  # shown, in this order
# The kind of a results folder, by the file that only its command writes (the first found names it).
KINDS = (
    (EXPERIMENT_JSON, "experiment"),
    (SETTINGS_JSON, "calibration"),
    (FORECAST_JSON, "forecast"),
    (CHECKS_CSV, "validation"),
    (META_JSON, "run"),  # last: the other commands write a meta.json too
)
MAX_TABLE_ROWS = 5000  # a table's first rows shown (timeseries.csv can hold millions)


@dataclass
class ResultsFolder:
    """A results folder's figures (PNG), tables (CSV) and texts, paths relative to it."""

    path: Path
    kind: str  # a name of KINDS: "run", "experiment", "calibration", "forecast" or "validation"
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
    kind = next((k for name, k in KINDS if (path / name).is_file()), None)
    if kind is None:
        names = ", ".join(name for name, _ in KINDS)
        raise ScenarioError(str(path), "", f"not a results folder of this tool (it has none of {names})")

    def listed(pattern: str) -> list[str]:
        found = (p.relative_to(path) for p in path.rglob(pattern) if not any(s.startswith(".") for s in p.parts))
        return sorted((str(p) for p in found if not str(p).startswith("runs/")), key=lambda s: (s.count("/"), s))

    texts = [t for t in TEXTS if (path / t).is_file()]
    return ResultsFolder(path, kind, listed("*.png"), listed("*.csv"), texts)
