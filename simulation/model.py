"""BuzzModel: a complaint spreads through a consumer network while a brand responds.

The Mesa model owns the clock and the timed events: one Mesa time unit is one step of `dt` hours,
and the brand's actions and the amplifiers' stories are Mesa events at their exact, possibly
fractional, times. The consumers are arrays (`simulation.population`); the brand and the
amplifiers are Mesa agents. The steps between two timed events run inside one compiled call
(`kernels.advance`), which hands back to Python whenever Python has something to do.

Order of a step (docs/ODD.md, section 3), each rule named where it lives:
  1. amplifiers check the buzz; one that takes it up schedules
     its story                                                  `kernels.advance`, `Amplifier.take_up`
  2. new complaints arrive; ANGRY consumers post complaints, ADVOCATEs post praise, readers of
     brand answers pass them on                                 `BuzzModel.start_complaints`,
                                                                `kernels.post_and_see`, `take_sharers`
  3. followers see posts (feed visibility) and react, each post's
     dose weighted by its story's pull                           `kernels.read_complaints`,
                                                                `read_positive`, `pass_answers`
  4. stifling (Maki-Thompson), constant-rate stopping (SIR),
     anger fades, calming                                        `kernels.stifle`, `stop_and_fade`
  5. search memory grows, fades and is found by searchers       `kernels.search`
  6. opinions drift back toward each consumer's prior, doses
     are forgotten                                                `kernels.drift_churn_stats`
  7. customers churn with a hazard growing as opinion falls     (the same compiled loop)
  8. the brand monitors mentions and detects the crisis         `kernels.advance`, `Brand.monitor`
Timed events (brand actions, stories) fire at their exact times: one strictly between two steps
fires before the later step's dynamics, one at a step's end time right after that step. Row k of
the series is recorded after everything at time k.
"""

from __future__ import annotations

import math
import sys

import mesa
import numpy as np

from . import kernels
from .amplifiers import Amplifier
from .brand import Brand
from .metrics import Recorder, run_metrics
from .network import Network, build_network, cached_edge_list
from .parameters import Scenario
from .population import Population, distinct
from .randomness import (
    ANGER_COMPLAINTS,
    ANGER_SEARCH,
    ANGER_STORY,
    ANSWER_ANGER,
    ANSWER_SHARE,
    ANSWERS,
    BACKGROUND,
    CHURN,
    DRAWS,
    POST_NEGATIVE,
    POST_POSITIVE,
    SEARCHERS,
    SEE_NEGATIVE,
    SEE_POSITIVE,
    SEE_SHARED,
    STIFLE,
    STOP,
    CounterStream,
    Draw,
    Purpose,
    Streams,
)
from .rates import novelty
from .stance import Route, Stance


def compile_notice() -> None:
    """Say so, once per process, when the compiled kernels are not in numba's cache yet (a first run compiles them)."""
    global _NOTICED
    if _NOTICED or kernels.advance.overloads:
        return
    _NOTICED = True
    try:
        cold = not kernels.advance._cache._cache_file._load_index()  # (numba's cache index: empty when stale)
    except Exception:  # a notice only: never in the way of a run
        return
    if cold:
        print(
            "buzzsim: compiling the simulation's kernels for this machine (once: about a minute; later runs load them)",
            file=sys.stderr,
            flush=True,
        )


