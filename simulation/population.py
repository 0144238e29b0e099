"""The consumers: one agent each, stored as arrays so that all of them step at once.

State per consumer: `stance` (UNAWARE, AWARE, ANGRY, CALMED, ADVOCATE), `opinion` of the brand in
[-1, 1] and its `prior`, `anger` (arousal, in [0, 1]; for an ADVOCATE the drive to defend the
brand), `activity` (how often they post, heavy-tailed), `customer`, `churned`, the negative
`dose` read so far (complex contagion), and which brand answers they have read.

The rules here are the consumer half of a step (see `simulation.model` for the order). Each
function touches only the consumers concerned (posters, their readers, the consumers whose
opinion has moved), never a Python loop over agents.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import kernels
from .network import Network
from .randomness import (
    ANGER_COMPLAINTS,
    ANSWER_ANGER,
    ANSWER_SHARE,
    CHURN,
    MAX_POST_ROUNDS,
    STIFLE,
    STOP,
    CounterStream,
    Draw,
)
from .rates import LN2, half_life_factor, rate_to_prob
from .stance import STANCE_NAMES, Route, Stance

if TYPE_CHECKING:
    from .actions import ActionEffect
    from .parameters import Scenario


def group_count(ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ids and how often each occurs.

    Distinct ids and how often each occurs (counting for many ids, sorting for few; sort-based because np.unique
    is several times slower than a sort here).
    """
    if len(ids) > n // 8:
        counts = np.bincount(ids, minlength=n)
        uniq = np.flatnonzero(counts)
        return uniq, counts[uniq]
    s = np.sort(ids)
    first = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, np.int64)
    return s[first], np.diff(np.r_[first, len(s)])


