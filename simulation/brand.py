"""The brand: it monitors mentions, detects the crisis, and acts on its schedule.

A strategy is a schedule of actions, each at a time after an anchor (the brand's detection of the
crisis, the first complaint, or the start). Named strategies are presets of that schedule whose
decisive action sits at `brand.delay_hours`. Actions fire at their exact times through Mesa's
event scheduling; an action whose anchor never happens never fires, and the run reports it.

The brand's public answers are posts: they reach its audience (and the complainants it answers)
and then travel through the network like any post, passed on by the readers they calm (supportive
answers) or anger (provoking ones). See `Population.read_answer`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

from .parameters import ActionEffect, ActionSpec, BrandParams, Scenario
from .population import SEE_AUDIENCE
from .rates import rate_to_prob
from .stance import Stance

DECISIVE = None  # marks the preset action placed at brand.delay_hours


@dataclass(frozen=True)
class Strategy:
    """A named preset: its actions (offset in hours, or DECISIVE) and the decisive default delay."""

    description: str
    actions: tuple[tuple[str, float | None], ...]
    default_delay_h: float = 1.0


STRATEGIES: dict[str, Strategy] = {
    "ignore": Strategy("no action at all", ()),
    "quick_fix": Strategy("remedy at delay_hours after detection (default 1 h)", (("remedy", DECISIVE),), 1.0),
    "delay": Strategy(
        "holding reply at 1 h, remedy at delay_hours (default 72 h)",
        (("holding_reply", 1.0), ("remedy", DECISIVE)),
        72.0,
    ),
    "lawyers": Strategy("legal threats and takedowns at delay_hours (default 24 h)", (("legal", DECISIVE),), 24.0),
    "apology": Strategy("apology without remedy at delay_hours (default 1 h)", (("apology", DECISIVE),), 1.0),
    "deflect": Strategy("redirect to an unresponsive desk at delay_hours (default 1 h)", (("deflect", DECISIVE),), 1.0),
    "deny": Strategy("deny or insult the complainant at delay_hours (default 1 h)", (("attack", DECISIVE),), 1.0),
    "astroturf": Strategy(
        "solicit positive reviews at delay_hours (default 24 h)", (("solicit_reviews", DECISIVE),), 24.0
    ),
    "custom": Strategy("the list of actions in brand.schedule", ()),
}

# Actions that answer the complainant and so stop the silence clock.
BREAKS_SILENCE = {"remedy", "holding_reply", "apology"}
# Actions whose answer calms (passed on by calmed readers and advocates) rather than provokes.
SUPPORTIVE = {"remedy", "holding_reply", "apology", "solicit_reviews"}
ACTION_DESCRIPTIONS = {
    "remedy": "fix the grievance and say so publicly; the complainant may turn advocate",
    "holding_reply": "a form reply: breaks the silence, fixes nothing, calms little",
    "apology": "empathy without remedy: calms more than a holding reply, less than a remedy",
    "deflect": "redirect complainants to a desk that does not answer: anger rises",
    "attack": "deny or insult the complainant: anger and attention rise",
    "legal": "threats and takedowns: content removed, but the legal action becomes news (Streisand)",
    "solicit_reviews": "ask for (or buy) positive posts; may be exposed and backfire",
}


def decisive_delay(params: BrandParams) -> float:
    """The preset's decisive delay: brand.delay_hours, or the preset's default when it is -1."""
    preset = STRATEGIES[params.strategy]
    return preset.default_delay_h if params.delay_hours < 0 else params.delay_hours


def schedule_for(params: BrandParams) -> list[ActionSpec]:
    """The brand's schedule: the preset's actions at their times, or the custom list."""
    if params.strategy == "custom":
        return list(params.schedule)
    delay = decisive_delay(params)
    return [
        ActionSpec(action=name, anchor=params.anchor, at_hours=delay if offset is DECISIVE else min(offset, delay))
        for name, offset in STRATEGIES[params.strategy].actions
    ]


class ScheduledAction:
    """One pending action; its bound `fire` is what Mesa's event list calls (held weakly)."""

    def __init__(self, brand: "Brand", spec: ActionSpec):
        self.brand, self.spec = brand, spec

    def fire(self) -> None:
        self.brand.perform(self)


