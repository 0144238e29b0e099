"""The node table (`network.nodes_path`): who the customers and the brand's followers are.

A CSV file with a header line: a `label` column naming consumers as the network does (the edge
list's labels; 0..size-1 for a generated network), and any of `customer` (0/1), `follows_brand`
(0/1) and `activity` (a number >= 0, the consumer's posting activity; the drawn ones have mean 1).
A listed consumer takes the table's values instead of the drawn ones; an empty cell keeps the
drawn value. Consumers the table does not list keep theirs, drawn from the same random numbers as
without a table. Complainants are customers whatever the table says.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import not_regular
from .network import Network, NetworkError

LABEL = "label"
COLUMNS = (LABEL, "customer", "follows_brand", "activity")
FLAGS = ("customer", "follows_brand")


@dataclass(frozen=True, eq=False)
class NodeTable:
    """A parsed node table: one entry per listed consumer, in file order.

    `customer` and `follows_brand` are 1, 0, or -1 where the cell is empty; `activity` is NaN
    where empty. `lines` are the rows' line numbers in the file (for messages).
    """

    path: str
    labels: np.ndarray
    lines: np.ndarray
    customer: np.ndarray
    follows_brand: np.ndarray
    activity: np.ndarray

    def ids(self, net: Network) -> np.ndarray:
        """The listed consumers' ids in `net`; a label it does not have is a NetworkError naming its line."""
        ids = net.ids_of(self.labels)
        missing = np.flatnonzero(ids < 0)
        if missing.size:
            i = missing[0]
            label = _token(str(self.labels[i]))
            raise NetworkError(
                f"network.nodes_path: node table {self.path!r} line {self.lines[i]}: label {label} "
                f"is not a consumer of the network (labels such as {net.label_examples()})"
            )
        return ids


_TOKEN = re.compile(r"[A-Za-z0-9_ .+-]{1,24}")


def _token(text: str) -> str:
    """A cell or column name as a message quotes it: short name-like text only.

    A message never echoes a line of a file that is not a node table (`network.nodes_path = /etc/passwd`).
    """
    return repr(text) if _TOKEN.fullmatch(text) else f"of {len(text)} characters"


def _error(path: str, line: int | None, message: str) -> NetworkError:
    where = f" line {line}" if line is not None else ""
    return NetworkError(f"network.nodes_path: node table {path!r}{where}: {message}")


@functools.lru_cache(maxsize=4)
def read_node_table(path: str) -> NodeTable:
    """Read and check a node table (once per process); every problem is a one-line NetworkError."""
    import pandas as pd

    file = Path(path)
    problem = not_regular(file)
    if problem:
        raise _error(path, None, problem)
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, skip_blank_lines=False, skipinitialspace=True)
    except FileNotFoundError:
        raise _error(path, None, "file not found") from None
    except pd.errors.EmptyDataError:
        raise _error(path, None, f"is empty; expected a header line with the columns {', '.join(COLUMNS)}") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
        raise _error(path, None, f"cannot be read as CSV ({detail})") from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took the first cells for an index: rows are too long
        raise _error(path, 2, f"more cells than the header line's {len(frame.columns)} column name(s)")
    frame.columns = [str(c).strip() for c in frame.columns]
    for c in frame.columns:  # pandas renames a repeated column 'label' to 'label.1'
        base, dot, number = c.rpartition(".")
        if dot and number.isdigit() and base in COLUMNS and base in frame.columns:
            raise _error(path, 1, f"column {base!r} is given twice")
    unnamed = [i for i, c in enumerate(frame.columns) if c.startswith("Unnamed: ")]  # pandas' name for ''
    if unnamed:
        raise _error(path, 1, f"column {unnamed[0] + 1} has no name (a trailing comma?)")
    unknown = [c for c in frame.columns if c not in COLUMNS]
    if len(unknown) == 1 and len(frame.columns) == 1:  # a semicolon- or tab-separated table is one unknown column
        for sep, name in ((";", "semicolons"), ("\t", "tabs")):
            if sep in unknown[0] and set(unknown[0].split(sep)) <= set(COLUMNS):
                raise _error(path, 1, f"columns separated by {name}; a node table is comma-separated (CSV)")
    if unknown:
        raise _error(path, 1, f"unknown column {_token(unknown[0])}; allowed: {', '.join(COLUMNS)}")
    if LABEL not in frame.columns:
        raise _error(path, 1, f"needs a {LABEL!r} column (and any of {', '.join(COLUMNS[1:])})")
    frame = frame.apply(lambda col: col.str.strip())
    lines = np.arange(len(frame), dtype=np.int64) + 2  # line 1 is the header
    filled = (frame != "").any(axis=1).to_numpy()
    frame, lines = frame[filled], lines[filled]  # blank lines are skipped
    labels = frame[LABEL].to_numpy(dtype=object)
    empty = np.flatnonzero(labels == "")
    if empty.size:
        raise _error(path, int(lines[empty[0]]), "empty label")
    dup = pd.Index(labels).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise _error(path, int(lines[i]), f"label {_token(labels[i])} is listed twice")
    out = {}
    for name in FLAGS:
        cells = frame[name].to_numpy(dtype=object) if name in frame else np.full(len(frame), "", dtype=object)
        bad = np.flatnonzero(~np.isin(cells, ["", "0", "1"]))
        if bad.size:
            i = bad[0]
            raise _error(path, int(lines[i]), f"{name} must be 0 or 1, or empty (got {_token(cells[i])})")
        out[name] = np.where(cells == "", -1, cells == "1").astype(np.int8)
    cells = frame["activity"].to_numpy(dtype=object) if "activity" in frame else np.full(len(frame), "", dtype=object)
    given = cells != ""
    activity = pd.to_numeric(pd.Series(np.where(given, cells, "nan")), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(given & ~(np.isfinite(activity) & (activity >= 0)))
    if bad.size:
        i = bad[0]
        raise _error(path, int(lines[i]), f"activity must be a number >= 0, or empty (got {_token(cells[i])})")
    return NodeTable(path, labels, lines, out["customer"], out["follows_brand"], activity)


__all__ = ["COLUMNS", "NodeTable", "read_node_table"]
