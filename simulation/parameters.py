"""Every parameter of the model, documented once: name, unit, default, allowed values, source.

A scenario file is a TOML document whose tables mirror the dataclasses below (`[simulation]`,
`[population]`, `[network]`, `[complaint]`, `[spread]`, `[attention]`, `[search]`, `[churn]`, `[brand]`,
`[actions.<name>]`, `[[amplifiers]]`). `simulation.scenario` loads and validates it against this
schema; `python run.py keys` and `scenarios/README.md` print this schema as a table.

Rates are per hour and become per-step chances as p = 1 - exp(-rate * dt). Opinions live in
[-1, 1]; anger (arousal) in [0, 1]. "Fraction toward +1" means the gap to +1 closes by that share.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, make_dataclass

from .actions import ACTION_NAMES, ACTIONS
from .network import EDGE_MEANINGS, HEADER_CHOICES, KINDS
from .schema import NOT_A_MODEL_PARAMETER, allowed_text, default_of, is_section, param
from .strategies import STRATEGY_NAMES, default_delays_text


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
        source="design choice: a month holds a buzz and its aftermath; up to a year",
    )
    dt_hours: float = param(
        1.0,
        "Length of one step. Rates are per hour, so results converge as dt shrinks.",
        unit="h",
        lo=0,
        hi=24,
        lo_open=True,
        source="attention half-lives are hours (bitly 2011); replies are expected within the hour",
    )


# Fewer consumers than this cannot make a buzz worth the name (nor a network of its own): refused,
# for a generated population and for a network file's node count alike.
MIN_POPULATION = 10


@dataclass(frozen=True)
class PopulationParams:
    """The consumers: size, opinions, customers, activity."""

    size: int = param(
        2000,
        "Number of consumers. For a network file, its node count (must match if given).",
        unit="consumers",
        lo=MIN_POPULATION,
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


NETWORK_KINDS = KINDS  # declared with the generators (simulation.network)


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
        "erdos_renyi, stochastic_block: mean degree; directed_scale_free: mean followers per consumer "
        "(at least 1); well_mixed: readers per post.",
        unit="consumers",
        lo=0,
        lo_open=True,
    )
    blocks: int = param(4, "stochastic_block: number of communities.", lo=1)
    uniform_in: float = param(
        0.3,
        "directed_scale_free: share of follow links whose followed account is drawn uniformly rather than "
        "by its number of followers (less: followers concentrate on fewer accounts).",
        unit="share",
        lo=0,
        hi=0.99,
        source="assumption: the top 1% of accounts then hold about a third of all follows",
    )
    uniform_out: float = param(
        0.5,
        "directed_scale_free: share of follow links whose follower is drawn uniformly rather than by how "
        "many accounts it follows.",
        unit="share",
        lo=0,
        hi=0.99,
        source="assumption",
    )
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
    header: bool | str = param(
        "auto",
        "file: whether the first line names the columns; auto: when its two fields are common column names "
        "(source/target, from/to, src/dst, u/v, node1/node2, any case) or it is the only non-numeric line "
        "of a numeric file.",
        choices=HEADER_CHOICES,
        source=NOT_A_MODEL_PARAMETER,
    )
    nodes_path: str = param(
        "",
        "Node table: a CSV with a label column and optional customer (0/1), follows_brand (0/1) and activity "
        "columns, overriding the drawn values for the consumers it lists (path as network.path).",
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
    node: int | str = param(
        0,
        "placement = node: the complainant, by its label in the network file (an integer or a text), "
        "or its number 0..size-1 in a generated network.",
        source=NOT_A_MODEL_PARAMETER,
    )
    persistent: bool = param(
        True,
        "Complainants with an open grievance keep at it: not stifled, anger fading "
        "with grievance_half_life_h, until remedied or silenced.",
        source="docs/cases.md: the Porsche 991 complainant posted for months",
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
        source="docs/cases.md: Private Outlet; everyday #fail posts",
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
        plausible=(0.1, 0.5),
        plausible_why="a post's organic reach in followers' feeds differs by platform and ranking: a tenth to a half",
    )
    anger_dose: float = param(
        0.45,
        "Complex contagion: after e negative posts read, the chance of having "
        "turned ANGRY is 1 - exp(-anger_dose * e^contagion_exponent), e counting distinct posters.",
        lo=0,
        source="calibrated with the attention defaults: 5% of 400 single random complaints reach >1% of "
        "20,000 consumers (3% went viral in Herhausen et al. 2019)",
        plausible=(0.2, 0.9),
        plausible_log=True,
        plausible_why="not measured for complaints: half to twice the default",
    )
    contagion_exponent: float = param(
        1.5,
        "Super-linear dose exponent (1 = simple contagion, one independent chance per post).",
        lo=1,
        hi=4,
        source="complex contagion (Centola & Macy 2007); exponent assumed",
        plausible=(1.0, 2.5),
        plausible_why="from simple contagion (1) to strong reinforcement; its size is not measured",
    )
    customer_susceptibility: float = param(
        2.0,
        "Multiplier of anger_dose for customers (it is their money).",
        lo=0,
        plausible=(1.0, 4.0),
        plausible_log=True,
        plausible_why="customers at least as easily angered as others; the factor is not measured",
    )
    calmed_susceptibility: float = param(
        1.0,
        "Multiplier of anger_dose for CALMED readers, on top of the fatigue of attention.vented_susceptibility "
        "(1: being CALMED adds nothing; 0: CALMED readers are immune, as stiflers and the recovered of the "
        "rumour and SIR reductions).",
        lo=0,
    )
    initial_anger: float = param(
        0.7, "Anger of a reader who turns ANGRY.", lo=0, hi=1, plausible=(0.4, 1.0), plausible_why="assumed"
    )
    anger_half_life_h: float = param(
        3.0,
        "Half-life of anger (attention).",
        unit="h",
        lo=0,
        lo_open=True,
        source="link half-lives 2.8 h Twitter, 3.2 h Facebook (bitly 2011)",
        plausible=(1.0, 12.0),
        plausible_log=True,
        plausible_why="online attention half-lives of a few hours",
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
        plausible=(0.02, 0.3),
        plausible_log=True,
        plausible_why="rumour models leave the stifling strength free",
    )
    negative_impact: float = param(
        0.05,
        "Opinion moves this fraction toward -1 per negative post read.",
        lo=0,
        hi=1,
        plausible=(0.02, 0.1),
        plausible_log=True,
        plausible_why="half to twice the default",
    )
    positive_impact: float = param(
        0.03,
        "Opinion moves this fraction toward +1 per positive post read.",
        lo=0,
        hi=1,
        plausible=(0.01, 0.06),
        plausible_log=True,
        plausible_why="half to twice the default; at most about the negative impact",
    )
    anger_boost: float = param(
        0.1, "Anger of an ANGRY reader moves this fraction toward 1 per negative post.", lo=0, hi=1
    )
    soothe: float = param(0.1, "Anger falls by this fraction per positive post read.", lo=0, hi=1)
    drift_half_life_h: float = param(
        720.0,
        "Half-life of an opinion's distance to its prior (forgetting).",
        unit="h",
        lo=0,
        lo_open=True,
        plausible=(240.0, 2160.0),
        plausible_log=True,
        plausible_why="opinions forgotten over weeks to months",
    )
    expected_reply_h: float = param(
        1.0,
        "Silence clock: time after a complaint from which brand silence counts against it.",
        unit="h",
        lo=0,
        source="project design notes: 72% of complainants expect a reply within an hour "
        "(an industry survey; no primary source given)",
    )
    silence_multiplier: float = param(
        1.5,
        "Weight of negative posts while the brand is silent past expected_reply_h.",
        lo=1,
        plausible=(1.0, 2.5),
        plausible_why="from no penalty of silence to a strong one",
    )
    advocate_half_life_h: float = param(
        24.0,
        "Half-life of an ADVOCATE's arousal (how long they keep defending the brand). A remedied "
        "complainant defends the brand as long as he complained: his advocacy fades with "
        "complaint.grievance_half_life_h.",
        unit="h",
        lo=0,
        lo_open=True,
    )


@dataclass(frozen=True)
class AttentionParams:
    """Collective attention and fatigue: stories age, doses are forgotten, venting tires."""

    novelty_half_life_h: float = param(
        12.0,
        "Age at which a story's pull on its readers (the anger dose of the posts it inspires) is halved: "
        "pull = 2^(-(age / half-life)^novelty_exponent).",
        unit="h",
        lo=0,
        lo_open=True,
        source="assumption, set so that buzzes are over within days (Lamba, Malik & Pfeffer 2015: 80 "
        "Twitter firestorms, each over within days); novelty decays with a story's age whatever the "
        "network (Wu & Huberman 2007)",
        plausible=(4.0, 36.0),
        plausible_log=True,
        plausible_why="a story's pull halves within hours to a day and a half",
    )
    novelty_exponent: float = param(
        0.4,
        "Stretched-exponential exponent of a story's novelty (1: exponential; below 1: fast early decay "
        "with a long tail).",
        lo=0,
        hi=2,
        lo_open=True,
        source="Wu & Huberman 2007: novelty of news stories decays as a stretched exponential with exponent about 0.4",
    )
    dose_half_life_h: float = param(
        48.0,
        "Half-life of a consumer's accumulated anger dose (past exposure is forgotten).",
        unit="h",
        lo=0,
        lo_open=True,
        source="assumption: exposure is forgotten over days",
        plausible=(12.0, 168.0),
        plausible_log=True,
        plausible_why="past exposure forgotten within a day to a week",
    )
    vented_susceptibility: float = param(
        0.3,
        "Fatigue: multiplier of anger_dose for each time a consumer has already been ANGRY (after k "
        "episodes, anger_dose * vented_susceptibility^k).",
        lo=0,
        hi=1,
        source="assumption (it was 0.3 for CALMED readers before fatigue compounded)",
        plausible=(0.1, 0.6),
        plausible_why="assumed fatigue after an episode of anger",
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
        source="assumption: findable content fades over weeks (3 weeks)",
    )
    search_rate_per_h: float = param(
        0.0005,
        "Rate at which a consumer looks the brand up.",
        unit="1/h",
        lo=0,
        plausible=(0.0001, 0.002),
        plausible_log=True,
        plausible_why="a consumer looks a brand up every few weeks to every year",
    )
    findability: float = param(
        1.0,
        "Chance one search finds the story: 1 - exp(-findability * stock / N).",
        lo=0,
        source="assumption: a buzz of about one post per consumer is found half the time",
    )
    found_impact: float = param(
        0.1,
        "Opinion moves this fraction toward -1 when a search finds the story.",
        lo=0,
        hi=1,
        plausible=(0.03, 0.2),
        plausible_log=True,
        plausible_why="half to twice the default, about",
    )


@dataclass(frozen=True)
class ChurnParams:
    """Customers leaving."""

    max_rate_per_h: float = param(
        0.004,
        "Churn hazard of a customer whose opinion fell by 2 (from +1 to -1).",
        unit="1/h",
        lo=0,
        source="calibrated to TARP: 46% loyalty if not resolved (Tripathy et al. 2010)",
        plausible=(0.001, 0.01),
        plausible_log=True,
        plausible_why="a fully disappointed customer leaves within days to weeks",
    )
    exponent: float = param(
        2.0, "Hazard = max_rate * (drop/2)^exponent, drop = prior - opinion if positive.", lo=0.5, hi=5
    )


ANCHORS = ("detection", "complaint", "start")


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
class StrategyParams:
    """A strategy of the scenario's own ([strategies.NAME]): a schedule, compared like a preset."""

    description: str = param(
        "", "What the strategy represents (shown by `list` and in reports).", source=NOT_A_MODEL_PARAMETER
    )
    schedule: list = param(
        [], "Its actions: a non-empty list of {action, at_hours, anchor} tables.", source=NOT_A_MODEL_PARAMETER
    )


