"""Global sensitivity analysis: which parameters drive the damage and the value of a response, what survives.

A *study* samples the assumed parameters over their plausible ranges (Morris elementary effects
or Sobol' indices, sampled and analysed with SALib), runs every sample point as a condition of an
experiment on the usual engine (paired replications: every point and strategy uses the same
seeds, so differences between points are the parameters' doing, not chance), and analyses:

- **targets**: each metric under each compared option (a strategy, or a strategy at one delay of
  `--timing`); the paired effect of each option against the baseline (option minus baseline,
  replication by replication); with `--timing D1,D2`, the value of responding early (the metric
  at D1 minus at D2, replication by replication). Each target is the mean over replications at a
  sample point;
- **indices** (`sensitivity.csv`): Morris mu, mu* (with its bootstrap interval) and sigma; Sobol'
  S1 and ST (with their bootstrap intervals), per target, metric and parameter. A target with a
  failed sample point is not analysed on the gap: its indices are left empty with a note;
- **noise** (`noise.csv`): the share of each target's variance that comes from the replications
  rather than from the parameters, so that indices are not over-read;
- **robustness** (`robustness.csv`, `boxes.csv`): over the sample, how often each option is the
  best on each metric (the registry gives the better direction), its mean and worst regret, and
  where in parameter space another option is the best, as PRIM boxes (coverage, density).

The study's files sit beside the experiment's in one folder: `sensitivity.json` (the study:
method, parameters, sample size, options), `samples.csv` (the sample points), `runs/`, and the
tables above; a killed study resumes like an experiment.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .experiment_folder import DELAY_KEY, STRATEGY_KEY
from .metrics import METRICS
from .parameters import describe, field_of
from .scenario import Scenario, ScenarioError, with_changes

METHODS = ("morris", "sobol")
DEFAULT_METRICS = ("customer_reputation_loss_h", "reach_complaint", "peak_posts", "final_reputation")
MORRIS_LEVELS = 4  # grid levels of a Morris trajectory (SALib's default; p = 4 is the usual choice)
MIN_TRAJECTORIES = 2  # Morris needs two trajectories for a spread (sigma) and an interval
MIN_SOBOL_N = 8  # base samples of a Sobol' study at least (a power of two)
RESAMPLES = 1000  # bootstrap resamples of every index's interval
CONF_LEVEL = 0.95
NOISE_WARNING = 0.5  # above this share of chance in a target's variance, its indices are flagged
BOX_DENSITY = 0.8  # a PRIM box is chosen on its peeling trajectory with at least this density
SAMPLE_STREAM = 0x5E45  # spawn key of the sampler's seed under the study's seed
ANALYSIS_STREAM = 0xA1A1  # spawn key of the bootstrap's seed
ASSUMPTIONS = "assumptions"  # --params assumptions: the schema's parameters with a plausible range
# keys in rules about several keys (a degree below a size, a step within the horizon) or in the size limits: a
# study sampling any of them has every sample point checked before it runs, not only its ranges' ends
RULE_KEYS = ("simulation.", "population.size", "network.", "complaint.")
STUDY_JSON = "sensitivity.json"
SAMPLES_CSV = "samples.csv"
SENSITIVITY_CSV = "sensitivity.csv"
NOISE_CSV = "noise.csv"
ROBUSTNESS_CSV = "robustness.csv"
BOXES_CSV = "boxes.csv"


@dataclass(frozen=True)
class Factor:
    """One sampled parameter: its key, range, scale, and why that range."""

    key: str
    lo: float
    hi: float
    log: bool = False
    integer: bool = False
    boolean: bool = False
    why: str = ""

    @property
    def bounds(self) -> list[float]:
        """The range in the sampled coordinate (log10 on a log scale)."""
        return [math.log10(self.lo), math.log10(self.hi)] if self.log else [self.lo, self.hi]

    def values(self, x: np.ndarray) -> np.ndarray:
        """Parameter values from sampled coordinates."""
        # on a log scale, 10**log10(240) is 239.99999999999994: rounded to 12 significant digits, the range's ends
        # (and every value) are written as the numbers they are
        v = np.array([float(f"{u:.12g}") for u in 10.0 ** np.asarray(x, float)]) if self.log else np.asarray(x, float)
        if self.boolean:  # the lower half of [0, 1] is false, the upper true
            return v >= 0.5
        return np.round(v).astype(int) if self.integer else v


def seed_for(seed: int, stream: int) -> int:
    """A 32-bit seed for a library's sampler or bootstrap, derived from the study's seed by SeedSequence."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])


