"""The report of an experiment folder: ``report.md`` and a self-contained ``report.html``.

Both say the same thing, in this order: the question; the scenario (from the folder's
``scenario.toml``); the design (kind, strategies, swept keys, conditions, replications, paired
seeds); the results per condition (mean with 95% interval, and the paired difference from the
baseline with its interval; the damage given a crisis when the experiment reports it); the
critical window when the experiment found one; the figures; and the command that reproduces it.

``report.md`` links the PNGs in ``figures/``; ``report.html`` embeds them as base64 data and its
style inline, so the one file can be mailed or archived alone. All text taken from the folder
(labels, names, the description, the command) is escaped in both.

Numbers have three significant digits; money and large counts have thousands separators;
shares (reach, the chance of a crisis) are percentages and their differences percentage points.
"""

from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path

import pandas as pd

from .experiment_folder import DELAY_KEY, FIGURES_DIR, STRATEGY_KEY, ExperimentFolder
from .metrics import METRICS, RECOVERY_TOLERANCE
from .results import write_text
from .text import clock_text, fmt, horizon_text, hours_text, interval_text, value_text

QUESTION = "How do the brand's strategy and its timing change the damage?"
KEY_METRICS = [
    "crisis",
    "final_reputation",
    "customer_reputation_loss_h",
    "recovered",
    "reach",
    "peak_posts",
    "churned",
    "revenue_lost",
]
NETWORKS = {
    "barabasi_albert": lambda n: f"Barabási–Albert, scale-free (m = {n.get('m', '?')})",
    "watts_strogatz": lambda n: (
        f"Watts–Strogatz small world (k = {n.get('k', '?')}, rewiring {n.get('rewire_p', '?')})"
    ),
    "erdos_renyi": lambda n: f"Erdős–Rényi random graph (mean degree {n.get('mean_degree', '?')})",
    "holme_kim": lambda n: (
        f"Holme–Kim, scale-free with clustering (m = {n.get('m', '?')}, triad chance {n.get('triad_p', '?')})"
    ),
    "stochastic_block": lambda n: (
        f"stochastic block model ({n.get('blocks', '?')} communities, mixing {n.get('mixing', '?')})"
    ),
    "well_mixed": lambda n: f"well mixed, no graph ({n.get('mean_degree', '?')} random readers per post)",
    "file": lambda n: f"edge-list file {n.get('path', '?')} ({'directed' if n.get('directed') else 'undirected'})",
}
FIGURE_CAPTIONS = {
    "over_time_reputation": "Reputation of the brand (mean opinion of all consumers) over time: per "
    "condition the median over runs (line), the 25–75% band and, when the per-run series are kept, each "
    "run as a thin line; dashed vertical lines mark each condition's median time of the brand's first action.",
    "over_time_posts": "Negative posts per hour over time: median over runs, 25–75% band and single runs "
    "(thin) per condition; dashed lines: median time of the brand's first action.",
    "over_time_churn": "Churned customers (cumulative) over time: median over runs, 25–75% band and "
    "single runs (thin) per condition; dashed lines: median time of the brand's first action.",
    "distribution": "Distribution of the experiment's main metric over runs, per condition (empirical "
    "cumulative distribution: the share of runs at or below each value); a step at zero, where there is "
    "one, is the runs in which nothing happened.",
    "response_timing": "The critical window's metric (by default the customers' reputation loss), revenue "
    "lost and peak negative posts against the response delay: per strategy the mean over runs and its 95% "
    "interval; the baseline as a dashed horizontal line with its interval; the critical window, where "
    "found, on the first panel.",
    "heatmap_final_reputation": "Mean final reputation over the grid of the two swept keys, one "
    "panel per strategy (the baseline excluded), on one colour scale.",
}
FIGURE_ORDER = list(FIGURE_CAPTIONS)
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:62rem;
margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1a1a1a}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.82rem;margin:.6rem 0 1.2rem;display:block;overflow-x:auto}
th,td{padding:.3rem .5rem;border-bottom:1px solid #e2e2e2;text-align:right;vertical-align:top}
th{background:#f4f4f4;font-weight:600}th:first-child,td:first-child{text-align:left}
td .ci{color:#666;font-size:.75rem;white-space:nowrap}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#444}
pre{background:#f6f6f6;padding:.7rem;overflow-x:auto}code{font-family:ui-monospace,Menlo,Consolas,monospace}
""".strip()


# -- the document as blocks, rendered twice ------------------------------------------------------
# ("h1"|"h2", text) | ("p", text) | ("ul", [text]) | ("table", caption, header, rows, name)
# | ("figure", path, caption) | ("code", text). A table cell is text or (value, interval).


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*<>|])", r"\\\1", str(text))


def _md_cell(cell) -> str:
    if isinstance(cell, tuple):
        return _md_escape(f"{cell[0]} {cell[1]}")
    return _md_escape(cell)


def to_markdown(blocks: list[tuple]) -> str:
    """The report's blocks as Markdown."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {_md_escape(block[1])}")
        elif kind == "h2":
            out.append(f"## {_md_escape(block[1])}")
        elif kind == "p":
            out.append(_md_escape(block[1]))
        elif kind == "ul":
            out.append("\n".join(f"- {_md_escape(item)}" for item in block[1]))
        elif kind == "table":
            _, caption, header, rows = block[:4]
            lines = [
                f"**{_md_escape(caption)}**",
                "",
                "| " + " | ".join(_md_escape(h) for h in header) + " |",
                "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
            ]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "figure":
            _, path, caption = block
            out.append(f"![{_md_escape(path.stem)}]({FIGURES_DIR}/{path.name})\n\n*{_md_escape(caption)}*")
        elif kind == "code":
            fence = "````" if "```" in block[1] else "```"
            out.append(f"{fence}bash\n{block[1]}\n{fence}")
    return "\n\n".join(out) + "\n"


def _h(text) -> str:
    return html.escape(str(text), quote=True)


def _html_cell(cell) -> str:
    if isinstance(cell, tuple):
        return f'{_h(cell[0])}<br><span class="ci">{_h(cell[1])}</span>'
    return _h(cell)


def to_html(blocks: list[tuple], title: str) -> str:
    """The report's blocks as a self-contained HTML page."""
    body = []
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2"):
            body.append(f"<{kind}>{_h(block[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_h(block[1])}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            _, caption, header, rows = block[:4]
            head = "".join(f"<th>{_h(h)}</th>" for h in header)
            trs = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(
                f"<p><strong>{_h(caption)}</strong></p>\n<table><thead><tr>{head}</tr></thead>"
                f"<tbody>{trs}</tbody></table>"
            )
        elif kind == "figure":
            _, path, caption = block
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            body.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{_h(path.stem)}">'
                f"<figcaption>{_h(caption)}</figcaption></figure>"
            )
        elif kind == "code":
            body.append(f"<pre><code>{_h(block[1])}</code></pre>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# -- content ----------------------------------------------------------------------------------


def _scenario_blocks(exp: ExperimentFolder) -> list[tuple]:
    sc = exp.scenario_table()
    sim, pop, net = sc.get("simulation", {}), sc.get("population", {}), sc.get("network", {})
    name = sc.get("name", exp.scenario)
    days = sim.get("days", exp.plan["days"])
    dt = sim.get("dt_hours", exp.plan["dt_hours"])
    kind = net.get("kind")
    items = [f"Name: {name}"]
    if sc.get("description"):
        items.append(f"Description: {sc['description']}")
    if pop.get("size") is not None:
        items.append(
            f"Population: {int(pop['size']):,d} consumers"
            + (
                f", {fmt(100 * pop['customer_share'], trailing=False)}% of them customers"
                if pop.get("customer_share") is not None
                else ""
            )
        )
    if kind:
        items.append(f"Network: {NETWORKS.get(kind, lambda n: kind)(net)}")
    complaint = sc.get("complaint", {})
    if complaint.get("placement"):
        n = complaint.get("complainants", 1)
        items.append(
            f"Complaint: {n} complainant{'s' if n != 1 else ''}, placed at "
            f"{'a hub' if complaint['placement'] == 'hub' else complaint['placement']}"
        )
    if days is not None:
        items.append(
            f"Horizon: {fmt(days, trailing=False)} days, one step = {fmt(dt, trailing=False)} h"
            if dt is not None
            else f"Horizon: {fmt(days, trailing=False)} days"
        )
    note = (
        "From scenario.toml in this folder, the base scenario: each condition changes the keys listed under Design."
        if sc
        else "No scenario.toml in this folder: the scenario is given by name only."
    )
    return [("h2", "Scenario"), ("ul", items), ("p", note)]


def _methods_blocks(exp: ExperimentFolder) -> list[tuple]:
    """A methods section for a paper, from the scenario, the plan and the model's ODD description."""
    from .results import versions

    sc = exp.scenario_table()
    sim, pop, net = sc.get("simulation", {}), sc.get("population", {}), sc.get("network", {})
    complaint = sc.get("complaint", {})
    installed = versions()
    version, mesa = installed["buzzsim"], installed["mesa"]
    kind = net.get("kind")
    parts = [
        f"We simulated the spread of a customer's complaint and the brand's response with buzzsim {version}, an "
        "agent-based model built on Mesa " + mesa + " and described following the ODD protocol (Grimm et al. "
        "2020) in the model's documentation (docs/ODD.md). Consumers are unaware, aware, angry (posting "
        "complaints), calmed or advocates of the brand; each holds an opinion of the brand in [-1, 1] that "
        "drifts back to their prior; complaints spread by complex contagion along follower links, attention "
        "fades, searchers find old complaints, and customers churn as their opinion falls."
    ]
    if pop.get("size") is not None and kind:
        parts.append(
            f"The population is {int(pop['size']):,d} consumers on a {NETWORKS.get(kind, lambda n: kind)(net)} "
            f"network; {fmt(100 * pop.get('customer_share', 0.3), trailing=False)}% are customers and the mean prior "
            f"opinion of the brand is {fmt(pop.get('prior_reputation', 0.3))} (standard deviation "
            f"{fmt(pop.get('opinion_spread', 0.3))})."
        )
    if complaint:
        n = complaint.get("complainants", 1)
        where = {"hub": "the best-followed consumers", "random": "random consumers", "node": "a given consumer"}
        parts.append(
            f"The buzz starts with {n} complainant{'s' if n != 1 else ''} placed at "
            f"{where.get(complaint.get('placement', 'random'), complaint.get('placement'))}."
        )
    if sim:
        parts.append(
            f"Each run covers {fmt(sim.get('days', exp.plan['days']), trailing=False)} days in steps of "
            f"{fmt(sim.get('dt_hours', exp.plan['dt_hours']), trailing=False)} h."
        )
    strategies = "; ".join(f"{s}: {exp.description(s) or s}" for s in exp.strategies)
    parts.append(f"The brand's strategies compared are ({exp.baseline} is the baseline): {strategies}.")
    parts.append(
        f"Each condition was run {exp.replications} times; replication r is seeded by child r of "
        f"SeedSequence({exp.seed}) in every condition (common random numbers), so differences between conditions "
        "are paired replication by replication."
    )
    stats = (
        "We report the mean over runs with its 95% t-interval, and the paired difference from the baseline "
        "(the condition minus the baseline with the same seed) with its 95% t-interval."
    )
    if DELAY_KEY in exp.vary:
        stats += (
            " The critical response window is the delay past which a response wins back less than half of what "
            "an immediate response wins back relative to ignoring (linear interpolation between the swept delays); "
            "its 95% interval is a bootstrap over replications, resampled jointly across conditions."
        )
    parts.append(stats)
    return [("h2", "Methods"), ("p", " ".join(parts[:3])), ("p", " ".join(parts[3:]))]


DESIGN_KEYS = {"name", "description", "seed", "replications", "strategies"}  # in the methods, not parameters


def changed_parameters(sc: dict) -> list[dict]:
    """Every parameter of a resolved scenario (scenario.toml) that differs from its default.

    Rows of `simulation.parameters.describe` (key, unit, default, meaning, source) with the value. A list
    entry (an amplifier, a brand.schedule action) is itself a change: its first key (the amplifier's name,
    the action) is always shown, so the entry is seen, and its other keys only where they differ from the
    entry's defaults (an added amplifier at its defaults is one row, not ten).
    """
    from .parameters import describe

    rows, known, first = [], {}, set()
    for r in describe():
        known[r["key"]] = r
        if "[]." in r["key"] and not any(f.rsplit(".", 1)[0] == r["key"].rsplit(".", 1)[0] for f in first):
            first.add(r["key"])  # the entry's identifying key: the first of its table
    flat = _flatten(sc)
    for key, value in flat.items():
        if key.split(".")[0] in DESIGN_KEYS:
            continue
        generic = re.sub(r"\.\d+\.", "[].", key)
        row = known.get(generic)
        if row is None or (row["default"] == value and generic not in first) or (isinstance(value, list) and not value):
            continue
        rows.append({**row, "key": key, "value": value})
    return rows


def _flatten(d, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v):
                out.update(_flatten(item, f"{key}.{i}."))
        else:
            out[key] = v
    return out


def _parameter_blocks(exp: ExperimentFolder) -> list[tuple]:
    rows = changed_parameters(exp.scenario_table())
    if not rows:
        return [("p", "Every parameter is at its default (docs/ODD.md, section 9).")]
    header = ["parameter", "value", "default", "unit", "source"]
    body = [[r["key"], value_text(r["value"]), value_text(r["default"]), r["unit"], r["source"]] for r in rows]
    caption = "Parameters that differ from the model's defaults (every other parameter: docs/ODD.md, section 9)"
    return [("table", caption, header, body, "parameters")]


def _design_blocks(exp: ExperimentFolder) -> list[tuple]:
    n_cond = len(exp.conditions)
    reps = exp.replications
    seed = exp.seed
    kind = {"compare": "comparison of strategies", "sweep": "sweep"}.get(exp.kind, exp.kind)
    strategies = ", ".join(f"{s} (baseline)" if s == exp.baseline else s for s in exp.strategies)
    items = [f"Kind: {kind}", f"Strategies: {strategies} (their schedules: Methods)"]
    for key, values in exp.vary.items():
        unit = " hours" if key == DELAY_KEY else ""
        items.append(f"Swept: {key} = {', '.join(value_text(v) for v in values)}{unit}")
    if DELAY_KEY in exp.vary:
        items.append(f"Response delays are counted {clock_text(exp.clock)}.")
    cond = exp.conditions
    if DELAY_KEY in exp.vary and DELAY_KEY in cond:
        base = cond[cond[STRATEGY_KEY].astype(str) == str(exp.baseline)]
        if len(base) and pd.to_numeric(base[DELAY_KEY], errors="coerce").isna().all():
            per = " per value of the other swept keys" if len(exp.vary) > 1 else ""
            items.append(f"The baseline ({exp.baseline}) never acts, so it is run once{per}, not once per delay.")
    failed = exp.failed_runs()
    runs = n_cond * reps
    left_out = "1 of which failed and is left out" if failed == 1 else f"{failed:,d} of which failed and are left out"
    items.append(
        f"Conditions: {n_cond}; replications: {reps} per condition ({runs:,d} runs"
        + (f", {left_out}; the errors are in summary.csv)" if failed else ")")
    )
    items.append(
        f"Paired seeds: replication r uses child r of SeedSequence({seed}) in every "
        "condition, so conditions differ only by their changes (common random numbers), "
        "and differences are paired replication by replication."
    )
    items.append(
        "Intervals: 95% t-intervals of the mean over runs (Wilson intervals for chances), and a "
        "percentile bootstrap of the mean where outcomes are split; paired differences are the "
        f"condition minus the baseline ({exp.baseline}) with the same other keys, and contrasts "
        "compare every pair of strategies replication by replication."
    )
    return [("h2", "Design"), ("ul", items)]


def _pct(metric_is_share: bool, v):
    return v * 100 if metric_is_share and pd.notna(v) else v


def _interval(lo, hi, sign=False) -> str:
    return f"[{fmt(lo, sign=sign)}, {fmt(hi, sign=sign)}]"


def _share_interval(share: bool, lo, hi) -> str:
    """The interval of a mean as shown.

    The interval of a mean, in percent for shares, clipped to 0–100% (a t-interval of a share near 0 or 1 can
    reach past them).
    """
    lo, hi = _pct(share, lo), _pct(share, hi)
    if share:
        lo, hi = (min(max(v, 0.0), 100.0) if pd.notna(v) else v for v in (lo, hi))
    return _interval(lo, hi)


def _mean_rows(exp: ExperimentFolder, ids, metrics, stats, counts, no_runs: str) -> list[list]:
    """Rows of a table of means: condition, its number of runs, then each metric's mean [interval]."""
    rows = []
    for c in ids:
        row = [exp.label(c), fmt(counts.loc[c, "n"], trailing=False) if c in counts.index else no_runs]
        for m, _, share in metrics:
            s = stats[m]
            if c not in s.index or pd.isna(s.loc[c, "mean"]):
                row.append("n/a")
                continue
            r = s.loc[c]
            row.append((fmt(_pct(share, r["mean"])), _share_interval(share, r["ci_low"], r["ci_high"])))
        rows.append(row)
    return rows


def _results_blocks(exp: ExperimentFolder) -> list[tuple]:
    blocks: list[tuple] = [("h2", "Results")]
    if exp.aggregate is None:
        return blocks + [("p", "No aggregate.csv in this folder: no results to report.")]
    metrics = [(m, METRICS[m].heading(exp.currency), METRICS[m].percent) for m in KEY_METRICS if len(exp.stat(m))]
    stats = {m: exp.stat(m).set_index("condition") for m, _, _ in metrics}
    n_stat = stats.get("final_reputation", next(iter(stats.values()), pd.DataFrame()))
    ids = exp.conditions["condition"].astype(int).tolist()

    header = ["condition", "runs"] + [h for _, h, _ in metrics]
    rows = _mean_rows(exp, ids, metrics, stats, n_stat, "n/a")
    blocks.append(
        (
            "table",
            "Mean over all runs [95% interval; intervals of percentages clipped to 0–100, of quantities that cannot be "
            "negative at 0]",
            header,
            rows,
            "means",
        )
    )
    blocks.append(
        (
            "p",
            "Chance of a crisis: the share of runs in which the brand's detection "
            "threshold was crossed. Reach: the share of consumers other than the "
            "complainants who heard of the complaint.",
        )
    )

    rows = []
    for c in ids:
        if exp.strategy_of(c) == exp.baseline:
            continue
        row = [exp.label(c)]
        for m, _, share in metrics:
            s = stats[m]
            if c not in s.index or pd.isna(s.loc[c, "diff_mean"]):
                row.append("n/a")
                continue
            r = s.loc[c]
            lo, hi = _pct(share, r["diff_low"]), _pct(share, r["diff_high"])
            if share:  # a difference of two shares lies within ±100 percentage points
                lo, hi = (min(max(v, -100.0), 100.0) if pd.notna(v) else v for v in (lo, hi))
            row.append((fmt(_pct(share, r["diff_mean"]), sign=True), _interval(lo, hi, sign=True)))
        rows.append(row)
    if rows:
        dheader = ["condition"] + [
            h.replace("(%)", "(percentage points)").replace("(% of consumers)", "(percentage points)")
            for _, h, _ in metrics
        ]
        blocks.append(
            (
                "table",
                f"Paired difference from the baseline ({exp.baseline}) "
                "[95% interval; intervals of percentage points clipped to ±100]; positive = more than under the "
                "baseline",
                dheader,
                rows,
                "differences",
            )
        )

    crisis_metrics = [(m, h, share) for m, h, share in metrics if m != "crisis" and len(exp.stat(m, "crisis"))]
    if crisis_metrics and same_runs(exp, "crisis"):
        blocks.append(("p", "Every run had a crisis: the damage given a crisis is the damage above."))
    elif crisis_metrics and not exp.stat(crisis_metrics[0][0], "crisis")["n"].any():
        blocks.append(("p", "No run had a crisis: there is no damage given a crisis to report."))
    elif crisis_metrics:
        cstats = {m: exp.stat(m, "crisis").set_index("condition") for m, _, _ in crisis_metrics}
        first = cstats[crisis_metrics[0][0]]
        header = ["condition", "runs with a crisis"] + [h for _, h, _ in crisis_metrics]
        rows = _mean_rows(exp, ids, crisis_metrics, cstats, first, "0")
        blocks.append(
            (
                "table",
                "Damage given a crisis: mean over the runs where the brand detected a crisis [95% interval]",
                header,
                rows,
                "damage_given_crisis",
            )
        )
    return blocks + _outcome_blocks(exp) + _contrast_blocks(exp) + _recovery_blocks(exp)


def same_runs(exp: ExperimentFolder, scope: str) -> bool:
    """Whether a subset of runs (a scope of aggregate.csv) is every run in every condition."""
    metric = exp.main_metric if exp.main_metric != scope else "final_reputation"
    every, subset = exp.stat(metric), exp.stat(metric, scope)
    if not len(subset):
        return False
    n = subset.set_index("condition")["n"].reindex(every["condition"]).fillna(0).to_numpy()
    return bool((n == every["n"].to_numpy()).all())


def _outcome_blocks(exp: ExperimentFolder) -> list[tuple]:
    """Split outcomes: the chance of a firestorm, and the main metric's distribution beside its mean."""
    main = exp.main_metric
    stat, fire = exp.stat(main).set_index("condition"), exp.stat("firestorm").set_index("condition")
    if not len(stat) or not len(fire):
        return []
    m = METRICS[main]
    given = exp.stat(main, "firestorm").set_index("condition")
    split = not same_runs(exp, "firestorm")
    reach = float(exp.scenario_table().get("analysis", {}).get("firestorm_reach", 0.01))
    header = [
        "condition",
        "runs",
        "firestorms (%) [95%]",
        "mean [bootstrap 95%]",
        "median [25–75%]",
    ] + (["firestorms", "mean given a firestorm [95%]"] if split else [])
    rows = []
    for c in exp.conditions["condition"].astype(int):
        if c not in stat.index or not stat.loc[c, "n"]:
            continue
        r, f = stat.loc[c], fire.loc[c]
        row = [
            exp.label(c),
            fmt(r["n"], trailing=False),
            (fmt(100 * f["mean"]), _share_interval(True, f["ci_low"], f["ci_high"])),
            (fmt(_pct(m.percent, r["mean"])), _share_interval(m.percent, r["boot_low"], r["boot_high"])),
            (fmt(_pct(m.percent, r["median"])), _interval(_pct(m.percent, r["q25"]), _pct(m.percent, r["q75"]))),
        ]
        if split:
            g = given.loc[c] if c in given.index else None
            n = int(g["n"]) if g is not None else 0
            row.append(fmt(n, trailing=False))
            row.append(
                (fmt(_pct(m.percent, g["mean"])), _share_interval(m.percent, g["ci_low"], g["ci_high"])) if n else "n/a"
            )
        rows.append(row)
    caption = (
        f"Outcomes: the chance of a firestorm (reach by the complaint above {reach:.0%} of the consumers; Wilson "
        f"interval) and the {m.heading(exp.currency)} per run — its mean with a bootstrap interval, its median "
        "with the middle half of the runs"
        + (", and its mean over the firestorms alone" if split else "; every run was a firestorm")
    )
    return [("table", caption, header, rows, "outcomes")]


def _contrast_blocks(exp: ExperimentFolder) -> list[tuple]:
    """Every pair of strategies within each cell, on the main metric (contrasts.csv)."""
    con = exp.contrasts
    main = exp.main_metric
    if con is None or not len(con) or main not in METRICS:
        return []
    con = con[con["metric"] == main]
    m = METRICS[main]
    keys = [k for k in exp.vary if k in con]
    header = ["A vs B"] + [
        f"difference A − B ({m.unit})" if m.unit not in ("-", "") else "difference A − B",
        "effect size (mean / SD of differences)",
        "P(A better than B) [95%]",
        "replications for ± δ",
    ]
    rows = []
    for _, r in con.iterrows():
        where = ", ".join(f"{k}={value_text(r[k])}" for k in keys if pd.notna(r[k]))
        name = f"{r['strategy_a']} vs {r['strategy_b']}" + (f" ({where})" if where else "")
        rows.append(
            [
                name,
                (
                    fmt(_pct(m.percent, r["diff_mean"]), sign=True),
                    _interval(_pct(m.percent, r["diff_low"]), _pct(m.percent, r["diff_high"]), sign=True),
                ),
                fmt(r["effect_size"], sign=True),
                (fmt(100 * r["p_a_better"]) + "%", _share_interval(True, r["p_low"], r["p_high"])),
                fmt(r["replications_needed"], trailing=False),
            ]
        )
    deltas = con["resolve"].dropna().unique()
    given = exp.plan.get("resolve")
    delta = (
        f"{fmt(given)} (--resolve)"
        if given is not None
        else "10% of the baseline's mean in each cell" + (f" ({fmt(deltas[0])})" if len(deltas) == 1 else "")
    )
    caption = (
        f"Contrasts on the {m.label}, every pair of strategies paired by replication: the mean difference "
        f"[95% t interval], and the chance that A does better than B in the same replication ({m.better} is "
        f"better; ties count half) [Wilson interval]; replications: how many paired runs would give the "
        f"difference a 95% interval of ± δ, δ = {delta}, from the observed paired variance (this experiment ran "
        f"{exp.replications})"
    )
    return [("table", caption, header, rows, "contrasts")]


def _horizon_blocks(exp: ExperimentFolder) -> list[tuple]:
    """How the critical windows moved when the horizon was doubled (--horizon-check)."""
    h = exp.horizon
    if h is None or not len(h):
        return []
    items = []
    for _, r in h.iterrows():
        others = [k for k in exp.vary if k in r and k != str(r["key"])]
        name = ", ".join([str(r["strategy"])] + [f"{k}={value_text(r[k])}" for k in others])
        items.append(f"{name}: {horizon_text(r)}.")
    short = _unrecovered(exp)
    longest = float(h["days_long"].max())
    needed = _needed_horizon(exp, short)[2] / 24 if len(short) else 0.0
    if needed > longest:
        items.append(
            f"The longer horizon ({hours_text(longest)} days) is still shorter than the {hours_text(needed)} days "
            "the losses need to complete (the warning above): a window that moved may move again at a longer one."
        )
    return [
        ("h2", "Horizon check"),
        (
            "p",
            "Every condition was run again on the same seeds with a longer horizon, and its critical window "
            "found again; a window that moves with the horizon depends on when the runs stop, not only on "
            "when the brand responds.",
        ),
        ("ul", items),
    ]


NOT_RECOVERED_FLAG = 0.2  # a condition with more runs than this share unrecovered at the horizon is flagged


def _unrecovered(exp: ExperimentFolder) -> pd.DataFrame:
    """The aggregate rows of `recovered` for conditions with more than NOT_RECOVERED_FLAG of runs unrecovered."""
    rec = exp.stat("recovered")
    return rec[1 - rec["mean"] > NOT_RECOVERED_FLAG] if len(rec) else rec


def _needed_horizon(exp: ExperimentFolder, short: pd.DataFrame) -> tuple[float, float, float]:
    """(drift half-life h, half-lives to recover, hours needed) for the losses of `short`'s conditions to complete."""
    drift = float(exp.scenario_table().get("spread", {}).get("drift_half_life_h", 720.0))
    halvings = math.log2(1 / RECOVERY_TOLERANCE)  # from the largest drop back to the tolerance
    peak = exp.stat("time_to_peak_h").set_index("condition")["mean"]
    return drift, halvings, max(float(peak.get(c, 0.0)) for c in short["condition"]) + halvings * drift


def _recovery_blocks(exp: ExperimentFolder) -> list[tuple]:
    """A warning when the loss measures are cut short: many runs not recovered by the horizon."""
    rec = exp.stat("recovered")
    short = _unrecovered(exp)
    if not len(short):
        return []
    drift, halvings, needed = _needed_horizon(exp, short)
    if len(short) == len(rec):
        lo, hi = 1 - short["mean"].max(), 1 - short["mean"].min()
        share = f"{lo:.0%}" if round(lo, 2) == round(hi, 2) else f"{lo:.0%}–{hi:.0%}"
        where = f"in every condition {share} of the runs had not recovered by the horizon"
    else:
        names = "; ".join(f"{exp.label(int(c))} ({1 - m:.0%})" for c, m in zip(short["condition"], short["mean"]))
        where = (
            f"in these conditions more than {NOT_RECOVERED_FLAG:.0%} of the runs had not recovered by the horizon "
            f"({names})"
        )
    return [
        (
            "p",
            f"Warning: {where}, so their reputation losses and recovery times are cut short. Opinions drift back "
            f"with a half-life of {hours_text(drift)} h, and recovery to within {RECOVERY_TOLERANCE:.0%} of the "
            f"largest drop takes about {halvings:.1f} half-lives after the peak: a horizon of at least "
            f"{hours_text(needed / 24)} days (simulation.days) would let the losses complete.",
        )
    ]


def critical_sentences(exp: ExperimentFolder) -> list[str]:
    """One sentence per row of critical_window.csv (none when the file is absent)."""
    crit = exp.critical
    if crit is None or not len(crit):
        return []
    out = []
    for _, row in crit.iterrows():
        name = str(row["metric"])
        metric = METRICS[name].label if name in METRICS else name.replace("_", " ")
        clock = clock_text(str(row.get("clock", exp.clock)))
        status = row["status"]
        s = ", ".join(
            [str(row["strategy"])] + [f"{k}={value_text(row[k])}" for k in exp.vary if k != DELAY_KEY and k in row]
        )
        unit = {
            "revenue_lost": f" {exp.currency}",
            "response_cost": f" {exp.currency}",
            "peak_posts": " posts per hour",
        }.get(str(row["metric"]), "")
        gain = fmt(row.get("immediate_gain"), sign=True) + unit
        found = row.get("bootstrap_found_share")
        share = f"; {found:.0%} of the bootstrap resamples have a window" if pd.notna(found) else ""
        if status == "found":
            if int(row.get("ci_open", 0) or 0):
                ci = f" (95% CI from {hours_text(row['ci_low'])} h to beyond the swept delays{share})"
            else:
                ci = interval_text(row.get("ci_low"), row.get("ci_high"))
                ci = f" ({ci}{share})" if ci else ""
            lower = METRICS[name].better == "lower" if name in METRICS else False
            effect = (
                f"reduces the {metric} by {fmt(abs(float(row.get('immediate_gain'))))}{unit}"
                if lower
                else f"improves the {metric} by {gain}"
            )
            out.append(
                f"{s}: the critical window for the {metric} is about "
                f"{hours_text(row['critical_delay_h'])} h {clock}{ci}; an immediate "
                f"response {effect} relative to ignoring."
            )
        elif status == "beyond_range":
            top = max((float(v) for v in exp.vary.get(DELAY_KEY, [])), default=float("nan"))
            out.append(
                f"{s}: for the {metric}, a response still wins back at least half of the "
                f"immediate gain ({gain}) at every swept delay, up to {hours_text(top)} h "
                f"{clock}: the critical window lies beyond the swept range"
                + (f" (only {found:.0%} of the bootstrap resamples find one within it)." if found else ".")
            )
        elif status == "no_gain":
            out.append(
                f"{s}: for the {metric}, an immediate response gains nothing over ignoring "
                f"(immediate gain {gain}), so there is no critical window."
            )
        else:
            out.append(f"{s}: critical window for the {metric}: {status}.")
        smallest = row.get("smallest_delay_h")
        if pd.notna(smallest) and float(smallest) > 0:
            out.append(
                f"Note: the smallest swept delay is {hours_text(smallest)} h, not 0: the window is measured "
                "against a response at that delay, not an immediate one."
            )
        if int(row.get("rising", 0) or 0):
            out.append(f"Warning: a later response does better than an earlier one ({row['rising_at']}).")
    return out


def _figure_paths(exp: ExperimentFolder) -> list[Path]:
    """The folder's figures (drawn before the report), in the order of FIGURE_CAPTIONS."""
    rank = {stem: i for i, stem in enumerate(FIGURE_ORDER)}
    return sorted(exp.figures(), key=lambda p: (rank.get(p.stem, len(rank)), p.name))


def report_blocks(exp: ExperimentFolder) -> tuple[str, list[tuple]]:
    """(title, blocks) of the report."""
    kind = {"compare": "strategy comparison", "sweep": "response sweep"}.get(exp.kind, exp.kind)
    title = f"Bad-buzz experiment: {kind}, scenario {exp.scenario}"
    question = QUESTION if exp.kind == "sweep" else "How does the brand's strategy change the damage?"
    blocks: list[tuple] = [("h1", title), ("h2", "Question"), ("p", question)]
    blocks += _methods_blocks(exp)
    blocks += _scenario_blocks(exp)
    blocks += _parameter_blocks(exp)
    blocks += _design_blocks(exp)
    blocks += _results_blocks(exp)
    sentences = critical_sentences(exp)
    if sentences:
        blocks += [
            ("h2", "Critical window"),
            (
                "p",
                "The critical window is the response delay beyond which the remedy wins "
                "back less than half of what an immediate remedy wins back relative to "
                "ignoring.",
            ),
        ]
        blocks += [("p", s) for s in sentences]
    blocks += _horizon_blocks(exp)
    figures = _figure_paths(exp)
    if figures:
        blocks.append(("h2", "Figures"))
        blocks += [("figure", p, FIGURE_CAPTIONS.get(p.stem, p.stem.replace("_", " "))) for p in figures]
    blocks += [
        ("h2", "Reproduce"),
        (
            "p",
            "From the folder the experiment was run from (the same seed gives the same runs, so the same numbers, "
            "whatever the number of workers):",
        ),
        ("code", wrapped_command(exp.command)),
    ]
    return title, blocks


def wrapped_command(command: str, width: int = 88) -> str:
    """A shell command on lines of about `width` characters, an option kept with its value."""
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        return command
    groups: list[str] = []
    for word in words:
        if groups and not word.startswith("-") and groups[-1].startswith("-") and " " not in groups[-1]:
            groups[-1] += " " + shlex.quote(word)
        else:
            groups.append(shlex.quote(word))
    lines = [groups[0]]
    for group in groups[1:]:
        if len(lines[-1]) + 1 + len(group) > width:
            lines[-1] += " \\"
            lines.append("    " + group)
        else:
            lines[-1] += " " + group
    return "\n".join(lines)


def write_report(folder: str | Path) -> tuple[Path, Path]:
    """Write ``report.md``, ``report.html`` and ``tables/NAME.csv|.tex`` into the experiment folder.

    Returns the paths of the two reports.

    The report shows the figures already in ``figures/`` (the command line draws them first,
    :func:`simulation.experiment_plots.all_figures`).
    """
    from .tables import write_tables

    exp = ExperimentFolder.load(folder)
    title, blocks = report_blocks(exp)
    md, page = write_pages(exp.folder, title, blocks)
    write_tables(exp.folder, [(b[4], b[1], b[2], b[3]) for b in blocks if b[0] == "table" and len(b) > 4])
    return md, page


def write_pages(folder: Path, title: str, blocks: list[tuple]) -> tuple[Path, Path]:
    """Write a report's blocks as ``report.md`` and ``report.html`` in a folder (each atomically)."""
    md, page = Path(folder) / "report.md", Path(folder) / "report.html"
    write_text(md, to_markdown(blocks))
    write_text(page, to_html(blocks, title))
    return md, page
