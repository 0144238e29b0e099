"""Experiment figures and reports, on synthetic experiment folders of the tests' own.

The folders are built here with the formats that ``simulation.experiments`` writes (experiment.json,
summary.csv, aggregate.csv computed from it, timeseries_quantiles.csv, critical_window.csv), with a
simple damage model so that their numbers are consistent: ignoring costs most, a quick fix less the
sooner it comes. Figures are inspected as objects (texts, labels, image arrays), never as pixels.
"""

import itertools
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation import experiment_plots as ep
from simulation.experiment_folder import ExperimentFolder
from simulation.report import wrapped_command, write_report
from simulation.text import fmt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METRICS = [
    "final_reputation",
    "reputation_drop",
    "min_reputation",
    "max_drop",
    "reach",
    "peak_posts",
    "time_to_peak_h",
    "total_posts",
    "crisis",
    "detection_h",
    "first_action_h",
    "amplified_h",
    "crisis_duration_h",
    "ongoing_at_horizon",
    "churned",
    "advocates",
    "response_cost",
    "revenue_lost",
    "actions_not_fired",
]
SERIES = ["reputation", "reputation_customers", "posts_negative_per_h", "angry", "churned", "search_stock"]
ODD_LABEL = "apology <b>sorry</b> & co"
CRITICAL = dict(
    strategy="quick_fix",
    metric="final_reputation",
    clock="detection",
    immediate_gain=0.14,
    critical_delay_h=10.4,
    ci_low=7.2,
    ci_high=15.8,
    status="found",
    bootstrap_found_share=0.99,
)
SCENARIO_TOML = """name = "synthetic"
description = "A test scenario: a hub's complaint <loud> & fast."
seed = 1
replications = 12

[simulation]
days = {days}
dt_hours = 1.0

[population]
size = 5000
customer_share = 0.3
currency = "EUR"

[network]
kind = "barabasi_albert"
m = 3

[complaint]
complainants = 1
placement = "hub"
"""


# -- a synthetic experiment ------------------------------------------------------------------------


def _damage(strategy: str, delay: float, visibility: float) -> float:
    """Share of the ignore damage that a strategy leaves: a quick fix the less the sooner."""
    base = {"ignore": 1.0, "quick_fix": 1.0 - 0.7 * math.exp(-delay / 15.0), "apology": 0.8}[strategy]
    return base * visibility / 0.3


def _delay(changes) -> float:
    """The response delay of a condition: its swept value, else the preset's 1 h (none for ignore)."""
    delay = changes.get("brand.delay_hours")
    return 1.0 if delay is None else float(delay)


