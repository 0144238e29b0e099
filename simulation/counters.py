"""The compiled hash behind the counter-based draws of `simulation.randomness` (SplitMix64).

The uniform of item i under a decision's hash offset ("base") is the SplitMix64 finaliser of
i * gamma + base; the base is the finaliser applied twice to (stream key, step, slot). The step
loop (`simulation.kernels`) calls these inside its loops, `randomness.CounterStream` over arrays:
the same compiled functions, so both give the same bits. A module of its own so that loading a
scenario (which names the decisions in `simulation.randomness`) does not import numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .randomness import SLOT_BITS

_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio increment of SplitMix64
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def decision_base(key: np.uint64, step: np.int64, slot: np.int64) -> np.uint64:
    """The hash offset of one decision: `mix(key ^ mix((step << SLOT_BITS) + slot + 1))` (uint64 wraps)."""
    return _mix(key ^ _mix((np.uint64(step) << np.uint64(SLOT_BITS)) + np.uint64(slot) + np.uint64(1)))


@njit(cache=True, inline="always")
def uniform(base: np.uint64, i: np.int64) -> float:
    """The counter-based uniform of item i under a draw's `base` (SplitMix64 of i*gamma + base).

    The kernels call it inside their loops, :meth:`randomness.CounterStream.uniform` over arrays.
    """
    z = np.uint64(i) * _GAMMA + base
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return float(z >> _S11) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def uniforms(base: np.uint64, ids: np.ndarray) -> np.ndarray:
    """The uniforms of `ids` under `base`."""
    out = np.empty(len(ids))
    for j in range(len(ids)):
        out[j] = uniform(base, ids[j])
    return out
