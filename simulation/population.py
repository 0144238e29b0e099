"""The consumers: one agent each, stored as arrays so that all of them step at once.

State per consumer: `stance` (UNAWARE, AWARE, ANGRY, CALMED, ADVOCATE), `opinion` of the brand in
[-1, 1] and its `prior`, `anger` (arousal, in [0, 1]; for an ADVOCATE the drive to defend the
brand), `activity` (how often they post, heavy-tailed), `customer`, `churned`, the negative
`dose` read so far (complex contagion), and which brand answers they have read.

The rules that move consumers live once, compiled, in `simulation.kernels`: the step loop runs
them, and the methods here call the same functions for what the brand's actions and the
amplifiers' stories do to consumers (or apply an action's effect with numpy). Each touches only
the consumers concerned, never a Python loop over agents.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import kernels
from .network import Network
from .randomness import ANGER_COMPLAINTS, ANSWER_ANGER, ANSWER_SHARE, CHURN, CounterStream, Draw
from .rates import LN2, half_life_factor, rate_to_prob
from .stance import Route, Stance

if TYPE_CHECKING:
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
    """All consumers of one run: their state, and the compiled rules' view of it (`consumers`, `rules`)."""

    def __init__(
        self,
        sc: Scenario,
        network: Network,
        gen: np.random.Generator,
        spread: CounterStream,
        cache: kernels.PoissonCache | None = None,
    ):
        pop, n = sc.population, network.n
        k = kernels
        self.sc, self.net, self.n, self.rand = sc, network, n, spread
        self.dt = sc.simulation.dt_hours
        # The state, packed by type for the compiled rules (`kernels.Consumers`); the attributes are its rows.
        c = self.consumers = kernels.Consumers(
            np.zeros((6, n)),
            np.zeros((2, n), np.int8),
            np.zeros((6, n), bool),
            np.zeros((7, n), np.int64),
            np.zeros((3, n), np.int32),
            np.zeros((2, n), np.int16),
            np.zeros(n, np.uint64),
            np.zeros((2, sc.steps + 2)),
            np.zeros(kernels.BOOK_SIZE, np.int64),
            np.zeros(2),
        )
        self.stance = c.codes[k.STANCE]
        self.route = c.codes[k.ROUTE]  # how each consumer first heard (Route)
        self.prior = c.reals[k.PRIOR]
        self.prior[:] = np.clip(pop.prior_reputation + pop.opinion_spread * gen.standard_normal(n), -1, 1)
        self.opinion = c.reals[k.OPINION]
        self.opinion[:] = self.prior
        self.anger = c.reals[k.ANGER]
        # Heavy-tailed activity, log-normal with mean 1.
        s = pop.activity_sigma
        self.activity = c.reals[k.ACTIVITY]
        self.activity[:] = np.exp(s * gen.standard_normal(n) - s * s / 2)
        self.customer = c.flags[k.CUSTOMER]
        self.customer[:] = gen.random(n) < pop.customer_share
        follows = gen.random(n) < sc.brand.audience_share
        if sc.network.nodes_path:
            self._apply_node_table(follows)
        self.audience = np.flatnonzero(follows)
        self.churned = c.flags[k.CHURNED]
        self.activated = c.longs[k.ACTIVATED]  # step at which each consumer's last ANGRY episode began
        self.activated[:] = -1
        self.episodes = c.shorts[k.EPISODES]  # how many times each consumer has turned ANGRY (fatigue)
        self.complaints_posted = c.ints[k.POSTED]  # complaints each consumer has posted
        self.story_of = c.ints[k.STORY_OF]  # the story each consumer's anger is about (its posts' story)
        self.story_of[:] = -1
        self.remedied = c.flags[k.REMEDIED]  # complainants whose grievance a remedy settled
        self.last_poster = c.longs[k.LAST_POSTER]  # whose complaint each consumer read last
        self.last_poster[:] = -1
        self.seen_answers = c.seen
        self.complainant = np.zeros(n, bool)
        self.grievance = c.flags[k.GRIEVANCE]  # complainants whose grievance is still open
        self.ever_advocate = np.zeros(n, bool)
        self.touched = c.flags[k.TOUCHED]  # consumers whose state may differ from their initial one
        self.share_next = c.shorts[k.SHARE_NEXT]  # answer id each consumer shares next step
        self.share_next[:] = -1
        self.initial_customer: np.ndarray | None = None  # set by freeze_customers
        # Cohorts of ANGRY episodes by the step they began: their size and their secondary cases (r_eff).
        self.cohorts = (c.cohorts[k.SIZE], c.cohorts[k.OFFSPRING])
        if network.well_mixed:
            self.followers_count = np.full(n, network.readers_per_post)
        else:
            self.followers_count = np.diff(network.indptr)
        self.rules = self._rules()
        self.poisson_cache = cache if cache is not None else kernels.poisson_cache()
        no_followers = network.well_mixed
        self.links = kernels.Net(
            np.zeros(n + 1, np.int64) if no_followers else network.indptr,
            np.zeros(0, np.int32) if no_followers else network.indices,
            bool(network.well_mixed),
            float(network.readers_per_post),
        )

    @property
    def dose(self) -> np.ndarray:
        """Each consumer's anger dose now (forgetting since it was last read applied first: `kernels.sync_doses`)."""
        kernels.sync_doses(self.consumers, self.rules.keep_dose)
        return self.consumers.reals[kernels.DOSE]

    def _rules(self) -> kernels.Rules:
        """The run's parameters as the compiled rules read them (per-step factors of rates and half-lives)."""
        sc, dt = self.sc, self.dt
        sp, c, att, s, ch = sc.spread, sc.complaint, sc.attention, sc.search, sc.churn

        def fading(h: float) -> tuple[float, float]:
            # What fades in a step, 1 - 2^(-dt/h) (expm1 keeps it exact for long half-lives), and h / ln 2: an
            # arousal fading with half-life h integrates over a step to its start times h / ln 2 times that.
            return -math.expm1(-LN2 * dt / h), h / LN2

        # Powers of the praise and soothing factors for c posts read in a step, by numpy (whose pow the
        # results were computed with: its vectorised pow may differ from the C library's in the last bit).
        c_range = np.arange(kernels.POWER_TABLE)
        return kernels.Rules(
            dt,
            sp.post_rate_per_h,
            sp.advocate_post_rate_per_h,
            sp.visibility,
            sp.calm_threshold,
            *fading(sp.anger_half_life_h),
            *fading(sp.advocate_half_life_h),
            *fading(c.grievance_half_life_h),
            half_life_factor(sp.anger_half_life_h, dt),
            half_life_factor(sp.advocate_half_life_h, dt),
            half_life_factor(c.grievance_half_life_h, dt),
            half_life_factor(sp.drift_half_life_h, dt),
            half_life_factor(att.dose_half_life_h, dt),
            rate_to_prob(sp.stop_rate_per_h, dt) if sp.stop_rate_per_h > 0 else 0.0,
            sp.stifle_prob,
            bool(sp.repeat_exposure),
            sp.negative_impact,
            sp.expected_reply_h,
            sp.silence_multiplier,
            ch.max_rate_per_h,
            ch.exponent,
            half_life_factor(s.half_life_h, dt),
            s.search_rate_per_h,
            rate_to_prob(s.search_rate_per_h, dt) if s.search_rate_per_h > 0 else 0.0,
            s.findability,
            s.found_impact,
            c.background_rate_per_h * dt if c.background_rate_per_h > 0 else 0.0,
            sp.anger_boost,
            sp.anger_dose,
            sp.customer_susceptibility,
            sp.calmed_susceptibility,
            sp.contagion_exponent,
            sp.initial_anger,
            att.vented_susceptibility,
            (1 - sp.positive_impact) ** c_range,
            (1 - sp.soothe) ** c_range,
        )

    # -- bookkeeping -------------------------------------------------------------------------

    def turn_angry(self, ids: np.ndarray, step: int, story) -> None:
        """Consumers begin an ANGRY episode at this step, about `story` (an id, or one per consumer).

        `kernels.turn_angry`: anger at least the initial anger, one more episode, counted in the
        step's cohort (for r_eff).
        """
        if not len(ids):
            return
        ids = np.ascontiguousarray(ids, np.int64)
        stories = np.broadcast_to(np.asarray(story, np.int32), ids.shape).astype(np.int32)
        kernels.turn_angry(self.consumers, ids, step, stories, self.sc.spread.initial_anger)

    def hear(self, ids: np.ndarray, route: Route) -> None:
        """The UNAWARE among these consumers become AWARE, by this route (`kernels.hear`)."""
        kernels.hear(self.consumers, np.ascontiguousarray(ids, np.int64), int(route))

    def touch(self, ids: np.ndarray) -> None:
        """Mark consumers whose state the buzz has reached (the others stay at their initial state)."""
        kernels.touch(self.consumers, np.ascontiguousarray(ids, np.int64))

    @property
    def touched_idx(self) -> np.ndarray:
        """The touched consumers, sorted (a view: valid until the state changes)."""
        kernels.merge_touched(self.consumers)
        return self.consumers.longs[kernels.TOUCHED_LIST][: self.consumers.book[kernels.B_SORTED]]

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
        consumers the buzz has not touched yet (each consumer it touches later leaves them: `kernels.account`).
        """
        c, k = self.consumers, kernels
        self.initial_customer = c.flags[k.INITIAL_CUSTOMER]
        self.initial_customer[:] = self.customer
        self.n_initial_customers = int(self.initial_customer.sum())
        rest = ~self.touched
        c.book[k.B_FROZEN] = 1
        c.book[k.B_CUSTOMERS] = self.n_initial_customers
        c.book[k.B_UNTOUCHED] = int(rest.sum())
        c.book[k.B_NEGATIVE] = int(np.count_nonzero(self.prior[rest] < 0))
        c.untouched[k.U_PRIOR] = float(self.prior[rest].sum())
        c.untouched[k.U_CUSTOMER_PRIOR] = float(self.prior[rest & self.initial_customer].sum())

    # -- reading (the compiled rules, for tests and the events) -----------------------------------

    def read_posts(
        self, step: int, readers: np.ndarray, posters: np.ndarray, pull: np.ndarray, weight: float, impact: float
    ) -> np.ndarray:
        """Followers read complaints: one (reader, poster) pair per post seen (`kernels.read_complaints`).

        `pull[s]` is story s's pull now. Returns the poster of every contact with a reader who
        already knew, for stifling.
        """
        return kernels.read_complaints(
            self.consumers,
            self.rules,
            np.ascontiguousarray(readers, np.int64),
            np.ascontiguousarray(posters, np.int64),
            np.ascontiguousarray(pull, np.float64),
            step,
            weight,
            impact,
            self.rand.base(step, ANGER_COMPLAINTS),
        )

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
        kernels.read_negative(
            self.consumers,
            self.rules,
            np.ascontiguousarray(readers, np.int64),
            np.ascontiguousarray(posts, np.float64),
            np.ascontiguousarray(dose, np.float64),
            story,
            int(route),
            step,
            weight,
            impact,
            self.rand.base(step, draw, index),
        )

    def read_answer(self, step: int, readers: np.ndarray, answer_id: int, effect: np.ndarray, story: int) -> None:
        """Readers of a brand answer (first reading only): the action's effect (`kernels.read_answer`).

        `effect` is the answer's row of effects (`BuzzModel.answer_effects`); readers the answer
        angers take up `story` (the newest); those who pass it on do so next step.
        """
        kernels.read_answer(
            self.consumers,
            self.rules,
            step,
            np.ascontiguousarray(readers, np.int64),
            answer_id,
            effect,
            story,
            self.rand.base(step, ANSWER_ANGER, answer_id),
            self.rand.base(step, ANSWER_SHARE, answer_id),
        )

    def drift_and_churn(self, step: int) -> None:
        """Opinions drift back toward their prior, doses are forgotten, customers churn (one step's worth).

        The step loop's rule (`kernels.drift_churn_stats`), for tests.
        """
        kernels.drift_churn_stats(
            self.consumers, self.rules, self.rand.base(step, CHURN), True, np.zeros(len(Stance), np.int64)
        )

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
