"""Calibration to an observed buzz: likelihood-free Bayesian inference by ABC-SMC (`python run.py calibrate`).

**What is fitted.** The scenario keys named with `--fit KEY=LO:HI[:log]`, each with a uniform prior
over its range (on a log scale with `:log`), and a nuisance parameter, the *capture fraction* `c`:
the observed count in a bin is modelled as Poisson(c x the model's posts in that bin). `c` folds
together the share of real posts the listening tool sees and how many real consumers each of the
model's consumers stands for (the population is a sample of the market), so it may exceed 1. Its
prior is log-uniform (`--capture LO:HI`, default 0.01:100); it is not a scenario key.

**Data and distance.** The observed file (`mentions.read_observed`) gives counts per bin from the
bin of the first negative mention. A simulation is seen through the observation model and aligned
by the same rule: its bins start at the first bin in which the tool saw a negative mention (the
model's complaint is at hour 0, but a tool that sees a share of posts may miss the first ones), so
bin j of both is the j-th bin after the first complaint seen. The distance between the observed
and a simulated series is the root mean square, over bins, of log1p(observed) - log1p(simulated)
*cumulative* counts (mentions so far at the end of each bin): over the negative series, and over
the positive one as well where the data have positive mentions. Logs keep the early hours as
informative as the peak; cumulative counts keep the bins' counting noise from dominating (see
`distance`).

**Algorithm.** ABC-SMC with an adaptive threshold (Beaumont et al. 2009, Biometrika 96:983;
Del Moral, Doucet & Jasra 2012): generation 0 draws `particles` parameter sets from the prior;
generation t accepts proposals whose distance is at most eps_t, the weighted median of generation
t-1's distances, until `particles` are accepted. Proposals perturb a particle of generation t-1,
picked by weight, with a Gaussian kernel; weights are prior / kernel mixture density. The kernel's
covariance (weighted sample covariance with Silverman's bandwidth), its mixture density and the
weighted statistics are pyabc's; the loop over generations is ours because pyabc's samplers draw
from numpy's global generator, which would make a posterior depend on the worker count. The
budget is the total number of simulations; the posterior is the last complete generation.

**Reproducibility.** Generation-synchronous: a generation's proposals are drawn in batches, each
from a generator seeded by (seed, generation, batch) before any is simulated; simulation i runs as
replication i of the root seed and draws its observation noise from (seed, i); proposals are
accepted in the order they were drawn. So the same seed gives the same posterior on one worker, on
many or on Dask, and a killed calibration resumes (from its last complete generation) to it.

**Files** (in the calibration folder): `calibration.json` (the settings), `scenario.toml` (the
resolved base scenario), `observed.csv` (the series fitted, aligned), `generations/` (each complete
generation, with a manifest of hashes a resume checks), then `posterior.csv`, `generations.csv`,
`posterior_summary.csv`, `calibrated.toml`, `diagnostics.json`, `meta.json`, figures and the report
(`simulation.calibrate_report`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .mentions import ObservedSeries
from .scenario import ScenarioError, load_scenario, to_dict, with_changes
from .sensitivity import Factor, parse_param

CAPTURE = "capture_fraction"  # the nuisance parameter's name in every table
DEFAULT_CAPTURE = (0.01, 100.0)
DEFAULT_PARTICLES = 100
DEFAULT_BUDGET = 3000
MIN_PARTICLES = 10
MAX_LINEAR_WIDTH = 1e100  # a linear prior wider than this: its kernel's variance overflows (use :log)
QUANTILE = 0.5  # each generation's threshold: this weighted quantile of the previous one's distances
INFORMED_SHARE = 0.8  # a 90% interval narrower than this share of the prior range: the data informed the key
ALIGN_SLACK_H = 24.0  # runs go on past the data's span by this many hours at least (for the alignment) ...
ALIGN_SLACK_SHARE = 0.5  # ... or by this share of the span, within the scenario's horizon
MIN_ACCEPTANCE = 0.02  # the lowest acceptance rate a generation's batch size plans for
MAX_BATCH_FACTOR = 20  # a batch holds at most this many times the particles
PROPOSE_STREAM = 0xCA1B  # spawn keys, under the root seed, of the proposals' and the observation noise's streams
OBSERVE_STREAM = 0x0B5E
STRATEGY_KEY = "brand.strategy"
SETTINGS_JSON = "calibration.json"
OBSERVED_CSV = "observed.csv"
GENERATIONS_DIR = "generations"
MANIFEST = "manifest.json"
POSTERIOR_CSV = "posterior.csv"
HISTORY_CSV = "generations.csv"
SUMMARY_CSV = "posterior_summary.csv"
CALIBRATED_TOML = "calibrated.toml"
DIAGNOSTICS_JSON = "diagnostics.json"
FINGERPRINT = ".fingerprint.json"
ORIGIN_JSON = "origin.json"
PRIOR_ONLY = (
    "; only the prior sample (generation 0) was completed: the 'posterior' is the prior, not an estimate "
    "(give a larger --budget)"
)


# -- settings --------------------------------------------------------------------------------------


def parse_fit(text: str) -> Factor:
    """A `--fit KEY=LO:HI[:log]`: a numeric scenario key and its prior range (checked against its allowed values)."""
    try:
        f = parse_param(text)
    except ScenarioError as exc:
        raise ScenarioError("--fit", exc.key, exc.message.replace("--param", "--fit")) from None
    if f.boolean:
        raise ScenarioError("--fit", f.key, "a true/false key cannot be fitted; set it with --set")
    if f.key == STRATEGY_KEY:
        raise ScenarioError("--fit", f.key, "the strategy followed is given with --strategy")
    if f.key.startswith("simulation."):  # the step and the horizon are how the model is solved, not what it says
        raise ScenarioError(
            "--fit", f.key, "a setting of the simulation, not a parameter of the buzz; set it with --set"
        )
    if not f.log and not f.hi - f.lo <= MAX_LINEAR_WIDTH:
        raise ScenarioError(
            "--fit",
            f.key,
            f"range {f.lo:g}:{f.hi:g} is too wide for a linear prior (its variance overflows); allowed: a width up "
            f"to {MAX_LINEAR_WIDTH:g}, or a log scale (LO:HI:log)",
        )
    return Factor(f.key, f.lo, f.hi, log=f.log, integer=f.integer, why="--fit")


def parse_capture(text: str) -> tuple[float, float]:
    """`--capture LO:HI`: the capture fraction's prior range (log-uniform; 0 < LO < HI)."""
    parts = str(text).split(":")
    try:
        lo, hi = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi <= 1e6):
        raise ScenarioError("--capture", str(text), "expected LO:HI with 0 < LO < HI <= 1e6 (a log-uniform prior)")
    return lo, hi


