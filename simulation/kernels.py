"""The consumers' rules, compiled, and the compiled loop that runs the steps between two timed events.

Every rule that moves consumers within a step lives here, once: posting, reading complaints,
praise and brand answers, stifling, stopping, fading, search finds, drift, churn and the per-step
statistics. `advance` strings them together in the order of a step (`simulation.model`, ODD
section 3) and runs step after step in one compiled call until Python has something to do: a
timed event is due (a brand action, an amplifier's story), an amplifier takes the buzz up, the
brand detects the crisis or watches a campaign, a background complaint arrives, or the horizon
is reached. The Python side (`simulation.population`, `simulation.model`) calls these same
functions for what its events do to consumers, so there is no second copy of a rule.

numba earns its place here: the rules visit every consumer a rule concerns, and a Python loop
between steps cost about 0.2 ms a step even when nothing spread. The draws are the counter-based
uniforms of `simulation.randomness` (the same compiled function), so a consumer's coin does not
depend on how many others drew before it, and the numbers are those of the rules run one by one.

Sums that numpy used to compute (the untouched consumers' opinion sums) use numpy's pairwise
summation (`_pairwise`), and the few transcendental functions whose numpy results differ in the
last bit from the C library's (a story's novelty, powers of the praise and soothing factors) are
computed by numpy in Python and handed in: results are the same bits as before.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .counters import decision_base, uniform
from .rates import rate_to_prob
from .stance import Route, Stance

ROUTE_NETWORK = Route.NETWORK
ROUTE_SEARCH = Route.SEARCH
ROUTE_BRAND = Route.BRAND

# The per-consumer state of a population, packed by type so that a compiled call takes few arrays
# (each array argument costs a compiled call about 10 ns): `Population.consumers`. Row constants below.
Consumers = namedtuple(
    "Consumers",
    (
        "reals",  # float64 rows: OPINION, ANGER, DOSE, PRIOR, ACTIVITY, DOSE_BUF
        "codes",  # int8 rows: STANCE (a Stance), ROUTE (a Route: how the consumer first heard)
        "flags",  # bool rows: CUSTOMER, TOUCHED, CHURNED, GRIEVANCE, REMEDIED, INITIAL_CUSTOMER
        "longs",  # int64 rows: ACTIVATED, LAST_POSTER, TOUCHED_LIST, SHARERS, POSTS_BUF, ACTIVE, TURNED
        "ints",  # int32 rows: STORY_OF, POSTED, DOSE_AT
        "shorts",  # int16 rows: EPISODES, SHARE_NEXT
        "seen",  # uint64: bit a set once brand answer a was read
        "cohorts",  # float64 rows over steps: SIZE (consumers who turned ANGRY in the step), OFFSPRING (they angered)
        "book",  # int64 counters, indexed by the B_* constants
        "untouched",  # float64: the untouched consumers' prior sum, and their initial customers' (U_*)
    ),
)
# opinion of the brand in [-1, 1]; anger (arousal) in [0, 1]; negative dose read (complex contagion); the
# opinion drift returns to; posting activity; scratch (kept zero between calls)
OPINION, ANGER, DOSE, PRIOR, ACTIVITY, DOSE_BUF = range(6)
STANCE, ROUTE = range(2)
# a customer; the buzz reached the consumer (its state may differ from the initial one); churned; a
# complainant with an open grievance; a complainant a remedy settled; a customer when the run began
CUSTOMER, TOUCHED, CHURNED, GRIEVANCE, REMEDIED, INITIAL_CUSTOMER = range(6)
# step the last ANGRY episode began; whose complaint the consumer read last; the touched consumers (sorted in
# [0, book[B_SORTED]), newly touched after); who passes an answer on next step (book[B_SHARERS] of them);
# scratch counters (kept zero); the ANGRY and ADVOCATE consumers, sorted (book[B_ACTIVE], while
# book[B_ACTIVE_OK]); who turned ANGRY this step (book[B_TURNED])
ACTIVATED, LAST_POSTER, TOUCHED_LIST, SHARERS, POSTS_BUF, ACTIVE, TURNED = range(7)
# the story the consumer's anger is about (its posts' story); complaints posted; how many of the run's
# dose decays its dose has had (book[B_DECAYS] so far: a dose is decayed when next read, `read_batch`)
STORY_OF, POSTED, DOSE_AT = range(3)
# ANGRY episodes so far (fatigue); the answer the consumer passes on next step (-1: none)
EPISODES, SHARE_NEXT = range(2)
SIZE, OFFSPRING = range(2)
B_SORTED, B_TOTAL, B_FROZEN, B_SHARERS, B_UNTOUCHED, B_NEGATIVE, B_CUSTOMERS = range(7)
B_ACTIVE, B_ACTIVE_OK, B_TURNED, B_CHURNED, B_DECAYS = range(7, 12)
BOOK_SIZE = 12
U_PRIOR, U_CUSTOMER_PRIOR = range(2)

# A run's rules: per-step factors of its rates and half-lives, and its parameters (`Population.rules`).
Rules = namedtuple(
    "Rules",
    (
        "dt",
        "post_rate",  # complaints per hour of an ANGRY consumer with anger 1 and activity 1
        "advocate_rate",
        "visibility",
        "calm_threshold",
        "gone_anger",  # 1 - 2^(-dt / h): what fades in a step, and h / ln 2 (the integral's scale)
        "scale_anger",
        "gone_advocate",
        "scale_advocate",
        "gone_grievance",
        "scale_grievance",
        "keep_anger",  # 2^(-dt / h): what remains after a step
        "keep_advocate",
        "keep_grievance",
        "keep_opinion",
        "keep_dose",
        "stop_prob",  # SIR stop chance per step (0: none)
        "stifle_prob",
        "repeat_exposure",
        "negative_impact",
        "expected_reply_h",
        "silence_multiplier",
        "churn_max",
        "churn_exponent",
        "search_keep",
        "search_rate",
        "search_p",
        "findability",
        "found_impact",
        "background_mean",  # background complaints expected in a step
        "anger_boost",
        "anger_dose",
        "customer_susceptibility",
        "calmed_susceptibility",
        "contagion_exponent",
        "initial_anger",
        "vented_susceptibility",
        "praise_keep",  # (1 - positive_impact)^c for c praise posts read in a step (numpy's powers)
        "soothe_keep",  # (1 - soothe)^c
    ),
)

# The follower structure: indices[indptr[i]:indptr[i + 1]] see consumer i's posts (empty when well mixed).
Net = namedtuple("Net", ("indptr", "indices", "well_mixed", "readers_per_post"))

# The counter-based streams' keys and the slots of the decisions drawn in compiled code.
Coins = namedtuple(
    "Coins",
    (
        "spread",
        "search",
        "complaints",
        "post_negative",
        "post_positive",
        "see_negative",
        "see_positive",
        "see_shared",
        "anger_complaints",
        "anger_search",
        "answer_anger",
        "answer_share",
        "stifle",
        "stop",
        "churn",
        "searchers",
        "background",
    ),
)
SPREAD_STREAM, SEARCH_STREAM, COMPLAINTS_STREAM = range(3)
MAX_POST_ROUNDS = 32  # well mixed: a poster's first 32 posts of a step each get their own readers

# Rows of the series table (the first 13 of `metrics.SERIES`, in its order).
ROW_ANGRY = int(Stance.ANGRY)
ROW_POSTS_NEGATIVE, ROW_POSTS_POSITIVE, ROW_SEARCH_STOCK = 5, 6, 7
ROW_REPUTATION, ROW_REPUTATION_AWARE, ROW_REPUTATION_CUSTOMERS, ROW_SHARE_NEGATIVE, ROW_CHURNED = 8, 9, 10, 11, 12
# `now`: what accumulates between two rows.
NOW_POSTS_NEGATIVE, NOW_POSTS_POSITIVE, NOW_SEARCH_STOCK = 0, 1, 2
# The brand's state as the loop needs it (`BuzzModel._brand_state`).
BRAND_WEIGHT, BRAND_LAST_REPLY_H, BRAND_LAST_COMPLAINT_H, BRAND_DETECTED, BRAND_WINDOW, BRAND_THRESHOLD = range(6)
BRAND_WATCHING = 6
# Phases of a step, where the loop stops and resumes.
PHASE_AMPLIFIERS, PHASE_COMPLAINTS, PHASE_SPREAD, PHASE_RECORD = range(4)
# Why `advance` returned (out[0]); out[1] says which amplifier, how many complaints, or whether detected.
DONE, EVENTS, AMPLIFIER, COMPLAINT, BRAND, QUIET = range(6)


# -- draws --------------------------------------------------------------------------------------------


@njit(cache=True)
def coin(coins, audit, stream, step, slot):
    """The hash offset of one decision at one step (`CounterStream.base`), noted in `audit` when auditing.

    `audit` is empty unless the run is audited (`randomness.DRAWS.audit`): then row 0 holds the
    count (and an overflow flag) and each further row (stream, step, slot).
    """
    if stream == SPREAD_STREAM:
        key = coins.spread
    elif stream == SEARCH_STREAM:
        key = coins.search
    else:
        key = coins.complaints
    if len(audit):
        m = audit[0, 0] + 1
        if m < len(audit):
            audit[m, 0] = stream
            audit[m, 1] = step
            audit[m, 2] = slot
            audit[0, 0] = m
        else:
            audit[0, 1] = 1
    return decision_base(key, step, slot)


POISSON_FROM_ZERO = 30.0  # below this mean the inverse transform walks up from 0 (exp(-mean) is safe)


@njit(cache=True, inline="always")
def _poisson(mean, u):
    # The Poisson(mean) value whose CDF first exceeds u (inverse transform), exact for any mean.
    # Small means walk up from 0. Larger ones start at the mode m, where the pmf is computed in logs
    # (exp(-mean) underflows above 745), with F(m) summed down from the mode until the terms vanish
    # (about 10 sqrt(mean) of them), then walk from m towards u: a few sqrt(mean) steps either way.
    if not mean > 0.0:
        return 0
    if mean < POISSON_FROM_ZERO:
        p = math.exp(-mean)
        cdf = p
        j = 0
        while u >= cdf and p > 0.0:
            j += 1
            p = p * mean / j
            cdf = cdf + p
        return j
    m = int(mean)
    pm = math.exp(m * math.log(mean) - mean - math.lgamma(m + 1.0))
    cdf = pm
    p = pm
    k = m
    while k > 0 and p > cdf * 1e-18:
        p = p * k / mean
        k -= 1
        cdf = cdf + p
    p = pm
    k = m
    if u < cdf:  # at or below the mode: remove pmf(k) while the CDF below k still exceeds u
        while k > 0 and u < cdf - p:
            cdf = cdf - p
            p = p * k / mean
            k -= 1
        return k
    while u >= cdf and p > 0.0:
        k += 1
        p = p * mean / k
        cdf = cdf + p
    return k


@njit(cache=True, inline="always")
def _binomial(n, p, ratio, u):
    # The Binomial(n, p) value whose CDF first exceeds u (inverse transform); ratio = p / (1 - p).
    pmf = (1.0 - p) ** n
    cdf = pmf
    j = 0
    while u >= cdf and j < n:
        j += 1
        pmf = pmf * (n - j + 1) / j * ratio
        cdf = cdf + pmf
    return j


CDF_TABLE = 64  # binomial trials up to which a poster's CDF is tabulated once for all its followers
POWER_TABLE = 256  # praise posts read in a step up to which numpy's powers are tabulated (`read_positive`)
POISSON_TABLE = 128  # entries of a tabulated Poisson CDF (means below POISSON_FROM_ZERO need about 80)
POISSON_SLOTS = 512  # Poisson CDFs a run keeps (`PoissonCache`)
BUCKETS = 1048576.0  # a Poisson CDF serves means within 2^-20 of its own (`_table_lookup`)
# Tabulated Poisson CDFs of a run, by mean (`post_and_see`): each slot's bucket of means (-1: none), the
# mean its table is for, the table's length (0: met once, not tabulated; -1: does not fit), its tail
# (`_poisson_table`), the CDF and where the walk stops.
PoissonCache = namedtuple("PoissonCache", ("keys", "means", "lengths", "tails", "cdf", "stop"))


def poisson_cache() -> PoissonCache:
    """An empty cache of Poisson CDFs (`post_and_see`)."""
    return PoissonCache(
        np.full(POISSON_SLOTS, -1, np.int64),
        np.full(POISSON_SLOTS, -1.0),
        np.zeros(POISSON_SLOTS, np.int64),
        np.zeros(POISSON_SLOTS, np.int64),
        np.empty((POISSON_SLOTS, POISSON_TABLE)),  # (a slot's rows are written before they are read)
        np.empty((POISSON_SLOTS, POISSON_TABLE), np.bool_),
    )


@njit(cache=True, inline="always")
def _slot(key, slots):
    # A cache slot for a bucket of means (mixed: nearby buckets land far apart).
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(40)) % slots


@njit(cache=True)
def _poisson_table(mean, cdf, stop):
    # The CDF values the walk of `_poisson` passes (mean below POISSON_FROM_ZERO) and where it stops whatever
    # u (the term underflowed to 0): (entries, tail). Up to the first entry every u < 1 stops at (F >= 1);
    # or, once F stops growing in floating point, up to there, with `tail` the value the walk reaches for
    # any larger u (where the term underflows). (0, 0) when the entries do not fit.
    p = math.exp(-mean)
    c = p
    cdf[0], stop[0] = c, p == 0.0
    j = 0
    while c < 1.0 and p > 0.0:  # (from here the walk goes on for some u < 1)
        j += 1
        p = p * mean / j
        if c + p == c and p > 0.0:  # F no longer grows: a larger u walks on until the term vanishes
            tail = j
            while p > 0.0:
                tail += 1
                p = p * mean / tail
            return j, tail
        if j >= len(cdf):
            return 0, 0
        c = c + p
        cdf[j], stop[j] = c, p == 0.0
    return j + 1, j


@njit(cache=True, inline="always")
def _table_lookup(cdf, stop, row, length, tail, u, gap):
    # The value the walk of `_poisson` returns for u, from row `row` of its tables, made for a mean `gap`
    # away; -1 when the table cannot tell. For the same mean (gap 0): the first j with u < F(j), or where the
    # walk stops. For a mean at most `gap` away, F(j) moves by at most `gap` (|dF/dmean| is a pmf, at most 1)
    # and the walk's rounding by far less than 1e-12: a value j whose boundaries F(j - 1) and F(j) lie
    # further than that from u is the walk's value for the other mean too.
    margin = gap + 1e-12 if gap > 0 else 0.0
    for j in range(length):
        if stop[row, j]:
            return j if gap == 0 else -1
        if u < cdf[row, j]:
            if gap == 0 or (u < cdf[row, j] - margin and (j == 0 or u >= cdf[row, j - 1] + margin)):
                return j
            return -1
    return tail if gap == 0 else -1


@njit(cache=True, inline="always")
def _binomial_cdf(n, p, ratio, cdf):
    # cdf[j] = P(X <= j) for X ~ Binomial(n, p), j = 0..n, by the recurrence `_binomial` walks (same bits).
    pmf = (1.0 - p) ** n
    cdf[0] = pmf
    for j in range(1, n + 1):
        pmf = pmf * (n - j + 1) / j * ratio
        cdf[j] = cdf[j - 1] + pmf


@njit(cache=True, inline="always")
def _quantile_from_cdf(cdf, row, n, u):
    # The value whose CDF first exceeds u, from row `row` of tables of `_binomial_cdf` (as `_binomial` finds it).
    j = 0
    while u >= cdf[row, j] and j < n:
        j += 1
    return j


@njit(cache=True)
def poisson_quantile(mean, u):
    """The Poisson(mean) value whose CDF first exceeds u, for each element (inverse transform)."""
    k = np.zeros(len(mean), np.int64)
    for i in range(len(mean)):
        k[i] = _poisson(mean[i], u[i])
    return k


@njit(cache=True)
def binomial_quantile(trials, p, u):
    """The Binomial(trials, p) value whose CDF first exceeds u, for each element (inverse transform)."""
    k = np.zeros(len(trials), np.int64)
    ratio = p / (1.0 - p) if p < 1.0 else np.inf
    for i in range(len(trials)):
        k[i] = _binomial(trials[i], p, ratio, u[i])
    return k


# -- bookkeeping: who the buzz has touched, and the sums over the others ---------------------------


@njit(cache=True)
def _pairwise(values, n):
    """The pairwise sum numpy computes of values[:n] (blocks of 8 up to 128, halves above): the same bits."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += values[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = values[0], values[1], values[2], values[3]
        r4, r5, r6, r7 = values[4], values[5], values[6], values[7]
        i = 8
        end = n - n % 8
        while i < end:
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += values[i]
            i += 1
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(values, half) + _pairwise(values[half:], n - half)


