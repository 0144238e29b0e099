"""Tables of the documentation, generated from the code so that they never drift from it.

A generated block in a Markdown file sits between the two marker lines::

    <!-- generated: NAME (python -m simulation.docs); do not edit by hand -->
    ...
    <!-- end generated: NAME -->

where NAME is a key of :data:`GENERATORS`, or ``envelope_CASE`` for a case's envelope.
``python -m simulation.docs`` rewrites every block of :data:`DOCUMENTS`; a test checks that none is
stale. The validation tables come from `check-model`'s own record, :data:`VALIDATION_RECORD`
(written by ``python run.py check-model --update-docs``; the slow tests check that every measured
value in it is what the checks measure today).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from .perf_docs import performance_section  # the README's Performance tables, from benchmarks/results/

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (
    ROOT / "scenarios" / "README.md",
    ROOT / "docs" / "ODD.md",
    ROOT / "README.md",
    ROOT / "docs" / "cases.md",
    ROOT / "docs" / "calibration.md",
)
VALIDATION_RECORD = ROOT / "docs" / "validation.json"
_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[a-z_0-9]+) \(python -m simulation\.docs\); do not edit by hand -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- end generated: (?P=name) -->)",
    re.DOTALL,
)


def _cell(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if value == []:
        return "[]"
    return f"{value}"


def parameters_table() -> str:
    """Every scenario key: unit, default, allowed values, meaning and source."""
    from .parameters import describe

    lines = [
        "| key | unit | default | allowed | meaning | source | plausible range (sensitivity) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in describe():
        lines.append(
            f"| `{r['key']}` | {r['unit']} | {_cell(r['default'])} | {r['allowed']} | {r['meaning']} | {r['source']} "
            f"| {r['plausible'] or '-'} |"
        )
    return "\n".join(lines) + "\n"


def actions_table() -> str:
    """Every brand action: what it does, whether it ends the silence, and how its answer travels."""
    from .actions import ACTIONS

    lines = ["| action | what it does | ends the silence | its answer |", "|---|---|---|---|"]
    for name, a in ACTIONS.items():
        travels = (
            "calms; passed on by calmed readers and advocates"
            if a.supportive
            else "provokes; passed on by angry readers"
        )
        lines.append(f"| `{name}` | {a.description} | {'yes' if a.breaks_silence else 'no'} | {travels} |")
    return "\n".join(lines) + "\n"


def strategies_table() -> str:
    """Every named strategy (preset) and its schedule in words."""
    from .strategies import STRATEGY_NAMES, describe_strategy

    lines = ["| strategy | schedule |", "|---|---|"]
    lines += [f"| `{name}` | {describe_strategy(name)} |" for name in STRATEGY_NAMES]
    return "\n".join(lines) + "\n"


def record_validation(checks, wall_seconds: float) -> list[Path]:
    """Write check-model's results to :data:`VALIDATION_RECORD` and regenerate the documents."""
    import json
    import os

    from .results import versions, write_text

    keep = ("key", "fact", "quantity", "expected", "measured", "passed", "basis", "source", "seconds")
    record = {
        "wall_seconds": round(wall_seconds, 1),
        "cores": os.cpu_count(),
        "versions": {k: v for k, v in versions().items() if k != "platform"},
        "checks": [{k: v for k, v in c.row().items() if k in keep} for c in checks],
    }
    write_text(VALIDATION_RECORD, json.dumps(record, indent=2) + "\n")
    return [VALIDATION_RECORD, *update()]


def validation_summary() -> str:
    """How long the recorded full run took, and the budgets."""
    import json

    if not VALIDATION_RECORD.is_file():
        return "*Not recorded yet: run `python run.py check-model --update-docs`.*\n"
    rec = json.loads(VALIDATION_RECORD.read_text(encoding="utf-8"))
    n, ok = len(rec["checks"]), sum(c["passed"] for c in rec["checks"])
    return (
        f"{ok} of {n} checks pass. The full run took {rec['wall_seconds'] / 60:.1f} minutes on {rec['cores']} cores "
        "(budget: under 10 minutes; `--quick`, fewer replications, under a minute).\n"
    )


def validation_records() -> dict[str, dict]:
    """check-model's recorded results, by key (empty if never recorded)."""
    import json

    if not VALIDATION_RECORD.is_file():
        return {}
    return {r["key"]: r for r in json.loads(VALIDATION_RECORD.read_text(encoding="utf-8"))["checks"]}


