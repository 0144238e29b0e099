"""Figures of an experiment folder: strategies over time, response timing, two-key heatmaps.

An experiment folder (written by :mod:`simulation.experiments`) holds ``experiment.json`` (what was
run), ``summary.csv`` (one row per run), ``aggregate.csv`` (one row per condition, metric and
scope, with 95% intervals and paired differences from the baseline), ``timeseries_quantiles.csv``
(per condition and step, quantiles over replications of a few series) and, for sweeps over the
response delay, ``critical_window.csv``. The figures read only those files, so they can be redrawn
at any time without re-running anything. They go to ``<folder>/figures/`` as PNG (200 dpi) and
PDF through :func:`simulation.plots.save`, with the palette and style of the run figures.

- :func:`over_time`: reputation, negative posts per hour and churned customers over time, a median
  line and a 25–75% band per condition, and each condition's median time of the brand's first
  action as a dashed vertical line in its colour. A sweep with more than eight conditions shows at
  most six of them, spread across the swept values; the legend says which.
- :func:`timing`: final reputation, revenue lost and peak negative posts against the response
  delay (sweeps over ``brand.delay_hours``): per strategy the mean and its 95% interval; the
  baseline strategy as a dashed horizontal line with its interval; the critical window (from
  ``critical_window.csv``) on the reputation panel.
- :func:`heatmap`: the mean final reputation over the grid of a two-key sweep, one panel per
  strategy other than the baseline, each cell written out, on one shared colour scale.
- :func:`all_figures`: those of the above that apply.

Colours: the baseline strategy is black, other strategies (or conditions) take the Okabe–Ito
colours in order; past eight, the colours repeat with another line style.

Every ``*_figure`` builder returns matplotlib ``Figure`` objects without writing anything (tests
and users can inspect or adjust them); the public functions write the files and return their paths.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullLocator

from .plots import OKABE_ITO, _new_figure, _style, save, time_unit

DELAY_KEY = "brand.delay_hours"
STRATEGY_KEY = "brand.strategy"
FIGURES_DIR = "figures"
MAX_CONDITIONS = 8       # over time: all conditions up to this many ...
SHOWN_CONDITIONS = 6     # ... else at most this many, spread across the swept values
OVER_TIME_BAND = ("q25", "q75")
HEATMAP_CMAP = "cividis"  # perceptually uniform and readable with colour-vision deficiencies
# colours after the baseline's black; yellow (weak on white) and grey come last
PALETTE = [OKABE_ITO[c] for c in ("orange", "sky_blue", "bluish_green", "vermillion", "blue",
                                  "reddish_purple", "yellow", "grey")]
LINESTYLES = ["-", (0, (5, 1.5, 1, 1.5)), (0, (1, 1))]  # solid, dash-dot, dotted (dashes: actions)
MARKERS = ["o", "s", "^", "D"]
CLOCKS = {
    "detection": "after detection",
    "complaint": "after the first complaint",
    "start": "after the start of the run",
}
# (series in timeseries_quantiles.csv, file stem, title, y label)
OVER_TIME = [
    ("reputation", "over_time_reputation", "Reputation of the brand over time",
     "reputation (mean opinion, -1 to 1)"),
    ("posts_negative_per_h", "over_time_posts", "Negative posts over time",
     "negative posts per hour"),
    ("churned", "over_time_churn", "Churned customers over time",
     "churned customers (count)"),
]
# (metric, panel title, y label; {currency} is filled in)
TIMING_PANELS = [
    ("final_reputation", "Final reputation", "final reputation\n(mean opinion, -1 to 1)"),
    ("revenue_lost", "Revenue lost", "revenue lost ({currency})"),
    ("peak_posts", "Peak of negative posts", "peak negative posts\n(posts per hour)"),
]


# -- numbers ------------------------------------------------------------------------------------

def fmt(value, sig: int = 3, *, sign: bool = False, trailing: bool = True) -> str:
    """``value`` to ``sig`` significant digits, without exponent between 1e-4 and 1e15, with
    thousands separators from 1,000 up, trailing zeros kept (``0.500``) unless ``trailing=False``,
    ``+`` in front of positive numbers when ``sign``; "n/a" for NaN or None."""
    if value is None:
        return "n/a"
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    if v == 0:
        body = "0"
    else:
        digits = sig - 1 - math.floor(math.log10(abs(v)))
        v = round(v, digits)  # may carry over (9.996 -> 10.0): recount the digits
        if v != 0:
            digits = sig - 1 - math.floor(math.log10(abs(v)))
        if abs(v) >= 1e15 or abs(v) < 1e-4:
            body = f"{v:.{sig - 1}e}"
        elif digits <= 0:
            body = f"{round(v):,d}"
        else:
            body = f"{v:,.{digits}f}"
            if not trailing:
                body = body.rstrip("0").rstrip(".")
    if sign and v > 0:
        body = "+" + body
    return body


def hours_text(h) -> str:
    """Hours for prose and annotations: ``13.2``, ``8``, ``96``."""
    return fmt(h, trailing=False)


# -- reading an experiment folder --------------------------------------------------------------

def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def _same(a, b) -> bool:
    """Equal as numbers when both are numbers (6 == 6.0), else as text."""
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def value_text(v) -> str:
    """A swept value as written in labels: ``6`` not ``6.0``."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass
