"""A forecast folder's figure and report: the curve so far, each response's band, what each costs.

The figure has two panels over the hours since the first complaint seen: negative mentions per bin
(the observed ones up to now as points; the runs' expected counts as the listening tool would see
them, as a median line and a 5–95% band per strategy after now, and one grey band before now, where
every strategy's runs are the same), and the reputation (mean opinion of everyone), likewise. The
report gives each strategy's damage, P(firestorm), the paired differences (first "respond now"
against "respond later" where both are compared), and how much of the uncertainty is the
parameters' and how much chance's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .experiment_folder import FIGURES_DIR
from .experiment_plots import styles
from .forecast import BAND, DIFFERENCES_CSV, FIRESTORM, FORECAST_JSON, SERIES_NPZ, SUMMARY_CSV, UNCERTAINTY_CSV
from .plots import OKABE_ITO, TIME_SERIES_SIZE, _new_figure, _output

LINESTYLES = ("-", "--", ":", "-.")  # one per strategy: their medians coincide until each acts
PANELS = (  # series, y label
    ("posts_negative", "negative mentions\nper {bin}"),
    ("reputation", "reputation\n(mean opinion, -1 to 1)"),
)


def load(folder: Path) -> dict:
    """A forecast folder's settings, data, series and tables."""
    folder = Path(folder)
    settings = json.loads((folder / FORECAST_JSON).read_text(encoding="utf-8"))
    with np.load(folder / SERIES_NPZ, allow_pickle=False) as z:
        series: dict = {}
        for key in z.files:
            branch, name = key.split("|")
            series.setdefault(branch, {})[name] = z[key]
    return {
        "settings": settings,
        "observed": pd.read_csv(folder / "observed.csv"),
        "series": series,
        "summary": pd.read_csv(folder / SUMMARY_CSV),
        "differences": pd.read_csv(folder / DIFFERENCES_CSV),
        "uncertainty": pd.read_csv(folder / UNCERTAINTY_CSV),
        "meta": json.loads((folder / "meta.json").read_text(encoding="utf-8")),
    }


def words(label: str) -> str:
    """A branch as written ('quick_fix@24') in words ('quick_fix in 24 h')."""
    name, at, delay = label.partition("@")
    if not at:
        return name
    return f"{name} now" if float(delay) == 0 else f"{name} in {float(delay):g} h"


MIN_SHARE_SHOWN = 0.9  # bins are drawn while at least this share of runs has reached them (runs end at the horizon)


def forecast_figure(data: dict, stem: Path | None, formats=None):
    """Observed so far and each strategy's forecast, for negative mentions and reputation.

    Each strategy after now: its median (thick) and its runs' 5th and 95th percentiles (thin, same dash),
    as lines rather than shaded bands, so that several strategies stay readable where they overlap.
    """
    from .calibrate_report import counts_axis, per_bin, time_axis

    settings, observed, series = data["settings"], data["observed"], data["series"]
    labels = settings["branches"]
    bin_h = float(observed.bin_hours.iloc[0])
    until = float(settings["until_h"])
    first = next(iter(series.values()))
    # runs aligned on their first complaint seen end at different bins: show the bins most of them reach
    reached = np.isfinite(first["posts_negative"]).mean(axis=0)
    length = int(np.flatnonzero(reached >= MIN_SHARE_SHOWN).max(initial=0)) + 1
    scale, unit = time_axis(length * bin_h)
    mid = (np.arange(length) + 0.5) * bin_h / scale  # counts at the middle of their bin
    edge = (np.arange(length) + 1.0) * bin_h / scale  # reputations at the end of their bin
    now_bin = int(round(until / bin_h))
    colours = styles(labels)
    fig = _new_figure((TIME_SERIES_SIZE[0], 6.0))
    axes = fig.subplots(2, 1, sharex=True)
    tops = []
    for ax, (name, ylabel) in zip(axes, PANELS):
        x = mid if name.startswith("posts") else edge
        lo, hi = np.nanquantile(first[name][:, :now_bin], BAND, axis=0)  # before now: the same in every branch
        ax.fill_between(x[:now_bin], lo, hi, color=OKABE_ITO["grey"], alpha=0.35, lw=0, label="runs so far, 5–95%")
        counts = name.startswith("posts")
        if counts:
            tops.append(np.nanmax(hi, initial=0))
        after = slice(now_bin - 1, length)  # from the last bin before now, so that the lines join the grey band
        for i, label in enumerate(labels):
            lo, med, hi = np.nanquantile(series[label][name][:, after], [BAND[0], 0.5, BAND[1]], axis=0)
            colour, style = colours[label][0], LINESTYLES[i % len(LINESTYLES)]
            ax.plot(x[after], med, color=colour, ls=style, lw=1.9, label=f"{words(label)}: median (thick), 5–95%")
            for q in (lo, hi):
                ax.plot(x[after], q, color=colour, ls=style, lw=0.7, alpha=0.9)
            if counts:
                tops.append(np.nanmax(hi, initial=0))
        if counts:
            ax.plot(mid[: len(observed)], observed.negative, "o", color=OKABE_ITO["black"], ms=2.8, label="observed")
        ax.axvline(until / scale, color=OKABE_ITO["black"], ls="--", lw=0.9)
        ax.set_ylabel(ylabel.format(bin=per_bin(bin_h).removeprefix("per ")))
    top = max(max(tops), float(observed.negative.max()))
    counts_axis(axes[0], top)
    axes[0].text(until / scale, top * 1.3, " now", fontsize=8, va="bottom", ha="left")
    axes[0].legend(loc="upper right", frameon=False, fontsize=7.5, ncols=2)
    axes[1].set_xlabel(unit)
    axes[0].set_title(f"Forecast from the first {until:g} h: each response's runs after now")
    return _output(fig, stem, formats)


