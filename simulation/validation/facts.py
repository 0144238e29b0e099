"""Stylised facts a good model reproduces, one function each (numbered as in docs/ODD.md, section 8).

1 most complaints die out, a few explode (base rate); 2 attention fades within hours after the
peak; 3 hubs and amplifiers reach far more; 4 the later the remedy, the larger the loss, with a
critical window; 5 legal threats raise attention; 6 remedy quality beats speed; 7 damage outlives
the buzz. (8 is the known results of `simulation.validation.known`.)
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..parameters import AnalysisParams
from ..plots import OKABE_ITO, STANCE_COLOURS
from ..stance import Stance
from ..stats import mean_se, wilson_interval
from .common import (
    DEFAULT_SCENARIO,
    VALIDATION_DIR,
    Check,
    check_figure,
    metric_of,
    pmap,
    replicate,
    run_many,
    scenario_of,
    timed,
)

FIRESTORM_REACH = AnalysisParams().firestorm_reach  # a viral complaint: the reports' firestorm


@lru_cache(maxsize=4)
def base_rate_runs(reps: int, workers: int | None = None) -> tuple:
    """The base-rate scenario's runs (shared by facts 1 and 2): metrics and negative posts per step."""
    sc = scenario_of(VALIDATION_DIR / "base_rate.toml")
    return sc, tuple(run_many(sc, sc.seed, reps, series=("posts_negative",), workers=workers))


