"""Figures of an experiment folder: strategies over time, response timing, two-key heatmaps.

An experiment folder (written by :mod:`simulation.experiments`) holds ``experiment.json`` (what was
run), ``summary.csv`` (one row per run), ``aggregate.csv`` (one row per condition, metric and
scope, with 95% intervals and paired differences from the baseline), ``timeseries_quantiles.csv``
(per condition and step, quantiles over replications of a few series) and, for sweeps over the
response delay, ``critical_window.csv``. The figures read only those files, so they can be redrawn
at any time without re-running anything. They go to ``<folder>/figures/`` as PNG (200 dpi), and PDF
when asked (`formats`), through :func:`simulation.plots.save`, with the palette and style of the run
figures.

- :func:`over_time`: reputation, negative posts per hour and churned customers over time, a median
  line and a 25–75% band per condition, and each condition's median time of the brand's first
  action (over its runs with an action) as a dashed vertical line in its colour; conditions that
  act at nearly the same time share the line by turns, so no colour hides another. A sweep with
  more than eight conditions shows at most six of them, spread across the swept values; the
  legend says which. Negative posts are shown only while they last (until every condition stays
  under 2% of the peak, and past the brand's first actions), which the title says, since a buzz of
  hours is invisible on an axis of weeks.
- :func:`timing`: final reputation, revenue lost and peak negative posts against the response
  delay (sweeps over ``brand.delay_hours``): per strategy the mean and its 95% interval; the
  baseline strategy as a dashed horizontal line with its interval (``ignore`` has no delay and
  is run once; a baseline that acts at each delay is a dashed line instead); the critical window
  (from ``critical_window.csv``) on the panel of its metric, the reputation. The delay axis is
  logarithmic past the smallest positive delay when the delays span more than a factor 12 (the
  x label says so), with a tick at each swept delay.
- :func:`heatmap`: the mean final reputation over the grid of a two-key sweep, one panel per
  strategy other than the baseline, each cell written out, on one shared colour scale.
- :func:`all_figures`: those of the above that apply.

Colours: the baseline strategy is black, other strategies (or conditions) take the Okabe–Ito
colours in order; past eight, the colours repeat with another line style.

Every ``*_figure`` builder returns matplotlib ``Figure`` objects without writing anything (tests
and users can inspect or adjust them); the public functions write the files and return their paths.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextPath
from matplotlib.ticker import FuncFormatter, NullLocator

from .experiment_folder import DELAY_KEY, FIGURES_DIR, STRATEGY_KEY, ExperimentFolder
from .metrics import METRICS
from .plots import OKABE_ITO, _new_figure, _style, save, time_unit
from .text import fmt, hours_text, key_label, same_value, value_text, window_text

MAX_CONDITIONS = 8  # over time: all conditions up to this many ...
SHOWN_CONDITIONS = 6  # ... else at most this many, spread across the swept values
OVER_TIME_BAND = ("q25", "q75")
POSTS_SHOWN = 0.02  # negative posts over time: shown while above this share of the peak
CRITICAL_NOTE_WIDTH = 42  # characters per line of the critical-window notes
RUN_LINES = 20  # single runs drawn per condition in the over-time figures (thin lines)
MARKS_PER_LINE = 8  # markers along each over-time line
LEGEND_WIDTH = 48  # characters of a legend entry's line (a strategy's schedule in words wraps)
OVER_TIME_LEGEND_WIDTH = 40  # the same beside an over-time panel
MIN_TICK_GAP_PT = 3.0  # blank between two delay labels of a timing panel, in points
HEATMAP_CMAP = "cividis"  # perceptually uniform and readable with colour-vision deficiencies
# colours after the baseline's black; yellow (weak on white) and grey come last
PALETTE = [
    OKABE_ITO[c]
    for c in ("orange", "sky_blue", "bluish_green", "vermillion", "blue", "reddish_purple", "yellow", "grey")
]
LINESTYLES = ["-", (0, (5, 1.5, 1, 1.5)), (0, (1, 1))]  # solid, dash-dot, dotted (dashes: actions)
MARKERS = ["o", "s", "^", "D"]
# (series in timeseries_quantiles.csv, file stem, title, y label)
OVER_TIME = [
    ("reputation", "over_time_reputation", "Reputation of the brand over time", "reputation (mean opinion, -1 to 1)"),
    ("posts_negative_per_h", "over_time_posts", "Negative posts over time", "negative posts per hour"),
    ("churned", "over_time_churn", "Churned customers over time", "churned customers (count)"),
]
# (metric, panel title, y label; {currency} is filled in)
TIMING_PANELS = [
    ("final_reputation", "Final reputation", "final reputation\n(mean opinion, -1 to 1)"),
    ("revenue_lost", "Revenue lost", "revenue lost ({currency})"),
    ("peak_posts", "Peak of negative posts", "peak negative posts\n(posts per hour)"),
]


# -- units and colours ----------------------------------------------------------------------------


def styles(names: list, baseline=None) -> dict:
    """Name -> (colour, line style): the baseline black, the others Okabe–Ito in order."""
    out, i = {}, 0
    for name in names:
        if baseline is not None and name == baseline:
            out[name] = (OKABE_ITO["black"], "-")
            continue
        out[name] = (PALETTE[i % len(PALETTE)], LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)])
        i += 1
    return out


# -- over time -----------------------------------------------------------------------------------


def _spread(values: list, k: int) -> list:
    """At most ``k`` of ``values``, evenly spread, first and last included."""
    if len(values) <= k:
        return list(values)
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, k)).astype(int))
    return [values[i] for i in idx]


def chosen_conditions(exp: ExperimentFolder, hold: dict | None = None) -> tuple[list[int], str]:
    """The conditions drawn over time and, when not all of them, a note saying which.

    Up to ``MAX_CONDITIONS`` conditions: all. More (sweeps): the other swept keys are held at
    their first value, or at the values of ``hold`` (the slice a user names, `--slice KEY=VALUE`);
    the ``SHOWN_CONDITIONS`` slots are shared among the strategies, each getting conditions spread
    evenly across the main swept key (``brand.delay_hours`` when swept, else the first), except
    that with the delay swept the baseline strategy keeps one condition (its runs do not depend on
    a delay it never uses).
    """
    cond = exp.conditions
    all_ids = cond["condition"].astype(int).tolist()
    if len(all_ids) <= MAX_CONDITIONS or not exp.vary:
        return all_ids, ""
    main = DELAY_KEY if DELAY_KEY in exp.vary else next(iter(exp.vary))
    held = {k: v[0] for k, v in exp.vary.items() if k != main and v}
    for k, v in (hold or {}).items():
        if k not in exp.vary:
            raise FigureError(f"--slice: {k} is not swept; swept: {', '.join(exp.vary)}")
        if not any(same_value(v, x) for x in exp.vary[k]):
            raise FigureError(f"--slice: {k}={value_text(v)} is not a swept value; swept: {exp.vary[k]}")
        if k == main:
            main = next((m for m in exp.vary if m not in hold), k)
        held[k] = v
    held = {k: v for k, v in held.items() if k != main}
    pool = cond
    for k, v in held.items():
        if k in pool:
            pool = pool[[same_value(x, v) for x in pool[k]]]
    order = [s for s in exp.strategies if s in set(pool[STRATEGY_KEY].astype(str))]
    others = [s for s in order if s != exp.baseline]
    chosen: dict[str, list[int]] = {}
    slots = SHOWN_CONDITIONS
    if exp.baseline in order and main == DELAY_KEY:  # nothing to delay: one condition is enough
        chosen[exp.baseline] = (
            pool.loc[pool[STRATEGY_KEY].astype(str) == exp.baseline, "condition"].astype(int).tolist()[:1]
        )
        slots -= 1
    else:
        others = order
    for i, s in enumerate(others):
        share = slots // len(others) + (1 if i < slots % len(others) else 0)
        rows = pool[pool[STRATEGY_KEY].astype(str) == s]
        if main in rows:
            rows = rows.assign(_v=[_sort_key(v) for v in rows[main]]).sort_values("_v")
        chosen[s] = _spread(rows["condition"].astype(int).tolist(), max(share, 1))
    ids = [c for s in order for c in chosen.get(s, [])]
    parts = []
    for s in order:
        picked = cond[cond["condition"].isin(chosen.get(s, []))]
        if not len(picked):
            continue
        if s == exp.baseline and main == DELAY_KEY:
            parts.append(f"{s} (independent of the delay)")
        elif main in picked:
            unit = "\u00a0h" if main == DELAY_KEY else ""  # no line break before the unit
            parts.append(f"{s} at {', '.join(value_text(v) for v in picked[main])}{unit}")
        else:
            parts.append(s)
    what = "delays" if main == DELAY_KEY else main
    note = f"{len(ids)} of {len(all_ids)} conditions: " + "; ".join(parts)
    if held:
        note += "\n(" + ", ".join(f"{k} = {value_text(v)}" for k, v in held.items()) + ")"
    note = note.replace(": ", f" ({what} spread out): ", 1) if len(parts) else note
    return ids, note


def _short_label(exp: ExperimentFolder, condition: int) -> str:
    """A condition's short label.

    The strategy and the main swept value: "quick_fix, delay 6 h"; the baseline alone when the delay is swept (it
    has no action to delay).
    """
    row = exp.conditions.set_index("condition").loc[condition]
    strategy = str(row.get(STRATEGY_KEY, exp.strategy_of(condition)))
    name = exp.title(strategy)
    main = DELAY_KEY if DELAY_KEY in exp.vary else next(iter(exp.vary))
    if main not in row or pd.isna(row[main]):  # a key that does not change this strategy's runs
        return name
    if main == DELAY_KEY:
        return name if strategy == exp.baseline else f"{name} at {value_text(row[main])} h"
    return f"{name}, {main}={value_text(row[main])}"


def _full_label(exp: ExperimentFolder, condition: int) -> str:
    """A condition's label in a legend, its strategy's name given with its schedule in words when the user's."""
    label, strategy = exp.label(condition), exp.strategy_of(condition)
    return exp.title(strategy) + label[len(strategy) :] if label.startswith(strategy) else label


