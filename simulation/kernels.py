"""Compiled loops for the per-step rules that touch every affected consumer.

numba earns its place here: reading, fading, forgetting, churn and the per-step statistics each
visit every consumer a rule concerns (all of them in a large buzz), and fusing each into one
compiled loop is several times faster than a chain of numpy passes with their temporaries. The
draws are the counter-based uniforms of `simulation.randomness` (the same compiled function).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .randomness import uniform
from .rates import rate_to_prob
from .stance import Route, Stance

ROUTE_NETWORK = Route.NETWORK


@njit(cache=True)
def fade(
    ids, stance, anger, grievance, remedied, keep_angry, keep_advocate, keep_grievance, calm_threshold, activated, step
):
    """Anger fades; below the calm threshold consumers calm down.

    Anger of ANGRY and ADVOCATE consumers fades by its per-step factor: an open grievance's and a
    remedied complainant's advocacy with the grievance's, other advocacy with the advocates', the
    rest with the attention half-life. Below the calm threshold they become CALMED. Those activated
    this step wait (they have not had a chance to post yet).
    """
    for i in ids:
        if activated[i] == step:
            continue
        s = stance[i]
        if s == Stance.ANGRY:
            anger[i] *= keep_grievance if grievance[i] else keep_angry
        elif s == Stance.ADVOCATE:
            anger[i] *= keep_grievance if remedied[i] else keep_advocate
        else:
            continue
        if anger[i] < calm_threshold:
            stance[i] = Stance.CALMED


@njit(cache=True)
def drift_and_churn(ids, opinion, prior, customer, churned, dose, keep, keep_dose, max_rate, exponent, dt, churn_base):
    """Opinions drift back to their prior and doses are forgotten; customers churn.

    Opinions drift back toward their prior by the factor `keep` and anger doses shrink by
    `keep_dose` (people forget); then customers whose opinion lies below their prior leave with
    hazard max_rate * (drop / 2) ** exponent.
    """
    for i in ids:
        opinion[i] = prior[i] + (opinion[i] - prior[i]) * keep
        dose[i] *= keep_dose
        if max_rate > 0 and customer[i] and not churned[i]:
            drop = min(prior[i] - opinion[i], 2.0)
            if drop > 0:
                half = drop / 2
                p = rate_to_prob(max_rate * (half * half if exponent == 2.0 else half**exponent), dt)
                if uniform(churn_base, i) < p:
                    churned[i] = True


@njit(cache=True)
def touched_stats(ids, stance, opinion, initial_customer, churned, counts):
    """Stance counts and opinion sums over the touched consumers.

    Sums over the touched consumers: stance counts (into `counts`), then (opinion sum, aware opinion sum, aware
    count, initial customers' opinion sum, negative opinions, churned).
    """
    total = aware_sum = cust_sum = 0.0
    aware = negative = gone = 0
    for i in ids:
        s = stance[i]
        counts[s] += 1
        o = opinion[i]
        total += o
        if s != Stance.UNAWARE:
            aware_sum += o
            aware += 1
        if initial_customer[i]:
            cust_sum += o
        if o < 0:
            negative += 1
        if churned[i]:
            gone += 1
    return total, aware_sum, aware, cust_sum, negative, gone


@njit(cache=True, inline="always")
def turn_angry(r, step, story, state, cohorts, initial_anger):
    """Consumer r begins an ANGRY episode at this step, about `story` (the one rule, in compiled code).

    Its anger is at least `initial_anger`, its episode count grows (fatigue), and the cohort of
    consumers who turned ANGRY at this step counts it (for r_eff).
    """
    stance, _, anger, _, _, activated, episodes, story_of, _, _ = state
    stance[r] = Stance.ANGRY
    anger[r] = max(anger[r], initial_anger)
    activated[r] = step
    episodes[r] += 1
    story_of[r] = story
    cohorts[0][step] += 1.0


@njit(cache=True, inline="always")
def _read_negative(r, k, d, story, infector, route, state, cohorts, step, keep, weight, contagion, base):
    """The rule of reading negative content, for one reader.

    Reader r reads k negative posts (or a story read as k posts, or search finds), adding d to its
    anger dose at weight `weight` (d already counts each post's pull: its story's novelty).
    UNAWARE -> AWARE (by `route`: how it first heard); the opinion moves toward -1 by the fraction
    1 - keep per post; an ANGRY reader's anger moves toward 1 by anger_boost per post; the dose
    grows by d * weight; and a reader who is UNAWARE, AWARE or CALMED and whose dose rose turns
    ANGRY by complex contagion: after a cumulative dose D the chance of having turned ANGRY is
    1 - exp(-beta D^gamma), so the step's chance is 1 - exp(-beta (new^gamma - old^gamma)) however
    the dose is split over steps. beta is anger_dose, times customer_susceptibility for customers,
    calmed_susceptibility for CALMED readers, and vented_susceptibility once per past episode
    (fatigue). A reader who turns ANGRY takes up `story`, and counts as a secondary case of
    `infector` (none when negative). `contagion` = (anger_boost, anger_dose,
    customer_susceptibility, calmed_susceptibility, gamma, initial_anger, vented_susceptibility).
    """
    anger_boost, anger_dose, customer_s, calmed_s, gamma, initial_anger, vented_s = contagion
    stance, opinion, anger, dose, customer, activated, episodes, _, first_route, _ = state
    s = stance[r]
    if s == Stance.UNAWARE:
        stance[r] = Stance.AWARE
        first_route[r] = route
    opinion[r] = -1.0 + (opinion[r] + 1.0) * (keep if k == 1 else keep**k)
    if s == Stance.ANGRY:
        anger[r] = 1.0 - (1.0 - anger[r]) * (1.0 - anger_boost) ** k
    old = dose[r]
    new = old + d * weight
    dose[r] = new
    if (s == Stance.UNAWARE or s == Stance.AWARE or s == Stance.CALMED) and new > old:
        beta = anger_dose * (customer_s if customer[r] else 1.0)
        if s == Stance.CALMED:
            beta *= calmed_s
        if episodes[r] > 0:
            beta *= vented_s ** episodes[r]
        added = new - old if gamma == 1.0 else new**gamma - old**gamma
        if uniform(base, r) < -math.expm1(-beta * added):
            turn_angry(r, step, story, state, cohorts, initial_anger)
            if infector >= 0 and activated[infector] >= 0:
                cohorts[1][activated[infector]] += 1.0


@njit(cache=True)
def read_complaints(
    readers,
    src,
    state,
    cohorts,
    last_poster,
    posts_buf,
    dose_buf,
    pull,
    step,
    repeat_exposure,
    weight,
    impact,
    contagion,
    base,
):
    """Followers read this step's complaints (one (reader, poster) pair per post seen).

    The posts a reader saw are tallied first: each adds its story's pull to the dose unless it
    comes from the poster the reader saw last (the dose counts distinct posters, unless
    repeat_exposure). Then each reader reads them by the rule of :func:`_read_negative`; one who
    turns ANGRY takes up the story of the poster it read last, and counts as that poster's
    secondary case. Returns the consumers touched for the first time, and the poster of every
    contact with a reader who already knew (for stifling).
    """
    stance, story_of, touched = state[0], state[7], state[9]
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
        if repeat_exposure or last_poster[r] != p:
            dose_buf[r] += pull[story_of[p]] if story_of[p] >= 0 else 1.0
        last_poster[r] = p
    fresh = np.empty(nu, np.int64)
    nf = 0
    keep = 1.0 - min(1.0, impact)
    for j in range(nu):
        r = uniq[j]
        k, d = posts_buf[r], dose_buf[r]
        posts_buf[r] = 0
        dose_buf[r] = 0.0
        if not touched[r]:
            touched[r] = True
            fresh[nf] = r
            nf += 1
        p = last_poster[r]
        _read_negative(r, k, d, story_of[p], p, ROUTE_NETWORK, state, cohorts, step, keep, weight, contagion, base)
    return fresh[:nf], informed[:ni]


@njit(cache=True)
def read_negative(readers, posts, doses, story, route, state, cohorts, step, weight, impact, contagion, base):
    """Distinct readers of negative content other than followers' posts.

    An amplifier's story, legal news, an exposure, search finds: reader i reads it as posts[i]
    posts adding doses[i] to its dose, by the rule of :func:`_read_negative` (a reader who turns
    ANGRY takes up `story`; nobody's secondary case). Returns the consumers touched for the first
    time.
    """
    touched = state[9]
    fresh = np.empty(len(readers), np.int64)
    nf = 0
    keep = 1.0 - min(1.0, impact)
    for j in range(len(readers)):
        r = readers[j]
        if not touched[r]:
            touched[r] = True
            fresh[nf] = r
            nf += 1
        _read_negative(r, posts[j], doses[j], story, -1, route, state, cohorts, step, keep, weight, contagion, base)
    return fresh[:nf]


@njit(cache=True)
def stifle(informed, stance, grievance, count_buf, stifle_prob, base):
    """Maki-Thompson stifling of posters whose readers already knew.

    Maki-Thompson stifling: each contact with a reader who already knew may make its poster stop (complainants
    with an open grievance excepted).
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


@njit(cache=True)
def search_finds(n, p, find_prob, count_base, who_base, found_base):
    """Who looks the brand up this step and finds the story (the searchers' three draws in one call).

    The number of searches is a Binomial(n, p) inverse transform of uniform 0 under `count_base`;
    search j is by consumer floor(n u_j) (uniform j under `who_base`, with repeats) and finds the
    story when uniform j under `found_base` is below `find_prob`. Returns the finders, in search
    order. Exact while n p is at most 500 (the caller draws larger counts otherwise).
    """
    ratio = p / (1.0 - p) if p < 1.0 else np.inf
    count = _binomial(n, p, ratio, uniform(count_base, 0))
    found = np.empty(count, np.int64)
    m = 0
    for j in range(count):
        if uniform(found_base, j) < find_prob:
            found[m] = np.int64(uniform(who_base, j) * n)
            m += 1
    return found[:m]


@njit(cache=True)
def post_and_see(
    ids,
    stance,
    which,
    rate,
    activity,
    anger,
    special,
    fading,
    calm_threshold,
    posted,
    indptr,
    indices,
    vis,
    post_base,
    see_base,
):
    """Who of `ids` in stance `which` posts this step, how many posts, and who sees them.

    A poster's posts are a Poisson number with mean rate * activity times its anger integrated over
    the step until it falls below `calm_threshold` (when the poster calms down): an anger a fading
    with half-life h, of which the share `gone` = 1 - 2^(-dt / h) fades in a step, integrates to
    a (h / ln 2) min(gone, 1 - threshold / a). `fading` = (gone, h / ln 2) of the usual fading,
    then of the `special` consumers' (open grievances, remedied advocates). Each follower sees a
    Binomial(posts, visibility) number of them (no draw when the visibility is 1). Adds the posts
    to `posted` (when given). Returns (posters, posts each, readers, poster of each reading), one
    reading per post seen, posters in the order of `ids` and followers in their list's order.
    """
    np_ = 0
    posters = np.empty(len(ids), np.int64)
    counts = np.empty(len(ids), np.int64)
    total = 0
    for i in ids:
        if stance[i] != which:
            continue
        gone, scale = (fading[2], fading[3]) if special[i] else (fading[0], fading[1])
        a = anger[i]
        mean = rate * activity[i] * a * scale * max(0.0, min(gone, 1.0 - calm_threshold / a)) if a > 0 else 0.0
        k = _poisson(mean, uniform(post_base, i))
        if k > 0:
            posters[np_] = i
            counts[np_] = k
            np_ += 1
            total += (indptr[i + 1] - indptr[i]) * k
    posters, counts = posters[:np_], counts[:np_]
    if len(posted) > 0:
        for j in range(np_):
            posted[posters[j]] += counts[j]
    readers = np.empty(total, np.int64)
    src = np.empty(total, np.int64)
    m = 0
    ratio = vis / (1.0 - vis) if vis < 1.0 else np.inf
    for j in range(np_):
        p, k = posters[j], counts[j]
        for e in range(indptr[p], indptr[p + 1]):
            seen = k if vis >= 1.0 else _binomial(k, vis, ratio, uniform(see_base, e))
            for _ in range(seen):
                readers[m] = indices[e]
                src[m] = p
                m += 1
    return posters, counts, readers[:m], src[:m]


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
