"""Random streams: one seed, one stream per purpose, draws that are a function of their coordinates.

Every run has one `numpy.random.SeedSequence`. From it each *purpose* (network, initial state,
spread, brand, amplifiers, complaints, search) gets its own stream, so that a change in one
mechanism never shifts the draws of another: every condition of an experiment uses the same
graph and the same initial state, and two runs that differ only in the brand's strategy are
identical up to its first action.

Inside the spread, draws are *counter-based*: the uniform used by consumer `i` at step `t` for
purpose `p` is a hash of (seed, p, t, i, slot). Whatever the number of active consumers, a
consumer's coin flips do not depend on how many others drew before it, so after the first action
runs stay as correlated as the mechanisms allow (common random numbers for paired comparisons).
Draws of a variable-size set (random readers, searchers) come from a Philox generator whose
counter is the step: a function of (seed, purpose, step).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15  # golden-ratio increment of SplitMix64
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


class Purpose(IntEnum):
    """What a stream is for; the value is its spawn key under the run's SeedSequence."""

    NETWORK = 0
    INITIAL = 1
    SPREAD = 2
    BRAND = 3
    AMPLIFIERS = 4
    COMPLAINTS = 5
    SEARCH = 6
    MESA = 7


def _mix_scalar(z: int) -> int:
    """SplitMix64 finaliser on a Python int (64-bit)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def replication_seed(seed: int | np.random.SeedSequence, replication: int) -> np.random.SeedSequence:
    """Seed of replication r: child r of `SeedSequence(seed)` (the one rule used everywhere)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (replication,))


class Streams:
    """The random streams of one run, derived from its SeedSequence."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)

    def child(self, purpose: Purpose) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seq.entropy, spawn_key=tuple(self.seq.spawn_key) + (int(purpose),))

    def generator(self, purpose: Purpose) -> np.random.Generator:
        """An ordinary sequential generator, for draws made once (graph, initial state)."""
        return np.random.Generator(np.random.PCG64(self.child(purpose)))

    def counter(self, purpose: Purpose) -> "CounterStream":
        return CounterStream(int(self.child(purpose).generate_state(1, np.uint64)[0]))


class CounterStream:
    """Uniforms as a pure function of (key, step, slot, id)."""

    def __init__(self, key: int):
        self.key = key & _MASK

    def base(self, step: int, slot: int) -> np.uint64:
        """The hash offset of (step, slot): compiled loops draw with it (see simulation.kernels)."""
        return np.uint64(_mix_scalar(self.key ^ _mix_scalar((step << 16) + slot + 1)))

    def uniform(self, step: int, ids: np.ndarray, slot: int = 0) -> np.ndarray:
        """One U[0,1) per id, the same whenever (key, step, slot, id) is the same."""
        z = np.asarray(ids).astype(np.uint64) * np.uint64(_GAMMA)
        z += self.base(step, slot)
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
        return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)

    def generator(self, step: int, slot: int = 0) -> np.random.Generator:
        """A sequential generator for draws of a variable-size set at this (step, slot)."""
        return np.random.Generator(np.random.Philox(key=int(self.base(step, slot)), counter=0))