def legend_name(exp: ExperimentFolder, strategy: str) -> str:
    """A strategy in a legend: a preset's name, or a schedule of the user's with its words, wrapped."""
    return textwrap.fill(exp.title(strategy), LEGEND_WIDTH)


def _sort_key(v):
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


class FigureError(ValueError):
    """A figure option that does not fit the experiment: one line naming it and what is allowed."""


def condition_legend(exp: ExperimentFolder, ids: list[int], note: str) -> tuple[dict, dict, str]:
    """Legend labels (wrapped), styles and the wrapped note of the conditions drawn in a figure.

    With a note (a chosen few of many conditions) the note says what is held and the labels say
    only what differs.
    """
    labels = {c: (_short_label(exp, c) if note else _full_label(exp, c)) for c in ids}
    labels = {
        c: "\n".join(textwrap.fill(line, OVER_TIME_LEGEND_WIDTH) for line in text.split("\n"))
        for c, text in labels.items()
    }
    colour = styles(ids, next((c for c in ids if exp.strategy_of(c) == exp.baseline), None))
    note = "\n".join(textwrap.fill(part, 52) for part in note.split("\n")) if note else ""
    return labels, colour, note


def legend_beside(ax, note: str, **kwargs) -> None:
    """The legend to the right of the axes, the note as its title."""
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
        frameon=False,
        title=note or None,
        alignment="left",
        **kwargs,
    )


