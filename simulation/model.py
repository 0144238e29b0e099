"""BuzzModel: a complaint spreads through a consumer network while a brand responds.

The Mesa model owns the clock (one Mesa time unit is one step of `dt` hours; the brand's actions
and the amplifiers' stories are Mesa events at their exact, possibly fractional, times), the
consumer population (arrays), the brand and the amplifiers (Mesa agents), and the search memory.

Order of a step (docs/ODD.md, section 3), each rule named where it lives:
  1. amplifiers check the buzz and schedule their stories      `Amplifier.step`
  2. new complaints arrive; ANGRY consumers post complaints, ADVOCATEs post praise, readers of
     brand answers pass them on                                 `Population.posters`, `take_sharers`
  3. followers see posts (feed visibility) and react, each post's
     dose weighted by its story's pull                           `Population.reach`, `read_*`
  4. stifling (Maki-Thompson), constant-rate stopping (SIR),
     anger fades, calming                                        `Population.stifle`, `stop`, `fade`
  5. search memory grows, fades and is found by searchers       `BuzzModel._search`
  6. opinions drift back toward each consumer's prior, doses
     are forgotten                                                `Population.drift_and_churn`
  7. customers churn with a hazard growing as opinion falls     (the same compiled loop)
  8. the brand monitors mentions and detects the crisis         `Brand.step`
Timed events (brand actions, stories) fire at their exact times: one strictly between two steps
fires before the later step's dynamics, one at a step's end time right after that step. Row k of
the series is recorded after everything at time k (a low-priority event).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from mesa.time import Priority, Schedule

from . import kernels
from .amplifiers import Amplifier
from .brand import Brand
from .metrics import Recorder, run_metrics
from .network import Network, build_network, cached_edge_list
from .parameters import Scenario
from .population import Population, distinct, group_count
from .randomness import (
    ANGER_SEARCH,
    ANGER_STORY,
    ANSWERS,
    BACKGROUND,
    POST_NEGATIVE,
    POST_POSITIVE,
    SEARCHERS,
    SEE_NEGATIVE,
    SEE_POSITIVE,
    SEE_SHARED,
    CounterStream,
    Draw,
    Purpose,
    Streams,
)
from .rates import half_life_factor, novelty, rate_to_prob
from .stance import Route, Stance


def make_network(sc: Scenario, gen: np.random.Generator) -> Network:
    """The scenario's network (file networks are read once per process and shared)."""
    from .scenario import resolve_network_path

    n = sc.network
    if n.kind == "file":
        return cached_edge_list(str(resolve_network_path(sc, None)), n.directed, n.edge_meaning, n.header)
    return build_network(
        n.kind,
        sc.population.size,
        gen,
        m=n.m,
        k=n.k,
        rewire_p=n.rewire_p,
        triad_p=n.triad_p,
        mean_degree=n.mean_degree,
        blocks=n.blocks,
        mixing=n.mixing,
        uniform_in=n.uniform_in,
        uniform_out=n.uniform_out,
    )


