"""Every parameter of the model, documented once: name, unit, default, allowed values, source.

A scenario file is a TOML document whose tables mirror the dataclasses below (`[simulation]`,
`[population]`, `[network]`, `[complaint]`, `[spread]`, `[search]`, `[churn]`, `[brand]`,
`[actions.<name>]`, `[[amplifiers]]`). `simulation.scenario` loads and validates it against this
schema; `python run.py keys` and `scenarios/README.md` print this schema as a table.

Rates are per hour and become per-step chances as p = 1 - exp(-rate * dt). Opinions live in
[-1, 1]; anger (arousal) in [0, 1]. "Fraction toward +1" means the gap to +1 closes by that share.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

ASSUMPTION = "assumption"
NOT_A_MODEL_PARAMETER = "-"


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "-",
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    choices: tuple | None = None,
    source: str = ASSUMPTION,
) -> Any:
    """A documented, validated parameter (a dataclass field with its metadata)."""
    meta = dict(doc=doc, unit=unit, lo=lo, hi=hi, lo_open=lo_open, choices=choices, source=source)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SimulationParams:
    """Time and horizon."""

    days: float = param(
        30.0,
        "Horizon of a run.",
        unit="days",
        lo=0,
        hi=366,
        lo_open=True,
        source="DESIGN.md (30 days default; up to a year)",
    )
    dt_hours: float = param(
        1.0,
        "Length of one step. Rates are per hour, so results converge as dt shrinks.",
        unit="h",
        lo=0,
        hi=24,
        lo_open=True,
        source="DESIGN.md: attention half-lives are hours; 72% expect a reply within 1 h",
    )


@dataclass(frozen=True)
class PopulationParams:
    """The consumers: size, opinions, customers, activity."""

    size: int = param(
        2000,
        "Number of consumers. For a network file, its node count (must match if given).",
        unit="consumers",
        lo=10,
        hi=10_000_000,
    )
    prior_reputation: float = param(0.3, "Mean opinion of the brand at the start (each consumer's prior).", lo=-1, hi=1)
    opinion_spread: float = param(
        0.3, "Standard deviation of priors across consumers (clipped to [-1, 1]).", lo=0, hi=2
    )
    customer_share: float = param(
        0.3, "Share of consumers who are customers (complainants always are).", unit="share", lo=0, hi=1
    )
    activity_sigma: float = param(
        1.0,
        "Heavy-tailed posting activity: log-normal sigma, mean activity 1.",
        lo=0,
        hi=3,
        source="heavy-tailed activity online (Barabási 2005); sigma assumed",
    )
    customer_value: float = param(500.0, "Revenue lost when one customer churns.", unit="currency", lo=0)
    currency: str = param(
        "EUR", "Currency of customer_value, costs and revenue_lost (a label).", source=NOT_A_MODEL_PARAMETER
    )


NETWORK_KINDS = (
    "barabasi_albert",
    "watts_strogatz",
    "erdos_renyi",
    "holme_kim",
    "stochastic_block",
    "well_mixed",
    "file",
)
EDGE_MEANINGS = ("target_sees_source", "source_sees_target")


@dataclass(frozen=True)
class NetworkParams:
    """Who sees whose posts."""

    kind: str = param(
        "barabasi_albert", "Network model, or an edge-list file.", choices=NETWORK_KINDS, source=NOT_A_MODEL_PARAMETER
    )
    m: int = param(3, "barabasi_albert, holme_kim: edges of each new node.", unit="edges", lo=1)
    k: int = param(6, "watts_strogatz: ring degree (even).", unit="edges", lo=2)
    rewire_p: float = param(0.1, "watts_strogatz: rewiring chance per edge.", lo=0, hi=1)
    triad_p: float = param(
        0.5, "holme_kim: chance of closing a triangle after each attachment.", lo=0, hi=1, source="Holme & Kim 2002"
    )
    mean_degree: float = param(
        6.0,
        "erdos_renyi, stochastic_block: mean degree; well_mixed: readers per post.",
        unit="consumers",
        lo=0,
        lo_open=True,
    )
    blocks: int = param(4, "stochastic_block: number of communities.", lo=1)
    mixing: float = param(0.05, "stochastic_block: share of a consumer's ties outside its community.", lo=0, hi=1)
    path: str = param(
        "", "file: edge-list path, relative to the scenario file or the project root.", source=NOT_A_MODEL_PARAMETER
    )
    directed: bool = param(
        False, "file: whether the edge list is directed (a follower graph).", source=NOT_A_MODEL_PARAMETER
    )
    edge_meaning: str = param(
        "target_sees_source",
        "file, directed: whether line 'a b' means b sees a's posts or a sees b's.",
        choices=EDGE_MEANINGS,
        source=NOT_A_MODEL_PARAMETER,
    )


PLACEMENTS = ("random", "hub", "node")


@dataclass(frozen=True)
class ComplaintParams:
    """The original grievance(s)."""

    complainants: int = param(
        1, "Consumers with the original grievance, ANGRY with full anger at the start.", unit="consumers", lo=0
    )
    placement: str = param(
        "random",
        "Where complainants sit: random consumers, the best-followed hubs, or a given node.",
        choices=PLACEMENTS,
        source=NOT_A_MODEL_PARAMETER,
    )
    node: int = param(0, "placement = node: the complainant's node id.", lo=0, source=NOT_A_MODEL_PARAMETER)
    persistent: bool = param(
        True,
        "Complainants with an open grievance keep at it: not stifled, anger fading "
        "with grievance_half_life_h, until remedied or silenced.",
        source="CASES.md: Porsche 991 complainant posted for months",
    )
    grievance_half_life_h: float = param(
        72.0, "Half-life of an open grievance's anger (persistent complainants).", unit="h", lo=0, lo_open=True
    )
    activity: float = param(1.0, "Posting activity of complainants (others draw theirs; mean 1).", lo=0)
    opinion: float = param(
        -0.5, "Opinion of a complainant when the grievance starts (at most their prior).", lo=-1, hi=1
    )
    background_rate_per_h: float = param(
        0.0,
        "New independent complaints per hour (everyday #fail), each by a random consumer.",
        unit="1/h",
        lo=0,
        source="CASES.md: Private Outlet, everyday #fail",
    )


@dataclass(frozen=True)
class SpreadParams:
    """How consumers post, read and react."""

    post_rate_per_h: float = param(
        0.5, "Posting rate of an ANGRY consumer with anger 1 and activity 1.", unit="1/h", lo=0
    )
    advocate_post_rate_per_h: float = param(
        0.3, "Posting rate of an ADVOCATE with arousal 1 and activity 1.", unit="1/h", lo=0
    )
    visibility: float = param(
        0.3,
        "Chance that a follower sees a given post in their feed.",
        lo=0,
        hi=1,
        source="organic reach of posts is a minority of followers; assumed",
    )
    anger_dose: float = param(
        0.14,
        "Complex contagion: after e negative posts read, the chance of having "
        "turned ANGRY is 1 - exp(-anger_dose * e^contagion_exponent), e counting distinct posters.",
        lo=0,
        source="calibrated: ~5% of single random complaints reach >1% of 20,000 "
        "consumers (3% went viral in Herhausen et al. 2019)",
    )
    contagion_exponent: float = param(
        1.5,
        "Super-linear dose exponent (1 = simple contagion, one independent chance per post).",
        lo=1,
        hi=4,
        source="complex contagion (Centola & Macy 2007); exponent assumed",
    )
    customer_susceptibility: float = param(2.0, "Multiplier of anger_dose for customers (it is their money).", lo=0)
    calmed_susceptibility: float = param(0.3, "Multiplier of anger_dose for CALMED readers (re-angering).", lo=0)
    initial_anger: float = param(0.7, "Anger of a reader who turns ANGRY.", lo=0, hi=1)
    anger_half_life_h: float = param(
        3.0,
        "Half-life of anger (attention).",
        unit="h",
        lo=0,
        lo_open=True,
        source="link half-lives 2.8 h Twitter, 3.2 h Facebook (bitly 2011)",
    )
    calm_threshold: float = param(0.1, "ANGRY (or ADVOCATE) below this arousal becomes CALMED.", lo=0, hi=1)
    stop_rate_per_h: float = param(
        0.0,
        "Rate at which an ANGRY consumer stops (becomes CALMED) whatever "
        "their contacts (SIR recovery; 0 = only anger fading and stifling stop them).",
        unit="1/h",
        lo=0,
    )
    repeat_exposure: bool = param(
        False,
        "Whether a post from the same poster a reader saw last adds to the "
        "anger dose (true: every post counts, as in SIR).",
    )
    stifle_prob: float = param(
        0.1,
        "Chance a poster stops per reader reached who already knew (Maki-Thompson stifling).",
        lo=0,
        hi=1,
        source="Maki & Thompson 1973",
    )
    negative_impact: float = param(0.05, "Opinion moves this fraction toward -1 per negative post read.", lo=0, hi=1)
    positive_impact: float = param(0.03, "Opinion moves this fraction toward +1 per positive post read.", lo=0, hi=1)
    anger_boost: float = param(
        0.1, "Anger of an ANGRY reader moves this fraction toward 1 per negative post.", lo=0, hi=1
    )
    soothe: float = param(0.1, "Anger falls by this fraction per positive post read.", lo=0, hi=1)
    drift_half_life_h: float = param(
        720.0, "Half-life of an opinion's distance to its prior (forgetting).", unit="h", lo=0, lo_open=True
    )
    expected_reply_h: float = param(
        1.0,
        "Silence clock: time after a complaint from which brand silence counts against it.",
        unit="h",
        lo=0,
        source="72% of complainants expect a reply within an hour (DESIGN.md)",
    )
    silence_multiplier: float = param(
        1.5, "Weight of negative posts while the brand is silent past expected_reply_h.", lo=1
    )
    advocate_half_life_h: float = param(
        24.0,
        "Half-life of an ADVOCATE's arousal (how long they keep defending the brand).",
        unit="h",
        lo=0,
        lo_open=True,
    )


@dataclass(frozen=True)
class SearchParams:
    """Search memory: findable negative content."""

    half_life_h: float = param(
        504.0,
        "Half-life of findable negative content.",
        unit="h",
        lo=0,
        lo_open=True,
        source="DESIGN.md: fades slowly (weeks); 3 weeks assumed",
    )
    search_rate_per_h: float = param(0.0005, "Rate at which a consumer looks the brand up.", unit="1/h", lo=0)
    findability: float = param(
        1.0,
        "Chance one search finds the story: 1 - exp(-findability * stock / N).",
        lo=0,
        source="assumption: a buzz of about one post per consumer is found half the time",
    )
    found_impact: float = param(0.1, "Opinion moves this fraction toward -1 when a search finds the story.", lo=0, hi=1)


@dataclass(frozen=True)
class ChurnParams:
    """Customers leaving."""

    max_rate_per_h: float = param(
        0.004,
        "Churn hazard of a customer whose opinion fell by 2 (from +1 to -1).",
        unit="1/h",
        lo=0,
        source="calibrated to TARP: 46% loyalty if not resolved (Tripathy et al. 2010)",
    )
    exponent: float = param(
        2.0, "Hazard = max_rate * (drop/2)^exponent, drop = prior - opinion if positive.", lo=0.5, hi=5
    )


ACTION_NAMES = ("remedy", "holding_reply", "apology", "deflect", "attack", "legal", "solicit_reviews")
ANCHORS = ("detection", "complaint", "start")
STRATEGIES = ("ignore", "quick_fix", "delay", "lawyers", "apology", "deflect", "deny", "astroturf", "custom")


@dataclass(frozen=True)
class ActionSpec:
    """One entry of a brand's schedule."""

    action: str = param("remedy", "Which action.", choices=ACTION_NAMES, source=NOT_A_MODEL_PARAMETER)
    at_hours: float = param(0.0, "Time of the action after its anchor.", unit="h", lo=0)
    anchor: str = param(
        "detection",
        "Clock of at_hours: the brand's detection of the crisis, the first complaint, or the start of the run.",
        choices=ANCHORS,
        source=NOT_A_MODEL_PARAMETER,
    )


