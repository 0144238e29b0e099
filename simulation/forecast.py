"""Forecast a live buzz under each response (`python run.py forecast`).

From the data observed so far (the first `until` hours after the first complaint seen) and a
posterior over the scenario's uncertain keys (`simulation.calibrate`: fitted here on those hours,
or reused with `--posterior DIR`), what happens next if the brand responds now, later, or not at all?

**Draws and runs.** `draws` parameter sets are resampled from the posterior by weight. For each,
runs are tried on fresh seeds (try t of draw d is replication d x TRIES_PER_RUN x replications + t
of the root seed) with the strategy actually followed during the observed period (the scenario's),
and seen through the listening tool as in calibration (Poisson(capture x posts) per bin, aligned on
the first bin with a complaint seen): a run is kept when its first `until` hours are as close to the
data as the calibration's last generation was (distance at most its threshold), so that the runs
forecast from the state the data show, not from any state the parameters allow; the first
`replications` kept runs of each draw are used (a draw with none is left out, and the report says
how many runs were tried and kept). A kept run's *now*, in its own clock, is the first bin seen plus
`until` hours. Then, for each strategy, the run is made again from the start with the same seed and
a schedule that keeps the actions the followed strategy took before now and adds the strategy's own
from now on: a preset's actions (anchored at the brand's detection by default) are anchored at now,
`NAME@H` putting its decisive action H hours after now (a bare preset keeps its own delay_hours
after now); actions a scenario's own strategy anchors explicitly at the start or the first complaint
keep their times, those already past dropped. On common random numbers every branch is identical
to the followed run until now and differs only by the response (a test checks it).

**What is reported.** Per strategy, the damage metrics of the registry over the whole run (the past
is shared, so differences come from the future), counted in the model's population (the tool sees
capture x the posts): the mean with a 95% interval over draws (runs of one draw share their
parameters, so the draws, not the runs, are the independent units), the 5–95% range of the runs,
P(firestorm); paired differences between strategies run by run, their mean with a 95% interval
over draws, and P(A better than B) (ties counting half); and the share of each metric's variance
that comes from the parameters (between draws) rather than from chance (within a draw, over its
runs), by the law of total variance with the within-draw part corrected for the number of runs.
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
TRIES_PER_RUN = 20  # runs tried per draw: this many times the replications wanted, at most
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
            raise ScenarioError("--strategies", name or repr(name), f"unknown strategy; allowed: {', '.join(allowed)}")
        if at:
            try:
                d = float(delay)
            except ValueError:
                d = math.nan
            if not (math.isfinite(d) and d >= 0):
                raise ScenarioError("--strategies", item, "@HOURS takes hours >= 0 after now (quick_fix@24)")
            if name not in PRESETS or not PRESETS[name].actions:
                raise ScenarioError("--strategies", item, "@HOURS times a preset's decisive action; this has none")
            out.append(Branch(name, d + 0.0))  # + 0.0: -0 is 0 (one label, 'quick_fix@0')
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
    first_run: int,
    replications: int,
    branches: list[tuple[str, float | None]],
    until_h: float,
    shape: dict,
    obs_log: tuple,
    epsilon: float,
) -> dict:
    """One posterior draw: runs tried until `replications` match the data so far, each branched into every strategy.

    A try is kept when its now falls before the horizon and the distance of its first `until` hours
    (as the tool would see them) to the data is at most `epsilon`. Returns the kept runs' items (per
    run and branch: metrics, now, offset, series per bin from the first bin seen, NaN after the run's
    end) and how many runs were tried.
    """
    from .calibrate import distance
    from .runner import run_replication

    sc0 = with_changes(load_scenario(base), changes, source="posterior")
    bin_h, spb, total = shape["bin_hours"], shape["steps_per_bin"], shape["total_bins"]
    seen_bins = int(round(until_h / bin_h))
    items, tried, kept = [], 0, 0
    for t in range(TRIES_PER_RUN * replications):
        if kept == replications:
            break
        k, tried = first_run + t, tried + 1
        followed = run_replication(sc0, seed, k, series=("posts_negative", "posts_positive"))
        neg = binned(followed.series["posts_negative"], spb, total)
        pos = binned(followed.series["posts_positive"], spb, total)
        seen_neg, seen_pos, offset = aligned(*observe(neg, pos, capture, observation_rng(seed, k)), total)
        if offset + seen_bins >= total:  # the tool saw its first complaint too late: now is past the horizon
            continue
        if distance(obs_log, seen_neg[:seen_bins], seen_pos[:seen_bins]) > epsilon:
            continue
        kept += 1
        now_h = offset * bin_h + until_h
        for name, delay in branches:
            sc = with_changes(sc0, branch_changes(sc0, followed.metrics["detection_h"], now_h, Branch(name, delay)))
            rep = run_replication(sc, seed, k, series=SERIES)
            series = {}
            for s in SERIES:
                values = np.asarray(rep.series[s], np.float64)
                if s.startswith("posts"):
                    aligned_values = capture * binned(values, spb, total)[offset:]  # expected mentions the tool counts
                else:
                    aligned_values = values[spb * offset :: spb][1 : total - offset + 1]  # at each bin's end
                series[s] = np.concatenate([aligned_values, np.full(total - len(aligned_values), np.nan)])
            items.append(
                {
                    "run": k,
                    "branch": Branch(name, delay).label,
                    "offset": offset,
                    "now_h": now_h,
                    "metrics": rep.metrics,
                    "series": series,
                }
            )
    return {"items": items, "tried": tried, "kept": kept}


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
    epsilon: float = math.inf  # a run is kept when its first hours are this close to the data (its threshold)
    metrics: list[str] = field(default_factory=lambda: list(FORECAST_METRICS))

    def to_json(self) -> str:
        """forecast.json."""
        d = asdict(self)
        d["branches"] = [b.label for b in self.branches]
        d["epsilon"] = None if math.isinf(self.epsilon) else self.epsilon
        return json.dumps(d, indent=2) + "\n"

    @property
    def labels(self) -> list[str]:
        """The branches as written."""
        return [b.label for b in self.branches]


def check_branches(branches: list[Branch], until_h: float, base) -> None:
    """Each response compared acts between now and the horizon (else it would be the strategy followed, renamed).

    Now is at least `until` hours (the first bin seen plus `until`); an action anchored at detection
    comes at now plus its time (`NAME@H`: H), one anchored at the start or the complaint at its time,
    dropped when before now (see `branch_changes`).

    Raises:
        ScenarioError: naming --strategies, for a response none of whose actions comes within the horizon.
    """
    from .brand import schedule_for

    horizon_h = base.simulation.days * 24
    for b in branches:
        own = with_changes(base, strategy_overrides(b.strategy), source="--strategies")
        if b.delay_h is not None:
            own = with_changes(own, {"brand.delay_hours": b.delay_h}, source="--strategies")
        times = [until_h + a.at_hours if a.anchor == "detection" else a.at_hours for a in schedule_for(own)]
        if times and not any(until_h <= t < horizon_h for t in times):
            raise ScenarioError(
                "--strategies",
                b.label,
                f"none of its actions comes between now ({until_h:g} h at the earliest) and the scenario's horizon "
                f"({horizon_h:g} h): it never responds; allowed: a response within the horizon (@HOURS below "
                f"{horizon_h - until_h:g}), or ignore for none",
            )


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
    # the tolerance of ObservedSeries.until, so that the cut and the bins compared (round(k)) are the same
    if abs(k - round(k)) > 1e-9 or round(k) < 1:
        raise ScenarioError(
            "--until", f"{until_h:.10g}", f"a whole number of the data's bins ({bin_h:g} h), at least one"
        )
    horizon_h = base.simulation.days * 24
    if until_h >= horizon_h:
        raise ScenarioError(
            "--until", f"{until_h:g}", f"not before the scenario's horizon ({horizon_h:g} h): nothing left to forecast"
        )
    return observed.until(until_h)


def posterior_from(folder: Path, base, observed: ObservedSeries) -> tuple[Settings, pd.DataFrame, float]:
    """A calibration folder's posterior (its last generation) and its threshold, checked against this forecast.

    The folder's settings, scenario and data must hash as when the calibration ran (its fingerprint),
    and its posterior and threshold must be what a calibration writes (finite values within the
    priors, weights >= 0 summing above 0): an edited folder is refused, not forecast from.

    Raises:
        ScenarioError: naming --posterior, when it is not a finished calibration of the same scenario, or
            was fitted to other data than the first hours given (a forecast from the first hours must not
            have seen later ones, nor other data), or its files are not as the calibration wrote them.
    """
    from .calibrate import DIAGNOSTICS_JSON, FINGERPRINT, OBSERVED_CSV, POSTERIOR_CSV, SETTINGS_JSON, fingerprint
    from .experiment_folder import SCENARIO_TOML
    from .mentions import read_observed

    folder = Path(folder)
    where = str(folder)
    if not all((folder / n).is_file() for n in (SETTINGS_JSON, POSTERIOR_CSV, DIAGNOSTICS_JSON, OBSERVED_CSV)):
        raise ScenarioError("--posterior", where, "not a finished calibration (no calibration.json or posterior.csv)")
    try:
        started = json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        started = None
    if not isinstance(started, dict):
        raise ScenarioError(
            "--posterior", where, f"no readable {FINGERPRINT}; allowed: a calibration folder as calibrate wrote it"
        )
    changed = [n for n, h in fingerprint(folder).items() if started.get(n) != h]
    if changed:
        raise ScenarioError(
            "--posterior",
            where,
            f"{' and '.join(changed)} changed since the calibration ran; allowed: a calibration folder as calibrate "
            "wrote it",
        )
    try:
        settings = Settings.from_json((folder / SETTINGS_JSON).read_text(encoding="utf-8"))
    except (ValueError, TypeError, KeyError, AttributeError):  # an edit the fingerprint was rewritten for
        raise ScenarioError("--posterior", where, f"{SETTINGS_JSON} is not a calibration's settings") from None
    differ = _first_difference(to_dict(load_scenario(folder / SCENARIO_TOML)), to_dict(base))
    if differ:
        raise ScenarioError(
            "--posterior", where, f"fitted to another scenario ({differ} differs): give the same scenario and --set"
        )
    fitted = read_observed(folder / OBSERVED_CSV)
    span = fitted.span_h
    if span > observed.span_h + 1e-9:
        raise ScenarioError(
            "--posterior",
            where,
            f"fitted to {span:g} h of data, beyond --until {observed.span_h:g}: a forecast from the first hours must "
            "not have seen the later ones",
        )
    n = fitted.bins

    def positive(series: ObservedSeries) -> np.ndarray:
        return np.zeros(n, np.int64) if series.positive is None else series.positive[:n]

    same = (
        fitted.bin_hours == observed.bin_hours
        and fitted.skipped == 0
        and np.array_equal(fitted.negative, observed.negative[:n])
        and np.array_equal(positive(fitted), positive(observed))
    )
    if not same:
        raise ScenarioError(
            "--posterior", where, f"fitted to other data than the first {span:g} h of {observed.source}"
        )
    post = _posterior_table(folder / POSTERIOR_CSV, settings, where)
    try:
        last = json.loads((folder / DIAGNOSTICS_JSON).read_text(encoding="utf-8"))["generations"][-1]["epsilon"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        last = "unreadable"
    if last is not None and not (type(last) in (int, float) and math.isfinite(last) and last >= 0):
        raise ScenarioError(
            "--posterior",
            where,
            f"{DIAGNOSTICS_JSON}: no threshold of the last generation (generations[-1].epsilon: a number >= 0 or null)",
        )
    return settings, post, math.inf if last is None else float(last)


def _posterior_table(path: Path, settings: Settings, where: str) -> pd.DataFrame:
    """posterior.csv, checked: every parameter finite and within its prior, weights >= 0 with a sum above 0."""
    name = path.name
    try:
        post = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise ScenarioError("--posterior", where, f"{name} cannot be read as a CSV table") from None
    missing = [c for c in [*settings.names, "weight"] if c not in post.columns]
    if missing or not len(post):
        raise ScenarioError("--posterior", where, f"{name} lacks {', '.join(missing) or 'rows'}")
    priors = [(f.lo - 0.5, f.hi + 0.5) if f.integer else (f.lo, f.hi) for f in settings.factors] + [settings.capture]
    for column, (lo, hi) in [*zip(settings.names, priors), ("weight", (0.0, 1.0))]:
        values = pd.to_numeric(post[column], errors="coerce").to_numpy(np.float64)
        slack = 1e-9 * max(1.0, abs(lo), abs(hi))  # the CSV's decimal rounding
        bad = np.flatnonzero(~np.isfinite(values) | (values < lo - slack) | (values > hi + slack))
        if bad.size:
            raise ScenarioError(
                "--posterior",
                where,
                f"{name}: row {int(bad[0]) + 1}: {column} {str(post[column].iloc[bad[0]])!r}; allowed: a number from "
                f"{lo:g} to {hi:g} (as the calibration drew it)",
            )
        post[column] = values
    if not post.weight.sum() > 0:
        raise ScenarioError("--posterior", where, f"{name}: weights sum to 0; allowed: weights in [0, 1], not all 0")
    return post


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

    from .calibrate import log_series
    from .executor import Executor

    shape = check_fit(settings, base, observed, "--data")
    bin_h = observed.bin_hours
    total_bins = int(math.floor(base.simulation.days * 24 / bin_h + 1e-9))
    shape = {**shape, "bin_hours": bin_h, "total_bins": total_bins}
    draws = resample(settings, posterior, forecast.draws, forecast.seed)
    base_dict, obs_log = to_dict(base), log_series(observed)
    branches = [(b.strategy, b.delay_h) for b in forecast.branches]
    per_draw = TRIES_PER_RUN * forecast.replications
    tasks = []
    for d, row in draws.iterrows():
        changes = settings.changes(row[settings.names].to_numpy(np.float64)[:-1])
        capture = float(row[CAPTURE])
        tasks.append(
            (base_dict, changes, capture, forecast.seed, d * per_draw, forecast.replications, branches)
            + (forecast.until_h, shape, obs_log, forecast.epsilon)
        )
    results: list = [None] * len(tasks)
    with (
        tqdm(total=len(tasks), unit="draw", desc=f"forecast {base.name}", disable=not progress) as bar,
        Executor(workers, dask) as ex,
    ):
        for i, res in ex.imap_unordered(simulate_draw, tasks):
            results[i] = res
            bar.update(1)
    tried, kept = sum(r["tried"] for r in results), sum(r["kept"] for r in results)
    if not kept:
        raise ScenarioError(
            "forecast",
            "",
            f"none of {tried} runs came as close to the data's first {forecast.until_h:g} h as the calibration's "
            "particles did: the posterior does not reproduce these data (fit them with a larger --budget)",
        )
    out = assemble(forecast, draws, [r["items"] for r in results], settings)
    out["tried"], out["kept"] = tried, kept
    out["draws_kept"] = sum(1 for r in results if r["kept"])
    return out


def assemble(forecast: Forecast, draws: pd.DataFrame, results: list[list[dict]], settings: Settings) -> dict:
    """Tables of a forecast from its runs: runs, summary, differences, uncertainty; and the aligned series."""
    from .metrics import METRICS

    rows, series = [], {b: {s: [] for s in SERIES} for b in forecast.labels}
    for d, res in enumerate(results):
        params = draws.iloc[d]
        for item in res:
            row = {
                "draw": d,
                "replication": item["run"] - d * TRIES_PER_RUN * forecast.replications,  # the try that was kept
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
    arrays = {b: {s: np.stack(vs) for s, vs in per.items()} for b, per in series.items()}
    return {
        "runs": runs,
        "summary": summary_rows(forecast, runs, METRICS),
        "differences": difference_rows(forecast, runs, METRICS),
        "uncertainty": uncertainty_rows(forecast, runs),
        "series": arrays,
        "results": results,
    }


def _over_draws(runs: pd.DataFrame, values: pd.Series) -> tuple[float, float, float, int]:
    """Mean of a run-level quantity and its 95% t interval over the draws' means (the independent units)."""
    from .stats import t_interval

    means = values.groupby(runs.loc[values.index, "draw"]).mean().dropna().to_numpy(np.float64)
    lo, hi = t_interval(means)
    return (float(means.mean()) if len(means) else math.nan), lo, hi, len(means)