def _runs(conditions, reps, fail=None):
    rng = np.random.default_rng(0)
    common = rng.normal(size=reps)  # paired: replication r shares its noise in every condition
    rows = []
    for c in conditions:
        ch = c["changes"]
        strategy, delay = ch["brand.strategy"], _delay(ch)
        d = _damage(strategy, delay, float(ch.get("spread.visibility", 0.3)))
        for r in range(reps):
            u, e = common[r], rng.normal()
            crisis = u + 0.3 * e > -1.0
            detection = 4 + abs(u) if crisis else np.nan
            acted = crisis and strategy != "ignore"
            final = 0.3 - 0.2 * d + 0.02 * u + 0.004 * e
            churned = max(0.0, round(80 * d + 5 * u + e))
            m = dict(
                final_reputation=final,
                reputation_drop=0.3 - final,
                min_reputation=final - 0.05,
                max_drop=0.35 - final,
                reach=min(1.0, 0.3 + 0.4 * d + 0.03 * u),
                peak_posts=15 + 30 * d + 3 * u,
                time_to_peak_h=8 + abs(u),
                total_posts=200 * d + 20 * u,
                crisis=float(crisis),
                detection_h=detection,
                first_action_h=detection + delay if acted else np.nan,
                amplified_h=12 + u,
                crisis_duration_h=30 * d if crisis else np.nan,
                ongoing_at_horizon=0.0,
                churned=churned,
                advocates=5.0 if acted else 0.0,
                response_cost=2000.0 if acted else 0.0,
                revenue_lost=500.0 * churned,
                actions_not_fired=float(strategy != "ignore" and not crisis),
            )
            error = ""
            if fail == (c["condition"], r):
                m, error = {k: np.nan for k in m}, "RuntimeError: synthetic failure"
            rows.append(
                dict(condition=c["condition"], label=c["label"], **ch, replication=r, seed=f"1/{r}", **m, error=error)
            )
    return pd.DataFrame(rows)


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def _aggregate(summary, conditions, keys, baseline):
    others = [k for k in keys[1:] if k != "brand.delay_hours"]  # the baseline ignore has no delay
    rows = []
    for c in conditions:
        ch = c["changes"]
        runs = summary[summary["condition"] == c["condition"]].set_index("replication")
        base = next(
            b
            for b in conditions
            if b["changes"]["brand.strategy"] == baseline and all(b["changes"][k] == ch[k] for k in others)
        )
        base_runs = summary[summary["condition"] == base["condition"]].set_index("replication")
        for metric in METRICS:
            for scope in ("all", "crisis"):
                if scope == "crisis" and metric == "crisis":
                    continue
                keep = runs["crisis"] == 1 if scope == "crisis" else runs["crisis"].notna()
                x = runs.loc[keep, metric].dropna().to_numpy()
                mean, lo, hi = _interval(x)
                diff = (np.nan,) * 3
                if base["condition"] != c["condition"]:
                    both = keep & (base_runs["crisis"] == 1 if scope == "crisis" else True)
                    d = (runs.loc[both, metric] - base_runs.loc[both, metric]).dropna().to_numpy()
                    diff = _interval(d)
                rows.append(
                    dict(
                        condition=c["condition"],
                        label=c["label"],
                        **ch,
                        metric=metric,
                        scope=scope,
                        n=len(x),
                        mean=mean,
                        median=float(np.median(x)) if len(x) else np.nan,
                        q05=np.quantile(x, 0.05) if len(x) else np.nan,
                        q95=np.quantile(x, 0.95) if len(x) else np.nan,
                        ci_low=lo,
                        ci_high=hi,
                        diff_mean=diff[0],
                        diff_low=diff[1],
                        diff_high=diff[2],
                    )
                )
    return pd.DataFrame(rows)


def _quantiles(conditions, summary, days):
    hours = np.arange(0, days * 24 + 1, 1.0)
    rows = []
    for c in conditions:
        ch = c["changes"]
        d = _damage(ch["brand.strategy"], _delay(ch), float(ch.get("spread.visibility", 0.3)))
        acted = summary.loc[summary["condition"] == c["condition"], "first_action_h"].dropna()
        a = float(acted.median()) if len(acted) else np.inf
        t = hours
        drop = 0.2 * (1 - np.exp(-t / 12))
        after = t > a
        at_a = 0.2 * (1 - math.exp(-a / 12)) if np.isfinite(a) else 0.0
        drop[after] = 0.2 * d + (at_a - 0.2 * d) * np.exp(-(t[after] - a) / 24)
        posts = 40 * (t / 8) * np.exp(1 - t / 8) * (d / (0.3 / 0.3 if d else 1)) ** 0.3
        posts[after] *= np.exp(-(t[after] - a) / 3)
        series = {
            "reputation": (0.3 - drop, 0.01),
            "reputation_customers": (0.25 - drop, 0.012),
            "posts_negative_per_h": (posts, 0.25 * posts),
            "angry": (5 * posts, 1.2 * posts),
            "churned": (80 * d * (1 - np.exp(-t / 48)), 3 + 0 * t),
            "search_stock": (np.cumsum(posts), 0.2 * np.cumsum(posts)),
        }
        for name, (m, s) in series.items():
            rows.append(
                pd.DataFrame(
                    dict(
                        condition=c["condition"],
                        label=c["label"],
                        **ch,
                        step=np.arange(len(hours)),
                        hours=hours,
                        series=name,
                        mean=m,
                        q05=m - 2 * s,
                        q25=m - s,
                        q50=m,
                        q75=m + s,
                        q95=m + 2 * s,
                    )
                )
            )
    return pd.concat(rows, ignore_index=True)


