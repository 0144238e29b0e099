"""Amplifiers: influencers, video bloggers and the press, who take up a buzz and publish it.

Each amplifier watches the rate of negative mentions. Once it crosses its threshold (lowered when
the brand goes to court: the legal action is news too), it publishes a story after its latency,
possibly several, each reaching a share of all consumers beyond the network: readers take it as
`story_weight` negative posts, the already angry get angrier (Kia: a provocateur organised an
attack), and the story adds to what search engines find.
"""

from __future__ import annotations

import math

import mesa

from .parameters import AmplifierParams
from .randomness import STORY_READERS


class Amplifier(mesa.Agent):
    """One amplifier: it may take the buzz up as a step begins (`simulation.model`); its stories are timed events."""

    def __init__(self, model, params: AmplifierParams, index: int, rand):
        super().__init__(model)
        self.params, self.index, self.rand = params, index, rand
        self.triggered_h = math.nan
        self.published_h: list[float] = []

    @property
    def threshold(self) -> float:
        """The mention rate (per hour) at which it takes the story up: its own, lowered by legal action."""
        return self.params.threshold * self.model.amplifier_factor

    def take_up(self) -> None:
        """The mention rate crossed the threshold (checked by `kernels.advance`): publish after the latency."""
        m, p = self.model, self.params
        self.triggered_h = m.now_h
        m.schedule_event(self.publish, at=(m.now_h + p.delay_h) / m.dt)

    def publish(self) -> None:
        """One story: random readers beyond the network read it as several negative posts."""
        m, p = self.model, self.params
        story = len(self.published_h)
        self.published_h.append(m.now_h)
        m.note_action(f"story:{p.name}")
        readers = m.random_consumers(p.audience_share, self.rand, STORY_READERS, 64 * self.index + story)
        m.tell_story(f"story: {p.name}", readers, p.story_weight, p.anger_boost, p.search_weight)
        if story + 1 < p.repeats:
            m.schedule_event(self.publish, after=p.interval_h / m.dt)
