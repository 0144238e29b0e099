"""Known results the model must reproduce when reduced to them.

- Maki-Thompson rumour on a well-mixed population (`scenarios/validation/maki_thompson.toml`): the
  share never informed tends to theta = 0.2031878..., the root of theta = exp(-2 (1 - theta))
  (Sudbury 1985).
- SIR on the SNAP ego-Facebook network (`scenarios/validation/sir_network.toml`) against the peer
  library EoN (`fast_SIR`, continuous time), with the parameter mapping of :func:`sir_mapping`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..plots import OKABE_ITO, STANCE_COLOURS
from ..rates import rate_to_prob
from ..stance import Stance
from ..stats import ks_bound, ks_distance, mean_se, wasserstein
from .common import (
    VALIDATION_DIR,
    Check,
    check_figure,
    pmap,
    replicate,
    run_many,
    scenario_of,
    timed,
)

# Maki-Thompson: root in (0, 1/2) of theta = exp(-2 (1 - theta)) (Sudbury 1985).
THETA_MAKI_THOMPSON = 0.20318786997997992


def theta_maki_thompson() -> float:
    """The root in (0, 1/2) of theta = exp(-2 (1 - theta)), computed (Sudbury 1985)."""
    from scipy.optimize import brentq

    return float(brentq(lambda t: t - math.exp(-2 * (1 - t)), 1e-9, 0.5, xtol=1e-15))


def mt_preconditions(sc) -> None:
    """Raise ValueError unless the scenario is the Maki-Thompson reduction (see the scenario file)."""
    sp, c, p, n = sc.spread, sc.complaint, sc.population, sc.network
    need = {
        "network.kind = well_mixed": n.kind == "well_mixed",
        "network.mean_degree = 1 (one reader per post)": n.mean_degree == 1,
        "spread.visibility = 1": sp.visibility == 1,
        "an unaware reader always turns ANGRY (1 - exp(-anger_dose * susceptibility) = 1)": sp.anger_dose
        * (min(1.0, sp.customer_susceptibility) if p.customer_share > 0 else 1.0)
        >= 30,
        "spread.contagion_exponent = 1": sp.contagion_exponent == 1,
        "spread.stifle_prob = 1": sp.stifle_prob == 1,
        "spread.calmed_susceptibility = 0": sp.calmed_susceptibility == 0,
        "spread.stop_rate_per_h = 0": sp.stop_rate_per_h == 0,
        "spread.calm_threshold = 0": sp.calm_threshold == 0,
        "no collective attention (attention.novelty_half_life_h >= 1e9, novelty_exponent = 1)": (
            sc.attention.novelty_half_life_h >= 1e9 and sc.attention.novelty_exponent == 1
        ),
        "anger does not fade (anger_half_life_h >= 1e6 h)": sp.anger_half_life_h >= 1e6,
        "spread.initial_anger = 1": sp.initial_anger == 1,
        "complaint.persistent = false": not c.persistent,
        "complaint.complainants = 1": c.complainants == 1,
        "complaint.activity = 1 and population.activity_sigma = 0": c.activity == 1 and p.activity_sigma == 0,
        "no search": sc.search.search_rate_per_h == 0,
        "no amplifiers": not sc.amplifiers,
        "no background complaints": c.background_rate_per_h == 0,
        "brand strategy ignore": sc.brand.strategy == "ignore",
    }
    bad = [k for k, ok in need.items() if not ok]
    if bad:
        raise ValueError("not a Maki-Thompson reduction: " + "; ".join(bad))


@timed
def check_maki_thompson(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    tolerance: float = 0.005,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Maki-Thompson on a well-mixed population.

    Maki-Thompson on a well-mixed population: mean share never informed within `tolerance` of theta = 0.2032, with
    a standard error of the mean at most 0.3 * tolerance, every run finished.

    The never-informed share of a run is its final UNAWARE count / N (the complainant counts as
    informed); 1 - reach, with reach over the N - 1 others, differs from it by less than 1/N.

    """
    sc = scenario_of(VALIDATION_DIR / "maki_thompson.toml")
    mt_preconditions(sc)
    reps = 20 if quick else sc.replications
    runs = run_many(sc, sc.seed, reps, series=("unaware", "angry", "calmed"), until_quiet=True, workers=workers)
    n = sc.population.size
    never = np.array([r.counts["unaware"] / n for r in runs])
    unfinished = sum(r.counts["angry"] > 0 for r in runs)
    mean, se = mean_se(never)
    theta = THETA_MAKI_THOMPSON
    passed = abs(mean - theta) <= tolerance and se <= 0.3 * tolerance and unfinished == 0
    details = dict(
        runs=reps,
        n=n,
        dt_hours=sc.simulation.dt_hours,
        mean=mean,
        se=se,
        sd=float(never.std(ddof=1)),
        theta=theta,
        difference=mean - theta,
        tolerance=tolerance,
        unfinished=unfinished,
        max_duration_h=max(r.hours for r in runs),
        per_step_posting_chance=rate_to_prob(sc.spread.post_rate_per_h, sc.simulation.dt_hours),
    )
    figs = _fig_maki_thompson(out, runs, never, theta, sc, formats=formats)
    return Check(
        "8a",
        "Maki-Thompson rumour, well mixed",
        f"share never informed (final UNAWARE / N), N = {n:,}, one spreader, dt = "
        f"{sc.simulation.dt_hours:g} h, {reps} runs",
        f"{theta:.4f} +/- {tolerance} (Sudbury 1985), SE <= {0.3 * tolerance:.4f}",
        f"{mean:.4f} (SE {se:.4f}, sd {details['sd']:.4f})",
        mean,
        passed,
        "known result",
        "Maki & Thompson 1973; Sudbury 1985",
        details,
        figs,
    )


