"""A calibration folder's figures and report: the fit to the data, the posterior, the diagnostics.

`fit` draws the observed counts per bin against the last generation's accepted simulations, as the
listening tool would count them: their weighted median and 5–95% band (selected for being close to
the data, so a check of the fit rather than a fresh prediction); `posterior` draws each parameter's
weighted posterior over its prior range. The report (`report.md`, `report.html`) says what was
fitted, how, what the data inform and what they cannot, and how the sampler went.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import ticker

from .calibrate import (
    CAPTURE,
    DIAGNOSTICS_JSON,
    INFORMED_SHARE,
    OBSERVED_CSV,
    PRIOR_ONLY,
    SETTINGS_JSON,
    SUMMARY_CSV,
    Generation,
    Settings,
    Store,
    predictive_bands,
)
from .experiment_folder import FIGURES_DIR
from .plots import BAND, OKABE_ITO, TIME_SERIES_SIZE, _new_figure, _output, time_unit
from .sensitivity_report import _log_ticks

SERIES_STYLE = {  # name: (colour, what the panel shows)
    "negative": (OKABE_ITO["vermillion"], "negative mentions"),
    "positive": (OKABE_ITO["blue"], "positive mentions"),
}


def load(folder: Path) -> tuple[Settings, pd.DataFrame, Generation, list[Generation]]:
    """A finished calibration folder's settings, fitted data, last generation and every generation."""
    folder = Path(folder)
    settings = Settings.from_json((folder / SETTINGS_JSON).read_text(encoding="utf-8"))
    observed = pd.read_csv(folder / OBSERVED_CSV)
    gens = Store(folder).trusted(settings, len(observed))
    if not gens:
        from .experiment_folder import FolderError

        raise FolderError(f"{folder}: no complete generation to draw (or its files changed since they were written)")
    return settings, observed, gens[-1], gens


def time_axis(span_h: float) -> tuple[float, str]:
    """(hours per unit, axis label) of a series aligned on the first complaint the tool saw."""
    scale, _ = time_unit(span_h)
    return scale, f"time since the first complaint seen ({'days' if scale == 24 else 'hours'})"


def per_bin(bin_h: float) -> str:
    """'per hour', 'per 15 min', 'per 6 h', 'per day'."""
    if bin_h == 1:
        return "per hour"
    if bin_h == 24:
        return "per day"
    return f"per {bin_h * 60:g} min" if bin_h < 1 else f"per {bin_h:g} h"


def counts_axis(ax, top: float) -> None:
    """Counts from a handful to thousands per bin on one axis: symmetric log, linear below one, plain ticks."""
    ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylim(0, max(top, 1.0) * 6)  # headroom for the legend above the data


def fit_figure(observed: pd.DataFrame, final: Generation, title: str, stem: Path | None, formats=None):
    """Observed mentions per bin against the last generation's accepted simulations (median, 5–95%), per series."""
    bands = predictive_bands(final, (BAND[0], 0.5, BAND[1]))
    names = [n for n in ("negative", "positive") if n in bands and n in observed and observed[n].sum() > 0]
    bin_h = float(observed.bin_hours.iloc[0])
    scale, unit = time_axis(len(observed) * bin_h)
    x = (observed.hours.to_numpy() + bin_h / 2) / scale  # counts at the middle of their bin
    marker = 2.8 if len(observed) <= 200 else 1.2  # many bins: small points, not a line of dots
    fig = _new_figure((TIME_SERIES_SIZE[0], 2.6 * len(names) + 0.9))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names):
        colour, what = SERIES_STYLE[name]
        lo, mid, hi = bands[name]
        ax.fill_between(x, lo, hi, color=colour, alpha=0.25, lw=0, label="accepted simulations, 5–95%")
        ax.plot(x, mid, color=colour, lw=1.6, label="accepted simulations, median")
        ax.plot(x, observed[name], "o", color=OKABE_ITO["black"], ms=marker, label="observed")
        ax.set_ylabel(f"{what}\n{per_bin(bin_h)}")
        counts_axis(ax, max(float(np.max(hi, initial=0)), float(observed[name].max())))
        ax.legend(loc="upper right", frameon=False, fontsize=8, ncols=3)
    axes[-1].set_xlabel(unit)
    axes[0].set_title(title)
    return _output(fig, stem, formats)