@dataclass(frozen=True)
class BrandParams:
    """The brand: monitoring, audience, strategy."""

    strategy: str = param(
        "ignore",
        "Named strategy: a preset schedule, one of the scenario's [strategies.NAME], or custom (uses brand.schedule).",
        allowed="one of " + ", ".join(STRATEGY_NAMES) + ", or a name of [strategies]",
        source=NOT_A_MODEL_PARAMETER,
    )
    delay_hours: float = param(
        -1.0,
        f"Time of the preset's decisive action after its anchor; -1 = the preset's default ({default_delays_text()}).",
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


# One table per brand action, from the action registry (each action's parameters live with it).
ActionsParams = make_dataclass(
    "ActionsParams",
    [(name, action.Effect, field(default_factory=action.Effect)) for name, action in ACTIONS.items()],
    frozen=True,
)
ActionsParams.__doc__ = "Effect parameters of each brand action ([actions.<name>] tables)."


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
        source="docs/cases.md: Apple, Kryptonite (press latency)",
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
        source="docs/cases.md: the Kia provocateur organised an attack",
    )
    repeats: int = param(1, "How many stories it publishes.", lo=1)
    interval_h: float = param(24.0, "Time between stories.", unit="h", lo=0, lo_open=True)
    search_weight: float = param(50.0, "Findable content a story adds, in posts.", unit="posts", lo=0)