def summary_rows(forecast: Forecast, runs: pd.DataFrame, registry) -> pd.DataFrame:
    """forecast_summary.csv: per strategy and metric, mean [95% interval over draws], median and 5–95% of runs."""
    rows = []
    for label in forecast.labels:
        r = runs[runs.strategy == label]
        for m in [*forecast.metrics, FIRESTORM]:
            x = r[m].dropna()
            mean, lo, hi, draws = _over_draws(r, x)
            q = np.quantile(x, [BAND[0], 0.5, BAND[1]]) if len(x) and m != FIRESTORM else [math.nan] * 3
            rows.append(
                {
                    "strategy": label,
                    "metric": m,
                    "better": registry[m].better,
                    "runs": len(x),
                    "draws": draws,
                    "mean": mean,
                    "mean_low": max(0.0, lo) if m == FIRESTORM else lo,
                    "mean_high": min(1.0, hi) if m == FIRESTORM else hi,
                    "median": q[1],
                    "q05": q[0],
                    "q95": q[2],
                }
            )
    return pd.DataFrame(rows)


DIFFERENCE_COLUMNS = [
    "strategy_a",
    "strategy_b",
    "metric",
    "better",
    "runs",
    "draws",
    "diff_mean",
    "diff_low",
    "diff_high",
    "p_a_better",
    "p_low",
    "p_high",
]


