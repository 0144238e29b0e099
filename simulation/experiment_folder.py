"""The experiment folder: its files, written and read in this module only.

An experiment (a compare or a sweep, `simulation.experiments`) writes into one folder:

- `scenario.toml`: the resolved base scenario; `experiment.json`: the plan (kind, strategies,
  swept keys, conditions with their changes, seeds, replications, clock, command, horizon, step,
  currency), written before any run;
- `runs/c<condition>/r<replication>.json` (metrics and error) and `.npz` (the stored series), one
  pair per finished run, written atomically as it finishes (the `.json` last: it marks the run
  done), so that an interrupted experiment resumes;
- the tables assembled from `runs/`: `summary.csv`, `aggregate.csv`, `timeseries_quantiles.csv`,
  `critical_window.csv`, `timeseries.parquet` (every series of every run, `simulation.series_table`);
  `meta.json`;
- `figures/`, `report.md`/`report.html` and `tables/` (`simulation.tables`), drawn from those files
  alone.

:class:`ExperimentFolder` reads a folder back for the figures and the report.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .results import make_folder, write_csv, write_text
from .strategies import PRESETS

SCENARIO_TOML = "scenario.toml"
EXPERIMENT_JSON = "experiment.json"
META_JSON = "meta.json"
SERIES_PARQUET = "timeseries.parquet"
SUMMARY_CSV = "summary.csv"
AGGREGATE_CSV = "aggregate.csv"
QUANTILES_CSV = "timeseries_quantiles.csv"
CRITICAL_CSV = "critical_window.csv"
CONTRASTS_CSV = "contrasts.csv"
HORIZON_CSV = "horizon_check.csv"
HORIZON_DIR = "horizon_check"  # the experiment rerun at twice the horizon (--horizon-check)
RUNS_DIR = "runs"
FIGURES_DIR = "figures"
STRATEGY_KEY = "brand.strategy"  # the first key of every condition
DELAY_KEY = "brand.delay_hours"  # the swept key of the response-timing figure and critical window
PLAN_KEYS = (
    "kind",
    "scenario",
    "seed",
    "replications",
    "baseline",
    "strategies",
    "vary",
    "clock",
    "keys",
    "conditions",
    "command",
    "dt_hours",
    "days",
    "currency",
)


class FolderError(ValueError):
    """A folder that is not a (complete) experiment folder: one line naming it and what is missing."""


def create(folder: Path, plan: dict, scenario_toml: str) -> None:
    """Start an experiment folder: the base scenario and the plan (refuses a non-empty folder)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder}: --out is a file, not a folder; choose a new folder")
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(
            f"{folder}: --out exists and is not empty; choose a new folder, or --resume {folder} to finish it"
        )
    missing = [k for k in PLAN_KEYS if k not in plan]
    if missing:
        raise ValueError(f"plan lacks {missing}")
    make_folder(folder)
    write_text(folder / SCENARIO_TOML, scenario_toml)
    write_text(folder / EXPERIMENT_JSON, json.dumps(plan, indent=2, default=str) + "\n")


LOCK = ".lock"  # the process working on a folder: its PID


