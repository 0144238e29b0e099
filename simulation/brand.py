"""The brand: it monitors mentions, detects the crisis, and acts on its schedule.

A strategy is a schedule of actions, each at a time after an anchor (the brand's detection of the
crisis, the first complaint, or the start); the presets are in `simulation.strategies`, the
actions in `simulation.actions`. Actions fire at their exact times through Mesa's event
scheduling; an action whose anchor never happens never fires, and the run reports it.

The brand's public answers are posts: they reach its audience (and the complainants it answers)
and then travel through the network like any post, passed on by the readers they calm (supportive
answers) or anger (provoking ones). See `Population.read_answer`.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from .actions import ACTIONS, ActionEffect
from .parameters import ActionSpec, Scenario
from .randomness import SEE_ANSWER, Draw
from .strategies import CUSTOM, preset_schedule

ANCHOR_NAMES = ("detection", "complaint", "start")


def schedule_for(sc: Scenario) -> list[ActionSpec]:
    """The brand's schedule: a strategy of the scenario's own, the custom list, or a preset's actions."""
    params = sc.brand
    if params.strategy in sc.strategies:
        return list(sc.strategies[params.strategy].schedule)
    if params.strategy == CUSTOM:
        return list(params.schedule)
    return [
        ActionSpec(action=action, anchor=anchor, at_hours=at)
        for action, at, anchor in preset_schedule(params.strategy, params.delay_hours, params.anchor)
    ]


class ScheduledAction:
    """One pending action; its bound `fire` is what Mesa's event list calls (held weakly)."""

    def __init__(self, brand: Brand, spec: ActionSpec):
        self.brand, self.spec = brand, spec

    def fire(self) -> None:
        """Carry the action out (called by Mesa at its time)."""
        self.brand.perform(self)


class Brand(mesa.Agent):
    """The brand as a Mesa agent: monitoring (`monitor`, each step the loop hands over) and timed actions (events)."""

    def __init__(self, model, sc: Scenario, rand):
        super().__init__(model)
        self.sc, self.params, self.rand = sc, sc.brand, rand
        self.schedule = schedule_for(sc)
        self.waiting = {anchor: [s for s in self.schedule if s.anchor == anchor] for anchor in ANCHOR_NAMES}
        self.pending: list[ScheduledAction] = []
        self.fired: list[tuple[float, str]] = []
        self.detected_h = math.nan
        self.first_complaint_h = math.nan
        self.cost = 0.0
        self.complaint_weight = 1.0  # product of the fired actions' complaint_weight
        self.last_reply_h = -math.inf
        self.watchers: list = []  # consequences of past actions checked each step (e.g. an exposure)
        self._arm("start", 0.0)

    # -- anchors -------------------------------------------------------------------------------

    def _arm(self, anchor: str, at_h: float) -> None:
        """Schedule the actions on this anchor's clock, now that the anchor has happened."""
        for spec in self.waiting.pop(anchor, []):
            action = ScheduledAction(self, spec)
            self.pending.append(action)
            self.model.schedule_event(action.fire, at=max(self.model.time, (at_h + spec.at_hours) / self.model.dt))

    def on_complaint(self, t_h: float) -> None:
        """A complaint at time t_h: the first one starts the clock of actions anchored on it."""
        if math.isnan(self.first_complaint_h):
            self.first_complaint_h = t_h
            self._arm("complaint", t_h)

    @property
    def unfired(self) -> list[ActionSpec]:
        """Actions whose anchor never happened, plus those scheduled beyond the horizon."""
        waiting = [s for specs in self.waiting.values() for s in specs]
        return waiting + [a.spec for a in self.pending]

    def monitor(self, detected: bool) -> None:
        """Monitoring at the end of a step: the crisis detected now (or not), then the watched consequences.

        The step loop checks the detection rule (the mention rate over the detection window at or
        above the threshold, `kernels.advance`) and hands over when it holds or when consequences of
        past actions are watched.
        """
        if detected and math.isnan(self.detected_h):
            self.detected_h = self.model.now_h
            self._arm("detection", self.detected_h)
        self.watchers = [w for w in self.watchers if w.step(self)]

    def watch(self, watcher) -> None:
        """Check `watcher.step(brand)` every step from now on, until it returns False."""
        self.watchers.append(watcher)

    # -- actions -------------------------------------------------------------------------------

    def perform(self, scheduled: ScheduledAction) -> None:
        """Carry out one action at the current (exact) time (see `simulation.actions`)."""
        self.pending.remove(scheduled)
        name = scheduled.spec.action
        action = ACTIONS[name]
        m, pop = self.model, self.model.population
        effect: ActionEffect = getattr(self.sc.actions, name)
        self.fired.append((m.now_h, name))
        m.note_action(name)
        self.cost += effect.cost
        self.complaint_weight *= effect.complaint_weight
        if action.breaks_silence:
            self.last_reply_h = m.now_h
        complainants = np.flatnonzero(pop.complainant)
        action.before_answer(self, effect, complainants)
        readers = np.concatenate([self.audience_readers(SEE_ANSWER), complainants])
        answer = m.publish_answer(name, effect, action.supportive, readers)
        action.after_answer(self, effect, complainants, answer)

    def draw(self, ids: np.ndarray, draw: Draw, index: int | None = None) -> np.ndarray:
        """The brand's uniforms for `ids` now, for one decision.

        The brand's uniforms for `ids` now, for one decision (indexed by the action's number unless `index` is
        given).
        """
        return self.rand.uniform(self.model.steps, ids, draw, len(self.fired) if index is None else index)

    def audience_readers(self, draw: Draw, index: int | None = None) -> np.ndarray:
        """The brand's followers who see this answer in their feed."""
        aud = self.model.population.audience
        return aud[self.draw(aud, draw, index) < self.sc.spread.visibility]
