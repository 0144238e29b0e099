"""Running a scenario: one replication, a batch of them, or R of them as DataFrames.

Replication r is seeded by child r of `SeedSequence(seed)` — the same rule in the Python API,
the command line, the experiments and the validation, which all run a replication through
:func:`run_replication` (or several through :func:`run_batch`, the same runs) — so any run can be
reproduced alone.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .kernels import poisson_cache
from .model import BuzzModel
from .parameters import Scenario
from .randomness import replication_seed
from .stance import STANCE_NAMES, Stance


def seed_label(seed: int, replication: int) -> str:
    """A replication's seed as text: root seed and spawn key, e.g. '42/3'."""
    return f"{seed}/{replication}"


@dataclass
class Replication:
    """What one finished replication reports (plain data: it travels between processes)."""

    replication: int
    seed: str  # seed_label(root seed, replication)
    steps: int  # steps run (fewer than the horizon's when stopped once quiet)
    hours: float
    n: int  # consumers
    counts: dict[str, int]  # final number of consumers in each stance
    series: dict[str, np.ndarray]  # the requested per-step series, rows 0..steps
    metrics: dict | None  # the per-run metrics (None when stopped once quiet)
    actions: list[str] = field(default_factory=list)  # brand actions and stories per row (full series only)
    dt: float = 1.0
    complainants: list = field(default_factory=list)  # the complainants' labels (as the network file names them)

    def frame(self) -> pd.DataFrame:
        """The series as a DataFrame (one row per step, row 0 the initial state), as `Recorder.frame`."""
        from .metrics import series_frame

        return series_frame(self.series, self.actions, self.dt)


def run_replication(
    sc: Scenario,
    seed: int,
    replication: int = 0,
    *,
    series: tuple[str, ...] | None = None,
    until_quiet: bool = False,
    progress: bool = False,
    on_step: Callable[[BuzzModel], None] | None = None,
) -> Replication:
    """Build and run one replication of a scenario.

    Args:
        sc: The scenario.
        seed: The root seed; the replication is seeded by child `replication` of it.
        replication: Which replication.
        series: The per-step series to keep (None: every series and the brand's actions).
        until_quiet: Stop stepping once no consumer is ANGRY (for the reductions to rumour and
            SIR models, where nothing can change once nobody spreads); the metrics are then not
            computed.
        progress: Show a progress bar over the steps.
        on_step: Called with the model before the first step and after every step (for snapshots).
    """
    return _run(sc, seed, replication, series, until_quiet, progress, on_step, None)


def run_batch(
    sc: Scenario,
    seed: int,
    replications: Iterable[int],
    *,
    series: tuple[str, ...] | None = None,
    until_quiet: bool = False,
) -> list[Replication]:
    """Several replications of one scenario in one call, each exactly as `run_replication` runs it alone.

    Replication r is seeded by child r of `SeedSequence(seed)` whatever the batch, so outputs do not
    depend on how runs are batched (tests/test_batched.py compares the files byte for byte). The runs
    share what does not depend on their draws (the tabulated Poisson CDFs of the posting rule).
    """
    with sharing():
        return [_run(sc, seed, r, series, until_quiet, False, None, None) for r in replications]


_shared = threading.local()  # what the runs of a batch share (`sharing`), per thread


@contextlib.contextmanager
def sharing():
    """Runs made inside the block (by `run_replication` or `run_batch`) share what does not depend on their draws.

    The tabulated Poisson CDFs of the posting rule: a table serves any run whose posters' means
    fall near it (`kernels.post_and_see`), so results are the same whether runs share them or
    not. A task of an experiment that runs a condition's replications one by one gets the batch's
    sharing by running them inside this block.
    """
    outer = getattr(_shared, "cache", None)
    _shared.cache = poisson_cache() if outer is None else outer
    try:
        yield
    finally:
        _shared.cache = outer