@dataclass(frozen=True)
class AnalysisParams:
    """How outcomes are classified in summaries (not a model parameter: the runs do not depend on it)."""

    firestorm_reach: float = param(
        0.01,
        "A run is a firestorm when its reach_complaint exceeds this share of the consumers; the reports split "
        "outcomes into firestorms and the rest.",
        unit="share",
        lo=0,
        hi=1,
        source="the base-rate definition of a viral complaint (Herhausen et al. 2019: about 3% went viral)",
    )


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
    attention: AttentionParams = field(default_factory=AttentionParams)
    search: SearchParams = field(default_factory=SearchParams)
    churn: ChurnParams = field(default_factory=ChurnParams)
    brand: BrandParams = field(default_factory=BrandParams)
    actions: ActionsParams = field(default_factory=ActionsParams)
    analysis: AnalysisParams = field(default_factory=AnalysisParams)
    amplifiers: list = param([], "List of [[amplifiers]] tables.", source=NOT_A_MODEL_PARAMETER)
    strategies: dict = param(
        {},
        "Strategies of the scenario's own: [strategies.NAME] tables, used wherever a preset is (NAME: letters, "
        "digits, _ or -; not a preset's name).",
        source=NOT_A_MODEL_PARAMETER,
    )

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
    "attention": AttentionParams,
    "search": SearchParams,
    "churn": ChurnParams,
    "brand": BrandParams,
    "analysis": AnalysisParams,
}
LIST_ITEMS = {"amplifiers": AmplifierParams, "brand.schedule": ActionSpec, "strategies.NAME.schedule": ActionSpec}
NAMED_ITEMS = {"strategies": StrategyParams}  # tables of tables keyed by a name of the user's