@check_figure("fact8a_maki_thompson", 2)
def _fig_maki_thompson(fig, axes, runs, never, theta, sc):
    oi, stance = OKABE_ITO, STANCE_COLOURS
    a, b = axes
    r0 = runs[0]
    n, dt = sc.population.size, sc.simulation.dt_hours
    h = np.arange(len(r0.series["unaware"])) * dt
    for name, code, label in (
        ("unaware", Stance.UNAWARE, "ignorants (unaware)"),
        ("angry", Stance.ANGRY, "spreaders (angry)"),
        ("calmed", Stance.CALMED, "stiflers (calmed)"),
    ):
        a.plot(h, r0.series[name] / n, color=stance[code], label=label)
    a.axhline(theta, color="0.3", linestyle=":", linewidth=1.2, label=f"theta = {theta:.4f}")
    a.set(title="One run (replication 0)", xlabel="time (hours)", ylabel="share of consumers", ylim=(0, 1))
    a.legend(frameon=False, loc="center right")
    b.hist(never, bins=12, color=oi["sky_blue"], edgecolor="white")
    b.axvline(theta, color="0.15", linestyle="--", linewidth=1.2, label=f"theory {theta:.4f}")
    m, se = mean_se(never)
    b.axvline(m, color=oi["vermillion"], linewidth=1.6, label=f"mean {m:.4f} (SE {se:.4f})")
    b.axvspan(theta - 0.005, theta + 0.005, color="0.5", alpha=0.15, linewidth=0, label="tolerance +/-0.005")
    b.set(title=f"Share never informed, {len(never)} runs", xlabel="share never informed", ylabel="runs (count)")
    b.legend(frameon=False, loc="upper left", fontsize=7.5)
    fig.suptitle(f"Maki-Thompson reduction: N = {n:,}, dt = {dt:g} h", fontsize=11)


# -- SIR against EoN ------------------------------------------------------------------------------