class Experiment:
    """The files of an experiment folder, read once (CSVs when first used)."""

    folder: Path
    meta: dict = field(repr=False)

    @classmethod
    def load(cls, folder: str | Path) -> "Experiment":
        folder = Path(folder)
        path = folder / "experiment.json"
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: no experiment.json (not an experiment folder)")
        return cls(folder, json.loads(path.read_text(encoding="utf-8")))

    # -- experiment.json --
    @property
    def kind(self) -> str:
        return self.meta.get("kind", "compare")

    @property
    def baseline(self) -> str | None:
        return self.meta.get("baseline")

    @property
    def vary(self) -> dict[str, list]:
        return dict(self.meta.get("vary") or {})

    @property
    def keys(self) -> list[str]:
        return list(self.meta.get("keys") or [STRATEGY_KEY, *self.vary])

    @property
    def clock(self) -> str:
        return self.meta.get("clock", "detection")

    @property
    def currency(self) -> str:
        return self.meta.get("currency", "EUR")

    @property
    def replications(self) -> int:
        return int(self.meta.get("replications", 0))

    @property
    def strategies(self) -> list[str]:
        listed = list(self.meta.get("strategies") or [])
        seen = [str(s) for s in self.conditions[STRATEGY_KEY].tolist()] if STRATEGY_KEY in self.conditions else []
        return listed + [s for s in dict.fromkeys(seen) if s not in listed]

    @property
    def horizon_h(self) -> float:
        q = self.quantiles
        if q is not None and len(q):
            return float(q["hours"].max())
        return float(self.meta.get("days", 30)) * 24.0

    @cached_property
    def conditions(self) -> pd.DataFrame:
        """One row per condition: ``condition, label`` and the key columns, in condition order."""
        listed = self.meta.get("conditions")
        if listed:
            rows = [{"condition": int(c["condition"]), "label": str(c.get("label", c["condition"])),
                     **(c.get("changes") or {})} for c in listed]
            return pd.DataFrame(rows).sort_values("condition").reset_index(drop=True)
        for table in (self.aggregate, self.summary):
            if table is not None:
                cols = ["condition", "label"] + [k for k in self.keys if k in table]
                return table[cols].drop_duplicates("condition").sort_values("condition").reset_index(drop=True)
        raise FileNotFoundError(f"{self.folder}: no conditions in experiment.json and no CSVs")

    def label(self, condition: int) -> str:
        row = self.conditions.loc[self.conditions["condition"] == condition, "label"]
        return str(row.iloc[0]) if len(row) else str(condition)

    def strategy_of(self, condition: int) -> str:
        row = self.conditions.loc[self.conditions["condition"] == condition]
        if STRATEGY_KEY in row and len(row):
            return str(row[STRATEGY_KEY].iloc[0])
        return str(self.meta.get("strategies", ["?"])[0])

    # -- CSVs --
    @cached_property
    def summary(self) -> pd.DataFrame | None:
        return _read_csv(self.folder / "summary.csv")

    @cached_property
    def aggregate(self) -> pd.DataFrame | None:
        return _read_csv(self.folder / "aggregate.csv")

    @cached_property
    def quantiles(self) -> pd.DataFrame | None:
        return _read_csv(self.folder / "timeseries_quantiles.csv")

    @cached_property
    def critical(self) -> pd.DataFrame | None:
        return _read_csv(self.folder / "critical_window.csv")

    def stat(self, metric: str, scope: str = "all") -> pd.DataFrame:
        """Rows of aggregate.csv for one metric and scope, in condition order."""
        agg = self.aggregate
        if agg is None:
            return pd.DataFrame()
        rows = agg[(agg["metric"] == metric) & (agg["scope"] == scope)]
        return rows.sort_values("condition").reset_index(drop=True)

    def first_action_h(self) -> dict[int, float]:
        """Per condition, the median of ``first_action_h`` over its runs with an action."""
        s = self.summary
        if s is None or "first_action_h" not in s:
            return {}
        acted = s.dropna(subset=["first_action_h"])
        return {int(c): float(v) for c, v in acted.groupby("condition")["first_action_h"].median().items()}

    def failed_runs(self) -> int:
        s = self.summary
        if s is None or "error" not in s:
            return 0
        return int((s["error"].fillna("").astype(str).str.len() > 0).sum())

    def subtitle(self) -> str:
        reps = f", {self.replications} replications per condition" if self.replications else ""
        return f"scenario {self.meta.get('scenario', '?')}{reps}"


