"""The explorer's figures: the run figures of `simulation.plots`, as PNG for the page.

Reputation, posts and stances are :func:`simulation.plots.reputation`, :func:`~simulation.plots.posts`
and :func:`~simulation.plots.stances` of the batch's series, exactly as `run.py run` draws them
(median and 5–95% band over the replications, brand actions and amplifier stories marked). The
neighbourhood is drawn with the panels of :func:`simulation.plots.neighbourhood`, at the step the
page's slider picks. Side by side, the paired difference of two strategies is a table of
:func:`simulation.contrasts.contrasts` (the rows of `run.py compare`'s contrasts.csv) and a figure of
the per-replication difference in reputation over time.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from .. import plots
from ..metrics import METRICS, WINDOW_METRIC
from ..strategies import PRESETS, describe_strategy
from ..text import fmt

PAGE_DPI = 110  # the page shows figures at about their size in inches times this
RUN_FIGURES = (("reputation", plots.reputation), ("posts", plots.posts), ("stances", plots.stances))
# the metrics of the paired-difference table (the critical window's damage first)
DIFFERENCE_METRICS = (WINDOW_METRIC, "final_reputation", "peak_posts", "reach", "churned", "revenue_lost")


def png(fig) -> bytes:
    """A figure as PNG bytes, in the run figures' style."""
    buffer = io.BytesIO()
    with plots._style():
        fig.savefig(buffer, format="png", dpi=PAGE_DPI, metadata={"Software": None})
    return buffer.getvalue()


def series(results) -> pd.DataFrame:
    """The batch's series of one strategy, one row per replication and step, as `run.py run`'s timeseries."""
    frames = []
    for rep, _ in sorted(results, key=lambda r: r[0].replication):
        ts = rep.frame()
        ts.insert(0, "replication", rep.replication)
        frames.append(ts)
    return pd.concat(frames, ignore_index=True)


def title(sc, strategy: str) -> str:
    """A run figure's title as `run.py run` writes it: scenario, strategy and, unless a preset, its schedule."""
    words = "" if strategy in PRESETS else f"\n{describe_strategy(strategy, sc)}"
    return f"{sc.name}: {strategy}{words}"


def run_pngs(ts: pd.DataFrame, sc, strategy: str) -> dict[str, bytes]:
    """Reputation, posts and stances of a batch's series, as PNG bytes."""
    return {name: png(draw(ts, sc.simulation.dt_hours, None, title(sc, strategy))) for name, draw in RUN_FIGURES}


def neighbourhood_png(nb, step: int, heading: str = "") -> bytes:
    """The complainant's neighbourhood coloured by stance at one row of the series (a panel of the run figure)."""
    step = int(min(max(step, 0), len(nb.stances) - 1))
    hours = step * nb.dt
    scale = plots.time_unit(float((len(nb.stances) - 1) * nb.dt))[0]
    with plots._style():
        fig = plots._new_figure((5.2, 4.9))
        ax = fig.add_subplot()
        plots._draw_panel(ax, nb.xy, nb.edges, nb.stances[step], nb.is_centre, f"At {plots._when(hours, scale)}")
        who = "complainants" if nb.is_centre.sum() > 1 else "complainant"
        fig.suptitle(f"{heading}\nNeighbourhood of the {who}" if heading else f"Neighbourhood of the {who}")
        handles = [
            Line2D([], [], linestyle="", marker="o", markersize=6, color=colour, label=name)
            for _, _, name, colour in plots.STANCE_STYLES
        ]
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=3,
            frameon=False,
            title=f"{len(nb.nodes)} consumers nearest the {who} (ringed); grey lines: links",
        )
        return png(fig)


def difference_frame(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Replication by replication, step by step, B minus A of the reputations (paired on the same seeds)."""
    keys = ["replication", "step"]
    columns = ["reputation", "reputation_customers"]
    both = a[keys + ["hours", *columns]].merge(b[keys + columns], on=keys, suffixes=("_a", "_b"), how="inner")
    out = both[keys + ["hours"]].copy()
    for c in columns:
        out[c] = both[f"{c}_b"] - both[f"{c}_a"]
    out["brand_action"] = ""
    return out


def difference_png(diff: pd.DataFrame, dt_hours: float, strategy_a: str, strategy_b: str, name: str) -> bytes:
    """The paired difference in reputation over time (B - A): median and 5–95% band over the replications."""
    series_ = [
        ("reputation", "all consumers", plots.OKABE_ITO["black"]),
        ("reputation_customers", "initial customers (churned included)", plots.OKABE_ITO["orange"]),
    ]

    def zero(ax, ts):
        ax.axhline(0, color="0.4", linestyle=":", linewidth=1.2, zorder=1)
        return [Line2D([], [], color="0.4", linestyle=":", linewidth=1.2, label="no difference")]

    fig = plots._series_figure(
        diff,
        dt_hours,
        None,
        f"{name}: {strategy_b} minus {strategy_a}",
        "Paired difference in reputation (same seeds)",
        f"difference in mean opinion\n({strategy_b} - {strategy_a})",
        series_,
        extra=zero,
    )
    return png(fig)


def difference_table(summary: pd.DataFrame, plan, currency: str = "currency") -> pd.DataFrame:
    """The paired differences of the main metrics, from `contrasts` (as `run.py compare`'s contrasts.csv)."""
    from ..contrasts import contrasts

    rows = contrasts(summary, plan)
    rows = rows[rows["metric"].isin(DIFFERENCE_METRICS)].set_index("metric").loc[list(DIFFERENCE_METRICS)]
    b, a = rows["strategy_a"].iloc[0], rows["strategy_b"].iloc[0]
    scale = np.array([100.0 if METRICS[m].percent else 1.0 for m in rows.index])  # shares shown as %
    rows = (
        rows[["mean_a", "mean_b", "diff_mean", "diff_low", "diff_high"]]
        .mul(scale, axis=0)
        .join(rows[["p_a_better", "better"]])
    )
    out = pd.DataFrame(
        {
            "metric": [METRICS[m].heading(currency) for m in rows.index],
            f"mean, {a}": [fmt(v) for v in rows["mean_b"]],
            f"mean, {b}": [fmt(v) for v in rows["mean_a"]],
            f"{b} - {a} (95% CI)": [
                f"{fmt(d, sign=True)} ({fmt(lo, sign=True)} to {fmt(hi, sign=True)})"
                for d, lo, hi in zip(rows["diff_mean"], rows["diff_low"], rows["diff_high"])
            ],
            f"P({b} better)": [fmt(p, 2) for p in rows["p_a_better"]],
            "better": rows["better"].tolist(),
        }
    )
    return out


def summary_of(results_by_strategy: dict[str, list], plan) -> pd.DataFrame:
    """The per-run metrics of a side-by-side batch as `run.py compare`'s summary: condition, replication, metrics."""
    index = {c["brand.strategy"]: i for i, c in enumerate(plan.conditions)}
    rows = [
        {"condition": index[name], "replication": rep.replication, **rep.metrics}
        for name, results in results_by_strategy.items()
        for rep, _ in results
    ]
    return pd.DataFrame(rows)


def stance_counts(nb, step: int) -> dict[str, int]:
    """How many of the drawn consumers are in each stance at a step (said under the figure)."""
    counts = np.bincount(nb.stances[int(step)], minlength=len(plots.STANCE_STYLES))
    return {name: int(counts[code]) for code, _, name, _ in plots.STANCE_STYLES}
