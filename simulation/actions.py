"""The brand's actions: one class each, holding everything about it.

An action is a public answer of the brand plus, for some, a specific effect. Each class below
declares, in one place, its name, what it does in words, its parameters (an effect dataclass, the
`[actions.<name>]` table of a scenario, documented with :func:`simulation.schema.param`), its
flags (whether it answers the complainant and so ends the silence; whether its answer calms,
being passed on by calmed readers, or provokes, being passed on by angry ones) and its specific
effect (hooks called by `Brand.perform`). The parameter schema, `run.py list`, the docs' tables
and the presets read the registry :data:`ACTIONS`.

Every action, whatever it is, costs its `cost`, multiplies the weight of later complaints by its
`complaint_weight`, and publishes an answer read by the brand's audience and the complainants
(`Population.read_answer`: calm, opinion shift, anger chance, sharing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .randomness import (
    BACKFIRE_AUDIENCE,
    BACKFIRE_NEWS,
    EXPOSURE,
    LEGAL_NEWS,
    LEGAL_SILENCE,
    REMEDY_ADVOCATE,
    REVIEWERS,
)
from .schema import param
from .stance import Stance

if TYPE_CHECKING:
    from .brand import Brand


# -- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionEffect:
    """What reading a brand's answer does to a reader, and what the action costs."""

    calm: float = param(0.0, "Fraction of a reader's anger removed (negative: anger raised toward 1).", lo=-1, hi=1)
    opinion_shift: float = param(
        0.0, "Reader's opinion moves this fraction toward +1 (negative: toward -1).", lo=-1, hi=1
    )
    anger_prob: float = param(0.0, "Chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    share_prob: float = param(
        0.1,
        "Chance a reader passes the answer on (supportive answers: CALMED and "
        "ADVOCATE readers; provoking answers: ANGRY readers).",
        lo=0,
        hi=1,
    )
    cost: float = param(0.0, "Cost of the action.", unit="currency", lo=0)
    complaint_weight: float = param(
        1.0,
        "From the action on, negative posts weigh this much more or less (their opinion impact and anger dose).",
        lo=0,
        hi=10,
    )
    lift_above_prior: bool = param(
        False,
        "Whether the answer's positive opinion shift may lift a reader's opinion above the reader's own prior "
        "(false: a fix restores an opinion, it does not improve on it).",
        source="assumption; the service-recovery paradox (a recovery leaving customers happier than no failure) "
        "is found for satisfaction but not for loyalty (de Matos, Henrique & Rossi 2007, meta-analysis)",
    )


