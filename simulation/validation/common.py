"""What every check shares: its record, how its runs are run, and its figures' style.

Every check returns a :class:`Check` (what was measured, the expectation, the measured value,
the source, pass/fail, and whether the fact holds by construction or emerges) and, given an
output folder, writes one figure (PNG, and PDF in the `formats` asked: check-model's `--pdf`). Runs go through
`simulation.runner.run_replication` on a shared `simulation.executor.Executor` (kept between
checks, so that the worker start-up is paid once); replication r of a check is seeded by child r
of the check's seed, as everywhere else, so every number is reproducible alone.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..executor import Executor
from ..runner import Replication, run_replication
from ..scenario import SCENARIO_DIR, load_scenario

VALIDATION_DIR = SCENARIO_DIR / "validation"
DEFAULT_SCENARIO = SCENARIO_DIR / "default.toml"


# -- records ------------------------------------------------------------------------------------


@dataclass
class Check:
    """One known result or stylised fact, measured."""

    key: str  # "1".."7", "8a", "8b", "dt"
    fact: str  # short title
    quantity: str  # what is measured, and on what runs
    expected: str  # the expected direction or range
    measured: str  # the measured value(s), in words
    value: float  # the main measured number
    passed: bool
    basis: str  # "emerges", "by construction", "partly by construction", "known result"
    source: str
    details: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    seconds: float = 0.0

    def row(self) -> dict:
        """The record as a flat dict (details made JSON-safe)."""
        d = asdict(self)
        d["figures"] = [str(p) for p in self.figures]
        d["details"] = json.loads(json.dumps(self.details, default=jsonable))
        return d


def jsonable(x):
    """A value JSON can hold (numpy scalars and arrays converted)."""
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


# -- running ------------------------------------------------------------------------------------

_EXECUTOR: Executor | None = None


def default_workers() -> int:
    """Worker processes for the checks: up to two (this project's machines have two cores)."""
    return max(1, min(2, os.cpu_count() or 1))


def executor(workers: int | None = None) -> Executor:
    """The shared executor of the checks (started again if the number of workers changes)."""
    global _EXECUTOR
    workers = default_workers() if workers is None else workers
    if _EXECUTOR is None or _EXECUTOR.workers != max(1, workers):
        close_pool()
        _EXECUTOR = Executor(workers)
    return _EXECUTOR


def close_pool() -> None:
    """Shut the shared workers down."""
    global _EXECUTOR
    if _EXECUTOR is not None:
        _EXECUTOR.close()
    _EXECUTOR = None


def pmap(fn, tasks: list[tuple], workers: int | None = None) -> list:
    """[fn(*t) for t in tasks] on the shared executor, in task order."""
    return executor(workers).map(fn, tasks)


def replicate(sc, seed: int, rep: int, series: tuple = (), until_quiet: bool = False) -> Replication:
    """One replication with the requested series (positional arguments, for the executor)."""
    return run_replication(sc, seed, rep, series=series, until_quiet=until_quiet)


def run_many(
    sc, seed: int, reps: int, series: tuple = (), until_quiet: bool = False, workers: int | None = None
) -> list[Replication]:
    """Replications 0..reps-1 of a scenario."""
    return pmap(replicate, [(sc, seed, r, series, until_quiet) for r in range(reps)], workers)


def metric_of(runs: list[Replication], name: str) -> np.ndarray:
    """One metric over runs, as a float array."""
    return np.array([r.metrics[name] for r in runs], float)


def scenario_of(path: Path | str, changes: dict | None = None):
    """A scenario file with changes."""
    return load_scenario(path, changes or {})


# -- figures and timing -----------------------------------------------------------------------------


def new_figure(ncols: int = 1, size: tuple[float, float] = (7.2, 3.6)):
    """A figure on its own Agg canvas, in the style of `simulation.plots`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols)


def check_figure(name: str, ncols: int = 1, size: tuple[float, float] = (7.2, 3.6)):
    """Decorator: a check's figure, drawn by `draw(fig, axes, *args)`.

    The decorated function is `figure(out, *args, formats=None)`: it draws in the style of
    `simulation.plots` and writes `out/name.png` (and `.pdf` in `formats`; nothing when `out` is
    None), returning the paths.
    """

    def decorate(draw: Callable) -> Callable:
        @functools.wraps(draw)
        def figure(out: Path | None, *args, formats: tuple[str, ...] | None = None) -> list[Path]:
            import matplotlib as mpl

            from .. import plots

            if out is None:
                return []
            with mpl.rc_context(plots.STYLE):
                fig, axes = new_figure(ncols, size)
                draw(fig, axes, *args)
                return plots.save(fig, Path(out) / name, formats)

        return figure

    return decorate


def timed(check: Callable[..., Check]) -> Callable[..., Check]:
    """Decorator: the check's record carries how long it took (`Check.seconds`)."""

    @functools.wraps(check)
    def run(*args, **kwargs) -> Check:
        t0 = time.perf_counter()
        c = check(*args, **kwargs)
        c.seconds = time.perf_counter() - t0
        return c

    return run
