"""Experiments: strategy comparisons and response-timing sweeps, replicated, paired and resumable.

An experiment is a list of conditions (changes to a base scenario) times R replications.
Replication r uses child r of `SeedSequence(seed)` in every condition, so conditions are compared
pair by pair on common random numbers. Runs are executed serially, on a process pool or on a Dask
cluster; each finished run is written to `runs/` at once (atomically), so an interrupted
experiment resumes without losing or redoing finished runs, and memory stays flat whatever the
number of runs. The final CSVs are assembled from `runs/` in (condition, replication) order, so
they are byte-identical for any number of workers and any executor.
"""

from __future__ import annotations

import itertools
import json
import math
import time
import traceback
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from . import experiment_folder
from .contrasts import contrasts
from .executor import Executor
from .experiment_folder import DELAY_KEY, STRATEGY_KEY, RunStore
from .limits import MAX_CONDITIONS, MAX_VALUES, check_count, check_network, check_runs, check_steps
from .metrics import METRICS, WINDOW_METRIC
from .parameters import Scenario, SimulationParams
from .results import write_meta
from .runner import run_replication, seed_label, sharing
from .scenario import ScenarioError, load_scenario, strategy_overrides, to_dict, to_toml, with_changes
from .stats import bootstrap_indices, describe_columns, t_interval
from .strategies import CUSTOM, PRESETS, describe_strategy, strategy_names

QUANTILE_SERIES = ("reputation", "reputation_customers", "posts_negative_per_h", "angry", "churned", "search_stock")
RECORDED_SERIES = ("reputation", "reputation_customers", "posts_negative", "angry", "churned", "search_stock")
QUANTILES = (5, 25, 50, 75, 95)
BRAND_TIMING_KEYS = {"brand.delay_hours", "brand.anchor"}
SERIES_CHOICES = ("all", "none", "metrics")  # metrics: no series stored at all (sensitivity studies)
MAX_DAYS = next(f.metadata["hi"] for f in fields(SimulationParams) if f.name == "days")
SCOPES = ("all", "crisis", "firestorm")  # aggregate.csv's subsets of runs: all, those with the 0/1 metric = 1
NOT_SWEPT = {  # keys that do not change a run: varying them would run the same condition under other names
    "seed": "every condition runs on the experiment's seeds (--seed); replications are its draws",
    "replications": "replications are the experiment's (--replications), the same for every condition",
    "name": "a name does not change a run",
    "description": "a description does not change a run",
}


def key_applies(key: str, strategy: str) -> bool:
    """Whether a swept key changes the runs of this strategy.

    A key inside `[strategies.NAME]` changes NAME's runs only, `brand.schedule.*` the custom
    strategy's only, and the brand's timing keys nothing when it never acts (ignore): the other
    strategies' conditions leave it unset (and run once for all its values).
    """
    if key.startswith("strategies."):
        return key.split(".")[1] == strategy
    if key.split(".")[:2] == ["brand", "schedule"]:
        return strategy == CUSTOM
    return not (strategy == "ignore" and key in BRAND_TIMING_KEYS)


# -- the plan -----------------------------------------------------------------------------------


def parse_values(text: str, key: str, allow_large: bool = False) -> list:
    """`0,1,3` or a range `0:168:12` (start:stop:step, stop included) as a list of values."""
    from .scenario import parse_value

    if ":" in text and "," not in text:
        try:
            start, stop, step = (float(x) for x in text.split(":"))
        except ValueError:
            raise ScenarioError("--vary", key, f"range {text!r} must be start:stop:step numbers") from None
        if not all(math.isfinite(x) for x in (start, stop, step)):
            raise ScenarioError("--vary", key, f"range {text!r} must be finite numbers")
        if step <= 0 or stop < start:
            raise ScenarioError("--vary", key, f"range {text!r} needs step > 0 and stop >= start")
        count = math.floor((stop - start) / step + 0.5) + 1  # counted before the values are made
        check_count(count, MAX_VALUES, "--vary", key, "values", allow_large)
        values = list(np.round(np.arange(start, stop + step / 2, step), 10))
        return [
            int(v) if float(v).is_integer() and all(float(x).is_integer() for x in (start, step)) else float(v)
            for v in values
        ]
    parts = [v.strip() for v in text.split(",")]
    if not any(parts):
        raise ScenarioError("--vary", key, "no values given; write KEY=V1,V2 or KEY=start:stop:step")
    if not all(parts):  # '1,,2' or '0,6,': a value left out by mistake is not silently dropped
        raise ScenarioError("--vary", key, f"{text!r} has an empty value; write KEY=V1,V2 or KEY=start:stop:step")
    return [parse_value(v) for v in parts]