def sir_mapping(sc) -> dict:
    """The continuous-time SIR rates of an SIR-reduced scenario (raises ValueError otherwise).

    An ANGRY consumer posts at rate r = post_rate * activity * anger (activity 1, anger 1 and never
    fading); each post is seen by each follower with chance v = visibility and infects a
    susceptible reader with chance 1 - exp(-anger_dose) (simple contagion, every post counting).
    As dt -> 0 transmissions along one edge form a Poisson process of rate
        tau = r * v * (1 - exp(-anger_dose)),
    and an ANGRY consumer stops at rate gamma = stop_rate_per_h. Posts reach all followers at once:
    with n posts in its infectious period, a node transmits along each edge with chance
    1 - (1 - q)^n, q = tau / r; n / r tends to the infectious time and the correlation between a
    node's edges vanishes as m = r / gamma -> infinity at fixed tau.

    At a finite dt the final-size law of the stepped model equals that of the post model with
    m_eff = p (1 - g) / g posts per infectious period (p = 1 - exp(-r dt), g = 1 - exp(-gamma dt):
    a node may stop in the step it turns ANGRY, then posts with chance p and stops with chance g
    each step), i.e. an effective tau_eff = m_eff * gamma * q, below tau by about (r + gamma) dt / 2.
    """
    sp, c, p = sc.spread, sc.complaint, sc.population
    need = {
        "spread.contagion_exponent = 1": sp.contagion_exponent == 1,
        "spread.repeat_exposure = true": sp.repeat_exposure,
        "spread.stifle_prob = 0": sp.stifle_prob == 0,
        "spread.calmed_susceptibility = 0": sp.calmed_susceptibility == 0,
        "spread.stop_rate_per_h > 0": sp.stop_rate_per_h > 0,
        "spread.calm_threshold = 0 and anger never fades": sp.calm_threshold == 0 and sp.anger_half_life_h >= 1e6,
        "no collective attention (attention.novelty_half_life_h >= 1e9, novelty_exponent = 1)": (
            sc.attention.novelty_half_life_h >= 1e9 and sc.attention.novelty_exponent == 1
        ),
        "spread.initial_anger = 1": sp.initial_anger == 1,
        "population.activity_sigma = 0, complaint.activity = 1": p.activity_sigma == 0 and c.activity == 1,
        "complaint.persistent = false": not c.persistent,
        "susceptibility 1 (customer_share = 0 or customer_susceptibility = 1)": p.customer_share == 0
        or sp.customer_susceptibility == 1,
        "a post weighs 1 (silence_multiplier = 1)": sp.silence_multiplier == 1,
        "no search": sc.search.search_rate_per_h == 0,
        "no amplifiers": not sc.amplifiers,
        "brand strategy ignore": sc.brand.strategy == "ignore",
        "no background complaints": c.background_rate_per_h == 0,
        "an undirected graph": sc.network.kind not in ("well_mixed", "directed_scale_free") and not sc.network.directed,
    }
    bad = [k for k, ok in need.items() if not ok]
    if bad:
        raise ValueError("not an SIR reduction: " + "; ".join(bad))
    r = sp.post_rate_per_h * c.activity * sp.initial_anger
    q = sp.visibility * -math.expm1(-sp.anger_dose)
    tau, gamma = r * q, sp.stop_rate_per_h
    dt = sc.simulation.dt_hours
    p_post, g = rate_to_prob(r, dt), rate_to_prob(gamma, dt)
    m_eff = p_post * (1 - g) / g
    return dict(
        r=r,
        q=q,
        tau=tau,
        gamma=gamma,
        tau_over_gamma=tau / gamma,
        T=tau / (tau + gamma),
        posts_per_infectious_period=r / gamma,
        m_eff=m_eff,
        tau_eff=m_eff * gamma * q,
        per_step_posting_chance=p_post,
        per_step_stop_chance=g,
    )


@lru_cache(maxsize=2)
def _nx_graph(path: str):
    """The undirected networkx graph of an edge-list file, node ids as buzzsim numbers them."""
    import networkx as nx

    from ..network import cached_edge_list

    net = cached_edge_list(path, False, "target_sees_source")
    rows = np.repeat(np.arange(net.n), np.diff(net.indptr))
    cols = net.indices.astype(np.int64)
    keep = rows < cols
    g = nx.Graph()
    g.add_nodes_from(range(net.n))
    g.add_edges_from(zip(rows[keep].tolist(), cols[keep].tolist()))
    return g