def load_experiment(folder: str | Path) -> Experiment:
    """Read an experiment folder (``experiment.json`` required; CSVs are read when first used)."""
    return Experiment.load(folder)


# -- units and colours ----------------------------------------------------------------------------

def key_label(key: str, exp: Experiment | None = None) -> str:
    """An axis label for a scenario key, with its unit (from the parameter schema)."""
    if key == DELAY_KEY and exp is not None:
        return f"response delay {CLOCKS.get(exp.clock, 'after ' + exp.clock)} (hours)"
    from .parameters import describe

    unit = next((r["unit"] for r in describe() if r["key"] == key), "-")
    unit = {"h": "hours", "currency": exp.currency if exp else "currency", "-": "no unit"}.get(unit, unit)
    return f"{key} ({unit})"


def styles(names: list, baseline=None) -> dict:
    """name -> (colour, line style): the baseline black, the others Okabe–Ito in order."""
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


def chosen_conditions(exp: Experiment) -> tuple[list[int], str]:
    """The conditions drawn over time and, when not all of them, a note saying which.

    Up to ``MAX_CONDITIONS`` conditions: all. More (sweeps): the other swept keys are held at
    their first value; the baseline strategy keeps one condition (its first: with
    ``brand.delay_hours`` swept, its runs do not depend on the delay); the remaining slots of
    ``SHOWN_CONDITIONS`` are shared among the other strategies, each getting conditions spread
    evenly across the main swept key (``brand.delay_hours`` when swept, else the first).
    """
    cond = exp.conditions
    all_ids = cond["condition"].astype(int).tolist()
    if len(all_ids) <= MAX_CONDITIONS or not exp.vary:
        return all_ids, ""
    main = DELAY_KEY if DELAY_KEY in exp.vary else next(iter(exp.vary))
    held = {k: v[0] for k, v in exp.vary.items() if k != main and v}
    pool = cond
    for k, v in held.items():
        if k in pool:
            pool = pool[[_same(x, v) for x in pool[k]]]
    order = [s for s in exp.strategies if s in set(pool[STRATEGY_KEY].astype(str))]
    others = [s for s in order if s != exp.baseline]
    chosen: dict[str, list[int]] = {}
    slots = SHOWN_CONDITIONS
    if exp.baseline in order:
        chosen[exp.baseline] = pool.loc[pool[STRATEGY_KEY].astype(str) == exp.baseline,
                                        "condition"].astype(int).tolist()[:1]
        slots -= 1
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
            unit = " h" if main == DELAY_KEY else ""
            parts.append(f"{s} at {', '.join(value_text(v) for v in picked[main])}{unit}")
        else:
            parts.append(s)
    what = "delays" if main == DELAY_KEY else main
    note = f"{len(ids)} of {len(all_ids)} conditions: " + "; ".join(parts)
    if held:
        note += "\n(" + ", ".join(f"{k} = {value_text(v)}" for k, v in held.items()) + ")"
    note = note.replace(": ", f" ({what} spread out): ", 1) if len(parts) else note
    return ids, note


