"""The figures and the report of a sensitivity folder, drawn from its files alone.

Figures (PNG, and PDF when asked, in `figures/`; the conventions of `simulation.plots`):

- `indices_<target>`: each parameter's index (Morris mu* or Sobol' ST, with S1 beside it) with its
  bootstrap interval, sorted, one panel per metric;
- `effect_<target>`: the target at each sample point (mean over replications, with its 95%
  interval over them) against the parameter that drives it most, one panel per metric;
- `wins`: the best option at each sample point in the plane of the two parameters that drive the
  effects most, one panel per metric with a better direction (with two options or more).

The report (`report.md`, `report.html`) says which conclusions survive the plausible ranges:
the share of the space where each option is best with its regret, where another wins (PRIM
boxes in words), what drives each effect, and where chance rather than the parameters dominates.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import t as t_dist

from .experiment_folder import FIGURES_DIR, SUMMARY_CSV, read_plan
from .metrics import METRICS
from .plots import OKABE_ITO, _new_figure, _style, _wrapped, save
from .sensitivity import (
    BOXES_CSV,
    NOISE_CSV,
    RANK_INDEX,
    ROBUSTNESS_CSV,
    SAMPLES_CSV,
    SENSITIVITY_CSV,
    TIE,
    Study,
    read_study,
    targets,
)
from .text import clock_text, fmt

PALETTE = [
    OKABE_ITO[c]
    for c in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "yellow", "black")
]
TOP = 3  # parameters named per target and metric in the report
QUESTION = (
    "Which parameters drive the damage and the value of the response, and which conclusions hold across the "
    "plausible range of what is assumed?"
)


def slug(text: str) -> str:
    """A file-name-safe form of a target's name."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


def _metric_label(metric: str) -> str:
    return METRICS[metric].heading() if metric in METRICS else metric


def unit_factor(metric: str) -> float:
    """The factor a metric's values are shown with: 100 for a share (shown in %, its changes in percentage points)."""
    return 100.0 if metric in METRICS and METRICS[metric].percent else 1.0


def change_unit(metric: str) -> str:
    """The unit of a change of `metric` (an index, a difference): percentage points for a share, else its unit."""
    if metric not in METRICS:
        return ""
    return "percentage points" if METRICS[metric].percent else METRICS[metric].unit


def _target_label(metric: str, target: str) -> str:
    """A panel's title: the metric, or its difference (whose unit is a change's)."""
    if " - " not in target:
        return _metric_label(metric)
    unit = change_unit(metric)
    return f"difference in {METRICS[metric].label if metric in METRICS else metric}" + (f" ({unit})" if unit else "")


def describe_target(study: Study, target: str) -> str:
    """A target in words: 'the effect of quick_fix against ignore (quick_fix - ignore)', 'the value of ...'."""
    if study.timing and ": " in target:
        s, _, rest = target.partition(": ")
        d1, d2 = (x.strip() for x in rest.split(" - "))
        return f"the value of {s} at {d1} rather than at {d2} ({target})"
    if target.endswith(f" - {study.baseline}"):
        option = target[: -len(f" - {study.baseline}")]
        return f"the effect of {option} against {study.baseline} ({target})"
    return f"the outcome under {target}"


def key_targets(study: Study) -> list[str]:
    """The targets shown in figures: the effects against the baseline and of timing (the options alone if none)."""
    effects = [f"{study.option_label(s, d)} - {study.baseline}" for s, d in study.options()[1:]]
    timing = [f"{s}: {study.timing[0]:g} h - {study.timing[1]:g} h" for s in study.others] if study.timing else []
    return effects + timing or [study.option_label(*study.options()[0])]