def all_figures(folder: Path, formats: tuple[str, ...] | None = None) -> list[Path]:
    """Draw the forecast figure in `formats` (default PNG; "pdf" adds the vector one)."""
    folder = Path(folder)
    (folder / FIGURES_DIR).mkdir(exist_ok=True)
    return forecast_figure(load(folder), folder / FIGURES_DIR / "forecast", formats)


def _ci(mean, lo, hi) -> str:
    from .text import fmt

    return f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]"


def key_pair(labels: list[str]) -> tuple[str, str] | None:
    """The pair the report leads with: a strategy now against the same later (else the first two compared)."""
    timed = [(lbl.partition("@")[0], float(lbl.partition("@")[2])) for lbl in labels if "@" in lbl]
    for name, d in sorted(timed, key=lambda t: t[1]):
        later = [f"{n}@{e:g}" for n, e in timed if n == name and e > d]
        if later:
            return f"{name}@{d:g}", later[0]
    return (labels[0], labels[1]) if len(labels) > 1 else None


def oriented(diff: pd.DataFrame, a: str, b: str, metrics: list[str]):
    """(metric, a minus b, low, high, P(a better)) from differences.csv, whichever way round it holds the pair."""
    for m in metrics:
        sel = diff[(diff.strategy_a == a) & (diff.strategy_b == b) & (diff.metric == m)]
        if len(sel):
            r = sel.iloc[0]
            yield m, r.diff_mean, r.diff_low, r.diff_high, r.p_a_better
            continue
        sel = diff[(diff.strategy_a == b) & (diff.strategy_b == a) & (diff.metric == m)]
        if len(sel):
            r = sel.iloc[0]
            yield m, -r.diff_mean, -r.diff_high, -r.diff_low, 1 - r.p_a_better