def over_time_figures(exp: ExperimentFolder, hold: dict | None = None) -> dict[str, Figure]:
    """Stem -> Figure for the three over-time figures (empty without timeseries_quantiles.csv).

    ``hold``: the values at which the other swept keys are held (see `chosen_conditions`).
    """
    q = exp.quantiles
    if q is None or not len(q):
        return {}
    ids, note = chosen_conditions(exp, hold)
    ids = [c for c in ids if c in set(q["condition"].astype(int))]
    labels, colour, note = condition_legend(exp, ids, note)
    first_action = exp.first_action_h()
    out = {}
    for series, stem, title, ylabel in OVER_TIME:
        rows = q[q["series"] == series]
        if not len(rows):
            continue
        horizon = exp.horizon_h
        if series == "posts_negative_per_h":  # the buzz is brief: show it, not weeks of zeros
            shown = rows[rows["condition"].astype(int).isin(ids)]
            actions = [first_action[c] for c in ids if c in first_action]
            end = _active_end(shown, actions, horizon)
            if end < horizon:
                scale = time_unit(end)[0]
                unit = "days" if scale == 24 else "hours"
                title = (
                    f"{title}: the first {hours_text(end / scale)} {unit}\n"
                    f"(later, under {POSTS_SHOWN:.0%} of the peak in every condition)"
                )
                horizon = end
        scale, xlabel = time_unit(horizon)
        runs = exp.run_series(series, ids, RUN_LINES)
        if runs is not None:
            runs = runs[runs["hours"] <= horizon]
        dashes = _interleaved_dashes({c: first_action[c] for c in ids if c in first_action}, near=0.004 * horizon)
        with _style():
            fig = _new_figure((7.2, 3.9))
            ax = fig.add_subplot()
            for i, c in enumerate(ids):
                d = rows[rows["condition"].astype(int) == c].sort_values("hours")
                if not len(d):
                    continue
                x = d["hours"].to_numpy() / scale
                col, ls = colour[c]
                if runs is not None:  # single runs, thin, under the band: the spread the quantiles summarise
                    for _, one in runs[runs["condition"] == c].groupby("replication"):
                        ax.plot(one["hours"] / scale, one[series], color=col, linewidth=0.45, alpha=0.35, zorder=1.5)
                ax.fill_between(
                    x, d[OVER_TIME_BAND[0]], d[OVER_TIME_BAND[1]], color=col, alpha=0.16, linewidth=0, zorder=2
                )
                # a marker of its own, at positions of its own: lines that coincide stay told apart
                every = max(1, len(x) // MARKS_PER_LINE)
                ax.plot(
                    x,
                    d["q50"],
                    color=col,
                    linestyle=ls,
                    zorder=3,
                    label=labels[c],
                    marker=MARKERS[i % len(MARKERS)],
                    markersize=4.5,
                    markevery=(i * every // max(len(ids), 1), every),
                )
                if c in first_action:
                    ax.axvline(first_action[c] / scale, color=col, linewidth=1.1, zorder=2.5, linestyle=dashes[c])
            ax.set_xlim(0, horizon / scale)
            if series != "reputation":  # counts and rates: from zero
                ax.set_ylim(bottom=0)
            ax.set(title=f"{title}\n{exp.subtitle()}", xlabel=xlabel, ylabel=ylabel)
            if series == "reputation":
                ax.axhline(
                    float(rows.sort_values("hours")["q50"].iloc[0]),
                    color="0.45",
                    linestyle=":",
                    linewidth=1.0,
                    zorder=1,
                )
            handles, _ = ax.get_legend_handles_labels()
            n_runs = f"{exp.replications} runs" if exp.replications else "runs"
            handles += [
                Line2D([], [], color="0.3", label=f"line: median of {n_runs}"),
                Patch(color="0.3", alpha=0.16, linewidth=0, label=f"band: 25–75% of {n_runs}"),
            ]
            if runs is not None and len(runs):
                shown = min(RUN_LINES, exp.replications)
                handles.append(
                    Line2D(
                        [],
                        [],
                        color="0.3",
                        linewidth=0.45,
                        alpha=0.6,
                        label="thin: each run" if shown == exp.replications else f"thin: the first {shown} runs",
                    )
                )
            if any(c in first_action for c in ids):
                handles.append(
                    Line2D(
                        [],
                        [],
                        color="0.3",
                        linestyle="--",
                        linewidth=1.1,
                        label="dashed: median time of the\nbrand's first action",
                    )
                )
            if series == "reputation":
                handles.append(Line2D([], [], color="0.45", linestyle=":", linewidth=1.0, label="starting reputation"))
            legend_beside(ax, note, handles=handles)
        out[stem] = fig
    return out


def _interleaved_dashes(times: dict[int, float], near: float, seg: float = 3.0) -> dict[int, tuple]:
    """Dash patterns that keep lines at nearly the same time visible.

    A dash pattern per condition such that conditions acting at nearly the same time (within ``near`` hours of the
    previous one: lines that would be drawn on top of each other) share the line by turns: each colour stays
    visible instead of the last one drawn hiding the others.
    """
    groups: list[list[int]] = []
    last = None
    for c, t in sorted(times.items(), key=lambda item: item[1]):
        if last is None or t - last > near:
            groups.append([])
        groups[-1].append(c)
        last = t
    out = {}
    for members in groups:
        n = len(members)
        for k, c in enumerate(members):
            out[c] = (k * seg, (seg, (n - 1) * seg)) if n > 1 else (0, (seg + 1, seg - 1))
    return out


def _active_end(rows: pd.DataFrame, actions: list[float], horizon: float) -> float:
    """Hours of negative posts worth showing.

    Hours to show of negative posts: until the 75th percentile of every condition has stayed below ``POSTS_SHOWN``
    of the highest median, plus a sixth, and past the brand's first actions; at least a day; the whole horizon
    when that would show most of it anyway.
    """
    peak = float(rows["q50"].max()) if len(rows) else 0.0
    if not peak > 0:
        return horizon
    busy = rows.loc[rows["q75"] >= POSTS_SHOWN * peak, "hours"]
    end = max([float(busy.max()) if len(busy) else 0.0, *actions]) * 7 / 6
    end = max(end, min(24.0, horizon))
    step = 24.0 if time_unit(end)[0] == 24 else 6.0  # whole days, or hours by sixes
    end = math.ceil(end / step - 1e-9) * step
    return horizon if end > 0.6 * horizon else end


def over_time(folder: str | Path, hold: dict | None = None, formats: tuple[str, ...] | None = None) -> list[Path]:
    """The over-time figures of an experiment folder.

    Reputation, negative posts per hour and churned customers over time, per condition:
    ``figures/over_time_{reputation,posts,churn}.png`` (and ``.pdf`` in `formats`). Returns the paths written.
    """
    exp = ExperimentFolder.load(folder)
    return _save_all(exp, over_time_figures(exp, hold), formats)


def distribution_figure(exp: ExperimentFolder, hold: dict | None = None) -> Figure | None:
    """The distribution of the main metric over runs, per condition: empirical CDFs.

    Means hide split outcomes (many runs without a buzz, a few firestorms); the ECDF shows the
    whole distribution, a step at zero being the runs where nothing happened. The conditions are
    those of the over-time figures (`chosen_conditions`); None without summary.csv.
    """
    summary, metric = exp.summary, exp.main_metric
    if summary is None or metric not in summary or metric not in METRICS or not summary[metric].notna().any():
        return None
    ids, note = chosen_conditions(exp, hold)
    labels, colour, note = condition_legend(exp, ids, note)
    m = METRICS[metric]
    with _style():
        fig = _new_figure((7.2, 3.9))
        ax = fig.add_subplot()
        for i, c in enumerate(ids):
            x = summary.loc[summary["condition"] == c, metric].dropna().to_numpy(float)
            if not len(x):
                continue
            col, ls = colour[c]
            x = x * 100 if m.percent else x
            ax.ecdf(x, color=col, linestyle=ls, linewidth=1.4, label=f"{labels[c]} ({len(x)} runs)", zorder=3)
        unit = m.heading(exp.currency)
        ax.set(
            title=textwrap.fill(f"Distribution over runs: {m.label}", 52) + f"\n{exp.subtitle()}",
            xlabel=unit[0].upper() + unit[1:],
            ylabel="share of runs at or below (%)",
        )
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}"))
        ax.set_ylim(0, 1.02)
        better = {"lower": "left", "higher": "right"}.get(m.better)
        if better:
            ax.text(
                0.99,
                0.02,
                f"better: to the {better}",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=8,
                color="0.35",
            )
        legend_beside(ax, note)
    return fig


def distribution(folder: str | Path, hold: dict | None = None, formats: tuple[str, ...] | None = None) -> list[Path]:
    """`figures/distribution.png` (and `.pdf` in `formats`): the main metric's distribution per condition."""
    exp = ExperimentFolder.load(folder)
    fig = distribution_figure(exp, hold)
    return _save_all(exp, {"distribution": fig} if fig is not None else {}, formats)


def _save_all(exp: ExperimentFolder, figures: dict[str, Figure], formats: tuple[str, ...] | None) -> list[Path]:
    paths = []
    for stem, fig in figures.items():
        paths += save(fig, exp.folder / FIGURES_DIR / stem, formats)
    return paths


# -- response timing ------------------------------------------------------------------------------


def _delay_axis(ax, delays: np.ndarray) -> float | None:
    """The delay axis of a timing panel.

    Symmetric-log x axis when the delays span more than a factor 12 (linear from 0 to the smallest positive delay,
    logarithmic beyond), with a tick at each swept delay when there are at most ten. Returns the delay where the
    log scale starts, or None for a linear axis.
    """
    positive = delays[delays > 0]
    log = len(positive) > 1 and positive.max() / positive.min() > 12
    if log:
        ax.set_xscale("symlog", linthresh=float(positive.min()), linscale=0.6)
        ax.set_xlim(0 if delays.min() >= 0 else None, positive.max() * 1.25)
    if len(delays) <= 10:
        ax.set_xticks(delays)
        ax.xaxis.set_minor_locator(NullLocator())
        # label the ticks far enough apart to be read (first and last always): 96 and 168, or 720
        # and 1,440, sit close on a log scale. Widths in points, from the labels' glyph outlines.
        to_axes = ax.transScale + ax.transLimits
        pos = to_axes.transform(np.column_stack([delays, np.zeros_like(delays)]))[:, 0]
        panel_pt = ax.get_position().width * ax.get_figure(root=True).get_figwidth() * 72
        font_pt = ax.xaxis.get_major_ticks()[0].label1.get_fontsize()
        half = [TextPath((0, 0), hours_text(d), size=font_pt).get_extents().width / 2 for d in delays]

        def apart(i: int, j: int) -> bool:
            return abs(pos[j] - pos[i]) * panel_pt >= half[i] + half[j] + MIN_TICK_GAP_PT

        last = len(delays) - 1
        keep = [0]
        for i in range(1, last):
            if apart(keep[-1], i) and apart(i, last):
                keep.append(i)
        keep.append(last)
        shown = {float(delays[i]) for i in keep}
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: hours_text(v) if any(same_value(v, d) for d in shown) else "")
        )
    return float(positive.min()) if log else None


