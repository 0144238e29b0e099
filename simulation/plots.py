"""Publication-ready figures of a run: stances, posts, reputation and the complainant's neighbourhood.

Researchers put these figures straight into reports, so every figure has a title, axes labelled
with their units, a legend, and is written as PNG (200 dpi, for slides and drafts) and, when asked
(`formats`; the command line's `--pdf`), as PDF (vector, fonts embedded as TrueType so journals accept
them and the text stays editable). A PDF costs about as much as drawing the figure, hence on request.

Conventions shared by all figures:

- Colours come from the Okabe–Ito palette (safe for the common forms of colour blindness) and each
  stance keeps one colour everywhere: unaware grey, aware sky blue, angry vermillion, calmed
  bluish green, advocate blue. Negative posts take the angry colour and positive posts the
  advocate colour, since those are the consumers who write them.
- Time runs from the start of the run (the first complaint) in hours, or in days when the horizon
  is longer than 72 hours.
- With several replications each series is drawn as its median over replications with a shaded
  band from the 5th to the 95th percentile; with one replication there is just the line.
- The brand's actions are vertical lines with their names written beside them: dashed for brand
  actions, dotted for amplifier stories ("story: press"), dash-dotted for backfires
  ("backfire: reviews exposed"). Action times differ between replications when they follow
  detection: all replications' distinct (time, action) are marked when there are at most six,
  else those of the first replication that has any; the legend says which.
- The neighbourhood figure draws the complainant's few-hop neighbourhood (capped, so its layout
  takes seconds) at the peak of negative posts and at the end. A well-mixed population has no
  graph: :func:`neighbourhood` then draws nothing and returns ``[]``.

Figures are built with the object-oriented API on ``Figure`` objects with their own Agg canvas, so
importing this module neither selects nor changes the pyplot backend and no window is ever opened.
Every plotting function takes ``stem``: with a path it writes ``stem.png`` (and ``stem.pdf`` when
asked) and returns their paths; with ``stem=None`` it returns the ``Figure`` itself, so tests (and users)
can inspect labels and artists, or adjust the figure before calling :func:`save` (which writes
the formats asked: PNG, PDF or both, from one layout pass).
"""

from __future__ import annotations

import textwrap
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .stance import Stance

# Okabe & Ito (2008), "Color Universal Design"; grey for the unaware (no colour: not involved).
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
# (stance code, column in the time series, legend name, colour): one fixed colour per stance.
STANCE_STYLES = [
    (Stance.UNAWARE, "unaware", "unaware", OKABE_ITO["grey"]),
    (Stance.AWARE, "aware", "aware (passive)", OKABE_ITO["sky_blue"]),
    (Stance.ANGRY, "angry", "angry (complaining)", OKABE_ITO["vermillion"]),
    (Stance.CALMED, "calmed", "calmed (stopped posting)", OKABE_ITO["bluish_green"]),
    (Stance.ADVOCATE, "advocate", "advocate (defending)", OKABE_ITO["blue"]),
]
STANCE_COLOURS = {code: colour for code, _, _, colour in STANCE_STYLES}

DPI = 200
BAND = (0.05, 0.95)  # quantiles of the shaded band over replications
DAYS_AFTER_H = 72.0  # horizons longer than this are shown in days
MAX_ACTION_MARKS = 6  # draw every replication's distinct actions when there are this few
TIME_SERIES_SIZE = (7.2, 3.8)  # inches: a full text width in most journals
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "savefig.dpi": DPI,
}
# line style per kind of event in `brand_action`
ACTION_STYLES = {
    "action": ("--", "brand action"),
    "story": (":", "amplifier story"),
    "backfire": ("-.", "backfire"),
}


@contextmanager
def _style():
    with mpl.rc_context(STYLE):
        yield


FORMATS = ("png",)  # what `save` writes unless told otherwise; ("png", "pdf") adds the vector figure