@dataclass(frozen=True)
class BrandParams:
    """The brand: monitoring, audience, strategy."""

    strategy: str = param(
        "ignore",
        "Named strategy (a preset schedule), or custom (uses brand.schedule).",
        choices=STRATEGIES,
        source=NOT_A_MODEL_PARAMETER,
    )
    delay_hours: float = param(
        -1.0,
        "Time of the preset's decisive action after its anchor; -1 = the "
        "preset's default (quick_fix 1, delay 72, lawyers 24, astroturf 24, others 1).",
        unit="h",
        lo=-1,
    )
    anchor: str = param("detection", "Clock of the preset's actions.", choices=ANCHORS, source=NOT_A_MODEL_PARAMETER)
    schedule: list = param(
        [], "strategy = custom: list of {action, at_hours, anchor} tables.", source=NOT_A_MODEL_PARAMETER
    )
    detection_threshold: float = param(
        10.0,
        "Negative mentions per hour (over the window) at which the brand detects a crisis.",
        unit="posts/h",
        lo=0,
        lo_open=True,
    )
    detection_window_h: float = param(3.0, "Window of the mention rate.", unit="h", lo=0, lo_open=True)
    audience_share: float = param(
        0.05, "Share of consumers who follow the brand and see its answers.", unit="share", lo=0, hi=1
    )


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