def posterior_figure(settings: Settings, summary: pd.DataFrame, final: Generation, stem: Path | None, formats=None):
    """Each parameter's weighted posterior (histogram) over its prior range, with its median and 90% interval."""
    k = len(settings.names)
    cols = min(3, k)
    rows = int(np.ceil(k / cols))
    fig = _new_figure((TIME_SERIES_SIZE[0], 2.3 * rows + 0.6))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    bounds = settings.bounds
    for j, name in enumerate(settings.names):
        ax, row = axes[j], summary.iloc[j]
        log = row.scale == "log"
        edges = np.linspace(bounds[j][0], bounds[j][1], 21)
        if log:
            edges = 10.0**edges
            ax.set_xscale("log")
            _log_ticks(ax.xaxis, edges[0], edges[-1])
            if bounds[j][1] - bounds[j][0] > 2:  # beyond two decades, powers of ten only
                ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0,)))
        values = 10.0 ** final.theta[:, j] if log else final.theta[:, j]
        ax.hist(values, bins=edges, weights=final.weights, color=OKABE_ITO["sky_blue"], edgecolor="white")
        ax.axvspan(row.q05, row.q95, color=OKABE_ITO["orange"], alpha=0.2, lw=0)
        ax.axvline(row["median"], color=OKABE_ITO["orange"], lw=1.5)
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(name if name != CAPTURE else "capture fraction", fontsize=8)
        ax.set_ylabel("posterior weight" if j % cols == 0 else "")
        ax.tick_params(labelsize=7)
    for ax in axes[k:]:
        ax.set_visible(False)
    fig.suptitle("Posterior over each prior range: median (line) and 90% interval (shaded)", fontsize=10)
    return _output(fig, stem, formats)