def save(fig: Figure, stem: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Write ``stem.png`` (200 dpi) or the `formats` asked (``stem.pdf``), close the figure, return the paths.

    The figure is laid out once (constrained layout solves for every draw otherwise) and each
    format is drawn with that layout. PDFs are byte-reproducible (no creation date).
    """
    stem = Path(stem)
    formats = FORMATS if formats is None else formats
    unknown = [f for f in formats if f not in ("png", "pdf")]
    if unknown or not formats:
        raise ValueError(f"figure formats must be among png, pdf (got {', '.join(formats) or 'none'})")
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]
    with _style():
        engine = fig.get_layout_engine()
        fig.draw_without_rendering()  # the one layout pass
        fig.set_layout_engine("none")
        try:
            for path, fmt in zip(paths, formats):
                if fmt == "png":
                    fig.savefig(path, dpi=DPI, metadata={"Software": None})
                else:
                    fig.savefig(path, metadata={"CreationDate": None})
        finally:
            fig.set_layout_engine(engine)
    if fig.canvas.manager is not None:  # only figures made through pyplot are registered there
        import matplotlib.pyplot as plt

        plt.close(fig)
    return paths


def _new_figure(size: tuple[float, float]) -> Figure:
    """A figure on its own Agg canvas (not registered with pyplot: no window, no global state)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _output(fig: Figure, stem: Path | None, formats: tuple[str, ...] | None = None) -> Figure | list[Path]:
    return fig if stem is None else save(fig, stem, formats)


# -- time axis and brand actions ---------------------------------------------------------------


def _tidy(ts: pd.DataFrame, dt_hours: float) -> pd.DataFrame:
    """The series ready to plot.

    The series with a fresh index, ``hours`` and ``replication`` columns (a single model's ``timeseries()`` has no
    ``replication``: it is replication 0).
    """
    ts = ts.reset_index(drop=True)
    if "hours" not in ts:
        ts = ts.assign(hours=ts["step"] * dt_hours)
    return ts if "replication" in ts else ts.assign(replication=0)


def time_unit(horizon_h: float) -> tuple[float, str]:
    """(hours per unit, axis label) for a run of this horizon: days past 72 h, else hours."""
    if horizon_h > DAYS_AFTER_H:
        return 24.0, "time since the complaint (days)"
    return 1.0, "time since the complaint (hours)"


def _event(label: str) -> tuple[str, str]:
    """(kind, readable name) of one label in ``brand_action``."""
    if label.startswith("story:"):
        return "story", "story: " + label.split(":", 1)[1].strip().replace("_", " ")
    if label == "reviews_exposed":
        return "backfire", "backfire: reviews exposed"
    return "action", label.replace("_", " ")


def action_events(ts: pd.DataFrame, dt_hours: float) -> tuple[list[tuple[float, str, str]], str]:
    """The events to mark, as (hours, kind, name), and which replications they come from.

    Every replication's distinct (time, label) when there are at most ``MAX_ACTION_MARKS`` of them,
    else those of the first replication that has any (times differ between replications when
    they follow detection, which depends on the buzz).
    """
    ts = _tidy(ts, dt_hours)
    rows = ts.loc[ts["brand_action"].fillna("") != "", ["replication", "hours", "brand_action"]]
    rows = rows.assign(label=rows["brand_action"].str.split("+")).explode("label")
    rows = rows[rows["label"].str.len() > 0]
    n_reps = ts["replication"].nunique()
    distinct = rows.drop_duplicates(["hours", "label"])
    if len(distinct) > MAX_ACTION_MARKS:
        first = rows["replication"].min()
        distinct = rows[rows["replication"] == first].drop_duplicates(["hours", "label"])
        source = f"replication {first}"
    else:
        source = "any replication" if n_reps > 1 else ""
    events = [(float(h), *_event(lab)) for h, lab in zip(distinct["hours"], distinct["label"])]
    return sorted(events), source


def action_legend(ts: pd.DataFrame, dt_hours: float) -> list[Line2D]:
    """Legend handles explaining the line styles of the events that :func:`mark_actions` draws."""
    events, source = action_events(ts, dt_hours)
    suffix = f" ({source})" if source else ""
    kinds = [k for k in ACTION_STYLES if any(e[1] == k for e in events)]
    return [
        Line2D([], [], color="0.15", linestyle=ACTION_STYLES[k][0], linewidth=1.0, label=ACTION_STYLES[k][1] + suffix)
        for k in kinds
    ]


def mark_actions(ax, ts: pd.DataFrame, dt_hours: float, scale: float | None = None) -> list:
    """Mark the brand's actions on a time axis: a vertical line each, its name written beside it.

    ``scale`` is hours per x unit (default: as chosen by :func:`time_unit` for this series).
    Names are rotated, at the top of the axes, right of their line, or left of it, or lower down
    when that would overlap a name already written (measured after a layout pass, so build the
    legend first). The y axis is then extended, if needed, so that the names sit above the data.
    Events at the same time share one name ("remedy + story: press"); the same name at nearby
    times (several replications) is written once. Returns the name texts;
    :func:`action_legend` gives the matching legend handles.
    """
    if scale is None:
        scale = time_unit(float(_tidy(ts, dt_hours)["hours"].max()))[0]
    events, _ = action_events(ts, dt_hours)
    by_time: dict[float, list[str]] = {}
    marks = []
    for h, kind, name in events:
        marks.append(ax.axvline(h / scale, color="0.15", linestyle=ACTION_STYLES[kind][0], linewidth=1.0, zorder=1.5))
        by_time.setdefault(h / scale, []).append(name)
    if not by_time:
        return []
    fig = ax.get_figure()
    fig.draw_without_rendering()  # lay out first: names are placed in real display units
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure: give it an Agg canvas
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    texts, boxes = [], []
    line_x = ax.transData.transform(np.column_stack([list(by_time), np.zeros(len(by_time))]))[:, 0]
    for x, label in _name_groups(ax, by_time):
        text, box = _place_name(ax, x, label, boxes, renderer, line_x)
        texts.append(text)
        boxes.append(box)
    _headroom(ax, boxes, marks)
    return texts


def _name_groups(ax, by_time: dict[float, list[str]]) -> list[tuple[float, str]]:
    """The action names to write, once per cluster of lines.

    (x, label) to write: a name repeated within a third of an inch (the same action at nearby times in different
    replications) is written once, beside the last of its lines, with their count ("legal ×5").
    """
    near = 0.35 * ax.get_figure().dpi * np.diff(ax.get_xlim())[0] / ax.bbox.width
    groups: list[list] = []
    latest: dict[str, list] = {}  # label -> its latest group [x, label, lines]
    for x, names in sorted(by_time.items()):
        label = " + ".join(dict.fromkeys(names))
        if label in latest and x - latest[label][0] < near:
            latest[label][0] = x
            latest[label][2] += 1
        else:
            latest[label] = [x, label, 1]
            groups.append(latest[label])
    return [(x, label if n == 1 else f"{label} ×{n}") for x, label, n in groups]


def _place_name(ax, x, label, boxes, renderer, line_x=()):
    """Write ``label`` beside the line at ``x``: right, else left, else below what it overlaps.

    A side where another event's line (display x in ``line_x``) would cross the name is taken only
    when neither side is clear of lines.
    """
    own = ax.transData.transform((x, 0))[0]
    others = [v for v in line_x if abs(v - own) > 0.5]

    def crossed(box) -> bool:
        return any(box.x0 <= v <= box.x1 for v in others)

    y, text = 0.985, None
    for _ in range(len(boxes) + 1):
        hits, fallback = [], None
        for side in (1, -1):
            if text is not None:
                text.remove()
            text, box = _name_at(ax, x, label, side, y, renderer)
            hit = [b for b in boxes if b.overlaps(box)]
            if not hit and not crossed(box):
                return text, box
            if not hit and fallback is None:
                fallback = (side, y)
            hits += hit
        if fallback is not None:  # clear of names on one side, but a line crosses it either way
            text.remove()
            return _name_at(ax, x, label, *fallback, renderer)
        lowest = min(b.y0 for b in hits)  # slide below everything the two tries overlapped
        y = float(ax.transAxes.inverted().transform((0, lowest - 2))[1])
    return text, box


def _name_at(ax, x, label, side, y, renderer):
    """An event's name, rotated, beside its line (right: side 1, left: -1), its top at axes height y."""
    text = ax.annotate(
        label,
        xy=(x, y),
        xycoords=ax.get_xaxis_transform(),
        xytext=(2.5 * side, 0),
        textcoords="offset points",
        rotation=90,
        ha="left" if side > 0 else "right",
        va="top",
        fontsize=8,
        color="0.15",
        annotation_clip=False,
    )
    return text, text.get_window_extent(renderer).padded(1.0)


def _headroom(ax, boxes, marks) -> None:
    """Make room above the data for the action names.

    Raise the top of the y axis just enough that no data (lines, bands) drawn within a name's horizontal reach,
    widened by 4% of the axes, passes above the bottom of that name.
    """
    lo, hi = ax.get_ylim()
    limit = hi + 0.25 * (hi - lo)  # never more than a quarter more room: names may then cross data
    to_axes = ax.transAxes.inverted()
    points = [a.get_transform().transform(a.get_xydata()) for a in ax.lines if a not in marks]
    points += [a.get_transform().transform(p.vertices) for a in ax.collections for p in a.get_paths()]
    points = [p for p in points if len(p)]
    if not points:
        return
    points = to_axes.transform(np.concatenate(points))
    for box in boxes:
        (x0, y0), (x1, _) = to_axes.transform([[box.x0, box.y0], [box.x1, box.y1]])
        under = points[(points[:, 0] >= x0 - 0.04) & (points[:, 0] <= x1 + 0.04), 1]
        room = max(y0 - 0.02, 0.5)  # never squeeze the data into less than half the height
        if under.size and under.max() > room:
            top = lo + under.max() * (hi - lo)  # the highest data value under the name
            hi = max(hi, lo + (top - lo) / room)
    ax.set_ylim(lo, min(hi, limit))


# -- the three time-series figures -------------------------------------------------------------


def _bands(ax, ts: pd.DataFrame, x: np.ndarray, series, factor: float) -> list:
    """Median line per series over replications, plus a 5–95% band when there are several.

    ``series`` holds (column, legend name, colour); values are multiplied by ``factor``.
    Returns extra legend handles that explain the band (none for a single replication).
    """
    n_reps = ts["replication"].nunique()
    for column, name, colour in series:
        by_step = (ts[column] * factor).groupby(ts["step"])
        ax.plot(x, by_step.median().to_numpy(), color=colour, label=name, zorder=3)
        if n_reps > 1:
            ax.fill_between(
                x,
                by_step.quantile(BAND[0]).to_numpy(),
                by_step.quantile(BAND[1]).to_numpy(),
                color=colour,
                alpha=0.22,
                linewidth=0,
                zorder=2,
            )
    if n_reps == 1:
        return []
    return [
        Line2D([], [], color="0.3", label=f"line: median of {n_reps} replications"),
        Patch(
            color="0.3", alpha=0.22, linewidth=0, label=f"band: {BAND[0]:.0%}–{BAND[1]:.0%} of {n_reps} replications"
        ),
    ]


def _wrapped(title: str, width: int = 52) -> str:
    """A run's title, each line wrapped at `width` characters (a strategy's schedule in words is long)."""
    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False) for line in title.split("\n"))