def _log_ticks(axis, lo: float, hi: float) -> None:
    """Ticks of a log axis written plainly (0.02, 0.05), none between.

    At 1, 2 and 5 times powers of ten; closer when the range spans less than a decade (0.2 to 0.9:
    0.2, 0.3, 0.5, 0.7).
    """
    from matplotlib import ticker

    subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if hi < 10 * lo else (1.0, 2.0, 5.0)
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _panels(n: int, height_each: float, width: float = 7.2):
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    fig = _new_figure((width, max(2.6, height_each) * rows))
    return fig, [fig.add_subplot(rows, cols, i + 1) for i in range(n)]


def indices_figure(study: Study, sens: pd.DataFrame, target: str, stem: Path | None, formats=None):
    """Each parameter's index with its interval, sorted, one panel per metric."""
    with _style():
        fig = _indices_figure(study, sens, target)
    return fig if stem is None else save(fig, stem, formats)


def _indices_figure(study: Study, sens: pd.DataFrame, target: str):
    rows = sens[sens.target == target]
    metrics = [m for m in study.metrics if m in set(rows.metric)]
    # long parameter names beside two panels: a landscape page's width (10 in)
    fig, axes = _panels(len(metrics), 0.3 * len(study.factors) + 1.2, 10.0 if len(metrics) > 1 else 7.2)
    main = RANK_INDEX[study.method]
    for ax, metric in zip(axes, metrics):
        r = rows[rows.metric == metric].sort_values(main, na_position="first")
        y = np.arange(len(r))
        k = unit_factor(metric) if study.method == "morris" else 1.0  # Morris indices are in the metric's unit
        value, conf = k * r[main].to_numpy(float), k * r[f"{main}_conf"].to_numpy(float)
        ax.barh(
            y,
            value,
            xerr=[np.minimum(conf, np.clip(value, 0, None)), conf],  # an index is not below 0: the bar clipped there
            color=OKABE_ITO["blue"],
            ecolor="black",
            capsize=2,
            label="mu*" if main == "mu_star" else main,
        )
        if study.method == "sobol":
            ax.errorbar(r.S1, y, xerr=r.S1_conf, fmt="o", color=OKABE_ITO["orange"], ms=4, capsize=2, label="S1")
        ax.set_yticks(y, r.parameter, fontsize=7.5)
        ax.set_title(_wrapped(METRICS[metric].label if metric in METRICS else metric, 36), fontsize=9)
        ax.set_xlabel(
            f"mu* ({change_unit(metric)})" if study.method == "morris" else "Sobol' index (share of variance)"
        )
        ax.grid(axis="y", visible=False)
        ax.set_axisbelow(True)
        if np.all(~np.isfinite(r[main])):
            ax.text(0.5, 0.5, "not computed", transform=ax.transAxes, ha="center")
    handles, labels = axes[0].get_legend_handles_labels()
    about = {
        "morris": "mu*: the mean absolute change of the target when the parameter moves over its range",
        "sobol": "ST: share of variance with interactions; S1: alone",
    }[study.method]
    fig.legend(handles, labels, loc="outside lower center", ncols=2, title=f"{about}; 95% bootstrap intervals")
    words = f"What drives {describe_target(study, target)}" + ("" if study.method == "sobol" else ", Morris screening")
    fig.suptitle(_wrapped(words, 90), fontsize=10)
    return fig


def effect_figure(
    study: Study, sens: pd.DataFrame, points: pd.DataFrame, values: dict, target: str, stem: Path | None, formats=None
):
    """The target at each point against its most influential parameter, one panel per metric."""
    with _style():
        fig = _effect_figure(study, sens, points, values, target)
    return fig if stem is None else save(fig, stem, formats)


