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
import multiprocessing
import os
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .metrics import METRICS
from .parameters import Scenario
from .results import write_csv, write_meta, write_text
from .scenario import ScenarioError, load_scenario, strategy_overrides, to_dict, to_toml, with_changes

QUANTILE_SERIES = ("reputation", "reputation_customers", "posts_negative_per_h", "angry", "churned", "search_stock")
QUANTILES = (5, 25, 50, 75, 95)
STRATEGY_KEY = "brand.strategy"
BRAND_TIMING_KEYS = {"brand.delay_hours", "brand.anchor"}


# -- the plan -----------------------------------------------------------------------------------


def parse_values(text: str, key: str) -> list:
    """`0,1,3` or a range `0:168:12` (start:stop:step, stop included) as a list of values."""
    from .scenario import parse_value

    if ":" in text and "," not in text:
        try:
            start, stop, step = (float(x) for x in text.split(":"))
        except ValueError:
            raise ScenarioError("--vary", key, f"range {text!r} must be start:stop:step numbers") from None
        if step <= 0 or stop < start:
            raise ScenarioError("--vary", key, f"range {text!r} needs step > 0 and stop >= start")
        values = list(np.round(np.arange(start, stop + step / 2, step), 10))
        return [
            int(v) if float(v).is_integer() and all(float(x).is_integer() for x in (start, step)) else float(v)
            for v in values
        ]
    values = [parse_value(v.strip()) for v in text.split(",") if v.strip()]
    if not values:
        raise ScenarioError("--vary", key, "no values given; write KEY=V1,V2 or KEY=start:stop:step")
    return values


def parse_vary(items: Iterable[str]) -> dict[str, list]:
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError("--vary", item, "expected KEY=V1,V2,... or KEY=start:stop:step")
        out[key.strip()] = parse_values(text, key.strip())
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

    def __post_init__(self):
        if self.baseline not in self.strategies:
            self.strategies = [self.baseline] + list(self.strategies)
        if not self.conditions:
            combos = itertools.product(self.strategies, *self.vary.values())
            seen = []
            for s, *values in combos:
                c = {STRATEGY_KEY: s, **dict(zip(self.vary, values))}
                if s == "ignore":  # the brand's timing keys do nothing when it never acts: run once
                    c = {k: (None if k in BRAND_TIMING_KEYS else v) for k, v in c.items()}
                if c not in seen:
                    seen.append(c)
            self.conditions = seen
        for c in self.conditions:  # every condition must make a valid scenario
            self.scenario_for(c)

    @property
    def keys(self) -> list[str]:
        return [STRATEGY_KEY] + list(self.vary)

    def scenario_for(self, changes: dict) -> Scenario:
        """The base scenario with one condition's changes (a preset replaces a custom schedule)."""
        extra = strategy_overrides(changes[STRATEGY_KEY])
        set_ = {k: v for k, v in changes.items() if v is not None}
        return with_changes(self.base, {**extra, **set_}, source="experiment")

    @staticmethod
    def label(changes: dict) -> str:
        return ", ".join(
            [str(changes[STRATEGY_KEY])]
            + [f"{k}={v}" for k, v in changes.items() if k != STRATEGY_KEY and v is not None]
        )

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "scenario": self.base.name,
            "seed": self.seed,
            "replications": self.replications,
            "baseline": self.baseline,
            "strategies": self.strategies,
            "vary": self.vary,
            "clock": self.base.brand.anchor,
            "keys": self.keys,
            "conditions": [
                {"condition": i, "label": self.label(c), "changes": c} for i, c in enumerate(self.conditions)
            ],
            "command": self.command,
            "dt_hours": self.base.simulation.dt_hours,
            "days": self.base.simulation.days,
            "currency": self.base.population.currency,
        }

    @classmethod
    def from_folder(cls, folder: Path) -> "Plan":
        """The plan of an existing experiment folder (to resume it)."""
        path = Path(folder) / "experiment.json"
        if not path.exists():
            raise ScenarioError(
                str(folder),
                "",
                "not an experiment folder (no experiment.json); "
                "--resume takes the folder an interrupted compare or sweep wrote",
            )
        d = json.loads(path.read_text())
        base = load_scenario(Path(folder) / "scenario.toml")
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
        )


# -- one run ------------------------------------------------------------------------------------