def parse_vary(items: Iterable[str], allow_large: bool = False) -> dict[str, list]:
    """`--vary KEY=V1,V2` options as {key: values}."""
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError("--vary", item, "expected KEY=V1,V2,... or KEY=start:stop:step")
        if key.strip() in out:
            raise ScenarioError("--vary", key.strip(), "given twice; give all its values once: KEY=V1,V2,...")
        out[key.strip()] = parse_values(text, key.strip(), allow_large)
    return out


@dataclass
class Plan:
    """What an experiment runs: the base scenario, its conditions, seeds and replications."""

    kind: str
    base: Scenario
    strategies: list[str]
    vary: dict[str, list]
    replications: int
    seed: int
    baseline: str = "ignore"
    command: str = ""
    conditions: list[dict] = field(default_factory=list)
    series: str = "all"  # per-run series kept: all (timeseries.parquet) or none (metrics and quantiles only)
    window_metric: str = WINDOW_METRIC  # the critical window's damage
    window_key: str = DELAY_KEY  # the swept time the critical window is found along
    resolve: float | None = None  # the difference to resolve on window_metric (None: 10% of the baseline's mean)
    horizon_check: bool = False  # rerun at twice the horizon and report how the window moves
    allow_large: bool = False  # lift the resource limits (`simulation.limits`); not part of the plan
    check_each: bool = True  # build every condition's scenario to validate it (a study that checked its ranges: False)

    def __post_init__(self):
        if self.series not in SERIES_CHOICES:
            raise ScenarioError("--series", self.series, f"unknown value; allowed: {', '.join(SERIES_CHOICES)}")
        twice = sorted({s for s in self.strategies if list(self.strategies).count(s) > 1})
        if twice:
            raise ScenarioError("--strategies", ",".join(self.strategies), f"{', '.join(twice)} named twice")
        if self.baseline not in self.strategies:
            self.strategies = [self.baseline] + list(self.strategies)
        known = strategy_names(self.base)
        for name in self.strategies:
            if name not in known:
                raise ScenarioError(
                    "--strategies" if name != self.baseline else "--baseline",
                    name or repr(name),
                    f"unknown strategy; allowed: {', '.join(known)}",
                )
        if STRATEGY_KEY in self.vary:
            raise ScenarioError("--vary", STRATEGY_KEY, "strategies are compared with --strategies A,B, not varied")
        for key in self.vary:
            if key in NOT_SWEPT:
                raise ScenarioError("--vary", key, f"cannot be swept: {NOT_SWEPT[key]}")
        combos = len(self.conditions) or len(self.strategies) * math.prod(len(v) for v in self.vary.values())
        check_count(
            combos, MAX_CONDITIONS, "--vary", ", ".join(self.vary) or "--strategies", "conditions", self.allow_large
        )
        check_runs(combos * self.replications, "--replications", str(self.replications), self.allow_large)
        for key in self.vary:
            if not any(key_applies(key, s) for s in self.strategies):
                if key in BRAND_TIMING_KEYS:
                    why = "times the brand's response, and no compared strategy responds (ignore never acts)"
                else:
                    owner = key.split(".")[1] if key.startswith("strategies.") else CUSTOM
                    why = f"changes strategy {owner!r} only, which is not compared"
                raise ScenarioError("--vary", key, f"{why}: add a strategy to --strategies")
        for name in self.strategies:  # each strategy on the base, so that its own problem names --strategies
            with_changes(self.base, strategy_overrides(name), source=f"--strategies ({name})")
        if not self.conditions:
            combos = itertools.product(self.strategies, *self.vary.values())
            seen: dict[str, dict] = {}  # keyed by the condition's JSON: de-duplication in linear time
            for s, *values in combos:
                # a key that does not change this strategy's runs is left unset: run once for all its values
                c = {STRATEGY_KEY: s, **{k: (v if key_applies(k, s) else None) for k, v in zip(self.vary, values)}}
                seen.setdefault(json.dumps(c, sort_keys=True, default=str), c)
            self.conditions = list(seen.values())
        timing = {"simulation.days", "simulation.dt_hours"} & set(self.vary)
        self.rows = []  # each condition's rows of series (steps + 1): what a resume checks its runs against
        for c in self.conditions if self.check_each else self.conditions[:1]:
            sc = self.scenario_for(c)  # every condition must make a valid scenario, of a size allowed
            self.rows.append(sc.steps + 1)
            if timing or c is self.conditions[0]:
                check_steps(sc.steps, "--vary" if timing else "--set", self.allow_large)
            check_network(sc, "--vary" if self.vary else "--set", self.allow_large)
        if not self.check_each:  # the study varies no time key: every condition has the base's steps
            self.rows *= len(self.conditions)
        metric = METRICS.get(self.window_metric)
        if metric is None or not metric.better:
            directed = ", ".join(m.name for m in METRICS.values() if m.better)
            raise ScenarioError(
                "--window-metric", self.window_metric, f"not a metric with a better direction; allowed: {directed}"
            )
        if self.window_key != DELAY_KEY and self.window_key not in self.vary:
            raise ScenarioError(
                "--window-key", self.window_key, f"is not swept; swept: {', '.join(self.vary) or 'nothing'}"
            )
        if self.resolve is not None and not (math.isfinite(self.resolve) and self.resolve > 0):
            raise ScenarioError("--resolve", str(self.resolve), "must be a positive number (in the metric's unit)")
        if self.horizon_check:
            if self.window_key not in self.vary:
                raise ScenarioError(
                    "--horizon-check", self.window_key, "needs a sweep of the critical window's key (--vary it)"
                )
            if self.base.simulation.days >= MAX_DAYS:
                raise ScenarioError(
                    "--horizon-check", "simulation.days", f"the horizon is already the {MAX_DAYS:g}-day limit"
                )
        if self.window_key in self.vary and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.vary[self.window_key]
        ):
            raise ScenarioError("--window-key", self.window_key, "must be swept over numbers (times in hours)")

    @property
    def keys(self) -> list[str]:
        """The condition keys: the strategy, then the swept keys."""
        return [STRATEGY_KEY] + list(self.vary)

    @staticmethod
    def changes_for(condition: dict) -> dict:
        """The keys a condition sets on the base: its strategy's (a preset replaces a schedule), then its own."""
        extra = strategy_overrides(condition[STRATEGY_KEY])
        return {**extra, **{k: v for k, v in condition.items() if v is not None}}

    def scenario_for(self, changes: dict) -> Scenario:
        """The base scenario with one condition's changes."""
        return with_changes(self.base, self.changes_for(changes), source=f"--vary (condition {self.label(changes)})")

    def description(self, strategy: str) -> str:
        """A strategy in words: its schedule in the base scenario (a preset's generically when its timing is swept)."""
        timing_swept = any(k in BRAND_TIMING_KEYS for k in self.vary)
        generic = strategy in PRESETS and timing_swept
        return describe_strategy(strategy, None if generic else self.base)

    @staticmethod
    def label(changes: dict) -> str:
        """A condition's label: 'quick_fix, brand.delay_hours=6'."""
        return ", ".join(
            [str(changes[STRATEGY_KEY])]
            + [f"{k}={v}" for k, v in changes.items() if k != STRATEGY_KEY and v is not None]
        )

    def to_json(self, conditions: bool = True) -> dict:
        """The plan as written to experiment.json (`simulation.experiment_folder`); `conditions=False`: without them."""
        return {
            "kind": self.kind,
            "scenario": self.base.name,
            "seed": self.seed,
            "replications": self.replications,
            "baseline": self.baseline,
            "strategies": self.strategies,
            "descriptions": {s: self.description(s) for s in self.strategies},
            "vary": self.vary,
            "clock": self.base.brand.anchor,
            "keys": self.keys,
            "conditions": [
                {"condition": i, "label": self.label(c), "changes": c} for i, c in enumerate(self.conditions)
            ]
            if conditions
            else [],
            "command": self.command,
            "series": self.series,
            "window_metric": self.window_metric,
            "window_key": self.window_key,
            "resolve": self.resolve,
            "horizon_check": self.horizon_check,
            "network_sha256": self.network_sha256(),
            "dt_hours": self.base.simulation.dt_hours,
            "days": self.base.simulation.days,
            "currency": self.base.population.currency,
        }

    def network_sha256(self) -> str:
        """The edge-list file's hash ('' for a generated network): a resume checks it has not changed."""
        if self.base.network.kind != "file":
            return ""
        from .results import file_sha256
        from .scenario import resolve_network_path

        return file_sha256(resolve_network_path(self.base, None))

    @classmethod
    def from_folder(cls, folder: Path, allow_large: bool = False, kind: str | None = None) -> Plan:
        """The plan of an existing experiment folder (to resume it), refused if its network file changed.

        `kind` ('compare' or 'sweep'): the command resuming it; a folder of another kind is refused.
        """
        d = experiment_folder.read_plan(folder)
        if kind and d["kind"] != kind:
            raise ScenarioError(
                "--resume", str(folder), f"is a {d['kind']} folder; resume it with: python run.py {d['kind']} --resume"
            )
        experiment_folder.check_unchanged(folder)
        base = load_scenario(Path(folder) / experiment_folder.SCENARIO_TOML)
        plan = cls._from_json(d, base, allow_large)
        if d.get("network_sha256") and plan.network_sha256() != d["network_sha256"]:
            raise ScenarioError(
                "--resume",
                str(folder),
                f"the edge list {base.network.path} changed since the experiment started (its sha256 differs): "
                "the runs left would be on another graph",
            )
        return plan

    @classmethod
    def _from_json(cls, d: dict, base: Scenario, allow_large: bool) -> Plan:
        return cls(
            kind=d["kind"],
            base=base,
            strategies=d["strategies"],
            vary=d["vary"],
            replications=d["replications"],
            seed=d["seed"],
            baseline=d["baseline"],
            command=d["command"],
            conditions=[c["changes"] for c in d["conditions"]],
            series=d.get("series", "none"),
            window_metric=d.get("window_metric", "final_reputation"),
            window_key=d.get("window_key", DELAY_KEY),
            resolve=d.get("resolve"),
            horizon_check=bool(d.get("horizon_check", False)),
            allow_large=allow_large,
        )

    def at_horizon(self, days: float) -> Plan:
        """The same plan (conditions, seeds) at another horizon: the horizon check's rerun."""
        base = with_changes(self.base, {"simulation.days": days}, source="--horizon-check")
        return replace(self, base=base, series="none", horizon_check=False)


