"""Running a scenario: one run, or R replications, as pandas DataFrames.

Replication r is seeded by child r of `SeedSequence(seed)` — the same rule in the Python API,
the command line and the experiments — so any run can be reproduced alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .model import BuzzModel
from .parameters import Scenario
from .randomness import replication_seed


@dataclass
class Results:
    """The outputs of R replications of one scenario."""

    timeseries: pd.DataFrame  # one row per replication and step
    summary: pd.DataFrame  # one row per replication: the per-run metrics


def seed_label(seed: int, replication: int) -> str:
    """A replication's seed as text: root seed and spawn key, e.g. '42/3'."""
    return f"{seed}/{replication}"


def run_once(sc: Scenario, seed: int, replication: int = 0, progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """One replication: its series (with a `replication` column) and its metrics."""
    model = BuzzModel(sc, rng=replication_seed(seed, replication))
    steps = range(model.n_steps)
    if progress:
        steps = tqdm(steps, desc=f"{sc.name} (steps)", unit="step", leave=False)
    for _ in steps:
        model.step()
    ts = model.timeseries()
    ts.insert(0, "replication", replication)
    metrics = {"replication": replication, "seed": seed_label(seed, replication), **model.metrics()}
    return ts, metrics


def run(sc: Scenario, seed: int | None = None, replications: int | None = None, progress: bool = False) -> Results:
    """Run R replications of a scenario (default: its own seed and replications), serially.

    See `simulation.experiments` for comparisons and sweeps run in parallel.
    """
    seed = sc.seed if seed is None else seed
    replications = sc.replications if replications is None else replications
    reps = range(replications)
    if progress and replications > 1:
        reps = tqdm(reps, desc=sc.name, unit="run")
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
    """Re-run one replication, keeping the stances at the busiest step so far and at the end."""
    model = BuzzModel(sc, rng=replication_seed(seed, replication))
    posts = model.recorder.data["posts_negative"]
    peak, at_peak = 0, model.population.stance.copy()
    for k in range(1, model.n_steps + 1):
        model.step()
        if posts[k] > posts[peak]:
            peak, at_peak = k, model.population.stance.copy()
    return Snapshot(
        model.network,
        np.flatnonzero(model.population.complainant)[:5],
        at_peak,
        model.population.stance.copy(),
        peak * model.dt,
        model.n_steps * model.dt,
    )


__all__ = ["Results", "Snapshot", "run", "run_once", "seed_label", "snapshot"]
