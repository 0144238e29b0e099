"""Forecast a live buzz under each response (`python run.py forecast`).

From the data observed so far (the first `until` hours after the first complaint seen) and a
posterior over the scenario's uncertain keys (`simulation.calibrate`: fitted here on those hours,
or reused with `--posterior DIR`), what happens next if the brand responds now, later, or not at all?

**Draws and runs.** `draws` parameter sets are resampled from the posterior by weight; each is run
`replications` times (replication k = draw x replications + r of the root seed). Each run is first
made with the strategy actually followed during the observed period (the scenario's), and seen
through the listening tool as in calibration (Poisson(capture x posts), aligned on the first bin
with a complaint seen): that fixes *now* in the run's own clock, `now_h` = the first bin seen +
`until` hours. Then, for each strategy, the run is made again from the start with the same seed and
a schedule that keeps the actions the followed strategy took before now and adds the strategy's own
from now on: a preset's actions (anchored at the brand's detection by default) are anchored at now,
`NAME@H` putting its decisive action H hours after now; actions a scenario's own strategy anchors
explicitly at the start or the first complaint keep their times, those already past dropped. On
common random numbers every branch is identical to the followed run until now and differs only by
the response (a test checks it).

**What is reported.** Per strategy, the damage metrics of the registry over the whole run (the past
is shared, so differences come from the future): mean with a 95% interval, 5–95% range, P(firestorm)
with a Wilson interval; paired differences between strategies (draw by draw, replication by
replication) with t intervals and P(A better than B); and the share of each metric's variance that
comes from the parameters (between draws) rather than from chance (within a draw, over its
replications), by the law of total variance with the within-draw part corrected for the finite
number of replications.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .calibrate import (
    CAPTURE,
    Settings,
    aligned,
    binned,
    check_fit,
    observation_rng,
    observe,
)
from .mentions import ObservedSeries
from .scenario import ScenarioError, load_scenario, strategy_overrides, to_dict, to_toml, with_changes

FORECAST_METRICS = (
    "customer_reputation_loss_h",
    "reputation_loss_h",
    "final_reputation",
    "total_posts",
    "peak_posts",
    "churned",
)  # the registry's damage metrics a forecast reports (with P(firestorm))
FIRESTORM = "firestorm"
DEFAULT_DRAWS = 40
DEFAULT_REPLICATIONS = 5
DRAW_STREAM = 0xF0CA  # spawn key, under the root seed, of the posterior resampling
FORECAST_JSON = "forecast.json"
RUNS_CSV = "runs.csv"
SUMMARY_CSV = "forecast_summary.csv"
DIFFERENCES_CSV = "differences.csv"
UNCERTAINTY_CSV = "uncertainty.csv"
SERIES_NPZ = "series.npz"
BAND = (0.05, 0.95)


# -- the strategies compared ------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """One response compared: a strategy, and for a preset the delay of its decisive action after now."""

    strategy: str
    delay_h: float | None = None  # None: the strategy's own timing

    @property
    def label(self) -> str:
        """As written on the command line: 'quick_fix@24', or the name."""
        return self.strategy if self.delay_h is None else f"{self.strategy}@{self.delay_h:g}"

    @property
    def words(self) -> str:
        """For figures and reports: 'quick_fix in 24 h', 'quick_fix now'."""
        if self.delay_h is None:
            return self.strategy
        return f"{self.strategy} now" if self.delay_h == 0 else f"{self.strategy} in {self.delay_h:g} h"


def parse_branches(text: str, sc) -> list[Branch]:
    """`--strategies A,B@24,...`: names of the scenario's strategies or presets, a preset optionally @HOURS."""
    from .strategies import CUSTOM, PRESETS, strategy_names

    allowed = [s for s in strategy_names(sc) if s != CUSTOM]
    out = []
    for item in [x.strip() for x in str(text or "").split(",")]:
        if not item:
            raise ScenarioError("--strategies", str(text), "an empty name; write A,B,C (a preset may take @HOURS)")
        name, at, delay = item.partition("@")
        if name not in allowed:
            raise ScenarioError("--strategies", name, f"unknown strategy; allowed: {', '.join(allowed)}")
        if at:
            try:
                d = float(delay)
            except ValueError:
                d = math.nan
            if not (math.isfinite(d) and d >= 0):
                raise ScenarioError("--strategies", item, "@HOURS takes hours >= 0 after now (quick_fix@24)")
            if name not in PRESETS or not PRESETS[name].actions:
                raise ScenarioError("--strategies", item, "@HOURS times a preset's decisive action; this has none")
            out.append(Branch(name, d))
        else:
            out.append(Branch(name))
    labels = [b.label for b in out]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ScenarioError("--strategies", twice[0], "given twice")
    return out