def build(
    folder,
    *,
    kind,
    strategies,
    vary=None,
    clock="detection",
    reps=12,
    labels=None,
    critical=None,
    fail=None,
    days=7,
    patch=None,
):
    """Write a synthetic experiment folder; return it."""
    vary = vary or {}
    keys = ["brand.strategy", *vary]
    combos, conditions = [], []
    for combo in itertools.product(strategies, *vary.values()):
        changes = dict(zip(keys, combo))
        if combo[0] == "ignore" and "brand.delay_hours" in changes:  # no action to delay: run once
            changes["brand.delay_hours"] = None
        if changes not in combos:
            combos.append(changes)
    for i, changes in enumerate(combos):
        label = ", ".join(
            [changes["brand.strategy"]]
            + [f"{k}={v}" for k, v in changes.items() if k != "brand.strategy" and v is not None]
        )
        conditions.append(dict(condition=i, label=(labels or {}).get(i, label), changes=changes))
    meta = dict(
        kind=kind,
        scenario="synthetic",
        seed=1,
        replications=reps,
        baseline="ignore",
        strategies=strategies,
        vary=vary,
        clock=clock,
        keys=keys,
        conditions=conditions,
        command=f"python run.py {kind} synthetic --strategies {','.join(strategies)} "
        + " ".join(f"--vary {k}={','.join(map(str, v))}" for k, v in vary.items())
        + f" --replications {reps} --seed 1",
        dt_hours=1.0,
        days=days,
        currency="EUR",
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "experiment.json").write_text(json.dumps(meta, indent=2))
    (folder / "scenario.toml").write_text(SCENARIO_TOML.replace("{days}", str(float(days))))
    summary = _runs(conditions, reps, fail)
    summary.to_csv(folder / "summary.csv", index=False)
    agg = _aggregate(summary, conditions, keys, "ignore")
    for (condition, metric), values in (patch or {}).items():
        sel = (agg["condition"] == condition) & (agg["metric"] == metric) & (agg["scope"] == "all")
        for k, v in values.items():
            agg.loc[sel, k] = v
    agg.to_csv(folder / "aggregate.csv", index=False)
    _quantiles(conditions, summary, days).to_csv(folder / "timeseries_quantiles.csv", index=False)
    if critical:
        pd.DataFrame(critical).to_csv(folder / "critical_window.csv", index=False)
    return folder


# the quick fix's revenue lost in the comparison, written over the computed one: a literal to find
REVENUE = dict(mean=12345.6, ci_low=11000.4, ci_high=13690.2, diff_mean=-27654.3, diff_low=-29876.5, diff_high=-25432.1)


@pytest.fixture(scope="module")
def compare(tmp_path_factory):
    folder = build(
        tmp_path_factory.mktemp("exp") / "compare",
        kind="compare",
        strategies=["ignore", "quick_fix", "apology"],
        labels={2: ODD_LABEL},
        fail=(2, 3),
        patch={(1, "revenue_lost"): REVENUE},
    )
    return folder, ep.all_figures(folder)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = build(
        tmp_path_factory.mktemp("exp") / "sweep",
        kind="sweep",
        strategies=["ignore", "quick_fix"],
        vary={"brand.delay_hours": [0, 6, 24, 96]},
        critical=[CRITICAL],
    )
    return folder, ep.all_figures(folder)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = build(
        tmp_path_factory.mktemp("exp") / "grid",
        kind="sweep",
        clock="complaint",
        strategies=["ignore", "quick_fix", "apology"],
        vary={"brand.delay_hours": [0, 6, 24], "spread.visibility": [0.2, 0.3]},
    )
    return folder, ep.all_figures(folder, formats=("png", "pdf"))