@njit(cache=True)
def account(c, start):
    """The consumers touched from position `start` of the touched list on leave the untouched sums.

    The untouched consumers are UNAWARE, at their prior and not churned: the statistics add their
    sums (kept here) to sums over the touched ones. Kept from the moment the initial customers are
    known (book[B_FROZEN]); each block of newly touched consumers leaves them at once, as numpy summed it.
    """
    end = c.book[B_TOTAL]
    m = end - start
    if m <= 0 or not c.book[B_FROZEN]:
        return
    lst, prior, initial = c.longs[TOUCHED_LIST], c.reals[PRIOR], c.flags[INITIAL_CUSTOMER]
    pr = np.empty(m)
    cust = np.empty(m)
    nc = 0
    neg = 0
    for j in range(m):
        i = lst[start + j]
        pr[j] = prior[i]
        if initial[i]:
            cust[nc] = pr[j]
            nc += 1
        if pr[j] < 0:
            neg += 1
    c.book[B_UNTOUCHED] -= m
    c.untouched[U_PRIOR] -= _pairwise(pr, m)
    c.untouched[U_CUSTOMER_PRIOR] -= _pairwise(cust, nc)
    c.book[B_NEGATIVE] -= neg


@njit(cache=True)
def mark(c, ids):
    """Mark consumers as touched, appending the new ones to the touched list in the order given."""
    touched, lst = c.flags[TOUCHED], c.longs[TOUCHED_LIST]
    t = c.book[B_TOTAL]
    for i in ids:
        if not touched[i]:
            touched[i] = True
            lst[t] = i
            t += 1
    c.book[B_TOTAL] = t


