"""The registry of random decisions: named, never overlapping, drawn once per consumer and step,
and the compiled uniform equal to the stream's, bit for bit."""

import numpy as np
import pytest

from simulation import load_scenario
from simulation.randomness import DRAWS, SLOT_BITS, CounterStream, Draws, Purpose, uniform
from simulation.runner import run_replication
from tests.baseline import SCENARIOS


def splitmix_reference(key: int, step: int, slot: int, ids: np.ndarray) -> np.ndarray:
    """SplitMix64 as written in its paper (Steele et al. 2014), in plain Python integers."""
    mask = (1 << 64) - 1

    def mix(z):
        z &= mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    base = mix(key ^ mix((step << SLOT_BITS) + slot + 1))
    return np.array([(mix(int(i) * 0x9E3779B97F4A7C15 + base) >> 11) / 2.0**53 for i in ids])


def test_every_decision_has_its_own_slots():
    spans = {}
    for d in DRAWS:
        spans.setdefault(d.purpose, []).append((d.slot, d.slot + d.size, d.name))
    for purpose, rows in spans.items():
        rows.sort()
        for (_, end, a), (start, _, b) in zip(rows, rows[1:]):
            assert start >= end, f"{a} and {b} overlap"
        assert rows[-1][1] <= 1 << SLOT_BITS
    assert len({d.name for d in DRAWS}) == len(list(DRAWS))


def test_the_registry_refuses_a_repeated_name_and_an_overflow():
    reg = Draws()
    reg.declare(Purpose.SPREAD, "a", "first")
    with pytest.raises(ValueError, match="declared twice"):
        reg.declare(Purpose.SPREAD, "a", "again")
    with pytest.raises(ValueError, match="more than 2"):
        reg.declare(Purpose.SPREAD, "huge", "too many slots", size=1 << SLOT_BITS)


def test_a_draw_is_only_taken_from_its_own_stream():
    draw = DRAWS["post_negative"]
    with pytest.raises(ValueError, match="belongs to stream SPREAD"):
        CounterStream(1, Purpose.BRAND).uniform(0, np.arange(3), draw)


def test_compiled_uniform_equals_the_streams_bit_for_bit():
    key, step = 0xDEADBEEF12345, 17
    draw = DRAWS["anger_complaints"]
    cs = CounterStream(key, Purpose.SPREAD)
    ids = np.r_[np.arange(2000), np.array([2**31 - 1, 2**40 + 7, 4_039])]
    u = cs.uniform(step, ids, draw)
    base = cs.base(step, draw)
    compiled = np.array([uniform(base, int(i)) for i in ids])
    assert np.array_equal(u.view(np.uint64), compiled.view(np.uint64))
    assert np.array_equal(u, splitmix_reference(key, step, draw.slot, ids))


@pytest.mark.parametrize("case", ["private_outlet", "lawyers_streisand", "kia_deposit", "maki_thompson"])
def test_no_decision_is_drawn_twice_for_a_consumer_in_a_step(case):
    """Every draw of a fixture run is recorded; a (stream, step, slot) used twice must concern
    disjoint ids, and a compiled loop's draw (ids unknown) must be used once."""
    sc = load_scenario(SCENARIOS / f"{case}.toml", {"simulation.days": 4})
    with DRAWS.audit() as record:
        run_replication(sc, sc.seed, 0)
    assert len(record) > 100
    uses = {}
    for key, step, slot, name, ids in record:
        uses.setdefault((key, step, slot), []).append((name, ids))
    for coord, group in uses.items():
        if len(group) == 1:
            continue
        names = {n for n, _ in group}
        assert all(ids is not None for _, ids in group), f"{names} drawn twice at {coord} by a compiled loop"
        seen = np.concatenate([np.unique(ids) for _, ids in group])
        assert len(seen) == len(np.unique(seen)), f"{names} drawn twice for the same id at {coord}"


def test_fused_search_draws_equal_the_three_separate_draws():
    """The searchers' compiled call gives the finders that the count, who and found draws give one by one."""
    import math

    from simulation import kernels
    from simulation.model import SEARCHERS

    stream = CounterStream(987654321, SEARCHERS.purpose)
    n, p = 5000, 0.004
    for step in range(40):
        find_prob = -math.expm1(-0.3 * step / 10)
        count = stream.binomial(step, n, p, SEARCHERS)
        ids = stream.indices(step, count, n, SEARCHERS, 1)
        want = ids[stream.uniform(step, np.arange(count), SEARCHERS, 2) < find_prob]
        got = kernels.search_finds(n, p, find_prob, *(stream.base(step, SEARCHERS, i) for i in range(3)))
        assert np.array_equal(got, want), step
