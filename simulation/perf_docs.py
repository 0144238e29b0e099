"""The README's Performance tables, written from the benchmarks' own output (never typed by hand).

`python benchmarks/bench_scale.py --big` writes benchmarks/results/scale.csv and scale.json,
`python benchmarks/bench_sweep.py` writes sweep.csv and sweep.json; :func:`performance_section`
turns them into the README's tables: this version beside the previous one (the commit the speed
work of issue 15 started from, timed in the same run), the SIR reduction beside its two floors, and
the scale of a screening sweep and of ten million consumers, each with its goal.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _rows(results: Path) -> list[dict]:
    with open(results / "scale.csv", newline="") as f:
        return list(csv.DictReader(f))


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _time(seconds: float) -> str:
    """A duration as the tables write it: ms below a second, s above."""
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def performance_section(results: Path = RESULTS) -> str:
    """The Performance section's tables and machine line, from the benchmarks' result files."""
    scale = json.loads((results / "scale.json").read_text())
    sweep = json.loads((results / "sweep.json").read_text())
    rows = _rows(results)
    machine = scale["machine"]
    pk = machine["packages"]

    def get(case: str, method_prefix: str, version: str = "this", col: str = "wall_s") -> float | None:
        for r in rows:
            if r["case"] == case and r["method"].startswith(method_prefix) and r["version"] == version:
                return _num(r[col])
        return None

    lines = [
        f"Measured with `python benchmarks/bench_scale.py --big` and `python benchmarks/bench_sweep.py` on "
        f"this project's machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']:g} GB RAM, "
        f"Python {machine['python']}, numpy {pk['numpy']}, numba {pk['numba']}, Mesa {pk['mesa']}. Other jobs "
        f"shared the cores (load average {scale['load_average_start'][0]:.1f} at the start), so every case "
        "was timed in interleaved rounds — each version and floor in turn, a fresh process each — and the "
        "tables give the best of the rounds (`benchmarks/results/` has the medians and every column).",
        "",
        f"| case | this version | previous version ({_previous(sweep)}) | faster by | goal | |",
        "|---|---|---|---|---|---|",
    ]
    prev = "previous"
    d, dp = get("default", "(5) full model, default"), get("default", "(5) full model, default", prev)
    if d and dp:
        lines.append(
            f"| default scenario, one run, scenario to metrics (network included, no files) | {_time(d)} | "
            f"{_time(dp)} | {dp / d:.2f}× | 8× | {_verdict(d <= dp / 8)} |"
        )
    b, bp = get("1M burning", "(5)"), get("1M burning", "(5)", prev)
    mem = get("1M burning", "(5)", col="peak_rss_mb")
    if b and bp:
        ok = b <= bp / 2 and mem <= 500
        lines.append(
            f"| 1,000,000 consumers, 720 hourly steps, burning: time and peak memory | {_time(b)}, {mem:.0f} MB | "
            f"{_time(bp)} | {bp / b:.2f}× | 2×, 500 MB | {_verdict(ok)} |"
        )
    q, qp = get("1M quiet", "(5)"), get("1M quiet", "(5)", prev)
    if q and qp:
        lines.append(f"| 1,000,000 consumers, 720 hourly steps, quiet | {_time(q)} | {_time(qp)} | {qp / q:.2f}× | | |")
    for case in [r["case"] for r in rows if r["method"].startswith("(1)") and r["version"] == "this"]:
        m, mp = get(case, "(1)"), get(case, "(1)", prev)
        if m and mp:
            lines.append(f"| SIR reduction, {case}, 100 steps | {_time(m)} | {_time(mp)} | {mp / m:.2f}× | | |")
    for r in sweep["rows"]:
        if r["version"] != "this":
            continue
        other = next(
            (
                o
                for o in sweep["rows"]
                if o["sweep"] == r["sweep"] and o["workers"] == r["workers"] and o["version"] != "this"
            ),
            None,
        )
        if r["sweep"] == "timing" and other:
            ratio = r["runs_per_min"] / other["runs_per_min"]
            goal = "5×" if r["workers"] == 1 else ""
            verdict = _verdict(ratio >= 5) if r["workers"] == 1 else ""
            lines.append(
                f"| timing sweep, {r['runs']} runs, {r['workers']} worker{'s' if r['workers'] > 1 else ''}, files "
                f"included | {r['runs_per_min']:,.0f} runs/min | {other['runs_per_min']:,.0f} runs/min | "
                f"{ratio:.2f}× | {goal} | {verdict} |"
            )
    cli_prev = next((o for o in sweep["rows"] if o["sweep"].startswith("run.py") and o["version"] != "this"), None)
    for r in sweep["rows"]:
        if r["sweep"].startswith("run.py") and r["version"] == "this" and cli_prev:
            ratio = cli_prev["wall_s"] / r["wall_s"]
            what = "PNG and PDF figures (`--pdf`)" if "PDF" in r["sweep"] else "PNG figures (the default)"
            lines.append(
                f"| `python run.py` warm, end to end, {what} | {_time(r['wall_s'])} | {_time(cli_prev['wall_s'])} | "
                f"{ratio:.2f}× | 2× | {_verdict(ratio >= 2)} |"
            )
    lines += [
        "",
        "| SIR reduction, 100 steps | buzzsim | numpy floor | numba floor | × numpy floor | × numba floor | "
        "goal (2×, 3×) |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in [r["case"] for r in rows if r["method"].startswith("(1)") and r["version"] == "this"]:
        m, f, fn = get(case, "(1)"), get(case, "(2) floor"), get(case, "(2c)")
        if m and f and fn:
            big = case.startswith("BA") and int(case[3:].replace(",", "")) >= 100_000
            verdict = _verdict(m <= 2 * f and m <= 3 * fn) if big else ""
            lines.append(
                f"| {case} | {_time(m)} | {_time(f)} | {_time(fn)} | {m / f:.2f}× | {m / fn:.2f}× | {verdict} |"
            )
    lines += ["", "| scale | wall time | peak memory | goal | |", "|---|---|---|---|---|"]
    screen = next((r for r in sweep["rows"] if r["sweep"] == "screening" and r["version"] == "this"), None)
    if screen:
        lines.append(
            f"| screening sweep: {screen['runs']:,} runs of the default scenario, metrics only, "
            f"{screen['workers']} workers | {_time(screen['wall_s'])} | | 30 s | {_verdict(screen['wall_s'] <= 30)} |"
        )
    big, big_mem = get("10M burning", "(5)"), get("10M burning", "(5)", col="peak_rss_mb")
    if big:
        lines.append(
            f"| 10,000,000 consumers, 720 hourly steps, burning, network generation included | {_time(big)} | "
            f"{big_mem / 1024:.2f} GB | 6 GB | {_verdict(big_mem <= 6 * 1024)} |"
        )
    return "\n".join(lines) + "\n"


def _previous(sweep: dict) -> str:
    return sweep.get("previous") or "previous"


if __name__ == "__main__":
    print(performance_section())