@njit(cache=True)
def touch(c, ids):
    """Mark consumers the buzz has reached; the new ones, sorted, leave the untouched sums as one block."""
    start = c.book[B_TOTAL]
    mark(c, ids)
    lst, end = c.longs[TOUCHED_LIST], c.book[B_TOTAL]
    if end - start > 1:
        lst[start:end] = np.sort(lst[start:end])
    account(c, start)


@njit(cache=True)
def merge_touched(c):
    """Sort the consumers touched since the last merge into the touched list (the loops walk memory in order)."""
    s, t = c.book[B_SORTED], c.book[B_TOTAL]
    if t == s:
        return
    lst, touched = c.longs[TOUCHED_LIST], c.flags[TOUCHED]
    n = len(lst)
    if t - s > n // 16:  # many: one scan of the flags beats sorting
        j = 0
        for i in range(n):
            if touched[i]:
                lst[j] = i
                j += 1
    else:  # sort the new ones and merge them in from the end
        tail = np.sort(lst[s:t])
        i, j, w = s - 1, len(tail) - 1, t - 1
        while j >= 0:
            if i >= 0 and lst[i] > tail[j]:
                lst[w] = lst[i]
                i -= 1
            else:
                lst[w] = tail[j]
                j -= 1
            w -= 1
    c.book[B_SORTED] = t


@njit(cache=True)
def ensure_active(c):
    """The list of ANGRY and ADVOCATE consumers (the only ones who post, stop or fade), rebuilt if stale."""
    if c.book[B_ACTIVE_OK]:
        return
    lst, stance, active = c.longs[TOUCHED_LIST], c.codes[STANCE], c.longs[ACTIVE]
    m = 0
    for j in range(c.book[B_TOTAL]):
        i = lst[j]
        if stance[i] == Stance.ANGRY or stance[i] == Stance.ADVOCATE:
            active[m] = i
            m += 1
    active[:m] = np.sort(active[:m])
    c.book[B_ACTIVE] = m
    c.book[B_ACTIVE_OK] = 1


@njit(cache=True)
def distinct_counts(ids, buf):
    """Sorted distinct ids and how often each occurs (`buf`: zeroed counters of the population's size)."""
    uniq = np.empty(len(ids), np.int64)
    m = 0
    for i in ids:
        if buf[i] == 0:
            uniq[m] = i
            m += 1
        buf[i] += 1
    uniq = np.sort(uniq[:m])
    counts = np.empty(m, np.int64)
    for j in range(m):
        counts[j] = buf[uniq[j]]
        buf[uniq[j]] = 0
    return uniq, counts


# -- becoming ANGRY, hearing, reading negative content -----------------------------------------------------


@njit(cache=True)
def turn_angry(c, ids, step, stories, initial_anger):
    """Consumers begin an ANGRY episode at this step, consumer ids[j] about stories[j].

    Their anger is at least `initial_anger`, their episode count grows (fatigue), and the cohort
    of consumers who turned ANGRY at this step counts them (for r_eff). `ids` are distinct.
    """
    touch(c, ids)
    stance, anger, activated = c.codes[STANCE], c.reals[ANGER], c.longs[ACTIVATED]
    episodes, story_of, turned, size = c.shorts[EPISODES], c.ints[STORY_OF], c.longs[TURNED], c.cohorts[SIZE]
    m = c.book[B_TURNED]
    for j in range(len(ids)):
        r = ids[j]
        stance[r] = Stance.ANGRY
        anger[r] = max(anger[r], initial_anger)
        activated[r] = step
        episodes[r] += 1
        story_of[r] = stories[j]
        size[step] += 1.0
        turned[m % len(turned)] = r  # (stop_and_fade's list; a step never turns more than n)
        m += 1
    c.book[B_TURNED] = m


@njit(cache=True)
def hear(c, ids, route):
    """The UNAWARE among these consumers become AWARE, by this route (how they first heard)."""
    stance, routes = c.codes[STANCE], c.codes[ROUTE]
    for i in ids:
        if stance[i] == Stance.UNAWARE:
            stance[i] = Stance.AWARE
            routes[i] = route