def poisson_quantile(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The Poisson(mean) value whose CDF first exceeds u (inverse transform of one uniform each)."""
    return kernels.poisson_quantile(np.ascontiguousarray(mean, np.float64), np.ascontiguousarray(u, np.float64))


def binomial_quantile(trials: np.ndarray, p: float, u: np.ndarray) -> np.ndarray:
    """The Binomial(trials, p) value whose CDF first exceeds u (inverse transform)."""
    return kernels.binomial_quantile(
        np.ascontiguousarray(trials, np.int64), float(p), np.ascontiguousarray(u, np.float64)
    )


def distinct(ids: np.ndarray, n: int) -> np.ndarray:
    """Sorted distinct ids."""
    return group_count(ids, n)[0]


def toward(x: np.ndarray, target: float, share: np.ndarray | float) -> np.ndarray:
    """X moved `share` of the way to `target` (keeps x within [min, max] of x and target)."""
    return x + (target - x) * share


class Population:
    """All consumers of one run, with the rules that move their state."""

    def __init__(self, sc: Scenario, network: Network, gen: np.random.Generator, spread: CounterStream):
        pop, n = sc.population, network.n
        self.sc, self.net, self.n, self.rand = sc, network, n, spread
        self.dt = sc.simulation.dt_hours
        self.stance = np.zeros(n, np.int8)
        self.prior = np.clip(pop.prior_reputation + pop.opinion_spread * gen.standard_normal(n), -1, 1)
        self.opinion = self.prior.copy()
        self.anger = np.zeros(n)
        # Heavy-tailed activity, log-normal with mean 1.
        s = pop.activity_sigma
        self.activity = np.exp(s * gen.standard_normal(n) - s * s / 2)
        self.customer = gen.random(n) < pop.customer_share
        follows = gen.random(n) < sc.brand.audience_share
        if sc.network.nodes_path:
            self._apply_node_table(follows)
        self.audience = np.flatnonzero(follows)
        self.churned = np.zeros(n, bool)
        self.dose = np.zeros(n)
        self.activated = np.full(n, -1, np.int64)  # step at which each consumer's last ANGRY episode began
        self.episodes = np.zeros(n, np.int16)  # how many times each consumer has turned ANGRY (fatigue)
        self.complaints_posted = np.zeros(n, np.int32)  # complaints each consumer has posted
        self.story_of = np.full(n, -1, np.int32)  # the story each consumer's anger is about (its posts' story)
        self.route = np.zeros(n, np.int8)  # how each consumer first heard (Route)
        self.remedied = np.zeros(n, bool)  # complainants whose grievance a remedy settled
        self.last_poster = np.full(n, -1, np.int64)  # whose complaint each consumer read last
        self.seen_answers = np.zeros(n, np.uint64)
        self.complainant = np.zeros(n, bool)
        self.grievance = np.zeros(n, bool)  # complainants whose grievance is still open
        self.ever_advocate = np.zeros(n, bool)
        self.touched = np.zeros(n, bool)  # consumers whose opinion may differ from their prior
        self._touched_idx = np.zeros(0, np.int64)
        self._touched_parts: list[np.ndarray] = []
        self._buf_posts = np.zeros(n, np.int64)  # scratch counters of the compiled loops (kept zero)
        self._buf_dose = np.zeros(n, np.float64)
        # Per-step factors of the run's half-lives (dt and the half-lives are fixed for a run).
        sp, c, att = sc.spread, sc.complaint, sc.attention
        self.keep = {
            name: half_life_factor(h, self.dt)
            for name, h in (
                ("anger", sp.anger_half_life_h),
                ("advocate", sp.advocate_half_life_h),
                ("grievance", c.grievance_half_life_h),
                ("opinion", sp.drift_half_life_h),
                ("dose", att.dose_half_life_h),
            )
        }
        # What fades in a step, 1 - 2^(-dt/h) (expm1 keeps it exact for long half-lives), and h / ln 2: an anger
        # fading with half-life h integrates over a step to its start times h / ln 2 times that.
        self.gone = {
            name: -math.expm1(-LN2 * self.dt / h)
            for name, h in (
                ("anger", sp.anger_half_life_h),
                ("advocate", sp.advocate_half_life_h),
                ("grievance", c.grievance_half_life_h),
            )
        }
        self.fading_scale = {
            name: h / LN2
            for name, h in (
                ("anger", sp.anger_half_life_h),
                ("advocate", sp.advocate_half_life_h),
                ("grievance", c.grievance_half_life_h),
            )
        }
        self._no_followers = np.zeros(n + 1, np.int64)  # the (empty) follower lists of a well-mixed population
        self._no_indices = np.zeros(0, np.int32)
        self._no_posts = np.zeros(0, np.int32)
        # Cohorts of ANGRY episodes by the step they began: their size and their secondary cases (r_eff).
        self.cohorts = (np.zeros(sc.steps + 2), np.zeros(sc.steps + 2))
        self._sharers: list[np.ndarray] = []
        self.share_next = np.full(n, -1, np.int16)  # answer id each consumer shares next step
        self.initial_customer: np.ndarray | None = None  # set by freeze_customers
        if network.well_mixed:
            self.followers_count = np.full(n, network.readers_per_post)
        else:
            self.followers_count = np.diff(network.indptr)

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def state(self) -> tuple:
        """The per-consumer arrays the compiled reading rule changes (`kernels._read_negative`)."""
        return (
            self.stance,
            self.opinion,
            self.anger,
            self.dose,
            self.customer,
            self.activated,
            self.episodes,
            self.story_of,
            self.route,
            self.touched,
        )

    def turn_angry(self, ids: np.ndarray, step: int, story) -> None:
        """Consumers begin an ANGRY episode at this step, about `story` (an id, or one per consumer).

        The same rule as the compiled `kernels.turn_angry`, for the numpy paths (complaints,
        provoking answers): anger at least the initial anger, one more episode, counted in the step's
        cohort (for r_eff).
        """
        if not len(ids):
            return
        self.touch(ids)
        self.stance[ids] = Stance.ANGRY
        self.anger[ids] = np.maximum(self.anger[ids], self.sc.spread.initial_anger)
        self.activated[ids] = step
        self.episodes[ids] += 1
        self.story_of[ids] = story
        self.cohorts[0][step] += len(ids)

    def hear(self, ids: np.ndarray, route: Route) -> None:
        """The UNAWARE among these consumers become AWARE, by this route."""
        fresh = ids[self.stance[ids] == Stance.UNAWARE]
        self.stance[fresh] = Stance.AWARE
        self.route[fresh] = route

    def touch(self, ids: np.ndarray) -> None:
        """Mark consumers whose state the buzz has reached (the others stay at their initial state)."""
        fresh = ids[~self.touched[ids]]
        if len(fresh):
            fresh = distinct(fresh, self.n)
            self.touched[fresh] = True
            self._account(fresh)

    def _account(self, fresh: np.ndarray) -> None:
        """Newly touched consumers join the touched list and leave the untouched sums."""
        if len(fresh):
            self._touched_parts.append(fresh)
            if self.initial_customer is not None:
                u, pr = self._untouched, self.prior[fresh]
                u["count"] -= len(fresh)
                u["prior_sum"] -= pr.sum()
                u["customer_prior_sum"] -= pr[self.initial_customer[fresh]].sum()
                u["negative"] -= np.count_nonzero(pr < 0)

    @property
    def touched_idx(self) -> np.ndarray:
        """The touched consumers, sorted (the compiled loops then walk memory in order)."""
        if self._touched_parts:
            size = len(self._touched_idx) + sum(len(p) for p in self._touched_parts)
            if size > self.n // 16:  # many: one scan of the flags beats sorting
                self._touched_idx = np.flatnonzero(self.touched)
            else:
                self._touched_idx = np.sort(np.concatenate([self._touched_idx, *self._touched_parts]))
            self._touched_parts = []
        return self._touched_idx

    def start_complaint(self, ids: np.ndarray, step: int, story: int) -> None:
        """Complainants: customers with a grievance, ANGRY with full anger, about their own story."""
        c = self.sc.complaint
        ids = distinct(ids, self.n)
        self.complainant[ids] = True
        self.grievance[ids] = c.persistent
        self.activity[ids] = c.activity
        self.opinion[ids] = np.minimum(self.opinion[ids], c.opinion)
        self.customer[ids] = True
        self.turn_angry(ids[self.stance[ids] != Stance.ANGRY], step, story)
        self.story_of[ids] = story
        self.anger[ids] = 1.0

    def _apply_node_table(self, follows: np.ndarray) -> None:
        """The node table's customers, brand followers and activities replace the drawn ones it lists."""
        from .node_table import read_node_table
        from .scenario import resolve_data_path

        table = read_node_table(str(resolve_data_path(self.sc.network.nodes_path, None)))
        ids = table.ids(self.net)
        for flags, values in ((table.customer, self.customer), (table.follows_brand, follows)):
            given = flags >= 0  # -1: an empty cell keeps the drawn value
            values[ids[given]] = flags[given] == 1
        given = np.isfinite(table.activity)
        self.activity[ids[given]] = table.activity[given]

    def freeze_customers(self) -> None:
        """Remember the initial customers and the untouched consumers' sums.

        Remember the initial customers (reputation among them counts the churned ones), and the sums over the
        consumers the buzz has not touched yet.
        """
        self.initial_customer = self.customer.copy()
        self.n_initial_customers = int(self.initial_customer.sum())
        rest = ~self.touched
        self._untouched = {
            "count": int(rest.sum()),
            "prior_sum": float(self.prior[rest].sum()),
            "customer_prior_sum": float(self.prior[rest & self.initial_customer].sum()),
            "negative": int(np.count_nonzero(self.prior[rest] < 0)),
        }

    # -- posting -----------------------------------------------------------------------------

    def post(
        self, step: int, stance: int, rate_per_h: float, post_draw: Draw, see_draw: Draw
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Who posts this step, how many posts each, and who sees them.

        Consumers of `stance` post a Poisson number of posts with mean rate * activity * arousal
        integrated over the step, until it falls below the calm threshold (the arousal fades during
        it at the half-life `fade` uses), so the hourly rate holds whatever dt; on a network each
        follower sees a Binomial(posts, visibility) number of them (`kernels.post_and_see`); well
        mixed, each post has its own random readers (`reach_posts`). Returns (posters, posts,
        readers, poster of each reading).
        """
        sp = self.sc.spread
        ids = self.touched_idx  # only touched consumers can be ANGRY or ADVOCATE
        empty = np.zeros(0, np.int64)
        if not len(ids) or rate_per_h == 0:
            return empty, empty, empty, empty
        if stance == Stance.ANGRY:
            special, normal, posted = self.grievance, "anger", self.complaints_posted
        else:
            special, normal, posted = self.remedied, "advocate", self._no_posts
        fading = (self.gone[normal], self.fading_scale[normal], self.gone["grievance"], self.fading_scale["grievance"])
        well_mixed = self.net.well_mixed
        posters, counts, readers, src = kernels.post_and_see(
            ids,
            self.stance,
            int(stance),
            rate_per_h,
            self.activity,
            self.anger,
            special,
            fading,
            sp.calm_threshold,
            posted,
            self._no_followers if well_mixed else self.net.indptr,
            self._no_indices if well_mixed else self.net.indices,
            sp.visibility,
            self.rand.base(step, post_draw),
            self.rand.base(step, see_draw) if not well_mixed else np.uint64(0),
        )
        if well_mixed:
            readers, src = self.reach_posts(step, posters, counts, sp.visibility, see_draw)
        return posters, counts, readers, src

    def reach_posts(
        self, step: int, posters: np.ndarray, counts: np.ndarray, visibility: float, draw: Draw
    ) -> tuple[np.ndarray, np.ndarray]:
        """Well mixed: (reader, poster) pairs of a step's posts, each post with its own random readers.

        One round per post (a poster's j-th post of the step draws at index 3 j of `draw`), the
        first `MAX_POST_ROUNDS` posts of each poster.
        """
        parts = [self.reach(step, posters, visibility, draw)]
        for j in range(1, min(int(counts.max(initial=0)), MAX_POST_ROUNDS)):
            parts.append(self.reach(step, posters[counts > j], visibility, draw, 3 * j))
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([r for r, _ in parts]), np.concatenate([p for _, p in parts])

    def reach(
        self, step: int, posters: np.ndarray, visibility: float, draw: Draw, index: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(reader, poster) pairs of one round of posts.

        (reader, poster) pairs: followers who see each post, with feed visibility (draws at `index` of `draw`,
        and well mixed also at index + 1 and + 2).
        """
        if not len(posters):
            e = np.zeros(0, np.int64)
            return e, e
        if self.net.well_mixed:
            # Well mixed: each post goes to readers_per_post random consumers, no graph.
            k = self.net.readers_per_post
            kc = int(np.ceil(k))
            slots = np.arange(kc)
            keys = (posters[:, None] * kc + slots[None, :]).ravel()
            readers = (self.rand.uniform(step, keys, draw, index + 1) * self.n).astype(np.int64)
            src = np.repeat(posters, kc)
            keep = self.rand.uniform(step, keys, draw, index) < visibility
            if kc > k:  # the last slot is used with the fractional part's probability
                keep &= (np.tile(slots, len(posters)) < kc - 1) | (
                    self.rand.uniform(step, keys, draw, index + 2) < k - (kc - 1)
                )
            keep &= readers != src
            return readers[keep], src[keep]
        edges, counts = self._follower_edges(posters)
        if visibility >= 1:  # every follower sees every post: no draw needed
            return self.net.indices[edges].astype(np.int64), np.repeat(posters, counts)
        keep = self.rand.uniform(step, edges, draw, index) < visibility
        return self.net.indices[edges[keep]].astype(np.int64), np.repeat(posters, counts)[keep]

    def _follower_edges(self, posters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Edge ids of all posters' follower lists, concatenated, and each poster's follower count."""
        indptr = self.net.indptr
        starts, deg = indptr[posters], indptr[posters + 1] - indptr[posters]
        return np.arange(int(deg.sum()), dtype=np.int64) + np.repeat(starts - (np.cumsum(deg) - deg), deg), deg

    # -- reading -----------------------------------------------------------------------------

    @property
    def contagion(self) -> tuple:
        """The contagion parameters of the compiled reading rule (`kernels._read_negative`)."""
        sp, att = self.sc.spread, self.sc.attention
        return (
            sp.anger_boost,
            sp.anger_dose,
            sp.customer_susceptibility,
            sp.calmed_susceptibility,
            sp.contagion_exponent,
            sp.initial_anger,
            att.vented_susceptibility,
        )

    def read_posts(
        self, step: int, readers: np.ndarray, posters: np.ndarray, pull: np.ndarray, weight: float, impact: float
    ) -> np.ndarray:
        """Followers read this step's complaints.

        One (reader, poster) pair per post seen; `pull[s]` is story s's pull now
        (`kernels.read_complaints`). Returns the poster of every contact with a reader who already
        knew, for stifling.
        """
        fresh, informed = kernels.read_complaints(
            readers,
            posters,
            self.state,
            self.cohorts,
            self.last_poster,
            self._buf_posts,
            self._buf_dose,
            pull,
            step,
            self.sc.spread.repeat_exposure,
            weight,
            impact,
            self.contagion,
            self.rand.base(step, ANGER_COMPLAINTS),
        )
        self._account(fresh)
        return informed

    def read_negative(
        self,
        step: int,
        readers: np.ndarray,
        posts: np.ndarray,
        dose: np.ndarray,
        story: int,
        route: Route,
        weight: float,
        impact: float,
        draw: Draw,
        index: int = 0,
    ) -> None:
        """Readers of a story or of search finds.

        Distinct readers of negative content other than followers' posts (a story, search finds):
        reader i reads it as posts[i] posts adding dose[i], by the same compiled rule as followers'
        complaints (`kernels.read_negative`); who turns ANGRY is decided with `draw` and takes up
        `story`; the UNAWARE hear of it by `route`.
        """
        if not len(readers):
            return
        fresh = kernels.read_negative(
            np.ascontiguousarray(readers, np.int64),
            np.ascontiguousarray(posts, np.float64),
            np.ascontiguousarray(dose, np.float64),
            story,
            int(route),
            self.state,
            self.cohorts,
            step,
            weight,
            impact,
            self.contagion,
            self.rand.base(step, draw, index),
        )
        self._account(fresh)

    def read_positive(self, readers: np.ndarray, counts: np.ndarray) -> None:
        """Readers of positive posts: aware, opinion up, anger soothed."""
        if not len(readers):
            return
        sp = self.sc.spread
        self.touch(readers)
        st = self.stance[readers]
        self.hear(readers, Route.BRAND)
        self.opinion[readers] = toward(self.opinion[readers], 1.0, 1 - (1 - sp.positive_impact) ** counts)
        soothed = st != Stance.ADVOCATE
        self.anger[readers[soothed]] *= (1 - sp.soothe) ** counts[soothed]

    def read_answer(
        self, step: int, readers: np.ndarray, answer_id: int, effect: ActionEffect, supportive: bool, story: int
    ) -> np.ndarray:
        """Readers of a brand answer (first reading only): the action's effect; returns sharers.

        Supportive answers (remedy, replies, apology) are passed on by the readers they calmed and
        by advocates; provoking ones (deflect, attack, legal) by the readers they left ANGRY. A
        positive opinion shift stops at the reader's prior unless the action's `lift_above_prior`;
        readers the answer angers take up `story` (the newest).
        """
        bit = np.uint64(1) << np.uint64(answer_id)
        readers = distinct(readers, self.n)
        readers = readers[(self.seen_answers[readers] & bit) == 0]
        if not len(readers):
            return readers
        self.seen_answers[readers] |= bit
        self.touch(readers)
        st = self.stance[readers]
        self.hear(readers, Route.BRAND)
        if effect.calm >= 0:
            self.anger[readers] *= 1 - effect.calm
        else:
            self.anger[readers] = toward(self.anger[readers], 1.0, -effect.calm)
        old = self.opinion[readers]
        if effect.opinion_shift >= 0:
            new = toward(old, 1.0, effect.opinion_shift)
            if not effect.lift_above_prior:  # a fix restores an opinion, it does not improve on it
                new = np.minimum(new, np.maximum(old, self.prior[readers]))
        else:
            new = toward(old, -1.0, -effect.opinion_shift)
        self.opinion[readers] = new
        if effect.anger_prob > 0:
            cand = readers[st != Stance.ANGRY]
            u = self.rand.uniform(step, cand, ANSWER_ANGER, answer_id)
            self.turn_angry(cand[u < effect.anger_prob], step, story)
        # An ANGRY reader the answer calmed below the threshold stops at once.
        angry = readers[self.stance[readers] == Stance.ANGRY]
        self.stance[angry[self.anger[angry] < self.sc.spread.calm_threshold]] = Stance.CALMED
        now = self.stance[readers]
        if supportive:
            cand = readers[(now == Stance.CALMED) | (now == Stance.ADVOCATE)]
        else:
            cand = readers[now == Stance.ANGRY]
        sharers = cand[self.rand.uniform(step, cand, ANSWER_SHARE, answer_id) < effect.share_prob]
        self.share_next[sharers] = answer_id
        self._sharers.append(sharers)
        return sharers

    def take_sharers(self) -> tuple[np.ndarray, np.ndarray]:
        """Consumers who pass an answer on this step, and which answer (one share each)."""
        if not self._sharers:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ids = distinct(np.concatenate(self._sharers), self.n)
        self._sharers = []
        which = self.share_next[ids].astype(np.int64)
        self.share_next[ids] = -1
        return ids, which

    # -- stifling, fading, forgetting, churn --------------------------------------------------

    def stifle(self, step: int, informed_contacts: np.ndarray) -> None:
        """Maki-Thompson stifling: each reader reached who already knew may make its poster stop.

        `informed_contacts` holds the poster of each such contact (a poster once per contact).
        """
        if len(informed_contacts) and self.sc.spread.stifle_prob > 0:
            kernels.stifle(
                informed_contacts,
                self.stance,
                self.grievance,
                self._buf_posts,
                self.sc.spread.stifle_prob,
                self.rand.base(step, STIFLE),
            )

    def fade(self, step: int) -> None:
        """Anger fades; consumers calm down.

        Anger fades with the attention half-life (advocacy and open grievances with their own); below the calm
        threshold an ANGRY or ADVOCATE consumer becomes CALMED. Only posting consumers' anger is tracked: it
        matters only while they post. Those who turned this step start fading from the next (they have not had
        a chance to post yet).
        """
        ids = self.touched_idx
        if len(ids):
            kernels.fade(
                ids,
                self.stance,
                self.anger,
                self.grievance,
                self.remedied,
                self.keep["anger"],
                self.keep["advocate"],
                self.keep["grievance"],
                self.sc.spread.calm_threshold,
                self.activated,
                step,
            )

    def stop(self, step: int) -> None:
        """SIR recovery: ANGRY consumers stop at a constant hourly rate, whatever their contacts."""
        rate = self.sc.spread.stop_rate_per_h
        if rate <= 0:
            return
        ids = self.touched_idx
        ids = ids[self.stance[ids] == Stance.ANGRY]
        self.stance[ids[self.rand.uniform(step, ids, STOP) < rate_to_prob(rate, self.dt)]] = Stance.CALMED

    def drift_and_churn(self, step: int) -> None:
        """Opinions drift back toward their prior; customers churn.

        Opinions drift back toward each consumer's own prior and anger doses are forgotten (people
        forget); then customers leave for good with a hazard that grows as their opinion falls below
        their prior.
        """
        ids = self.touched_idx
        if len(ids):
            ch = self.sc.churn
            kernels.drift_and_churn(
                ids,
                self.opinion,
                self.prior,
                self.customer,
                self.churned,
                self.dose,
                self.keep["opinion"],
                self.keep["dose"],
                ch.max_rate_per_h,
                ch.exponent,
                self.dt,
                self.rand.base(step, CHURN),
            )

    def stats(self) -> dict:
        """Stance counts and opinion statistics of everyone.

        Stance counts and opinion statistics of everyone: sums over the touched consumers plus the untouched
        ones' constants (they are UNAWARE, at their prior, not churned).
        """
        counts = np.zeros(len(STANCE_NAMES), np.int64)
        total, aware_sum, aware, cust_sum, negative, gone = kernels.touched_stats(
            self.touched_idx, self.stance, self.opinion, self.initial_customer, self.churned, counts
        )
        u = self._untouched
        counts[Stance.UNAWARE] += u["count"]
        return {
            "counts": counts,
            "reputation": (total + u["prior_sum"]) / self.n,
            "reputation_aware": aware_sum / aware if aware else math.nan,
            "reputation_customers": (cust_sum + u["customer_prior_sum"]) / self.n_initial_customers
            if self.n_initial_customers
            else math.nan,
            "share_negative": (negative + u["negative"]) / self.n,
            "churned": gone,
        }

    # -- what the brand's actions and the amplifiers' stories do to consumers ---------------------

    def settle(self, ids: np.ndarray) -> None:
        """The complainants' grievance is settled (remedied, or silenced by lawyers)."""
        self.grievance[ids] = False

    def calm_down(self, ids: np.ndarray) -> None:
        """Consumers stop at once: CALMED, with no anger left."""
        self.touch(ids)
        self.stance[ids] = Stance.CALMED
        self.anger[ids] = 0.0

    def provoke(self, ids: np.ndarray, step: int) -> None:
        """Consumers flare up: ANGRY, with full anger (an insulting or evasive answer), about their story."""
        self.touch(ids)
        calm = ids[self.stance[ids] != Stance.ANGRY]
        self.turn_angry(calm, step, self.story_of[calm])
        self.anger[ids] = 1.0

    def raise_anger(self, ids: np.ndarray, share: float) -> None:
        """The anger of these consumers moves the fraction `share` toward 1 (an organised attack)."""
        self.anger[ids] = toward(self.anger[ids], 1.0, share)

    def remedy_complainants(self, advocates: np.ndarray, others: np.ndarray) -> None:
        """A remedy settles the complainants' grievance.

        Some turn ADVOCATE (opinion lifted to their prior, defending the brand as long as they
        complained: `remedied`), the others calm down.
        """
        self.make_advocates(advocates, lift_to_prior=True)
        self.remedied[advocates] = True
        self.calm_down(others)
        self.settle(advocates)
        self.settle(others)

    def make_advocates(self, ids: np.ndarray, lift_to_prior: bool = False) -> None:
        """Consumers turn ADVOCATE.

        Consumers turn ADVOCATE with full arousal; with `lift_to_prior`, an opinion below their prior is
        lifted to it (a remedied complainant).
        """
        self.touch(ids)
        self.hear(ids, Route.BRAND)  # a solicited reviewer may not have heard of the buzz
        self.stance[ids] = Stance.ADVOCATE
        self.anger[ids] = 1.0
        self.ever_advocate[ids] = True
        if lift_to_prior:
            self.opinion[ids] = np.maximum(self.opinion[ids], self.prior[ids])