@dataclass(frozen=True)
class RemedyEffect(ActionEffect):
    """Parameters of `remedy`."""

    calm: float = param(
        0.8,
        "Fraction of a reader's anger removed.",
        lo=-1,
        hi=1,
        source="Herhausen et al. 2019: remedy quality beats speed",
        plausible=(0.5, 1.0),
        plausible_why="a fix removes most of a reader's anger; how much is not measured",
    )
    opinion_shift: float = param(
        0.3,
        "Reader's opinion moves this fraction toward +1.",
        lo=-1,
        hi=1,
        plausible=(0.1, 0.5),
        plausible_why="assumed",
    )
    share_prob: float = param(0.15, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(2000.0, "Cost of the remedy (refund, replacement).", unit="currency", lo=0)
    advocate_prob: float = param(
        0.6,
        "Chance a remedied complainant turns ADVOCATE.",
        lo=0,
        hi=1,
        source="docs/cases.md: the Porsche 991 complainant defended the brand",
    )
    complaint_weight: float = param(
        0.5,
        "From the remedy on, negative posts weigh this much: below 1 they land softer (the grievance is "
        "gone), above 1 harder.",
        lo=0,
        hi=10,
        source="assumption; contrary evidence: Herhausen et al. 2019 found that responses offering "
        "compensation drew more negative comments (a weight above 1), a concrete refund solved the Swiss "
        "brand's case (docs/cases.md)",
    )


@dataclass(frozen=True)
class HoldingReplyEffect(ActionEffect):
    """Parameters of `holding_reply`."""

    calm: float = param(
        0.0,
        "Fraction of a reader's anger removed (a fast hollow reply does not calm).",
        lo=-1,
        hi=1,
        source="Herhausen et al. 2019; docs/cases.md: a Swiss brand vs Amazon UK",
    )
    opinion_shift: float = param(0.0, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.02, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(10.0, "Cost of the reply.", unit="currency", lo=0)


@dataclass(frozen=True)
class ApologyEffect(ActionEffect):
    """Parameters of `apology`."""

    calm: float = param(
        0.35,
        "Fraction of a reader's anger removed.",
        lo=-1,
        hi=1,
        plausible=(0.15, 0.6),
        plausible_why="an apology calms, less than a fix; by how much is not measured",
    )
    opinion_shift: float = param(0.08, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.08, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(200.0, "Cost of the apology.", unit="currency", lo=0)
    complaint_weight: float = param(0.8, "From the apology on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class DeflectEffect(ActionEffect):
    """Parameters of `deflect`."""

    calm: float = param(
        -0.2,
        "Anger raised toward 1 by this fraction (nobody answers at the desk).",
        lo=-1,
        hi=1,
        source="docs/cases.md: Private Outlet",
    )
    opinion_shift: float = param(-0.05, "Reader's opinion moves this fraction toward -1.", lo=-1, hi=1)
    anger_prob: float = param(0.02, "Chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    share_prob: float = param(0.05, "Chance an ANGRY reader passes the answer on.", lo=0, hi=1)
    cost: float = param(10.0, "Cost of the deflection.", unit="currency", lo=0)
    complaint_weight: float = param(1.2, "From the deflection on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class AttackEffect(ActionEffect):
    """Parameters of `attack`."""

    calm: float = param(
        -0.5,
        "Anger raised toward 1 by this fraction.",
        lo=-1,
        hi=1,
        source="docs/cases.md: the Kia dealer's 'to teach her a lesson'; Nestle, BP",
    )
    opinion_shift: float = param(-0.2, "Reader's opinion moves this fraction toward -1.", lo=-1, hi=1)
    anger_prob: float = param(0.1, "Chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    share_prob: float = param(0.25, "Chance an ANGRY reader passes the answer on.", lo=0, hi=1)
    cost: float = param(0.0, "Cost of the reply.", unit="currency", lo=0)
    complaint_weight: float = param(
        1.5, "From the attack on, negative posts weigh this much (the story now has a villain).", lo=0, hi=10
    )


@dataclass(frozen=True)
class LegalEffect(ActionEffect):
    """Parameters of `legal`."""

    calm: float = param(
        -0.3, "Anger raised toward 1 by this fraction.", lo=-1, hi=1, source="Streisand effect (Jansen & Martin 2015)"
    )
    opinion_shift: float = param(-0.15, "Reader's opinion moves this fraction toward -1.", lo=-1, hi=1)
    anger_prob: float = param(0.05, "Chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    share_prob: float = param(0.3, "Chance an ANGRY reader passes the news on.", lo=0, hi=1)
    cost: float = param(20000.0, "Cost of lawyers.", unit="currency", lo=0)
    takedown: float = param(0.5, "Share of findable content removed.", lo=0, hi=1)
    silence_prob: float = param(0.5, "Chance each complainant is silenced (stops posting).", lo=0, hi=1)
    news_reach: float = param(
        0.05,
        "Share of consumers who hear of the legal action as news (a story with its own clock).",
        lo=0,
        hi=1,
        source="Streisand: 6 downloads to 420,000 visitors in a month once the suit was known",
        plausible=(0.01, 0.1),
        plausible_log=True,
        plausible_why="news of a legal threat reaches 1-10% of consumers; not measured",
    )
    news_weight: float = param(
        3.0, "The legal news counts as this many negative posts for its readers.", unit="posts", lo=0
    )
    amplifier_threshold_factor: float = param(
        0.5, "Amplifiers' thresholds are multiplied by this (they react sooner).", lo=0, hi=1
    )
    complaint_weight: float = param(1.3, "From the legal action on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class SolicitReviewsEffect(ActionEffect):
    """Parameters of `solicit_reviews`, and of its backfire when the campaign is exposed."""

    calm: float = param(0.05, "Fraction of a reader's anger removed by the solicited reviews.", lo=-1, hi=1)
    opinion_shift: float = param(0.0, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.0, "Chance a CALMED or ADVOCATE reader passes the request on.", lo=0, hi=1)
    cost: float = param(1000.0, "Cost of the campaign.", unit="currency", lo=0)
    reviewers_share: float = param(
        0.05, "Share of satisfied customers (opinion > 0) who post positive reviews as ADVOCATEs.", lo=0, hi=1
    )
    exposure_rate_per_h: float = param(
        0.02,
        "Hourly chance the campaign is exposed as fake.",
        unit="1/h",
        lo=0,
        source="docs/cases.md: Private Outlet asked for positive posts",
    )
    exposure_duration_h: float = param(168.0, "How long the campaign can be exposed.", unit="h", lo=0)
    backfire_calm: float = param(-0.4, "Exposure: anger raised toward 1 by this fraction in its readers.", lo=-1, hi=1)
    backfire_opinion: float = param(-0.25, "Exposure: readers' opinion moves this fraction toward -1.", lo=-1, hi=1)
    backfire_reach: float = param(
        0.05, "Exposure: share of consumers who hear of it as news (a story with its own clock).", lo=0, hi=1
    )
    backfire_weight: float = param(
        3.0, "Exposure: the news counts as this many negative posts for its readers.", unit="posts", lo=0
    )
    backfire_anger_prob: float = param(0.05, "Exposure: chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    backfire_share_prob: float = param(0.2, "Exposure: chance an ANGRY reader passes the news on.", lo=0, hi=1)

    def backfire(self) -> ActionEffect:
        """The exposure's effect on its readers: a provoking answer that costs nothing."""
        return ActionEffect(
            calm=self.backfire_calm,
            opinion_shift=self.backfire_opinion,
            anger_prob=self.backfire_anger_prob,
            share_prob=self.backfire_share_prob,
            cost=0.0,
        )


# -- the actions ----------------------------------------------------------------------------------


class Action:
    """A brand action. Subclasses set the class attributes and override the hooks they need.

    `Brand.perform` calls, in order: :meth:`before_answer`, then publishes the answer to the
    brand's audience and the complainants, then :meth:`after_answer`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Effect: ClassVar[type[ActionEffect]]
    breaks_silence: ClassVar[bool] = False  # it answers the complainant: the silence clock stops
    supportive: ClassVar[bool] = False  # its answer calms (shared by the calmed) rather than provokes

    def before_answer(self, brand: Brand, effect: ActionEffect, complainants: np.ndarray) -> None:
        """The action's effect before its answer is read (default: none)."""

    def after_answer(self, brand: Brand, effect: ActionEffect, complainants: np.ndarray, answer_id: int) -> None:
        """The action's effect after its answer is read (default: none)."""


class Remedy(Action):
    """Fix the grievance and say so publicly."""

    name = "remedy"
    description = "fix the grievance and say so publicly; the complainant may turn advocate"
    Effect = RemedyEffect
    breaks_silence = True
    supportive = True

    def after_answer(self, brand, effect, complainants, answer_id):
        """Complainants turn ADVOCATE with chance advocate_prob (opinion lifted to their prior), or calm down."""
        pop = brand.model.population
        live = complainants[pop.stance[complainants] != Stance.ADVOCATE]
        turn = brand.draw(live, REMEDY_ADVOCATE) < effect.advocate_prob
        pop.remedy_complainants(live[turn], live[~turn])


class HoldingReply(Action):
    """A form reply."""

    name = "holding_reply"
    description = "a form reply: breaks the silence, fixes nothing, calms little"
    Effect = HoldingReplyEffect
    breaks_silence = True
    supportive = True


class Apology(Action):
    """Empathy without remedy."""

    name = "apology"
    description = "empathy without remedy: calms more than a holding reply, less than a remedy"
    Effect = ApologyEffect
    breaks_silence = True
    supportive = True


class Deflect(Action):
    """Redirect complainants to a desk that does not answer."""

    name = "deflect"
    description = "redirect complainants to a desk that does not answer: anger rises"
    Effect = DeflectEffect

    def before_answer(self, brand, effect, complainants):
        """Complainants who are not advocates flare up (ANGRY, anger 1)."""
        provoke_complainants(brand, complainants)


class Attack(Action):
    """Deny, or insult the complainant."""

    name = "attack"
    description = "deny or insult the complainant: anger and attention rise"
    Effect = AttackEffect

    def before_answer(self, brand, effect, complainants):
        """Complainants who are not advocates flare up (ANGRY, anger 1)."""
        provoke_complainants(brand, complainants)


class Legal(Action):
    """Threats and takedown requests."""

    name = "legal"
    description = "threats and takedowns: content removed, but the legal action becomes news (Streisand)"
    Effect = LegalEffect

    def before_answer(self, brand, effect, complainants):
        """Findable content is taken down, amplifiers react sooner, complainants may be silenced."""
        m, pop = brand.model, brand.model.population
        m.remove_findable(effect.takedown)
        m.lower_amplifier_thresholds(effect.amplifier_threshold_factor)
        silenced = complainants[brand.draw(complainants, LEGAL_SILENCE) < effect.silence_prob]
        pop.calm_down(silenced)
        pop.settle(silenced)

    def after_answer(self, brand, effect, complainants, answer_id):
        """The legal action becomes news: a story read by a random share of consumers."""
        m = brand.model
        readers = m.random_consumers(effect.news_reach, brand.rand, LEGAL_NEWS, len(brand.fired))
        m.tell_story("legal news", readers, effect.news_weight)


class SolicitReviews(Action):
    """Ask satisfied customers for positive posts, or buy them."""

    name = "solicit_reviews"
    description = "ask for (or buy) positive posts; may be exposed and backfire"
    Effect = SolicitReviewsEffect
    supportive = True

    def after_answer(self, brand, effect, complainants, answer_id):
        """Satisfied customers post praise as ADVOCATEs; the campaign may be exposed for a while."""
        pop = brand.model.population
        ok = np.flatnonzero(
            pop.customer
            & ~pop.churned
            & (pop.opinion > 0)
            & ((pop.stance == Stance.UNAWARE) | (pop.stance == Stance.AWARE) | (pop.stance == Stance.CALMED))
        )
        pop.make_advocates(ok[brand.draw(ok, REVIEWERS) < effect.reviewers_share])
        brand.watch(Exposure(effect, brand.model.now_h + effect.exposure_duration_h, answer_id))


class Exposure:
    """A review campaign that may be exposed as fake.

    Solicited reviews that may be exposed as fake: each step, until `end_h`, with the hourly chance
    `exposure_rate_per_h`; then a provoking answer, "reviews_exposed", backfires.
    """

    def __init__(self, effect: SolicitReviewsEffect, end_h: float, campaign: int):
        self.effect, self.end_h, self.campaign = effect, end_h, campaign

    def step(self, brand: Brand) -> bool:
        """Check for exposure this step; returns whether to keep watching."""
        from .rates import rate_to_prob

        m, eff = brand.model, self.effect
        if m.now_h > self.end_h:
            return False
        if brand.draw(np.zeros(1, np.int64), EXPOSURE, self.campaign)[0] >= rate_to_prob(eff.exposure_rate_per_h, m.dt):
            return True
        m.note_action("reviews_exposed")
        m.publish_answer(
            "reviews_exposed", eff.backfire(), False, brand.audience_readers(BACKFIRE_AUDIENCE, self.campaign)
        )
        news = m.random_consumers(eff.backfire_reach, brand.rand, BACKFIRE_NEWS, self.campaign)
        m.tell_story("reviews exposed", news, eff.backfire_weight)
        return False


def provoke_complainants(brand: Brand, complainants: np.ndarray) -> None:
    """Complainants who are not advocates are provoked: ANGRY again, with full anger."""
    pop = brand.model.population
    pop.provoke(complainants[pop.stance[complainants] != Stance.ADVOCATE], brand.model.steps)


ACTIONS: dict[str, Action] = {
    cls.name: cls() for cls in (Remedy, HoldingReply, Apology, Deflect, Attack, Legal, SolicitReviews)
}
ACTION_NAMES = tuple(ACTIONS)
