"""The experiment folder: its files, written and read in this module only.

An experiment (a compare or a sweep, `simulation.experiments`) writes into one folder:

- `scenario.toml`: the resolved base scenario; `experiment.json`: the plan (kind, strategies,
  swept keys, conditions with their changes, seeds, replications, clock, command, horizon, step,
  currency), written before any run;
- `runs/`: the finished runs, one file pair per batch of a condition's replications, written
  atomically as the batch finishes, with a manifest of their hashes (:class:`RunStore`), so that an
  interrupted experiment resumes and a resume trusts only what it has checked;
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
CHECKS_CSV = "checks.csv"  # a validation folder's (check-model) table: one row per check
REPLICATIONS_KEY = "_replications"  # in a batch's .npz: the replication of each row of its series
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


def create(folder: Path, plan: dict, scenario_toml: str, extra: dict[str, str] | None = None) -> None:
    """Start an experiment folder: the base scenario, the plan and `extra` files (refuses a non-empty folder).

    Their hashes are kept (FINGERPRINT) so that a resume can tell they were not changed.
    """
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
    for name, text in (extra or {}).items():
        write_text(folder / name, text)
    names = [EXPERIMENT_JSON, SCENARIO_TOML, *(extra or {})]
    write_text(folder / FINGERPRINT, json.dumps(_fingerprint(folder, names), indent=2) + "\n")


FINGERPRINT = ".fingerprint.json"  # the SHA-256 of the plan and of the scenario, as the experiment started


def _fingerprint(folder: Path, names) -> dict[str, str]:
    from .results import file_sha256

    return {name: file_sha256(Path(folder) / name) if (Path(folder) / name).is_file() else "" for name in names}


def check_unchanged(folder: Path) -> None:
    """Refuse to resume a folder whose plan or scenario changed since the experiment started (one line)."""
    path = Path(folder) / FINGERPRINT
    if not path.is_file():
        raise FolderError(f"{folder}: no {FINGERPRINT}: not started by this version of buzzsim; start a new experiment")
    started = read_json(path, "the hashes a resume checks")
    if not all(isinstance(v, str) for v in started.values()):
        raise FolderError(f"{path}: not the hashes a resume checks (edited?); start a new experiment")
    now = _fingerprint(folder, started)
    changed = [name for name in now if started.get(name) != now[name]]
    if changed:
        raise FolderError(
            f"{folder}: {' and '.join(changed)} changed since the experiment started; the runs left would not be "
            "those planned: start a new experiment"
        )


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


def read_json(path: Path, what: str) -> dict:
    """A JSON object an experiment folder holds (`what` names it), or FolderError in one line."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FolderError(f"{path}: missing; not a complete experiment folder") from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON (truncated, edited)
        raise FolderError(f"{path}: not readable as JSON ({exc.__class__.__name__}); start a new experiment") from None
    if not isinstance(data, dict):
        raise FolderError(f"{path}: not {what} (a JSON object); start a new experiment")
    return data