def run_task(scenario_dict: dict, condition: int, replication: int, seed: int) -> dict:
    """One run, in whatever process: its metrics and its compact series, or its error."""
    from .model import BuzzModel
    from .randomness import replication_seed

    out = {"condition": condition, "replication": replication}
    try:
        sc = load_scenario(scenario_dict)
        model = BuzzModel(sc, rng=replication_seed(seed, replication)).run()
        d = model.recorder.data
        series = {name: d[name] for name in QUANTILE_SERIES if name in d}
        series["posts_negative_per_h"] = d["posts_negative"] / model.dt
        out.update(metrics=model.metrics(), series={k: np.asarray(v, np.float64) for k, v in series.items()}, error="")
    except Exception as exc:  # a failing run is recorded and does not stop the others
        out.update(
            metrics={m: math.nan for m in METRICS},
            series=None,
            error=f"{exc.__class__.__name__}: {exc}".replace("\n", " "),
            traceback=traceback.format_exc(),
        )
    return out


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which shuts them down cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- storage of finished runs --------------------------------------------------------------------


class RunStore:
    """`runs/c<condition>/r<replication>.json|.npz`: one finished run each, written atomically."""

    def __init__(self, folder: Path):
        self.root = Path(folder) / "runs"

    def _stem(self, condition: int, replication: int) -> Path:
        return self.root / f"c{condition:04d}" / f"r{replication:05d}"

    def done(self) -> set[tuple[int, int]]:
        out = set()
        for p in self.root.glob("c*/r*.json"):
            out.add((int(p.parent.name[1:]), int(p.stem[1:])))
        return out

    def write(self, result: dict) -> None:
        stem = self._stem(result["condition"], result["replication"])
        stem.parent.mkdir(parents=True, exist_ok=True)
        if result.get("series") is not None:
            tmp = stem.with_name(stem.name + ".tmp.npz")
            np.savez(tmp, **result["series"])
            os.replace(tmp, stem.with_suffix(".npz"))
        record = {k: result[k] for k in ("condition", "replication", "metrics", "error")}
        if result.get("traceback"):
            record["traceback"] = result["traceback"]
        # The .json marks the run as finished, so it is written last.
        write_text(stem.with_suffix(".json"), json.dumps(record, default=float) + "\n")

    def metrics(self, condition: int, replication: int) -> dict:
        return json.loads(self._stem(condition, replication).with_suffix(".json").read_text())

    def series(self, condition: int, replication: int) -> dict[str, np.ndarray] | None:
        path = self._stem(condition, replication).with_suffix(".npz")
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}


# -- executing ------------------------------------------------------------------------------------


def execute(plan: Plan, folder: Path, workers: int = 1, dask: str | None = None, progress: bool = True) -> int:
    """Run every (condition, replication) not yet in `folder/runs`; returns the number of failed runs."""
    from tqdm.auto import tqdm

    store = RunStore(folder)
    store.root.mkdir(parents=True, exist_ok=True)
    done = store.done()
    scen = [to_dict(plan.scenario_for(c)) for c in plan.conditions]
    todo = [(ci, r) for ci in range(len(plan.conditions)) for r in range(plan.replications) if (ci, r) not in done]
    total = len(plan.conditions) * plan.replications
    bar = tqdm(
        total=total, initial=total - len(todo), unit="run", desc=plan.base.name, disable=not progress, smoothing=0.1
    )
    failed = 0

    def finish(result: dict) -> None:
        nonlocal failed
        store.write(result)
        failed += bool(result["error"])
        bar.update(1)

    try:
        if dask:
            _execute_dask(dask, workers, todo, scen, plan.seed, finish)
        elif workers <= 1:
            for ci, r in todo:
                finish(run_task(scen[ci], ci, r, plan.seed))
        else:
            _execute_pool(workers, todo, scen, plan.seed, finish)
    finally:
        bar.close()
    return failed