class Brand(mesa.Agent):
    """The brand as a Mesa agent: monitoring (step) and timed actions (events)."""

    def __init__(self, model, sc: Scenario, rand):
        super().__init__(model)
        self.sc, self.params, self.rand = sc, sc.brand, rand
        self.schedule = schedule_for(sc.brand)
        self.waiting = {
            anchor: [s for s in self.schedule if s.anchor == anchor] for anchor in ("detection", "complaint", "start")
        }
        self.pending: list[ScheduledAction] = []
        self.fired: list[tuple[float, str]] = []
        self.detected_h = math.nan
        self.first_complaint_h = math.nan
        self.cost = 0.0
        self.complaint_weight = 1.0  # product of the fired actions' complaint_weight
        self.last_reply_h = -math.inf
        self.exposure: tuple[float, int] | None = None  # (end time h, campaign answer id)
        self._arm("start", 0.0)

    # -- anchors -------------------------------------------------------------------------------

    def _arm(self, anchor: str, at_h: float) -> None:
        """Schedule the actions on this anchor's clock, now that the anchor has happened."""
        for spec in self.waiting.pop(anchor, []):
            action = ScheduledAction(self, spec)
            self.pending.append(action)
            self.model.schedule_event(action.fire, at=max(self.model.time, (at_h + spec.at_hours) / self.model.dt))

    def on_complaint(self, t_h: float) -> None:
        if math.isnan(self.first_complaint_h):
            self.first_complaint_h = t_h
            self._arm("complaint", t_h)

    @property
    def unfired(self) -> list[ActionSpec]:
        """Actions whose anchor never happened, plus those scheduled beyond the horizon."""
        waiting = [s for specs in self.waiting.values() for s in specs]
        return waiting + [a.spec for a in self.pending]

    def step(self) -> None:
        """Monitoring: detect the crisis when the mention rate crosses the threshold."""
        m = self.model
        if (
            math.isnan(self.detected_h)
            and m.mention_rate(self.params.detection_window_h) >= self.params.detection_threshold
        ):
            self.detected_h = m.now_h
            self._arm("detection", self.detected_h)
        if self.exposure is not None:
            self._check_exposure()

    # -- actions -------------------------------------------------------------------------------

    def perform(self, action: ScheduledAction) -> None:
        """Carry out one action at the current (exact) time."""
        self.pending.remove(action)
        name = action.spec.action
        m, pop = self.model, self.model.population
        effect: ActionEffect = getattr(self.sc.actions, name)
        self.fired.append((m.now_h, name))
        m.note_action(name)
        self.cost += effect.cost
        self.complaint_weight *= effect.complaint_weight
        if name in BREAKS_SILENCE:
            self.last_reply_h = m.now_h
        complainants = np.flatnonzero(pop.complainant)
        if name == "legal":
            m.search_stock *= 1 - effect.takedown
            m.amplifier_factor *= effect.amplifier_threshold_factor
            silenced = complainants[self.rand.uniform(len(self.fired), complainants, 1) < effect.silence_prob]
            pop.stance[silenced] = Stance.CALMED
            pop.anger[silenced] = 0.0
            pop.close_grievance(silenced)
        elif name in ("attack", "deflect"):
            live = complainants[pop.stance[complainants] != Stance.ADVOCATE]
            pop.stance[live] = Stance.ANGRY
            pop.anger[live] = 1.0
        readers = np.concatenate([self._audience(len(self.fired)), complainants])
        if name == "legal":
            readers = np.concatenate(
                [readers, m.random_consumers(effect.news_reach, self.rand, 1000 + len(self.fired))]
            )
        answer = m.publish_answer(name, effect, name in SUPPORTIVE, readers)
        if name == "remedy":
            self._remedy(complainants, effect)
        elif name == "solicit_reviews":
            self._solicit(effect, answer)

    def _audience(self, salt: int) -> np.ndarray:
        """The brand's followers who see this answer in their feed."""
        aud = self.model.population.audience
        keep = self.rand.uniform(salt, aud, SEE_AUDIENCE) < self.sc.spread.visibility
        return aud[keep]

    def _remedy(self, complainants: np.ndarray, effect) -> None:
        """The grievance is fixed: complainants may turn advocate."""
        pop = self.model.population
        live = complainants[pop.stance[complainants] != Stance.ADVOCATE]
        adv = live[self.rand.uniform(len(self.fired), live, 2) < effect.advocate_prob]
        rest = np.setdiff1d(live, adv)
        pop.make_advocates(adv)
        pop.opinion[adv] = np.maximum(pop.opinion[adv], pop.prior[adv])
        pop.stance[rest] = Stance.CALMED
        pop.anger[rest] = 0.0
        pop.close_grievance(live)

    def _solicit(self, effect, answer_id: int) -> None:
        """Satisfied customers are asked to post praise; the campaign may be exposed later."""
        pop, m = self.model.population, self.model
        ok = np.flatnonzero(
            pop.customer
            & ~pop.churned
            & (pop.opinion > 0)
            & ((pop.stance == Stance.UNAWARE) | (pop.stance == Stance.AWARE) | (pop.stance == Stance.CALMED))
        )
        reviewers = ok[self.rand.uniform(len(self.fired), ok, 3) < effect.reviewers_share]
        pop.make_advocates(reviewers)
        self.exposure = (m.now_h + effect.exposure_duration_h, answer_id)

    def _check_exposure(self) -> None:
        """Each hour the solicited reviews may be exposed as fake: the story backfires."""
        m = self.model
        end_h, _ = self.exposure
        if m.now_h > end_h:
            self.exposure = None
            return
        eff = self.sc.actions.solicit_reviews
        p = rate_to_prob(eff.exposure_rate_per_h, m.dt)
        if self.rand.uniform(m.steps, np.array([0]), 4)[0] >= p:
            return
        self.exposure = None
        m.note_action("reviews_exposed")
        backfire = ActionEffect(
            calm=eff.backfire_calm,
            opinion_shift=eff.backfire_opinion,
            anger_prob=eff.backfire_anger_prob,
            share_prob=eff.backfire_share_prob,
            cost=0.0,
        )
        readers = np.concatenate(
            [self._audience(500 + m.steps), m.random_consumers(eff.backfire_reach, self.rand, 2000 + m.steps)]
        )
        m.publish_answer("reviews_exposed", backfire, False, readers)
