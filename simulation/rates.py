"""Turning hourly rates and half-lives into per-step values, and ages into a story's novelty.

Every rate is given per hour and every half-life in hours; a step lasts `dt` hours. Both helpers
are compiled scalar functions, so the Python code and the numba kernels call the same one.
"""

from __future__ import annotations

import math

from numba import njit

LN2 = math.log(2.0)


@njit(cache=True, inline="always")
def rate_to_prob(rate_per_h: float, dt_hours: float) -> float:
    """Chance that an event with this hourly rate happens within one step: 1 - exp(-rate * dt)."""
    return -math.expm1(-rate_per_h * dt_hours)


@njit(cache=True, inline="always")
def half_life_factor(half_life_h: float, dt_hours: float) -> float:
    """What remains of a quantity with this half-life after one step: 2^(-dt / half-life)."""
    return math.exp(-LN2 * dt_hours / half_life_h)


def novelty(age_h, half_life_h: float, exponent: float):
    """A story's pull at this age: 2^(-(age / half-life)^exponent), 1 when new, 1/2 at the half-life.

    A stretched exponential (exponent below 1: fast early decay with a long tail), the form Wu &
    Huberman (2007) measured for the novelty of news stories. Works on arrays of ages.
    """
    import numpy as np

    age = np.maximum(np.asarray(age_h, np.float64), 0.0)
    return np.exp2(-((age / half_life_h) ** exponent))