def read_plan(folder: Path) -> dict:
    """The plan of an experiment folder (experiment.json)."""
    path = Path(folder) / EXPERIMENT_JSON
    if not path.is_file():
        raise FolderError(
            f"{folder}: not an experiment folder (no {EXPERIMENT_JSON}); "
            "--resume takes the folder an interrupted compare or sweep wrote"
        )
    plan = read_json(path, "an experiment's plan")
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
    """`runs/`: the finished runs of an experiment, packed one batch of a condition's replications per file pair.

    - `c<condition>/b<first replication>.json`: the batch's records (replication, metrics, error) and
      the SHA-256 of its series file; `.npz` beside it: the series, keyed `r<replication>.<series>`.
      The `.npz` is written first, then the `.json`, which marks the batch done.
    - `manifest.tsv`: one line per batch written (file, SHA-256 of its `.json`, replications),
      appended after the `.json`. A resume trusts a batch only when its files hash as the manifest
      and the record say (`verify`).
    - `series_dropped`: present once the series were removed (`--series none`, after the quantiles).

    Packing the replications of a condition keeps a study of 10^5 conditions to 10^5 file pairs
    rather than one pair per run; the records are per run, so every table is the same however the
    runs were batched.
    """

    MANIFEST = "manifest.tsv"
    DROPPED = "series_dropped"

    def __init__(self, folder: Path):
        self.root = Path(folder) / RUNS_DIR

    def _stem(self, condition: int, first: int) -> Path:
        return self.root / f"c{condition:04d}" / f"b{first:05d}"

    @staticmethod
    def _where(path: Path) -> str:
        return f"{path.parent.name}/{path.stem}"

    @property
    def series_dropped(self) -> bool:
        """Whether the runs' series were removed (their metrics stay)."""
        return (self.root / self.DROPPED).exists()

    def _manifest(self) -> dict[str, tuple[str, list[int]]]:
        """Each batch file -> (SHA-256 of its .json, replications); the last line wins, torn lines are ignored."""
        out = {}
        path = self.root / self.MANIFEST
        if not path.is_file():
            return out
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and len(parts[1]) == 64:
                try:
                    out[parts[0]] = (parts[1], [int(r) for r in parts[2].split(",") if r])
                except ValueError:
                    continue
        return out

    def done(self) -> set[tuple[int, int]]:
        """(condition, replication) of every finished run (from the batch files present)."""
        out = set()
        for name, (_, reps) in self._manifest().items():
            path = self.root / name
            if path.is_file():
                c = int(path.parent.name[1:])
                out.update((c, r) for r in reps)
        return out

    def verify(self, lengths: list[int], replications: int, metrics: list[str]) -> list[str]:
        """Check every stored batch before a resume trusts it; remove the bad ones (to be run again).

        A batch is trusted when its `.json` hashes as the manifest says, names its own condition and
        first replication, holds replications of the plan with every metric and an error text, and,
        when its series are kept, its `.npz` hashes as the record says and every series has the
        condition's number of rows (`lengths[condition]`). A batch in the manifest whose file is gone
        is reported (its runs are run again). Guards against accidents (an interrupted write, a
        file copied, edited, emptied or deleted by hand), not forgery. Returns one line per batch.
        """
        from .results import file_sha256

        for tmp in [*self.root.glob("c*/*.tmp.npz"), *self.root.parent.glob(".*.tmp")]:  # writes a kill cut short
            tmp.unlink(missing_ok=True)
        manifest, bad, keep = self._manifest(), [], {}
        if not manifest and not any(self.root.glob("c*/b*.json")):  # nothing recorded: every run is run
            return [NOTHING_RECORDED]
        dropped = self.series_dropped
        for name in sorted(set(manifest) - {str(p.relative_to(self.root)) for p in self.root.glob("c*/b*.json")}):
            bad.append(f"{Path(name).parent.name}/{Path(name).stem} was deleted")
        for path in sorted(self.root.glob("c*/b*.json")):
            name = str(path.relative_to(self.root))
            c, first = int(path.parent.name[1:]), int(path.stem[1:])
            npz = path.with_suffix(".npz")
            why = ""
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                reps = [r.get("replication") for r in rec.get("records", [])] if isinstance(rec, dict) else []
                if name not in manifest:
                    why = "is not in the manifest"
                elif file_sha256(path) != manifest[name][0]:
                    why = "changed since it was written"
                elif rec.get("condition") != c or not reps or reps[0] != first:
                    why = "names another run"
                elif not (0 <= c < len(lengths)) or not all(isinstance(r, int) and 0 <= r < replications for r in reps):
                    why = "is not a run of this plan"
                elif any(
                    not isinstance(r.get("metrics"), dict) or set(metrics) - set(r["metrics"]) for r in rec["records"]
                ):
                    why = "lacks metrics"
                elif any(not isinstance(r.get("error"), str) for r in rec["records"]):
                    why = "lacks its error field"
                elif rec.get("series_sha256") and not dropped:
                    if not npz.is_file() or file_sha256(npz) != rec["series_sha256"]:
                        why = "has missing or changed series"
                    else:
                        with np.load(npz, allow_pickle=False) as z:
                            rows = [r["replication"] for r in rec["records"] if not r["error"]]
                            if REPLICATIONS_KEY not in z.files or z[REPLICATIONS_KEY].tolist() != rows:
                                why = "has series of other runs"
                            elif any(z[k].shape != (len(rows), lengths[c]) for k in z.files if k != REPLICATIONS_KEY):
                                why = f"has series of other than {lengths[c]} rows"
            except (OSError, ValueError, TypeError, AttributeError, KeyError):
                why = "is not readable"
            if why:
                bad.append(f"{self._where(path)} {why}")
                path.unlink(missing_ok=True)
                npz.unlink(missing_ok=True)
            else:
                keep[name] = manifest[name]
        if bad:  # the manifest keeps the trusted batches only
            lines = "".join(f"{n}\t{h}\t{','.join(map(str, r))}\n" for n, (h, r) in keep.items())
            write_text(self.root / self.MANIFEST, lines)
        return bad

    def write(self, results: list[dict]) -> None:
        """Store one finished batch of a condition's runs (`.npz` first, then the `.json`, then the manifest line)."""
        from .results import file_sha256

        c, first = results[0]["condition"], results[0]["replication"]
        stem = self._stem(c, first)
        stem.parent.mkdir(parents=True, exist_ok=True)
        kept = [res for res in results if res.get("series") is not None]
        # One array per series, a row per run (not one member per run and series: reading 34 members per run
        # was most of a sweep's post-processing); REPLICATIONS_KEY names the rows.
        arrays = {k: np.stack([res["series"][k] for res in kept]) for k in (kept[0]["series"] if kept else ())}
        digest = ""
        if arrays:
            arrays[REPLICATIONS_KEY] = np.array([res["replication"] for res in kept], dtype=np.int64)
            tmp = stem.with_name(stem.name + ".tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, stem.with_suffix(".npz"))
            digest = file_sha256(stem.with_suffix(".npz"))
        fields = ("replication", "metrics", "error", "traceback")
        records = [{k: res[k] for k in fields if res.get(k) is not None} for res in results]
        record = {"condition": c, "records": records, "series_sha256": digest}
        write_text(stem.with_suffix(".json"), json.dumps(record, default=float) + "\n")
        reps = ",".join(str(res["replication"]) for res in results)
        line = f"{stem.with_suffix('.json').relative_to(self.root)}\t{file_sha256(stem.with_suffix('.json'))}\t{reps}\n"
        with open(self.root / self.MANIFEST, "a", encoding="utf-8") as f:
            f.write(line)

    def records(self, condition: int) -> dict[int, dict]:
        """The stored records (metrics, error) of one condition's runs, by replication."""
        out = {}
        for path in sorted((self.root / f"c{condition:04d}").glob("b*.json")):
            for rec in json.loads(path.read_text(encoding="utf-8"))["records"]:
                out[rec["replication"]] = rec
        return out

    def series(self, condition: int) -> dict[int, dict[str, np.ndarray]]:
        """The stored series of one condition's runs, by replication (failed runs have none)."""
        out: dict[int, dict[str, np.ndarray]] = {}
        for path in sorted((self.root / f"c{condition:04d}").glob("b*.npz")):
            with np.load(path, allow_pickle=False) as z:
                reps = z[REPLICATIONS_KEY].tolist()
                for name in z.files:
                    if name != REPLICATIONS_KEY:
                        rows = z[name]
                        for i, rep in enumerate(reps):
                            out.setdefault(rep, {})[name] = rows[i]
        return dict(sorted(out.items()))

    def drop_series(self) -> None:
        """Remove every run's stored series (their metrics stay: `--series none`)."""
        (self.root / self.DROPPED).touch()
        for path in self.root.glob("c*/b*.npz"):
            path.unlink()


NOTHING_RECORDED = f"no finished run is recorded ({RUNS_DIR}/ or its {RunStore.MANIFEST} is missing or empty)"


def resume_note(bad: list[str]) -> str:
    """The line a resume prints about what it did not trust in `runs/` (`RunStore.verify`); '' if nothing."""
    if bad == [NOTHING_RECORDED]:
        return f"resume: {NOTHING_RECORDED}: every run is run"
    if not bad:
        return ""
    shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
    return f"resume: {len(bad)} run file(s) not trusted, run again: {shown}"


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
