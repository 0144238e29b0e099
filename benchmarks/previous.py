"""The previous version of buzzsim, checked out beside this one so that both are timed in the same run.

Speed goals are ratios measured side by side: the benchmarks run each case on this version and on
`PREVIOUS` (the commit the speed work of issue 15 starts from), one fresh process each, on the
same machine at the same time, so that a loaded machine slows both alike. The previous tree is
extracted once with `git archive` into `benchmarks/.previous/<commit>/` (ignored by git) and kept,
with its numba cache, for later runs.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "924681d"  # the last commit before the speed work (issue 15)
CACHE = ROOT / "benchmarks" / ".previous"
CODE_ENV = "BUZZSIM_CODE"  # where a benchmark's worker imports `simulation` from


def previous_tree(commit: str = PREVIOUS) -> Path | None:
    """The source tree of `commit`, extracted once; None (with a note) when git cannot give it."""
    out = CACHE / commit
    if (out / "simulation" / "__init__.py").is_file():
        return out
    try:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "tree.tar"
            subprocess.run(
                ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), commit],
                check=True,
                capture_output=True,
            )
            partial = CACHE / f"{commit}.partial"
            partial.mkdir(parents=True, exist_ok=True)
            with tarfile.open(archive) as tar:
                tar.extractall(partial, filter="data")
            partial.rename(out)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"note: the previous version ({commit}) is not available here ({exc}); timing this version only")
        return None
    return out


def code_root() -> Path:
    """Where this process imports `simulation` from: the tree named by BUZZSIM_CODE, else this one."""
    return Path(os.environ.get(CODE_ENV, ROOT))


def env_for(tree: Path) -> dict:
    """The environment of a worker process importing `simulation` from `tree`."""
    return dict(os.environ, **{CODE_ENV: str(tree), "PYTHONPATH": str(tree)})