def _series_figure(ts, dt_hours, stem, title, what, ylabel, series, factor=1.0, extra=None, log=False, below=None):
    """One time-series figure: bands, action marks, labels with units, legend outside the axes.

    ``extra(ax, ts)`` may draw more (reference lines) and return legend handles. ``log``: a
    symmetric-log y axis (linear below 1), where small counts stay readable beside large ones.
    ``below`` = (series, ylabel): a second panel under the first, on its own scale, for series that
    would squash the first panel's (the axes of the figure: the main one first).
    """
    ts = _tidy(ts, dt_hours)
    with _style():
        fig = _new_figure((TIME_SERIES_SIZE[0], TIME_SERIES_SIZE[1] * (1.45 if below else 1.0)))
        if below:
            ax, low = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        else:
            ax, low = fig.add_subplot(), None
        scale, xlabel = time_unit(float(ts["hours"].max()))
        x = ts.groupby("step")["hours"].first().to_numpy() / scale
        ax.set_xlim(0, x.max() if x.max() > 0 else 1)
        handles = _bands(ax, ts, x, series, factor)
        if low is not None:
            _bands(low, ts, x, below[0], factor)
            low.set_ylabel(below[1])
        if log:
            ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
            ax.set_ylim(bottom=0)
        handles += action_legend(ts, dt_hours)
        handles += extra(ax, ts) if extra else []
        ax.set(title=f"{_wrapped(title)}\n{what}" if title else what, ylabel=ylabel)
        (ax if low is None else low).set_xlabel(xlabel)  # on the lowest panel
        lines, _ = ax.get_legend_handles_labels()
        lines += low.get_legend_handles_labels()[0] if low is not None else []
        ax.legend(handles=lines + handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False)
        if low is not None:
            for h, kind, _ in action_events(ts, dt_hours)[0]:  # the same events, unnamed, on the lower panel
                low.axvline(h / scale, color="0.15", linestyle=ACTION_STYLES[kind][0], linewidth=1.0, zorder=1.5)
        mark_actions(ax, ts, dt_hours, scale)
    return _output(fig, stem)