def _sort_key(v):
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def over_time_figures(exp: Experiment) -> dict[str, Figure]:
    """stem -> Figure for the three over-time figures (empty without timeseries_quantiles.csv)."""
    q = exp.quantiles
    if q is None or not len(q):
        return {}
    ids, note = chosen_conditions(exp)
    ids = [c for c in ids if c in set(q["condition"].astype(int))]
    colour = styles(ids, next((c for c in ids if exp.strategy_of(c) == exp.baseline), None))
    first_action = exp.first_action_h()
    scale, xlabel = time_unit(exp.horizon_h)
    out = {}
    for series, stem, title, ylabel in OVER_TIME:
        rows = q[q["series"] == series]
        if not len(rows):
            continue
        with _style():
            fig = _new_figure((7.2, 3.9))
            ax = fig.add_subplot()
            for c in ids:
                d = rows[rows["condition"].astype(int) == c].sort_values("hours")
                if not len(d):
                    continue
                x = d["hours"].to_numpy() / scale
                col, ls = colour[c]
                ax.fill_between(x, d[OVER_TIME_BAND[0]], d[OVER_TIME_BAND[1]], color=col,
                                alpha=0.16, linewidth=0, zorder=2)
                ax.plot(x, d["q50"], color=col, linestyle=ls, label=exp.label(c), zorder=3)
                if c in first_action:
                    ax.axvline(first_action[c] / scale, color=col, linestyle="--", linewidth=1.1,
                               zorder=2.5)
            ax.set_xlim(0, exp.horizon_h / scale)
            ax.set(title=f"{title}\n{exp.subtitle()}", xlabel=xlabel, ylabel=ylabel)
            if series == "reputation":
                ax.axhline(float(rows.sort_values("hours")["q50"].iloc[0]), color="0.45",
                           linestyle=":", linewidth=1.0, zorder=1)
            handles, _ = ax.get_legend_handles_labels()
            runs = f"{exp.replications} runs" if exp.replications else "runs"
            handles += [
                Line2D([], [], color="0.3", label=f"line: median of {runs}"),
                Patch(color="0.3", alpha=0.16, linewidth=0, label=f"band: 25–75% of {runs}"),
            ]
            if any(c in first_action for c in ids):
                handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=1.1,
                                      label="dashed: median time of the\nbrand's first action"))
            if series == "reputation":
                handles.append(Line2D([], [], color="0.45", linestyle=":", linewidth=1.0,
                                      label="starting reputation"))
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                      frameon=False, title=note or None, alignment="left")
        out[stem] = fig
    return out


def over_time(folder: str | Path) -> list[Path]:
    """Reputation, negative posts per hour and churned customers over time, per condition:
    ``figures/over_time_{reputation,posts,churn}.{png,pdf}``. Returns the paths written."""
    exp = load_experiment(folder)
    return _save_all(exp, over_time_figures(exp))


def _save_all(exp: Experiment, figures: dict[str, Figure]) -> list[Path]:
    paths = []
    for stem, fig in figures.items():
        paths += save(fig, exp.folder / FIGURES_DIR / stem)
    return paths


# -- response timing ------------------------------------------------------------------------------

def _delay_axis(ax, delays: np.ndarray) -> bool:
    """Symmetric-log x axis when the delays span more than a factor 12 (linear from 0 to the
    smallest positive delay), with a tick at each swept delay when there are at most ten.
    Returns whether the axis is logarithmic."""
    positive = delays[delays > 0]
    log = len(positive) > 1 and positive.max() / positive.min() > 12
    if log:
        ax.set_xscale("symlog", linthresh=float(positive.min()), linscale=0.6)
        ax.set_xlim(0 if delays.min() >= 0 else None, positive.max() * 1.25)
    if len(delays) <= 10:
        ax.set_xticks(delays)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: hours_text(v)))
        ax.xaxis.set_minor_locator(NullLocator())
    return log


def critical_text(row, unit: str = "h") -> str:
    """The annotation of one row of critical_window.csv."""
    status = str(row.get("status", ""))
    if status == "found":
        ci = ""
        lo, hi = row.get("ci_low"), row.get("ci_high")
        if pd.notna(lo) or pd.notna(hi):
            ci = f" (CI {hours_text(lo) if pd.notna(lo) else '?'}–{hours_text(hi) if pd.notna(hi) else '?'} {unit})"
        return f"critical window ≈ {hours_text(row['critical_delay_h'])} {unit}{ci}"
    if status == "beyond_range":
        return "critical window beyond the\nswept delays (gain stays above half)"
    if status == "no_gain":
        return "no critical window:\nan immediate response gains nothing"
    return f"critical window: {status}"


