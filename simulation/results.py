"""Results folders: written whole or not at all, with what is needed to re-run them.

A folder is built under a temporary name beside its destination and renamed into place when
complete, so an error or Ctrl-C never leaves a half-written result. Each holds the resolved
scenario, `meta.json` (seed, replications, package versions, command, wall time) and the data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from .scenario import PROJECT_ROOT

PACKAGES = ("buzzsim", "mesa", "numpy", "scipy", "networkx", "numba", "pandas", "matplotlib", "dask")


def versions() -> dict[str, str]:
    """Python and package versions, for meta.json."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_folder(kind: str, name: str) -> Path:
    """`results/<name>/<timestamp>` (with a suffix if that exists already)."""
    base = PROJECT_ROOT / "results" / name / time.strftime(f"%Y%m%d-%H%M%S{'-' + kind if kind else ''}")
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{base.name}-{i}")
    return path


def check_destination(path: Path) -> None:
    """Refuse to overwrite a file or a non-empty folder."""
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path}: --out is a file, not a folder; choose a new folder")
    if path.is_dir() and any(path.iterdir()):
        raise FileExistsError(f"{path}: --out exists and is not empty; choose a new folder")


def make_folder(path: Path, shown: Path | None = None) -> None:
    """Create a folder (and its parents), or refuse in one line naming --out (`shown`, default `path`)."""
    from .scenario import ScenarioError

    shown = Path(shown or path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file" if blocker is not None else (exc.strerror or str(exc))
        raise ScenarioError("--out", str(shown), f"cannot be created ({why})") from None


PARTIAL = ".{name}.partial-{pid}"  # a run's folder while it is written


def remove_stale_partials(parent: Path) -> None:
    """Remove the partial folders that processes no longer alive left behind (killed with -9, say)."""
    for path in parent.glob(".*.partial-*"):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


@contextlib.contextmanager
def atomic_folder(dest: Path):
    """Yield a temporary folder that becomes `dest` only if the block completes."""
    dest = Path(dest)
    check_destination(dest)
    make_folder(dest.parent, shown=dest)
    remove_stale_partials(dest.parent)
    tmp = dest.parent / PARTIAL.format(name=dest.name, pid=os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    make_folder(tmp, shown=dest)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if dest.exists():
        dest.rmdir()  # empty (checked above)
    os.replace(tmp, dest)


def write_text(path: Path, text: str) -> None:
    """Write a file atomically (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV atomically (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, path)


def write_meta(path: Path, **fields) -> None:
    """Write meta.json: the given fields, package versions and the command line."""
    meta = {**fields, "versions": versions(), "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:])}
    write_text(path, json.dumps(meta, indent=2, default=str) + "\n")