def all_figures(folder: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Draw a calibration folder's figures (fit, posterior) in `formats` (default PNG; "pdf" adds the vector ones)."""
    folder = Path(folder)
    settings, observed, final, _ = load(folder)
    summary = pd.read_csv(folder / SUMMARY_CSV)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    figures = folder / FIGURES_DIR
    figures.mkdir(exist_ok=True)
    title = f"{meta['scenario']} fitted to {Path(meta.get('data', 'the data')).name}"
    return [
        *fit_figure(observed, final, title, figures / "fit", formats),
        *posterior_figure(settings, summary, final, figures / "posterior", formats),
    ]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def report_blocks(folder: Path) -> tuple[str, list[tuple]]:
    """(title, blocks) of a calibration folder's report."""
    from .report import wrapped_command

    folder = Path(folder)
    settings, observed, final, _ = load(folder)
    summary = pd.read_csv(folder / SUMMARY_CSV)
    diag = json.loads((folder / DIAGNOSTICS_JSON).read_text(encoding="utf-8"))
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    data = Path(meta.get("data", "the data")).name
    title = f"Calibration of {meta['scenario']} to {data}"
    bin_h = float(observed.bin_hours.iloc[0])
    pos = int(observed.positive.sum()) if "positive" in observed else 0
    skipped = int(meta.get("skipped_bins", 0))
    data_text = (
        f"{len(observed)} bins of {bin_h:g} h ({len(observed) * bin_h:g} h from the bin of the first negative "
        f"mention, hour 0 here and in the model): {int(observed.negative.sum())} negative and {pos} positive "
        "mentions. "
        + (f"{skipped} earlier bin(s) without a negative mention were left out. " if skipped else "")
        + (
            "The positive series is fitted as well."
            if pos
            else "There are no positive mentions: only the negative series is fitted."
        )
    )
    method = (
        "Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; Beaumont et al. 2009): "
        f"{settings.particles} particles per generation, each generation's distance threshold the weighted "
        f"median of the previous one's distances, a Gaussian perturbation kernel (pyabc), at most "
        f"{settings.budget} simulations ({diag['simulations']} run, {diag['failed_simulations']} failed). "
        "The distance is the root mean square over bins of log(1 + observed) − log(1 + simulated) cumulative "
        "counts (mentions so far at each bin's end). The model's "
        "posts are seen through the listening tool: the observed count in a bin is Poisson(capture fraction × "
        f"the model's posts in that bin). The brand follows {meta.get('strategy', 'the scenario strategy')} during "
        f"the observed period. Root seed {settings.seed}; the same seed gives the same posterior whatever the "
        "number of workers."
    )
    prior_rows = [[f.key, _fmt(f.lo), _fmt(f.hi), "log" if f.log else "linear"] for f in settings.factors]
    prior_rows.append([CAPTURE, _fmt(settings.capture[0]), _fmt(settings.capture[1]), "log"])
    post_rows = [
        [
            r.key,
            _fmt(r["median"]),
            f"{_fmt(r.q05)} to {_fmt(r.q95)}",
            f"{_fmt(r.prior_low)} to {_fmt(r.prior_high)}",
            f"{r.interval_share:.1%}",
            "yes" if r.informed else "no",
        ]
        for _, r in summary.iterrows()
    ]
    informed = summary[summary.informed].key.tolist()
    not_informed = summary[~summary.informed]
    sentences = []
    if informed:
        cover = "their 90% intervals cover" if len(informed) > 1 else "its 90% interval covers"
        sentences.append(
            f"The data inform {_and(informed)}: {cover} less than {INFORMED_SHARE:.0%} of the prior range."
        )
    for _, r in not_informed.iterrows():
        sentences.append(
            f"The data cannot inform {r.key}: its 90% interval still covers {r.interval_share:.1%} of its prior range, "
            "so its median is the prior's as much as the data's — do not read it as an estimate."
        )
    diag_rows = [
        [
            g["generation"],
            "—" if g["epsilon"] is None else _fmt(g["epsilon"]),
            g["simulations"],
            f"{g['acceptance_rate']:.0%}",
            f"{g['ess']:.0f}",
        ]
        for g in diag["generations"]
    ]
    blocks: list[tuple] = [
        ("h1", title),
        ("h2", "Data"),
        ("p", data_text),
        ("h2", "Method"),
        ("p", method),
        ("table", "Priors (uniform on the scale given)", ["key", "low", "high", "scale"], prior_rows),
        ("h2", "Posterior"),
        (
            "table",
            f"Posterior (generation {final.index}): weighted median and 90% interval",
            ["key", "median", "90% interval", "prior", "interval / prior range", "informed"],
            post_rows,
        ),
        ("p", " ".join(sentences)),
    ]
    if final.index == 0:
        blocks.append(("p", f"Warning: {PRIOR_ONLY.lstrip('; ')}."))
    figures = folder / FIGURES_DIR
    captions = {
        "fit": "Observed mentions per bin (points) against the last generation's accepted simulations, as the "
        "listening tool would count them: their median and 5–95% band (selected for being close to the data, "
        "so a check of the fit rather than a fresh prediction).",
        "posterior": "Each parameter's posterior over its prior range.",
    }
    for stem, caption in captions.items():
        if (figures / f"{stem}.png").is_file():
            blocks.append(("figure", figures / f"{stem}.png", caption))
    blocks += [
        ("h2", "Diagnostics"),
        ("table", "Generations", ["generation", "threshold", "simulations", "acceptance", "ESS"], diag_rows),
        ("p", f"Stopped: {diag['stopped']}."),
    ]
    if meta.get("reproduce"):
        blocks += [("h2", "Reproduce"), ("code", wrapped_command(meta["reproduce"]))]
    return title, blocks


def write_report(folder: str | Path) -> tuple[Path, Path]:
    """Write report.md and report.html of a calibration folder."""
    from .report import write_pages

    return write_pages(Path(folder), *report_blocks(Path(folder)))