def plausible_text(meta) -> str:
    """A parameter's plausible range in words ('0.1 to 0.5, log scale: why'), '' if it has none."""
    if "plausible" not in meta:
        return ""
    lo, hi = meta["plausible"]
    return f"{lo:g} to {hi:g}{', log scale' if meta['plausible_log'] else ''}: {meta['plausible_why']}"


def describe(cls=Scenario, prefix: str = "") -> list[dict]:
    """Every parameter as a row: key, unit, default, allowed, meaning, source, plausible range (for sensitivity)."""
    rows = []
    for f in fields(cls):
        key = f"{prefix}{f.name}"
        if is_section(f):
            rows += describe(f.default_factory, key + ".")
            continue
        m = f.metadata
        rows.append(
            dict(
                key=key,
                unit=m["unit"],
                default=default_of(f),
                allowed=allowed_text(f),
                meaning=m["doc"],
                source=m["source"],
                plausible=plausible_text(m),
            )
        )
        item = LIST_ITEMS.get(key)
        if item is not None:
            rows += describe(item, key + "[].")
        named = NAMED_ITEMS.get(key)
        if named is not None:
            rows += describe(named, key + ".NAME.")
    return rows


def field_of(key: str, cls=Scenario):
    """The schema field of a dotted scenario key (`spread.visibility`, `actions.legal.cost`), or None."""
    head, _, rest = key.partition(".")
    for f in fields(cls):
        if f.name != head:
            continue
        if is_section(f):
            return field_of(rest, f.default_factory) if rest else None
        return None if rest else f
    return None