def _texts(fig):
    found = [t for ax in fig.axes for t in ax.texts]
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    found += [t for leg in legends for t in [*leg.get_texts(), leg.get_title()]]
    return found


def _check_files(folder, paths, stems, formats=("png",)):
    """The figures written are the stems in `formats` (PNG by default; PDF when asked), and nothing else."""
    expected = {folder / "figures" / f"{s}.{ext}" for s in stems for ext in formats}
    assert set(paths) == expected and set((folder / "figures").iterdir()) == expected
    for stem in stems:
        png = (folder / "figures" / f"{stem}.png").read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 10_000, stem
        if "pdf" in formats:
            pdf = (folder / "figures" / f"{stem}.pdf").read_bytes()
            assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, stem


OVER_TIME = ["over_time_reputation", "over_time_posts", "over_time_churn"]


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, kwargs, text",
    [
        (12345.6, {}, "12,300"),
        (0.2468, {}, "0.247"),
        (-0.0012345, {}, "-0.00123"),
        (0.5, {}, "0.500"),
        (84, {}, "84.0"),
        (9.996, {}, "10.0"),
        (1234567, {}, "1,230,000"),
        (0.0, {}, "0"),
        (float("nan"), {}, "n/a"),
        (0.136, {"sign": True}, "+0.136"),
        (13.0, {"trailing": False}, "13"),
        (10.4, {"trailing": False}, "10.4"),
    ],
)
def test_fmt(value, kwargs, text):
    assert fmt(value, **kwargs) == text


# -- figures ---------------------------------------------------------------------------------------


def test_compare_figures(compare):
    folder, paths = compare
    _check_files(folder, paths, OVER_TIME + ["distribution"])  # no delay swept: no timing; no grid: no heatmap


def test_sweep_figures(sweep):
    folder, paths = sweep
    _check_files(folder, paths, OVER_TIME + ["distribution", "response_timing"])


def test_grid_figures(grid):
    folder, paths = grid
    _check_files(
        folder, paths, OVER_TIME + ["distribution", "response_timing", "heatmap_final_reputation"], ("png", "pdf")
    )


def test_over_time_labels_legend_and_first_actions(compare):
    folder, _ = compare
    exp = ExperimentFolder.load(folder)
    figs = ep.over_time_figures(exp)
    assert list(figs) == OVER_TIME
    units = {
        "over_time_reputation": "(mean opinion, -1 to 1)",
        "over_time_posts": "per hour",
        "over_time_churn": "(count)",
    }
    summary = pd.read_csv(folder / "summary.csv")
    medians = summary.dropna(subset=["first_action_h"]).groupby("condition")["first_action_h"].median()
    for stem, fig in figs.items():
        ax = fig.axes[0]
        if stem == "over_time_posts":  # the brief buzz, not 7 days of zeros
            assert ax.get_xlabel() == "time since the complaint (hours)"
            end = ax.get_xlim()[1]
            assert end < 7 * 24 and f"the first {end:g} hours" in ax.get_title()
            scale = 1.0
        else:
            assert ax.get_xlabel() == "time since the complaint (days)"  # 7 days
            scale = 24.0
        assert units[stem] in ax.get_ylabel()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert {"ignore", "quick_fix", ODD_LABEL} <= set(legend)
        # each condition with an action: a dashed line at its median first action
        dashed = sorted(
            ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--" and len(set(ln.get_xdata())) == 1
        )
        assert dashed == pytest.approx(sorted(medians / scale))


