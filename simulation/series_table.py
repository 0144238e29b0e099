"""Per-run series as one table (`timeseries.parquet`), and results folders exported to CSV or Parquet.

`timeseries.parquet` holds every recorded series of every run of an experiment: one row per run
and step, with the condition, its label and keys (the strategy first), the replication and its
seed, `step`, `hours`, each series and `brand_action`. It is written one condition at a time (a
row group each), so memory holds one condition's runs. Its metadata (key `buzzsim`) hold the
resolved scenario, the root seed and the package versions. pyarrow writes it: R (arrow), Excel
(via `export --format csv`), pandas and polars read it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .files import not_regular
from .results import versions

FORMATS = ("csv", "parquet")
METADATA_KEY = b"buzzsim"


def write_series_parquet(plan, store, path: Path) -> Path | None:
    """Write the stored series of every run of `plan` (from `store`) to `path`, atomically; None if none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .experiments import Plan
    from .runner import seed_label
    from .scenario import to_toml

    dt = plan.base.simulation.dt_hours
    # each key column has one type over all conditions (unset where a key does not apply)
    key_types = {k: pa.array([c[k] for c in plan.conditions]).type for k in plan.keys}
    meta = {"scenario_toml": to_toml(plan.base), "seed": plan.seed, "versions": versions()}
    tmp = path.with_name(path.name + ".tmp")
    writer = None
    try:
        for ci, changes in enumerate(plan.conditions):
            frames = []
            for r, series in store.series(ci).items():
                steps = len(series["reputation"])
                actions = series.pop("brand_action", np.full(steps, "", dtype=str))
                frames.append(
                    pd.DataFrame(
                        {
                            "replication": np.full(steps, r, np.int32),
                            "seed": seed_label(plan.seed, r),
                            "step": np.arange(steps, dtype=np.int32),
                            "hours": np.arange(steps) * dt,
                            **series,
                            "brand_action": actions.astype(object),
                        }
                    )
                )
            if not frames:
                continue
            df = pd.concat(frames, ignore_index=True)
            head = {
                "condition": pa.array(np.full(len(df), ci, np.int32)),
                "label": pa.array([Plan.label(changes)] * len(df), pa.string()),
                **{k: pa.array([changes[k]] * len(df), key_types[k]) for k in plan.keys},
            }
            table = pa.table({**head, **{c: pa.array(df[c].to_numpy()) for c in df.columns}})
            if writer is None:
                schema = table.schema.with_metadata({METADATA_KEY: json.dumps(meta, default=str).encode()})
                writer = pq.ParquetWriter(tmp, schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        return None
    os.replace(tmp, path)
    return path


def parquet_metadata(path: Path) -> dict:
    """The buzzsim metadata of a Parquet file written here (scenario, seed, versions)."""
    import pyarrow.parquet as pq

    raw = pq.read_schema(path).metadata or {}
    return json.loads(raw[METADATA_KEY]) if METADATA_KEY in raw else {}


class ExportError(ValueError):
    """A folder that cannot be exported: one line naming it and what is expected."""


def export_folder(folder: Path, to: str) -> list[Path]:
    """Write every table of a results folder in the other format (CSV <-> Parquet), beside the original.

    A run folder or an experiment folder: each top-level `NAME.csv` becomes `NAME.parquet` (`to` =
    parquet), each `NAME.parquet` becomes `NAME.csv` (`to` = csv). Writes are atomic. Returns the
    files written.
    """
    folder = Path(folder)
    if to not in FORMATS:
        raise ExportError(f"--format: unknown value {to!r}; allowed: {', '.join(FORMATS)}")
    if not folder.is_dir():
        raise ExportError(f"{folder}: not a folder")
    if not any((folder / name).is_file() for name in ("meta.json", "experiment.json", "summary.csv")):
        raise ExportError(f"{folder}: not a results folder (no meta.json, experiment.json or summary.csv)")
    source = "parquet" if to == "csv" else "csv"
    # an experiment's own timeseries.parquet (its metadata hold the scenario and seed) is the original of the
    # timeseries.csv exported from it: never overwritten by a copy read back from that CSV
    files = [p for p in sorted(folder.glob(f"*.{source}")) if not (to == "parquet" and _is_original(p))]
    if not files:
        raise ExportError(f"{folder}: no .{source} table to export")
    for path in files:  # a folder (or a FIFO) where a table goes: refused before anything is written
        problem = not_regular(path.with_suffix(f".{to}"))
        if problem:
            raise ExportError(f"{path.with_suffix(f'.{to}')}: {problem}; the export writes a table there")
    written: list[tuple[Path, Path]] = []  # every table converted first; then all renamed into place
    try:
        for path in files:
            target = path.with_suffix(f".{to}")
            tmp = target.with_name(f".{target.name}.tmp")
            written.append((tmp, target))
            _convert(path, tmp, to)
    except BaseException:
        for tmp, _ in written:
            with contextlib.suppress(OSError):  # a read-only folder: nothing was written to remove
                tmp.unlink(missing_ok=True)
        raise
    for tmp, target in written:
        os.replace(tmp, target)
    return [target for _, target in written]


def _convert(path: Path, tmp: Path, to: str) -> None:
    """One table into the other format, or ExportError naming the file (unreadable, not a table, unwritable)."""
    import pyarrow

    problem = not_regular(path) or ("" if path.is_file() else "file not found")
    if problem:
        raise ExportError(f"{path}: {problem}")
    try:
        if to == "parquet":
            _check_rows(path)
        table = pd.read_csv(path, keep_default_na=False, na_values=[""]) if to == "parquet" else pd.read_parquet(path)
    except ExportError:
        raise
    except pd.errors.EmptyDataError:  # a table with no rows and no columns (a study without PRIM boxes)
        table = pd.DataFrame()
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, pyarrow.ArrowException) as exc:
        raise ExportError(f"{path}: cannot be read as a table ({exc.__class__.__name__})") from None
    try:
        table.to_parquet(tmp, index=False) if to == "parquet" else table.to_csv(tmp, index=False)
    except OSError as exc:
        raise ExportError(f"{tmp.parent}: cannot write {tmp.name[1:-4]} ({exc.strerror or exc})") from None
    except (ValueError, pyarrow.ArrowException) as exc:  # a column Parquet cannot hold (mixed types)
        raise ExportError(f"{path}: cannot be written as {to} ({exc.__class__.__name__})") from None


def _is_original(csv_path: Path) -> bool:
    """Whether the Parquet twin of `csv_path` is a table this package wrote (with its metadata)."""
    twin = csv_path.with_suffix(".parquet")
    if not twin.is_file():
        return False
    try:
        return bool(parquet_metadata(twin))
    except Exception:  # not a Parquet file: not an original to keep
        return False


def _check_rows(path: Path) -> None:
    """ExportError naming the first row of a CSV table whose cells are not as many as its header's columns.

    pandas fills a short row with empty cells: a table cut short or edited would be exported with blanks
    where its numbers were.
    """
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        width = len(next(rows, []))
        for row in rows:
            if row and len(row) != width:
                raise ExportError(
                    f"{path}: line {rows.line_num}: {len(row)} cells, the header has {width}; "
                    "the table was cut short or edited"
                )


__all__ = ["FORMATS", "ExportError", "export_folder", "parquet_metadata", "write_series_parquet"]
