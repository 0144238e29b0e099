"""Random streams and the registry of every random decision of the model.

Every run has one `numpy.random.SeedSequence`. From it each *purpose* (network, initial state,
spread, brand, amplifiers, complaints, search) gets its own stream, so that a change in one
mechanism never shifts the draws of another: every condition of an experiment uses the same
graph and the same initial state, and two runs that differ only in the brand's strategy are
identical up to its first action.

Inside a run, draws are *counter-based*: the uniform used by consumer (or edge) `i` at step `t`
for a decision is a hash of (stream key, t, the decision's slot, i). Whatever the number of
active consumers, a consumer's coin flips do not depend on how many others drew before it, so
after the first action runs stay as correlated as the mechanisms allow (common random numbers for
paired comparisons). Draws of a variable-size set (random readers of a story, searchers) come
from a Philox generator keyed by the same coordinates.

Decisions are *named*, never numbered by hand: each is declared once below (:data:`DRAWS`), with
its stream, a description, and how many slots it spans (an indexed decision: one per post round,
per brand answer, per story, per action). The registry gives each its own slots and checks at
import that no two overlap, so no two decisions ever share a coin; `audit()` records every draw
of a run so that a test can check that no decision is drawn twice for the same consumer in a
step.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

_MASK = (1 << 64) - 1
SLOT_BITS = 16  # a step's decisions occupy slots 0 .. 2^16 - 1 (the step sits in the bits above)


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


# -- the hash (compiled in `simulation.counters`, imported when first drawn: loading a scenario needs no numba) --


def _mix_scalar(z: int) -> int:
    """SplitMix64 finaliser on a Python int (64-bit)."""
    z &= _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def __getattr__(name: str):
    """The compiled hash functions, from `simulation.counters` (imported on first use)."""
    if name in ("uniform", "_decision_base", "_uniforms", "_mix"):
        from . import counters

        return getattr(counters, {"_decision_base": "decision_base", "_uniforms": "uniforms"}.get(name, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the registry of decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """One named random decision: its stream, its first slot and how many slots it spans."""

    name: str
    purpose: Purpose
    slot: int
    size: int
    doc: str

    def at(self, index: int = 0) -> int:
        """The slot of one use of an indexed decision.

        The slot of use `index` of an indexed decision (indices wrap around its size: two uses share a coin
        only if they fall in the same step with equal indices modulo the size).
        """
        return self.slot + index % self.size


class Draws:
    """The registry: every decision declared once, slots given in order, overlaps refused."""

    def __init__(self) -> None:
        self._by_name: dict[str, Draw] = {}
        self._next = {p: 0 for p in Purpose}
        self.record: list | None = None  # (stream key, step, slot, ids) of every draw, when auditing

    def declare(self, purpose: Purpose, name: str, doc: str, size: int = 1) -> Draw:
        """Declare a decision (a name used once) and give it the next `size` free slots of its stream."""
        if name in self._by_name:
            raise ValueError(f"random decision {name!r} declared twice")
        draw = Draw(name, purpose, self._next[purpose], size, doc)
        self._next[purpose] += size
        self._by_name[name] = draw
        self.check()
        return draw

    def check(self) -> None:
        """No two decisions of a stream share a slot, and every slot fits in its bits."""
        for purpose in Purpose:
            spans = sorted((d.slot, d.slot + d.size, d.name) for d in self._by_name.values() if d.purpose == purpose)
            for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
                if start < end:
                    raise ValueError(f"random decisions {a!r} and {b!r} share slots")
            if spans and spans[-1][1] > 1 << SLOT_BITS:
                raise ValueError(f"the random decisions of stream {purpose.name} need more than 2^{SLOT_BITS} slots")

    def __iter__(self):
        return iter(self._by_name.values())

    def __getitem__(self, name: str) -> Draw:
        return self._by_name[name]

    @contextlib.contextmanager
    def audit(self):
        """Record every draw made inside the block (in `self.record`), for tests."""
        self.record = []
        try:
            yield self.record
        finally:
            self.record = None


DRAWS = Draws()
S, B, A = Purpose.SPREAD, Purpose.BRAND, Purpose.AMPLIFIERS
MAX_POST_ROUNDS = 32  # well mixed: a poster's first 32 posts of a step each get their own readers
ANSWERS = 64  # brand answers shown per run (seen-answer flags are 64 bits)

# Consumers (the spread stream). Reading a post: on a network, one Binomial(posts, visibility)
# inverse-transform draw per follower edge (sub-slot 0); well mixed, per post round j, sub-slots
# 3j (visibility), 3j + 1 (which reader), 3j + 2 (the fractional reader).
POST_NEGATIVE = DRAWS.declare(S, "post_negative", "how many complaints an ANGRY consumer posts in a step (Poisson)")
POST_POSITIVE = DRAWS.declare(S, "post_positive", "how many messages of praise an ADVOCATE posts in a step (Poisson)")
SEE_NEGATIVE = DRAWS.declare(S, "see_negative", "which followers see a step's complaints", 3 * MAX_POST_ROUNDS)
SEE_POSITIVE = DRAWS.declare(S, "see_positive", "which followers see a step's praise", 3 * MAX_POST_ROUNDS)
SEE_SHARED = DRAWS.declare(S, "see_shared_answer", "which followers see a passed-on brand answer", 3 * ANSWERS)
ANGER_COMPLAINTS = DRAWS.declare(S, "anger_complaints", "whether a reader of complaints turns ANGRY")
ANGER_STORY = DRAWS.declare(S, "anger_story", "whether a reader of an amplifier's story turns ANGRY", 64 * 64)
ANGER_SEARCH = DRAWS.declare(S, "anger_search", "whether a consumer who finds the story by search turns ANGRY")
ANSWER_ANGER = DRAWS.declare(S, "answer_anger", "whether a reader of a brand answer turns ANGRY", ANSWERS)
ANSWER_SHARE = DRAWS.declare(S, "answer_share", "whether a reader of a brand answer passes it on", ANSWERS)
STIFLE = DRAWS.declare(S, "stifle", "whether a poster whose readers already knew stops (Maki-Thompson)")
STOP = DRAWS.declare(S, "stop", "whether an ANGRY consumer stops at the constant rate (SIR recovery)")
CHURN = DRAWS.declare(S, "churn", "whether a customer leaves in a step")
# The brand (one index per action, or per answer for a campaign's exposure).
SEE_ANSWER = DRAWS.declare(B, "see_answer", "which of the brand's followers see its answer", ANSWERS)
LEGAL_SILENCE = DRAWS.declare(B, "legal_silence", "whether lawyers silence a complainant", ANSWERS)
LEGAL_NEWS = DRAWS.declare(B, "legal_news_readers", "who hears of a legal action as news (a set)", ANSWERS)
REMEDY_ADVOCATE = DRAWS.declare(B, "remedy_advocate", "whether a remedied complainant turns ADVOCATE", ANSWERS)
REVIEWERS = DRAWS.declare(B, "reviewers", "which satisfied customers post solicited reviews", ANSWERS)
EXPOSURE = DRAWS.declare(B, "exposure", "whether a review campaign is exposed in a step", ANSWERS)
BACKFIRE_AUDIENCE = DRAWS.declare(B, "backfire_audience", "which of the brand's followers see an exposure", ANSWERS)
BACKFIRE_NEWS = DRAWS.declare(B, "backfire_readers", "who hears of an exposed campaign (a set)", ANSWERS)
# Amplifiers, background complaints, search (sets of consumers).
STORY_READERS = DRAWS.declare(A, "story_readers", "who reads an amplifier's story (a set)", 64 * 64)
BACKGROUND = DRAWS.declare(
    Purpose.COMPLAINTS, "background_complaints", "how many complain independently in a step (0), and who (1)", 2
)
SEARCHERS = DRAWS.declare(
    Purpose.SEARCH, "searchers", "how many look the brand up in a step (0), who (1), and who finds the story (2)", 3
)
del S, B, A


# -- streams ------------------------------------------------------------------------------------------


def replication_seed(seed: int | np.random.SeedSequence, replication: int) -> np.random.SeedSequence:
    """Seed of replication r: child r of `SeedSequence(seed)` (the one rule used everywhere)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (replication,))