def eon_task(path: str, tau: float, gamma: float, initial: tuple, runs: int, seed: int, grid_h: np.ndarray) -> dict:
    """`runs` EoN fast_SIR epidemics: final sizes (R at the end / N) and prevalence I/N on a grid."""
    import EoN

    g = _nx_graph(path)
    n = g.number_of_nodes()
    rng = np.random.default_rng(seed)
    sizes, curves = [], []
    for _ in range(runs):
        t, _, i, r = EoN.fast_SIR(g, tau, gamma, initial_infecteds=list(initial), rng=rng)
        sizes.append(r[-1] / n)
        idx = np.searchsorted(t, grid_h, side="right") - 1
        curves.append(np.asarray(i, float)[np.clip(idx, 0, len(i) - 1)] / n)
    return {"sizes": sizes, "curves": curves}


@timed
def check_sir_network(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    eon_runs: int | None = None,
    tolerance: float = 0.02,
    w1_bound: float = 0.02,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """SIR on ego-Facebook against EoN's fast_SIR at the dt -> 0 mapping of :func:`sir_mapping`.

    Equivalence: the mean final SIR size (share ever ANGRY, complainants included) within
    `tolerance` (2 percentage points) of EoN's, the Wasserstein-1 distance between the two
    empirical distributions below `w1_bound` (same unit), and their KS distance below
    ks_bound(n, m) = 1.949 sqrt((n + m) / (n m)), the distance sampling alone exceeds with chance
    0.1% for samples of these sizes from one distribution.
    """
    sc = scenario_of(VALIDATION_DIR / "sir_network.toml")
    mp = sir_mapping(sc)
    reps = 12 if quick else sc.replications
    m_eon = eon_runs or (80 if quick else 200)
    from ..model import BuzzModel
    from ..randomness import replication_seed
    from ..scenario import resolve_network_path

    probe = BuzzModel(sc, rng=replication_seed(sc.seed, 0))
    initial = tuple(int(i) for i in np.flatnonzero(probe.population.complainant))
    n = probe.population.n
    path = str(resolve_network_path(sc, None))
    grid = np.arange(0, sc.simulation.days * 24 + 1e-9, 1.0)
    chunks = 4 if m_eon >= 40 else 1
    sizes_per = [m_eon // chunks + (1 if i < m_eon % chunks else 0) for i in range(chunks)]
    # EoN's streams: children of (seed, 'EoN'), apart from the model's replication seeds (children of seed).
    seeds = np.random.SeedSequence([sc.seed, 0xE0E0]).spawn(chunks)
    eon_tasks = [
        (path, mp["tau"], mp["gamma"], initial, k, int(s.generate_state(1)[0]), grid) for k, s in zip(sizes_per, seeds)
    ]
    sim_tasks = [(sc, sc.seed, r, ("angry",), True) for r in range(reps)]
    # One pool for both kinds of task: the long EoN chunks first, then the model's runs.
    results = pmap(_dispatch, [("eon", t) for t in eon_tasks] + [("run", t) for t in sim_tasks], workers)
    eon = [x for res in results[:chunks] for x in res["sizes"]]
    eon_curves = np.array([c for res in results[:chunks] for c in res["curves"]])
    runs = results[chunks:]
    sim = np.array([(r.counts["angry"] + r.counts["calmed"]) / n for r in runs])
    unfinished = sum(r.counts["angry"] > 0 for r in runs)
    step_h = sc.simulation.dt_hours
    per_hour = int(round(1 / step_h))
    sim_curves = []
    for r in runs:
        a = r.series["angry"][::per_hour] / n
        c = np.zeros(len(grid))
        c[: min(len(a), len(grid))] = a[: len(grid)]
        sim_curves.append(c)
    sim_curves = np.array(sim_curves)
    ms, ses = mean_se(sim)
    me, see = mean_se(eon)
    diff = ms - me
    w1 = wasserstein(sim, eon)
    ks = ks_distance(sim, eon)
    kb = ks_bound(len(sim), len(eon))
    passed = abs(diff) <= tolerance and w1 <= w1_bound and ks <= kb and unfinished == 0
    details = dict(
        mapping=mp,
        runs=reps,
        eon_runs=len(eon),
        mean_buzzsim=ms,
        se_buzzsim=ses,
        sd_buzzsim=float(sim.std(ddof=1)),
        mean_eon=me,
        se_eon=see,
        sd_eon=float(np.std(eon, ddof=1)),
        difference=diff,
        se_difference=math.hypot(ses, see),
        tolerance=tolerance,
        wasserstein=w1,
        wasserstein_bound=w1_bound,
        ks=ks,
        ks_bound=kb,
        unfinished=unfinished,
        initial_infecteds=list(initial),
        dt_hours=step_h,
        n=n,
    )
    figs = _fig_sir(out, sim, np.array(eon), grid, sim_curves, eon_curves, mp, details, formats=formats)
    return Check(
        "8b",
        "SIR on ego-Facebook vs EoN",
        f"final SIR size (share ever ANGRY), tau/gamma = {mp['tau_over_gamma']:.4f}, "
        f"{mp['posts_per_infectious_period']:g} posts per infectious period, 10 hub seeds, "
        f"dt = {step_h:g} h, {reps} runs vs {len(eon)} EoN fast_SIR",
        f"|mean difference| <= {tolerance:.2f}, Wasserstein-1 <= {w1_bound:.2f}, KS <= {kb:.3f}",
        f"{ms:.4f} vs EoN {me:.4f} (diff {diff:+.4f}, SE {details['se_difference']:.4f}); W1 {w1:.4f}; KS {ks:.3f}",
        diff,
        passed,
        "known result",
        "EoN 2.0 fast_SIR (Miller & Ting 2019); Kenah & Robins 2007 (final size as percolation)",
        details,
        figs,
    )


def _dispatch(kind: str, task: tuple):
    return eon_task(*task) if kind == "eon" else replicate(*task)


@check_figure("fact8b_sir_eon", 2)
def _fig_sir(fig, axes, sim, eon, grid, sim_curves, eon_curves, mp, details):
    oi = OKABE_ITO
    a, b = axes
    for x, colour, label in (
        (eon, oi["black"], f"EoN fast_SIR ({len(eon)} runs)"),
        (sim, oi["vermillion"], f"buzzsim ({len(sim)} runs)"),
    ):
        xs = np.sort(x)
        a.step(xs, np.arange(1, len(xs) + 1) / len(xs), where="post", color=colour, label=label)
        a.axvline(x.mean(), color=colour, linestyle=":", linewidth=1.0)
    a.set(
        title="Final size: empirical CDFs (dotted: means)",
        xlabel="share of consumers ever infected (ANGRY)",
        ylabel="cumulative share of runs",
    )
    a.legend(
        frameon=False, loc="upper left", fontsize=7.5, title=f"W1 {details['wasserstein']:.4f}, KS {details['ks']:.3f}"
    )
    b.plot(grid, eon_curves.mean(axis=0), color=oi["black"], label="EoN: infected")
    b.plot(grid, sim_curves.mean(axis=0), color=oi["vermillion"], linestyle="--", label="buzzsim: ANGRY")
    b.set(title="Prevalence over time (mean over runs)", xlabel="time (hours)", ylabel="share of consumers")
    alive = np.flatnonzero(eon_curves.mean(axis=0) > 1e-4)
    b.set_xlim(0, max(24.0, 1.1 * grid[alive[-1]]) if len(alive) else grid[-1])
    b.legend(frameon=False)
    fig.suptitle(
        f"SIR reduction on ego-Facebook: tau = {mp['tau']:.4f}/h, gamma = {mp['gamma']:g}/h "
        f"(tau/gamma = {mp['tau_over_gamma']:.3f}), dt = {details['dt_hours']:g} h",
        fontsize=10.5,
    )