def report_blocks(folder: Path) -> tuple[str, list[tuple]]:
    """(title, blocks) of a forecast folder's report."""
    from .metrics import METRICS
    from .report import wrapped_command
    from .text import fmt

    folder = Path(folder)
    data = load(folder)
    s, meta = data["settings"], data["meta"]
    title = f"Forecast of {meta['scenario']} from the first {s['until_h']:g} h"
    summary, diff, unc = data["summary"], data["differences"], data["uncertainty"]
    tried, kept = meta.get("runs_tried", 0), meta.get("runs_kept", 0)
    eps = s.get("epsilon")
    kept_text = (
        f"Runs were tried on fresh seeds and kept when their first {s['until_h']:g} h, as the listening tool would "
        f"see them, were as close to the data as the calibration's last generation (distance at most {fmt(eps)}): "
        f"{kept} of {tried} tried, over {meta.get('draws_kept', s['draws'])} of the {s['draws']} draws "
        f"(at most {s['replications']} per draw)."
        if eps is not None
        else f"The calibration completed only its prior sample, so no run was selected on the data: these runs "
        f"({kept}) show what the prior allows, not a forecast from the data."
    )
    method = (
        f"{s['draws']} parameter sets drawn from the posterior ({meta.get('posterior_source', '')}) by weight. "
        f"{kept_text} Each run follows {s['followed']} (the strategy followed so far) until now — "
        f"{s['until_h']:g} h after the first complaint the listening tool saw, in the run's own clock — and then "
        "branches into each strategy on the same random numbers: every branch of a run is identical until now "
        "and differs only by the response. A preset's actions are anchored at now (NAME@H: its decisive action H "
        "hours after now; a bare name keeps the preset's own delay after now). Damage is counted in the model's "
        "population (the tool would see the capture fraction times the posts); means and differences have 95% "
        "intervals over the draws (the runs of one draw share its parameters); P(A better) counts ties as half."
    )
    metric_rows = []
    for m in [*s["metrics"], FIRESTORM]:
        row = [METRICS[m].heading(meta.get("currency", "currency"))]
        for label in s["branches"]:
            r = summary[(summary.strategy == label) & (summary.metric == m)].iloc[0]
            if m == FIRESTORM:
                row.append(f"{r['mean']:.0%} [{r.mean_low:.0%}, {r.mean_high:.0%}]")
            else:
                row.append(f"{_ci(r['mean'], r.mean_low, r.mean_high)}; 5–95%: {fmt(r.q05)} to {fmt(r.q95)}")
        metric_rows.append(row)
    blocks: list[tuple] = [
        ("h1", title),
        ("h2", "Question"),
        (
            "p",
            "If the brand responds now, later, or not at all, what happens next? Each strategy's damage over the "
            "whole buzz (the shared past included, so differences come from the future), from the data so far.",
        ),
        ("h2", "Method"),
        ("p", method),
        (
            "table",
            "Each strategy: mean [95% interval over draws]; 5–95% range of the runs; P(firestorm) [95%]",
            ["metric", *[words(lbl) for lbl in s["branches"]]],
            metric_rows,
        ),
    ]
    pair = key_pair(s["branches"])
    if pair is not None:
        a, b = pair
        rows = [
            [METRICS[m].label, _ci(d, lo, hi), f"{p:.0%}"]
            for m, d, lo, hi, p in oriented(diff, a, b, [*s["metrics"], FIRESTORM])
        ]
        blocks += [
            ("h2", f"{words(a)} against {words(b)}"),
            (
                "table",
                f"Paired differences ({words(a)} minus {words(b)}, run by run; 95% interval over draws) and "
                f"P({words(a)} better), ties counting half",
                ["metric", "mean difference [95%]", f"P({words(a)} better)"],
                rows,
            ),
        ]
    main = s["metrics"][0]
    if len(s["branches"]) > 2:
        import itertools

        rows = []
        for b, a in itertools.combinations(s["branches"], 2):
            for _, d, lo, hi, p in oriented(diff, a, b, [main]):
                rows.append([f"{words(a)} − {words(b)}", _ci(d, lo, hi), f"{p:.0%}"])
        blocks.append(
            (
                "table",
                f"Every pair on the {METRICS[main].label}: paired difference [95%] and P(first better)",
                ["pair", "mean difference [95%]", "P(first better)"],
                rows,
            )
        )
    main = s["metrics"][0]
    u = unc[unc.metric == main]
    shares = [
        f"{words(r.strategy)}: {r.share_parameters:.0%} parameters, {r.share_chance:.0%} chance"
        for r in u.itertuples()
        if np.isfinite(r.share_parameters)
    ]
    blocks += [
        ("h2", "Where the uncertainty comes from"),
        (
            "p",
            f"Of the spread of the {METRICS[main].label} across runs: " + "; ".join(shares) + ". The parameters' "
            "share is what more data (a longer observed period, or other sources) can narrow; chance's share "
            "stays whatever the data.",
        ),
        (
            "figure",
            folder / FIGURES_DIR / "forecast.png",
            "The curve so far (observed mentions, and the kept runs' expected mentions as the tool would count "
            "them) and each strategy's runs after now: median and 5–95%.",
        ),
    ]
    if meta.get("reproduce"):
        blocks += [("h2", "Reproduce"), ("code", wrapped_command(meta["reproduce"]))]
    return title, blocks


def write_report(folder: str | Path) -> tuple[Path, Path]:
    """Write report.md and report.html of a forecast folder."""
    from .report import write_pages

    return write_pages(Path(folder), *report_blocks(Path(folder)))