@dataclass(frozen=True)
class RemedyEffect(ActionEffect):
    calm: float = param(
        0.8,
        "Fraction of a reader's anger removed.",
        lo=-1,
        hi=1,
        source="Herhausen et al. 2019: remedy quality beats speed",
    )
    opinion_shift: float = param(0.3, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.15, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(2000.0, "Cost of the remedy (refund, replacement).", unit="currency", lo=0)
    advocate_prob: float = param(
        0.6,
        "Chance a remedied complainant turns ADVOCATE.",
        lo=0,
        hi=1,
        source="CASES.md: Porsche 991 complainant defended the brand",
    )
    complaint_weight: float = param(
        0.5, "From the remedy on, negative posts weigh this much (the grievance is gone).", lo=0, hi=10
    )


@dataclass(frozen=True)
class HoldingReplyEffect(ActionEffect):
    calm: float = param(
        0.0,
        "Fraction of a reader's anger removed (a fast hollow reply does not calm).",
        lo=-1,
        hi=1,
        source="Herhausen et al. 2019; CASES.md: Swiss brand vs Amazon UK",
    )
    opinion_shift: float = param(0.0, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.02, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(10.0, "Cost of the reply.", unit="currency", lo=0)


@dataclass(frozen=True)
class ApologyEffect(ActionEffect):
    calm: float = param(0.35, "Fraction of a reader's anger removed.", lo=-1, hi=1)
    opinion_shift: float = param(0.08, "Reader's opinion moves this fraction toward +1.", lo=-1, hi=1)
    share_prob: float = param(0.08, "Chance a CALMED or ADVOCATE reader passes the answer on.", lo=0, hi=1)
    cost: float = param(200.0, "Cost of the apology.", unit="currency", lo=0)
    complaint_weight: float = param(0.8, "From the apology on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class DeflectEffect(ActionEffect):
    calm: float = param(
        -0.2,
        "Anger raised toward 1 by this fraction (nobody answers at the desk).",
        lo=-1,
        hi=1,
        source="CASES.md: Private Outlet",
    )
    opinion_shift: float = param(-0.05, "Reader's opinion moves this fraction toward -1.", lo=-1, hi=1)
    anger_prob: float = param(0.02, "Chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    share_prob: float = param(0.05, "Chance an ANGRY reader passes the answer on.", lo=0, hi=1)
    cost: float = param(10.0, "Cost of the deflection.", unit="currency", lo=0)
    complaint_weight: float = param(1.2, "From the deflection on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class AttackEffect(ActionEffect):
    calm: float = param(
        -0.5,
        "Anger raised toward 1 by this fraction.",
        lo=-1,
        hi=1,
        source="CASES.md: Kia dealer 'to teach her a lesson'; Nestle, BP",
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
        "Share of consumers who hear of the legal action as news.",
        lo=0,
        hi=1,
        source="Streisand: 6 downloads to 420,000 visitors in a month once the suit was known",
    )
    amplifier_threshold_factor: float = param(
        0.5, "Amplifiers' thresholds are multiplied by this (they react sooner).", lo=0, hi=1
    )
    complaint_weight: float = param(1.3, "From the legal action on, negative posts weigh this much.", lo=0, hi=10)


@dataclass(frozen=True)
class SolicitReviewsEffect(ActionEffect):
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
        source="CASES.md: Private Outlet asked for positive posts",
    )
    exposure_duration_h: float = param(168.0, "How long the campaign can be exposed.", unit="h", lo=0)
    backfire_calm: float = param(-0.4, "Exposure: anger raised toward 1 by this fraction in its readers.", lo=-1, hi=1)
    backfire_opinion: float = param(-0.25, "Exposure: readers' opinion moves this fraction toward -1.", lo=-1, hi=1)
    backfire_reach: float = param(0.05, "Exposure: share of consumers who hear of it.", lo=0, hi=1)
    backfire_anger_prob: float = param(0.05, "Exposure: chance a reader who is not ANGRY turns ANGRY.", lo=0, hi=1)
    backfire_share_prob: float = param(0.2, "Exposure: chance an ANGRY reader passes the news on.", lo=0, hi=1)


@dataclass(frozen=True)
class ActionsParams:
    """Effect parameters of each brand action."""

    remedy: RemedyEffect = field(default_factory=RemedyEffect)
    holding_reply: HoldingReplyEffect = field(default_factory=HoldingReplyEffect)
    apology: ApologyEffect = field(default_factory=ApologyEffect)
    deflect: DeflectEffect = field(default_factory=DeflectEffect)
    attack: AttackEffect = field(default_factory=AttackEffect)
    legal: LegalEffect = field(default_factory=LegalEffect)
    solicit_reviews: SolicitReviewsEffect = field(default_factory=SolicitReviewsEffect)


@dataclass(frozen=True)
class AmplifierParams:
    """An influencer, video blogger or newsroom that picks the story up."""

    name: str = param("press", "Label shown in outputs.", source=NOT_A_MODEL_PARAMETER)
    threshold: float = param(
        30.0,
        "Negative mentions per hour (over window_h) that make it take the story.",
        unit="posts/h",
        lo=0,
        lo_open=True,
    )
    window_h: float = param(6.0, "Window of the mention rate it watches.", unit="h", lo=0, lo_open=True)
    delay_h: float = param(
        0.0,
        "Latency from crossing the threshold to publication (the press takes time to mobilise).",
        unit="h",
        lo=0,
        source="CASES.md: Apple, Kryptonite",
    )
    audience_share: float = param(
        0.2, "Share of consumers the story reaches (beyond the network).", unit="share", lo=0, hi=1
    )
    story_weight: float = param(3.0, "A story counts as this many negative posts for its readers.", unit="posts", lo=0)
    anger_boost: float = param(
        0.3,
        "Anger of readers already ANGRY moves this fraction toward 1.",
        lo=0,
        hi=1,
        source="CASES.md: Kia provocateur organised an attack",
    )
    repeats: int = param(1, "How many stories it publishes.", lo=1)
    interval_h: float = param(24.0, "Time between stories.", unit="h", lo=0, lo_open=True)
    search_weight: float = param(50.0, "Findable content a story adds, in posts.", unit="posts", lo=0)


@dataclass(frozen=True)
class Scenario:
    """A whole, validated scenario."""

    name: str = param("scenario", "Short name (used for the results folder).", source=NOT_A_MODEL_PARAMETER)
    description: str = param("", "What the scenario represents.", source=NOT_A_MODEL_PARAMETER)
    seed: int = param(
        1, "Root seed; replication r uses child r of SeedSequence(seed).", lo=0, source=NOT_A_MODEL_PARAMETER
    )
    replications: int = param(
        1, "Runs of the scenario, replication r seeded by child r of the seed.", lo=1, source=NOT_A_MODEL_PARAMETER
    )
    simulation: SimulationParams = field(default_factory=SimulationParams)
    population: PopulationParams = field(default_factory=PopulationParams)
    network: NetworkParams = field(default_factory=NetworkParams)
    complaint: ComplaintParams = field(default_factory=ComplaintParams)
    spread: SpreadParams = field(default_factory=SpreadParams)
    search: SearchParams = field(default_factory=SearchParams)
    churn: ChurnParams = field(default_factory=ChurnParams)
    brand: BrandParams = field(default_factory=BrandParams)
    actions: ActionsParams = field(default_factory=ActionsParams)
    amplifiers: list = param([], "List of [[amplifiers]] tables.", source=NOT_A_MODEL_PARAMETER)

    @property
    def steps(self) -> int:
        """Number of steps of a run (the horizon rounded up to whole steps)."""
        import math

        return max(1, math.ceil(self.simulation.days * 24 / self.simulation.dt_hours - 1e-9))


SECTIONS = {
    "simulation": SimulationParams,
    "population": PopulationParams,
    "network": NetworkParams,
    "complaint": ComplaintParams,
    "spread": SpreadParams,
    "search": SearchParams,
    "churn": ChurnParams,
    "brand": BrandParams,
}
LIST_ITEMS = {"amplifiers": AmplifierParams, "brand.schedule": ActionSpec}


def is_section(f) -> bool:
    """Whether a dataclass field is a nested table rather than a value."""
    return f.default is MISSING and not f.metadata


def describe(cls=Scenario, prefix: str = "") -> list[dict]:
    """Every parameter as a row: key, unit, default, allowed, meaning, source."""
    rows = []
    for f in fields(cls):
        key = f"{prefix}{f.name}"
        if is_section(f):
            rows += describe(f.default_factory, key + ".")
            continue
        m = f.metadata
        default = f.default if f.default is not MISSING else f.default_factory()
        rows.append(
            dict(
                key=key, unit=m["unit"], default=default, allowed=allowed_text(f), meaning=m["doc"], source=m["source"]
            )
        )
        item = LIST_ITEMS.get(key)
        if item is not None:
            rows += describe(item, key + "[].")
    return rows


def allowed_text(f) -> str:
    """The allowed values of a field, in words."""
    m = f.metadata
    if m["choices"]:
        return "one of " + ", ".join(m["choices"])
    kind = {bool: "true/false", int: "integer", float: "number", str: "text", list: "list"}.get(_field_type(f), "value")
    lo, hi = m["lo"], m["hi"]
    if lo is not None and hi is not None:
        return f"{kind} in {'(' if m['lo_open'] else '['}{lo:g}, {hi:g}]"
    if lo is not None:
        return f"{kind} {'>' if m['lo_open'] else '>='} {lo:g}"
    return kind


def _field_type(f) -> type:
    return {"float": float, "int": int, "bool": bool, "str": str, "list": list}.get(str(f.type), object)


def markdown_table() -> str:
    """The parameter table of scenarios/README.md and docs (generated, so it never drifts)."""
    lines = ["| key | unit | default | allowed | meaning | source |", "|---|---|---|---|---|---|"]
    for r in describe():
        default = r["default"]
        shown = (
            "[]"
            if default == []
            else (
                f'"{default}"'
                if isinstance(default, str)
                else str(default).lower()
                if isinstance(default, bool)
                else f"{default}"
            )
        )
        lines.append(f"| `{r['key']}` | {r['unit']} | {shown} | {r['allowed']} | {r['meaning']} | {r['source']} |")
    return "\n".join(lines) + "\n"