@timed
def fact_base_rate(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    threshold: float = FIRESTORM_REACH,
    expected: tuple[float, float] = (0.01, 0.10),
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 1: most complaints die out, a few explode.

    Fact 1: most complaints die out, a few explode. Share of single random complaints (default parameters, no
    brand action) reaching more than 1% of the population: in [1%, 10%].
    """
    sc, runs = base_rate_runs(100 if quick else scenario_of(VALIDATION_DIR / "base_rate.toml").replications, workers)
    reach = metric_of(list(runs), "reach")
    k, n = int((reach > threshold).sum()), len(reach)
    share = k / n
    lo, hi = wilson_interval(k, n)
    top = np.sort(reach)[::-1]
    top5 = float(top[: max(1, n // 20)].sum() / top.sum()) if top.sum() > 0 else math.nan
    passed = expected[0] <= share <= expected[1]
    details = dict(
        runs=n,
        viral=k,
        share=share,
        wilson_low=lo,
        wilson_high=hi,
        median_reach=float(np.median(reach)),
        mean_reach=float(reach.mean()),
        max_reach=float(reach.max()),
        top5_share_of_reach=top5,
        population=sc.population.size,
        threshold=threshold,
    )
    figs = _fig_base_rate(out, reach, threshold, share, lo, hi, sc, formats=formats)
    return Check(
        "1",
        "Most complaints die out, a few explode",
        f"share of single random complaints reaching > {threshold:.0%} of {sc.population.size:,} "
        f"consumers (default parameters, no brand action), {n} runs",
        f"in [{expected[0]:.0%}, {expected[1]:.0%}] (3% went viral, Herhausen et al. 2019; calibrated ~5%)",
        f"{share:.1%} (95% CI {lo:.1%}-{hi:.1%}); top 5% of runs hold {top5:.0%} of all reach",
        share,
        passed,
        "emerges (anger_dose calibrated on it)",
        "Herhausen et al. 2019",
        details,
        figs,
    )


@check_figure("fact1_base_rate", 2)
def _fig_base_rate(fig, axes, reach, threshold, share, lo, hi, sc):
    oi = OKABE_ITO
    a, b = axes
    x = np.sort(reach)
    ccdf = 1 - np.arange(len(x)) / len(x)
    a.step(x, ccdf, where="post", color=oi["vermillion"])
    a.set_xscale("log")
    a.set_yscale("log")
    a.axvline(threshold, color="0.3", linestyle="--", linewidth=1.0, label=f"{threshold:.0%} of the population")
    a.axhline(share, color=oi["blue"], linestyle=":", linewidth=1.0, label=f"{share:.1%} of complaints beyond it")
    a.set(
        title="Cascade sizes (complementary CDF)",
        xlabel="reach (share of consumers, log)",
        ylabel="share of complaints with larger reach (log)",
    )
    a.legend(frameon=False, fontsize=7.5)
    b.bar([0], [share], color=oi["vermillion"], width=0.5, label="model")
    b.errorbar([0], [share], yerr=[[share - lo], [hi - share]], fmt="none", color="0.15", capsize=5)
    b.axhspan(0.01, 0.10, color="0.5", alpha=0.15, linewidth=0, label="expected 1-10%")
    b.axhline(0.03, color=oi["black"], linestyle="--", linewidth=1.0, label="Herhausen et al. 2019: 3%")
    b.set_xticks([0], [f"{len(reach)} complaints"])
    b.set_xlim(-1, 1)
    b.set(title="Share that went viral (95% CI)", ylabel=f"share reaching > {threshold:.0%}")
    b.legend(frameon=False, fontsize=7.5)
    fig.suptitle(f"Fact 1: base rate of bad buzz (N = {sc.population.size:,}, default parameters)", fontsize=11)


@timed
def fact_attention_decay(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    threshold: float = FIRESTORM_REACH,
    fit_h: float = 24.0,
    expected_h: tuple[float, float] = (1.0, 24.0),
    tail_from_h: float = 48.0,
    tail_to_h: float = 168.0,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 2: attention fades within hours after the peak, with a long tail.

    Fact 2: attention fades within hours after the peak, with a long tail. On the base-rate runs that went viral,
    negative posts per hour are aligned at each run's peak and averaged; a log-linear fit over the first `fit_h`
    hours after the peak gives the half-life, expected in [1 h, 24 h]; the tail is long if the posts between 48 h
    and 168 h after the peak exceed the fitted exponential's prediction (ratio > 1).
    """
    sc, runs = base_rate_runs(100 if quick else scenario_of(VALIDATION_DIR / "base_rate.toml").replications, workers)
    dt = sc.simulation.dt_hours
    viral = [r for r in runs if r.metrics["reach"] > threshold]
    lags = int(round(tail_to_h / dt)) + 1
    total, count = np.zeros(lags), np.zeros(lags)
    for r in viral:
        s = r.series["posts_negative"] / dt
        k = int(np.argmax(s))
        tail = s[k : k + lags]
        total[: len(tail)] += tail
        count[: len(tail)] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = total / count
    hours = np.arange(lags) * dt
    fit = (hours > 0) & (hours <= fit_h) & (pooled > 0) & (count > 0)
    if fit.sum() >= 3:
        slope, intercept = np.polyfit(hours[fit], np.log(pooled[fit]), 1)
    else:
        slope, intercept = math.nan, math.nan
    half_life = math.log(2) / -slope if slope < 0 else math.inf
    tail = (hours >= tail_from_h) & (count > 0)
    predicted = np.exp(intercept + slope * hours[tail]).sum() if tail.any() else math.nan
    tail_ratio = float(pooled[tail].sum() / predicted) if tail.any() and predicted > 0 else math.nan
    per_run = []
    for r in viral:
        s = r.series["posts_negative"] / dt
        k = int(np.argmax(s))
        y = s[k + 1 : k + int(round(fit_h / dt)) + 1]
        h = np.arange(1, len(y) + 1) * dt
        if (y > 0).sum() >= 3:
            b = np.polyfit(h[y > 0], np.log(y[y > 0]), 1)[0]
            per_run.append(math.log(2) / -b if b < 0 else math.inf)
    passed = expected_h[0] <= half_life <= expected_h[1] and tail_ratio > 1
    details = dict(
        viral_runs=len(viral),
        half_life_h=half_life,
        tail_ratio=tail_ratio,
        median_half_life_per_run_h=float(np.median(per_run)) if per_run else math.nan,
        fit_hours=fit_h,
        per_run_half_lives_h=sorted(per_run),
    )
    figs = _fig_attention(
        out, hours, pooled, count, slope, intercept, half_life, fit_h, tail_from_h, len(viral), formats=formats
    )
    return Check(
        "2",
        "Attention fades within hours after the peak",
        f"half-life of negative posts per hour after the peak (log-linear fit over {fit_h:g} h, "
        f"pooled over the {len(viral)} viral base-rate runs); tail ratio = posts "
        f"{tail_from_h:g}-{tail_to_h:g} h after the peak / fitted exponential",
        f"half-life in [{expected_h[0]:g} h, {expected_h[1]:g} h]; tail ratio > 1",
        f"half-life {half_life:.1f} h (median per run {details['median_half_life_per_run_h']:.1f} h); "
        f"tail ratio {tail_ratio:.1f}",
        half_life,
        bool(passed),
        "emerges (individual anger half-life 3 h)",
        "Wu & Huberman 2007; bitly 2011 (link half-lives 2.8 h Twitter, 3.2 h Facebook)",
        details,
        figs,
    )


@check_figure("fact2_attention_decay", 1)
def _fig_attention(fig, axes, hours, pooled, count, slope, intercept, half_life, fit_h, tail_from_h, n_viral):
    stance = STANCE_COLOURS
    ax = axes
    ok = (count > 0) & (pooled > 0)
    ax.plot(hours[ok], pooled[ok], color=stance[Stance.ANGRY], label=f"mean over {n_viral} viral runs")
    if np.isfinite(slope):
        ax.plot(
            hours,
            np.exp(intercept + slope * hours),
            color="0.15",
            linestyle="--",
            linewidth=1.2,
            label=f"exponential fit over {fit_h:g} h: half-life {half_life:.1f} h",
        )
    ax.axvspan(0, fit_h, color="0.5", alpha=0.12, linewidth=0, label="fit window")
    ax.axvline(tail_from_h, color="0.4", linestyle=":", linewidth=1.0, label="tail starts")
    ax.set_yscale("log")
    ax.set(
        title="Fact 2: attention after the peak (base-rate runs that went viral)",
        xlabel="hours since the run's peak of negative posts",
        ylabel="negative posts per hour (log)",
    )
    ax.legend(frameon=False, loc="lower left", fontsize=7.5)


@timed
def fact_hub_amplifier(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 4,
    min_ratio: float = 2.0,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 3: a complaint from a hub, or picked up by an amplifier, reaches far more people.

    Fact 3: a complaint from a hub, or one picked up by an amplifier, reaches far more people. On
    scenarios/default.toml with no brand action: mean reach of a hub complainant at least twice that of a random
    one (no amplifier in either), and the default influencer adds reach to the hub's complaint (paired difference
    on the same seeds above two standard errors).
    """
    reps = 20 if quick else 40
    conds = {
        "random": {"complaint.placement": "random", "amplifiers": []},
        "hub": {"complaint.placement": "hub", "amplifiers": []},
        "hub + influencer": {"complaint.placement": "hub"},
    }
    res = {}
    for name, ch in conds.items():
        sc = scenario_of(DEFAULT_SCENARIO, {"brand.strategy": "ignore", "brand.schedule": [], **ch})
        res[name] = metric_of(run_many(sc, seed, reps, workers=workers), "reach")
    ratio = res["hub"].mean() / res["random"].mean() if res["random"].mean() > 0 else math.inf
    gain, se = mean_se(res["hub + influencer"] - res["hub"])
    passed = ratio >= min_ratio and gain > 2 * se
    details = dict(
        runs=reps,
        mean_reach={k: float(v.mean()) for k, v in res.items()},
        median_reach={k: float(np.median(v)) for k, v in res.items()},
        hub_over_random=ratio,
        amplifier_gain=gain,
        amplifier_gain_se=se,
    )
    figs = _fig_hub(out, res, ratio, gain, se, formats=formats)
    return Check(
        "3",
        "Hubs and amplifiers reach far more",
        f"mean reach, default scenario without brand action, {reps} runs per condition: hub vs random "
        "complainant (no amplifier); hub with vs without the influencer (paired)",
        f"hub / random >= {min_ratio:g}; influencer gain > 2 SE",
        f"hub {res['hub'].mean():.3f} vs random {res['random'].mean():.4f} (x{ratio:.1f}); "
        f"influencer +{gain:.3f} (SE {se:.3f})",
        ratio,
        bool(passed),
        "emerges (hub); partly by construction (a story reaches its audience directly)",
        "Goel et al. 2016; Nekovee et al. 2007",
        details,
        figs,
    )


@check_figure("fact3_hub_amplifier", 1)
def _fig_hub(fig, axes, res, ratio, gain, se):
    oi = OKABE_ITO
    ax = axes
    colours = [oi["grey"], oi["orange"], oi["vermillion"]]
    rng = np.random.default_rng(0)
    for i, ((_, v), c) in enumerate(zip(res.items(), colours)):
        y = np.maximum(v, 1e-5)
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(y)), y, s=12, color=c, alpha=0.7, linewidths=0)
        ax.plot([i - 0.25, i + 0.25], [v.mean()] * 2, color="0.1", linewidth=2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(res)), list(res))
    ax.set(
        title=f"Fact 3: reach by complainant and amplifier (hub/random x{ratio:.0f}; influencer +{gain:.2f})",
        ylabel="reach (share of consumers, log)",
        xlabel="condition (bars: means)",
    )


@timed
def fact_critical_window(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 5,
    delays: tuple = (0.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0),
    min_slope_ratio: float = 2.0,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 4: the later the remedy, the larger the loss, non-linearly.

    Fact 4: the later the remedy, the larger the loss, non-linearly. A sweep of brand.delay_hours for quick_fix
    (remedy after detection) on scenarios/default.toml, paired with ignore: (a) the mean reputation loss rises
    with the delay (Spearman rho >= 0.9 over the delays), (b) a critical window exists: the gain over ignore falls
    below half the immediate gain within the swept delays, (c) non-linearly: the loss per hour of delay over the
    first 24 h is at least twice that between 48 h and 96 h.
    """
    from scipy.stats import spearmanr

    from ..experiments import critical_delay

    reps = 10 if quick else 20
    base = scenario_of(DEFAULT_SCENARIO, {"brand.strategy": "ignore"})
    ignore = run_many(base, seed, reps, workers=workers)
    loss, gains = {}, {}
    tasks = []
    for d in delays:
        sc = scenario_of(DEFAULT_SCENARIO, {"brand.strategy": "quick_fix", "brand.delay_hours": float(d)})
        tasks += [(sc, seed, r) for r in range(reps)]
    flat = pmap(replicate, tasks, workers)
    ign_rep = metric_of(ignore, "final_reputation")
    for i, d in enumerate(delays):
        runs = flat[i * reps : (i + 1) * reps]
        loss[d] = metric_of(runs, "reputation_drop")
        gains[d] = metric_of(runs, "final_reputation") - ign_rep
    dl = np.array(delays, float)
    mean_loss = np.array([loss[d].mean() for d in delays])
    mean_gain = np.array([gains[d].mean() for d in delays])
    rho = float(spearmanr(dl, mean_loss).statistic)
    crit, status = critical_delay(dl, mean_gain)

    def at(h):
        return float(np.interp(h, dl, mean_loss))

    early = (at(24) - at(0)) / 24
    late = (at(96) - at(48)) / 48
    ratio = early / late if late > 0 else math.inf
    passed = rho >= 0.9 and status == "found" and ratio >= min_slope_ratio
    details = dict(
        runs=reps,
        delays=list(delays),
        mean_loss=mean_loss.tolist(),
        mean_gain=mean_gain.tolist(),
        ignore_loss=float(metric_of(ignore, "reputation_drop").mean()),
        spearman=rho,
        critical_delay_h=crit,
        status=status,
        slope_early=early,
        slope_late=late,
        slope_ratio=ratio,
        loss_se=[mean_se(loss[d])[1] for d in delays],
    )
    figs = _fig_window(out, dl, loss, metric_of(ignore, "reputation_drop"), crit, formats=formats)
    return Check(
        "4",
        "Later remedy, larger loss (critical window)",
        f"reputation loss vs remedy delay after detection (quick_fix, delays {', '.join(f'{d:g}' for d in delays)} h), "
        f"default scenario, {reps} paired runs each",
        f"loss rises with delay (Spearman >= 0.9); gain over ignore halves within the range; "
        f"loss per hour over 0-24 h >= {min_slope_ratio:g} x over 48-96 h",
        f"Spearman {rho:.2f}; critical delay {crit:.1f} h ({status}); slope ratio {ratio:.1f}",
        crit,
        bool(passed),
        "emerges",
        "TARP / Tripathy et al. 2010; Ji et al. 2014",
        details,
        figs,
    )


@check_figure("fact4_critical_window", 1)
def _fig_window(fig, axes, dl, loss, ignore_loss, crit):
    oi = OKABE_ITO
    ax = axes
    m = np.array([loss[d].mean() for d in dl])
    se = np.array([mean_se(loss[d])[1] for d in dl])
    ax.errorbar(dl, m, yerr=1.96 * se, fmt="o-", color=oi["blue"], capsize=3, label="remedy (quick_fix), mean 95% CI")
    ax.axhline(ignore_loss.mean(), color=oi["vermillion"], linestyle="--", label="ignore (no action)")
    if np.isfinite(crit):
        ax.axvline(crit, color="0.3", linestyle=":", label=f"critical window: {crit:.0f} h (gain halved)")
    ax.set(
        title="Fact 4: the later the remedy, the larger the loss",
        xlabel="remedy delay after detection (hours)",
        ylabel="reputation loss at the horizon (start - final)",
    )
    ax.legend(frameon=False, loc="lower right")


def _window_sum(series: np.ndarray, dt: float, start_h: float, length_h: float) -> float:
    h = np.arange(len(series)) * dt
    return float(series[(h > start_h) & (h <= start_h + length_h)].sum())


@timed
def fact_streisand(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 9,
    window_h: float = 48.0,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 5: legal threats raise attention.

    Fact 5: legal threats raise attention. On scenarios/default.toml, `lawyers` (legal action 24 h after
    detection) vs `ignore` on the same seeds (identical until the action): negative posts in the 48 h after the
    legal action, paired; more under lawyers by more than two standard errors.
    """
    reps = 10 if quick else 20
    res = {}
    for name in ("ignore", "lawyers"):
        sc = scenario_of(DEFAULT_SCENARIO, {"brand.strategy": name, "brand.schedule": []})
        res[name] = run_many(sc, seed, reps, series=("posts_negative",), workers=workers)
    dt = scenario_of(DEFAULT_SCENARIO).simulation.dt_hours
    acts = metric_of(res["lawyers"], "first_action_h")
    after_l, after_i = [], []
    for r, a in enumerate(acts):
        if np.isnan(a):
            continue
        after_l.append(_window_sum(res["lawyers"][r].series["posts_negative"], dt, a, window_h))
        after_i.append(_window_sum(res["ignore"][r].series["posts_negative"], dt, a, window_h))
    after_l, after_i = np.array(after_l), np.array(after_i)
    diff, se = mean_se(after_l - after_i)
    ratio = after_l.mean() / after_i.mean() if len(after_i) and after_i.mean() > 0 else math.inf
    reach_diff, reach_se = mean_se(metric_of(res["lawyers"], "reach") - metric_of(res["ignore"], "reach"))
    passed = len(after_l) > 0 and diff > 2 * se
    details = dict(
        runs=reps,
        with_action=len(after_l),
        posts_after_lawyers=float(after_l.mean()) if len(after_l) else math.nan,
        posts_after_ignore=float(after_i.mean()) if len(after_i) else math.nan,
        paired_difference=diff,
        se=se,
        ratio=ratio,
        reach_difference=reach_diff,
        reach_se=reach_se,
    )
    figs = _fig_streisand(out, res, acts, dt, window_h, formats=formats)
    return Check(
        "5",
        "Legal threats raise attention (Streisand)",
        f"negative posts in the {window_h:g} h after the legal action (lawyers at 24 h after detection) vs "
        f"ignore on the same seeds, default scenario, {reps} paired runs",
        "more under lawyers: paired difference > 2 SE",
        f"{details['posts_after_lawyers']:.0f} vs {details['posts_after_ignore']:.0f} posts (x{ratio:.1f}, "
        f"diff {diff:+.0f}, SE {se:.0f}); reach {reach_diff:+.3f}",
        ratio,
        bool(passed),
        "by construction (legal: news reach, anger, sharing by the angry)",
        "Jansen & Martin 2015",
        details,
        figs,
    )


@check_figure("fact5_streisand", 1)
def _fig_streisand(fig, axes, res, acts, dt, window_h):
    oi = OKABE_ITO
    ax = axes
    rel = np.arange(-24, 96 + dt / 2, dt)
    for name, colour in (("ignore", oi["grey"]), ("lawyers", oi["vermillion"])):
        rows = []
        for r, a in enumerate(acts):
            if np.isnan(a):
                continue
            s = res[name][r].series["posts_negative"] / dt
            h = np.arange(len(s)) * dt
            rows.append(np.interp(a + rel, h, s, left=np.nan, right=np.nan))
        if rows:
            ax.plot(rel, np.nanmean(np.array(rows), axis=0), color=colour, label=f"{name} (mean of paired runs)")
    ax.axvline(0, color="0.15", linestyle="--", linewidth=1.0, label="legal action")
    ax.axvspan(0, window_h, color="0.5", alpha=0.12, linewidth=0, label=f"{window_h:g} h window")
    ax.set(
        title="Fact 5: legal threats raise attention",
        xlabel="hours since the legal action",
        ylabel="negative posts per hour",
    )
    ax.legend(frameon=False, loc="upper right", fontsize=7.5)


@timed
def fact_remedy_quality(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 9,
    reply_h: float = 1.0,
    remedy_h: float = 12.0,
    max_share: float = 0.25,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 6: remedy quality beats speed; a fast hollow reply does not calm.

    Fact 6: remedy quality beats speed; a fast hollow reply does not calm. On scenarios/default.toml, paired with
    ignore: a holding reply 1 h after detection (custom schedule) vs a remedy 12 h after detection (twelve times
    later, while the buzz is still on: it peaks about 14 h after the complaint). Quality beats
    speed: the remedy's gain in final reputation over ignore exceeds the holding reply's by more than two standard
    errors. The hollow reply does not calm: it removes at most a quarter of the negative posts the late remedy
    removes (calming is about the buzz; a reply still ends the silence, which spares some reputation, so
    reputation is not the measure of calm).
    """
    reps = 30 if quick else 100  # the ratio of two noisy reductions needs ~100 paired runs (measured)
    conds = {
        "ignore": {"brand.strategy": "ignore", "brand.schedule": []},
        f"holding reply at {reply_h:g} h": {
            "brand.strategy": "custom",
            "brand.schedule": [{"action": "holding_reply", "at_hours": reply_h, "anchor": "detection"}],
        },
        f"remedy at {remedy_h:g} h": {
            "brand.strategy": "custom",
            "brand.schedule": [{"action": "remedy", "at_hours": remedy_h, "anchor": "detection"}],
        },
    }
    res = {
        k: run_many(
            scenario_of(DEFAULT_SCENARIO, ch), seed, reps, series=("reputation", "posts_negative"), workers=workers
        )
        for k, ch in conds.items()
    }
    names = list(conds)
    ign = metric_of(res["ignore"], "final_reputation")
    g_hold = metric_of(res[names[1]], "final_reputation") - ign
    g_rem = metric_of(res[names[2]], "final_reputation") - ign
    mh, seh = mean_se(g_hold)
    mr, ser = mean_se(g_rem)
    md, sed = mean_se(g_rem - g_hold)
    posts = {k: float(metric_of(v, "total_posts").mean()) for k, v in res.items()}
    calm_hold = posts["ignore"] - posts[names[1]]
    calm_rem = posts["ignore"] - posts[names[2]]
    share = calm_hold / calm_rem if calm_rem > 0 else math.inf
    passed = md > 2 * sed and share <= max_share
    details = dict(
        runs=reps,
        gain_holding=mh,
        se_holding=seh,
        gain_remedy=mr,
        se_remedy=ser,
        remedy_minus_holding=md,
        se_difference=sed,
        holding_over_remedy=share,
        total_posts=posts,
    )
    figs = _fig_remedy(out, res, names, formats=formats)
    return Check(
        "6",
        "Remedy quality beats speed",
        f"gain in final reputation over ignore (paired, default scenario, {reps} runs): holding reply "
        f"{reply_h:g} h after detection vs remedy {remedy_h:g} h after detection",
        f"remedy gain - holding gain > 2 SE; negative posts removed by the holding reply <= "
        f"{max_share:.0%} of those removed by the remedy",
        f"reputation gain: holding {mh:+.4f} (SE {seh:.4f}) vs remedy {mr:+.4f} (SE {ser:.4f}); "
        f"posts removed: holding {calm_hold:.0f} vs remedy {calm_rem:.0f} (ratio {share:.2f})",
        share,
        bool(passed),
        "emerges (holding_reply.calm = 0, remedy.calm = 0.8)",
        "Herhausen et al. 2019; docs/cases.md (Swiss brand vs Amazon UK)",
        details,
        figs,
    )


@check_figure("fact6_remedy_quality", 2)
def _fig_remedy(fig, axes, res, names):
    oi = OKABE_ITO
    a, b = axes
    colours = [oi["grey"], oi["orange"], oi["blue"]]
    for name, c in zip(names, colours):
        rep = np.array([r.series["reputation"] for r in res[name]])
        posts = (
            np.array([r.series["posts_negative"] for r in res[name]])
            / scenario_of(DEFAULT_SCENARIO).simulation.dt_hours
        )
        h = np.arange(rep.shape[1])
        a.plot(h, rep.mean(axis=0), color=c, label=name)
        b.plot(h, posts.mean(axis=0), color=c, label=name)
    a.set(title="Reputation (mean over runs)", xlabel="hours since the complaint", ylabel="mean opinion (-1 to 1)")
    b.set(title="Negative posts (mean over runs)", xlabel="hours since the complaint", ylabel="posts per hour")
    a.legend(frameon=False, fontsize=7.5)
    fig.suptitle("Fact 6: a fast hollow reply vs a later remedy (actions timed after detection)", fontsize=11)


@timed
def fact_damage_outlives(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 3,
    days: float = 60.0,
    after_h: float = 720.0,
    min_share: float = 0.40,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 7: damage outlives the buzz.

    Fact 7: damage outlives the buzz. scenarios/default.toml (quick fix) run for 60 days. The buzz ends at the
    last hour its mention rate is at or above the brand's detection threshold; among runs with a crisis that ended
    at least 30 days before the horizon, the share whose reputation at the horizon is still below its start is at
    least 40% (Hansen et al. 2018), and the mean remaining drop is positive by more than two standard errors.
    """
    from ..metrics import mention_rate_series

    reps = 10 if quick else 20
    sc = scenario_of(DEFAULT_SCENARIO, {"simulation.days": days})
    runs = run_many(sc, seed, reps, series=("reputation", "posts_negative"), workers=workers)
    dt, horizon = sc.simulation.dt_hours, sc.simulation.days * 24
    drops, ends, kept = [], [], []
    for r in runs:
        rate = mention_rate_series(r.series["posts_negative"], sc.brand.detection_window_h, dt)
        above = np.flatnonzero(rate >= sc.brand.detection_threshold)
        if not len(above):
            continue
        end_h = above[-1] * dt
        ends.append(end_h)
        if horizon - end_h >= after_h:
            rep = r.series["reputation"]
            drops.append(rep[0] - rep[-1])
            kept.append(r)
    drops = np.array(drops)
    share = float((drops > 0).mean()) if len(drops) else math.nan
    md, se = mean_se(drops)
    churned = float(np.mean([r.metrics["churned"] for r in kept])) if kept else math.nan
    max_drop = float(np.mean([r.metrics["max_drop"] for r in kept])) if kept else math.nan
    passed = len(drops) > 0 and share >= min_share and md > 2 * se
    details = dict(
        runs=reps,
        crisis_runs=len(ends),
        counted=len(drops),
        share_below_start=share,
        mean_remaining_drop=md,
        se=se,
        mean_max_drop=max_drop,
        remaining_over_max=md / max_drop if max_drop else math.nan,
        mean_crisis_end_h=float(np.mean(ends)) if ends else math.nan,
        churned=churned,
        days=days,
    )
    figs = _fig_damage(out, runs, dt, ends, sc, formats=formats)
    return Check(
        "7",
        "Damage outlives the buzz",
        f"reputation at the horizon ({days:g} days) vs start, in runs whose buzz (mention rate >= detection "
        f"threshold) ended >= {after_h / 24:g} days before; default scenario (quick fix), {reps} runs",
        f"share still below start >= {min_share:.0%} (Hansen et al. 2018: 40% long term); mean drop > 2 SE",
        f"{share:.0%} below start ({len(drops)} runs; buzz ends at {details['mean_crisis_end_h']:.0f} h); "
        f"drop {md:.4f} (SE {se:.4f}) = {details['remaining_over_max']:.0%} of the max drop",
        share,
        bool(passed),
        "by construction (opinion drift half-life 30 days; permanent churn; search memory)",
        "Hansen et al. 2018",
        details,
        figs,
    )


@check_figure("fact7_damage_outlives", 2)
def _fig_damage(fig, axes, runs, dt, ends, sc):
    oi, stance = OKABE_ITO, STANCE_COLOURS
    a, b = axes
    posts = np.array([r.series["posts_negative"] for r in runs]) / dt
    rep = np.array([r.series["reputation"] for r in runs])
    d = np.arange(posts.shape[1]) * dt / 24
    a.plot(d, posts.mean(axis=0), color=stance[Stance.ANGRY])
    a.set_yscale("symlog", linthresh=1.0)
    a.set(title="Negative posts per hour (mean)", xlabel="days since the complaint", ylabel="posts per hour")
    b.plot(d, np.median(rep, axis=0), color=oi["black"], label="median reputation")
    b.fill_between(
        d,
        np.percentile(rep, 5, axis=0),
        np.percentile(rep, 95, axis=0),
        color=oi["black"],
        alpha=0.15,
        linewidth=0,
        label="5-95% of runs",
    )
    b.axhline(np.median(rep[:, 0]), color="0.4", linestyle=":", label="start")
    for ax in (a, b):
        if ends:
            ax.axvline(np.mean(ends) / 24, color="0.3", linestyle="--", linewidth=1.0, label="buzz ends (mean)")
    b.set(title="Reputation", xlabel="days since the complaint", ylabel="mean opinion (-1 to 1)")
    b.legend(frameon=False, fontsize=7.5)
    fig.suptitle("Fact 7: damage outlives the buzz (default scenario, 60 days)", fontsize=11)


FADE_NETWORKS = {
    "Barabási–Albert m = 3": {"network.kind": "barabasi_albert", "network.m": 3},
    "Barabási–Albert m = 8": {"network.kind": "barabasi_albert", "network.m": 8},
    "Holme–Kim m = 3": {"network.kind": "holme_kim", "network.m": 3},
    "stochastic block, degree 15": {"network.kind": "stochastic_block", "network.mean_degree": 15.0},
    "ego-Facebook (degree 44)": {
        "network.kind": "file",
        "network.path": "data/facebook_combined.txt",
        "population.size": 4039,
    },
    "directed scale-free, degree 15": {"network.kind": "directed_scale_free", "network.mean_degree": 15.0},
}


def faded(posts_per_h: np.ndarray, dt: float, last_h: float = 24.0, share: float = 0.05) -> bool:
    """Whether a buzz faded: every hour of its last `last_h` hours below `share` of its peak hour."""
    last = posts_per_h[-max(1, int(round(last_h / dt))) :]
    return bool(last.max(initial=0.0) < share * posts_per_h.max(initial=0.0))


@timed
def fact_fades_on_any_network(
    out: Path | None = None,
    quick: bool = False,
    workers: int | None = None,
    seed: int = 12,
    min_share: float = 0.9,
    formats: tuple[str, ...] | None = None,
) -> Check:
    """Fact 9: a buzz peaks and fades on any network, sparse or dense, friendship or follower graph.

    scenarios/default.toml (a hub's complaint, a quick fix) on six networks: in at least 90% of the
    runs with a crisis on each network, every hour of the last 24 hours of the horizon has fewer
    negative posts than 5% of the peak hour. Its end comes from collective attention (stories age,
    venting tires), not from the network running out of people.
    """
    reps = 10 if quick else 20
    results = {}
    for name, changes in FADE_NETWORKS.items():
        sc = scenario_of(DEFAULT_SCENARIO, changes)
        results[name] = (sc, run_many(sc, seed, reps, series=("posts_negative",), workers=workers))
    rows = {}
    for name, (sc, runs) in results.items():
        dt = sc.simulation.dt_hours
        crisis = [r for r in runs if r.metrics["crisis"]]
        fade = [faded(r.series["posts_negative"] / dt, dt) for r in crisis]
        rows[name] = dict(
            runs=len(runs),
            crisis_runs=len(crisis),
            faded_share=float(np.mean(fade)) if fade else math.nan,
            mean_reach=float(metric_of(runs, "reach").mean()),
        )
    worst = min(rows, key=lambda k: rows[k]["faded_share"] if rows[k]["crisis_runs"] else 1.0)
    passed = all(r["crisis_runs"] > 0 and r["faded_share"] >= min_share for r in rows.values())
    figs = _fig_fades(out, results, formats=formats)
    return Check(
        "9",
        "A buzz peaks and fades on any network",
        f"share of runs with a crisis whose last 24 h stay below 5% of the peak hour; default scenario (quick fix), "
        f"{reps} runs on each of {len(FADE_NETWORKS)} networks",
        f">= {min_share:.0%} on every network (Lamba et al. 2015: firestorms are over within days)",
        "; ".join(f"{k}: {v['faded_share']:.0%} of {v['crisis_runs']}" for k, v in rows.items()),
        rows[worst]["faded_share"],
        bool(passed),
        "emerges (story novelty, fatigue, forgetting)",
        "Wu & Huberman 2007; Lamba, Malik & Pfeffer 2015",
        dict(runs=reps, networks=rows),
        figs,
    )


@check_figure("fact9_fades_on_any_network", 1, size=(7.2, 3.8))
def _fig_fades(fig, ax, results):
    colours = [OKABE_ITO[c] for c in ("black", "orange", "sky_blue", "bluish_green", "vermillion", "blue")]
    styles = ["-", "--", "-.", ":", "-", "--"]
    for (name, (sc, runs)), colour, style in zip(results.items(), colours, styles):
        dt = sc.simulation.dt_hours
        posts = np.array([r.series["posts_negative"] for r in runs if r.metrics["crisis"]]) / dt
        if not len(posts):
            continue
        rel = posts / posts.max(axis=1, keepdims=True)
        hours = np.arange(rel.shape[1]) * dt
        ax.plot(hours, np.median(rel, axis=0), color=colour, linestyle=style, label=name)
    ax.axhline(0.05, color="0.4", linestyle=":", linewidth=1.0, label="5% of the peak")
    ax.axvspan(hours[-1] - 24, hours[-1], color="0.5", alpha=0.12, linewidth=0, label="last 24 h")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(0, 1.2)
    ax.set(
        title="Fact 9: the buzz fades on any network (runs with a crisis)",
        xlabel="hours since the complaint",
        ylabel="negative posts per hour / run's peak (median)",
    )
    ax.legend(frameon=False, fontsize=7, loc="upper right", ncol=2)
