"""The statistics of buzzsim's outputs, in one place: intervals, bootstrap, distances.

Every interval and test statistic the experiments, the reports and the validation print comes
from here (scipy.stats underneath), so that a number means the same thing wherever it appears.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy import stats as _st

LEVEL = 0.95


def finite(x) -> np.ndarray:
    """The values as a float array without NaNs."""
    x = np.asarray(x, float)
    return x[~np.isnan(x)]


def mean_se(x) -> tuple[float, float]:
    """Mean and its standard error (NaN with fewer than two values; NaNs ignored)."""
    x = finite(x)
    if len(x) < 2:
        return (float(x.mean()) if len(x) else math.nan), math.nan
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def t_interval(x, level: float = LEVEL) -> tuple[float, float]:
    """Student-t confidence interval of the mean (NaN with fewer than two values; NaNs ignored)."""
    x = finite(x)
    if len(x) < 2:
        return math.nan, math.nan
    half = _st.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


def wilson_interval(successes: float, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion (stays within [0, 1], sound for small n)."""
    if n == 0:
        return math.nan, math.nan
    z = _st.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)  # exactly 0 (1) when none (all): no rounding residue
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


DESCRIBED_QUANTILES = (5, 25, 75, 95)
BOOTSTRAP_RESAMPLES = 1000


def describe_values(x, binary: bool = False, seed: int = 0) -> dict:
    """n, mean, median and quantiles, a 95% interval of the mean and its bootstrap counterpart.

    The interval is Wilson's for 0/1 outcomes and Student's t otherwise (`half_width`: half its
    width); `boot_low`/`boot_high` is the percentile bootstrap of the mean (fixed seed), which
    does not assume the mean normal: split outcomes (many runs without a buzz, a few
    firestorms) are where the two differ.
    """
    x = finite(x)
    if not len(x):
        keys = ["mean", "median", *(f"q{q:02d}" for q in DESCRIBED_QUANTILES), "ci_low", "ci_high", "half_width"]
        return dict(n=0, **dict.fromkeys(keys + ["boot_low", "boot_high"], math.nan))
    lo, hi = wilson_interval(int(x.sum()), len(x)) if binary else t_interval(x)
    blo, bhi = bootstrap_mean_interval(x, seed=seed)
    return dict(
        n=len(x),
        mean=float(x.mean()),
        median=float(np.median(x)),
        **{f"q{q:02d}": float(np.percentile(x, q)) for q in DESCRIBED_QUANTILES},
        ci_low=lo,
        ci_high=hi,
        half_width=(hi - lo) / 2,
        boot_low=blo,
        boot_high=bhi,
    )


def describe_columns(x: np.ndarray, binary: list[bool], seed: int = 0) -> list[dict]:
    """`describe_values` of each column of a (runs x metrics) array, vectorised over the columns.

    The same numbers as `describe_values` column by column (same bootstrap resamples: they depend
    on the number of values and the seed only); columns with missing values take that path, the
    others are described together, which keeps an experiment's aggregate table cheap however many
    metrics and conditions it has.
    """
    x = np.asarray(x, float)
    out: list[dict | None] = [None] * x.shape[1]
    full = ~np.isnan(x).any(axis=0)
    for j in np.flatnonzero(~full):
        out[j] = describe_values(x[:, j], binary=binary[j], seed=seed)
    cols = np.flatnonzero(full)
    n = x.shape[0]
    if len(cols) and n == 0:
        for j in cols:
            out[j] = describe_values(x[:, j], binary=binary[j], seed=seed)
    elif len(cols):
        y = x[:, cols]
        mean = y.mean(axis=0)
        q = np.percentile(y, [50, *DESCRIBED_QUANTILES], axis=0)
        if n >= 2:
            half = _st.t.ppf(0.5 + LEVEL / 2, n - 1) * y.std(axis=0, ddof=1) / math.sqrt(n)
            means = y[bootstrap_indices(n, BOOTSTRAP_RESAMPLES, seed)].mean(axis=1)
            blo, bhi = np.percentile(means, [50 - 50 * LEVEL, 50 + 50 * LEVEL], axis=0)
        else:
            half = blo = bhi = np.full(len(cols), math.nan)
        for k, j in enumerate(cols):
            if binary[j]:
                lo, hi = wilson_interval(int(y[:, k].sum()), n)
            else:
                lo, hi = (float(mean[k] - half[k]), float(mean[k] + half[k])) if n >= 2 else (math.nan, math.nan)
            out[j] = dict(
                n=n,
                mean=float(mean[k]),
                median=float(q[0, k]),
                **{f"q{p:02d}": float(q[i + 1, k]) for i, p in enumerate(DESCRIBED_QUANTILES)},
                ci_low=lo,
                ci_high=hi,
                half_width=(hi - lo) / 2,
                boot_low=float(blo[k]),
                boot_high=float(bhi[k]),
            )
    return out


