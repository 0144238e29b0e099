"""The shipped scenarios held to account: each case in its envelope, each scenario's step size.

Each case stays inside the envelope of what its real case showed (`docs/cases.md`), and every
shipped scenario runs at a step size that converges.

Envelope of every case, on the scenario's own strategy:

- the buzz fades: in at least 90% of the runs with a crisis, the negative posts per hour over the
  last 24 hours of the horizon stay below 5% of the peak hour, above the posts the background rate
  of independent complaints alone would make (each complainant's own posts: rate x activity x
  grievance half-life / ln 2, times the background rate); and the peak falls in the first half of
  the horizon (median over the runs with a crisis);
- posting is realistic: among the consumers who ever turned ANGRY, the median number of complaints
  posted is at most 3 and the 99th percentile at most 50 (medians over runs).

Each case adds what its own story needs (see :data:`ENVELOPES`). Step sizes: halving a scenario's
`dt` moves its mean final reputation and its mean `reach_complaint` by less than a quarter of their
standard deviation across seeds (a standardised tolerance: these outcomes are often bimodal, and an
absolute one would need thousands of runs), on 80 paired replications. Where an outcome hardly varies
(a firestorm in every run), its standard deviation is taken as at least 0.02, so that the tolerance
never falls below 0.005 on the scale of a share or an opinion: below what a report shows.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from ..scenario import SCENARIO_DIR
from ..stats import mean_se
from .common import Check, metric_of, new_figure, pmap, replicate, run_many, scenario_of, timed

CASE_RUNS = 20
SERIES = ("posts_negative", "posts_positive", "reputation")
CASES = ("porsche_991", "kia_deposit", "private_outlet", "lawyers_streisand", "press_latency")
SHIPPED = ("default",) + CASES
COUNTERFACTUALS = {  # the runs each case's own envelope compares with (same seeds)
    "kia_deposit": ("without the provocateur", {"amplifiers": []}),
    "lawyers_streisand": ("ignore, no lawyers", {"brand.strategy": "ignore", "brand.schedule": []}),
}


def background_posts_per_h(sc) -> float:
    """The negative posts per hour that the background rate of independent complaints alone makes.

    Each complainant's own posts over its grievance, times the rate; no cascade.
    """
    c, sp = sc.complaint, sc.spread
    half_life = c.grievance_half_life_h if c.persistent else sp.anger_half_life_h
    return c.background_rate_per_h * sp.post_rate_per_h * c.activity * half_life / math.log(2)


def fading(sc, runs) -> dict:
    """Share of the runs with a crisis that fade (see the module docstring), and where they peak."""
    dt, horizon = sc.simulation.dt_hours, sc.simulation.days * 24
    floor = background_posts_per_h(sc)
    faded, peaks = [], []
    for r in runs:
        if not r.metrics["crisis"]:
            continue
        p = r.series["posts_negative"] / dt
        last = p[-max(1, int(round(24 / dt))) :].mean()
        faded.append(last - floor < 0.05 * p.max())
        peaks.append(float(np.argmax(p) * dt))
    return dict(
        crisis_runs=len(faded),
        faded_share=float(np.mean(faded)) if faded else math.nan,
        median_peak_h=float(np.median(peaks)) if peaks else math.nan,
        horizon_h=horizon,
        background_posts_per_h=floor,
    )


def posting(runs) -> dict:
    """The median over runs of the median and the 99th percentile of complaints per ANGRY consumer."""
    return dict(
        complaints_median=float(np.nanmedian(metric_of(runs, "complaints_per_angry_median"))),
        complaints_p99=float(np.nanmedian(metric_of(runs, "complaints_per_angry_p99"))),
    )


def damage(runs) -> np.ndarray:
    """Reputation at the start minus at the horizon, per run."""
    return np.array([r.series["reputation"][0] - r.series["reputation"][-1] for r in runs])


# -- what each case's own story needs -----------------------------------------------------------------


def _porsche(sc, runs, _) -> tuple[bool, str, str, dict]:
    advocate = float(np.mean(metric_of(runs, "complainants_advocate") >= 1))
    praised = float(np.mean(metric_of(runs, "positive_after_remedy") > 0))
    d, se = mean_se(damage(runs))
    ok = advocate > 0.5 and praised > 0.5 and d > 2 * se
    return (
        ok,
        "the remedied complainant is an ADVOCATE at the horizon and praises the brand after the remedy in "
        "most runs; the damage is still visible at the horizon (drop > 2 SE)",
        f"advocate at the horizon in {advocate:.0%} of runs, praise after the remedy in {praised:.0%}; "
        f"reputation drop {d:.3f} (SE {se:.3f})",
        dict(advocate_share=advocate, praise_share=praised, drop=d, drop_se=se),
    )


def _kia(sc, runs, without) -> tuple[bool, str, str, dict]:
    with_him = damage(runs)
    gain, se = mean_se(with_him - damage(without))
    share = gain / with_him.mean() if with_him.mean() > 0 else math.nan
    ok = gain > 2 * se and share >= 0.25
    return (
        ok,
        "the provocateur escalates: his paired share of the damage > 2 SE and >= 25% of the damage done with him",
        f"damage with him {with_him.mean():.3f}, without {damage(without).mean():.3f}: his share {gain:+.3f} "
        f"(SE {se:.3f}) = {share:.0%}",
        dict(
            damage_with=float(with_him.mean()),
            damage_without=float(damage(without).mean()),
            gain=gain,
            se=se,
            share=share,
        ),
    )


def _press(sc, runs, _) -> tuple[bool, str, str, dict]:
    dt = sc.simulation.dt_hours
    jumps = []
    for r in runs:
        at = r.metrics["amplified_h"]
        if math.isnan(at):
            continue
        h = np.arange(len(r.series["posts_negative"])) * dt
        before = r.series["posts_negative"][(h > at - 24) & (h <= at - 1e-9)].sum()
        after = r.series["posts_negative"][(h > at - 1e-9) & (h <= at + 24)].sum()
        jumps.append(after / max(before, 1.0))
    customers = sc.population.size * sc.population.customer_share
    churn = float(metric_of(runs, "churned").mean() / customers)
    jump = float(np.median(jumps)) if jumps else math.nan
    ok = len(jumps) >= 0.5 * len(runs) and jump >= 3 and 0.01 <= churn <= 0.30
    return (
        ok,
        "the press story triples the negative posts (24 h after vs before it, median); churn of the initial "
        "customers in [1%, 30%] (below the 30% TARP saw leave even among complainants whose problem was resolved)",
        f"press story in {len(jumps)} of {len(runs)} runs, posts x{jump:.0f} after it; churn {churn:.1%} of customers",
        dict(story_runs=len(jumps), jump=jump, churn_share=churn),
    )


def _lawyers(sc, runs, ignore) -> tuple[bool, str, str, dict]:
    with_lawyers, without = metric_of(runs, "reach_complaint"), metric_of(ignore, "reach_complaint")
    larger = (with_lawyers >= 5 * without) & (with_lawyers > 0.10)
    share = float(larger.mean())
    modest = float(np.median(without))
    ok = share >= 0.5 and modest < 0.05
    return (
        ok,
        "a modest complaint (median reach < 5% when ignored) that the legal action turns into a buzz at least "
        "5 times as wide and beyond 10% of consumers in at least half of the paired runs",
        f"ignored: median reach {modest:.1%}; with lawyers {np.median(with_lawyers):.0%}; larger buzz in {share:.0%} "
        "of paired runs",
        dict(larger_share=share, median_reach_ignore=modest, median_reach_lawyers=float(np.median(with_lawyers))),
    )


ENVELOPES = {"porsche_991": _porsche, "kia_deposit": _kia, "press_latency": _press, "lawyers_streisand": _lawyers}


@timed
def case_envelope(
    name: str,
    out=None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 23,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """A case scenario inside its envelope (module docstring), on its own strategy."""
    reps = 10 if quick else CASE_RUNS
    sc = scenario_of(SCENARIO_DIR / f"{name}.toml")
    runs = run_many(sc, seed, reps, series=SERIES, workers=workers)
    other = None
    if name in COUNTERFACTUALS:
        other = run_many(
            scenario_of(SCENARIO_DIR / f"{name}.toml", COUNTERFACTUALS[name][1]),
            seed,
            reps,
            series=SERIES,
            workers=workers,
        )
    fade, post = fading(sc, runs), posting(runs)
    ok = (
        fade["crisis_runs"] > 0
        and fade["faded_share"] >= 0.9
        and fade["median_peak_h"] <= fade["horizon_h"] / 2
        and post["complaints_median"] <= 3
        and post["complaints_p99"] <= 50
    )
    expected = (
        "fades in >= 90% of the crisis runs, peak in the first half; complaints per angry consumer: "
        "median <= 3, p99 <= 50"
    )
    measured = (
        f"fades in {fade['faded_share']:.0%} of {fade['crisis_runs']} crisis runs, peak at "
        f"{fade['median_peak_h']:.0f} of {fade['horizon_h']:.0f} h; complaints median {post['complaints_median']:.1f}, "
        f"p99 {post['complaints_p99']:.0f}"
    )
    details = dict(runs=reps, **fade, **post)
    if name in ENVELOPES:
        own_ok, own_expected, own_measured, own = ENVELOPES[name](sc, runs, other)
        ok, expected, measured = ok and own_ok, f"{expected}; {own_expected}", f"{measured}; {own_measured}"
        details.update(own)
    figs = _fig_case(out, name, sc, runs, other, formats=formats)
    return Check(
        name,
        f"Case {name} inside its envelope",
        f"{reps} runs of scenarios/{name}.toml on its own strategy"
        + (f", paired with {COUNTERFACTUALS[name][0]}" if name in COUNTERFACTUALS else ""),
        expected,
        measured,
        fade["faded_share"],
        bool(ok),
        "emerges (recalibrated case file)",
        "docs/cases.md",
        details,
        figs,
    )


def _fig_case(out, name, sc, runs, other, formats=None):
    if out is None:
        return []
    import matplotlib as mpl

    from .. import plots

    with mpl.rc_context(plots.STYLE):
        fig, (a, b) = new_figure(2)
        dt = sc.simulation.dt_hours
        scale, xlabel = plots.time_unit(sc.simulation.days * 24)
        for group, colour, label in (
            (runs, plots.OKABE_ITO["vermillion"], "scenario as shipped"),
            (other, plots.OKABE_ITO["grey"], COUNTERFACTUALS.get(name, ("",))[0]),
        ):
            if not group:
                continue
            posts = np.array([r.series["posts_negative"] for r in group]) / dt
            rep = np.array([r.series["reputation"] for r in group])
            x = np.arange(posts.shape[1]) * dt / scale
            a.plot(x, np.median(posts, axis=0), color=colour, label=f"{label} (median)")
            a.fill_between(x, *np.percentile(posts, [5, 95], axis=0), color=colour, alpha=0.15, linewidth=0)
            b.plot(x, np.median(rep, axis=0), color=colour, label=f"{label} (median)")
            b.fill_between(
                x, *np.percentile(rep, [5, 95], axis=0), color=colour, alpha=0.15, linewidth=0, label="5-95% of runs"
            )
        a.set(title="Negative posts", xlabel=xlabel, ylabel="posts per hour")
        b.set(title="Reputation", xlabel=xlabel, ylabel="mean opinion (-1 to 1)")
        b.legend(frameon=False, fontsize=7.5)
        fig.suptitle(f"{name}: {len(runs)} runs", fontsize=11)
        return plots.save(fig, Path(out) / f"case_{name}", formats)


# -- step sizes ---------------------------------------------------------------------------------------

CONVERGED = ("final_reputation", "reach_complaint")
CONVERGENCE_RUNS = 80
SD_FLOOR = 0.02  # tolerance >= 0.005 on a share or opinion scale (module docstring)


@timed
def check_convergence(
    name: str,
    out=None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 29,
    tolerance: float = 0.25,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """A shipped scenario's step size converges.

    The scenario at its dt and at dt / 2, paired: each mean outcome of :data:`CONVERGED` moves by
    less than `tolerance` standard deviations across seeds.
    """
    sc = scenario_of(SCENARIO_DIR / f"{name}.toml")
    dt = sc.simulation.dt_hours
    half = scenario_of(SCENARIO_DIR / f"{name}.toml", {"simulation.dt_hours": dt / 2})
    reps = 20 if quick else CONVERGENCE_RUNS
    done = pmap(replicate, [(s, seed, r, ()) for s in (sc, half) for r in range(reps)], workers)
    coarse, fine = done[:reps], done[reps:]
    rows = _differences(coarse, fine)
    ok = all(abs(r["difference"]) < tolerance for r in rows.values())
    figs = _fig_convergence(out, name, dt, coarse, fine, rows, formats=formats)
    return Check(
        f"dt:{name}",
        f"Step size of {name} converges",
        f"mean {' and '.join(CONVERGED)} of scenarios/{name}.toml at dt = {dt:g} h vs {dt / 2:g} h, "
        f"{reps} paired runs, differences in standard deviations across seeds",
        f"|difference| < {tolerance:g} SD for each (SD at least {SD_FLOOR:g})",
        "; ".join(
            f"{k} {v['coarse']:.3f} vs {v['fine']:.3f} ({v['difference']:+.2f} SD, SE {v['se']:.2f})"
            for k, v in rows.items()
        ),
        max(abs(r["difference"]) for r in rows.values()),
        bool(ok),
        "known result (rates per hour: results converge as dt shrinks)",
        "docs/ODD.md, 7.1",
        dict(runs=reps, dt_hours=dt, metrics=rows),
        figs,
    )


def _differences(coarse, fine) -> dict:
    rows = {}
    for name in CONVERGED:
        a, b = metric_of(coarse, name), metric_of(fine, name)
        sd = max(math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2), SD_FLOOR)
        d, se = mean_se((a - b) / sd)
        rows[name] = dict(coarse=float(a.mean()), fine=float(b.mean()), sd=sd, difference=d, se=se)
    return rows


def _fig_convergence(out, name, dt, coarse, fine, rows, formats=None):
    if out is None:
        return []
    import matplotlib as mpl

    from .. import plots

    with mpl.rc_context(plots.STYLE):
        fig, axes = new_figure(len(CONVERGED), size=(7.2, 3.2))
        for ax, metric in zip(axes, CONVERGED):
            for runs, colour, label in (
                (coarse, plots.OKABE_ITO["vermillion"], f"dt = {dt:g} h"),
                (fine, plots.OKABE_ITO["blue"], f"dt = {dt / 2:g} h"),
            ):
                x = np.sort(metric_of(runs, metric))
                ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=colour, label=label)
            r = rows[metric]
            ax.set(
                title=f"{metric}: {r['difference']:+.2f} SD",
                xlabel=metric.replace("_", " "),
                ylabel="cumulative share of runs",
            )
        axes[0].legend(frameon=False, fontsize=7.5, loc="upper left")
        fig.suptitle(f"Step size of {name}: dt = {dt:g} h vs {dt / 2:g} h", fontsize=11)
        return plots.save(fig, Path(out) / f"dt_{name}", formats)


CASE_CHECKS = [(name, functools.partial(case_envelope, name)) for name in CASES]
CONVERGENCE_CHECKS = [(f"dt:{name}", functools.partial(check_convergence, name)) for name in SHIPPED]