def test_over_time_picks_a_few_conditions_of_a_big_sweep(grid):
    folder, _ = grid
    exp = ExperimentFolder.load(folder)
    ids, note = ep.chosen_conditions(exp)
    assert len(exp.conditions) == 14 and len(ids) == 6  # ignore runs once per visibility
    chosen = exp.conditions.set_index("condition").loc[ids]
    assert (chosen["spread.visibility"] == 0.2).all()  # the other key held at its first value
    assert set(chosen.loc[chosen["brand.strategy"] == "quick_fix", "brand.delay_hours"]) == {0, 6, 24}
    assert (chosen["brand.strategy"] == "ignore").sum() == 1
    assert set(chosen.loc[chosen["brand.strategy"] == "apology", "brand.delay_hours"]) == {0, 24}
    assert note.startswith("6 of 14 conditions") and "spread.visibility = 0.2" in note
    fig = ep.over_time_figures(exp)["over_time_reputation"]
    assert fig.axes[0].get_legend().get_title().get_text().split() == note.split()


def test_timing_labels_and_critical_window(sweep):
    folder, _ = sweep
    fig = ep.timing_figure(ExperimentFolder.load(folder))
    xlabel = fig.subfigs[0].get_supxlabel()
    assert "response delay after detection (hours" in xlabel
    ylabels = [ax.get_ylabel() for ax in fig.axes[:3]]
    assert "mean opinion, -1 to 1" in ylabels[0] and "(EUR)" in ylabels[1] and "posts per hour" in ylabels[2]
    notes = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "critical_window"]
    assert [" ".join(n.split()) for n in notes] == ["critical window ≈ 10.4 h (CI 7.2–15.8 h)"]
    # the critical delay as a vertical line on the reputation panel only
    vlines = [ln for ln in fig.axes[0].lines if len(set(ln.get_xdata())) == 1 and ln.get_xdata()[0] == 10.4]
    assert len(vlines) == 1
    assert not [t for ax in fig.axes[1:3] for t in ax.texts if t.get_gid() == "critical_window"]
    # the strategy's line passes through its means
    agg = pd.read_csv(folder / "aggregate.csv")
    means = agg[
        (agg["metric"] == "final_reputation") & (agg["scope"] == "all") & (agg["brand.strategy"] == "quick_fix")
    ].sort_values("brand.delay_hours")["mean"]
    line = next(ln for ln in fig.axes[0].lines if ln.get_label().startswith("quick_fix"))
    assert np.allclose(line.get_ydata(), means)


def test_timing_names_the_complaint_clock_and_only_for_delay_sweeps(grid, compare):
    fig = ep.timing_figure(ExperimentFolder.load(grid[0]))
    assert "response delay after the first complaint (hours" in fig.subfigs[0].get_supxlabel()
    assert ep.timing_figure(ExperimentFolder.load(compare[0])) is None
    assert ep.heatmap_figure(ExperimentFolder.load(compare[0])) is None


def test_heatmap_cells_carry_the_means(grid):
    folder, _ = grid
    fig = ep.heatmap_figure(ExperimentFolder.load(folder))
    ax = fig.axes[0]
    assert ax.get_title() == "quick_fix"
    assert fig.get_supxlabel() == "response delay after the first complaint (hours)"
    assert ax.get_ylabel() == "spread.visibility (no unit)"
    agg = pd.read_csv(folder / "aggregate.csv")
    rows = agg[(agg["metric"] == "final_reputation") & (agg["scope"] == "all") & (agg["brand.strategy"] == "quick_fix")]
    image = ax.images[0].get_array()
    cells = {t.get_gid(): t.get_text() for t in ax.texts}
    for _, row in rows.iterrows():
        i = [0.2, 0.3].index(row["spread.visibility"])
        j = [0, 6, 24].index(row["brand.delay_hours"])
        assert image[i, j] == pytest.approx(row["mean"])
        assert cells[f"cell:{i}:{j}"] == fmt(row["mean"])
    cbar = fig.axes[-1]
    assert cbar.get_ylabel() == "mean final reputation\n(mean opinion, -1 to 1)"