# -- one run ------------------------------------------------------------------------------------


def run_task(
    scenario: dict | Scenario,
    condition: int,
    replication: int,
    seed: int,
    keep: str = "all",
    changes: dict | None = None,
) -> dict:
    """One run, in whatever process: its metrics and its stored series, or its error.

    `scenario` (a scenario or its dict) with `changes` set on it is the run's scenario. `keep` = "all":
    every recorded series and the brand's actions (for timeseries.parquet); "none": the series of the
    quantiles only (timeseries_quantiles.csv); "metrics": no series.
    """
    out = {"condition": condition, "replication": replication}
    try:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if changes:
            sc = with_changes(sc, changes, source=f"condition {condition}")
        rep = run_replication(sc, seed, replication, series=None if keep == "all" else RECORDED_SERIES)
        if keep == "metrics":
            out.update(metrics=rep.metrics, series=None, error="")
            return out
        names = rep.series if keep == "all" else QUANTILE_SERIES
        series = {name: np.asarray(rep.series[name], np.float64) for name in names if name in rep.series}
        series["posts_negative_per_h"] = rep.series["posts_negative"] / rep.dt
        if keep == "all":
            series["brand_action"] = np.asarray(rep.actions, dtype=str)
        out.update(metrics=rep.metrics, series=series, error="")
    except Exception as exc:  # a failing run is recorded and does not stop the others
        out.update(
            metrics={m: math.nan for m in METRICS},
            series=None,
            error=f"{exc.__class__.__name__}: {exc}".replace("\n", " "),
            traceback=traceback.format_exc(),
        )
    return out