@njit(cache=True)
def read_batch(c, rules, readers, posts, doses, stories, infectors, route, step, keep, weight, base):
    """The rule of reading negative content, for distinct readers.

    Reader readers[j] reads posts[j] negative posts (or a story read as that many posts, or search
    finds), adding doses[j] to its anger dose at weight `weight` (the doses already count each
    post's pull: its story's novelty). UNAWARE -> AWARE (by `route`: how it first heard); the
    opinion moves toward -1 by the fraction 1 - keep per post; an ANGRY reader's anger moves
    toward 1 by anger_boost per post; the dose grows by dose * weight; and a reader who is
    UNAWARE, AWARE or CALMED and whose dose rose turns ANGRY by complex contagion: after a
    cumulative dose D the chance of having turned ANGRY is 1 - exp(-beta D^gamma), so the step's
    chance is 1 - exp(-beta (new^gamma - old^gamma)) however the dose is split over steps. beta is
    anger_dose, times customer_susceptibility for customers, calmed_susceptibility for CALMED
    readers, and vented_susceptibility once per past episode (fatigue). A reader who turns ANGRY
    takes up stories[j], and counts as a secondary case of infectors[j] (none when negative).
    """
    stance, routes = c.codes[STANCE], c.codes[ROUTE]
    opinion, anger, dose = c.reals[OPINION], c.reals[ANGER], c.reals[DOSE]
    customer, episodes, activated, offspring = (
        c.flags[CUSTOMER],
        c.shorts[EPISODES],
        c.longs[ACTIVATED],
        c.cohorts[OFFSPRING],
    )
    anger_boost, anger_dose, gamma = rules.anger_boost, rules.anger_dose, rules.contagion_exponent
    dose_at, decays, keep_dose = c.ints[DOSE_AT], np.int32(c.book[B_DECAYS]), rules.keep_dose
    customer_s, calmed_s, vented_s = (
        rules.customer_susceptibility,
        rules.calmed_susceptibility,
        rules.vented_susceptibility,
    )
    angered = np.empty(len(readers), np.int64)
    na = 0
    for j in range(len(readers)):
        r, k, d = readers[j], posts[j], doses[j]
        s = stance[r]
        if s == Stance.UNAWARE:
            stance[r] = Stance.AWARE
            routes[r] = route
        opinion[r] = -1.0 + (opinion[r] + 1.0) * (keep if k == 1 else keep**k)
        if s == Stance.ANGRY:
            anger[r] = 1.0 - (1.0 - anger[r]) * (1.0 - anger_boost) ** k
        old = dose_now(dose, dose_at, decays, keep_dose, r)
        new = old + d * weight
        dose[r] = new
        if (s == Stance.UNAWARE or s == Stance.AWARE or s == Stance.CALMED) and new > old:
            beta = anger_dose * (customer_s if customer[r] else 1.0)
            if s == Stance.CALMED:
                beta *= calmed_s
            if episodes[r] > 0:
                beta *= vented_s ** episodes[r]
            added = new - old if gamma == 1.0 else new**gamma - old**gamma
            u = uniform(base, r)
            x = beta * added
            # 1 - exp(-x) never exceeds x: below that bound only is the chance worth computing (same outcomes)
            if u < x * (1.0 + 1e-12) and u < -math.expm1(-x):
                angered[na] = j
                na += 1
                infector = infectors[j]  # ANGRY (a poster): not among the readers who turn in this batch
                if infector >= 0 and activated[infector] >= 0:
                    offspring[activated[infector]] += 1.0
    if na:
        turn_angry(c, readers[angered[:na]], step, stories[angered[:na]], rules.initial_anger)


@njit(cache=True)
def read_complaints(c, rules, readers, src, pull, step, weight, impact, base):
    """Followers read this step's complaints (one (reader, poster) pair per post seen).

    The posts a reader saw are tallied first: each adds its story's pull to the dose unless it
    comes from the poster the reader saw last (the dose counts distinct posters, unless
    repeat_exposure). Then each reader reads them by the rule of :func:`read_batch`; one who
    turns ANGRY takes up the story of the poster it read last, and counts as that poster's
    secondary case. Returns the poster of every contact with a reader who already knew (for stifling).
    """
    stance, last_poster, story_of = c.codes[STANCE], c.longs[LAST_POSTER], c.ints[STORY_OF]
    posts_buf, dose_buf = c.longs[POSTS_BUF], c.reals[DOSE_BUF]
    m = len(readers)
    uniq = np.empty(m, np.int64)
    informed = np.empty(m, np.int64)
    nu = ni = 0
    for e in range(m):
        r, p = readers[e], src[e]
        if stance[r] != Stance.UNAWARE:  # nobody's stance changes in this pass: this is "before"
            informed[ni] = p
            ni += 1
        if posts_buf[r] == 0:
            uniq[nu] = r
            nu += 1
        posts_buf[r] += 1
        if rules.repeat_exposure or last_poster[r] != p:
            dose_buf[r] += pull[story_of[p]] if story_of[p] >= 0 else 1.0
        last_poster[r] = p
    uniq = uniq[:nu]
    posts = np.empty(nu, np.int64)
    doses = np.empty(nu)
    stories = np.empty(nu, np.int32)
    infectors = np.empty(nu, np.int64)
    for j in range(nu):
        r = uniq[j]
        posts[j], doses[j] = posts_buf[r], dose_buf[r]
        posts_buf[r] = 0
        dose_buf[r] = 0.0
        infectors[j] = last_poster[r]
        stories[j] = story_of[infectors[j]]
    start = c.book[B_TOTAL]
    mark(c, uniq)
    account(c, start)
    read_batch(
        c, rules, uniq, posts, doses, stories, infectors, ROUTE_NETWORK, step, 1.0 - min(1.0, impact), weight, base
    )
    return informed[:ni]


@njit(cache=True)
def read_negative(c, rules, readers, posts, doses, story, route, step, weight, impact, base):
    """Distinct readers of negative content other than followers' posts.

    An amplifier's story, legal news, an exposure, search finds: reader i reads it as posts[i]
    posts adding doses[i] to its dose, by the rule of :func:`read_batch` (a reader who turns
    ANGRY takes up `story`; nobody's secondary case).
    """
    start = c.book[B_TOTAL]
    mark(c, readers)
    account(c, start)
    stories = np.full(len(readers), story, np.int32)
    nobody = np.full(len(readers), -1, np.int64)
    read_batch(c, rules, readers, posts, doses, stories, nobody, route, step, 1.0 - min(1.0, impact), weight, base)


# -- posting and seeing ---------------------------------------------------------------------------------


@njit(cache=True)
def post_and_see(c, net, rules, cache, which, rate, post_base, see_base):
    """Who of the consumers in stance `which` posts this step, how many posts, and who sees them.

    Only ANGRY and ADVOCATE consumers post (`ensure_active`). A poster's posts are a Poisson number
    with mean rate * activity times its arousal integrated over the step until it falls below the
    calm threshold (when the poster calms down): an arousal a fading with half-life h, of which the
    share `gone` = 1 - 2^(-dt / h) fades in a step, integrates to a (h / ln 2) min(gone, 1 -
    threshold / a). ANGRY consumers with an open grievance and remedied ADVOCATEs fade at the
    grievance's half-life, other ANGRY consumers at the anger's, other ADVOCATEs at the
    advocates'. On a network each follower sees a Binomial(posts, visibility) number of them (no
    draw when the visibility is 1); well mixed, `reach_well_mixed` gives the readers. An ANGRY
    poster's complaints are counted. Returns (posters, posts each, readers, poster of each
    reading): posters in id order, followers in their list's order.
    """
    ensure_active(c)
    ids, nt = c.longs[ACTIVE], c.book[B_ACTIVE]
    stance, anger, activity = c.codes[STANCE], c.reals[ANGER], c.reals[ACTIVITY]
    angry = which == Stance.ANGRY
    special_flags = c.flags[GRIEVANCE] if angry else c.flags[REMEDIED]
    gone0, scale0 = (rules.gone_anger, rules.scale_anger) if angry else (rules.gone_advocate, rules.scale_advocate)
    indptr, indices = net.indptr, net.indices
    posters = np.empty(nt, np.int64)
    counts = np.empty(nt, np.int64)
    np_ = 0
    edges = 0
    # Poisson CDFs of means met before, tabulated once a second poster's mean falls within 2^-20 of one
    # (in the SIR reduction posters' means differ in the eighth digit, and come back step after step): the
    # table decides unless u lies near a boundary (`_table_lookup`), else the walk.
    keys, cached, tab_len, tails, cdf, stop = cache.keys, cache.means, cache.lengths, cache.tails, cache.cdf, cache.stop
    for j in range(nt):
        i = ids[j]
        if stance[i] != which:
            continue
        gone, scale = (rules.gone_grievance, rules.scale_grievance) if special_flags[i] else (gone0, scale0)
        a = anger[i]
        mean = rate * activity[i] * a * scale * max(0.0, min(gone, 1.0 - rules.calm_threshold / a)) if a > 0 else 0.0
        u = uniform(post_base, i)
        if 0.0 < mean < POISSON_FROM_ZERO:
            key = np.int64(mean * BUCKETS)
            slot = _slot(key, len(cached))
            if keys[slot] == key:  # a mean this close met before: its CDF decides, unless u is too near
                if tab_len[slot] == 0:
                    length, tail = _poisson_table(cached[slot], cdf[slot], stop[slot])
                    tab_len[slot], tails[slot] = length or -1, tail
                length = tab_len[slot]
                k = -1
                if length > 0:
                    k = _table_lookup(cdf, stop, slot, length, tails[slot], u, abs(mean - cached[slot]))
                if k < 0:
                    k = _poisson(mean, u)
            else:
                k = _poisson(mean, u)
                keys[slot], cached[slot], tab_len[slot] = key, mean, 0
        else:
            k = _poisson(mean, u)
        if k > 0:
            posters[np_] = i
            counts[np_] = k
            np_ += 1
            edges += indptr[i + 1] - indptr[i]  # well mixed: no follower lists
    posters, counts = posters[:np_], counts[:np_]
    if angry:
        posted = c.ints[POSTED]
        for j in range(np_):
            posted[posters[j]] += counts[j]
    vis = rules.visibility
    ratio = vis / (1.0 - vis) if vis < 1.0 else np.inf
    bcdf = np.empty((CDF_TABLE + 1, CDF_TABLE + 1))  # row k: the Binomial(k, visibility) CDF, made when needed
    made = np.zeros(CDF_TABLE + 1, np.bool_)
    seen = np.empty(edges, np.int64)  # posts seen along each of the posters' follower edges
    e0 = 0
    total = 0
    for j in range(np_):
        p, k = posters[j], counts[j]
        table = vis < 1.0 and k <= CDF_TABLE
        if table and not made[k]:
            _binomial_cdf(k, vis, ratio, bcdf[k])
            made[k] = True
        for e in range(indptr[p], indptr[p + 1]):
            if vis >= 1.0:
                x = k
            elif table:
                x = _quantile_from_cdf(bcdf, k, k, uniform(see_base, e))
            else:
                x = _binomial(k, vis, ratio, uniform(see_base, e))
            seen[e0] = x
            e0 += 1
            total += x
    readers = np.empty(total, np.int64)
    src = np.empty(total, np.int64)
    m = 0
    e0 = 0
    for j in range(np_):
        p = posters[j]
        for e in range(indptr[p], indptr[p + 1]):
            for _ in range(seen[e0]):
                readers[m] = indices[e]
                src[m] = p
                m += 1
            e0 += 1
    return posters, counts, readers, src