def timing_panels(exp: ExperimentFolder) -> list[tuple[str, str, str]]:
    """The panels of the timing figure: the critical window's metric first, then TIMING_PANELS."""
    window = str(exp.plan.get("window_metric", "final_reputation"))
    known = {m: (m, t, y) for m, t, y in TIMING_PANELS}
    first = known.get(window)
    if first is None and window in METRICS:
        m = METRICS[window]
        first = (window, m.label[0].upper() + m.label[1:], m.heading("{currency}").replace(" (", "\n(", 1))
    if first is None or window == TIMING_PANELS[0][0]:
        return list(TIMING_PANELS)
    # the window's metric replaces the final reputation (a horizon-bound measure)
    return [first] + [p for p in TIMING_PANELS[1:] if p[0] != window][:2]


def timing_figure(exp: ExperimentFolder) -> Figure | None:
    """The response-timing figure, or None when ``brand.delay_hours`` is not swept."""
    if DELAY_KEY not in exp.vary or exp.aggregate is None:
        return None
    others = [k for k in exp.vary if k != DELAY_KEY]
    baseline = exp.baseline
    # one line per (strategy, values of the other swept keys)
    panels_of = timing_panels(exp)
    base = exp.stat(panels_of[0][0])
    groups = base.groupby([STRATEGY_KEY, *others], sort=False, dropna=False).size().index.tolist()
    groups = [g if isinstance(g, tuple) else (g,) for g in groups]
    combos = list(dict.fromkeys(g[1:] for g in groups))
    strategies = [s for s in exp.strategies if any(str(g[0]) == s for g in groups)]
    by_combo = len(combos) > 1
    strat_style = styles(strategies, baseline)
    combo_colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(combos)}
    non_base = [s for s in strategies if s != baseline]

    def look(strategy, combo):
        if by_combo:
            i = non_base.index(strategy) if strategy in non_base else 0
            return combo_colour[combo], LINESTYLES[i % len(LINESTYLES)], MARKERS[i % len(MARKERS)]
        col, ls = strat_style[strategy]
        return (
            col,
            ls,
            MARKERS[max(non_base.index(strategy), 0) // len(PALETTE) % len(MARKERS)] if strategy in non_base else "o",
        )

    def combo_text(combo):
        return ", ".join(f"{k}={value_text(v)}" for k, v in zip(others, combo))

    # the baseline "ignore" has no delay (NaN): it is run once
    delays = np.sort(pd.to_numeric(exp.conditions[DELAY_KEY], errors="coerce").dropna().unique())
    # the legend's size, known before drawing so that the figure can make room for it
    names = [
        str(g[0]) + (f", {combo_text(g[1:])}" if by_combo else "") + (" (baseline)" if g[0] == baseline else "")
        for g in groups
    ]
    crit = exp.critical
    found = crit is not None and "status" in crit and bool((crit["status"] == "found").any())
    n_entries = len(names) + (2 if found else 0)
    widest = max([len(n) for n in names] + [len("critical window: 95% CI")])
    # entries per row that fit in the figure's width (about 0.075 in per character at 8.5 pt,
    # plus the handle and the gap)
    ncol = max(1, min(n_entries, 5, int(9.6 / (0.075 * widest + 0.8))))
    legend_h = 0.2 * (math.ceil(n_entries / ncol) + 1 + found) + 0.2
    with _style():
        fig = _new_figure((10.0, 3.8 + legend_h))
        # panels (with their shared x label) above, legend below: two subfigures, so that the
        # layout stacks the x label and the legend instead of drawing one over the other
        panels, below = fig.subfigures(2, 1, height_ratios=[3.8, legend_h])
        axes = panels.subplots(1, 3)
        log = None
        for ax, (metric, title, ylabel) in zip(axes, panels_of):
            stat = exp.stat(metric)
            if not len(stat):
                ax.set_axis_off()
                continue
            for strategy in strategies:
                for combo in combos:
                    sel = stat[stat[STRATEGY_KEY].astype(str) == strategy]
                    for k, v in zip(others, combo):
                        sel = sel[[same_value(x, v) for x in sel[k]]]
                    if not len(sel):
                        continue
                    sel = sel.assign(_d=pd.to_numeric(sel[DELAY_KEY], errors="coerce")).sort_values("_d")
                    col, ls, marker = look(strategy, combo)
                    name = legend_name(exp, strategy) + (f", {combo_text(combo)}" if by_combo else "")
                    x = sel["_d"].to_numpy()
                    if strategy == baseline and len(set(x[np.isfinite(x)])) <= 1:
                        # flat: a baseline without a delay (ignore) or run at one delay only
                        mean, lo, hi = (float(sel[c].mean()) for c in ("mean", "ci_low", "ci_high"))
                        ax.axhspan(lo, hi, color=col if by_combo else "0.55", alpha=0.14, linewidth=0, zorder=1)
                        ax.axhline(mean, color=col, linestyle="--", linewidth=1.4, zorder=2, label=f"{name} (baseline)")
                        continue
                    if strategy == baseline:  # a baseline that acts, at each delay: a dashed line
                        sel = sel[np.isfinite(x)]
                        x = sel["_d"].to_numpy()
                        ax.fill_between(
                            x,
                            sel["ci_low"],
                            sel["ci_high"],
                            color=col if by_combo else "0.55",
                            alpha=0.14,
                            linewidth=0,
                            zorder=1,
                        )
                        ax.plot(
                            x,
                            sel["mean"],
                            color=col,
                            linestyle="--",
                            linewidth=1.4,
                            marker=marker,
                            markersize=3.5,
                            zorder=2,
                            label=f"{name} (baseline)",
                        )
                        continue
                    ax.fill_between(x, sel["ci_low"], sel["ci_high"], color=col, alpha=0.2, linewidth=0, zorder=2)
                    ax.plot(x, sel["mean"], color=col, linestyle=ls, marker=marker, markersize=4, zorder=3, label=name)
            log = _delay_axis(ax, delays)
            ax.set(title=title, ylabel=ylabel.format(currency=exp.currency), xlabel="")
            if metric == "revenue_lost":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            _mark_critical(
                exp,
                ax,
                metric,
                others,
                lambda s, combo: look(s, combo)[0] if s in strategies and combo in combos else "0.15",
                lambda s, combo: s + (f", {combo_text(combo)}" if by_combo else ""),
            )
        xlabel = key_label(DELAY_KEY, exp.clock, exp.currency)
        if log is not None:
            xlabel = xlabel[:-1] + f"; log scale beyond {hours_text(log)} h)"
        panels.supxlabel(xlabel, fontsize=10)
        fig.suptitle(f"Damage against the timing of the response\n{exp.subtitle()}", fontsize=11)
        handles, labels = [], []
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        title = "lines: mean over runs; bands: 95% confidence interval of the mean"
        if found:
            title += (
                "\ncritical window: the delay past which a response wins back less than "
                "half of what an immediate one wins back relative to ignoring"
            )
        below.legend(handles=handles, loc="center", ncol=ncol, frameon=False, title=title)
    return fig


def _mark_critical(exp: ExperimentFolder, ax, metric: str, others: list[str], colour_of, name_of) -> None:
    """Mark the critical windows on their panels.

    The critical window of each strategy (and values of the other swept keys: one row of critical_window.csv each)
    on the panel of its metric: a vertical line at the critical delay, its CI shaded, and a note in a band at the
    top of the panel. ``colour_of(strategy, combo)`` and ``name_of(strategy, combo)`` give the colour and name of
    that line in the figure.
    """
    crit = exp.critical
    if crit is None or not len(crit) or "metric" not in crit:
        return
    rows = crit[crit["metric"] == metric]
    if not len(rows):
        return
    texts = []
    several = len(rows) > 1
    for _, row in rows.iterrows():
        s = str(row["strategy"])
        combo = tuple(row[k] if k in row else None for k in others)
        col = colour_of(s, combo)
        if row.get("status") == "found" and pd.notna(row.get("critical_delay_h")):
            lo, hi = row.get("ci_low"), row.get("ci_high")
            if pd.notna(lo) or pd.notna(hi):
                xmin, xmax = ax.get_xlim()
                ax.axvspan(
                    lo if pd.notna(lo) else xmin,
                    hi if pd.notna(hi) else xmax,
                    color=col,
                    alpha=0.12,
                    linewidth=0,
                    zorder=0.5,
                    label="critical window: 95% CI",
                )
            ax.axvline(
                float(row["critical_delay_h"]),
                color=col,
                linestyle=(0, (4, 2)),
                linewidth=1.3,
                zorder=2.5,
                label="critical window",
            )
        text = (f"{name_of(s, combo)}: " if several else "") + window_text(row)
        text = "\n".join(textwrap.fill(part, CRITICAL_NOTE_WIDTH) for part in text.split("\n"))
        texts.append((text, col))
    # the notes go in a band at the top of the panel, kept clear of data by raising the y axis
    height = ax.bbox.height / ax.figure.dpi * 72  # points
    line = 7.5 * 1.25 / height  # one line of notes, as a share of the axes
    y = 0.98
    for text, col in texts:
        t = ax.text(
            0.97,
            y,
            text,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7.5,
            color=col if col != "0.15" else "black",
            zorder=5,
            bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.7", lw=0.5, alpha=0.9),
        )
        t.set_gid("critical_window")
        y -= line * (text.count("\n") + 1) + 0.035
    lo, hi = ax.get_ylim()
    free = min(max(y - 0.02, 0.45), 0.95)  # the data keep at least 45% of the height
    ax.set_ylim(lo, lo + (hi - lo) / free)


def timing(folder: str | Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """``figures/response_timing.png`` (and ``.pdf`` in `formats`) for a sweep over ``brand.delay_hours`` ([] else)."""
    exp = ExperimentFolder.load(folder)
    fig = timing_figure(exp)
    return [] if fig is None else _save_all(exp, {"response_timing": fig}, formats)


# -- heatmap ------------------------------------------------------------------------------------


def heatmap_figure(exp: ExperimentFolder, metric: str = "final_reputation") -> Figure | None:
    """The heatmap of a two-key sweep.

    Mean ``metric`` over the grid of a two-key sweep, one panel per non-baseline strategy; None unless exactly two
    keys are swept.
    """
    vary = exp.vary
    if exp.kind != "sweep" or len(vary) != 2 or exp.aggregate is None:
        return None
    kx, ky = list(vary)
    if ky == DELAY_KEY:  # the delay reads best along x
        kx, ky = ky, kx
    xs, ys = list(vary[kx]), list(vary[ky])
    stat = exp.stat(metric)
    strategies = [s for s in exp.strategies if s != exp.baseline and (stat[STRATEGY_KEY].astype(str) == s).any()]
    if not strategies:
        return None
    grids = {}
    for s in strategies:
        grid = np.full((len(ys), len(xs)), np.nan)
        for _, row in stat[stat[STRATEGY_KEY].astype(str) == s].iterrows():
            i = next((i for i, v in enumerate(ys) if same_value(row[ky], v)), None)
            j = next((j for j, v in enumerate(xs) if same_value(row[kx], v)), None)
            if i is not None and j is not None:
                grid[i, j] = row["mean"]
        grids[s] = grid
    values = np.concatenate([g.ravel() for g in grids.values()])
    values = values[np.isfinite(values)]
    norm = Normalize(*(values.min(), values.max()) if len(values) else (0, 1))
    base_note = ""
    base = stat[stat[STRATEGY_KEY].astype(str) == str(exp.baseline)] if exp.baseline else stat.iloc[:0]
    if len(base):
        lo, hi = base["mean"].min(), base["mean"].max()
        base_note = (
            f"\nbaseline ({exp.baseline}): {fmt(lo)}"
            if fmt(lo) == fmt(hi)
            else f"\nbaseline ({exp.baseline}): {fmt(lo)} to {fmt(hi)} over the grid"
        )
    with _style():
        n = len(strategies)
        fig = _new_figure((min(max(3.3 * n + 1.4, 6.0), 11.0), 3.8 + 0.12 * len(ys)))
        axes = np.atleast_1d(fig.subplots(1, n, sharey=True, squeeze=False)[0])
        for ax, s in zip(axes, strategies):
            grid = grids[s]
            im = ax.imshow(grid, cmap=HEATMAP_CMAP, norm=norm, origin="lower", aspect="auto")
            ax.set_xticks(range(len(xs)), [value_text(v) for v in xs])
            ax.set_yticks(range(len(ys)), [value_text(v) for v in ys])
            ax.grid(False)
            ax.tick_params(length=0)
            for side in ("top", "right", "bottom", "left"):
                ax.spines[side].set_visible(False)
            cmap = im.get_cmap()
            size = _cell_font(fig, ax, [fmt(v) for v in grid[np.isfinite(grid)]] + ["n/a"], len(xs))
            for i in range(len(ys) if size else 0):
                for j in range(len(xs)):
                    v = grid[i, j]
                    if not np.isfinite(v):
                        ax.text(j, i, "n/a", ha="center", va="center", fontsize=size, color="0.4")
                        continue
                    r, g, b, _ = cmap(norm(v))
                    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
                    t = ax.text(
                        j, i, fmt(v), ha="center", va="center", fontsize=size, color="white" if dark else "black"
                    )
                    t.set_gid(f"cell:{i}:{j}")
            ax.set_title(legend_name(exp, s))
        fig.supxlabel(key_label(kx, exp.clock, exp.currency), fontsize=10)  # shared: too long to repeat per panel
        axes[0].set_ylabel(key_label(ky, exp.clock, exp.currency))
        name = {"final_reputation": "final reputation (mean opinion, -1 to 1)"}.get(metric, metric)
        cbar = fig.colorbar(im, ax=list(axes), shrink=0.9, pad=0.02)
        cbar.set_label(f"mean {name}".replace(" (", "\n(", 1))
        fig.suptitle(f"Mean {name.split(' (')[0]} over the swept grid\n{exp.subtitle()}{base_note}", fontsize=11)
    return fig


def _cell_font(fig, ax, texts: list[str], columns: int, largest: float = 8.0) -> float:
    """The font size at which the widest cell value fits its cell (at most `largest` points).

    0 when the values would not fit even at 5 points (many swept values on a small panel): the
    cells are then left unwritten, the colour scale reads them.
    """
    fig.draw_without_rendering()
    cell_pt = ax.get_window_extent().width * 72 / fig.dpi / max(columns, 1)
    widest = max(TextPath((0, 0), t, size=largest).get_extents().width for t in texts)
    size = largest * 0.85 * cell_pt / widest if widest > 0 else largest
    return 0.0 if size < 5.0 else float(min(size, largest))


def heatmap(folder: str | Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """``figures/heatmap_final_reputation.png`` (and ``.pdf`` in `formats`) for a sweep over two keys ([] else)."""
    exp = ExperimentFolder.load(folder)
    fig = heatmap_figure(exp)
    return [] if fig is None else _save_all(exp, {"heatmap_final_reputation": fig}, formats)


# -- everything ----------------------------------------------------------------------------------


def all_figures(folder: str | Path, hold: dict | None = None, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Every figure that applies to this experiment, written to ``folder/figures/`` in `formats` (default PNG).

    ``hold``: for sweeps with more conditions than an over-time figure shows, the slice to show
    (other swept keys held at these values; by default their first).
    """
    return [
        *over_time(folder, hold, formats),
        *distribution(folder, hold, formats),
        *timing(folder, formats),
        *heatmap(folder, formats),
    ]