def run_batch(
    base: dict, changes: dict, condition: int, replications: list[int], seed: int, keep: str = "all"
) -> list[dict]:
    """Several replications of one condition in one task: `run_task` for each, in order.

    A task carries the base scenario and the condition's changes (the scenario is built in the
    worker, so that planning 10^5 conditions costs no scenario each). A batch is the unit the
    executor ships and `runs/` stores; each run in it is exactly the run it would be alone (its
    draws depend on the root seed and its replication only), so outputs do not depend on how runs
    were batched. The batch's runs share the tables that do not depend on their draws
    (`runner.sharing`: the tabulated Poisson CDFs), which leaves their results the same bits.
    """
    try:
        sc = with_changes(load_scenario(base), changes, source=f"condition {condition}")
    except Exception:  # recorded run by run, with the error
        return [run_task(base, condition, r, seed, keep, changes) for r in replications]
    with sharing():
        return [run_task(sc, condition, r, seed, keep) for r in replications]


MAX_BATCH = 50  # replications per task at most: bounds a task's result (its series) in memory


def batches(todo: dict[int, list[int]], workers: int) -> list[tuple[int, list[int]]]:
    """Split each condition's missing replications into batches: few enough tasks, enough to share out.

    About 8 tasks per worker (so that workers stay busy to the end), never more replications per
    batch than MAX_BATCH or than a condition has.
    """
    runs = sum(len(r) for r in todo.values())
    size = max(1, min(MAX_BATCH, math.ceil(runs / (8 * max(1, workers)))))
    return [(c, reps[i : i + size]) for c, reps in todo.items() for i in range(0, len(reps), size)]


