"""Fast paths give the same results as plain ones.

- `group_count`: its bincount branch (many ids) and its sort branch (few ids) agree with each other
  and with collections.Counter;
- counter-based draws (`CounterStream.uniform`) are uniform and a pure function of (key, step,
  slot, id);
- the model reduced to SIR agrees in distribution with a minimal hand-written discrete SIR (the
  floor of benchmarks/bench_scale.py) on the same graph.
"""

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

import simulation.population as population
from benchmarks.bench_scale import model_final_size, sir_floor, sir_scenario
from simulation import BuzzModel
from simulation.network import build_network
from simulation.population import group_count
from simulation.randomness import CounterStream, Draw, Purpose

# -- group_count ------------------------------------------------------------------------------------


@pytest.fixture
def branch_spy(monkeypatch):
    """Records which branch group_count took (np.bincount is only called by the counting one)."""
    calls = []
    real = np.bincount

    def spy(*args, **kwargs):
        calls.append("bincount")
        return real(*args, **kwargs)

    monkeypatch.setattr(population.np, "bincount", spy)

    def taken(ids, n):
        calls.clear()
        out = group_count(ids, n)
        return out, ("bincount" if calls else "sort")

    return taken


def counter_reference(ids) -> tuple[np.ndarray, np.ndarray]:
    c = Counter(int(x) for x in ids)
    keys = sorted(c)
    return np.array(keys, dtype=np.int64), np.array([c[k] for k in keys], dtype=np.int64)


def inputs():
    rng = np.random.default_rng(42)
    n = 1000
    yield "random with repeats", rng.integers(0, n, 700), n
    yield "few distinct, heavy repeats", rng.integers(0, 5, 400) * 199, n
    yield "ends of the range", np.array([0, n - 1, 0, n - 1, n - 1, 500] * 40), n
    yield "all distinct", rng.permutation(n)[:300], n
    yield "one id", np.full(200, 17), n
    yield "already sorted", np.sort(rng.integers(0, n, 300)), n


@pytest.mark.parametrize("name,ids,n", list(inputs()), ids=[x[0] for x in inputs()])
def test_group_count_branches_agree_with_counter(branch_spy, name, ids, n):
    ids = ids.astype(np.int64)
    assert len(ids) > n // 8  # many ids for n: the counting branch
    (u1, c1), b1 = branch_spy(ids, n)
    big_n = 8 * len(ids) * 1000  # same ids, a much larger population: few ids, the sort branch
    (u2, c2), b2 = branch_spy(ids, big_n)
    assert (b1, b2) == ("bincount", "sort")
    ref_u, ref_c = counter_reference(ids)
    for u, c in ((u1, c1), (u2, c2)):
        np.testing.assert_array_equal(u, ref_u)
        np.testing.assert_array_equal(c, ref_c)
        assert u.dtype == np.int64 and c.dtype.kind == "i"
    assert c1.sum() == c2.sum() == len(ids)


def test_group_count_threshold_boundary(branch_spy):
    n = 800  # n // 8 = 100
    rng = np.random.default_rng(1)
    at = rng.integers(0, n, 100)  # len == n // 8: sort
    above = rng.integers(0, n, 101)  # len == n // 8 + 1: bincount
    (u, c), b = branch_spy(at, n)
    assert b == "sort"
    np.testing.assert_array_equal(u, counter_reference(at)[0])
    np.testing.assert_array_equal(c, counter_reference(at)[1])
    (u, c), b = branch_spy(above, n)
    assert b == "bincount"
    np.testing.assert_array_equal(u, counter_reference(above)[0])
    np.testing.assert_array_equal(c, counter_reference(above)[1])


def test_group_count_empty_and_small_populations(branch_spy):
    for n in (1, 5, 100):
        (u, c), _ = branch_spy(np.zeros(0, np.int64), n)
        assert len(u) == len(c) == 0
    (u, c), b = branch_spy(np.array([2, 0, 2], np.int64), 3)  # n // 8 == 0: bincount
    assert b == "bincount"
    np.testing.assert_array_equal(u, [0, 2])
    np.testing.assert_array_equal(c, [1, 2])


def test_group_count_int32_input_same_values_both_branches(branch_spy):
    """int32 ids (as network indices are stored) give the same values in both branches (the sort
    branch keeps the input dtype, the counting one returns int64)."""
    ids = np.random.default_rng(3).integers(0, 500, 400).astype(np.int32)
    (u1, c1), b1 = branch_spy(ids, 500)
    (u2, c2), b2 = branch_spy(ids, 10**7)
    assert (b1, b2) == ("bincount", "sort")
    np.testing.assert_array_equal(u1, u2)
    np.testing.assert_array_equal(c1, c2)