@njit(cache=True)
def reach_well_mixed(n, net, vis, posters, counts, coins, audit, step, slot):
    """Well mixed: (reader, poster) pairs of posts, each post read by its own random consumers.

    Round j takes the j-th post of every poster with more than j (the first `MAX_POST_ROUNDS`;
    `counts` None: one round). A post goes to ceil(r) slots (r = readers_per_post, the last slot
    used with r's fractional part's chance); slot s of poster p is key p * ceil(r) + s: it is read
    by consumer floor(n u) (uniform 3j + 1), seen with the visibility's chance (uniform 3j), and
    never by the poster itself.
    """
    rpp = net.readers_per_post
    kc = int(np.ceil(rpp))
    rounds = 1
    for j in range(len(counts)):
        rounds = max(rounds, min(counts[j], MAX_POST_ROUNDS))
    cap = 0
    for j in range(len(posters)):
        cap += kc * (min(counts[j], MAX_POST_ROUNDS) if len(counts) else 1)
    readers = np.empty(cap, np.int64)
    src = np.empty(cap, np.int64)
    m = 0
    if not len(posters):
        return readers, src
    for rnd in range(rounds):
        b0 = coin(coins, audit, SPREAD_STREAM, step, slot + 3 * rnd)
        b1 = coin(coins, audit, SPREAD_STREAM, step, slot + 3 * rnd + 1)
        b2 = coin(coins, audit, SPREAD_STREAM, step, slot + 3 * rnd + 2) if kc > rpp else np.uint64(0)
        for j in range(len(posters)):
            if len(counts) and counts[j] <= rnd:
                continue
            p = posters[j]
            for s in range(kc):
                key = p * kc + s
                reader = np.int64(uniform(b1, key) * n)
                keep = uniform(b0, key) < vis
                if kc > rpp and s == kc - 1:
                    keep = keep and uniform(b2, key) < rpp - (kc - 1)
                if keep and reader != p:
                    readers[m] = reader
                    src[m] = p
                    m += 1
    return readers[:m], src[:m]


@njit(cache=True)
def follower_reach(net, who, vis, base):
    """Followers of `who` who see one post of each (a draw per follower edge unless the visibility is 1)."""
    total = 0
    for p in who:
        total += net.indptr[p + 1] - net.indptr[p]
    readers = np.empty(total, np.int64)
    m = 0
    for p in who:
        for e in range(net.indptr[p], net.indptr[p + 1]):
            if vis >= 1.0 or uniform(base, e) < vis:
                readers[m] = net.indices[e]
                m += 1
    return readers[:m]


@njit(cache=True)
def read_positive(c, rules, readers, counts):
    """Readers of positive posts: aware, opinion up, anger soothed (readers distinct and sorted).

    A reader of c posts moves its opinion the fraction 1 - (1 - positive_impact)^c toward +1 and,
    unless an ADVOCATE, keeps (1 - soothe)^c of its anger.
    """
    touch(c, readers)
    stance, routes, opinion, anger = c.codes[STANCE], c.codes[ROUTE], c.reals[OPINION], c.reals[ANGER]
    praise_keep, soothe_keep = rules.praise_keep, rules.soothe_keep
    table = len(praise_keep)
    for j in range(len(readers)):
        r, k = readers[j], counts[j]
        s = stance[r]
        if s == Stance.UNAWARE:
            stance[r] = Stance.AWARE
            routes[r] = ROUTE_BRAND
        praise = praise_keep[k] if k < table else praise_keep[1] ** float(k)
        opinion[r] = opinion[r] + (1.0 - opinion[r]) * (1.0 - praise)
        if s != Stance.ADVOCATE:
            anger[r] *= soothe_keep[k] if k < table else soothe_keep[1] ** float(k)


# Columns of an answer's row (`BuzzModel.answer_effects`).
A_CALM, A_OPINION_SHIFT, A_ANGER_PROB, A_SHARE_PROB, A_LIFT, A_SUPPORTIVE = range(6)


@njit(cache=True)
def read_answer(c, rules, step, readers, answer_id, effect, story, anger_base, share_base):
    """Readers of a brand answer (first reading only): the action's effect; they may pass it on.

    The answer calms (effect's calm >= 0: that fraction of anger removed) or inflames (anger moved
    toward 1), shifts opinions (a positive shift stops at the reader's prior unless
    `lift_above_prior`), angers readers who were not ANGRY with `anger_prob` (they take up `story`,
    the newest), and an ANGRY reader it calmed below the threshold stops at once. Supportive
    answers are passed on (next step) by the readers they left CALMED and by advocates, provoking
    ones by the readers they left ANGRY, each with `share_prob`. `readers` may repeat.
    """
    seen = c.seen
    bit = np.uint64(1) << np.uint64(answer_id)
    uniq = np.empty(len(readers), np.int64)
    m = 0
    for r in readers:  # distinct readers who have not read it yet
        if (seen[r] & bit) == 0:
            seen[r] |= bit
            uniq[m] = r
            m += 1
    if not m:
        return
    uniq = np.sort(uniq[:m])
    touch(c, uniq)
    stance, routes, opinion, anger, prior = (
        c.codes[STANCE],
        c.codes[ROUTE],
        c.reals[OPINION],
        c.reals[ANGER],
        c.reals[PRIOR],
    )
    calm, shift, anger_prob = effect[A_CALM], effect[A_OPINION_SHIFT], effect[A_ANGER_PROB]
    share_prob, lift, supportive = effect[A_SHARE_PROB], effect[A_LIFT] != 0.0, effect[A_SUPPORTIVE] != 0.0
    angered = np.empty(m, np.int64)
    na = 0
    for r in uniq:
        before = stance[r]
        if before == Stance.UNAWARE:
            stance[r] = Stance.AWARE
            routes[r] = ROUTE_BRAND
        if calm >= 0:
            anger[r] *= 1 - calm
        else:
            anger[r] = anger[r] + (1.0 - anger[r]) * -calm
        old = opinion[r]
        if shift >= 0:
            new = old + (1.0 - old) * shift
            if not lift:  # a fix restores an opinion, it does not improve on it
                new = min(new, max(old, prior[r]))
        else:
            new = old + (-1.0 - old) * -shift
        opinion[r] = new
        if anger_prob > 0 and before != Stance.ANGRY and uniform(anger_base, r) < anger_prob:
            angered[na] = r
            na += 1
    if na:
        turn_angry(c, angered[:na], step, np.full(na, story, np.int32), rules.initial_anger)
    share_next, sharers = c.shorts[SHARE_NEXT], c.longs[SHARERS]
    for r in uniq:
        s = stance[r]
        if s == Stance.ANGRY and anger[r] < rules.calm_threshold:
            stance[r] = Stance.CALMED
            s = stance[r]
        shares = (s == Stance.CALMED or s == Stance.ADVOCATE) if supportive else s == Stance.ANGRY
        if shares and uniform(share_base, r) < share_prob:
            if share_next[r] < 0:
                sharers[c.book[B_SHARERS]] = r
                c.book[B_SHARERS] += 1
            share_next[r] = answer_id


