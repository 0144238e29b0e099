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


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion (stays within [0, 1], sound for small n)."""
    if n == 0:
        return math.nan, math.nan
    z = _st.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def describe_values(x, binary: bool = False) -> dict:
    """n, mean, median, 5-95% and a 95% interval of the mean (Wilson for 0/1 outcomes, else t)."""
    x = finite(x)
    if not len(x):
        return dict(n=0, mean=math.nan, median=math.nan, q05=math.nan, q95=math.nan, ci_low=math.nan, ci_high=math.nan)
    lo, hi = wilson_interval(int(x.sum()), len(x)) if binary else t_interval(x)
    return dict(
        n=len(x),
        mean=float(x.mean()),
        median=float(np.median(x)),
        q05=float(np.percentile(x, 5)),
        q95=float(np.percentile(x, 95)),
        ci_low=lo,
        ci_high=hi,
    )


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