def _anchor_times(sc, detection_h: float) -> dict[str, float]:
    return {"start": 0.0, "complaint": 0.0, "detection": detection_h}


def branch_changes(sc, detection_h: float, now_h: float, branch: Branch) -> dict:
    """The scenario keys of a branch: the followed strategy's actions before now, then the branch's from now.

    `detection_h` is when the followed run detected the crisis (NaN: never), `now_h` the run's now.
    """
    from .brand import schedule_for

    past = []
    times = _anchor_times(sc, detection_h)
    for spec in schedule_for(sc):
        t = times[spec.anchor] + spec.at_hours
        if math.isfinite(t) and t < now_h:
            past.append((t, spec.action))
    own = with_changes(sc, strategy_overrides(branch.strategy), source="--strategies")
    if branch.delay_h is not None:
        own = with_changes(own, {"brand.delay_hours": branch.delay_h}, source="--strategies")
    future = []
    for spec in schedule_for(own):
        if spec.anchor == "detection":
            future.append((now_h + spec.at_hours, spec.action))
        else:
            t = times[spec.anchor] + spec.at_hours
            if t >= now_h:
                future.append((t, spec.action))
    entries = [{"action": a, "at_hours": float(t), "anchor": "start"} for t, a in sorted(past) + sorted(future)]
    if not entries:
        return {"brand.strategy": "ignore"}
    return {"brand.strategy": "custom", "brand.schedule": entries}


# -- one draw ----------------------------------------------------------------------------------------

SERIES = ("posts_negative", "posts_positive", "reputation", "reputation_customers")


def simulate_draw(
    base: dict,
    changes: dict,
    capture: float,
    seed: int,
    runs: list[int],
    branches: list[tuple[str, float | None]],
    until_h: float,
    shape: dict,
) -> list[dict]:
    """The runs of one posterior draw: for each replication, the followed run and every branch from its now.

    Returns one dict per (run, branch): its metrics, the run's now (h, model clock), its alignment
    offset (bins), and its aligned series per bin (negative mentions as the tool would count them,
    the reputations at each bin's end).
    """
    from .runner import run_replication

    sc0 = with_changes(load_scenario(base), changes, source="posterior")
    bin_h, spb = shape["bin_hours"], shape["steps_per_bin"]
    out = []
    for k in runs:
        followed = run_replication(sc0, seed, k, series=("posts_negative", "posts_positive"))
        neg = binned(followed.series["posts_negative"], spb, shape["total_bins"])
        pos = binned(followed.series["posts_positive"], spb, shape["total_bins"])
        _, _, offset = aligned(*observe(neg, pos, capture, observation_rng(seed, k)), shape["total_bins"])
        now_h = offset * bin_h + until_h
        for name, delay in branches:
            sc = with_changes(sc0, branch_changes(sc0, followed.metrics["detection_h"], now_h, Branch(name, delay)))
            rep = run_replication(sc, seed, k, series=SERIES)
            series = {}
            for s in SERIES:
                values = np.asarray(rep.series[s], np.float64)
                if s.startswith("posts"):
                    per_bin = binned(values, spb, shape["total_bins"])
                    series[s] = capture * per_bin[offset:]  # expected mentions the tool counts
                else:
                    series[s] = values[spb * offset :: spb][: shape["total_bins"] - offset]  # at bin edges
            out.append(
                {
                    "run": k,
                    "branch": Branch(name, delay).label,
                    "offset": offset,
                    "now_h": now_h,
                    "metrics": rep.metrics,
                    "series": series,
                    "series_before_now": {  # for the common-random-numbers check
                        s: np.asarray(rep.series[s][: int(round(now_h / sc.simulation.dt_hours)) + 1])
                        for s in ("posts_negative", "reputation")
                    },
                }
            )
    return out


# -- settings, posterior, run -----------------------------------------------------------------------