@njit(cache=True)
def take_sharers(c):
    """Consumers who pass an answer on this step (sorted), and which answer (one share each)."""
    m = c.book[B_SHARERS]
    ids = np.sort(c.longs[SHARERS][:m])
    share_next = c.shorts[SHARE_NEXT]
    which = np.empty(m, np.int64)
    for j in range(m):
        which[j] = share_next[ids[j]]
        share_next[ids[j]] = -1
    c.book[B_SHARERS] = 0
    return ids, which


@njit(cache=True)
def pass_answers(c, net, rules, coins, audit, step, sharers, which, answers, story, now):
    """Readers of a brand answer pass it on to their followers, like any post (answers in id order).

    A provoking answer passed on counts as a negative mention (and findable content), a supportive
    one as a positive post.
    """
    n = len(c.seen)
    top = -1
    for a in which:
        top = max(top, a)
    for a in range(top + 1):
        m = 0
        for a2 in which:
            if a2 == a:
                m += 1
        if not m:
            continue
        who = np.empty(m, np.int64)
        m = 0
        for j in range(len(sharers)):
            if which[j] == a:
                who[m] = sharers[j]
                m += 1
        if answers[a, A_SUPPORTIVE] != 0.0:
            now[NOW_POSTS_POSITIVE] += m
        else:
            now[NOW_POSTS_NEGATIVE] += m
            now[NOW_SEARCH_STOCK] += m
        if net.well_mixed:
            readers, _ = reach_well_mixed(
                n, net, rules.visibility, who, who[:0], coins, audit, step, coins.see_shared + 3 * a
            )
        elif rules.visibility >= 1.0:
            readers = follower_reach(net, who, 1.0, np.uint64(0))
        else:
            base = coin(coins, audit, SPREAD_STREAM, step, coins.see_shared + 3 * a)
            readers = follower_reach(net, who, rules.visibility, base)
        anger_base = coin(coins, audit, SPREAD_STREAM, step, coins.answer_anger + a)
        share_base = coin(coins, audit, SPREAD_STREAM, step, coins.answer_share + a)
        read_answer(c, rules, step, readers, a, answers[a], story, anger_base, share_base)


# -- stopping, fading, search, forgetting, churn ------------------------------------------------------------


@njit(cache=True)
def stifle(informed, stance, grievance, count_buf, stifle_prob, base):
    """Maki-Thompson stifling of posters whose readers already knew.

    Each contact with a reader who already knew may make its poster stop (complainants with an
    open grievance excepted): a poster with c such contacts stops with chance 1 - (1 - p)^c.
    """
    for p in informed:
        count_buf[p] += 1
    for p in informed:
        c = count_buf[p]
        if c == 0:
            continue
        count_buf[p] = 0
        if stance[p] == Stance.ANGRY and not grievance[p]:
            if uniform(base, p) < 1.0 - (1.0 - stifle_prob) ** c:
                stance[p] = Stance.CALMED


@njit(cache=True)
def stop_and_fade(c, rules, step, stop_base):
    """SIR stopping, then fading, for every ANGRY and ADVOCATE consumer.

    SIR recovery: ANGRY consumers stop (CALMED) at a constant hourly rate whatever their contacts,
    those who turned this step included. Then anger fades: an open grievance's and a remedied
    complainant's advocacy with the grievance's half-life, other advocacy with the advocates', the
    rest with the attention half-life; below the calm threshold an ANGRY or ADVOCATE consumer
    becomes CALMED. Those activated this step start fading from the next (they have not had a
    chance to post yet). Visits the consumers active when the step began and those who turned
    ANGRY in it (a consumer visited twice is left as after the first visit: the same coin).
    """
    ensure_active(c)
    na, nt = c.book[B_ACTIVE], c.book[B_TURNED]
    if nt > len(c.longs[TURNED]):  # more turns than consumers in a step: never, but exact either way
        ids = c.longs[TOUCHED_LIST][: c.book[B_TOTAL]].copy()
    else:
        ids = np.concatenate((c.longs[ACTIVE][:na], c.longs[TURNED][:nt]))
    stance, anger, activated = c.codes[STANCE], c.reals[ANGER], c.longs[ACTIVATED]
    grievance, remedied = c.flags[GRIEVANCE], c.flags[REMEDIED]
    stop = rules.stop_prob > 0
    for i in ids:
        s = stance[i]
        if stop and s == Stance.ANGRY and uniform(stop_base, i) < rules.stop_prob:
            stance[i] = Stance.CALMED
            continue
        if activated[i] == step:
            continue
        if s == Stance.ANGRY:
            anger[i] *= rules.keep_grievance if grievance[i] else rules.keep_anger
        elif s == Stance.ADVOCATE:
            anger[i] *= rules.keep_grievance if remedied[i] else rules.keep_advocate
        else:
            continue
        if anger[i] < rules.calm_threshold:
            stance[i] = Stance.CALMED
    c.book[B_TURNED] = 0


@njit(cache=True)
def finders(count, n, find_prob, who_base, found_base):
    """Who of `count` searches finds the story, in search order.

    Search j is by consumer floor(n u_j) (uniform j under `who_base`) and finds the story when
    uniform j under `found_base` is below `find_prob`.
    """
    found = np.empty(count, np.int64)
    m = 0
    for j in range(count):
        if uniform(found_base, j) < find_prob:
            found[m] = np.int64(uniform(who_base, j) * n)
            m += 1
    return found[:m]


@njit(cache=True)
def search_finds(n, p, find_prob, count_base, who_base, found_base):
    """Who looks the brand up this step and finds the story (the searchers' three draws in one call).

    The number of searches is a Binomial(n, p) inverse transform of uniform 0 under `count_base`;
    then `finders`. Exact while n p is at most 500 (the caller draws larger counts otherwise).
    """
    ratio = p / (1.0 - p) if p < 1.0 else np.inf
    return finders(_binomial(n, p, ratio, uniform(count_base, 0)), n, find_prob, who_base, found_base)