def _effect_figure(study: Study, sens: pd.DataFrame, points: pd.DataFrame, values: dict, target: str):
    main = RANK_INDEX[study.method]
    metrics = [m for m in study.metrics if (target, m) in values]
    fig, axes = _panels(len(metrics), 2.7)
    scale = {f.key: f.log for f in study.factors}
    for ax, metric in zip(axes, metrics):
        r = sens[(sens.target == target) & (sens.metric == metric)].dropna(subset=[main])
        v = values[(target, metric)]
        if not len(r):
            ax.text(0.5, 0.5, "not computed", transform=ax.transAxes, ha="center")
            continue
        top = r.sort_values(main, ascending=False).parameter.iloc[0]
        k = unit_factor(metric)
        mean = k * v.mean(axis=1)
        reps = v.shape[1]  # Student's t: a handful of replications is not a normal sample
        half = k * t_dist.ppf(0.975, reps - 1) * v.std(axis=1, ddof=1) / np.sqrt(reps) if reps > 1 else 0 * mean
        low, high = mean - half, mean + half
        if k == 100.0:  # a share's interval stays within what a share (or a difference of two) can be
            low, high = (
                np.clip(low, -100 if " - " in target else 0, 100),
                np.clip(high, -100 if " - " in target else 0, 100),
            )
        ax.errorbar(
            points[top],
            mean,
            yerr=[mean - low, high - mean],
            fmt="o",
            ms=3,
            color=OKABE_ITO["blue"],
            ecolor="#999999",
            elinewidth=0.8,
        )
        if scale.get(top):
            ax.set_xscale("log")
            _log_ticks(ax.xaxis, points[top].min(), points[top].max())
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel(top)
        ax.set_title(_wrapped(_target_label(metric, target), 44), fontsize=9)
    words = describe_target(study, target)
    words = words[0].upper() + words[1:]
    fig.suptitle(_wrapped(f"{words} at each sample point (mean, 95% t-interval over replications)", 80), fontsize=10)
    return fig


def driving_pair(study: Study, sens: pd.DataFrame, metric: str) -> list[str]:
    """The two parameters that drive the key targets most on `metric` (by their mean rank)."""
    rows = sens[(sens.metric == metric) & sens.target.isin(key_targets(study))]
    ranked = rows.groupby("parameter")["rank"].mean().sort_values()
    return list(ranked.index[:2])


def wins_figure(study: Study, sens: pd.DataFrame, points: pd.DataFrame, values: dict, stem: Path | None, formats=None):
    """The best option at each sample point in the plane of the two most influential parameters."""
    metrics = [m for m in study.metrics if METRICS[m].better]
    if len(study.options()) < 2 or not metrics or len(study.factors) < 2:
        return None
    with _style():
        fig = _wins_figure(study, sens, points, values, metrics)
    return fig if stem is None else save(fig, stem, formats)


def _wins_figure(study: Study, sens: pd.DataFrame, points: pd.DataFrame, values: dict, metrics: list[str]):
    from matplotlib.lines import Line2D

    from .sensitivity import winners

    fig, axes = _panels(len(metrics), 2.9)
    labels = [study.option_label(s, d) for s, d in study.options()]
    colours = dict(zip(labels, PALETTE * 2)) | {TIE: OKABE_ITO["grey"]}
    labels.append(TIE)
    scale = {f.key: f.log for f in study.factors}
    rng = np.random.default_rng(0)  # jitter of points on a Morris grid, for the eye only
    shown: set[str] = set()
    for ax, metric in zip(axes, metrics):
        shares: list[str] = []
        win = winners(study, values, metric)
        a, b = driving_pair(study, sens, metric)
        for label in labels:
            sel = (win == label).to_numpy()
            if not sel.any():
                continue
            share = sel.mean()
            jx = 1 + rng.uniform(-0.02, 0.02, sel.sum()) if scale.get(a) else rng.uniform(-0.01, 0.01, sel.sum())
            jy = 1 + rng.uniform(-0.02, 0.02, sel.sum()) if scale.get(b) else rng.uniform(-0.01, 0.01, sel.sum())
            xa, yb = points[a].to_numpy(float)[sel], points[b].to_numpy(float)[sel]
            span_a, span_b = np.ptp(points[a]) or 1, np.ptp(points[b]) or 1
            xa = xa * jx if scale.get(a) else xa + jx * span_a
            yb = yb * jy if scale.get(b) else yb + jy * span_b
            ax.scatter(xa, yb, s=14, color=colours[label], alpha=0.85, lw=0)
            shares.append(f"{label} {share:.0%}")
            shown.add(label)
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        if scale.get(a):
            ax.set_xscale("log")
            _log_ticks(ax.xaxis, points[a].min(), points[a].max())
        if scale.get(b):
            ax.set_yscale("log")
            _log_ticks(ax.yaxis, points[b].min(), points[b].max())
        ax.set_title(_wrapped(f"best on {_metric_label(metric)}: " + ", ".join(shares), 50), fontsize=8.5)
    handles = [Line2D([], [], marker="o", ls="", color=colours[x], label=x) for x in labels if x in shown]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), title="best option")
    fig.suptitle("Which option is best where (sample points, slightly jittered)", fontsize=10)
    return fig