def stances(ts: pd.DataFrame, dt_hours: float, stem: Path | None, title: str = ""):
    """Consumers in each stance over time."""
    series = [(column, name, colour) for _, column, name, colour in STANCE_STYLES]
    return _series_figure(
        ts, dt_hours, stem, title, "Consumers by stance", "consumers (count, log scale)", series, log=True
    )


def posts(ts: pd.DataFrame, dt_hours: float, stem: Path | None, title: str = ""):
    """Negative and positive posts per hour over time (brand answers passed on included)."""
    series = [
        ("posts_negative", "negative posts", STANCE_COLOURS[Stance.ANGRY]),
        ("posts_positive", "positive posts", STANCE_COLOURS[Stance.ADVOCATE]),
    ]
    return _series_figure(
        ts, dt_hours, stem, title, "Posts about the brand", "posts per hour", series, factor=1.0 / dt_hours
    )


def reputation(ts: pd.DataFrame, dt_hours: float, stem: Path | None, title: str = ""):
    """The reputation figure.

    Reputation (mean opinion) of all consumers, of the initial customers and of the consumers who know of the
    complaint, with a dotted line at the starting reputation (its median over replications).
    """
    series = [
        ("reputation", "all consumers", OKABE_ITO["black"]),
        ("reputation_customers", "initial customers (churned included)", OKABE_ITO["orange"]),
    ]
    # the consumers who know start at the complainants' opinion: on their own panel, so that the
    # main lines keep a readable scale
    aware = [("reputation_aware", "consumers who know (all but unaware)", OKABE_ITO["reddish_purple"])]

    def start_line(ax, ts):
        start = float(ts.loc[ts["step"] == ts["step"].min(), "reputation"].median())
        ax.axhline(start, color="0.4", linestyle=":", linewidth=1.2, zorder=1)
        return [Line2D([], [], color="0.4", linestyle=":", linewidth=1.2, label=f"starting reputation ({start:+.2f})")]

    return _series_figure(
        ts,
        dt_hours,
        stem,
        title,
        "Reputation of the brand",
        "mean opinion (-1 to 1)",
        series,
        extra=start_line,
        below=(aware, "mean opinion of those\nwho know (-1 to 1)"),
    )