def timing_figure(exp: Experiment) -> Figure | None:
    """The response-timing figure, or None when ``brand.delay_hours`` is not swept."""
    if DELAY_KEY not in exp.vary or exp.aggregate is None:
        return None
    others = [k for k in exp.vary if k != DELAY_KEY]
    baseline = exp.baseline
    # one line per (strategy, values of the other swept keys)
    base = exp.stat(TIMING_PANELS[0][0])
    groups = base.groupby([STRATEGY_KEY, *others], sort=False).size().index.tolist()
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
        return col, ls, MARKERS[max(non_base.index(strategy), 0) // len(PALETTE) % len(MARKERS)] \
            if strategy in non_base else "o"

    def combo_text(combo):
        return ", ".join(f"{k}={value_text(v)}" for k, v in zip(others, combo))

    delays = np.array(sorted({float(v) for v in exp.conditions[DELAY_KEY]}))
    with _style():
        fig = _new_figure((10.0, 3.9))
        axes = fig.subplots(1, 3)
        log = False
        for ax, (metric, title, ylabel) in zip(axes, TIMING_PANELS):
            stat = exp.stat(metric)
            if not len(stat):
                ax.set_axis_off()
                continue
            for strategy in strategies:
                for combo in combos:
                    sel = stat[stat[STRATEGY_KEY].astype(str) == strategy]
                    for k, v in zip(others, combo):
                        sel = sel[[_same(x, v) for x in sel[k]]]
                    if not len(sel):
                        continue
                    sel = sel.assign(_d=sel[DELAY_KEY].astype(float)).sort_values("_d")
                    col, ls, marker = look(strategy, combo)
                    name = strategy + (f", {combo_text(combo)}" if by_combo else "")
                    if strategy == baseline:  # flat: its runs do not depend on the delay
                        mean, lo, hi = (float(sel[c].mean()) for c in ("mean", "ci_low", "ci_high"))
                        ax.axhspan(lo, hi, color=col if by_combo else "0.55", alpha=0.14,
                                   linewidth=0, zorder=1)
                        ax.axhline(mean, color=col, linestyle="--", linewidth=1.4, zorder=2,
                                   label=f"{name} (baseline): mean, 95% CI")
                        continue
                    x = sel["_d"].to_numpy()
                    ax.fill_between(x, sel["ci_low"], sel["ci_high"], color=col, alpha=0.2,
                                    linewidth=0, zorder=2)
                    ax.plot(x, sel["mean"], color=col, linestyle=ls, marker=marker, markersize=4,
                            zorder=3, label=f"{name}: mean, 95% CI")
            log = _delay_axis(ax, delays)
            ax.set(title=title, ylabel=ylabel.format(currency=exp.currency), xlabel="")
            if metric == "revenue_lost":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            _mark_critical(exp, ax, metric, strat_style, by_combo)
        xlabel = key_label(DELAY_KEY, exp) + (" — log scale past the first delay" if log else "")
        fig.supxlabel(xlabel, fontsize=10)
        fig.suptitle(f"Damage against the timing of the response\n{exp.subtitle()}", fontsize=11)
        handles, labels = [], []
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3),
                   frameon=False)
    return fig