def load(folder: Path) -> tuple[Study, pd.DataFrame, pd.DataFrame, dict, dict[str, pd.DataFrame]]:
    """The study, its sample points, its runs, its targets and its tables, read from a folder."""
    folder = Path(folder)
    study = read_study(folder)
    points = pd.read_csv(folder / SAMPLES_CSV).set_index("point").astype(float)  # true/false as 0/1
    summary = pd.read_csv(folder / SUMMARY_CSV, keep_default_na=False, na_values=[""])
    values = targets(study, summary, len(points))
    tables = {}
    for name in (SENSITIVITY_CSV, NOISE_CSV, ROBUSTNESS_CSV, BOXES_CSV):
        path = folder / name
        tables[name] = (
            pd.read_csv(path, keep_default_na=False, na_values=[""])
            if path.is_file() and path.stat().st_size > 1
            else pd.DataFrame()
        )
    return study, points, summary, values, tables


def all_figures(folder: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Draw every figure of a sensitivity folder in `formats` (default PNG); returns the files written."""
    study, points, _, values, tables = load(folder)
    sens = tables[SENSITIVITY_CSV]
    out_dir = Path(folder) / FIGURES_DIR
    paths: list[Path] = []
    for target in key_targets(study):
        paths += indices_figure(study, sens, target, out_dir / f"indices_{slug(target)}", formats)
        paths += effect_figure(study, sens, points, values, target, out_dir / f"effect_{slug(target)}", formats)
    wins = wins_figure(study, sens, points, values, out_dir / "wins", formats)
    return paths + (wins or [])


# -- the report ---------------------------------------------------------------------------------


def box_sentence(rows: pd.DataFrame) -> str:
    """One PRIM box in words: 'apology beats quick_fix where a > 0.42 and b < 0.1 (the box holds ...)'."""
    first = rows.iloc[0]
    parts = []
    for r in rows.itertuples():
        if pd.notna(r.low) and pd.notna(r.high):
            parts.append(f"{fmt(r.low)} < {r.parameter} < {fmt(r.high)}")
        elif pd.notna(r.low):
            parts.append(f"{r.parameter} > {fmt(r.low)}")
        else:
            parts.append(f"{r.parameter} < {fmt(r.high)}")
    return (
        f"{first.option} beats {first.leader} where {' and '.join(parts)} (the box holds {first.coverage:.0%} of the "
        f"points where it is best; it is best at {first.density:.0%} of the points inside)"
    )


def survive_blocks(study: Study, tables: dict) -> list[tuple]:
    """'Which conclusions survive': per metric, each option's share of the space and regret, and the boxes."""
    rob, boxes = tables[ROBUSTNESS_CSV], tables[BOXES_CSV]
    blocks: list[tuple] = [("h2", "Which conclusions survive")]
    if not len(rob):
        return blocks + [
            ("p", "One option only was run at each point: there is no ranking to test (add --strategies).")
        ]
    for metric, r in rob.groupby("metric", sort=False):
        r = r.sort_values("win_share", ascending=False)
        lead = r.iloc[0]
        unit, scale = (" pp", 100.0) if METRICS[metric].percent else (" " + METRICS[metric].unit, 1.0)

        def share(o) -> str:
            clear = ""
            if o.best_alone_share > 0 and "clear_share" in o._fields:  # folders of earlier versions lack it
                clear = f" (by more than chance at {o.clear_share:.0%})"
            tie = f", tied for best at {o.tie_share:.0%}" if o.tie_share > 0 else ""
            never = "; never worse than another" if o.worst_regret == 0 else ""
            return f"best alone at {o.best_alone_share:.0%} of the {int(o.points)} points{clear}{tie}{never}"

        def regret(o) -> str:
            return f"regret: mean {fmt(o.mean_regret * scale)}, worst {fmt(o.worst_regret * scale)}{unit}"

        rows = list(r.itertuples())
        if lead.best_alone_share > 0:
            text = f"On {_metric_label(metric)}, {lead.option} is {share(rows[0])}"
            rows = rows[1:]
        else:  # every point a tie for some: no leader to name
            text = f"On {_metric_label(metric)}, no option is best alone anywhere"
        others = [f"{o.option}: {share(o)}" + (f" ({regret(o)})" if o.worst_regret > 0 else "") for o in rows]
        text += ("; " + "; ".join(others) + ".") if others else "."
        if lead.points_failed:
            text += f" {int(lead.points_failed)} point(s) with a failed run are left out."
        blocks.append(("p", text))
        if len(boxes):
            mine = boxes[boxes.metric == metric]
            for _, rows in mine.groupby("option", sort=False):
                blocks.append(("p", box_sentence(rows) + "."))
    return blocks


INDEX_MEANING = {
    "morris": "mu* is a parameter's mean absolute elementary effect: how much the target changes when that parameter "
    "alone moves, scaled to the parameter's whole range (on a log scale for log-sampled ranges), in the target's unit "
    "(percentage points for shares); sigma, beside it in sensitivity.csv, is their spread (interactions, curvature). "
    "± is the half-width of the 95% bootstrap interval over the trajectories; an interval that includes 0 is marked.",
    "sobol": "ST is the share of the target's variance across the sample that is due to the parameter, its "
    "interactions included; S1 (in sensitivity.csv and the figures) the share due to it alone. With a finite sample "
    "the estimates can fall below 0 or above 1; ± is the half-width of the 95% bootstrap interval, and an interval "
    "that includes 0 is marked.",
}


def driver_blocks(study: Study, tables: dict, values: dict | None = None) -> list[tuple]:
    """'What drives the effects': the top parameters per key target and metric, and those with no effect."""
    sens, noise = tables[SENSITIVITY_CSV], tables[NOISE_CSV]
    main = RANK_INDEX[study.method]
    name = "mu*" if study.method == "morris" else "ST"
    blocks: list[tuple] = [("h2", "What drives the damage and the value of responding")]
    blocks.append(("p", INDEX_MEANING[study.method]))
    items = []
    for target in key_targets(study):
        for metric in study.metrics:
            r = sens[(sens.target == target) & (sens.metric == metric)]
            label = METRICS[metric].label if metric in METRICS else metric
            unit = f" (mu* in {change_unit(metric)})" if study.method == "morris" and change_unit(metric) else ""
            head = f"{target}, {label}{unit}: "
            y = values[(target, metric)].mean(axis=1) if values and (target, metric) in values else None
            if y is not None and np.isfinite(y).all() and np.ptp(y) == 0:
                same = (
                    "is 0 at every sample point"
                    if y[0] == 0
                    else f"is {fmt(y[0] * unit_factor(metric))} at every point"
                )
                items.append(f"{target}, {label}: {same}; no parameter changes it")
                continue
            if r[main].isna().all():
                items.append(f"{head}{r.warning.iloc[0]}")
                continue
            r = r.sort_values(main, ascending=False)
            k = unit_factor(metric) if study.method == "morris" else 1.0
            top = [
                f"{p.parameter} ({name} {fmt(k * getattr(p, main))} ± {fmt(k * getattr(p, main + '_conf'))}"
                + ("; interval includes 0" if "interval includes 0" in str(p.warning) else "")
                + ")"
                for p in r[r[main] > 0].head(TOP).itertuples()
            ]
            none = r[r[main] == 0].parameter.tolist()
            line = head + (", ".join(top) or "no parameter changes it")
            if none:
                line += f"; no effect at all: {', '.join(none)}"
            items.append(line)
    blocks.append(("ul", items))
    chance = noise[noise.warning.fillna("") != ""] if len(noise) else noise
    if len(chance):
        listed = ", ".join(f"{r.target} on {r.metric} ({r.noise_share_means:.0%})" for r in chance.itertuples())
        blocks.append(
            ("p", f"Chance dominates the point means of {listed}: read their indices with care, or add --replications.")
        )
    else:
        blocks.append(
            (
                "p",
                "Chance (the replications) leaves at most half of any target's variance across points: "
                "the indices measure the parameters.",
            )
        )
    return blocks


def report_blocks(folder: Path) -> tuple[str, list[tuple]]:
    """(title, blocks) of a sensitivity folder's report."""
    from .report import wrapped_command

    study, points, summary, values, tables = load(folder)
    plan = read_plan(folder)
    method = "Morris screening" if study.method == "morris" else "Sobol' indices"
    title = f"Sensitivity study: {method}, scenario {plan['scenario']}"
    options = ", ".join(study.option_label(s, d) for s, d in study.options())
    failed = int(summary.error.notna().sum())  # an empty error (read as NaN) is a run that succeeded
    design = (
        f"{len(points)} sample points ({'trajectories' if study.method == 'morris' else 'base samples'}: {study.n}) of "
        f"{len(study.factors)} parameters; at each point {len(study.options())} option(s) "
        f"({options}), {study.replications} paired replications each (the same seeds at every point "
        f"and option, root seed {study.seed}): {len(summary)} runs, {failed} failed."
    )
    if study.timing:
        design += f" The delays of --timing are hours {clock_text(plan['clock'])} (brand.anchor)."
    factor_rows = [[f.key, fmt(f.lo), fmt(f.hi), "log" if f.log else "linear", f.why] for f in study.factors]
    blocks: list[tuple] = [
        ("h1", title),
        ("h2", "Question"),
        ("p", QUESTION),
        ("h2", "Design"),
        ("p", design),
        ("table", "Sampled parameters", ["key", "low", "high", "scale", "why this range"], factor_rows),
    ]
    blocks += survive_blocks(study, tables)
    blocks += driver_blocks(study, tables, values)
    figures = sorted((Path(folder) / FIGURES_DIR).glob("*.png"))
    if figures:
        blocks.append(("h2", "Figures"))
        captions = {"wins": "The best option at each sample point, in the plane of the two main drivers."}
        for target in key_targets(study):
            captions[f"indices_{slug(target)}"] = f"What drives {target}: indices with 95% bootstrap intervals."
            captions[f"effect_{slug(target)}"] = f"{target} at each sample point against its main driver."
        order = {stem: i for i, stem in enumerate(captions)}
        for p in sorted(figures, key=lambda p: order.get(p.stem, len(order))):
            blocks.append(("figure", p, captions.get(p.stem, p.stem.replace("_", " "))))
    if plan["command"]:
        blocks += [("h2", "Reproduce"), ("code", wrapped_command(plan["command"]))]
    return title, blocks


def write_report(folder: str | Path) -> tuple[Path, Path]:
    """Write report.md and report.html of a sensitivity folder (figures drawn first)."""
    from .report import to_html, to_markdown
    from .results import write_text

    folder = Path(folder)
    title, blocks = report_blocks(folder)
    md, page = folder / "report.md", folder / "report.html"
    write_text(md, to_markdown(blocks))
    write_text(page, to_html(blocks, title))
    return md, page