@contextlib.contextmanager
def locked(folder: Path):
    """Hold the folder's lock for the block: a second process working on it is refused in one line."""
    path = Path(folder) / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
                os.kill(pid, 0)
            except (ValueError, OSError):  # a dead process's lock: taken over
                path.unlink(missing_ok=True)
                continue
            raise FileExistsError(f"{folder}: another process (PID {pid}) is working on this folder") from None
    else:
        raise FileExistsError(f"{folder}: cannot take the folder's lock ({path})")
    with os.fdopen(fd, "w") as f:
        f.write(f"{os.getpid()}\n")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def read_plan(folder: Path) -> dict:
    """The plan of an experiment folder (experiment.json)."""
    path = Path(folder) / EXPERIMENT_JSON
    if not path.is_file():
        raise FolderError(
            f"{folder}: not an experiment folder (no {EXPERIMENT_JSON}); "
            "--resume takes the folder an interrupted compare or sweep wrote"
        )
    plan = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in PLAN_KEYS if k not in plan]
    if missing:
        raise FolderError(f"{path}: missing {', '.join(missing)} (not written by this version of buzzsim)")
    return plan


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write the assembled tables (file name -> table); empty tables are not written."""
    for name, df in tables.items():
        if df is not None and len(df):
            write_csv(df, Path(folder) / name)


class RunStore:
    """`runs/c<condition>/r<replication>.json|.npz`: one finished run each, written atomically."""

    def __init__(self, folder: Path):
        self.root = Path(folder) / RUNS_DIR

    def _stem(self, condition: int, replication: int) -> Path:
        return self.root / f"c{condition:04d}" / f"r{replication:05d}"

    def done(self) -> set[tuple[int, int]]:
        """(condition, replication) of every finished run."""
        return {(int(p.parent.name[1:]), int(p.stem[1:])) for p in self.root.glob("c*/r*.json")}

    def verify(self, lengths: list[int], replications: int, metrics: list[str]) -> list[str]:
        """Check every stored run before a resume trusts it; remove the bad ones (to be run again).

        A run file is trusted when its record parses, names its own condition and replication,
        has every metric and an error text, and, when it succeeded and its series are kept, its
        series load with the condition's number of rows (`lengths[condition]`). Guards against
        accidents (an interrupted write, a file copied, edited or emptied by hand), not forgery.
        Returns one description per run removed.
        """
        bad = []
        for path in sorted(self.root.glob("c*/r*.json")):
            c, r = int(path.parent.name[1:]), int(path.stem[1:])
            why = ""
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                if not (isinstance(rec, dict) and rec.get("condition") == c and rec.get("replication") == r):
                    why = "names another run"
                elif not (0 <= c < len(lengths) and 0 <= r < replications):
                    why = "is not a run of this plan"
                elif not isinstance(rec.get("metrics"), dict) or set(metrics) - set(rec["metrics"]):
                    why = "lacks metrics"
                elif not isinstance(rec.get("error"), str):
                    why = "lacks its error field"
            except (OSError, ValueError):
                why = "is not readable JSON"
            npz = path.with_suffix(".npz")
            if not why and npz.exists():
                try:
                    with np.load(npz, allow_pickle=False) as z:
                        rows = len(z["reputation"])
                    if rows != lengths[c]:
                        why = f"has {rows} rows of series, not {lengths[c]}"
                except Exception:  # any unreadable archive is redone
                    why = "has unreadable series"
            if why:
                bad.append(f"{path.parent.name}/{path.stem} {why}")
                path.unlink(missing_ok=True)
                npz.unlink(missing_ok=True)
        return bad

    def write(self, result: dict) -> None:
        """Store one finished run (its `.npz` series first, then the `.json` that marks it done)."""
        stem = self._stem(result["condition"], result["replication"])
        stem.parent.mkdir(parents=True, exist_ok=True)
        if result.get("series") is not None:
            tmp = stem.with_name(stem.name + ".tmp.npz")
            np.savez(tmp, **result["series"])
            os.replace(tmp, stem.with_suffix(".npz"))
        record = {k: result[k] for k in ("condition", "replication", "metrics", "error")}
        if result.get("traceback"):
            record["traceback"] = result["traceback"]
        write_text(stem.with_suffix(".json"), json.dumps(record, default=float) + "\n")

    def metrics(self, condition: int, replication: int) -> dict:
        """The stored record of one run: metrics and error."""
        return json.loads(self._stem(condition, replication).with_suffix(".json").read_text())

    def drop_series(self) -> None:
        """Remove every run's stored series (their metrics stay: `--series none`)."""
        for path in self.root.glob("c*/r*.npz"):
            path.unlink()

    def series(self, condition: int, replication: int) -> dict[str, np.ndarray] | None:
        """The stored series of one run (None if it failed)."""
        path = self._stem(condition, replication).with_suffix(".npz")
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}


def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