@njit(cache=True)
def search(c, rules, coins, audit, step, now, pull, large_count):
    """Search memory: the stock fades; searchers find it with a chance that saturates.

    The findable stock fades with its half-life; each consumer looks the brand up with the search
    rate's chance, and a search finds the newest story with chance 1 - exp(-findability stock / n).
    A finder reads it as one negative post per find, pulling with the story's novelty. With more
    than 500 expected searches the count is drawn in Python (`large_count`, else -1).
    """
    n = len(c.seen)
    now[NOW_SEARCH_STOCK] *= rules.search_keep
    stock = now[NOW_SEARCH_STOCK]
    if rules.search_rate <= 0 or stock <= 0:
        return
    p = rules.search_p
    find_prob = -math.expm1(-rules.findability * stock / n)
    if n * p <= 500:
        b0 = coin(coins, audit, SEARCH_STREAM, step, coins.searchers)
        b1 = coin(coins, audit, SEARCH_STREAM, step, coins.searchers + 1)
        b2 = coin(coins, audit, SEARCH_STREAM, step, coins.searchers + 2)
        found = search_finds(n, p, find_prob, b0, b1, b2)
    else:
        b1 = coin(coins, audit, SEARCH_STREAM, step, coins.searchers + 1)
        b2 = coin(coins, audit, SEARCH_STREAM, step, coins.searchers + 2)
        found = finders(large_count, n, find_prob, b1, b2)
    story = len(pull) - 1  # a find is about the newest story and pulls with its novelty
    if len(found) and story >= 0:
        uniq, counts = distinct_counts(found, c.longs[POSTS_BUF])
        finds = counts.astype(np.float64)
        base = coin(coins, audit, SPREAD_STREAM, step, coins.anger_search)
        read_negative(
            c, rules, uniq, finds, finds * pull[story], story, ROUTE_SEARCH, step, 1.0, rules.found_impact, base
        )


@njit(cache=True)
def drift_churn_stats(c, rules, churn_base, drift, counts):
    """Opinions drift back toward their prior, doses are forgotten, customers churn; and the statistics.

    With `drift`: each touched consumer's opinion moves back toward its prior by the factor
    keep_opinion and its anger dose shrinks by keep_dose (people forget: counted here, applied to a
    dose the next time it is read, one step's factor at a time, so the bits are those of a
    per-step decay; `sync_doses` applies them to everyone); then a customer whose
    opinion lies below its prior leaves for good with hazard churn_max (drop / 2)^churn_exponent.
    Then (always) the sums over the touched consumers, in id order: stance counts (into `counts`),
    and (opinion sum, aware opinion sum, aware count, initial customers' opinion sum, negative
    opinions, churned: counted as they churn, book[B_CHURNED]). Merges the touched list first, and
    lists the active consumers (`ensure_active`).
    """
    if c.book[B_SORTED] != c.book[B_TOTAL]:
        merge_touched(c)
    lst, active = c.longs[TOUCHED_LIST], c.longs[ACTIVE]
    opinion, prior = c.reals[OPINION], c.reals[PRIOR]
    customer, churned, initial, stance = c.flags[CUSTOMER], c.flags[CHURNED], c.flags[INITIAL_CUSTOMER], c.codes[STANCE]
    keep, keep_dose, exponent = rules.keep_opinion, rules.keep_dose, rules.churn_exponent
    max_rate, dt = rules.churn_max, rules.dt
    bound = max_rate * dt * (1.0 + 1e-12)  # the churn chance 1 - exp(-h dt) never exceeds h dt <= this
    if drift and keep_dose != 1.0:  # doses are forgotten: each when next read (`read_batch`, `sync_doses`)
        c.book[B_DECAYS] += 1
    churn = drift and max_rate > 0
    customers = c.longs[TURNED]  # scratch here: this step's list of who turned ANGRY is spent (stop_and_fade)
    mc = 0
    total = aware_sum = cust_sum = 0.0
    aware = negative = n1 = n2 = n3 = n4 = 0
    m = 0
    nt = c.book[B_SORTED]
    for j in range(nt):
        i = lst[j]
        if drift:
            opinion[i] = prior[i] + (opinion[i] - prior[i]) * keep
            if churn:
                customers[mc] = i  # kept if a customer who may churn (no branch: a third are, at random)
                mc += customer[i] & ~churned[i]
        s = stance[i]
        n1 += s == Stance.AWARE
        n2 += s == Stance.ANGRY
        n3 += s == Stance.CALMED
        n4 += s == Stance.ADVOCATE
        active[m] = i  # kept if ANGRY or ADVOCATE (no branch: most are neither)
        m += (s == Stance.ANGRY) | (s == Stance.ADVOCATE)
        o = opinion[i]
        # Sums in id order, without branches: adding 0.0 leaves a sum that starts at +0.0 unchanged.
        total += o
        seen = s != Stance.UNAWARE
        aware_sum += o * (1.0 if seen else 0.0)
        aware += seen
        cust_sum += o * (1.0 if initial[i] else 0.0)
        negative += o < 0
    for j in range(mc):  # churn, once opinions have drifted (each customer on its own)
        i = customers[j]
        drop = min(prior[i] - opinion[i], 2.0)
        if drop > 0:
            u = uniform(churn_base, i)
            if u < bound:  # only then is the hazard worth computing (identical outcomes)
                half = drop / 2
                if u < rate_to_prob(max_rate * (half * half if exponent == 2.0 else half**exponent), dt):
                    churned[i] = True
                    c.book[B_CHURNED] += 1
    counts[Stance.UNAWARE] += nt - n1 - n2 - n3 - n4
    counts[Stance.AWARE] += n1
    counts[Stance.ANGRY] += n2
    counts[Stance.CALMED] += n3
    counts[Stance.ADVOCATE] += n4
    c.book[B_ACTIVE] = m
    c.book[B_ACTIVE_OK] = 1
    return total, aware_sum, aware, cust_sum, negative, c.book[B_CHURNED]


@njit(cache=True)
def record(c, k, table, now, sums, counts):
    """Write row k of the series from the sums over the touched consumers and the untouched ones' constants.

    Then what accumulates between rows (posts) starts again from zero.
    """
    n = len(c.seen)
    total, aware_sum, aware, cust_sum, negative, gone = sums
    counts[Stance.UNAWARE] += c.book[B_UNTOUCHED]
    for s in range(len(counts)):
        table[s, k] = counts[s]
    table[ROW_POSTS_NEGATIVE, k] = now[NOW_POSTS_NEGATIVE]
    table[ROW_POSTS_POSITIVE, k] = now[NOW_POSTS_POSITIVE]
    table[ROW_SEARCH_STOCK, k] = now[NOW_SEARCH_STOCK]
    table[ROW_REPUTATION, k] = (total + c.untouched[U_PRIOR]) / n
    table[ROW_REPUTATION_AWARE, k] = aware_sum / aware if aware else np.nan
    customers = c.book[B_CUSTOMERS]
    table[ROW_REPUTATION_CUSTOMERS, k] = (cust_sum + c.untouched[U_CUSTOMER_PRIOR]) / customers if customers else np.nan
    table[ROW_SHARE_NEGATIVE, k] = (negative + c.book[B_NEGATIVE]) / n
    table[ROW_CHURNED, k] = gone
    now[NOW_POSTS_NEGATIVE] = 0.0
    now[NOW_POSTS_POSITIVE] = 0.0


@njit(cache=True)
def record_now(c, rules, k, table, now):
    """Row k of the series from the current state (the statistics without drift)."""
    counts = np.zeros(5, np.int64)
    sums = drift_churn_stats(c, rules, np.uint64(0), False, counts)
    record(c, k, table, now, sums, counts)


@njit(cache=True)
def dose_now(dose, dose_at, decays, keep_dose, i):
    """Consumer i's anger dose as of now: the forgetting counted since it was last read (`dose_at`), applied.

    One step's factor at a time, so the bits are those of a decay applied every step; stored back.
    """
    x = dose[i]
    if dose_at[i] != decays:
        for _ in range(decays - dose_at[i]):
            x *= keep_dose
        dose[i] = x
        dose_at[i] = decays
    return x


@njit(cache=True)
def sync_doses(c, keep_dose):
    """Every touched consumer's dose as of now: the forgetting counted since it was last read, applied."""
    dose, dose_at, decays = c.reals[DOSE], c.ints[DOSE_AT], np.int32(c.book[B_DECAYS])
    lst = c.longs[TOUCHED_LIST]
    for j in range(c.book[B_TOTAL]):
        dose_now(dose, dose_at, decays, keep_dose, lst[j])