class Streams:
    """The random streams of one run, derived from its SeedSequence."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)

    def child(self, purpose: Purpose) -> np.random.SeedSequence:
        """The SeedSequence of one purpose."""
        return np.random.SeedSequence(self.seq.entropy, spawn_key=tuple(self.seq.spawn_key) + (int(purpose),))

    def generator(self, purpose: Purpose) -> np.random.Generator:
        """An ordinary sequential generator, for draws made once (graph, initial state)."""
        return np.random.Generator(np.random.PCG64(self.child(purpose)))

    def counter(self, purpose: Purpose) -> CounterStream:
        """The counter-based stream of one purpose."""
        return CounterStream(int(self.child(purpose).generate_state(1, np.uint64)[0]), purpose)


class CounterStream:
    """Uniforms as a pure function of (stream key, step, decision, index, id)."""

    def __init__(self, key: int, purpose: Purpose):
        self.key, self.purpose = key & _MASK, purpose
        self._key64 = np.uint64(self.key)

    def base(self, step: int, draw: Draw, index: int = 0, ids=None) -> np.uint64:
        """The hash offset of one decision at one step: compiled loops draw with it (`uniform`)."""
        if draw.purpose != self.purpose:
            raise ValueError(f"decision {draw.name!r} belongs to stream {draw.purpose.name}, not {self.purpose.name}")
        slot = draw.at(index)
        if DRAWS.record is not None:
            DRAWS.record.append((self.key, step, slot, draw.name, None if ids is None else np.array(ids)))
        from .counters import decision_base

        return np.uint64(decision_base(self._key64, step, slot))  # numba hands back a Python int

    def uniform(self, step: int, ids: np.ndarray, draw: Draw, index: int = 0) -> np.ndarray:
        """One U[0,1) per id, the same whenever (key, step, decision, index, id) is the same."""
        ids = np.asarray(ids, np.int64)
        if not len(ids):  # nothing to draw: no hash, no compiled call
            return np.empty(0)
        from .counters import uniforms

        return uniforms(self.base(step, draw, index, ids), ids)

    def indices(self, step: int, count: int, n: int, draw: Draw, index: int = 0) -> np.ndarray:
        """`count` uniformly drawn ids in [0, n) (with repeats), the j-th by counter j of the decision."""
        return (self.uniform(step, np.arange(count), draw, index) * n).astype(np.int64)

    def binomial(self, step: int, n: int, p: float, draw: Draw, index: int = 0) -> int:
        """A Binomial(n, p) count for one decision.

        The inverse transform of one uniform while it is exact (a mean up to 500), else a Philox
        generator keyed by the same coordinates (where (1 - p)^n would underflow).
        """
        from .kernels import binomial_quantile

        if n * p <= 500:
            u = self.uniform(step, np.zeros(1, np.int64), draw, index)
            return int(binomial_quantile(np.array([n], np.int64), float(p), u)[0])
        return int(self.generator(step, draw, index).binomial(n, p))

    def poisson(self, step: int, mean: float, draw: Draw, index: int = 0) -> int:
        """A Poisson(mean) count for one decision: the inverse transform of one uniform (exact for any mean)."""
        from .kernels import poisson_quantile

        u = self.uniform(step, np.zeros(1, np.int64), draw, index)
        return int(poisson_quantile(np.array([mean], np.float64), u)[0])

    def generator(self, step: int, draw: Draw, index: int = 0) -> np.random.Generator:
        """A sequential generator for draws of a variable-size set at this (step, decision, index)."""
        return np.random.Generator(np.random.Philox(key=int(self.base(step, draw, index)), counter=0))