def _execute_pool(workers: int, todo, scen, seed, finish) -> None:
    """A process pool, fed a bounded number of tasks at a time (memory stays flat)."""
    # spawn, not fork: forking a process that runs threads (numba, BLAS) may deadlock.
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_ignore_sigint, mp_context=multiprocessing.get_context("spawn")
    )
    pending = set()
    tasks = iter(todo)
    try:
        for ci, r in itertools.islice(tasks, 4 * workers):
            pending.add(pool.submit(run_task, scen[ci], ci, r, seed))
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                finish(f.result())
                nxt = next(tasks, None)
                if nxt is not None:
                    pending.add(pool.submit(run_task, scen[nxt[0]], nxt[0], nxt[1], seed))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _execute_dask(address: str, workers: int, todo, scen, seed, finish) -> None:
    """A Dask distributed cluster (`local` starts one on this machine)."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures = [client.submit(run_task, scen[ci], ci, r, seed, pure=False) for ci, r in todo]
        for fut in as_completed(futures):
            finish(fut.result())
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- statistics ----------------------------------------------------------------------------------


def t_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean (NaN with fewer than 2 values)."""
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (stays within [0, 1], sound for small n)."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


BINARY_METRICS = {"crisis", "ongoing_at_horizon"}


def describe_values(x: np.ndarray, binary: bool = False) -> dict:
    """n, mean, median, 5-95% and a 95% interval of the mean (Wilson for 0/1 outcomes, else t)."""
    x = x[~np.isnan(x)]
    if not len(x):
        return dict(n=0, mean=math.nan, median=math.nan, q05=math.nan, q95=math.nan, ci_low=math.nan, ci_high=math.nan)
    lo, hi = wilson_interval(int(x.sum()), len(x)) if binary else t_interval(x)
    return dict(
        n=len(x),
        mean=float(x.mean()),
        median=float(np.median(x)),
        q05=float(np.percentile(x, 5)),
        q95=float(np.percentile(x, 95)),
        ci_low=lo,
        ci_high=hi,
    )


def baseline_of(plan: Plan) -> dict[int, int | None]:
    """For each condition, the baseline-strategy condition with the same other keys (the brand's
    timing keys aside when the baseline is to ignore).
    """

    def other(c):
        return tuple(
            (k, c[k])
            for k in plan.keys
            if k != STRATEGY_KEY and not (plan.baseline == "ignore" and k in BRAND_TIMING_KEYS)
        )

    index = {other(c): i for i, c in enumerate(plan.conditions) if c[STRATEGY_KEY] == plan.baseline}
    return {i: index.get(other(c)) for i, c in enumerate(plan.conditions)}