# -- reports ---------------------------------------------------------------------------------------


def test_report_markdown(compare):
    folder, _ = compare
    md_path, html_path = write_report(folder)
    assert md_path == folder / "report.md" and html_path == folder / "report.html"
    md = md_path.read_text()
    assert "How does the brand's strategy change the damage?" in md  # a comparison: no timing swept
    assert "child r of SeedSequence(1) in every condition" in md
    assert "5,000 consumers" in md and "Barabási–Albert" in md
    # the quick fix's row: the numbers of aggregate.csv, the patched revenue as literals
    agg = pd.read_csv(folder / "aggregate.csv")
    row = next(line for line in md.splitlines() if line.startswith("| quick_fix |"))
    rep = agg[(agg["condition"] == 1) & (agg["metric"] == "final_reputation") & (agg["scope"] == "all")].iloc[0]
    assert f"{fmt(rep['mean'])} [{fmt(rep['ci_low'])}, {fmt(rep['ci_high'])}]" in row
    assert "12,300 [11,000, 13,700]" in row
    crisis = agg[(agg["condition"] == 1) & (agg["metric"] == "crisis") & (agg["scope"] == "all")].iloc[0]
    assert f"{fmt(100 * crisis['mean'])} [" in row
    diff_rows = [line for line in md.splitlines() if line.startswith("| quick_fix |")]
    assert len(diff_rows) == 3  # means, differences, given a crisis
    assert "-27,700 [-29,900, -25,400]" in diff_rows[1]
    assert f"{fmt(rep['diff_mean'], sign=True)} [" in diff_rows[1]
    # the failed run is said, and the reproducing command is in a code block
    assert "1 of which failed" in md
    command = json.loads((folder / "experiment.json").read_text())["command"]
    assert f"```bash\n{wrapped_command(command)}\n```" in md
    assert re.search(r"!\[over_time_reputation\]\(figures/over_time_reputation\.png\)", md)
    assert "apology \\<b\\>sorry\\</b\\> & co" in md  # escaped, not raw HTML


def test_report_html_is_self_contained_and_escaped(compare):
    folder, _ = compare
    _, html_path = write_report(folder)
    page = html_path.read_text()
    pngs = list((folder / "figures").glob("*.png"))
    assert page.count("data:image/png;base64,") == len(pngs) == 4
    assert 'src="figures/' not in page and "<link" not in page and "<script" not in page
    assert "apology &lt;b&gt;sorry&lt;/b&gt; &amp; co" in page
    assert "<b>sorry" not in page
    assert "hub&#x27;s complaint &lt;loud&gt; &amp; fast" in page or "complaint &lt;loud&gt;" in page


def test_report_critical_window_sentence(sweep):
    folder, _ = sweep
    md_path, html_path = write_report(folder)
    md = md_path.read_text()
    assert (
        "critical window for the final reputation is about 10.4 h after detection "
        "(95% CI 7.2 to 15.8 h; 99% of the bootstrap resamples have a window); an immediate response improves "
        "the final reputation by +0.140 relative to ignoring" in md
    )
    assert html_path.read_text().count("data:image/png;base64,") == 5


def test_report_shows_the_figures_there_are(tmp_path):
    """The report never draws: without figures it has none; the command line draws them first."""
    folder = build(tmp_path / "fresh", kind="compare", strategies=["ignore", "quick_fix"], reps=4)
    _, html_path = write_report(folder)
    assert html_path.read_text().count("data:image/png;base64,") == 0
    assert not (folder / "figures").exists()
    (folder / "figures").mkdir()
    (folder / "figures" / "over_time_reputation.png").write_bytes(PNG_MAGIC + b"stub")
    _, html_path = write_report(folder)
    assert html_path.read_text().count("data:image/png;base64,") == 1