_NOTICED = False
SEGMENT = 4096  # steps handed to one compiled call at most (bounds the stories' pulls computed ahead)
LARGE_SEARCH_SEGMENT = 64  # fewer when the search counts are drawn in Python (more than 500 expected)
AUDIT_ROWS = 1 << 20  # draws a compiled call can note while a run is audited


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

    def __init__(
        self,
        scenario: Scenario,
        rng: int | np.random.SeedSequence = 0,
        network: Network | None = None,
        cache: kernels.PoissonCache | None = None,
    ):
        """A run of `scenario` seeded by `rng`, on `network` if given; `cache`: Poisson CDFs shared between runs."""
        compile_notice()
        streams = Streams(rng)
        super().__init__(rng=streams.generator(Purpose.MESA))
        # The compiled loop runs the steps: Mesa's own recurring step event is not used, and `step` is ours.
        self._default_schedule.stop()
        del self.step
        self.sc = sc = scenario
        self.dt = sc.simulation.dt_hours
        self.n_steps = sc.steps
        self.network = network if network is not None else make_network(sc, streams.generator(Purpose.NETWORK))
        init = streams.generator(Purpose.INITIAL)
        self.population = pop = Population(sc, self.network, init, streams.counter(Purpose.SPREAD), cache)
        self.complaints = streams.counter(Purpose.COMPLAINTS)
        self.search = streams.counter(Purpose.SEARCH)
        self.now = np.zeros(3)  # negative and positive posts since the last row, the findable stock
        self.step_posts = self.now[: kernels.NOW_SEARCH_STOCK]
        self.amplifier_factor = 1.0
        self.last_complaint_h = -math.inf
        self.answers: list = []
        self.answer_effects = np.zeros((ANSWERS, 6))  # each answer's effect on its readers (kernels.A_*)
        self.story_births: list[float] = []  # each story's birth time (h), by story id
        self.story_labels: list[str] = []
        self.recorder = Recorder(self.n_steps, self.dt)
        self.coins = self._coins(pop.rand)
        self._audit = np.zeros((AUDIT_ROWS if DRAWS.record is not None else 0, 3), np.int64)
        self._out = np.zeros(2, np.int64)
        self._next = (1, kernels.PHASE_AMPLIFIERS)  # the step to run next, and where in it
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

    def _coins(self, spread: CounterStream) -> kernels.Coins:
        """The keys of the streams drawn in compiled code, and the slots of their decisions."""
        return kernels.Coins(
            spread._key64,
            self.search._key64,
            self.complaints._key64,
            *(
                draw.slot
                for draw in (
                    POST_NEGATIVE,
                    POST_POSITIVE,
                    SEE_NEGATIVE,
                    SEE_POSITIVE,
                    SEE_SHARED,
                    ANGER_COMPLAINTS,
                    ANGER_SEARCH,
                    ANSWER_ANGER,
                    ANSWER_SHARE,
                    STIFLE,
                    STOP,
                    CHURN,
                    SEARCHERS,
                    BACKGROUND,
                )
            ),
        )

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
            followers = self.population.followers_count
            if c.complainants == 1:  # (the first largest: what the stable sort below puts first)
                return np.array([np.argmax(followers)], np.int64)
            return np.argsort(-followers, kind="stable")[: c.complainants]
        return gen.choice(n, size=c.complainants, replace=False)

    # -- clock and shared services -----------------------------------------------------------

    @property
    def now_h(self) -> float:
        """The model's time in hours (exact, between steps for events)."""
        return self.time * self.dt

    @property
    def search_stock(self) -> float:
        """Findable negative content (posts' worth), fading with the search half-life."""
        return float(self.now[kernels.NOW_SEARCH_STOCK])

    @search_stock.setter
    def search_stock(self, value: float) -> None:
        self.now[kernels.NOW_SEARCH_STOCK] = value

    # -- stories: each trigger of the buzz, with its own clock --------------------------------

    def new_story(self, label: str) -> int:
        """A new story begins now (a complaint, an amplifier's story, news); returns its id."""
        self.story_births.append(self.now_h)
        self.story_labels.append(label)
        return len(self.story_births) - 1

    def pulls(self, first: int | None = None, last: int | None = None) -> np.ndarray:
        """Each story's pull during steps first..last (rows; default: this step alone, one row).

        Its novelty 2^(-(age / half-life)^exponent) at the step's middle (`rates.novelty`; a story
        born within the step pulls fully).
        """
        att = self.sc.attention
        first = self.steps if first is None else first
        last = first if last is None else last
        ends = np.arange(first, last + 1) * self.dt - self.dt / 2
        age = ends[:, None] - np.asarray(self.story_births, np.float64)[None, :]
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
        self.now[kernels.NOW_POSTS_NEGATIVE] += count
        self.now[kernels.NOW_SEARCH_STOCK] += count if search_weight is None else search_weight

    def remove_findable(self, share: float) -> None:
        """Take down a share of the findable negative content (a legal takedown)."""
        self.now[kernels.NOW_SEARCH_STOCK] *= 1 - share

    def lower_amplifier_thresholds(self, factor: float) -> None:
        """Amplifiers' thresholds are multiplied by `factor` (a legal action is news to them)."""
        self.amplifier_factor *= factor

    def window_steps(self, window_h: float) -> int:
        """The steps of a trailing window of `window_h` hours (at least one)."""
        return max(1, int(round(window_h / self.dt)))

    def mention_rate(self, window_h: float) -> float:
        """Negative mentions per hour over the trailing window, this step included (`kernels.mention_rate`)."""
        posts = self.recorder.data["posts_negative"]
        return kernels.mention_rate(posts, self.steps, self.now[0], self.window_steps(window_h), self.dt)

    def negative_weight(self) -> float:
        """The weight of a negative post's anger dose now.

        Weight of a negative post's anger dose now, as the brand's actions have made it (lighter after a
        remedy, heavier after an attack).
        """
        return self.brand.complaint_weight

    def negative_impact(self, impact: float) -> float:
        """The opinion impact of a negative post now.

        Opinion impact of a negative post now: heavier while the brand is silent past the expected reply time
        after a complaint (silence reads as contempt or guilt), and weighted by the brand's actions. (The step
        loop weighs followers' complaints by the same rule: `kernels.spread`.)
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
        row = self.answer_effects[answer_id]
        row[:] = (effect.calm, effect.opinion_shift, effect.anger_prob, effect.share_prob, 0.0, 0.0)
        row[kernels.A_LIFT] = float(bool(effect.lift_above_prior))
        row[kernels.A_SUPPORTIVE] = float(bool(supportive))
        self.population.read_answer(self.steps, readers, answer_id, row, self.newest_story)
        return answer_id

    def _complaint_at(self, t_h: float) -> None:
        self.last_complaint_h = t_h
        self.brand.on_complaint(t_h)

    def start_complaints(self, k: int, count: int) -> None:
        """Everyday #fail: `count` background complaints arrive in step k (their number drawn in `kernels.advance`)."""
        ids = self.complaints.indices(k, count, self.network.n, BACKGROUND, 1)
        self.population.start_complaint(ids, k, self.new_story("complaint"))
        self._complaint_at(self.now_h)

    # -- running -----------------------------------------------------------------------------

    def step(self) -> None:
        """One step of dt hours (with the timed events before it and at its end time), and its row."""
        self.run_to(self._next[0])

    def run(self, until_quiet: bool = False) -> BuzzModel:
        """Run to the horizon (with `until_quiet`, stop once nobody is ANGRY; see `run_to`)."""
        self.run_to(self.n_steps, until_quiet)
        return self

    def run_to(self, last: int, until_quiet: bool = False) -> None:
        """Run the steps up to `last` (the horizon at most), each with its timed events and its row.

        The steps run in compiled calls (`kernels.advance`); each hands back to Python for what
        Python does: timed events (fired here at their times, through Mesa's event list), an
        amplifier taking the buzz up, background complaints, the brand's monitoring. With
        `until_quiet`, stop before a step once no consumer is ANGRY (for the reductions to rumour
        and SIR models, where nothing can change once nobody spreads).
        """
        last = min(last, self.n_steps)
        k, phase = self._next
        angry = self.recorder.data["angry"]
        if until_quiet and phase == kernels.PHASE_AMPLIFIERS and angry[k - 1] == 0:
            return
        pop, out = self.population, self._out
        while k <= last:
            if phase == kernels.PHASE_AMPLIFIERS:
                self._fire_events(k, inclusive=False)
            elif phase == kernels.PHASE_RECORD:
                self._fire_events(k, inclusive=True)
            self.steps, self.time = k, float(k)
            next_event = self._next_event_time()
            large = pop.rules.search_p * self.network.n > 500 and pop.rules.search_rate > 0
            end = min(last, k + (LARGE_SEARCH_SEGMENT if large else SEGMENT) - 1)
            if next_event < math.inf:
                end = min(end, max(k, math.floor(next_event)))
            counts = np.full(end - k + 1, -1, np.int64)
            if large:
                counts[:] = [
                    self.search.binomial(j, self.network.n, pop.rules.search_p, SEARCHERS) for j in range(k, end + 1)
                ]
            k, phase = kernels.advance(
                k,
                phase,
                end,
                next_event,
                until_quiet,
                pop.consumers,
                pop.links,
                pop.rules,
                pop.poisson_cache,
                self.coins,
                self._audit,
                self._brand_state(),
                self._amplifier_state(),
                self.recorder.table,
                self.now,
                self.pulls(k, end),
                self.answer_effects,
                counts,
                out,
            )
            self._next = (k, phase)
            reason = out[0]
            if phase == kernels.PHASE_AMPLIFIERS and reason != kernels.AMPLIFIER:  # between steps: row k - 1 is done
                self.steps, self.time = k - 1, float(k - 1)
            else:
                self.steps, self.time = k, float(k)
            if reason == kernels.AMPLIFIER:
                self.amplifiers[out[1]].take_up()
            elif reason == kernels.COMPLAINT:
                self.start_complaints(k, int(out[1]))
            elif reason == kernels.BRAND:
                self.brand.monitor(bool(out[1]))
            elif reason == kernels.QUIET:
                break
        self._flush_audit()

    def _brand_state(self) -> np.ndarray:
        """What the step loop reads of the brand (`kernels.BRAND_*`)."""
        b, p = self.brand, self.sc.brand
        return np.array(
            [
                b.complaint_weight,
                b.last_reply_h,
                self.last_complaint_h,
                0.0 if math.isnan(b.detected_h) else 1.0,
                self.window_steps(p.detection_window_h),
                p.detection_threshold,
                1.0 if b.watchers else 0.0,
            ]
        )

    def _amplifier_state(self) -> np.ndarray:
        """What the step loop reads of the amplifiers: taken up yet, window (steps), threshold now."""
        state = np.zeros((len(self.amplifiers), 3))
        for a, amp in enumerate(self.amplifiers):
            state[a] = (
                0.0 if math.isnan(amp.triggered_h) else 1.0,
                self.window_steps(amp.params.window_h),
                amp.threshold,
            )
        return state

    def _fire_events(self, k: int, inclusive: bool) -> None:
        """Fire the timed events due before step k's time (or at it, with `inclusive`), in Mesa's order."""
        events = self._event_list
        while True:
            try:
                event = events.pop_event()
            except IndexError:
                return
            if event.time < k or (inclusive and event.time == k):
                self.time = event.time
                event.execute()
            else:
                events.add_event(event)
                return

    def _next_event_time(self) -> float:
        """The time of the next timed event (in steps), or infinity."""
        try:
            event = self._event_list.pop_event()
        except IndexError:
            return math.inf
        self._event_list.add_event(event)
        return float(event.time)

    def _flush_audit(self) -> None:
        """Hand the draws the compiled calls noted to the audit (`randomness.DRAWS.audit`)."""
        audit = self._audit
        if not len(audit) or DRAWS.record is None:
            return
        if audit[0, 1]:
            raise RuntimeError(f"more than {AUDIT_ROWS - 1} draws to audit in one run")
        keys = (self.coins.spread, self.coins.search, self.coins.complaints)
        purposes = (Purpose.SPREAD, Purpose.SEARCH, Purpose.COMPLAINTS)
        names = {(d.purpose, slot): d.name for d in DRAWS for slot in range(d.slot, d.slot + d.size)}
        for stream, step, slot in audit[1 : audit[0, 0] + 1]:
            DRAWS.record.append((int(keys[stream]), int(step), int(slot), names[(purposes[stream], int(slot))], None))
        audit[0, 0] = 0

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
