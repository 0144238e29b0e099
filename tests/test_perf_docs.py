"""The README's Performance tables are written from the benchmarks' result files, goals judged from them."""

import csv
import json

from simulation.perf_docs import performance_section

COLUMNS = ["case", "method", "version", "wall_s", "peak_rss_mb"]


def write_results(folder, rows, sweep_rows):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "scale.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    machine = {
        "cpu": "Test CPU",
        "cores": 2,
        "ram_gb": 23.5,
        "python": "3.12.1",
        "packages": {"numpy": "2.5", "numba": "0.68", "mesa": "3.5.1"},
    }
    (folder / "scale.json").write_text(json.dumps({"machine": machine, "load_average_start": [2.0, 2.0, 2.0]}))
    (folder / "sweep.json").write_text(json.dumps({"previous": "abc1234", "rows": sweep_rows}))


def row(case, method, version, wall, mem=""):
    return {"case": case, "method": method, "version": version, "wall_s": wall, "peak_rss_mb": mem}


def test_tables_say_the_ratios_and_which_goals_hold(tmp_path):
    rows = [
        row("default", "(5) full model, default scenario, per run", "this", 0.005),
        row("default", "(5) full model, default scenario, per run", "previous", 0.02),
        row("1M burning", "(5) full model, 30 days hourly", "this", 7.0, 440),
        row("1M burning", "(5) full model, 30 days hourly", "previous", 15.0),
        row("BA 100,000", "(1) buzzsim SIR reduction", "this", 0.15),
        row("BA 100,000", "(1) buzzsim SIR reduction", "previous", 0.9),
        row("BA 100,000", "(2) floor: numpy CSR edge gather", "this", 0.08),
        row("BA 100,000", "(2c) floor: fused numba loop", "this", 0.06),
        row("10M burning", "(5) full model, 30 days hourly", "this", 50.0, 1800),
    ]
    sweeps = [
        {"sweep": "timing", "version": "this", "workers": 1, "runs": 125, "runs_per_min": 3000.0, "wall_s": 2.5},
        {
            "sweep": "timing",
            "version": "previous (abc1234)",
            "workers": 1,
            "runs": 125,
            "runs_per_min": 1000.0,
            "wall_s": 7.5,
        },
        {"sweep": "screening", "version": "this", "workers": 2, "runs": 2100, "runs_per_min": 5000.0, "wall_s": 25.2},
        {
            "sweep": "run.py, figures PNG+PDF",
            "version": "this",
            "workers": 1,
            "runs": 5,
            "runs_per_min": 1,
            "wall_s": 8.0,
        },
        {
            "sweep": "run.py, figures PNG+PDF",
            "version": "previous (abc1234)",
            "workers": 1,
            "runs": 5,
            "runs_per_min": 1,
            "wall_s": 10.0,
        },
    ]
    write_results(tmp_path, rows, sweeps)
    text = performance_section(tmp_path)
    assert "Test CPU, 2 cores, 23.5 GB RAM" in text and "previous version (abc1234)" in text
    lines = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert lines["default scenario, one run, scenario to metrics (network included, no files)"].endswith(
        "| 5.0 ms | 20.0 ms | 4.00× | 8× | missed |"
    )
    assert "| 7.00 s, 440 MB | 15.0 s | 2.14× | 2×, 500 MB | met |" in text
    assert "| BA 100,000 | 150 ms | 80.0 ms | 60.0 ms | 1.88× | 2.50× | met |" in text
    assert "| 3,000 runs/min | 1,000 runs/min | 3.00× | 5× | missed |" in text
    assert "| 25.2 s | | 30 s | met |" in text
    assert "| 50.0 s | 1.76 GB | 6 GB | met |" in text
    assert "| 8.00 s | 10.0 s | 1.25× | 2× | missed |" in text
    assert "`python run.py` warm, end to end, PNG and PDF figures (`--pdf`)" in text


def test_the_readme_shows_the_performance_tables_of_the_result_files():
    """The README's Performance section holds the generated block (tests/test_docs.py keeps every block equal to
    its generator: here, to benchmarks/results/), and its commands exist: the bench extra, the scripts."""
    import tomllib

    from simulation.docs import blocks
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Performance\n") : readme.index("\n## ", readme.index("## Performance\n") + 1)]
    assert dict(blocks(section))["performance"] == performance_section()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert 'pip install -e ".[bench]"' in section and "bench" in extras
    for script in ("bench_scale.py", "bench_sweep.py"):
        assert f"python benchmarks/{script}" in section and (ROOT / "benchmarks" / script).is_file()