# -- the complainant's neighbourhood ---------------------------------------------------------


def _neighbourhood_nodes(network, centre_nodes, hops: int, max_nodes: int) -> np.ndarray:
    """Union of the centres' neighbourhoods in breadth-first order, at most ``max_nodes``."""
    nodes: list[int] = []
    seen: set[int] = set()
    for c in centre_nodes:
        for v in network.neighbourhood(int(c), hops, max_nodes - len(nodes)).tolist():
            if v not in seen:
                seen.add(v)
                nodes.append(v)
        if len(nodes) >= max_nodes:
            break
    return np.array(nodes, dtype=np.int64)


def _induced_edges(network, nodes: np.ndarray) -> np.ndarray:
    """The links among a set of nodes.

    Links of the subgraph induced by ``nodes``, as unordered pairs of positions in ``nodes`` (each link once,
    whichever way posts travel along it).
    """
    pos = np.full(network.n, -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    starts, ends = network.indptr[nodes], network.indptr[nodes + 1]
    src = np.repeat(np.arange(len(nodes)), ends - starts)
    dst = pos[np.concatenate([network.indices[a:b] for a, b in zip(starts, ends)])]
    pairs = np.sort(np.column_stack([src, dst])[(dst >= 0) & (dst != src)], axis=1)
    return np.unique(pairs, axis=0).reshape(-1, 2)


def _layout(n_nodes: int, edges: np.ndarray, seed: int) -> np.ndarray:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n_nodes))
    g.add_edges_from(map(tuple, edges.tolist()))
    xy = nx.spring_layout(g, seed=seed % 2**32)  # its generator takes 32-bit seeds; scenario seeds are any int >= 0
    return np.array([xy[i] for i in range(n_nodes)])


def _when(hours: float, scale: float) -> str:
    return f"day {hours / 24:.1f}" if scale == 24 else f"hour {hours:.0f}"


def _draw_panel(ax, xy, edges, stance, is_centre, heading):
    ax.add_collection(LineCollection(xy[edges], colors="#d9d9d9", linewidths=0.4, zorder=1))
    colours = np.array([STANCE_COLOURS[int(s)] for s in stance])
    ax.scatter(*xy[~is_centre].T, s=14, c=colours[~is_centre], linewidths=0, zorder=2)
    ax.scatter(*xy[is_centre].T, s=130, c=colours[is_centre], edgecolors="black", linewidths=1.4, zorder=3)
    if is_centre.sum() <= 3:
        for px, py in xy[is_centre]:
            ax.annotate(
                "complainant",
                (px, py),
                xytext=(7, 7),
                textcoords="offset points",
                fontsize=8.5,
                zorder=4,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="0.3", lw=0.6),
            )
    ax.set_title(heading)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_axis_off()