def execute(plan: Plan, folder: Path, workers: int = 1, dask: str | None = None, progress: bool = True) -> int:
    """Run every (condition, replication) not yet in `folder/runs`; returns the number of failed runs."""
    from tqdm.auto import tqdm

    store = RunStore(folder)
    store.root.mkdir(parents=True, exist_ok=True)
    done = store.done()
    missing = {ci: [r for r in range(plan.replications) if (ci, r) not in done] for ci in range(len(plan.conditions))}
    missing = {ci: reps for ci, reps in missing.items() if reps}
    left = sum(map(len, missing.values()))
    base = to_dict(plan.base)
    todo = [
        (base, plan.changes_for(plan.conditions[ci]), ci, reps, plan.seed, plan.series)
        for ci, reps in batches(missing, workers)
    ]
    total = len(plan.conditions) * plan.replications
    failed = 0
    with (
        tqdm(total=total, initial=total - left, unit="run", desc=plan.base.name, disable=not progress) as bar,
        Executor(workers, dask) as ex,
    ):
        for _, results in ex.imap_unordered(run_batch, todo):
            store.write(results)
            failed += sum(bool(r["error"]) for r in results)
            bar.update(len(results))
    return failed


# -- statistics ----------------------------------------------------------------------------------


def baseline_of(plan: Plan) -> dict[int, int | None]:
    """The baseline condition of each condition.

    For each condition, the baseline-strategy condition with the same values of the keys that change the
    baseline's runs (`key_applies`).
    """

    def other(c):
        return tuple((k, c[k]) for k in plan.keys if k != STRATEGY_KEY and key_applies(k, plan.baseline))

    index = {other(c): i for i, c in enumerate(plan.conditions) if c[STRATEGY_KEY] == plan.baseline}
    return {i: index.get(other(c)) for i, c in enumerate(plan.conditions)}