@dataclass
class ExperimentFolder:
    """The files of an experiment folder, read once (CSVs when first used)."""

    folder: Path
    plan: dict = field(repr=False)

    @classmethod
    def load(cls, folder: str | Path) -> ExperimentFolder:
        """Read an experiment folder (experiment.json required; CSVs are read when first used)."""
        return cls(Path(folder), read_plan(Path(folder)))

    # -- experiment.json --
    @property
    def kind(self) -> str:
        """'compare' or 'sweep'."""
        return self.plan["kind"]

    @property
    def baseline(self) -> str:
        """The strategy the others are compared with."""
        return self.plan["baseline"]

    @property
    def vary(self) -> dict[str, list]:
        """The swept keys and their values (empty for a compare)."""
        return dict(self.plan["vary"])

    @property
    def keys(self) -> list[str]:
        """The condition keys: the strategy, then the swept keys."""
        return list(self.plan["keys"])

    @property
    def clock(self) -> str:
        """The anchor of the brand's delays."""
        return self.plan["clock"]

    @property
    def currency(self) -> str:
        """The scenario's currency label."""
        return self.plan["currency"]

    @property
    def replications(self) -> int:
        """Replications per condition."""
        return int(self.plan["replications"])

    @property
    def seed(self) -> int:
        """The root seed."""
        return self.plan["seed"]

    @property
    def scenario(self) -> str:
        """The base scenario's name."""
        return self.plan["scenario"]

    @property
    def command(self) -> str:
        """The command that made the experiment."""
        return self.plan["command"]

    @property
    def strategies(self) -> list[str]:
        """The strategies compared, the baseline first."""
        return list(self.plan["strategies"])

    def description(self, strategy: str) -> str:
        """A strategy's schedule in words ('' in folders written before they were recorded)."""
        return str(self.plan.get("descriptions", {}).get(strategy, ""))

    def title(self, strategy: str) -> str:
        """A strategy for titles and legends: a preset's name, a schedule of the user's with its words."""
        words = self.description(strategy)
        return strategy if strategy in PRESETS or not words else f"{strategy} ({words})"

    @property
    def horizon_h(self) -> float:
        """The horizon in hours."""
        return float(self.plan["days"]) * 24.0

    @cached_property
    def conditions(self) -> pd.DataFrame:
        """One row per condition: ``condition, label`` and the key columns, in condition order."""
        rows = [
            {"condition": int(c["condition"]), "label": str(c["label"]), **c["changes"]}
            for c in self.plan["conditions"]
        ]
        return pd.DataFrame(rows).sort_values("condition").reset_index(drop=True)

    def label(self, condition: int) -> str:
        """A condition's label."""
        row = self.conditions.loc[self.conditions["condition"] == condition, "label"]
        return str(row.iloc[0]) if len(row) else str(condition)

    def strategy_of(self, condition: int) -> str:
        """A condition's strategy."""
        row = self.conditions.loc[self.conditions["condition"] == condition]
        return str(row[STRATEGY_KEY].iloc[0])

    # -- CSVs --
    @cached_property
    def summary(self) -> pd.DataFrame | None:
        """summary.csv (None if absent)."""
        return _read_csv(self.folder / SUMMARY_CSV)

    @cached_property
    def aggregate(self) -> pd.DataFrame | None:
        """aggregate.csv (None if absent)."""
        return _read_csv(self.folder / AGGREGATE_CSV)

    @cached_property
    def quantiles(self) -> pd.DataFrame | None:
        """timeseries_quantiles.csv (None if absent)."""
        return _read_csv(self.folder / QUANTILES_CSV)

    @cached_property
    def critical(self) -> pd.DataFrame | None:
        """critical_window.csv (None if absent)."""
        return _read_csv(self.folder / CRITICAL_CSV)

    @cached_property
    def contrasts(self) -> pd.DataFrame | None:
        """contrasts.csv (None if absent)."""
        return _read_csv(self.folder / CONTRASTS_CSV)

    @cached_property
    def horizon(self) -> pd.DataFrame | None:
        """horizon_check.csv (None if absent)."""
        return _read_csv(self.folder / HORIZON_CSV)

    def run_series(self, name: str, conditions: list[int], replications: int) -> pd.DataFrame | None:
        """One series of the first `replications` runs of some conditions, from timeseries.parquet.

        Columns condition, replication, hours and the series; None when the folder keeps no per-run
        series (--series none) or lacks that one.
        """
        path = self.folder / SERIES_PARQUET
        if not path.is_file():
            return None
        import pyarrow.parquet as pq

        if name not in pq.read_schema(path).names:
            return None
        table = pq.read_table(
            path,
            columns=["condition", "replication", "hours", name],
            filters=[("condition", "in", list(conditions)), ("replication", "<", replications)],
        )
        return table.to_pandas()

    @property
    def main_metric(self) -> str:
        """The experiment's main metric: its critical window's (and the one --resolve is in)."""
        return str(self.plan.get("window_metric", "final_reputation"))

    def scenario_table(self) -> dict:
        """The base scenario (scenario.toml) as a dict ({} if absent)."""
        import tomllib

        path = self.folder / SCENARIO_TOML
        if not path.is_file():
            return {}
        with open(path, "rb") as f:
            return tomllib.load(f)

    def stat(self, metric: str, scope: str = "all") -> pd.DataFrame:
        """Rows of aggregate.csv for one metric and scope, in condition order."""
        agg = self.aggregate
        if agg is None:
            return pd.DataFrame()
        rows = agg[(agg["metric"] == metric) & (agg["scope"] == scope)]
        return rows.sort_values("condition").reset_index(drop=True)

    def first_action_h(self) -> dict[int, float]:
        """Per condition, the median of ``first_action_h`` over its runs with an action."""
        s = self.summary
        if s is None or "first_action_h" not in s:
            return {}
        acted = s.dropna(subset=["first_action_h"])
        return {int(c): float(v) for c, v in acted.groupby("condition")["first_action_h"].median().items()}

    def failed_runs(self) -> int:
        """How many runs raised an error."""
        s = self.summary
        if s is None or "error" not in s:
            return 0
        errors = s["error"]
        return int((errors.notna() & (errors.astype(str).str.strip() != "")).sum())

    def subtitle(self) -> str:
        """'scenario NAME, R replications per condition'."""
        return f"scenario {self.scenario}, {self.replications} replications per condition"

    def figures(self) -> list[Path]:
        """The PNG figures drawn so far."""
        folder = self.folder / FIGURES_DIR
        return sorted(folder.glob("*.png")) if folder.is_dir() else []