def _mark_critical(exp: Experiment, ax, metric: str, strat_style: dict, by_combo: bool) -> None:
    """The critical window of each strategy on the panel of its metric: a vertical line at the
    critical delay, its CI shaded, and the annotation in the top right corner."""
    crit = exp.critical
    if crit is None or not len(crit) or "metric" not in crit:
        return
    rows = crit[crit["metric"] == metric]
    if not len(rows):
        return
    texts = []
    several = rows["strategy"].nunique() > 1
    for _, row in rows.iterrows():
        s = str(row["strategy"])
        col = "0.15" if by_combo or s not in strat_style else strat_style[s][0]
        if row.get("status") == "found" and pd.notna(row.get("critical_delay_h")):
            lo, hi = row.get("ci_low"), row.get("ci_high")
            if pd.notna(lo) or pd.notna(hi):
                xmin, xmax = ax.get_xlim()
                ax.axvspan(lo if pd.notna(lo) else xmin, hi if pd.notna(hi) else xmax, color=col,
                           alpha=0.12, linewidth=0, zorder=0.5,
                           label="critical window: 95% CI")
            ax.axvline(float(row["critical_delay_h"]), color=col, linestyle=(0, (4, 2)),
                       linewidth=1.3, zorder=2.5, label="critical window (remedy wins back\n"
                       "less than half of an immediate one)")
        texts.append((f"{s}: " if several else "") + critical_text(row), col)
    y = 0.97
    for text, col in texts:
        t = ax.text(0.97, y, text, transform=ax.transAxes, ha="right", va="top", fontsize=7.5,
                    color=col if col != "0.15" else "black", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.7", lw=0.5, alpha=0.9))
        t.set_gid("critical_window")
        y -= 0.09 * (text.count("\n") + 1) + 0.03


def timing(folder: str | Path) -> list[Path]:
    """``figures/response_timing.{png,pdf}`` for a sweep over ``brand.delay_hours`` ([] else)."""
    exp = load_experiment(folder)
    fig = timing_figure(exp)
    return [] if fig is None else _save_all(exp, {"response_timing": fig})


# -- heatmap ------------------------------------------------------------------------------------

def heatmap_figure(exp: Experiment, metric: str = "final_reputation") -> Figure | None:
    """Mean ``metric`` over the grid of a two-key sweep, one panel per non-baseline strategy;
    None unless exactly two keys are swept."""
    vary = exp.vary
    if exp.kind != "sweep" or len(vary) != 2 or exp.aggregate is None:
        return None
    kx, ky = list(vary)
    if ky == DELAY_KEY:  # the delay reads best along x
        kx, ky = ky, kx
    xs, ys = list(vary[kx]), list(vary[ky])
    stat = exp.stat(metric)
    strategies = [s for s in exp.strategies if s != exp.baseline
                  and (stat[STRATEGY_KEY].astype(str) == s).any()]
    if not strategies:
        return None
    grids = {}
    for s in strategies:
        grid = np.full((len(ys), len(xs)), np.nan)
        for _, row in stat[stat[STRATEGY_KEY].astype(str) == s].iterrows():
            i = next((i for i, v in enumerate(ys) if _same(row[ky], v)), None)
            j = next((j for j, v in enumerate(xs) if _same(row[kx], v)), None)
            if i is not None and j is not None:
                grid[i, j] = row["mean"]
        grids[s] = grid
    values = np.concatenate([g.ravel() for g in grids.values()])
    values = values[np.isfinite(values)]
    norm = Normalize(*(values.min(), values.max()) if len(values) else (0, 1))
    base_note = ""
    base = stat[stat[STRATEGY_KEY].astype(str) == str(exp.baseline)] if exp.baseline else stat.iloc[:0]
    if len(base):
        base_note = f"; baseline {exp.baseline}: {fmt(base['mean'].min())} to {fmt(base['mean'].max())}"
    with _style():
        n = len(strategies)
        fig = _new_figure((min(3.3 * n + 1.2, 11.0), 3.6 + 0.12 * len(ys)))
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
            for i in range(len(ys)):
                for j in range(len(xs)):
                    v = grid[i, j]
                    if not np.isfinite(v):
                        ax.text(j, i, "n/a", ha="center", va="center", fontsize=8, color="0.4")
                        continue
                    r, g, b, _ = cmap(norm(v))
                    dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
                    t = ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8,
                                color="white" if dark else "black")
                    t.set_gid(f"cell:{i}:{j}")
            ax.set(title=s, xlabel=key_label(kx, exp))
        axes[0].set_ylabel(key_label(ky, exp))
        name = {"final_reputation": "final reputation (mean opinion, -1 to 1)"}.get(metric, metric)
        cbar = fig.colorbar(im, ax=list(axes), shrink=0.9, pad=0.02)
        cbar.set_label(f"mean {name}")
        fig.suptitle(f"Mean {name.split(' (')[0]} over the swept grid\n{exp.subtitle()}{base_note}",
                     fontsize=11)
    return fig


def heatmap(folder: str | Path) -> list[Path]:
    """``figures/heatmap_final_reputation.{png,pdf}`` for a sweep over exactly two keys ([] else)."""
    exp = load_experiment(folder)
    fig = heatmap_figure(exp)
    return [] if fig is None else _save_all(exp, {"heatmap_final_reputation": fig})


# -- everything ----------------------------------------------------------------------------------

def all_figures(folder: str | Path) -> list[Path]:
    """Every figure that applies to this experiment, written to ``folder/figures/``."""
    return [*over_time(folder), *timing(folder), *heatmap(folder)]