def neighbourhood(
    network,
    centre_nodes,
    stance_at_peak,
    stance_at_end,
    peak_hours: float,
    end_hours: float,
    stem: Path | None,
    seed: int = 0,
    hops: int = 2,
    max_nodes: int = 400,
    title: str = "",
):
    """The complainants' neighbourhood, coloured by stance at the peak of negative posts and at the end.

    Nodes within ``hops`` links of any centre (either direction), at most ``max_nodes`` of them
    in breadth-first order, laid out once with networkx's ``spring_layout(seed=seed)`` on that
    small induced subgraph (seconds, even for a huge network) and drawn in two panels side by
    side. Edges are drawn without direction. ``stance_at_peak`` / ``stance_at_end`` are the full
    per-consumer stance arrays at those times.

    A well-mixed population has no graph to draw: nothing is drawn and ``[]`` is returned
    (whatever ``stem``).
    """
    if network.well_mixed:
        return []
    centre_nodes = np.atleast_1d(np.asarray(centre_nodes, dtype=np.int64))
    nodes = _neighbourhood_nodes(network, centre_nodes, hops, max_nodes)
    edges = _induced_edges(network, nodes)
    xy = _layout(len(nodes), edges, seed)
    is_centre = np.isin(nodes, centre_nodes)
    scale = time_unit(float(end_hours))[0]
    with _style():
        fig = _new_figure((7.2, 4.3))
        axes = fig.subplots(1, 2)
        for ax, stance, what, h in [
            (axes[0], stance_at_peak, "peak of negative posts", peak_hours),
            (axes[1], stance_at_end, "end of the run", end_hours),
        ]:
            _draw_panel(ax, xy, edges, np.asarray(stance)[nodes], is_centre, f"At the {what} ({_when(h, scale)})")
        who = "complainants" if len(centre_nodes) > 1 else "complainant"
        what = f"Neighbourhood of the {who}"
        fig.suptitle(f"{_wrapped(title)}\n{what}" if title else what, fontsize=11)
        handles = [
            Line2D([], [], linestyle="", marker="o", markersize=6, color=colour, label=name)
            for _, _, name, colour in STANCE_STYLES
        ]
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="o",
                markersize=9,
                markerfacecolor="white",
                markeredgecolor="black",
                markeredgewidth=1.4,
                label="complainant",
            )
        )
        capped = ", capped" if len(nodes) >= max_nodes else ""
        caption = (
            f"{len(nodes)} consumers within {hops} links of the {who}{capped}; "
            "grey lines: links (who sees whose posts)\n"
            "force-directed layout: positions have no units"
        )
        fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, title=caption)
    return _output(fig, stem)


# -- everything for one run --------------------------------------------------------------------


def run_figures(
    ts: pd.DataFrame,
    dt_hours: float,
    out_dir: Path,
    title: str = "",
    network=None,
    centre_nodes=None,
    stance_at_peak=None,
    stance_at_end=None,
    peak_hours=None,
    end_hours=None,
    seed: int = 0,
    formats: tuple[str, ...] | None = None,
) -> list[Path]:
    """All figures of a run.

    Write stances, posts and reputation (and the neighbourhood when ``network`` is given, with all its data) into
    ``out_dir`` in `formats` (default `FORMATS`: PNG; add "pdf" when a report needs vector figures, at about the
    cost of drawing the figure again); return the paths written.
    """
    out_dir = Path(out_dir)
    formats = FORMATS if formats is None else formats
    if network is not None:
        needed = dict(
            centre_nodes=centre_nodes,
            stance_at_peak=stance_at_peak,
            stance_at_end=stance_at_end,
            peak_hours=peak_hours,
            end_hours=end_hours,
        )
        missing = [k for k, v in needed.items() if v is None]
        if missing:
            raise ValueError(f"run_figures: a network was given without {', '.join(missing)}")
    paths = []
    for name, draw in [("stances", stances), ("posts", posts), ("reputation", reputation)]:
        paths += save(draw(ts, dt_hours, None, title), out_dir / name, formats)
    if network is not None:
        fig = neighbourhood(network, stem=None, seed=seed, title=title, **needed)
        if isinstance(fig, Figure):  # a well-mixed population has no neighbourhood to draw
            paths += save(fig, out_dir / "neighbourhood", formats)
    return paths