@dataclass
class Settings:
    """What a calibration fits, with what, and how far it may go."""

    factors: list[Factor]
    capture: tuple[float, float] = DEFAULT_CAPTURE
    particles: int = DEFAULT_PARTICLES
    budget: int = DEFAULT_BUDGET
    seed: int = 0
    data_sha256: str = ""
    quantile: float = QUANTILE
    names: list[str] = field(init=False)

    def __post_init__(self):
        self.capture = tuple(float(v) for v in self.capture)
        self.names = [f.key for f in self.factors] + [CAPTURE]
        keys = [f.key for f in self.factors]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ScenarioError("--fit", twice[0], "given twice")
        if self.particles < MIN_PARTICLES:
            raise ScenarioError("--particles", str(self.particles), f"at least {MIN_PARTICLES} particles")
        if self.budget < 2 * self.particles:
            raise ScenarioError(
                "--budget",
                str(self.budget),
                f"at least twice the particles ({2 * self.particles}): the prior sample takes {self.particles} "
                "simulations and each later generation at least as many",
            )

    @property
    def bounds(self) -> np.ndarray:
        """Each parameter's prior range in the sampled coordinates (log10 on a log scale), capture last."""
        rows = [f.bounds for f in self.factors] + [[math.log10(self.capture[0]), math.log10(self.capture[1])]]
        return np.asarray(rows, np.float64)

    def natural(self, theta: np.ndarray) -> np.ndarray:
        """Parameter values (rows of particles) from sampled coordinates; integer keys rounded."""
        theta = np.atleast_2d(theta)
        out = np.empty_like(theta, dtype=np.float64)
        for j, f in enumerate(self.factors):
            out[:, j] = f.values(theta[:, j])
        out[:, -1] = 10.0 ** theta[:, -1]
        return out

    def changes(self, values: np.ndarray) -> dict:
        """The scenario keys one particle sets (its natural values, capture left out)."""
        return {f.key: (int(v) if f.integer else float(v)) for f, v in zip(self.factors, values)}

    def to_json(self) -> str:
        """The settings as calibration.json."""
        d = asdict(self)
        d.pop("names")
        return json.dumps(d, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """The settings back from calibration.json."""
        d = json.loads(text)
        d["factors"] = [Factor(**f) for f in d["factors"]]
        return cls(**d)


def check_fit(settings: Settings, base, observed: ObservedSeries, source: str) -> dict:
    """Check that the scenario can be fitted to the data; returns the simulation's shape (a one-line error if not).

    The bins must be a whole number of the scenario's steps and the data must fit in its horizon;
    every fitted key's range ends must give a scenario that loads (with the others at their values).
    Runs are simulated for the data's span plus some slack (ALIGN_SLACK), within the horizon, so that
    a simulated buzz whose first mention the tool sees late can still be aligned on it.
    """
    if base.complaint.complainants < 1:
        raise ScenarioError(
            source, "complaint.complainants", "0: a fit starts from a complaint at hour 0; at least 1 complainant"
        )
    dt, bin_h = base.simulation.dt_hours, observed.bin_hours
    ratio = bin_h / dt
    if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-6:
        raise ScenarioError(
            source,
            observed.source,
            f"bins of {bin_h:g} h are not a whole number of the scenario's steps "
            f"(simulation.dt_hours = {dt:g}); give --set simulation.dt_hours={_divisor(bin_h, dt):g} "
            "or import the data with a wider --bin",
        )
    horizon_h = base.simulation.days * 24
    if observed.span_h > horizon_h + 1e-9:
        raise ScenarioError(
            source,
            observed.source,
            f"{observed.bins} bins span {observed.span_h:g} h, beyond the scenario's horizon of {horizon_h:g} h; "
            f"give --set simulation.days={math.ceil(observed.span_h / 24)}",
        )
    for f in settings.factors:
        for v in (f.lo, f.hi):
            with_changes(base, {f.key: int(round(v)) if f.integer else v}, source=f"--fit {f.key}={v:g}")
    slack = math.ceil(max(ALIGN_SLACK_H, ALIGN_SLACK_SHARE * observed.span_h) / bin_h - 1e-9)
    sim_bins = min(observed.bins + slack, int(math.floor(horizon_h / bin_h + 1e-9)))
    return {
        "steps_per_bin": int(round(ratio)),
        "bins": observed.bins,
        "sim_bins": sim_bins,
        "days": sim_bins * bin_h / 24,
    }


def _divisor(bin_h: float, dt: float) -> float:
    """The largest step that divides a bin and is no longer than dt."""
    k = max(1, math.ceil(bin_h / dt - 1e-9))
    return bin_h / k


# -- one simulation, seen through the listening tool ------------------------------------------------


def log_series(observed: ObservedSeries) -> tuple[np.ndarray, np.ndarray | None]:
    """The observed series as the distance reads them: log1p of the cumulative counts (positive only where any)."""
    pos = observed.positive
    cumulative_pos = np.log1p(np.cumsum(pos)) if pos is not None and pos.any() else None
    return np.log1p(np.cumsum(observed.negative)), cumulative_pos


def distance(obs_log: tuple, negative: np.ndarray, positive: np.ndarray | None) -> float:
    """RMS over bins of log1p(observed) - log1p(simulated) cumulative counts, negative (and positive where fitted).

    Cumulative counts rather than counts per bin: with per-bin counts the distance is dominated by
    the bins' Poisson noise, and the posterior came out over-confident (its 90% intervals held the
    truth in 77% and 67% of 30 synthetic trials, against 88% and 95% of 60 with cumulative counts;
    `benchmarks/bench_recovery.py`).
    """
    neg_log, pos_log = obs_log
    sq = (np.log1p(np.cumsum(negative)) - neg_log) ** 2
    if pos_log is not None:
        sq = np.concatenate([sq, (np.log1p(np.cumsum(positive)) - pos_log) ** 2])
    return float(np.sqrt(sq.mean()))


def observation_rng(seed: int, sim: int) -> np.random.Generator:
    """The generator of simulation `sim`'s observation noise (independent of the run's own streams)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(OBSERVE_STREAM, sim)))


def binned(series: np.ndarray, steps_per_bin: int, bins: int) -> np.ndarray:
    """Posts per step (row 0 the initial state) summed into bins of `steps_per_bin` steps."""
    per_step = np.asarray(series, np.float64)[1 : 1 + steps_per_bin * bins]
    return per_step.reshape(bins, steps_per_bin).sum(axis=1)


def observe(negative: np.ndarray, positive: np.ndarray, capture: float, rng: np.random.Generator):
    """The listening tool's counts: Poisson(capture x the model's posts) per bin (the observation model)."""
    return rng.poisson(capture * negative).astype(np.float64), rng.poisson(capture * positive).astype(np.float64)


def aligned(negative: np.ndarray, positive: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Counts from the first bin with a negative mention, `bins` of them (zeros past the run's end), and that bin.

    The same rule as the data's (`mentions.read_observed`): hour 0 is the first complaint the tool saw.
    """
    seen = np.flatnonzero(negative)
    first = int(seen[0]) if len(seen) else len(negative)
    out = []
    for series in (negative, positive):
        cut = series[first : first + bins]
        out.append(np.concatenate([cut, np.zeros(bins - len(cut))]))
    return out[0], out[1], first