def _md(text) -> str:
    return str(text).replace("|", "\\|")


def validation_table() -> str:
    """Every check of check-model as recorded: expected, measured, result."""
    lines = ["| check | expected | measured | |", "|---|---|---|---|"]
    for key, r in validation_records().items():
        label = r["fact"] if not key[0].isdigit() else f"{key}. {r['fact']}"
        lines.append(
            f"| {_md(label)} | {_md(r['expected'])} | {_md(r['measured'])} | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return "\n".join(lines) + "\n"


def envelope_block(case: str) -> str:
    """A case's envelope and what check-model measured, for docs/cases.md."""
    r = validation_records().get(case)
    conv = validation_records().get(f"dt:{case}")
    if r is None:
        return "*Not measured yet: run `python run.py check-model --update-docs`.*\n"
    lines = [
        f"- **Envelope** ({r['quantity']}): {r['expected']}.",
        f"- **Measured**: {r['measured']} — **{'inside' if r['passed'] else 'OUTSIDE'}**.",
    ]
    if conv is not None:
        lines.append(f"- **Step size**: {conv['measured']} — **{'converged' if conv['passed'] else 'NOT converged'}**.")
    return "\n".join(lines) + "\n"


PORSCHE_WINDOW = ROOT / "docs" / "figures" / "porsche_critical_window.csv"


def porsche_window() -> str:
    """The README's sentence on the Porsche sweep's critical window (from its critical_window.csv)."""
    import pandas as pd

    from .metrics import METRICS
    from .text import hours_text

    if not PORSCHE_WINDOW.is_file():
        return "*Not measured yet: run `python docs/make_figures.py timing`.*\n"
    row = pd.read_csv(PORSCHE_WINDOW).iloc[0]
    metric = METRICS[row["metric"]].label if row["metric"] in METRICS else str(row["metric"])
    share = f"{row['bootstrap_found_share']:.0%} of the bootstrap resamples found a window within the swept delays"
    if row["status"] != "found":
        return (
            f"Measured on the {metric}, the remedy keeps at least half of what an immediate one wins back at every "
            f"swept delay ({row['status'].replace('_', ' ')}; {share}).\n"
        )
    crit = float(row["critical_delay_h"])
    if int(row.get("ci_open", 0) or 0):
        ci = f"95% CI from {hours_text(row['ci_low'])} h to beyond the swept delays"
    elif pd.notna(row["ci_low"]) and pd.notna(row["ci_high"]):
        ci = f"95% CI {hours_text(row['ci_low'])}–{hours_text(row['ci_high'])} h"
    else:
        ci = "its bootstrap interval not closed within the swept delays"
    return (
        f"Every extra day of silence costs: the remedy wins back less, and past about {hours_text(crit)} hours "
        f"({hours_text(crit / 24)} days; {ci}) it wins back less than half of what an immediate remedy does "
        f"({metric}; {share}). The brand in the real case answered at day 60.{porsche_horizon()}\n"
    )


PORSCHE_HORIZON = ROOT / "docs" / "figures" / "porsche_horizon_check.csv"


def porsche_horizon() -> str:
    """The README's sentence on how the Porsche window moved in the horizon check ('' if not measured)."""
    import pandas as pd

    from .text import horizon_text

    if not PORSCHE_HORIZON.is_file():
        return ""
    row = pd.read_csv(PORSCHE_HORIZON).iloc[0]
    return f" The same runs at twice the horizon (`--horizon-check`): {horizon_text(row)}."


SENSITIVITY_STEM = ROOT / "docs" / "figures" / "default_sensitivity"


def default_sensitivity() -> str:
    """The README's paragraph on the Morris screening of the default scenario (from its tables)."""
    import json

    import pandas as pd

    from .metrics import METRICS
    from .text import fmt

    study_path = SENSITIVITY_STEM.with_suffix(".json")
    if not study_path.is_file():
        return "*Not measured yet: run `python docs/make_figures.py sensitivity`.*\n"
    study = json.loads(study_path.read_text())
    sens = pd.read_csv(f"{SENSITIVITY_STEM}_sensitivity.csv", keep_default_na=False, na_values=[""])
    rob = pd.read_csv(f"{SENSITIVITY_STEM}_robustness.csv")
    noise = pd.read_csv(f"{SENSITIVITY_STEM}_noise.csv", keep_default_na=False, na_values=[""])
    points = len(pd.read_csv(f"{SENSITIVITY_STEM}_samples.csv"))
    other = [s for s in study["strategies"] if s != study["baseline"]][0]
    target = f"{other} - {study['baseline']}"
    metric = study["metrics"][0]
    runs = points * len(study["strategies"]) * study["replications"]
    text = (
        f"Morris screening of the {len(study['factors'])} assumed parameters over their plausible ranges "
        f"({study['n']} trajectories, {points} points, {study['replications']} paired replications of "
        f"{' and '.join(study['strategies'])} at each: {runs:,} runs). "
    )

    def on(m: str) -> str:  # "on the peak negative posts", "on how far the complaint spread"
        words = METRICS[m].label
        return f"on {words}" if words.startswith(("how ", "what ")) else f"on the {words}"

    wins = []
    for m, r in rob.groupby("metric", sort=False):
        o = r.set_index("option").loc[other]
        never = ", never worse" if o.worst_regret == 0 else f", worse by up to {fmt(o.worst_regret)}"
        clear = f" (by more than chance at {o.clear_share:.0%})" if "clear_share" in r else ""
        wins.append(f"{on(m)}, better at {o.best_alone_share:.0%}{clear} and tied at {o.tie_share:.0%}{never}")
    text += (
        f"Against {study['baseline']}, {other} does, "
        + "; ".join(wins)
        + " (a tie: the same value, as where the buzz dies out before the brand acts). "
    )
    r = sens[(sens.target == target) & (sens.metric == metric)].sort_values("mu_star", ascending=False)
    top = [f"`{p.parameter}` (mu* {fmt(p.mu_star)} ± {fmt(p.mu_star_conf)})" for p in r.head(3).itertuples()]
    text += f"What {other} saves {on(metric)} (against {study['baseline']}) depends most on " + ", ".join(top)
    text += (
        " — mu* being the mean absolute change of the saving, in the metric's units, as the parameter moves over"
        " its range"
    )
    zero = r[r.mu_star == 0].parameter.tolist()
    if zero:
        text += f"; it does not depend at all on {', '.join(f'`{z}`' for z in zero)}"
    n = noise[(noise.target == target) & (noise.metric == metric)]
    if len(n):
        share = n.noise_share_means.iloc[0]
        text += f". Chance (the replications) is {share:.0%} of the variance of that saving across points"
    return text + ".\n"


CALIBRATION_STEM = ROOT / "docs" / "figures" / "calibration"
EXAMPLES_SCRIPT = ROOT / "data" / "examples" / "make_examples.py"
# A published magnitude to check the fitted scale against: #boicottabarilla, 26 September 2013 (a boycott
# over the chairman's remarks on a radio show, not a service failure), counted live by Franz Russo's blog.
BARILLA = {"tweets": 46_300, "peak_per_h": 7_461, "peak_hour": "14:00"}
_NOT_YET = "*Not measured yet: run `python docs/make_figures.py calibration`.*\n"


def _calibration_tables():
    import json

    import pandas as pd

    path = Path(f"{CALIBRATION_STEM}_posterior_summary.csv")
    if not path.is_file():
        return None
    diag = json.loads(Path(f"{CALIBRATION_STEM}_diagnostics.json").read_text())
    return pd.read_csv(path), diag


def example_truth() -> dict[str, float]:
    """The values the shipped synthetic example was made with: the default scenario's, and its capture."""
    import importlib.util

    from .calibrate import CAPTURE
    from .scenario import load_scenario

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sc = load_scenario(module.SCENARIO)
    truth = {}
    for key in ("spread.anger_dose", "attention.novelty_half_life_h"):
        section, name = key.split(".")
        truth[key] = float(getattr(getattr(sc, section), name))
    truth[CAPTURE] = float(module.CAPTURE)
    return truth


def calibration_recovery() -> str:
    """docs/calibration.md's table: the synthetic example's known values against the posterior."""
    from .text import fmt

    tables = _calibration_tables()
    if tables is None:
        return _NOT_YET
    summary, diag = tables
    truth = example_truth()
    lines = [
        "| parameter | value the data were made with | posterior median | 90% interval | prior | informed |",
        "|---|---:|---:|---:|---:|---|",
    ]
    inside = []
    for r in summary.itertuples():
        t = truth.get(r.key)
        if t is not None:
            inside.append((r.key, r.q05 <= t <= r.q95))
        lines.append(
            f"| `{r.key}` | {fmt(t) if t is not None else '-'} | {fmt(r.median)} | {fmt(r.q05)} to {fmt(r.q95)} | "
            f"{fmt(r.prior_low)} to {fmt(r.prior_high)} ({r.scale}) | {'yes' if r.informed else 'no'} |"
        )
    missed = [k for k, ok in inside if not ok]
    gens = diag["generations"]
    text = "\n".join(lines) + "\n\n"
    text += (
        f"{diag['simulations']:,} simulations in {len(gens)} generations of {diag['particles']} particles "
        f"(final threshold {fmt(gens[-1]['epsilon'])}, effective sample size {gens[-1]['ess']:.0f}). "
    )
    text += (
        "Every 90% interval contains the value the data were made with."
        if not missed
        else f"The 90% interval of {', '.join(f'`{k}`' for k in missed)} misses the value the data were made with."
    )
    return text + "\n"


def calibration_coverage() -> str:
    """docs/calibration.md's sentence on the coverage of the 90% intervals over synthetic buzzes."""
    import pandas as pd

    path = Path(f"{CALIBRATION_STEM}_coverage.csv")
    if not path.is_file():
        return "*Not measured yet: run `python docs/make_figures.py coverage`.*\n"
    t = pd.read_csv(path)
    r0 = t.iloc[0]
    parts = [
        f"`{r.parameter}` in {r.coverage:.0%} of them (95% CI {r.low:.0%}–{r.high:.0%}; the interval spans "
        f"{r.interval_share:.0%} of the prior range on average)"
        for r in t.itertuples()
    ]
    return (
        f"Over {r0.trials} synthetic buzzes ({r0.particles} particles, {r0.budget:,} simulations each), the 90% "
        "intervals held the values the data were made with: " + "; ".join(parts) + ".\n"
    )


def calibration_scale() -> str:
    """docs/calibration.md's check of the fitted scale against a published magnitude (Barilla 2013)."""
    import pandas as pd

    from .text import fmt

    path = Path(f"{CALIBRATION_STEM}_scale.csv")
    tables = _calibration_tables()
    if tables is None or not path.is_file():
        return _NOT_YET
    summary, _ = tables
    scale = pd.read_csv(path)
    peak, day = scale.peak_posts_per_h.median(), scale.first_day_posts.median()
    capture = summary.set_index("key").loc["capture_fraction"]
    share_model = (scale.peak_posts_per_h / scale.first_day_posts).median()
    share_real = BARILLA["peak_per_h"] / BARILLA["tweets"]
    need = BARILLA["peak_per_h"] / peak
    return (
        f"The calibrated scenario ({scale.population.iloc[0]:,} consumers), run {len(scale)} times, peaks at a "
        f"median of {fmt(peak)} negative posts in its busiest hour and {fmt(day)} in its first day; a listening "
        f"tool with the fitted capture fraction ({fmt(capture['median'])}) would count about "
        f"{fmt(capture['median'] * peak)} mentions in that hour. The Barilla boycott's busiest hour had "
        f"{BARILLA['peak_per_h']:,} tweets: to reach it, each simulated post would have to stand for about "
        f"{fmt(need)} tweets, a capture fraction {fmt(need / capture['median'])} times the fitted one — that "
        f"case's market is far larger than this {scale.population.iloc[0]:,}-consumer sample, and a scenario fitted "
        "to it needs a larger "
        "`population.size` or a capture fraction well above 1 (each simulated consumer standing for many real "
        f"ones). The shape, which does not depend on scale, is closer: the busiest hour holds {share_model:.0%} "
        f"of the model's first-day posts (median), against {share_real:.0%} of the {BARILLA['tweets']:,} tweets "
        "counted by the afternoon of Barilla's first day — a count that stops at the time of writing, so the "
        "share of its whole first day was smaller, and the two are comparable in order of magnitude only.\n"
    )


def calibration_readme() -> str:
    """The README's sentence on the calibration of the shipped synthetic example."""
    from .text import fmt

    tables = _calibration_tables()
    if tables is None:
        return _NOT_YET
    summary, diag = tables
    truth = example_truth()
    parts = []
    for r in summary.itertuples():
        t = truth.get(r.key)
        parts.append(
            f"`{r.key}` {fmt(r.median)} (90% interval {fmt(r.q05)}–{fmt(r.q95)}; made with {fmt(t)}"
            f"{'' if r.informed else ', not informed by the data'})"
        )
    return f"Fitted to the shipped synthetic example ({diag['simulations']:,} simulations): " + "; ".join(parts) + ".\n"


FORECAST_STEM = ROOT / "docs" / "figures" / "forecast"


def forecast_readme() -> str:
    """The README's sentence on the forecast of the shipped live buzz (from its tables)."""
    import json

    import pandas as pd

    from .forecast_report import key_pair, oriented, words
    from .metrics import METRICS
    from .text import fmt

    if not Path(f"{FORECAST_STEM}.json").is_file():
        return "*Not measured yet: run `python docs/make_figures.py forecast`.*\n"
    settings = json.loads(Path(f"{FORECAST_STEM}.json").read_text())
    summary = pd.read_csv(f"{FORECAST_STEM}_summary.csv")
    diff = pd.read_csv(f"{FORECAST_STEM}_differences.csv")
    unc = pd.read_csv(f"{FORECAST_STEM}_uncertainty.csv")
    main = settings["metrics"][0]
    label = METRICS[main].label
    parts = []
    for b in settings["branches"]:
        r = summary[(summary.strategy == b) & (summary.metric == main)].iloc[0]
        parts.append(f"{words(b)} {fmt(r['mean'])} (5–95% of runs: {fmt(r.q05)} to {fmt(r.q95)})")
    text = (
        f"From the first {settings['until_h']:g} hours of the shipped live buzz (synthetic), {settings['draws']} "
        f"posterior draws × {settings['replications']} runs per response, the {label} is: " + "; ".join(parts) + "."
    )
    pair = key_pair(settings["branches"])
    if pair:
        a, b = pair
        for _, d, lo, hi, p in oriented(diff, a, b, [main]):
            text += (
                f" Responding with {words(a).removesuffix(' now')} now rather than in {b.partition('@')[2]} h "
                f"changes it by {fmt(d)} (95% interval over draws {fmt(lo)} to {fmt(hi)}; better in {p:.0%} of "
                "paired runs, ties counting half)."
            )
    u = unc[(unc.metric == main) & (unc.strategy == settings["branches"][0])]
    if len(u) and pd.notna(u.share_parameters.iloc[0]):
        text += (
            f" Of the spread under {words(settings['branches'][0])}, {u.share_parameters.iloc[0]:.0%} comes from "
            "the parameters (what more data can narrow) and the rest from chance."
        )
    return text + "\n"


def metrics_table() -> str:
    """Every per-run metric of the registry: unit, which direction is better, definition."""
    from .metrics import METRICS

    lines = ["| metric | unit | better | definition |", "|---|---|---|---|"]
    for m in METRICS.values():
        kind = " (0/1)" if m.binary else ""
        lines.append(f"| `{m.name}` | {m.unit}{kind} | {m.better or '-'} | {m.definition} |")
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "parameters": parameters_table,
    "metrics": metrics_table,
    "actions": actions_table,
    "strategies": strategies_table,
    "validation": validation_table,
    "validation_summary": validation_summary,
    "porsche_window": porsche_window,
    "default_sensitivity": default_sensitivity,
    "calibration_recovery": calibration_recovery,
    "calibration_scale": calibration_scale,
    "calibration_coverage": calibration_coverage,
    "calibration_readme": calibration_readme,
    "forecast_readme": forecast_readme,
    "performance": performance_section,
}


def generate(name: str) -> str:
    """The body of the generated block NAME."""
    if name.startswith("envelope_"):
        return envelope_block(name.removeprefix("envelope_"))
    if name not in GENERATORS:
        raise KeyError(f"unknown generated block {name!r}; known: {', '.join(GENERATORS)}, envelope_CASE")
    return GENERATORS[name]()


def blocks(text: str) -> list[tuple[str, str]]:
    """The (name, body) of every generated block of a document."""
    return [(m["name"], m["body"]) for m in _BLOCK.finditer(text)]


def regenerate(text: str) -> str:
    """The document with every generated block rewritten from the code."""

    def body(m: re.Match) -> str:
        return m.group(1) + generate(m["name"]) + m.group(4)

    return _BLOCK.sub(body, text)


def stale(path: Path) -> list[str]:
    """Names of the generated blocks of a document that differ from the code's."""
    text = path.read_text(encoding="utf-8")
    return [name for name, body in blocks(text) if body != generate(name)]


def update(paths=DOCUMENTS) -> list[Path]:
    """Rewrite the generated blocks of the documents; returns those that changed."""
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = regenerate(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for p in update():
        print(f"updated {p.relative_to(ROOT)}")