def aggregate(summary: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The aggregate table (aggregate.csv).

    One row per condition, metric and scope (`SCOPES`: all runs, the runs with a crisis, the
    firestorms), with the paired difference against the baseline strategy's condition (same
    replication, same seed). The interval of a metric that cannot be negative is clipped at 0
    (the same coverage: the mean cannot be below 0 either).
    """
    rows = []
    base = baseline_of(plan)
    names = list(METRICS)
    binary = [METRICS[m].binary for m in names]
    by_cond = {c: g.set_index("replication").sort_index() for c, g in summary.groupby("condition")}
    for ci, changes in enumerate(plan.conditions):
        g = by_cond[ci]
        b = by_cond.get(base[ci]) if base[ci] is not None and base[ci] != ci else None
        described = {}
        for scope in SCOPES:
            sel = g if scope == "all" else g[g[scope] == 1]
            stats = dict(zip(names, describe_columns(sel[names].to_numpy(float), binary, plan.seed)))
            diffs = None
            if b is not None:  # paired by replication: the same seed in both conditions
                reps = sel.index.intersection(b.index)
                diffs = sel.loc[reps, names].to_numpy(float) - b.loc[reps, names].to_numpy(float)
            described[scope] = (stats, diffs)
        for j, metric in enumerate(names):
            for scope in SCOPES:
                if scope == metric:
                    continue
                stats, diffs = described[scope]
                row = {
                    "condition": ci,
                    "label": Plan.label(changes),
                    **changes,
                    "metric": metric,
                    "scope": scope,
                    **stats[metric],
                }
                if METRICS[metric].nonnegative and row["ci_low"] < 0:  # the mean cannot be below 0 either
                    row["ci_low"] = 0.0
                    row["half_width"] = (row["ci_high"] - row["ci_low"]) / 2
                if diffs is not None:
                    d = diffs[:, j]
                    d = d[~np.isnan(d)]
                    row["diff_mean"] = float(d.mean()) if len(d) else math.nan
                    row["diff_low"], row["diff_high"] = t_interval(d)
                else:
                    row.update(diff_mean=math.nan, diff_low=math.nan, diff_high=math.nan)
                rows.append(row)
    return pd.DataFrame(rows)


def critical_delay(delays: np.ndarray, gain: np.ndarray) -> tuple[float, str]:
    """The critical delay of a gain curve.

    The delay beyond which the gain falls below half the gain at the smallest delay, linearly interpolated between
    swept delays; ('beyond_range' if it never does, 'no_gain' if there is none).
    """
    order = np.argsort(delays)
    d, g = np.asarray(delays, float)[order], np.asarray(gain, float)[order]
    if not len(g) or not np.isfinite(g[0]) or g[0] <= 0:
        return math.nan, "no_gain"
    half = g[0] / 2
    for i in range(1, len(g)):
        if g[i] < half:
            # Linear interpolation between (d[i-1], g[i-1]) and (d[i], g[i]).
            return float(d[i - 1] + (g[i - 1] - half) * (d[i] - d[i - 1]) / (g[i - 1] - g[i])), "found"
    return math.nan, "beyond_range"


FOUND_FOR_INTERVAL = 0.95  # share of bootstrap resamples with a window needed for a closed interval
FOUND_FOR_WINDOW = 0.5  # ... and for a window at all (else: beyond the swept range)


def critical_windows(
    summary: pd.DataFrame, plan: Plan, metric: str = WINDOW_METRIC, key: str = DELAY_KEY, boot: int = 1000
) -> pd.DataFrame:
    """The critical response windows of a sweep (critical_window.csv).

    For each strategy but the baseline (and each value of the other swept keys), over the swept
    `key` (a time: `brand.delay_hours`, or a named strategy's `at_hours`): the gain of responding
    over the baseline, paired by replication, in the metric's better direction (the registry's:
    less is better for a loss); the critical delay is where the gain falls below half the gain at
    the smallest swept delay (`critical_delay`). Its bootstrap resamples replications jointly
    across conditions (paired; seeded by the plan's seed) and counts every resample: a resample
    without a window counts as beyond the range. The interval is closed when at least 95% of the
    resamples have a window, open above ("more than") when fewer, and the window itself is
    reported beyond the range when fewer than half do. `rising` flags a curve where a later delay
    beats an earlier one by more than 2 SE of the paired difference (`rising_at`: those delays).
    """
    if key not in plan.vary:
        return pd.DataFrame()
    sign = -1.0 if METRICS[metric].better == "lower" else 1.0
    others = [k for k in plan.vary if k != key]
    rows = []
    wide = summary.pivot(index="replication", columns="condition", values=metric)
    base = baseline_of(plan)
    boots = bootstrap_indices(len(wide), boot, plan.seed)
    for strategy in plan.strategies:
        if strategy == plan.baseline:
            continue
        groups: dict[tuple, list[int]] = {}
        for ci, c in enumerate(plan.conditions):
            if c[STRATEGY_KEY] == strategy and c.get(key) is not None and base[ci] is not None:
                groups.setdefault(tuple(c[k] for k in others), []).append(ci)
        for other_values, conds in groups.items():
            delays = np.array([plan.conditions[ci][key] for ci in conds], float)
            order = np.argsort(delays)
            delays, conds = delays[order], [conds[i] for i in order]
            gains = np.stack([sign * (wide[ci].to_numpy() - wide[base[ci]].to_numpy()) for ci in conds], axis=1)
            point, status = critical_delay(delays, np.nanmean(gains, axis=0))
            samples = np.array([critical_delay(delays, np.nanmean(gains[b], axis=0))[0] for b in boots])
            found = float(np.mean(~np.isnan(samples)))
            beyond = np.where(np.isnan(samples), np.inf, samples)  # no window: beyond the range
            lo, hi = np.percentile(beyond, [2.5, 97.5], method="inverted_cdf")  # no interpolation with inf
            if status == "found" and found < FOUND_FOR_WINDOW:
                point, status = math.nan, "beyond_range"
            rising = rising_delays(delays, gains)
            rows.append(
                {
                    "strategy": strategy,
                    **dict(zip(others, other_values)),
                    "metric": metric,
                    "key": key,
                    "clock": plan.base.brand.anchor,
                    "smallest_delay_h": float(delays[0]),
                    "immediate_gain": float(np.nanmean(gains[:, 0])),
                    "critical_delay_h": point,
                    "ci_low": float(lo) if np.isfinite(lo) and status == "found" else math.nan,
                    "ci_high": float(hi) if np.isfinite(hi) and status == "found" else math.nan,
                    "ci_open": int(status == "found" and found < FOUND_FOR_INTERVAL),
                    "status": status,
                    "bootstrap_found_share": found,
                    "rising": int(bool(rising)),
                    "rising_at": "; ".join(rising),
                }
            )
    return pd.DataFrame(rows)


def rising_delays(delays: np.ndarray, gains: np.ndarray) -> list[str]:
    """Where a later delay gains more than the one before it by over 2 SE of their paired difference."""
    out = []
    for i in range(1, len(delays)):
        diff = gains[:, i] - gains[:, i - 1]
        diff = diff[np.isfinite(diff)]
        if len(diff) < 2:
            continue
        se = diff.std(ddof=1) / math.sqrt(len(diff))
        if diff.mean() > 2 * se and diff.mean() > 0:
            out.append(f"{delays[i]:g} h gains {diff.mean():+.3g} (SE {se:.2g}) more than {delays[i - 1]:g} h")
    return out


def quantile_rows(plan: Plan, store: RunStore) -> pd.DataFrame:
    """The quantiles of the main series (timeseries_quantiles.csv).

    Per condition and step, the mean and quantiles of the main series over replications, reading one condition's
    runs at a time.
    """
    dt = plan.base.simulation.dt_hours
    frames = []
    for ci, changes in enumerate(plan.conditions):
        runs = list(store.series(ci).values())
        if not runs:
            continue
        steps = len(runs[0]["reputation"])
        for name in QUANTILE_SERIES:
            m = np.stack([s[name] for s in runs])
            q = np.percentile(m, QUANTILES, axis=0)
            frames.append(
                pd.DataFrame(
                    {
                        "condition": ci,
                        "label": Plan.label(changes),
                        **{k: [v] * steps for k, v in changes.items()},
                        "step": np.arange(steps),
                        "hours": np.arange(steps) * dt,
                        "series": name,
                        "mean": m.mean(axis=0),
                        **{f"q{p:02d}": q[i] for i, p in enumerate(QUANTILES)},
                    }
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def collect_summary(plan: Plan, store: RunStore) -> pd.DataFrame:
    """summary.csv: one row per run, in (condition, replication) order."""
    rows = []
    for ci, changes in enumerate(plan.conditions):
        records = store.records(ci)
        for r in range(plan.replications):
            rec = records[r]
            rows.append(
                {
                    "condition": ci,
                    "label": Plan.label(changes),
                    **changes,
                    "replication": r,
                    "seed": seed_label(plan.seed, r),
                    **rec["metrics"],
                    "error": rec["error"],
                }
            )
    return pd.DataFrame(rows)


# -- the whole experiment -------------------------------------------------------------------------


def run_experiment(
    plan: Plan,
    folder: Path,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> dict:
    """Run (or resume) an experiment into `folder` and write its tables; returns a short digest.

    Figures and the report are drawn from the folder afterwards (`simulation.experiment_plots`,
    `simulation.report`; the command line does both).
    """
    folder = Path(folder)
    t0 = time.perf_counter()
    if not resume:
        experiment_folder.create(folder, plan.to_json(), to_toml(plan.base))
    with experiment_folder.locked(folder):
        return _run_locked(plan, folder, workers, dask, resume, progress, t0)


def _run_locked(plan: Plan, folder: Path, workers: int, dask: str | None, resume: bool, progress: bool, t0) -> dict:
    store = RunStore(folder)
    if resume:  # nothing stored is trusted unchecked: a bad run file is removed and run again
        note = experiment_folder.resume_note(store.verify(plan.rows, plan.replications, list(METRICS)))
        if note:
            print(note)
    failed = execute(plan, folder, workers=workers, dask=dask, progress=progress)
    summary = collect_summary(plan, store)
    windows = critical_windows(summary, plan, plan.window_metric, plan.window_key)
    experiment_folder.write_tables(
        folder,
        {
            experiment_folder.SUMMARY_CSV: summary,
            experiment_folder.AGGREGATE_CSV: aggregate(summary, plan),
            experiment_folder.CONTRASTS_CSV: contrasts(summary, plan, plan.resolve),
            # once the series are dropped, the quantiles written with them stay as they are
            experiment_folder.QUANTILES_CSV: None if store.series_dropped else quantile_rows(plan, store),
            experiment_folder.CRITICAL_CSV: windows,
        },
    )
    if plan.horizon_check:
        long = plan.at_horizon(min(2 * plan.base.simulation.days, MAX_DAYS))
        sub = folder / experiment_folder.HORIZON_DIR
        if progress:
            print(f"horizon check: the same runs at {long.base.simulation.days:g} days")
        later = run_experiment(
            long, sub, workers, dask, resume=(sub / experiment_folder.EXPERIMENT_JSON).is_file(), progress=progress
        )
        failed += later["failed"]
        experiment_folder.write_tables(
            folder, {experiment_folder.HORIZON_CSV: horizon_shift(plan, windows, later["windows"])}
        )
    if plan.series == "all":
        from .series_table import write_series_parquet

        write_series_parquet(plan, store, folder / experiment_folder.SERIES_PARQUET)
    else:
        store.drop_series()  # the quantiles are written: keep only the metrics
    write_meta(
        folder / experiment_folder.META_JSON,
        scenario=plan.base.name,
        kind=plan.kind,
        seed=plan.seed,
        replications=plan.replications,
        conditions=len(plan.conditions),
        failed_runs=failed,
        workers=workers,
        dask=dask or "",
        wall_seconds_this_session=round(time.perf_counter() - t0, 3),
        **({"network": file_network(plan.base).report} if plan.base.network.kind == "file" else {}),
    )
    return {"summary": summary, "windows": windows, "failed": failed}


def horizon_shift(plan: Plan, short: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """horizon_check.csv: each critical window at the horizon and at the longer one, and how far it moved.

    `shift_h` is the longer horizon's window minus the shorter's (NaN unless both are found);
    `capped` says the longer horizon is the simulation.days limit rather than twice the horizon.
    """
    if not len(short) or not len(long):
        return pd.DataFrame()
    keys = ["strategy"] + [k for k in plan.vary if k != plan.window_key]
    cols = ["critical_delay_h", "ci_low", "ci_high", "ci_open", "status", "bootstrap_found_share"]
    days = plan.base.simulation.days
    merged = short[keys + ["metric", "key", "clock"] + cols].merge(
        long[keys + cols], on=keys, suffixes=("", "_long"), how="left"
    )
    merged.insert(len(keys) + 3, "days", days)
    merged["days_long"] = min(2 * days, MAX_DAYS)
    merged["capped"] = int(2 * days > MAX_DAYS)
    merged["shift_h"] = merged["critical_delay_h_long"] - merged["critical_delay_h"]
    return merged


def file_network(sc: Scenario):
    """The network file of a scenario, as read (the same for every run)."""
    from .model import make_network

    return make_network(sc, np.random.default_rng(0))


def compare_plan(
    base: Scenario,
    strategies: list[str],
    replications: int,
    seed: int,
    baseline: str = "ignore",
    command: str = "",
    series: str = "all",
    resolve: float | None = None,
    allow_large: bool = False,
) -> Plan:
    """A comparison of strategies."""
    return Plan(
        "compare",
        base,
        strategies,
        {},
        replications,
        seed,
        baseline,
        command,
        series=series,
        resolve=resolve,
        allow_large=allow_large,
    )


def sweep_plan(
    base: Scenario,
    strategies: list[str],
    vary: dict[str, list],
    replications: int,
    seed: int,
    baseline: str = "ignore",
    command: str = "",
    series: str = "all",
    window_metric: str = WINDOW_METRIC,
    window_key: str = DELAY_KEY,
    resolve: float | None = None,
    horizon_check: bool = False,
    allow_large: bool = False,
) -> Plan:
    """A sweep: strategies times every combination of the varied keys' values."""
    return Plan(
        "sweep",
        base,
        strategies,
        vary,
        replications,
        seed,
        baseline,
        command,
        series=series,
        window_metric=window_metric,
        window_key=window_key,
        resolve=resolve,
        horizon_check=horizon_check,
        allow_large=allow_large,
    )


__all__ = [
    "Plan",
    "RunStore",
    "run_batch",
    "run_experiment",
    "compare_plan",
    "sweep_plan",
    "aggregate",
    "critical_delay",
    "critical_windows",
    "parse_vary",
]