def simulate(sc, seed: int, sim: int, capture: float, shape: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Simulation `sim` of a scenario as the listening tool would count it, aligned like the data.

    Returns (negative, positive) counts per bin from the first bin the tool saw a complaint in, and
    that bin's index in the run (its offset, in bins, from the model's hour 0).
    """
    from .runner import run_replication

    rep = run_replication(sc, seed, sim, series=("posts_negative", "posts_positive"))
    neg = binned(rep.series["posts_negative"], shape["steps_per_bin"], shape["sim_bins"])
    pos = binned(rep.series["posts_positive"], shape["steps_per_bin"], shape["sim_bins"])
    return aligned(*observe(neg, pos, capture, observation_rng(seed, sim)), shape["bins"])


def synthetic_observed(
    sc, changes: dict, capture: float, seed: int, sim: int, hours: float, bin_hours: float = 1.0
) -> ObservedSeries:
    """A synthetic buzz made by the model with known values, as the listening tool would count it.

    Scenario `sc` with `changes`, simulation `sim` of root seed `seed`, counted with capture fraction
    `capture` (the observation model) over `hours` from the first complaint seen: the data that a
    parameter-recovery check fits.
    """
    bins = int(round(hours / bin_hours))
    observed = ObservedSeries("synthetic", bin_hours, np.ones(bins, np.int64), None)
    settings = Settings([], capture=(capture, 2 * capture), particles=MIN_PARTICLES, budget=2 * MIN_PARTICLES)
    shape = check_fit(settings, sc, observed, "synthetic")
    sc = with_changes(sc, {**changes, "simulation.days": shape["days"]}, source="synthetic")
    neg, pos, _ = simulate(sc, seed, sim, capture, shape)
    return ObservedSeries("synthetic", bin_hours, neg.astype(np.int64), pos.astype(np.int64))


def simulate_batch(
    base: dict, settings_json: str, values: np.ndarray, sims: list[int], seed: int, shape: dict, obs_log: tuple
) -> list[dict]:
    """Simulate particles (rows of natural values, capture last) in whatever process; their distances or errors."""
    settings = Settings.from_json(settings_json)
    sc0 = load_scenario(base)
    out = []
    for row, sim in zip(np.atleast_2d(values), sims):
        try:
            sc = with_changes(sc0, {**settings.changes(row[:-1]), "simulation.days": shape["days"]}, source="--fit")
            neg, pos, offset = simulate(sc, seed, int(sim), float(row[-1]), shape)
            d = distance(obs_log, neg, pos)
            out.append(
                {"sim": int(sim), "distance": d, "negative": neg, "positive": pos, "offset": offset, "error": ""}
            )
        except Exception as exc:  # a failing simulation is rejected and reported, never fatal
            out.append({"sim": int(sim), "distance": math.inf, "error": str(exc)})
    return out


# -- generations -----------------------------------------------------------------------------------


@dataclass
class Generation:
    """One complete ABC-SMC generation: its accepted particles and what it cost."""

    index: int
    theta: np.ndarray  # particles x parameters, sampled coordinates, capture last
    weights: np.ndarray  # normalised
    distances: np.ndarray
    sims: np.ndarray  # each particle's simulation number
    offsets: np.ndarray  # each particle's first bin seen with a complaint, in bins from the model's hour 0
    negative: np.ndarray  # particles x bins: each particle's simulated counts, as observed
    positive: np.ndarray
    epsilon: float  # the threshold it was accepted under (inf for the prior sample)
    simulations: int  # simulations run for it, accepted or not
    failed: int  # of which failed

    @property
    def acceptance(self) -> float:
        """Particles accepted per simulation run."""
        return len(self.weights) / self.simulations if self.simulations else math.nan

    @property
    def ess(self) -> float:
        """Effective sample size of the weights (Kish)."""
        from pyabc.weighted_statistics import effective_sample_size

        return float(effective_sample_size(self.weights))

    def save(self, path: Path) -> None:
        """Write the generation atomically as .npz (arrays only: no pickle)."""
        tmp = path.with_name(f".{path.name}.tmp.npz")
        arrays = {k: v for k, v in asdict(self).items()}
        np.savez(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Generation:
        """A generation back from its file."""
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
        scalars = {"index": int, "epsilon": float, "simulations": int, "failed": int}
        return cls(**{k: (scalars[k](d[k]) if k in scalars else d[k]) for k in d})


def kernel(previous: Generation, names: list[str]):
    """The perturbation kernel fitted on a generation (pyabc's multivariate normal transition)."""
    from pyabc.transition import MultivariateNormalTransition

    t = MultivariateNormalTransition()
    t.fit(pd.DataFrame(previous.theta, columns=names), previous.weights)
    return t


def propose(
    settings: Settings, previous: Generation | None, transition, rng: np.random.Generator, size: int
) -> np.ndarray:
    """`size` proposals in sampled coordinates: from the prior, or a weighted particle perturbed by the kernel.

    Perturbations that leave the prior's support are drawn again (they would have prior density 0).
    """
    lo, hi = settings.bounds.T
    if previous is None:
        return lo + (hi - lo) * rng.random((size, len(lo)))
    out = np.empty((0, len(lo)))
    while len(out) < size:
        pick = rng.choice(len(previous.weights), size=size, p=previous.weights)
        moved = previous.theta[pick] + rng.multivariate_normal(np.zeros(len(lo)), transition.cov, size=size)
        inside = np.all((moved >= lo) & (moved <= hi), axis=1)
        out = np.concatenate([out, moved[inside]])
    return out[:size]


def weights_of(theta: np.ndarray, previous: Generation | None, transition, names: list[str]) -> np.ndarray:
    """Importance weights: prior density (uniform: constant) over the kernel mixture's density, normalised."""
    if previous is None:
        w = np.ones(len(theta))
    else:
        w = 1.0 / np.asarray(transition.pdf(pd.DataFrame(theta, columns=names)), np.float64)
    return w / w.sum()


def threshold(previous: Generation | None, quantile: float) -> float:
    """The next generation's distance threshold: a weighted quantile of the previous one's distances."""
    if previous is None:
        return math.inf
    from pyabc.weighted_statistics import weighted_quantile

    return float(weighted_quantile(previous.distances, previous.weights, alpha=quantile))


def batch_size(need: int, accepted: int, simulated: int, expected: float, left: int, particles: int) -> int:
    """How many proposals the next batch of a generation simulates: enough for `need` more at the rate seen so far."""
    rate = accepted / simulated if simulated else expected
    size = need if rate >= 1 else math.ceil(need / max(MIN_ACCEPTANCE, rate) * 1.1)  # 10% spare below certainty
    return max(1, min(left, max(need, size), MAX_BATCH_FACTOR * particles))


# -- the folder ------------------------------------------------------------------------------------


class Store:
    """A calibration folder's generations: written atomically, hashed in a manifest, verified on resume."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.root = self.folder / GENERATIONS_DIR

    def path(self, index: int) -> Path:
        """The file of generation `index`."""
        return self.root / f"g{index:03d}.npz"

    def _manifest(self) -> dict:
        try:
            return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write(self, gen: Generation) -> None:
        """Add a complete generation and its hash."""
        from .results import file_sha256, write_text

        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(gen.index)
        gen.save(path)
        manifest = self._manifest()
        manifest[path.name] = file_sha256(path)
        write_text(self.root / MANIFEST, json.dumps(manifest, indent=2) + "\n")

    def trusted(self, settings: Settings, bins: int) -> list[Generation]:
        """The complete generations whose files hash as written and have the settings' shape, in order.

        The first one that does not (edited, truncated, deleted) ends the list, since each generation
        is drawn from the one before. Reads only.
        """
        from .results import file_sha256

        manifest, out = self._manifest(), []
        for index in range(len(manifest)):
            path = self.path(index)
            try:
                ok = path.name in manifest and path.is_file() and file_sha256(path) == manifest[path.name]
                gen = Generation.load(path) if ok else None
                ok = ok and gen.index == index and gen.theta.shape == (settings.particles, len(settings.names))
                ok = ok and gen.negative.shape == (settings.particles, bins)
            except (OSError, ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                break
            out.append(gen)
        return out

    def verified(self, settings: Settings, bins: int) -> tuple[list[Generation], list[str]]:
        """For a resume: the trusted generations, and the names of the files removed after them.

        Every generation file after the last trusted one is removed (and its manifest entry), to be
        run again.
        """
        from .results import write_text

        out, manifest = self.trusted(settings, bins), self._manifest()
        kept = {self.path(g.index).name for g in out}
        on_disk = {p.name for p in self.root.glob("g*.npz")} if self.root.is_dir() else set()
        removed = sorted((on_disk | set(manifest)) - kept)
        strange = [n for n in removed if (self.root / n).exists() and not (self.root / n).is_file()]
        if strange:
            from .experiment_folder import FolderError

            raise FolderError(
                f"{self.root / strange[0]}: not a generation file (a folder or another kind of entry); "
                "remove it, then resume"
            )
        for name in removed:
            (self.root / name).unlink(missing_ok=True)
        if removed:
            self.root.mkdir(parents=True, exist_ok=True)
            write_text(self.root / MANIFEST, json.dumps({n: manifest[n] for n in sorted(kept)}, indent=2) + "\n")
        return out, removed


def fingerprint(folder: Path) -> dict[str, str]:
    """The SHA-256 of the files a calibration starts from (settings, scenario, data)."""
    from .experiment_folder import SCENARIO_TOML
    from .results import file_sha256

    names = (SETTINGS_JSON, SCENARIO_TOML, OBSERVED_CSV)
    return {n: file_sha256(Path(folder) / n) if (Path(folder) / n).is_file() else "" for n in names}


def create(folder: Path, settings: Settings, base, observed: ObservedSeries, origin: dict | None = None) -> None:
    """Start a calibration folder (refuses a non-empty one): settings, scenario, the data as fitted, its origin.

    `origin` (origin.json) says where the calibration came from (the data file, the command that
    reproduces it, the strategy followed): what meta.json and the report show, kept for a resume.
    """
    from .experiment_folder import SCENARIO_TOML
    from .results import check_destination, make_folder, write_csv, write_text
    from .scenario import to_toml

    folder = Path(folder)
    check_destination(folder)  # one line: a file, or a folder that is not empty
    make_folder(folder)
    write_text(folder / SETTINGS_JSON, settings.to_json())
    write_text(folder / SCENARIO_TOML, to_toml(base))
    write_csv(observed_frame(observed), folder / OBSERVED_CSV)
    write_text(folder / ORIGIN_JSON, json.dumps(origin or {}, indent=2, default=str) + "\n")
    write_text(folder / FINGERPRINT, json.dumps(fingerprint(folder), indent=2) + "\n")


def observed_frame(observed: ObservedSeries) -> pd.DataFrame:
    """The series fitted, as a table in the observed format (hours from the first complaint)."""
    out = {"hours": np.round(np.arange(observed.bins) * observed.bin_hours, 6), "negative": observed.negative}
    if observed.positive is not None:
        out["positive"] = observed.positive
    out["bin_hours"] = observed.bin_hours
    return pd.DataFrame(out)


def open_folder(folder: Path):
    """A calibration folder's settings, scenario and data, checked unchanged since it started (for a resume)."""
    from .experiment_folder import SCENARIO_TOML, FolderError
    from .mentions import read_observed

    folder = Path(folder)
    if not (folder / SETTINGS_JSON).is_file():
        raise FolderError(
            f"{folder}: not a calibration folder (no {SETTINGS_JSON}); --resume takes the folder "
            "an interrupted calibrate wrote"
        )
    try:
        started = json.loads((folder / FINGERPRINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise FolderError(f"{folder}: no readable {FINGERPRINT}; start a new calibration") from None
    changed = [n for n, h in fingerprint(folder).items() if started.get(n) != h]
    if changed:
        raise FolderError(f"{folder}: {' and '.join(changed)} changed since the calibration started; start a new one")
    settings = Settings.from_json((folder / SETTINGS_JSON).read_text(encoding="utf-8"))
    return settings, load_scenario(folder / SCENARIO_TOML), read_observed(folder / OBSERVED_CSV)


# -- the run ---------------------------------------------------------------------------------------


def run_calibration(
    settings: Settings,
    base,
    observed: ObservedSeries,
    folder: Path | None,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    progress: bool = True,
    origin: dict | None = None,
) -> dict:
    """Run (or resume) a calibration into `folder` (None: in memory only); returns its generations and diagnostics.

    `origin`: what a new folder's origin.json says (see `create`).

    Raises:
        ScenarioError: when every simulation of the prior sample failed (the first error named).
    """
    import contextlib

    from tqdm.auto import tqdm

    from .executor import Executor
    from .experiment_folder import locked

    shape = check_fit(settings, base, observed, "--data")
    store = None
    if folder is not None:
        if not resume:
            create(Path(folder), settings, base, observed, origin)
        store = Store(Path(folder))
    base_dict, settings_json, obs_log = to_dict(base), settings.to_json(), log_series(observed)
    with locked(Path(folder)) if folder is not None else contextlib.nullcontext():
        generations, removed = store.verified(settings, observed.bins) if resume and store else ([], [])
        if removed:
            print(f"resume: {len(removed)} generation file(s) not trusted, run again: {', '.join(removed)}")
        used = sum(g.simulations for g in generations)
        incomplete = None
        errors: list[str] = []
        bar = tqdm(total=settings.budget, initial=used, unit="sim", desc=f"calibrate {base.name}", disable=not progress)
        with bar, Executor(workers, dask) as ex:
            while settings.budget - used >= settings.particles:
                t = len(generations)
                previous = generations[-1] if generations else None
                eps = threshold(previous, settings.quantile)
                transition = kernel(previous, settings.names) if previous is not None else None
                bar.set_postfix(generation=t, epsilon=f"{eps:.3g}")
                result = _generation(
                    t, settings, previous, transition, eps, used, ex, bar, (base_dict, settings_json, shape, obs_log)
                )
                used += result["simulations"]
                errors += result["errors"]
                if result["generation"] is None:
                    incomplete = result
                    break
                if store is not None:
                    store.write(result["generation"])
                generations.append(result["generation"])
        if not generations:
            first = errors[0] if errors else "no simulation could run"
            raise ScenarioError("calibrate", "", f"no particle of the prior sample could be simulated ({first})")
        diagnostics = diagnostics_of(settings, generations, incomplete, used, len(errors))
    return {"generations": generations, "diagnostics": diagnostics, "errors": errors, "shape": shape}


def _generation(t, settings, previous, transition, eps, used, ex, bar, context) -> dict:
    """Simulate proposals in seeded batches until `particles` are accepted (or the budget ends)."""
    base_dict, settings_json, shape, obs_log = context
    p = settings.particles
    expected = 1.0 if previous is None else settings.quantile
    thetas, results, simulated, accepted, batch = [], [], 0, 0, 0
    while accepted < p:
        left = settings.budget - used - simulated
        if left <= 0:
            return {
                "generation": None,
                "index": t,
                "accepted": accepted,
                "simulations": simulated,
                "errors": [r["error"] for r in results if r["error"]],
            }
        size = batch_size(p - accepted, accepted, simulated, expected, left, p)
        rng = np.random.default_rng(np.random.SeedSequence(settings.seed, spawn_key=(PROPOSE_STREAM, t, batch)))
        theta = propose(settings, previous, transition, rng, size)
        values = settings.natural(theta)
        sims = list(range(used + simulated, used + simulated + size))
        chunk = max(1, math.ceil(size / (4 * ex.workers)))
        tasks = [
            (base_dict, settings_json, values[i : i + chunk], sims[i : i + chunk], settings.seed, shape, obs_log)
            for i in range(0, size, chunk)
        ]
        out: list = [None] * len(tasks)
        for i, res in ex.imap_unordered(simulate_batch, tasks):
            out[i] = res
            bar.update(len(res))
        batch_results = [r for res in out for r in res]
        thetas.append(theta)
        results += batch_results
        simulated += size
        accepted += sum(1 for r in batch_results if not r["error"] and r["distance"] <= eps)
        batch += 1
    theta = np.concatenate(thetas)
    keep = [i for i, r in enumerate(results) if not r["error"] and r["distance"] <= eps][:p]
    chosen = theta[keep]
    gen = Generation(
        index=t,
        theta=chosen,
        weights=weights_of(chosen, previous, transition, settings.names),
        distances=np.array([results[i]["distance"] for i in keep]),
        sims=np.array([results[i]["sim"] for i in keep]),
        offsets=np.array([results[i]["offset"] for i in keep], np.int64),
        negative=np.stack([results[i]["negative"] for i in keep]),
        positive=np.stack([results[i]["positive"] for i in keep]),
        epsilon=eps,
        simulations=simulated,
        failed=sum(1 for r in results if r["error"]),
    )
    return {"generation": gen, "simulations": simulated, "errors": [r["error"] for r in results if r["error"]]}


def diagnostics_of(settings: Settings, generations: list[Generation], incomplete, used: int, failed: int) -> dict:
    """diagnostics.json: per generation its threshold, simulations, acceptance rate and effective sample size."""
    rows = [
        {
            "generation": g.index,
            "epsilon": None if math.isinf(g.epsilon) else g.epsilon,
            "simulations": g.simulations,
            "acceptance_rate": g.acceptance,
            "ess": g.ess,
            "median_distance": float(np.median(g.distances)),
            "failed_simulations": g.failed,
        }
        for g in generations
    ]
    out = {
        "particles": settings.particles,
        "budget": settings.budget,
        "simulations": used,
        "failed_simulations": failed,
        "generations": rows,
        "final_generation": generations[-1].index,
        "distance": "root mean square over bins of log1p(observed) - log1p(simulated) cumulative counts "
        "(simulated: Poisson(capture x posts) per bin)",
        "threshold": f"weighted {settings.quantile:g}-quantile of the previous generation's distances",
    }
    if incomplete is not None:
        out["stopped"] = (
            f"generation {incomplete['index']} stopped at the budget with {incomplete['accepted']} of "
            f"{settings.particles} particles accepted in {incomplete['simulations']} simulations"
        )
    else:
        out["stopped"] = "the budget left could not start another generation"
    if generations[-1].index == 0:
        out["stopped"] += PRIOR_ONLY
    return out


# -- the posterior ---------------------------------------------------------------------------------


def posterior_frame(settings: Settings, gen: Generation) -> pd.DataFrame:
    """One row per particle of a generation: the fitted keys (natural values), the capture, weight, distance."""
    values = settings.natural(gen.theta)
    out = pd.DataFrame(values, columns=settings.names)
    for f in settings.factors:
        if f.integer:
            out[f.key] = out[f.key].astype(int)
    out.insert(0, "particle", np.arange(len(out)))
    out.insert(0, "generation", gen.index)
    out["weight"] = gen.weights
    out["distance"] = gen.distances
    out["simulation"] = gen.sims
    return out


def summary_frame(settings: Settings, gen: Generation) -> pd.DataFrame:
    """posterior_summary.csv: each parameter's weighted median, 90% interval, prior, whether the data informed it."""
    from pyabc.weighted_statistics import weighted_quantile

    rows = []
    bounds = settings.bounds
    for j, name in enumerate(settings.names):
        q = [float(weighted_quantile(gen.theta[:, j], gen.weights, alpha=a)) for a in (0.5, 0.05, 0.95)]
        lo, hi = bounds[j]
        share = (q[2] - q[1]) / (hi - lo)
        log = settings.factors[j].log if j < len(settings.factors) else True
        nat = [10.0**v if log else v for v in q]
        if j < len(settings.factors) and settings.factors[j].integer:  # a whole number, as the runs used it
            nat = [float(round(v)) for v in nat]
        prior = settings.capture if j == len(settings.factors) else (settings.factors[j].lo, settings.factors[j].hi)
        rows.append(
            {
                "key": name,
                "median": nat[0],
                "q05": nat[1],
                "q95": nat[2],
                "prior_low": prior[0],
                "prior_high": prior[1],
                "scale": "log" if log else "linear",
                "interval_share": share,
                "informed": bool(share < INFORMED_SHARE),
            }
        )
    return pd.DataFrame(rows)


def predictive_bands(gen: Generation, quantiles=(0.05, 0.5, 0.95)) -> dict[str, np.ndarray]:
    """Weighted quantiles over the posterior's particles of their simulated counts, bin by bin."""
    from pyabc.weighted_statistics import weighted_quantile

    out = {}
    for name in ("negative", "positive"):
        series = getattr(gen, name)
        if series.size:
            out[name] = np.array(
                [
                    [weighted_quantile(series[:, b], gen.weights, alpha=q) for b in range(series.shape[1])]
                    for q in quantiles
                ]
            )
    return out


def calibrated_toml(settings: Settings, base, summary: pd.DataFrame, source: str) -> str:
    """The scenario with the posterior medians of the fitted keys, every key resolved, the capture as a comment."""
    from .scenario import to_toml

    med = dict(zip(summary.key, summary["median"]))
    changes = {f.key: int(round(med[f.key])) if f.integer else float(f"{med[f.key]:.6g}") for f in settings.factors}
    sc = with_changes(base, changes, source=source)
    cap = summary.set_index("key").loc[CAPTURE]
    head = (
        f"# Calibrated by buzzsim calibrate: the fitted keys ({', '.join(changes)}) at their posterior medians.\n"
        "# The capture fraction (observed mentions per simulated post; not a scenario key): "
        f"median {cap['median']:.4g}, 90% interval {cap.q05:.4g} to {cap.q95:.4g}.\n"
    )
    return head + to_toml(sc)


ORIGIN_TYPES = {"data": str, "reproduce": str, "skipped_bins": int, "strategy": str}  # origin.json's entries


def read_origin(folder: Path) -> dict:
    """A calibration folder's origin.json (see `create`); {} when it has none (a folder older than the file).

    It only describes (it is not fingerprinted): an entry of another type than `create` writes, as
    an edited file may hold, is left out like a missing one.
    """
    try:
        origin = json.loads((Path(folder) / ORIGIN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(origin, dict):
        return {}
    return {k: v for k, v in origin.items() if k not in ORIGIN_TYPES or type(v) is ORIGIN_TYPES[k]}


def write_outputs(folder: Path, settings: Settings, base, result: dict, meta: dict) -> dict[str, pd.DataFrame]:
    """Write the posterior, its summary, the calibrated scenario, the diagnostics and meta.json."""
    from .results import write_csv, write_meta, write_text

    folder = Path(folder)
    gens = result["generations"]
    final = gens[-1]
    posterior = posterior_frame(settings, final)
    history = pd.concat([posterior_frame(settings, g) for g in gens], ignore_index=True)
    summary = summary_frame(settings, final)
    write_csv(posterior, folder / POSTERIOR_CSV)
    write_csv(history, folder / HISTORY_CSV)
    write_csv(summary, folder / SUMMARY_CSV)
    write_text(folder / CALIBRATED_TOML, calibrated_toml(settings, base, summary, "calibrated"))
    write_text(folder / DIAGNOSTICS_JSON, json.dumps(result["diagnostics"], indent=2) + "\n")
    fields = {**read_origin(folder), **meta, "prior_only": final.index == 0}
    write_meta(folder / "meta.json", kind="calibration", scenario=base.name, seed=settings.seed, **fields)
    return {"posterior": posterior, "summary": summary}


__all__ = [
    "CAPTURE",
    "Generation",
    "Settings",
    "parse_capture",
    "parse_fit",
    "run_calibration",
    "write_outputs",
]