def bootstrap_mean_interval(
    x, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (NaN with fewer than two values; NaNs ignored)."""
    x = finite(x)
    if len(x) < 2:
        return math.nan, math.nan
    means = x[bootstrap_indices(len(x), resamples, seed)].mean(axis=1)
    lo, hi = np.percentile(means, [50 - 50 * level, 50 + 50 * level])
    return float(lo), float(hi)


def superiority(a, b, better: str, level: float = LEVEL) -> tuple[float, float, float]:
    """P(A does better than B in the same replication), ties counting half, with a 95% interval.

    `a` and `b` are paired (replication i of each); `better` is the registry's direction
    ("lower" or "higher"). The interval is Wilson's on the score (1 win, 1/2 tie, 0 loss):
    scores in [0, 1] with a given mean have at most the variance of 0/1 outcomes with that mean,
    so it is conservative.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    if not len(a):
        return math.nan, math.nan, math.nan
    wins = (a < b) if better == "lower" else (a > b)
    score = float(wins.sum() + 0.5 * (a == b).sum())
    lo, hi = wilson_interval(score, len(a), level)
    return score / len(a), lo, hi


def replications_needed(sd: float, delta: float, level: float = LEVEL) -> float:
    """Paired replications for the interval of a mean difference to be at most +/- delta wide.

    From the observed standard deviation of the paired differences: the smallest n with
    t(n - 1) sd / sqrt(n) <= delta (NaN when sd or delta is not a positive number).
    """
    if not (np.isfinite(sd) and np.isfinite(delta)) or delta <= 0 or sd < 0:
        return math.nan
    if sd == 0:
        return 2.0
    z = _st.norm.ppf(0.5 + level / 2)
    n = max(2, math.ceil((z * sd / delta) ** 2))
    while _st.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n) > delta:  # t is wider than z: a few steps up
        n += 1
    return float(n)


def bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """Row indices of `resamples` bootstrap resamples of n items (fixed seed: reproducible)."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap(statistic: Callable[[np.ndarray], float], n: int, resamples: int, seed: int) -> np.ndarray:
    """A statistic over bootstrap resamples.

    `statistic(indices)` over bootstrap resamples of n items (resampled jointly, so paired data stay paired): one
    value per resample.
    """
    return np.array([statistic(idx) for idx in bootstrap_indices(n, resamples, seed)], float)


def ks_distance(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic sup |F_a - F_b|."""
    return float(_st.ks_2samp(a, b).statistic)


def ks_bound(n: int, m: int, c_alpha: float = 1.949) -> float:
    """The KS distance that sampling alone exceeds with chance alpha.

    c(alpha) sqrt((n + m) / (n m)): the two-sample KS distance that sampling alone exceeds with chance alpha when
    both samples come from one distribution (c = 1.949: alpha = 0.001, asymptotic Kolmogorov distribution).
    """
    return c_alpha * math.sqrt((n + m) / (n * m))


def wasserstein(a, b) -> float:
    """Wasserstein-1 distance between two empirical distributions (mean |quantile difference|)."""
    return float(_st.wasserstein_distance(a, b))