@dataclass
class Forecast:
    """What a forecast compares, from which data and posterior."""

    until_h: float
    branches: list[Branch]
    draws: int = DEFAULT_DRAWS
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0
    followed: str = "ignore"
    posterior: str = ""  # the calibration folder the posterior comes from
    metrics: list[str] = field(default_factory=lambda: list(FORECAST_METRICS))

    def to_json(self) -> str:
        """forecast.json."""
        d = asdict(self)
        d["branches"] = [b.label for b in self.branches]
        return json.dumps(d, indent=2) + "\n"

    @property
    def labels(self) -> list[str]:
        """The branches as written."""
        return [b.label for b in self.branches]


def check_until(until_h: float, observed: ObservedSeries, base) -> ObservedSeries:
    """The data cut at `until` hours (whole bins); one line if `until` is not inside the data or the horizon."""
    bin_h = observed.bin_hours
    if not (math.isfinite(until_h) and until_h > 0):
        raise ScenarioError("--until", f"{until_h:g}", "hours > 0 after the first complaint seen")
    if until_h > observed.span_h + 1e-9:
        raise ScenarioError(
            "--until",
            f"{until_h:g}",
            f"beyond the data: {observed.source} covers {observed.span_h:g} h from the first complaint seen",
        )
    k = until_h / bin_h
    if abs(k - round(k)) > 1e-6:
        raise ScenarioError("--until", f"{until_h:g}", f"a whole number of the data's bins ({bin_h:g} h)")
    horizon_h = base.simulation.days * 24
    if until_h >= horizon_h:
        raise ScenarioError(
            "--until", f"{until_h:g}", f"not before the scenario's horizon ({horizon_h:g} h): nothing left to forecast"
        )
    return observed.until(until_h)


def posterior_from(folder: Path, base, until_h: float) -> tuple[Settings, pd.DataFrame]:
    """A calibration folder's posterior (its last generation), checked to be of this scenario and these hours.

    Raises:
        ScenarioError: naming --posterior, when it is not a finished calibration of the same scenario, or
            when it was fitted to data beyond `until_h` (a forecast from the first hours must not see later ones).
    """
    from .calibrate import OBSERVED_CSV, POSTERIOR_CSV, SETTINGS_JSON
    from .experiment_folder import SCENARIO_TOML

    folder = Path(folder)
    where = str(folder)
    if not (folder / SETTINGS_JSON).is_file() or not (folder / POSTERIOR_CSV).is_file():
        raise ScenarioError("--posterior", where, "not a finished calibration (no calibration.json or posterior.csv)")
    settings = Settings.from_json((folder / SETTINGS_JSON).read_text(encoding="utf-8"))
    theirs = to_dict(load_scenario(folder / SCENARIO_TOML))
    ours = to_dict(base)
    differ = _first_difference(theirs, ours)
    if differ:
        raise ScenarioError(
            "--posterior", where, f"fitted to another scenario ({differ} differs): give the same scenario and --set"
        )
    span = len(pd.read_csv(folder / OBSERVED_CSV)) * float(pd.read_csv(folder / OBSERVED_CSV).bin_hours.iloc[0])
    if span > until_h + 1e-9:
        raise ScenarioError(
            "--posterior",
            where,
            f"fitted to {span:g} h of data, beyond --until {until_h:g}: a forecast from the first hours must not "
            "have seen the later ones",
        )
    post = pd.read_csv(folder / POSTERIOR_CSV)
    missing = [c for c in [*settings.names, "weight"] if c not in post.columns]
    if missing or not len(post):
        raise ScenarioError("--posterior", where, f"{POSTERIOR_CSV} lacks {', '.join(missing) or 'rows'}")
    return settings, post