@njit(cache=True)
def mention_rate(posts, k, current, window, dt):
    """Negative mentions per hour over the trailing `window` steps, step k's so far (`current`) included."""
    s = 0.0
    for j in range(max(0, k - window + 1), k):
        s += posts[j]
    return (s + current) / (window * dt)


# -- the step ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _post(c, net, rules, cache, coins, audit, k, which):
    """Step k's posts of the consumers in stance `which` and who sees them: (posts, readers, poster of each).

    ANGRY consumers post complaints, ADVOCATEs praise; nothing is drawn when nobody is active or
    the rate is 0.
    """
    e = np.zeros(0, np.int64)
    angry = which == Stance.ANGRY
    rate = rules.post_rate if angry else rules.advocate_rate
    if not c.book[B_ACTIVE] or rate == 0:
        return 0, e, e
    post_slot = coins.post_negative if angry else coins.post_positive
    see_slot = coins.see_negative if angry else coins.see_positive
    b_post = coin(coins, audit, SPREAD_STREAM, k, post_slot)
    b_see = coin(coins, audit, SPREAD_STREAM, k, see_slot) if not net.well_mixed else np.uint64(0)
    posters, counts, readers, src = post_and_see(c, net, rules, cache, which, rate, b_post, b_see)
    if net.well_mixed:
        readers, src = reach_well_mixed(len(c.seen), net, rules.visibility, posters, counts, coins, audit, k, see_slot)
    return counts.sum(), readers, src


@njit(cache=True)
def spread(c, net, rules, cache, coins, audit, k, brand, now, pull, answers, large_count):
    """The consumers' part of step k: posting, reading, passing answers on, stopping, fading, search.

    In the order of a step (`simulation.model`): ANGRY consumers post complaints and ADVOCATEs
    praise; readers of brand answers pass them on; followers read the complaints (weighted as the
    brand's actions have made them, heavier while the brand is silent past the expected reply time
    after a complaint) and the praise; stifling, SIR stopping, fading; search.
    """
    # (helpers taking the state are called only when they have work: each call costs the state's refcounts)
    if c.book[B_SORTED] != c.book[B_TOTAL]:
        merge_touched(c)
    if not c.book[B_ACTIVE_OK]:
        ensure_active(c)
    c.book[B_TURNED] = 0
    e = np.zeros(0, np.int64)
    neg_total, neg_readers, neg_src = _post(c, net, rules, cache, coins, audit, k, Stance.ANGRY)
    pos_total, pos_readers, _ = _post(c, net, rules, cache, coins, audit, k, Stance.ADVOCATE)
    sharers, which = take_sharers(c) if c.book[B_SHARERS] else (e, e)
    now[NOW_POSTS_NEGATIVE] += neg_total
    now[NOW_SEARCH_STOCK] += neg_total
    now[NOW_POSTS_POSITIVE] += pos_total
    informed = e
    if len(neg_readers):
        now_h = k * rules.dt
        weight = brand[BRAND_WEIGHT]
        last_complaint = brand[BRAND_LAST_COMPLAINT_H]
        silent = brand[BRAND_LAST_REPLY_H] < last_complaint and now_h - last_complaint > rules.expected_reply_h
        impact = rules.negative_impact * weight * (rules.silence_multiplier if silent else 1.0)
        base = coin(coins, audit, SPREAD_STREAM, k, coins.anger_complaints)
        informed = read_complaints(c, rules, neg_readers, neg_src, pull, k, weight, impact, base)
    if len(pos_readers):
        readers, counts = distinct_counts(pos_readers, c.longs[POSTS_BUF])
        read_positive(c, rules, readers, counts)
    if len(sharers):
        pass_answers(c, net, rules, coins, audit, k, sharers, which, answers, len(pull) - 1, now)
    if len(informed) and rules.stifle_prob > 0:
        base = coin(coins, audit, SPREAD_STREAM, k, coins.stifle)
        stifle(informed, c.codes[STANCE], c.flags[GRIEVANCE], c.longs[POSTS_BUF], rules.stifle_prob, base)
    if c.book[B_ACTIVE] or c.book[B_TURNED]:
        stop_base = coin(coins, audit, SPREAD_STREAM, k, coins.stop) if rules.stop_prob > 0 else np.uint64(0)
        stop_and_fade(c, rules, k, stop_base)
    search(c, rules, coins, audit, k, now, pull, large_count)


@njit(cache=True)
def advance(
    k,
    phase,
    last,
    next_event,
    quiet,
    c,
    net,
    rules,
    cache,
    coins,
    audit,
    brand,
    amps,
    table,
    now,
    pulls,
    answers,
    counts,
    out,
):
    """Run steps from step k's `phase` until Python has something to do; returns (step, phase) to resume at.

    A step: amplifiers check the mention rate (one that crosses its threshold returns AMPLIFIER:
    Python schedules its story), background complaints arrive (COMPLAINT, with their number:
    Python places them), the consumers' rules (`spread`), drift and churn, the brand's monitoring
    (BRAND when it detects the crisis or watches a campaign), then row k of the series, unless a
    timed event is due at the step's end time (EVENTS: Python fires it first). Between steps it
    returns EVENTS when an event is due before the next step (`next_event`, in steps), QUIET when
    nobody is ANGRY any more (with `quiet`), DONE after step `last`. `pulls[j]` are the stories'
    pulls during step k + j at entry (the step's middle), `counts[j]` its search count when drawn
    in Python (-1 otherwise).
    """
    k0 = k
    posts = table[ROW_POSTS_NEGATIVE]
    c.book[B_ACTIVE_OK] = 0  # Python may have changed anyone's stance
    while True:
        if phase == PHASE_AMPLIFIERS:
            for a in range(amps.shape[0]):
                if (
                    amps[a, 0] == 0.0
                    and mention_rate(posts, k, now[NOW_POSTS_NEGATIVE], int(amps[a, 1]), rules.dt) >= amps[a, 2]
                ):
                    out[0] = AMPLIFIER
                    out[1] = a
                    return k, phase
            phase = PHASE_COMPLAINTS
        if phase == PHASE_COMPLAINTS:
            if rules.background_mean > 0:
                base = coin(coins, audit, COMPLAINTS_STREAM, k, coins.background)
                arrived = _poisson(rules.background_mean, uniform(base, 0))
                if arrived:
                    out[0] = COMPLAINT
                    out[1] = arrived
                    return k, PHASE_SPREAD
            phase = PHASE_SPREAD
        if phase == PHASE_SPREAD:
            spread(c, net, rules, cache, coins, audit, k, brand, now, pulls[k - k0], answers, counts[k - k0])
            detect = brand[BRAND_DETECTED] == 0.0 and (
                mention_rate(posts, k, now[NOW_POSTS_NEGATIVE], int(brand[BRAND_WINDOW]), rules.dt)
                >= brand[BRAND_THRESHOLD]
            )
            churn_base = coin(coins, audit, SPREAD_STREAM, k, coins.churn)
            counts5 = np.zeros(5, np.int64)
            sums = drift_churn_stats(c, rules, churn_base, True, counts5)
            if detect or brand[BRAND_WATCHING] != 0.0:
                out[0] = BRAND
                out[1] = 1 if detect else 0
                return k, PHASE_RECORD
            if next_event <= k:
                out[0] = EVENTS
                return k, PHASE_RECORD
            record(c, k, table, now, sums, counts5)
        else:  # PHASE_RECORD, after Python's part of the step
            if next_event <= k:
                out[0] = EVENTS
                return k, PHASE_RECORD
            record_now(c, rules, k, table, now)
        k += 1
        phase = PHASE_AMPLIFIERS
        if quiet and table[ROW_ANGRY, k - 1] == 0:
            out[0] = QUIET
            return k, phase
        if k > last:
            out[0] = DONE
            return k, phase
        if next_event < k:
            out[0] = EVENTS
            return k, phase