def difference_rows(forecast: Forecast, runs: pd.DataFrame, registry) -> pd.DataFrame:
    """differences.csv: every pair of strategies, paired run by run (A minus B), with 95% intervals over draws.

    P(A better than B) is the share of runs where A does better on the metric, ties counting half.
    """
    import itertools

    rows = []
    for b, a in itertools.combinations(forecast.labels, 2):
        for m in [*forecast.metrics, FIRESTORM]:
            table = runs.pivot(index="run", columns="strategy", values=m)[[a, b]].dropna()
            keyed = runs.drop_duplicates("run").set_index("run").loc[table.index, ["draw"]]
            xa, xb = table[a], table[b]
            wins = (xa < xb) if registry[m].better == "lower" else (xa > xb)
            score = wins.astype(float) + 0.5 * (xa == xb)
            frame = keyed.assign(d=xa - xb, score=score).reset_index(drop=True)
            diff, dlo, dhi, draws = _over_draws(frame, frame.d)
            p, plo, phi, _ = _over_draws(frame, frame.score)
            rows.append(
                {
                    "strategy_a": a,
                    "strategy_b": b,
                    "metric": m,
                    "better": registry[m].better,
                    "runs": len(frame),
                    "draws": draws,
                    "diff_mean": diff,
                    "diff_low": dlo,
                    "diff_high": dhi,
                    "p_a_better": p,
                    "p_low": max(0.0, plo),
                    "p_high": min(1.0, phi),
                }
            )
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


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
    "check_branches",
    "check_until",
    "parse_branches",
    "posterior_from",
    "run_forecast",
    "write_outputs",
]