# -- counter-based draws ----------------------------------------------------------------------------


def slot(s: int) -> Draw:
    """A decision at slot s of the spread stream (the tests' own, outside the registry)."""
    return Draw(f"test_{s}", Purpose.SPREAD, s, 1, "test")


N_DRAWS = 10**5
# Kolmogorov–Smirnov: the 1% critical value of D for large N is 1.628 / sqrt(N) (= 0.00515 here).
KS_BOUND = 1.63 / np.sqrt(N_DRAWS)
CORR_BOUND = 4 / np.sqrt(N_DRAWS)  # |Pearson r| of independent uniforms: sd 1/sqrt(N)


@pytest.mark.parametrize("what", ["consecutive ids", "strided edge ids", "one id over steps", "one id over slots"])
def test_counter_uniforms_pass_ks(what):
    """10^5 draws across ids (2 x 10^4 along steps or slots, one call each), KS distance to U[0,1)
    below the 1% critical value 1.63 / sqrt(N) (fixed seed: deterministic)."""
    cs = CounterStream(0x5EED_1234_ABCD, Purpose.SPREAD)
    ids = np.arange(N_DRAWS, dtype=np.int64)
    one = np.array([123_456])
    if what == "consecutive ids":
        u = cs.uniform(7, ids, slot(3))
    elif what == "strided edge ids":
        u = cs.uniform(0, ids * 6_000_011 % (2**40), slot(10))
    elif what == "one id over steps":
        u = np.concatenate([cs.uniform(s, one, slot(1)) for s in range(N_DRAWS // 5)])
    else:
        u = np.concatenate([cs.uniform(5, one, slot(s)) for s in range(N_DRAWS // 5)])
    assert u.min() >= 0.0 and u.max() < 1.0
    bound = 1.63 / np.sqrt(len(u))
    d = stats.kstest(u, "uniform").statistic
    assert d < bound, f"KS D = {d:.5f} >= {bound:.5f} ({what})"


def test_counter_uniforms_uncorrelated_across_slots_and_neighbours():
    cs = CounterStream(2024, Purpose.SPREAD)
    ids = np.arange(N_DRAWS)
    a, b = cs.uniform(3, ids, slot(0)), cs.uniform(3, ids, slot(1))
    c = cs.uniform(4, ids, slot(0))
    for x, y, what in ((a, b, "slot 0 vs 1"), (a, c, "step 3 vs 4"), (a[:-1], a[1:], "id i vs i+1")):
        r = np.corrcoef(x, y)[0, 1]
        assert abs(r) < CORR_BOUND, f"{what}: r = {r:.4f}"
    assert stats.kstest(a, "uniform").statistic < KS_BOUND


def test_counter_draws_depend_only_on_key_step_slot_id():
    key, step, s = 987_654_321, 12, 2
    cs = CounterStream(key, Purpose.SPREAD)
    ids = np.arange(N_DRAWS, dtype=np.int64)
    everyone = cs.uniform(step, ids, slot(s))
    rng = np.random.default_rng(0)
    subset = np.sort(rng.choice(N_DRAWS, 5000, replace=False))
    np.testing.assert_array_equal(cs.uniform(step, subset, slot(s)), everyone[subset])
    shuffled = rng.permutation(subset)
    np.testing.assert_array_equal(cs.uniform(step, shuffled, slot(s)), everyone[shuffled])
    # repeated ids get the same draw; the id's integer type and container do not matter
    rep = np.array([5, 5, 77, 5])
    np.testing.assert_array_equal(cs.uniform(step, rep, slot(s)), everyone[rep])
    for cast in (np.int32, np.uint32, np.uint64):
        np.testing.assert_array_equal(cs.uniform(step, subset.astype(cast), slot(s)), everyone[subset])
    np.testing.assert_array_equal(cs.uniform(step, subset.tolist(), slot(s)), everyone[subset])
    # a new stream with the same key, after other draws, gives the same values
    other = CounterStream(key, Purpose.SPREAD)
    other.uniform(step + 1, ids, slot(s))
    np.testing.assert_array_equal(other.uniform(step, subset, slot(s)), everyone[subset])
    # changing any coordinate changes the draws
    for changed in (
        CounterStream(key + 1, Purpose.SPREAD).uniform(step, subset, slot(s)),
        cs.uniform(step + 1, subset, slot(s)),
        cs.uniform(step, subset, slot(s + 1)),
        cs.uniform(step, subset + 1, slot(s)),
    ):
        assert np.mean(changed == everyone[subset]) < 0.001


# -- the SIR reduction against the floor ----------------------------------------------------------------

SEEDS = 40
STEPS = 100
N_SIR = 2000


@pytest.fixture(scope="module")
def ba_2000():
    return build_network("barabasi_albert", N_SIR, np.random.default_rng(5), m=3)


def floor_sizes(net, p, r, order="infect_then_recover"):
    sizes = []
    for seed in range(SEEDS):
        rng = np.random.default_rng([seed, 7])
        init = rng.choice(net.n, 10, replace=False)
        if order == "infect_then_recover":
            state = sir_floor(net.indptr, net.indices, p, r, STEPS, init, rng)
        else:  # newly infected nodes spared recovery in their first step (NDlib's order): a different rule
            state = _floor_recover_first(net.indptr, net.indices, p, r, STEPS, init, rng)
        sizes.append(np.count_nonzero(state) / net.n)
    return np.array(sizes)


def _floor_recover_first(indptr, indices, p, r, steps, initial, rng):
    state = np.zeros(len(indptr) - 1, np.int8)
    state[initial] = 1
    for _ in range(steps):
        inf = np.flatnonzero(state == 1)
        starts, counts = indptr[inf], indptr[inf + 1] - indptr[inf]
        edges = np.arange(counts.sum()) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        hit = indices[edges[rng.random(len(edges)) < p]]
        state[inf[rng.random(len(inf)) < r]] = 2
        state[hit[state[hit] == 0]] = 1
    return state


def model_sizes(net, p, r):
    sc = sir_scenario(net.n, p=p, r=r, steps=STEPS)
    assert sc.steps == STEPS
    return np.array([model_final_size(BuzzModel(sc, rng=1000 + s, network=net).run()) for s in range(SEEDS)])


def tolerance(a, b, z=4.0):
    """z standard errors of the difference of two independent means."""
    return z * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))


@pytest.mark.parametrize("p,r", [(0.1, 0.1), (0.05, 0.2)], ids=["burning", "moderate"])
def test_sir_reduction_matches_floor_in_distribution(ba_2000, p, r):
    m = model_sizes(ba_2000, p, r)
    f = floor_sizes(ba_2000, p, r)
    tol = tolerance(m, f)
    assert abs(m.mean() - f.mean()) < tol, (
        f"model mean final size {m.mean():.4f} vs floor {f.mean():.4f}: |diff| >= {tol:.4f} (4 s.e.)"
    )
    # spread of outcomes alike too (variance ratio within an F-test's wide band)
    ratio = m.var(ddof=1) / f.var(ddof=1)
    lo, hi = stats.f.ppf([0.0005, 0.9995], SEEDS - 1, SEEDS - 1)
    assert lo < ratio < hi, f"variance ratio {ratio:.2f} outside [{lo:.2f}, {hi:.2f}]"


def test_sir_comparison_has_power(ba_2000):
    """The tolerance is tight enough to tell the model's order (new infections may stop in the same
    step) from the other common order (they transmit at least once): a check on the check."""
    p, r = 0.05, 0.2
    same = floor_sizes(ba_2000, p, r)
    other = floor_sizes(ba_2000, p, r, order="recover_first")
    assert abs(same.mean() - other.mean()) > tolerance(same, other)


def test_compiled_inverse_transforms_match_the_distributions():
    """Poisson and binomial inverse transforms (compiled) against scipy's CDFs, at a fixed seed:
    each value k is the smallest with CDF(k) > u, and the sample means match within 4 SE. The
    Poisson draw is exact for any mean: it used to stop at 200, and exp(-mean) underflows above 745."""
    from simulation.population import binomial_quantile, poisson_quantile

    rng = np.random.default_rng(5)
    u = rng.random(20000)
    for mean in (0.05, 1.0, 20.0, 29.99, 30.0, 250.0, 800.0, 1e6):  # from zero, and from the mode (any mean)
        k = poisson_quantile(np.full(len(u), mean), u)
        assert np.array_equal(k, stats.poisson.ppf(u, mean).astype(np.int64))
        assert np.all(stats.poisson.cdf(k, mean) > u) and np.all(stats.poisson.cdf(k - 1, mean) <= u + 1e-12)
        assert abs(k.mean() - mean) < 4 * math.sqrt(mean / len(u))
    for n, p in ((1, 0.3), (20, 0.005), (7, 0.5)):
        k = binomial_quantile(np.full(len(u), n), p, u)
        assert np.all(stats.binom.cdf(k, n, p) > u - 1e-12) and np.all(k <= n)
        assert abs(k.mean() - n * p) < 4 * math.sqrt(n * p * (1 - p) / len(u))


@pytest.mark.parametrize("p,r", [(0.1, 0.1), (0.05, 0.2)], ids=["burning", "moderate"])
def test_fused_numba_floor_is_the_same_rule(ba_2000, p, r):
    """The benchmarks' second floor (one fused numba loop) runs the numpy floor's rule: same mean final size."""
    from benchmarks.bench_scale import sir_floor_numba

    fused = []
    for seed in range(SEEDS):
        init = np.random.default_rng([seed, 7]).choice(ba_2000.n, 10, replace=False)
        state = sir_floor_numba(ba_2000.indptr, ba_2000.indices, p, r, STEPS, init, seed)
        fused.append(np.count_nonzero(state) / ba_2000.n)
    fused, f = np.array(fused), floor_sizes(ba_2000, p, r)
    assert abs(fused.mean() - f.mean()) < tolerance(fused, f)


# -- the compiled rules' shortcuts give the numbers of the plain computation ------------------------


def test_tabulated_poisson_cdf_gives_the_walks_value():
    """A Poisson CDF tabulated once (for posters sharing a mean) gives, for every u, the value the walk
    from 0 gives, CDF boundaries included (u equal to a tabulated value, and the float just below it)."""
    from simulation import kernels

    rng = np.random.default_rng(7)
    for mean in (1e-9, 0.3, 1.0, 7.5, 19.999999987, 20.0, 29.99):
        cdf = np.empty((1, kernels.POISSON_TABLE))
        stop = np.empty((1, kernels.POISSON_TABLE), bool)
        length, tail = kernels._poisson_table(mean, cdf[0], stop[0])
        assert 0 < length <= kernels.POISSON_TABLE
        edges = cdf[0, :length]
        top = 1 - 2.0 ** -np.arange(40, 54)  # the uniforms' largest values (some beyond a CDF that stops growing)
        us = np.concatenate([rng.random(3000), edges[edges < 1], np.nextafter(edges[edges < 1], 0), [0.0], top])
        decided = 0
        for u in us:
            assert kernels._table_lookup(cdf, stop, 0, length, tail, u, 0.0) == kernels._poisson(mean, u), (mean, u)
            for near in (mean + 3e-7, mean * (1 - 2e-9)):  # a nearby mean: its value, or -1 (not sure)
                got = kernels._table_lookup(cdf, stop, 0, length, tail, u, abs(near - mean))
                assert got in (-1, kernels._poisson(near, u)), (mean, near, u)
                decided += got >= 0
        assert decided > 0.9 * 2 * len(us)  # (most u lie far from a boundary)


def test_tabulated_binomial_cdf_gives_the_inverse_transforms_value():
    from simulation import kernels

    rng = np.random.default_rng(8)
    for vis in (0.005, 0.3, 0.97):
        ratio = vis / (1 - vis)
        table = np.empty((kernels.CDF_TABLE + 1, kernels.CDF_TABLE + 1))
        for k in (1, 2, 5, 20, kernels.CDF_TABLE):
            kernels._binomial_cdf(k, vis, ratio, table[k])
            for u in np.concatenate([rng.random(500), table[k, :k], np.nextafter(table[k, :k], 0)]):
                assert kernels._quantile_from_cdf(table, k, k, u) == kernels._binomial(k, vis, ratio, u)


def test_compiled_pairwise_sum_is_numpys_to_the_bit():
    from simulation.kernels import _pairwise

    rng = np.random.default_rng(9)
    for n in [*range(0, 260), 1000, 4097, 20011]:
        a = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e6])
        assert _pairwise(a, n) == a.sum(), n


@pytest.mark.parametrize("directed", [False, True])
def test_follower_lists_by_counting_sort_match_a_set_reference(directed):
    """`graphs.csr`: each row the sorted distinct followers, self-loops and repeats dropped and counted."""
    from simulation.graphs import csr as _csr

    rng = np.random.default_rng(10)
    n = 60
    src, dst = rng.integers(0, n - 5, 700), rng.integers(0, n - 5, 700)  # the last five isolated
    indptr, indices, loops, repeats, isolated = _csr(n, src, dst, directed)
    rows = [set() for _ in range(n)]
    for a, b in zip(src.tolist(), dst.tolist()):
        if a != b:
            rows[a].add(b)
            if not directed:
                rows[b].add(a)
    assert loops == int(np.sum(src == dst))
    edges = sum(map(len, rows)) // (1 if directed else 2)
    assert repeats == len(src) - loops - edges
    linked = {i for i in range(n) if rows[i]} | {j for r in rows for j in r}
    assert isolated == n - len(linked) >= 5
    for i in range(n):
        assert indices[indptr[i] : indptr[i + 1]].tolist() == sorted(rows[i])