def _run(sc, seed, replication, series, until_quiet, progress, on_step, cache) -> Replication:
    """One replication (see `run_replication`); `cache`: tabulated Poisson CDFs shared with other runs."""
    cache = cache if cache is not None else getattr(_shared, "cache", None)
    model = BuzzModel(sc, rng=replication_seed(seed, replication), cache=cache)
    pop = model.population
    if on_step is not None:  # step by step, for snapshots
        on_step(model)
        while model.steps < model.n_steps:
            if until_quiet and not (pop.stance == Stance.ANGRY).any():
                break
            model.step()
            on_step(model)
    elif progress:  # in chunks, to move the bar
        bar = tqdm(total=model.n_steps, desc=f"{sc.name} (steps)", unit="step", leave=False)
        with bar:
            chunk = max(1, model.n_steps // 100)
            while model.steps < model.n_steps:
                done = model.steps
                model.run_to(done + chunk, until_quiet)
                bar.update(model.steps - done)
                if model.steps == done or (until_quiet and model.steps < min(done + chunk, model.n_steps)):
                    break
    else:
        model.run(until_quiet)
    k = model.steps
    data = model.finish().recorder.data
    names = tuple(data) if series is None else series
    return Replication(
        replication=replication,
        seed=seed_label(seed, replication),
        steps=k,
        hours=k * model.dt,
        n=pop.n,
        counts=dict(zip(STANCE_NAMES, np.bincount(pop.stance, minlength=len(STANCE_NAMES)).tolist())),
        series={name: data[name][: k + 1].copy() for name in names},
        metrics=None if until_quiet else model.metrics(),
        actions=list(model.recorder.actions[: k + 1]) if series is None else [],
        dt=model.dt,
        complainants=model.network.label_of(np.flatnonzero(pop.complainant)),
    )


@dataclass
class Results:
    """The outputs of R replications of one scenario."""

    timeseries: pd.DataFrame  # one row per replication and step
    summary: pd.DataFrame  # one row per replication: the per-run metrics


def run_once(sc: Scenario, seed: int, replication: int = 0, progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """One replication: its series (with a `replication` column), its complainants' labels and its metrics."""
    rep = run_replication(sc, seed, replication, progress=progress)
    ts = rep.frame()
    ts.insert(0, "replication", replication)
    who = " ".join(str(label) for label in rep.complainants)
    return ts, {"replication": replication, "seed": rep.seed, "complainants": who, **rep.metrics}


def run(sc: Scenario, seed: int | None = None, replications: int | None = None, progress: bool = False) -> Results:
    """Run R replications of a scenario (default: its own seed and replications), serially.

    See `simulation.experiments` for comparisons and sweeps run in parallel.
    """
    seed = sc.seed if seed is None else seed
    replications = sc.replications if replications is None else replications
    reps = tqdm(range(replications), desc=sc.name, unit="run", disable=not (progress and replications > 1))
    out = [run_once(sc, seed, r, progress=progress and replications == 1) for r in reps]
    return Results(pd.concat([ts for ts, _ in out], ignore_index=True), pd.DataFrame([m for _, m in out]))


@dataclass
class Snapshot:
    """What the neighbourhood figure needs from replication 0: stances at the peak and at the end."""

    network: object
    centre: np.ndarray
    stance_at_peak: np.ndarray
    stance_at_end: np.ndarray
    peak_hours: float
    end_hours: float


def snapshot(sc: Scenario, seed: int, replication: int = 0) -> Snapshot:
    """Re-run one replication, keeping the stances at the busiest step (the first on ties) and at the end."""
    best: dict = {}

    def keep(model: BuzzModel) -> None:
        k, posts = model.steps, model.recorder.data["posts_negative"]
        if not best or posts[k] > posts[best["k"]]:
            best.update(k=k, stance=model.population.stance.copy(), model=model)

    rep = run_replication(sc, seed, replication, series=("posts_negative",), on_step=keep)
    model = best["model"]
    pop = model.population
    return Snapshot(
        model.network,
        np.flatnonzero(pop.complainant)[:5],
        best["stance"],
        pop.stance.copy(),
        best["k"] * model.dt,
        rep.steps * model.dt,
    )


__all__ = [
    "Replication",
    "Results",
    "Snapshot",
    "run",
    "run_batch",
    "run_once",
    "run_replication",
    "seed_label",
    "sharing",
    "snapshot",
]