def aggregate(summary: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """One row per condition, metric and scope (all runs / runs with a crisis), with the paired
    difference against the baseline strategy's condition (same replication, same seed).
    """
    rows = []
    base = baseline_of(plan)
    by_cond = {c: g.set_index("replication").sort_index() for c, g in summary.groupby("condition")}
    for ci, changes in enumerate(plan.conditions):
        g = by_cond[ci]
        b = by_cond.get(base[ci]) if base[ci] is not None and base[ci] != ci else None
        for metric in METRICS:
            for scope in ("all", "crisis"):
                if scope == "crisis" and metric == "crisis":
                    continue
                sel = g if scope == "all" else g[g.crisis == 1]
                row = {
                    "condition": ci,
                    "label": Plan.label(changes),
                    **changes,
                    "metric": metric,
                    "scope": scope,
                    **describe_values(sel[metric].to_numpy(float), binary=metric in BINARY_METRICS),
                }
                if b is not None:
                    reps = sel.index.intersection(b.index)
                    d = sel.loc[reps, metric].to_numpy(float) - b.loc[reps, metric].to_numpy(float)
                    d = d[~np.isnan(d)]
                    row["diff_mean"] = float(d.mean()) if len(d) else math.nan
                    row["diff_low"], row["diff_high"] = t_interval(d)
                else:
                    row.update(diff_mean=math.nan, diff_low=math.nan, diff_high=math.nan)
                rows.append(row)
    return pd.DataFrame(rows)


def critical_delay(delays: np.ndarray, gain: np.ndarray) -> tuple[float, str]:
    """The delay beyond which the gain falls below half the gain at the smallest delay, linearly
    interpolated between swept delays; ('beyond_range' if it never does, 'no_gain' if there is none).
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


def critical_windows(
    summary: pd.DataFrame, plan: Plan, metric: str = "final_reputation", boot: int = 1000
) -> pd.DataFrame:
    """The critical response window of each remedy strategy in a sweep over brand.delay_hours,
    with a bootstrap interval over replications (resampled jointly across conditions: paired).
    """
    key = "brand.delay_hours"
    if key not in plan.vary:
        return pd.DataFrame()
    others = [k for k in plan.vary if k != key]
    rows = []
    wide = summary.pivot(index="replication", columns="condition", values=metric)
    base = baseline_of(plan)
    rng = np.random.default_rng(plan.seed)
    boots = rng.integers(0, len(wide), size=(boot, len(wide)))
    for strategy in plan.strategies:
        if strategy == plan.baseline:
            continue
        groups: dict[tuple, list[int]] = {}
        for ci, c in enumerate(plan.conditions):
            if c[STRATEGY_KEY] == strategy:
                groups.setdefault(tuple(c[k] for k in others), []).append(ci)
        for other_values, conds in groups.items():
            delays = np.array([plan.conditions[ci][key] for ci in conds], float)
            gains = np.stack([wide[ci].to_numpy() - wide[base[ci]].to_numpy() for ci in conds], axis=1)
            point, status = critical_delay(delays, np.nanmean(gains, axis=0))
            samples = [critical_delay(delays, np.nanmean(gains[b], axis=0))[0] for b in boots]
            samples = np.array(samples)
            ok = samples[~np.isnan(samples)]
            lo, hi = np.percentile(ok, [2.5, 97.5]) if len(ok) >= 0.5 * boot else (math.nan, math.nan)
            rows.append(
                {
                    "strategy": strategy,
                    **dict(zip(others, other_values)),
                    "metric": metric,
                    "clock": plan.base.brand.anchor,
                    "immediate_gain": float(np.nanmean(gains[:, np.argmin(delays)])),
                    "critical_delay_h": point,
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "status": status,
                    "bootstrap_found_share": len(ok) / boot,
                }
            )
    return pd.DataFrame(rows)


def quantile_rows(plan: Plan, store: RunStore) -> pd.DataFrame:
    """Per condition and step, the mean and quantiles of the main series over replications,
    reading one condition's runs at a time.
    """
    dt = plan.base.simulation.dt_hours
    frames = []
    for ci, changes in enumerate(plan.conditions):
        runs = [store.series(ci, r) for r in range(plan.replications)]
        runs = [s for s in runs if s is not None]
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
    from .runner import seed_label

    rows = []
    for ci, changes in enumerate(plan.conditions):
        for r in range(plan.replications):
            rec = store.metrics(ci, r)
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
    figures: bool = True,
) -> dict:
    """Run (or resume) an experiment into `folder` and write its outputs; returns a short digest."""
    folder = Path(folder)
    t0 = time.perf_counter()
    if not resume:
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(
                f"{folder}: --out exists and is not empty; choose a new folder, or --resume {folder} to finish it"
            )
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "scenario.toml", to_toml(plan.base))
        write_text(folder / "experiment.json", json.dumps(plan.to_json(), indent=2, default=str) + "\n")
    failed = execute(plan, folder, workers=workers, dask=dask, progress=progress)
    store = RunStore(folder)
    summary = collect_summary(plan, store)
    write_csv(summary, folder / "summary.csv")
    write_csv(aggregate(summary, plan), folder / "aggregate.csv")
    write_csv(quantile_rows(plan, store), folder / "timeseries_quantiles.csv")
    windows = critical_windows(summary, plan)
    if len(windows):
        write_csv(windows, folder / "critical_window.csv")
    write_meta(
        folder / "meta.json",
        scenario=plan.base.name,
        kind=plan.kind,
        seed=plan.seed,
        replications=plan.replications,
        conditions=len(plan.conditions),
        failed_runs=failed,
        workers=workers,
        dask=dask or "",
        wall_seconds_this_session=round(time.perf_counter() - t0, 3),
    )
    if figures:
        from . import experiment_plots, report

        experiment_plots.all_figures(folder)
        report.write_report(folder)
    return {"summary": summary, "windows": windows, "failed": failed}


def compare_plan(
    base: Scenario, strategies: list[str], replications: int, seed: int, baseline: str = "ignore", command: str = ""
) -> Plan:
    return Plan("compare", base, strategies, {}, replications, seed, baseline, command)


def sweep_plan(
    base: Scenario,
    strategies: list[str],
    vary: dict[str, list],
    replications: int,
    seed: int,
    baseline: str = "ignore",
    command: str = "",
) -> Plan:
    return Plan("sweep", base, strategies, vary, replications, seed, baseline, command)


__all__ = [
    "Plan",
    "RunStore",
    "run_experiment",
    "compare_plan",
    "sweep_plan",
    "aggregate",
    "critical_delay",
    "critical_windows",
    "parse_vary",
]
