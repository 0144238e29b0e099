"""What a run reports: the per-step series and the per-run metrics, with fixed definitions.

Row k of the series is the state at time k * dt hours, after everything that happened in the
step ((k-1) dt, k dt], the brand's actions and the amplifiers' stories included; row 0 is the
initial state. Post counts are per step (divide by dt for posts per hour).

Two series are retrospective, filled when the run ends (`Recorder.finish`): `turned_angry`, the
consumers who began an ANGRY episode in step k (or in the events right after it), and `r_eff`, the
mean number of consumers those consumers angered through their posts over the rest of the run
(the cohort reproduction number: above 1 the buzz grows, below 1 it dies out; NaN where nobody
turned ANGRY; the last rows are censored, their cohorts still active at the horizon).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stance import STANCE_NAMES, Route, Stance

SERIES = STANCE_NAMES + (
    "posts_negative",
    "posts_positive",
    "search_stock",
    "reputation",
    "reputation_aware",
    "reputation_customers",
    "share_negative",
    "churned",
    "turned_angry",
    "r_eff",
)
SERIES_COLUMNS = ("step", "hours") + SERIES + ("brand_action",)
NONNEGATIVE = {  # metrics that cannot be negative, whose intervals of the mean are clipped at 0
    "max_drop",
    "reputation_loss_h",
    "customer_reputation_loss_h",
    "recovery_h",
    "angry_consumer_h",
    "reach",
    "reach_network",
    "reach_story",
    "reach_search",
    "reach_brand",
    "reach_complaint",
    "peak_posts",
    "time_to_peak_h",
    "total_posts",
    "churned",
    "advocates",
    "response_cost",
    "revenue_lost",
    "actions_not_fired",
    "complainants_advocate",
    "complainants_angry",
    "complaints_per_angry_median",
    "complaints_per_angry_p99",
    "positive_after_remedy",
}
WINDOW_METRIC = "customer_reputation_loss_h"  # the damage a critical window is measured on, by default
RECOVERY_TOLERANCE = 0.1  # recovered: the reputation's deficit back under this share of its largest drop


@dataclass(frozen=True)
class Metric:
    """A per-run metric: its name, heading, unit, which direction is better, and its definition.

    `better` is "higher", "lower" or "" (no direction: times and flags); `binary` marks 0/1
    outcomes (summarised as a proportion with a Wilson interval); `percent` marks shares shown
    as percentages.
    """

    name: str
    label: str
    unit: str
    better: str
    definition: str
    binary: bool = False
    percent: bool = False

    @property
    def nonnegative(self) -> bool:
        """Whether the metric cannot be below 0 (its intervals are clipped there: the mean cannot be either)."""
        return self.name in NONNEGATIVE

    def heading(self, currency: str = "currency") -> str:
        """A column heading with the unit, e.g. 'reach (% of consumers)'."""
        unit = self.unit.replace("currency", currency)
        if self.percent:
            unit = "%" if self.binary else unit.replace("share of", "% of")
        return f"{self.label} ({unit})" if unit and unit != "-" else self.label


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "final_reputation", "final reputation", "mean opinion, -1 to 1", "higher", "mean opinion at the horizon"
        ),
        Metric(
            "reputation_drop",
            "reputation drop",
            "start minus final",
            "lower",
            "reputation at the start minus at the horizon (positive = loss)",
        ),
        Metric(
            "min_reputation", "lowest reputation", "mean opinion, -1 to 1", "higher", "lowest mean opinion over the run"
        ),
        Metric(
            "max_drop", "largest drop", "start minus lowest", "lower", "reputation at the start minus its lowest value"
        ),
        Metric(
            "reputation_loss_h",
            "reputation loss",
            "reputation x hours",
            "lower",
            "area between the starting reputation and the reputation curve while below it (trapezoid rule over "
            "the rows)",
        ),
        Metric(
            "customer_reputation_loss_h",
            "reputation loss among customers",
            "reputation x hours",
            "lower",
            "the same area for the initial customers' reputation (churned customers included)",
        ),
        Metric(
            "recovery_h",
            "recovery time",
            "h",
            "lower",
            f"hours from the first complaint until the reputation is back within {RECOVERY_TOLERANCE:.0%} of its "
            "largest drop from the start and stays there; censored at the horizon when it never is (see recovered)",
        ),
        Metric(
            "recovered",
            "recovered by the horizon",
            "share of runs",
            "higher",
            "1 if the reputation recovered (recovery_h) before the horizon, else 0 (recovery_h censored)",
            binary=True,
            percent=True,
        ),
        Metric(
            "angry_consumer_h",
            "angry consumer-hours",
            "consumer x hours",
            "lower",
            "consumer-hours spent ANGRY (the ANGRY count integrated over the run, trapezoid rule)",
        ),
        Metric(
            "reach",
            "reach",
            "share of consumers",
            "lower",
            "share of consumers other than the complainants who ever left UNAWARE",
            percent=True,
        ),
        Metric(
            "reach_network",
            "reach by followers' complaints",
            "share of consumers",
            "lower",
            "share of consumers other than the complainants who first heard from a follower's complaint",
            percent=True,
        ),
        Metric(
            "reach_story",
            "reach by stories",
            "share of consumers",
            "lower",
            "share who first heard from an amplifier's story, legal news or an exposed campaign",
            percent=True,
        ),
        Metric(
            "reach_search",
            "reach by search",
            "share of consumers",
            "lower",
            "share who first heard by finding the story in a search",
            percent=True,
        ),
        Metric(
            "reach_brand",
            "reach by the brand",
            "share of consumers",
            "",
            "share who first heard from the brand's answers or its advocates' praise",
            percent=True,
        ),
        Metric(
            "reach_complaint",
            "how far the complaint spread",
            "share of consumers",
            "lower",
            "reach by every route but the brand's own answers (network, stories, search)",
            percent=True,
        ),
        Metric(
            "peak_posts",
            "peak negative posts",
            "posts per hour",
            "lower",
            "negative posts per hour at the busiest step",
        ),
        Metric("time_to_peak_h", "time to peak", "h", "", "hours from the start to the busiest step (first on ties)"),
        Metric("total_posts", "negative posts", "posts", "lower", "negative posts over the run"),
        Metric(
            "crisis",
            "chance of a crisis",
            "share of runs",
            "lower",
            "1 if the brand's detection threshold was ever crossed, else 0",
            binary=True,
            percent=True,
        ),
        Metric(
            "firestorm",
            "chance of a firestorm",
            "share of runs",
            "lower",
            "1 if reach_complaint exceeds analysis.firestorm_reach (default 1% of the consumers), else 0",
            binary=True,
            percent=True,
        ),
        Metric("detection_h", "detection", "h", "", "time of detection (NaN if never)"),
        Metric("first_action_h", "first action", "h", "", "time of the brand's first action (NaN if none)"),
        Metric("amplified_h", "first story", "h", "", "time of the first amplifier story (NaN if none)"),
        Metric(
            "crisis_duration_h",
            "crisis duration",
            "h",
            "lower",
            "first complaint to the last hour at or above the detection threshold (NaN if never)",
        ),
        Metric(
            "ongoing_at_horizon",
            "still ongoing",
            "share of runs",
            "lower",
            "1 if the mention rate is still at or above the threshold at the horizon",
            binary=True,
            percent=True,
        ),
        Metric("churned", "churned customers", "customers", "lower", "customers who left"),
        Metric("advocates", "advocates", "consumers", "higher", "consumers who ever turned ADVOCATE"),
        Metric("response_cost", "response cost", "currency", "lower", "what the brand spent on its actions"),
        Metric("revenue_lost", "revenue lost", "currency", "lower", "churned customers times customer value"),
        Metric(
            "actions_not_fired",
            "actions not fired",
            "actions",
            "",
            "scheduled actions that never fired (anchor never happened, or past the horizon)",
        ),
        Metric(
            "complainants_advocate",
            "complainants defending",
            "consumers",
            "higher",
            "complainants who are ADVOCATEs at the horizon",
        ),
        Metric(
            "complainants_angry", "complainants still angry", "consumers", "lower", "complainants ANGRY at the horizon"
        ),
        Metric(
            "complaints_per_angry_median",
            "complaints per angry consumer (median)",
            "posts",
            "",
            "median number of complaints posted by the consumers who ever turned ANGRY",
        ),
        Metric(
            "complaints_per_angry_p99",
            "complaints per angry consumer (99th percentile)",
            "posts",
            "",
            "99th percentile of the complaints posted by the consumers who ever turned ANGRY",
        ),
        Metric(
            "positive_after_remedy",
            "praise after the remedy",
            "posts",
            "higher",
            "positive posts after the brand's first remedy (NaN if none)",
        ),
    )
}


class Recorder:
    """Per-step series of one run, in one preallocated table (row k of `table` is the series' k-th value).

    The step loop writes the rows of the recorded series (`kernels.record`: the first 13 of
    SERIES, in order); `data` names each series' row of the table.
    """

    def __init__(self, steps: int, dt: float):
        self.dt = dt
        self.table = np.zeros((len(SERIES), steps + 1))
        self.data = {name: self.table[i] for i, name in enumerate(SERIES)}
        self.actions = [""] * (steps + 1)

    def record(self, k: int, model) -> None:
        """Record row k of the series from the model's current state (`kernels.record_now`)."""
        from . import kernels

        pop = model.population
        kernels.record_now(pop.consumers, pop.rules, k, self.table, model.now)

    def finish(self, model) -> None:
        """Fill the retrospective series from the cohorts of ANGRY episodes (at the end of a run)."""
        size, offspring = (c[: len(self.actions)] for c in model.population.cohorts)
        self.data["turned_angry"][:] = size
        with np.errstate(invalid="ignore", divide="ignore"):
            self.data["r_eff"][:] = np.where(size > 0, offspring / size, np.nan)

    def frame(self) -> pd.DataFrame:
        """The series as a DataFrame (see :func:`series_frame`)."""
        return series_frame(self.data, self.actions, self.dt)


def series_frame(data: dict[str, np.ndarray], actions: list[str], dt: float) -> pd.DataFrame:
    """Per-step series as a DataFrame: `step, hours`, the series (counts as integers), `brand_action`."""
    steps = len(actions)
    df = pd.DataFrame({"step": np.arange(steps), "hours": np.arange(steps) * dt, **data})
    for name in STANCE_NAMES + ("churned",):
        df[name] = df[name].astype(np.int64)
    df["brand_action"] = actions
    return df


def mention_rate_series(posts_negative: np.ndarray, window_h: float, dt: float) -> np.ndarray:
    """Negative posts per hour over the trailing window ending at each row."""
    w = max(1, int(round(window_h / dt)))
    c = np.concatenate([[0.0], np.cumsum(posts_negative)])
    k = np.arange(1, len(c))
    return (c[k] - c[np.maximum(0, k - w)]) / (w * dt)


def run_metrics(model) -> dict:
    """The per-run metrics (:data:`METRICS`) of a finished model."""
    d, dt = model.recorder.data, model.dt
    pop, brand, sc = model.population, model.brand, model.sc
    rep = d["reputation"]
    posts = d["posts_negative"]
    rate = mention_rate_series(posts, sc.brand.detection_window_h, dt)
    above = np.flatnonzero(rate >= sc.brand.detection_threshold)
    start = brand.first_complaint_h if not math.isnan(brand.first_complaint_h) else 0.0
    others = ~pop.complainant
    n_others = int(others.sum())
    amplified = [h for a in model.amplifiers for h in a.published_h]
    peak = int(np.argmax(posts))
    routes = reach_by_route(pop, others, n_others)
    values = {
        "final_reputation": float(rep[-1]),
        "reputation_drop": float(rep[0] - rep[-1]),
        "min_reputation": float(rep.min()),
        "max_drop": float(rep[0] - rep.min()),
        "reputation_loss_h": loss_area(rep, dt),
        "customer_reputation_loss_h": loss_area(d["reputation_customers"], dt),
        **recovery(rep, dt, start),
        "angry_consumer_h": float(np.trapezoid(d["angry"], dx=dt)),
        "reach": float(np.count_nonzero((pop.stance != Stance.UNAWARE) & others) / n_others) if n_others else math.nan,
        **routes,
        "peak_posts": float(posts[peak] / dt),
        "time_to_peak_h": float(peak * dt),
        "total_posts": float(posts.sum()),
        "crisis": int(not math.isnan(brand.detected_h)),
        "firestorm": int(routes["reach_complaint"] > sc.analysis.firestorm_reach),
        "detection_h": float(brand.detected_h),
        "first_action_h": float(brand.fired[0][0]) if brand.fired else math.nan,
        "amplified_h": float(min(amplified)) if amplified else math.nan,
        "crisis_duration_h": float(above[-1] * dt - start) if len(above) else math.nan,
        "ongoing_at_horizon": int(rate[-1] >= sc.brand.detection_threshold),
        "churned": int(np.count_nonzero(pop.churned)),
        "advocates": int(np.count_nonzero(pop.ever_advocate)),
        "response_cost": float(brand.cost),
        "revenue_lost": float(np.count_nonzero(pop.churned) * sc.population.customer_value),
        "actions_not_fired": len(brand.unfired),
        "complainants_advocate": int(np.count_nonzero(pop.complainant & (pop.stance == Stance.ADVOCATE))),
        "complainants_angry": int(np.count_nonzero(pop.complainant & (pop.stance == Stance.ANGRY))),
        "positive_after_remedy": positive_after(d["posts_positive"], brand.fired, "remedy", dt),
        **complaints_per_angry(pop),
    }
    return {name: values[name] for name in METRICS}  # in the registry's order


def loss_area(series: np.ndarray, dt: float) -> float:
    """The area between a series' start and the series while below it (value x hours, trapezoid rule)."""
    deficit = np.maximum(series[0] - series, 0.0)
    return float(np.trapezoid(deficit, dx=dt))


def recovery(series: np.ndarray, dt: float, start_h: float = 0.0) -> dict:
    """`recovery_h` and `recovered` of a reputation series.

    The reputation has recovered from the first row after which its deficit below the start stays
    within RECOVERY_TOLERANCE of the largest deficit; recovery_h counts from the first complaint
    (`start_h`). A series that never drops has recovered at the first complaint; one still outside
    the tolerance at its last row has not (recovery_h is then censored: the horizon minus start_h).
    """
    deficit = np.maximum(series[0] - series, 0.0)
    worst = float(deficit.max())
    horizon = (len(series) - 1) * dt
    if worst <= 0:
        return {"recovery_h": 0.0, "recovered": 1}
    outside = np.flatnonzero(deficit > RECOVERY_TOLERANCE * worst)
    last = int(outside[-1])
    if last == len(series) - 1:
        return {"recovery_h": float(horizon - start_h), "recovered": 0}
    return {"recovery_h": float(max((last + 1) * dt - start_h, 0.0)), "recovered": 1}


def complaints_per_angry(pop) -> dict:
    """The median and 99th percentile of the complaints posted by the consumers who ever turned ANGRY."""
    posted = pop.complaints_posted[pop.episodes > 0]
    if not len(posted):
        return {"complaints_per_angry_median": math.nan, "complaints_per_angry_p99": math.nan}
    return {
        "complaints_per_angry_median": float(np.median(posted)),
        "complaints_per_angry_p99": float(np.percentile(posted, 99)),
    }


def reach_by_route(pop, others: np.ndarray, n_others: int) -> dict:
    """Reach split by route.

    `reach` split by the route through which each consumer first heard (the parts add up to
    reach), and `reach_complaint`: every route but the brand's own answers.
    """
    counts = np.bincount(pop.route[others], minlength=len(Route))
    share = {
        f"reach_{r.name.lower()}": counts[r] / n_others if n_others else math.nan for r in Route if r != Route.NONE
    }
    share["reach_complaint"] = share["reach_network"] + share["reach_story"] + share["reach_search"]
    return {k: float(v) for k, v in share.items()}


def positive_after(posts_positive: np.ndarray, fired: list, action: str, dt: float) -> float:
    """Positive posts after the first time the brand took `action` (NaN if it never did)."""
    times = [h for h, name in fired if name == action]
    if not times:
        return math.nan
    first_row = int(math.floor(times[0] / dt + 1e-9)) + 1  # the rows of the steps after the action
    return float(posts_positive[first_row:].sum())