def _first_difference(a, b, prefix: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in ("name", "description", "seed", "replications"):
                continue
            found = _first_difference(a.get(key), b.get(key), f"{prefix}{key}.")
            if found:
                return found
        return ""
    return "" if a == b else prefix.rstrip(".")


def resample(settings: Settings, posterior: pd.DataFrame, draws: int, seed: int) -> pd.DataFrame:
    """`draws` particles of the posterior, drawn by weight with replacement (seeded)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_STREAM,)))
    w = posterior.weight.to_numpy(np.float64)
    pick = rng.choice(len(posterior), size=draws, p=w / w.sum())
    out = posterior.iloc[pick][settings.names].reset_index(drop=True)
    out.insert(0, "particle", pick)
    return out


def run_forecast(
    forecast: Forecast,
    settings: Settings,
    posterior: pd.DataFrame,
    base,
    observed: ObservedSeries,
    workers: int = 1,
    dask: str | None = None,
    progress: bool = True,
) -> dict:
    """Run every draw's replications and branches; returns the tables and the aligned series."""
    from tqdm.auto import tqdm

    from .executor import Executor

    shape = check_fit(settings, base, observed, "--data")
    bin_h = observed.bin_hours
    total_bins = int(math.floor(base.simulation.days * 24 / bin_h + 1e-9))
    shape = {**shape, "bin_hours": bin_h, "total_bins": total_bins}
    draws = resample(settings, posterior, forecast.draws, forecast.seed)
    base_dict = to_dict(base)
    branches = [(b.strategy, b.delay_h) for b in forecast.branches]
    tasks = []
    for d, row in draws.iterrows():
        changes = settings.changes(row[settings.names].to_numpy(np.float64)[:-1])
        runs = [d * forecast.replications + r for r in range(forecast.replications)]
        tasks.append((base_dict, changes, float(row[CAPTURE]), forecast.seed, runs, branches, forecast.until_h, shape))
    results: list = [None] * len(tasks)
    with (
        tqdm(total=len(tasks), unit="draw", desc=f"forecast {base.name}", disable=not progress) as bar,
        Executor(workers, dask) as ex,
    ):
        for i, res in ex.imap_unordered(simulate_draw, tasks):
            results[i] = res
            bar.update(1)
    return assemble(forecast, draws, results, settings)


def assemble(forecast: Forecast, draws: pd.DataFrame, results: list[list[dict]], settings: Settings) -> dict:
    """Tables of a forecast from its runs: runs, summary, differences, uncertainty; and the aligned series."""
    from .metrics import METRICS

    rows, series = [], {b: {s: [] for s in SERIES} for b in forecast.labels}
    for d, res in enumerate(results):
        params = draws.iloc[d]
        for item in res:
            row = {
                "draw": d,
                "replication": item["run"] - d * forecast.replications,
                "run": item["run"],
                "particle": int(params.particle),
                **{n: float(params[n]) for n in settings.names},
                "offset_bins": item["offset"],
                "now_h": item["now_h"],
                "strategy": item["branch"],
            }
            row.update({m: item["metrics"][m] for m in [*forecast.metrics, FIRESTORM]})
            rows.append(row)
            for s in SERIES:
                series[item["branch"]][s].append(item["series"][s])
    runs = pd.DataFrame(rows)
    length = min(len(v) for b in series.values() for v in b["posts_negative"])
    arrays = {b: {s: np.stack([v[:length] for v in vs]) for s, vs in per.items()} for b, per in series.items()}
    return {
        "runs": runs,
        "summary": summary_rows(forecast, runs, METRICS),
        "differences": difference_rows(forecast, runs, METRICS),
        "uncertainty": uncertainty_rows(forecast, runs),
        "series": arrays,
        "results": results,
    }


def summary_rows(forecast: Forecast, runs: pd.DataFrame, registry) -> pd.DataFrame:
    """forecast_summary.csv: per strategy and metric, mean [95% t interval], median and 5–95% range of the runs."""
    from .stats import t_interval, wilson_interval

    rows = []
    for label in forecast.labels:
        r = runs[runs.strategy == label]
        for m in forecast.metrics:
            x = r[m].to_numpy(np.float64)
            x = x[np.isfinite(x)]
            lo, hi = t_interval(x)
            q = np.quantile(x, [BAND[0], 0.5, BAND[1]]) if len(x) else [math.nan] * 3
            rows.append(
                {
                    "strategy": label,
                    "metric": m,
                    "better": registry[m].better,
                    "n": len(x),
                    "mean": float(x.mean()) if len(x) else math.nan,
                    "mean_low": lo,
                    "mean_high": hi,
                    "median": q[1],
                    "q05": q[0],
                    "q95": q[2],
                }
            )
        fire = r[FIRESTORM].to_numpy(np.float64)
        lo, hi = wilson_interval(float(np.nansum(fire)), int(np.isfinite(fire).sum()))
        rows.append(
            {
                "strategy": label,
                "metric": FIRESTORM,
                "better": registry[FIRESTORM].better,
                "n": int(np.isfinite(fire).sum()),
                "mean": float(np.nanmean(fire)),
                "mean_low": lo,
                "mean_high": hi,
                "median": math.nan,
                "q05": math.nan,
                "q95": math.nan,
            }
        )
    return pd.DataFrame(rows)


def difference_rows(forecast: Forecast, runs: pd.DataFrame, registry) -> pd.DataFrame:
    """differences.csv: every pair of strategies, paired run by run: mean difference [95% t], P(A better than B)."""
    import itertools

    from .stats import superiority, t_interval

    rows = []
    wide = {m: runs.pivot(index="run", columns="strategy", values=m) for m in [*forecast.metrics, FIRESTORM]}
    for b, a in itertools.combinations(forecast.labels, 2):
        for m, table in wide.items():
            xa, xb = table[a].to_numpy(np.float64), table[b].to_numpy(np.float64)
            d = xa - xb
            d = d[np.isfinite(d)]
            lo, hi = t_interval(d)
            p, plo, phi = superiority(xa, xb, registry[m].better)
            rows.append(
                {
                    "strategy_a": a,
                    "strategy_b": b,
                    "metric": m,
                    "better": registry[m].better,
                    "n": len(d),
                    "diff_mean": float(d.mean()) if len(d) else math.nan,
                    "diff_low": lo,
                    "diff_high": hi,
                    "p_a_better": p,
                    "p_low": plo,
                    "p_high": phi,
                }
            )
    return pd.DataFrame(rows)


def uncertainty_rows(forecast: Forecast, runs: pd.DataFrame) -> pd.DataFrame:
    """uncertainty.csv: per strategy and metric, the share of the runs' variance from the parameters and from chance.

    Law of total variance over draws d with R replications each: within = mean over d of the sample
    variance of its replications (chance); between = variance of the draws' means minus within / R (the
    chance left in a mean of R runs), floored at 0 (parameters). Shares are of their sum.
    """
    rows = []
    r_count = forecast.replications
    for label in forecast.labels:
        r = runs[runs.strategy == label]
        for m in forecast.metrics:
            g = r.groupby("draw")[m]
            within = float(g.var(ddof=1).mean()) if r_count > 1 else math.nan
            between = max(0.0, float(g.mean().var(ddof=1)) - (within / r_count if r_count > 1 else 0.0))
            total = between + (within if np.isfinite(within) else 0.0)
            rows.append(
                {
                    "strategy": label,
                    "metric": m,
                    "variance": total,
                    "share_parameters": between / total if total > 0 else math.nan,
                    "share_chance": within / total if total > 0 and np.isfinite(within) else math.nan,
                }
            )
    return pd.DataFrame(rows)


def write_outputs(folder: Path, forecast: Forecast, base, observed: ObservedSeries, out: dict, meta: dict) -> None:
    """Write the forecast's files (atomically, each)."""
    from .calibrate import observed_frame
    from .experiment_folder import SCENARIO_TOML
    from .results import write_csv, write_meta, write_text

    folder = Path(folder)
    write_text(folder / FORECAST_JSON, forecast.to_json())
    write_text(folder / SCENARIO_TOML, to_toml(base))
    write_csv(observed_frame(observed), folder / "observed.csv")
    write_csv(out["runs"], folder / RUNS_CSV)
    write_csv(out["summary"], folder / SUMMARY_CSV)
    write_csv(out["differences"], folder / DIFFERENCES_CSV)
    write_csv(out["uncertainty"], folder / UNCERTAINTY_CSV)
    arrays = {f"{b}|{s}": v for b, per in out["series"].items() for s, v in per.items()}
    tmp = folder / f".{SERIES_NPZ}.tmp.npz"
    np.savez(tmp, **arrays)
    tmp.replace(folder / SERIES_NPZ)
    write_meta(folder / "meta.json", kind="forecast", scenario=base.name, seed=forecast.seed, **meta)


__all__ = [
    "Branch",
    "FORECAST_METRICS",
    "Forecast",
    "branch_changes",
    "check_until",
    "parse_branches",
    "posterior_from",
    "run_forecast",
    "write_outputs",
]