class BuzzModel(mesa.Model):
    """One run of a scenario from one seed (an int or a SeedSequence)."""

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence = 0, network: Network | None = None):
        streams = Streams(rng)
        super().__init__(rng=streams.generator(Purpose.MESA))
        self.sc = sc = scenario
        self.dt = sc.simulation.dt_hours
        self.n_steps = sc.steps
        self.network = network if network is not None else make_network(sc, streams.generator(Purpose.NETWORK))
        init = streams.generator(Purpose.INITIAL)
        self.population = pop = Population(sc, self.network, init, streams.counter(Purpose.SPREAD))
        self.complaints = streams.counter(Purpose.COMPLAINTS)
        self.search = streams.counter(Purpose.SEARCH)
        self.search_stock = 0.0
        self.amplifier_factor = 1.0
        self.step_posts = [0.0, 0.0]  # negative, positive posts since the last row
        self.last_complaint_h = -math.inf
        self.answers: list = []
        self.story_births: list[float] = []  # each story's birth time (h), by story id
        self.story_labels: list[str] = []
        self.recorder = Recorder(self.n_steps, self.dt)
        complainants = self._place_complainants(init)
        if len(complainants):
            pop.start_complaint(complainants, 0, self.new_story("complaint"))
        pop.freeze_customers()
        self.brand = Brand(self, sc, streams.counter(Purpose.BRAND))
        amp_rand = streams.counter(Purpose.AMPLIFIERS)
        self.amplifiers = [Amplifier(self, a, i, amp_rand) for i, a in enumerate(sc.amplifiers)]
        if len(complainants):
            self._complaint_at(0.0)
        self.recorder.record(0, self)
        self.schedule_recurring(self._record, Schedule(interval=1.0, start=1.0), priority=Priority.LOW)

    # -- set-up ----------------------------------------------------------------------------

    def _place_complainants(self, gen: np.random.Generator) -> np.ndarray:
        c, n = self.sc.complaint, self.network.n
        if c.complainants == 0:
            return np.zeros(0, np.int64)
        if c.placement == "node":  # by its label (checked when the scenario was loaded)
            ids = self.network.ids_of([c.node])
            if ids[0] < 0:
                from .scenario import ScenarioError

                raise ScenarioError("scenario", "complaint.node", f"{c.node!r} is not a consumer of the network")
            return ids
        if c.placement == "hub":
            # The best-followed consumers (ties broken by id).
            return np.argsort(-self.population.followers_count, kind="stable")[: c.complainants]
        return gen.choice(n, size=c.complainants, replace=False)

    # -- clock and shared services -----------------------------------------------------------

    @property
    def now_h(self) -> float:
        """The model's time in hours (exact, between steps for events)."""
        return self.time * self.dt

    # -- stories: each trigger of the buzz, with its own clock --------------------------------

    def new_story(self, label: str) -> int:
        """A new story begins now (a complaint, an amplifier's story, news); returns its id."""
        self.story_births.append(self.now_h)
        self.story_labels.append(label)
        return len(self.story_births) - 1

    def pulls(self) -> np.ndarray:
        """Each story's pull during this step.

        Its novelty 2^(-(age / half-life)^exponent) at the step's middle (`rates.novelty`; a story
        born within the step pulls fully).
        """
        att = self.sc.attention
        age = self.now_h - self.dt / 2 - np.asarray(self.story_births)
        return novelty(age, att.novelty_half_life_h, att.novelty_exponent)

    @property
    def newest_story(self) -> int:
        """The id of the latest story (-1 before any)."""
        return len(self.story_births) - 1

    def tell_story(
        self, label: str, readers: np.ndarray, weight: float, anger_boost: float = 0.0, search_weight: float = 0.0
    ) -> int:
        """A new story reaches `readers` beyond the network; returns its id.

        Each reader reads it as `weight` negative posts at the current post weight; the already
        ANGRY first get angrier by `anger_boost`. It counts as one negative mention and adds
        `search_weight` posts to the findable content.
        """
        story = self.new_story(label)
        pop = self.population
        pop.raise_anger(readers[pop.stance[readers] == Stance.ANGRY], anger_boost)
        counts = np.full(len(readers), weight)
        pop.read_negative(
            self.steps,
            readers,
            counts,
            counts,
            story,
            Route.STORY,
            self.negative_weight(),
            self.negative_impact(self.sc.spread.negative_impact),
            ANGER_STORY,
            story,
        )
        self.add_mentions(1, search_weight=search_weight)
        return story

    def note_action(self, name: str) -> None:
        """Label the current row with something the brand or an amplifier did."""
        k = min(self.n_steps, max(1, math.ceil(self.time - 1e-9)))
        acts = self.recorder.actions
        acts[k] = f"{acts[k]}+{name}" if acts[k] else name

    def add_mentions(self, count: float, search_weight: float | None = None) -> None:
        """Negative posts (mentions) that the brand and amplifiers see and search engines index."""
        self.step_posts[0] += count
        self.search_stock += count if search_weight is None else search_weight

    def remove_findable(self, share: float) -> None:
        """Take down a share of the findable negative content (a legal takedown)."""
        self.search_stock *= 1 - share

    def lower_amplifier_thresholds(self, factor: float) -> None:
        """Amplifiers' thresholds are multiplied by `factor` (a legal action is news to them)."""
        self.amplifier_factor *= factor

    def mention_rate(self, window_h: float) -> float:
        """Negative mentions per hour over the trailing window, this step included."""
        w = max(1, int(round(window_h / self.dt)))
        past = self.recorder.data["posts_negative"][max(0, self.steps - w + 1) : self.steps]
        return (past.sum() + self.step_posts[0]) / (w * self.dt)

    def negative_weight(self) -> float:
        """The weight of a negative post's anger dose now.

        Weight of a negative post's anger dose now, as the brand's actions have made it (lighter after a
        remedy, heavier after an attack).
        """
        return self.brand.complaint_weight

    def negative_impact(self, impact: float) -> float:
        """The opinion impact of a negative post now.

        Opinion impact of a negative post now: heavier while the brand is silent past the expected reply time
        after a complaint (silence reads as contempt or guilt), and weighted by the brand's actions.
        """
        sp, b = self.sc.spread, self.brand
        silent = b.last_reply_h < self.last_complaint_h and self.now_h - self.last_complaint_h > sp.expected_reply_h
        return impact * b.complaint_weight * (sp.silence_multiplier if silent else 1.0)

    def random_consumers(self, share: float, rand: CounterStream, draw: Draw, index: int = 0) -> np.ndarray:
        """About `share` of all consumers, drawn at random (a Binomial number of them, distinct)."""
        g = rand.generator(self.steps, draw, index)
        count = g.binomial(self.network.n, share)
        return distinct(g.integers(0, self.network.n, count), self.network.n)

    def publish_answer(self, name: str, effect, supportive: bool, readers: np.ndarray) -> int:
        """A brand answer reaches its first readers; returns its id."""
        answer_id = len(self.answers)
        if answer_id >= ANSWERS:  # seen-answer flags are 64 bits; later answers are not shown
            return answer_id
        self.answers.append((name, effect, supportive))
        self.population.read_answer(self.steps, readers, answer_id, effect, supportive, self.newest_story)
        return answer_id

    def _complaint_at(self, t_h: float) -> None:
        self.last_complaint_h = t_h
        self.brand.on_complaint(t_h)

    # -- the step ----------------------------------------------------------------------------

    def step(self) -> None:
        """One step of dt hours, in the order of the module docstring."""
        k, pop, sp = self.steps, self.population, self.sc.spread
        for amp in self.amplifiers:  # 1
            amp.step()
        self._background_complaints(k)  # 2
        _, n_neg, readers, src = pop.post(k, Stance.ANGRY, sp.post_rate_per_h, POST_NEGATIVE, SEE_NEGATIVE)
        _, n_pos, readers_p, _ = pop.post(k, Stance.ADVOCATE, sp.advocate_post_rate_per_h, POST_POSITIVE, SEE_POSITIVE)
        sharers, which = pop.take_sharers()
        self.add_mentions(int(n_neg.sum()))
        self.step_posts[1] += int(n_pos.sum())
        informed = np.zeros(0, np.int64)
        if len(readers):  # 3
            informed = pop.read_posts(
                k, readers, src, self.pulls(), self.negative_weight(), self.negative_impact(sp.negative_impact)
            )
        if len(readers_p):
            pop.read_positive(*group_count(readers_p, pop.n))
        self._pass_answers(k, sharers, which)
        pop.stifle(k, informed)  # 4
        pop.stop(k)
        pop.fade(k)
        self._search(k)  # 5
        pop.drift_and_churn(k)  # 6, 7
        self.brand.step()  # 8

    def _background_complaints(self, k: int) -> None:
        """Everyday #fail: independent complaints arrive at a constant hourly rate."""
        rate = self.sc.complaint.background_rate_per_h
        if rate <= 0:
            return
        count = self.complaints.poisson(k, rate * self.dt, BACKGROUND)
        if count:
            ids = self.complaints.indices(k, count, self.network.n, BACKGROUND, 1)
            self.population.start_complaint(ids, k, self.new_story("complaint"))
            self._complaint_at(self.now_h)

    def _pass_answers(self, k: int, sharers: np.ndarray, which: np.ndarray) -> None:
        """Readers of a brand answer pass it on to their followers, like any post."""
        for answer_id in np.unique(which):
            name, effect, supportive = self.answers[answer_id]
            who = sharers[which == answer_id]
            if supportive:
                self.step_posts[1] += len(who)
            else:
                self.add_mentions(len(who))
            readers, _ = self.population.reach(k, who, self.sc.spread.visibility, SEE_SHARED, 3 * int(answer_id))
            self.population.read_answer(k, readers, int(answer_id), effect, supportive, self.newest_story)

    def _search(self, k: int) -> None:
        """Search memory: the stock fades; searchers find it with a chance that saturates."""
        s, n, pop = self.sc.search, self.network.n, self.population
        self.search_stock *= half_life_factor(s.half_life_h, self.dt)
        if s.search_rate_per_h <= 0 or self.search_stock <= 0:
            return
        p = rate_to_prob(s.search_rate_per_h, self.dt)
        find_prob = -math.expm1(-s.findability * self.search_stock / n)
        if n * p <= 500:  # the three draws in one compiled call (the same numbers as the three below)
            bases = [self.search.base(k, SEARCHERS, i) for i in range(3)]
            found = kernels.search_finds(n, p, find_prob, *bases)
        else:
            count = self.search.binomial(k, n, p, SEARCHERS)
            ids = self.search.indices(k, count, n, SEARCHERS, 1)
            found = ids[self.search.uniform(k, np.arange(count), SEARCHERS, 2) < find_prob]
        if len(found) and self.newest_story >= 0:
            # A find is about the newest story and pulls with its novelty.
            uniq, c = group_count(found, n)
            c = c.astype(float)
            story = self.newest_story
            pull = self.pulls()[story]
            pop.read_negative(k, uniq, c, c * pull, story, Route.SEARCH, 1.0, s.found_impact, ANGER_SEARCH)

    def _record(self) -> None:
        k = int(round(self.time))
        if k <= self.n_steps:
            self.recorder.record(k, self)
        self.step_posts = [0.0, 0.0]

    # -- running -----------------------------------------------------------------------------

    def run(self) -> BuzzModel:
        """Run to the horizon."""
        while self.steps < self.n_steps:
            self.step()
        return self

    def finish(self) -> BuzzModel:
        """Complete the retrospective series (`metrics.Recorder.finish`); metrics and timeseries call it."""
        self.recorder.finish(self)
        return self

    def timeseries(self):
        """The per-step series as a DataFrame (one row per step, row 0 the initial state)."""
        return self.finish().recorder.frame()

    def metrics(self) -> dict:
        """The per-run metrics (`simulation.metrics.METRICS`)."""
        return run_metrics(self.finish())
