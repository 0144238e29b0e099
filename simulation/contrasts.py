"""Pairwise contrasts of strategies (contrasts.csv): every pair, paired by replication.

Within each cell of a sweep (one value of every swept key), every pair of strategies is
compared run by run on common random numbers: replication r of A against replication r of B.
For each directed metric of the registry: the mean difference A - B with its t interval, the
standardised paired effect (mean over SD of the differences), and the probability that A does
better than B in the same replication (ties count half) with its interval; the direction of
"better" is the registry's. On the experiment's main metric (its critical window's), the rows
also say how many paired replications would resolve a difference of `resolve` (the
`--resolve` option; by default 10% of the baseline's mean in that cell).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .experiment_folder import STRATEGY_KEY
from .metrics import METRICS
from .stats import replications_needed, superiority, t_interval

DEFAULT_RESOLVE_SHARE = 0.1  # --resolve by default: this share of the baseline's mean damage


def cells(plan) -> list[tuple[dict, dict[str, int]]]:
    """The cells of a plan: the swept keys' values, and each strategy's condition in that cell.

    A key that does not change a strategy's runs is left unset in its conditions, so that one
    condition serves every value of that key; a cell's values show only the keys that change
    at least one of the strategies compared (pairs seen in an earlier cell are not repeated).
    """
    from .experiments import key_applies

    index = {tuple(sorted((k, str(v)) for k, v in c.items())): i for i, c in enumerate(plan.conditions)}
    out, seen = [], set()
    for values in itertools.product(*plan.vary.values()):
        members = {}
        for s in plan.strategies:
            c = {STRATEGY_KEY: s, **{k: (v if key_applies(k, s) else None) for k, v in zip(plan.vary, values)}}
            ci = index.get(tuple(sorted((k, str(v)) for k, v in c.items())))
            if ci is not None:
                members[s] = ci
        key = tuple(sorted(members.items()))
        if key not in seen:
            seen.add(key)
            out.append((dict(zip(plan.vary, values)), members))
    return out


def contrasts(summary: pd.DataFrame, plan, resolve: float | None = None) -> pd.DataFrame:
    """contrasts.csv: every pair of strategies within each cell, for every directed metric."""
    from .experiments import key_applies  # experiments writes this table

    wide = {m: summary.pivot(index="replication", columns="condition", values=m) for m in METRICS}
    main = plan.window_metric
    rows = []
    for values, members in cells(plan):
        names = [s for s in plan.strategies if s in members]
        for i, j in itertools.combinations(range(len(names)), 2):
            a, b = names[j], names[i]  # later strategy against earlier: the baseline is always B
            ca, cb = members[a], members[b]
            cell = {k: (v if key_applies(k, a) or key_applies(k, b) else None) for k, v in values.items()}
            for name, metric in METRICS.items():
                if not metric.better:
                    continue
                xa, xb = wide[name][ca].to_numpy(float), wide[name][cb].to_numpy(float)
                d = xa - xb
                d = d[np.isfinite(d)]
                lo, hi = t_interval(d)
                sd = float(d.std(ddof=1)) if len(d) > 1 else math.nan
                p, plo, phi = superiority(xa, xb, metric.better)
                row = {
                    **cell,
                    "strategy_a": a,
                    "strategy_b": b,
                    "condition_a": ca,
                    "condition_b": cb,
                    "metric": name,
                    "better": metric.better,
                    "n": len(d),
                    "mean_a": float(np.nanmean(xa)) if np.isfinite(xa).any() else math.nan,
                    "mean_b": float(np.nanmean(xb)) if np.isfinite(xb).any() else math.nan,
                    "diff_mean": float(d.mean()) if len(d) else math.nan,
                    "diff_low": lo,
                    "diff_high": hi,
                    "half_width": (hi - lo) / 2,
                    "diff_sd": sd,
                    "effect_size": float(d.mean() / sd) if sd and np.isfinite(sd) else math.nan,
                    "p_a_better": p,
                    "p_low": plo,
                    "p_high": phi,
                    "resolve": math.nan,
                    "replications_needed": math.nan,
                }
                if name == main:
                    base = members.get(plan.baseline)
                    base_runs = wide[name][base].to_numpy(float) if base is not None else np.array([])
                    base_runs = base_runs[np.isfinite(base_runs)]
                    default = DEFAULT_RESOLVE_SHARE * abs(float(base_runs.mean())) if len(base_runs) else math.nan
                    delta = resolve if resolve is not None else default
                    row.update(resolve=delta, replications_needed=replications_needed(sd, delta))
                rows.append(row)
    return pd.DataFrame(rows)