def assumption_factors() -> list[Factor]:
    """The curated assumed parameters, with the plausible ranges the schema declares for them."""
    out = []
    for row in describe():
        f = field_of(row["key"])
        if f is not None and "plausible" in f.metadata:
            lo, hi = f.metadata["plausible"]
            out.append(Factor(row["key"], lo, hi, log=f.metadata["plausible_log"], why=f.metadata["plausible_why"]))
    return out


def _in_a_list_item(key: str) -> bool:
    """Whether `key` names a field of a list's item (`amplifiers.0.threshold`, `brand.schedule.1.at_hours`)."""
    from .parameters import LIST_ITEMS

    for prefix in LIST_ITEMS:
        pattern = re.escape(prefix).replace("NAME", "[^.]+")
        if re.fullmatch(rf"{pattern}\.\d+\.[a-z_]+", key):
            return True
    return False


def parse_param(text: str, allow_integer_bool: bool = True) -> Factor:
    """A `--param KEY=LO:HI[:log]`, checked against the key's allowed values (one line naming it if not)."""
    key, eq, spec = text.partition("=")
    key = key.strip()
    if not eq or not key:
        raise ScenarioError("--param", text, "expected KEY=LO:HI or KEY=LO:HI:log")
    from .experiments import NOT_SWEPT

    f = field_of(key)
    if f is None and _in_a_list_item(key):
        raise ScenarioError(
            "--param",
            key,
            "a key of a list item (an amplifier, a schedule entry) cannot be sampled; allowed: the "
            "scenario's own keys (python run.py keys); set a list item with --set",
        )
    if f is None:
        raise ScenarioError("--param", key, "unknown key (python run.py keys lists them)")
    if key in NOT_SWEPT:
        raise ScenarioError("--param", key, f"cannot be sampled: {NOT_SWEPT[key]}")
    kind = str(f.type)
    if kind not in ("float", "int", "bool"):
        raise ScenarioError(
            "--param", key, f"is not numeric ({kind}); only numbers, integers and true/false are sampled"
        )
    parts = [p.strip() for p in spec.split(":")]
    log = len(parts) == 3 and parts[2] == "log"
    if kind == "bool":
        if spec.strip() not in ("", "0:1", "false:true"):
            raise ScenarioError("--param", key, "a true/false key is sampled as false:true (give KEY= or KEY=0:1)")
        return Factor(key, 0, 1, boolean=True, why="--param (true/false)")
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise ScenarioError("--param", key, f"expected LO:HI or LO:HI:log, got {spec!r}")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ScenarioError("--param", key, f"LO and HI must be numbers, got {spec!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ScenarioError("--param", key, f"needs finite LO < HI, got {spec!r}")
    if log and lo <= 0:
        raise ScenarioError("--param", key, f"a log scale needs LO > 0, got {spec!r}")
    if kind == "int" and not (lo.is_integer() and hi.is_integer()):
        raise ScenarioError("--param", key, f"an integer key needs integer LO and HI, got {spec!r}")
    m = f.metadata
    from .schema import allowed_text

    for v in (lo, hi):
        if (m["lo"] is not None and (v < m["lo"] or (m["lo_open"] and v == m["lo"]))) or (
            m["hi"] is not None and v > m["hi"]
        ):
            raise ScenarioError("--param", key, f"range {lo:g}:{hi:g} leaves the allowed values ({allowed_text(f)})")
    return Factor(key, lo, hi, log=log, integer=kind == "int", why="--param")


def resolve_factors(params: list[str], use_assumptions: bool) -> list[Factor]:
    """The study's factors: the curated assumptions (if asked), then `--param`s added or overriding ranges."""
    factors = {f.key: f for f in (assumption_factors() if use_assumptions else [])}
    seen = set()
    for text in params:
        f = parse_param(text)
        if f.key in seen:
            raise ScenarioError("--param", f.key, "given twice")
        seen.add(f.key)
        factors[f.key] = f
    if STRATEGY_KEY in factors or DELAY_KEY in factors:
        raise ScenarioError("--param", STRATEGY_KEY, "strategies are compared with --strategies, timing with --timing")
    return list(factors.values())


@dataclass
class Study:
    """What a sensitivity study samples, runs and analyses."""

    method: str
    factors: list[Factor]
    n: int
    replications: int
    seed: int
    strategies: list[str]
    baseline: str = "ignore"
    metrics: list[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    timing: list[float] = field(default_factory=list)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ScenarioError("--method", self.method, f"unknown method; allowed: {', '.join(METHODS)}")
        if not self.factors:
            raise ScenarioError(
                "--param", "(none)", "no parameter to sample: give --param KEY=LO:HI or --params assumptions"
            )
        if self.method == "morris" and self.n < MIN_TRAJECTORIES:
            raise ScenarioError("--n", str(self.n), f"Morris needs at least {MIN_TRAJECTORIES} trajectories")
        if self.method == "sobol":
            if self.n < MIN_SOBOL_N or self.n & (self.n - 1):
                raise ScenarioError(
                    "--n", str(self.n), f"Sobol' needs a power of two of base samples, at least {MIN_SOBOL_N}"
                )
            if len(self.factors) < 2:
                raise ScenarioError("--param", self.factors[0].key, "Sobol' indices need at least two parameters")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown:
            raise ScenarioError("--metrics", unknown[0], f"unknown metric; allowed: {', '.join(METRICS)}")
        if self.timing and (len(self.timing) != 2 or self.timing[0] == self.timing[1]):
            raise ScenarioError(
                "--timing", ",".join(map(str, self.timing)), "expected two different delays D1,D2 (hours)"
            )
        if any(not (math.isfinite(d) and d >= 0) for d in self.timing):
            raise ScenarioError("--timing", ",".join(map(str, self.timing)), "delays must be hours >= 0")
        if self.timing and self.strategies == [self.baseline]:
            raise ScenarioError("--timing", self.baseline, "the baseline has no response to time; add --strategies")

    @property
    def problem(self) -> dict:
        """SALib's problem: names and bounds in the sampled coordinates."""
        return {
            "num_vars": len(self.factors),
            "names": [f.key for f in self.factors],
            "bounds": [f.bounds for f in self.factors],
        }

    def unit_sample(self) -> np.ndarray:
        """The sample in the sampled coordinates (rows: points), drawn by SALib from the study's seed."""
        seed = seed_for(self.seed, SAMPLE_STREAM)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib's notes on sample sizes: the study checks its own
            if self.method == "morris":
                from SALib.sample import morris

                return morris.sample(self.problem, N=self.n, num_levels=MORRIS_LEVELS, seed=seed)
            from SALib.sample import sobol

            return sobol.sample(self.problem, N=self.n, calc_second_order=False, scramble=True, seed=seed)

    @property
    def point_count(self) -> int:
        """How many sample points the study draws, counted without drawing them (Morris N(k+1), Sobol' N(k+2))."""
        k = len(self.factors)
        return self.n * (k + 1) if self.method == "morris" else self.n * (k + 2)

    def points(self) -> pd.DataFrame:
        """The sample points as parameter values (samples.csv): one row per point."""
        x = self.unit_sample()
        return pd.DataFrame({f.key: f.values(x[:, j]) for j, f in enumerate(self.factors)}).rename_axis("point")

    @property
    def others(self) -> list[str]:
        """The compared strategies other than the baseline."""
        return [s for s in self.strategies if s != self.baseline]

    def options(self) -> list[tuple[str, float | None]]:
        """(strategy, delay or None) of every option compared at each point: the baseline first."""
        delays = self.timing or [None]
        return [(self.baseline, None)] + [(s, d) for s in self.others for d in delays]

    @staticmethod
    def option_label(strategy: str, delay: float | None) -> str:
        """'quick_fix' or 'quick_fix at 6 h'."""
        return strategy if delay is None else f"{strategy} at {delay:g} h"

    def conditions(self, points: pd.DataFrame) -> list[dict]:
        """Every (point, option) as an experiment condition: the strategy, its delay if timed, the point's values."""
        out = []
        values = [[v.item() if hasattr(v, "item") else v for v in row] for row in points.to_numpy(object)]
        keys = [f.key for f in self.factors]
        for row in values:
            for s, d in self.options():
                c = {STRATEGY_KEY: s}
                if self.timing:
                    c[DELAY_KEY] = d
                c.update(zip(keys, row))
                out.append(c)
        return out

    def check(self, base: Scenario, allow_large: bool = False) -> list[Scenario]:
        """Every factor's range and every option on the base scenario, checked before anything runs.

        The sample's size is counted before it is drawn (conditions and runs against their
        limits). Each factor is set alone at its low and at its high end, then all at once at each
        end, on every option, so that a combination the scenario refuses (a degree above a size)
        or a size beyond the limits (steps, edges) ends with one line before the study starts.
        Returns the scenarios tried (the command line checks their memory).
        """
        from .experiments import Plan
        from .limits import MAX_CONDITIONS, MAX_RUNS, check_count, check_network, check_steps
        from .strategies import strategy_names

        horizon = base.simulation.days * 24
        if any(d > horizon for d in self.timing):
            raise ScenarioError(
                "--timing",
                ",".join(f"{d:g}" for d in self.timing),
                f"a delay beyond the horizon ({horizon:g} h) is a response that never comes: compare with ignore "
                "(--strategies) instead; allowed: delays up to the horizon",
            )
        known = strategy_names(base)
        for name in self.strategies:
            if name not in known:
                option = "--baseline" if name == self.baseline else "--strategies"
                raise ScenarioError(option, name or repr(name), f"unknown strategy; allowed: {', '.join(known)}")
        conditions = self.point_count * len(self.options())
        check_count(conditions, MAX_CONDITIONS, "--n", str(self.n), "conditions", allow_large)
        runs = f"runs ({conditions:,} conditions x {self.replications} replications)"
        check_count(conditions * self.replications, MAX_RUNS, "--n", str(self.n), runs, allow_large)

        def at(f: Factor, end: int):
            return f.values(np.array([f.bounds[end]]))[0].item()

        trials = [{f.key: at(f, end)} for f in self.factors for end in (0, 1)]
        trials += [{f.key: at(f, end) for f in self.factors} for end in (0, 1)]
        tried = []
        for s, d in self.options():
            strategy = Plan.changes_for({STRATEGY_KEY: s, **({DELAY_KEY: d} if d is not None else {})})
            for t in trials:
                where = "--param (" + ", ".join(f"{k}={v:g}" for k, v in t.items()) + ")"
                sc = with_changes(base, {**strategy, **t}, source=where)
                check_steps(sc.steps, where, allow_large)
                check_network(sc, where, allow_large)
                tried.append(sc)
        if any(f.key.startswith(RULE_KEYS) for f in self.factors):  # a rule of several keys: every point tried
            keys = [f.key for f in self.factors]
            for i, row in enumerate(self.points().to_numpy(object)):
                t = {k: v.item() if hasattr(v, "item") else v for k, v in zip(keys, row)}
                where = f"--param (sample point {i}: " + ", ".join(f"{k}={v:g}" for k, v in t.items()) + ")"
                sc = with_changes(base, t, source=where)
                check_steps(sc.steps, where, allow_large)
                check_network(sc, where, allow_large)
        return tried

    def to_json(self) -> dict:
        """The study as written to sensitivity.json."""
        return {**asdict(self), "factors": [asdict(f) for f in self.factors]}

    @classmethod
    def from_json(cls, d: dict) -> Study:
        """A study from sensitivity.json."""
        return cls(**{**d, "factors": [Factor(**f) for f in d["factors"]]})


# -- targets ------------------------------------------------------------------------------------


def targets(study: Study, summary: pd.DataFrame, n_points: int) -> dict[tuple[str, str], np.ndarray]:
    """(target, metric) -> per-run values, shape (points, replications); NaN where a run failed.

    summary.csv's rows are in (condition, replication) order with the options of a point together,
    so condition = point x options + option.
    """
    options = study.options()
    k, reps = len(options), study.replications
    out = {}
    for m in study.metrics:
        v = summary[m].to_numpy(float).reshape(n_points, k, reps)
        for j, (s, d) in enumerate(options):
            out[(study.option_label(s, d), m)] = v[:, j]
        for j, (s, d) in enumerate(options[1:], start=1):
            out[(f"{study.option_label(s, d)} - {study.baseline}", m)] = v[:, j] - v[:, 0]
        if study.timing:
            d1, d2 = study.timing
            for s in study.others:
                j1, j2 = options.index((s, d1)), options.index((s, d2))
                out[(f"{s}: {d1:g} h - {d2:g} h", m)] = v[:, j1] - v[:, j2]
    return out


def noise_rows(values: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """noise.csv: per target and metric, how much of its variance is chance rather than the parameters.

    `noise_share_runs`: the mean variance between replications at a point over the variance of all
    runs (what one run at a point would carry); `noise_share_means`: the variance chance leaves in a
    point's mean (the within-point variance over R) over the variance of the points' means, the
    targets the indices analyse. Above NOISE_WARNING the indices of that target are flagged.
    """
    rows = []
    for (target, metric), v in values.items():
        ok = np.isfinite(v).all(axis=1)
        v = v[ok]
        reps = v.shape[1]
        within = float(np.mean(np.var(v, axis=1, ddof=1))) if reps > 1 and len(v) else math.nan
        total = float(np.var(v, ddof=1)) if v.size > 1 else math.nan
        means = float(np.var(v.mean(axis=1), ddof=1)) if len(v) > 1 else math.nan
        share_runs = within / total if total > 0 else (0.0 if total == 0 else math.nan)
        share_means = (within / reps) / means if means > 0 else (0.0 if within == 0 else math.nan)
        rows.append(
            dict(
                target=target,
                metric=metric,
                points=int(ok.sum()),
                replications=reps,
                noise_share_runs=min(share_runs, 1.0) if math.isfinite(share_runs) else share_runs,
                noise_share_means=min(share_means, 1.0) if math.isfinite(share_means) else share_means,
                warning="chance dominates" if share_means > NOISE_WARNING else "",
            )
        )
    return pd.DataFrame(rows)


# -- indices ------------------------------------------------------------------------------------


def indices(study: Study, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """The indices of one target (its mean at each point, `y`) for every factor, analysed by SALib.

    `x` is the sample in the sampled coordinates. The bootstrap is seeded from the study's seed, so
    the intervals are reproducible.
    """
    names = [f.key for f in study.factors]
    seed = seed_for(study.seed, ANALYSIS_STREAM)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if study.method == "morris":
            from SALib.analyze import morris

            r = morris.analyze(
                study.problem, x, y, num_resamples=RESAMPLES, conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=seed
            )
            df = pd.DataFrame(
                {
                    "parameter": names,
                    "mu": r["mu"],
                    "mu_star": r["mu_star"],
                    "mu_star_conf": r["mu_star_conf"],
                    "sigma": r["sigma"],
                }
            )
            low = df.mu_star - df.mu_star_conf
            df["warning"] = np.where((low <= 0) & (df.mu_star > 0), "interval includes 0", "")
            return df
        from SALib.analyze import sobol

        r = sobol.analyze(
            study.problem, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=CONF_LEVEL, seed=seed
        )
        df = pd.DataFrame(
            {"parameter": names, "S1": r["S1"], "S1_conf": r["S1_conf"], "ST": r["ST"], "ST_conf": r["ST_conf"]}
        )
        df["warning"] = np.where(df.ST - df.ST_conf <= 0, "interval includes 0", "")
        return df


INDEX_COLUMNS = {"morris": ["mu", "mu_star", "mu_star_conf", "sigma"], "sobol": ["S1", "S1_conf", "ST", "ST_conf"]}
RANK_INDEX = {"morris": "mu_star", "sobol": "ST"}  # the index a parameter's influence is ranked by


def sensitivity_rows(study: Study, x: np.ndarray, values: dict, noise: pd.DataFrame) -> pd.DataFrame:
    """sensitivity.csv: every target, metric and parameter with its indices, intervals and warnings."""
    frames = []
    chance = {(r.target, r.metric): r.warning for r in noise.itertuples()}
    for (target, metric), v in values.items():
        y = v.mean(axis=1)
        failed = np.flatnonzero(~np.isfinite(y))
        if len(failed):  # never analysed on a gap: said instead
            shown = ", ".join(map(str, failed[:10])) + (" ..." if len(failed) > 10 else "")
            df = pd.DataFrame({"parameter": [f.key for f in study.factors]})
            for c in INDEX_COLUMNS[study.method]:
                df[c] = math.nan
            df["warning"] = f"not computed: {len(failed)} sample point(s) failed (points {shown})"
        else:
            df = indices(study, x, y)
            if chance.get((target, metric)):
                df["warning"] = [("; ".join(filter(None, [w, "chance dominates"]))) for w in df.warning]
        df.insert(0, "metric", metric)
        df.insert(0, "target", target)
        df["rank"] = df[RANK_INDEX[study.method]].rank(ascending=False, method="min")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# -- robustness ---------------------------------------------------------------------------------


def option_means(study: Study, values: dict, metric: str) -> pd.DataFrame:
    """Each option's mean of `metric` at each point (columns: options' labels)."""
    return pd.DataFrame(
        {study.option_label(s, d): values[(study.option_label(s, d), metric)].mean(axis=1) for s, d in study.options()}
    )


def robustness_rows(study: Study, values: dict) -> pd.DataFrame:
    """robustness.csv: per metric and option, the share of points where it is best, and its regret.

    The better direction comes from the metric registry; a tie shares the point equally between the
    tied options (`tie_share`: the points where the option ties for best, as when no buzz starts and
    no option changes anything); the regret at a point is how much worse the option is than the best there (in the
    metric's unit, >= 0). `clear_share`: the points where the option is best alone by more than chance, its paired
    margin over every other option (replication by replication) beyond the 95% t-interval. Points with a failed
    run are left out and counted.
    """
    rows = []
    for metric in study.metrics:
        better = METRICS[metric].better
        if not better or len(study.options()) < 2:
            continue
        means = option_means(study, values, metric)
        ok = np.isfinite(means.to_numpy()).all(axis=1)
        v = means.to_numpy()[ok]
        signed = v if better == "higher" else -v
        best = signed.max(axis=1, keepdims=True)
        is_best = signed == best
        tied = is_best & (is_best.sum(axis=1, keepdims=True) > 1)
        wins = (is_best / is_best.sum(axis=1, keepdims=True)).mean(axis=0) if len(v) else np.full(v.shape[1], np.nan)
        regret = best - signed
        runs = np.stack([values[(label, metric)][ok] for label in means.columns], axis=1)  # points x options x reps
        clear = clear_wins(runs if better == "higher" else -runs) & is_best & ~tied
        for j, label in enumerate(means.columns):
            rows.append(
                dict(
                    metric=metric,
                    option=label,
                    win_share=float(wins[j]),
                    best_alone_share=float((is_best[:, j] & ~tied[:, j]).mean()) if len(v) else math.nan,
                    tie_share=float(tied[:, j].mean()) if len(v) else math.nan,
                    clear_share=float(clear[:, j].mean()) if len(v) else math.nan,
                    mean_regret=float(regret[:, j].mean()) if len(v) else math.nan,
                    worst_regret=float(regret[:, j].max()) if len(v) else math.nan,
                    points=int(ok.sum()),
                    points_failed=int((~ok).sum()),
                )
            )
    return pd.DataFrame(rows)


def clear_wins(signed_runs: np.ndarray, level: float = CONF_LEVEL) -> np.ndarray:
    """Where each option beats every other by more than chance: points x options, from runs points x options x reps.

    `signed_runs` are oriented so that higher is better. Option j clearly wins at a point when, for every
    other option k, the paired differences j - k over the replications (common random numbers) have a
    mean whose Student-t interval at `level` lies above 0. With one replication nothing is clear.
    """
    from scipy.stats import t

    points, options, reps = signed_runs.shape
    out = np.zeros((points, options), bool)
    if reps < 2:
        return out
    quantile = t.ppf(0.5 + level / 2, reps - 1)
    for j in range(options):
        d = signed_runs[:, [j], :] - np.delete(signed_runs, j, axis=1)  # points x others x reps
        low = d.mean(axis=2) - quantile * d.std(axis=2, ddof=1) / math.sqrt(reps)
        out[:, j] = (low > 0).all(axis=1)
    return out


TIE = "tie"  # the winner of a point where several options are equally best


def winners(study: Study, values: dict, metric: str) -> pd.Series:
    """The best option at each point on `metric` (TIE where several are equally best; NaN where a run failed)."""
    means = option_means(study, values, metric)
    signed = (means if METRICS[metric].better == "higher" else -means).fillna(-np.inf)
    out = signed.idxmax(axis=1).where(signed.eq(signed.max(axis=1), axis=0).sum(axis=1) == 1, TIE)
    return out.where(np.isfinite(means.to_numpy()).all(axis=1))


def box_rows(study: Study, points: pd.DataFrame, values: dict) -> tuple[pd.DataFrame, str]:
    """boxes.csv: where an option other than the most frequent winner is best, as PRIM boxes.

    For each metric, the leader is the option best at most points; for every other option best
    somewhere, PRIM (the EMA Workbench's) peels the parameter space toward the points where it is
    best, and the box kept is the one of largest coverage with a density of at least BOX_DENSITY
    (else the densest). One row per restricted parameter of a box. Returns the table and a note
    ('' or why no box was searched).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        return pd.DataFrame(), 'PRIM boxes need the analysis extra: pip install -e ".[analysis]"'
    import logging

    logging.getLogger("EMA").setLevel(logging.ERROR)
    rows = []
    for metric in study.metrics:
        if not METRICS[metric].better or len(study.options()) < 2:
            continue
        win = winners(study, values, metric)
        ok = win.notna().to_numpy()
        counts = win[ok].value_counts()
        if len(counts) < 2:
            continue
        counts = counts.drop(TIE, errors="ignore")
        if len(counts) < 2:
            continue
        leader = counts.index[0]
        x = points[ok].reset_index(drop=True).astype(float)
        varying = [c for c in x.columns if x[c].nunique() > 1]
        for option in counts.index[1:]:
            y = (win[ok] == option).to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                box = prim.Prim(x[varying], y, peel_alpha=0.1, mass_min=0.05).find_box()
            traj = box.peeling_trajectory
            dense = traj[traj.density >= BOX_DENSITY]
            i = int(dense.coverage.idxmax() if len(dense) else traj.density.idxmax())
            lims = box.box_lims[i]
            for key in varying:
                lo, hi = float(lims.loc[0, key]), float(lims.loc[1, key])
                if lo > x[key].min() or hi < x[key].max():
                    rows.append(
                        dict(
                            metric=metric,
                            option=option,
                            leader=leader,
                            coverage=float(traj.coverage[i]),
                            density=float(traj.density[i]),
                            mass=float(traj.mass[i]),
                            parameter=key,
                            low=lo if lo > x[key].min() else math.nan,
                            high=hi if hi < x[key].max() else math.nan,
                        )
                    )
    return pd.DataFrame(rows), ""


# -- the whole study ----------------------------------------------------------------------------


def analyse(study: Study, summary: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The study's tables from summary.csv: indices, noise, robustness, boxes (with a note if none)."""
    points = study.points()
    x = study.unit_sample()
    values = targets(study, summary, len(points))
    noise = noise_rows(values)
    boxes, note = box_rows(study, points, values)
    return {
        SENSITIVITY_CSV: sensitivity_rows(study, x, values, noise),
        NOISE_CSV: noise,
        ROBUSTNESS_CSV: robustness_rows(study, values),
        BOXES_CSV: boxes,
        "note": note,
    }


def study_text(study: Study) -> str:
    """sensitivity.json's text: the study."""
    return json.dumps(study.to_json(), indent=2) + "\n"


def read_study(folder: Path) -> Study:
    """The study of a sensitivity folder."""
    from .experiment_folder import FolderError, read_json

    path = Path(folder) / STUDY_JSON
    if not path.is_file():
        raise FolderError(f"{folder}: not a sensitivity folder (no {STUDY_JSON})")
    try:
        return Study.from_json(read_json(path, "a sensitivity study"))
    except (TypeError, KeyError, ValueError) as exc:  # fields missing or of the wrong kind
        if isinstance(exc, FolderError):
            raise
        raise FolderError(f"{path}: not a study this version wrote ({exc.__class__.__name__})") from None


def conditions_sha256(conditions: list[dict]) -> str:
    """The SHA-256 of a study's conditions (what a resume checks its sample against)."""
    import hashlib

    return hashlib.sha256(json.dumps(conditions, default=str).encode()).hexdigest()


def plan_of(study: Study, base: Scenario, command: str = "", allow_large: bool = False):
    """The experiment that runs the study: every (point, option) a condition, metrics only, paired seeds."""
    from .experiments import Plan

    vary = {f.key: [f.lo, f.hi] for f in study.factors}
    if study.timing:
        vary = {DELAY_KEY: list(study.timing), **vary}
    return Plan(
        "sensitivity",
        base,
        list(study.strategies),
        vary,
        study.replications,
        study.seed,
        study.baseline,
        command,
        conditions=study.conditions(study.points()),
        series="metrics",
        allow_large=allow_large,
        check_each=False,  # Study.check tried the ranges' ends on every option
    )


def run_study(
    study: Study,
    base: Scenario,
    folder: Path,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    progress: bool = True,
    command: str = "",
    allow_large: bool = False,
) -> dict:
    """Run (or resume) a study into `folder` and write its tables; returns them with the summary.

    A resume rebuilds the sample from sensitivity.json and refuses a folder whose stored
    conditions differ from it (another sampler version); run files are verified as for any
    experiment. Figures and the report are drawn from the folder afterwards.
    """
    import time

    from . import experiment_folder
    from .experiments import collect_summary, execute
    from .metrics import METRICS as REGISTRY
    from .results import write_csv, write_meta
    from .scenario import to_toml

    folder = Path(folder)
    t0 = time.perf_counter()
    plan = plan_of(study, base, command, allow_large)
    digest = conditions_sha256(plan.conditions)
    if not resume:
        # the conditions are the sample (samples.csv) times the options: experiment.json keeps their hash only
        # (10^5 conditions written out would take a hundred megabytes)
        plan_json = {**plan.to_json(conditions=False), "conditions_sha256": digest}
        samples = study.points().reset_index().to_csv(index=False, lineterminator="\n")  # as write_csv writes it
        # the study and its sample are hashed with the plan: a resume refuses a folder where they changed
        experiment_folder.create(
            folder, plan_json, to_toml(base), {STUDY_JSON: study_text(study), SAMPLES_CSV: samples}
        )
    else:
        experiment_folder.check_unchanged(folder)  # the plan, scenario and study as they were written
        if experiment_folder.read_plan(folder).get("conditions_sha256") != digest:
            raise ScenarioError(
                "--resume", str(folder), "its sample differs from the one its study draws (another version?)"
            )
    with experiment_folder.locked(folder):
        store = experiment_folder.RunStore(folder)
        if resume:
            note = experiment_folder.resume_note(store.verify(plan.rows, plan.replications, list(REGISTRY)))
            if note:
                print(note)
        failed = execute(plan, folder, workers=workers, dask=dask, progress=progress)
        summary = collect_summary(plan, store)
        summary.insert(1, "point", summary.condition // len(study.options()))
        tables = analyse(study, summary)
        note = tables.pop("note")
        write_csv(summary, folder / experiment_folder.SUMMARY_CSV)
        for name, df in tables.items():
            write_csv(df, folder / name)
        write_meta(
            folder / experiment_folder.META_JSON,
            scenario=base.name,
            kind="sensitivity",
            method=study.method,
            seed=study.seed,
            replications=study.replications,
            points=int(summary.point.max() + 1),
            conditions=len(plan.conditions),
            failed_runs=failed,
            workers=workers,
            dask=dask or "",
            boxes_note=note,
            wall_seconds_this_session=round(time.perf_counter() - t0, 3),
        )
    return {"summary": summary, "failed": failed, "note": note, **tables}
