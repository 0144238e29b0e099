"""Running a scenario: one run, or R replications, as pandas DataFrames.

Replication r is seeded by child r of `SeedSequence(seed)` — the same rule in the Python API,
the command line and the experiments — so any run can be reproduced alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import BuzzModel
from .parameters import Scenario
from .randomness import replication_seed


@dataclass
class Results:
    """The outputs of R replications of one scenario."""

    timeseries: pd.DataFrame  # one row per replication and step
    summary: pd.DataFrame     # one row per replication: the per-run metrics


def seed_label(seed: int, replication: int) -> str:
    """A replication's seed as text: root seed and spawn key, e.g. '42/3'."""
    return f"{seed}/{replication}"


def run_once(sc: Scenario, seed: int, replication: int = 0) -> tuple[pd.DataFrame, dict]:
    """One replication: its series (with a `replication` column) and its metrics."""
    model = BuzzModel(sc, rng=replication_seed(seed, replication)).run()
    ts = model.timeseries()
    ts.insert(0, "replication", replication)
    metrics = {"replication": replication, "seed": seed_label(seed, replication), **model.metrics()}
    return ts, metrics


def run(sc: Scenario, seed: int | None = None, replications: int = 1, progress: bool = False) -> Results:
    """Run R replications of a scenario (serially; see `simulation.experiments` for parallel runs)."""
    seed = sc.seed if seed is None else seed
    reps = range(replications)
    if progress:
        from tqdm.auto import tqdm

        reps = tqdm(reps, desc=sc.name, unit="run")
    out = [run_once(sc, seed, r) for r in reps]
    return Results(pd.concat([ts for ts, _ in out], ignore_index=True),
                   pd.DataFrame([m for _, m in out]))


__all__ = ["Results", "run", "run_once", "seed_label", "np"]
