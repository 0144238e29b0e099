"""Outputs a paper can use: the report's methods and tables, per-run Parquet series, export, --no-figures."""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.cli import main
from simulation.metrics import SERIES
from simulation.runner import run_replication
from simulation.scenario import to_toml
from simulation.series_table import parquet_metadata
from tests.conftest import small

REPS = 3
TABLES = ("parameters", "means", "differences")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    raw = small(**{"simulation.days": 2, "population.size": 300})
    raw["amplifiers"] = [{"name": "press", "threshold": 12.0}]
    path = tmp_path_factory.mktemp("sc") / "paper.toml"
    path.write_text(to_toml(load_scenario(raw)))
    return path


@pytest.fixture(scope="module")
def sweep(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "sweep"
    argv = ["sweep", str(scenario_file), "--vary", "brand.delay_hours=0,12", "--replications", str(REPS)]
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def compare(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "compare"
    argv = ["compare", str(scenario_file), "--strategies", "ignore,quick_fix,lawyers", "--replications", str(REPS)]
    assert main([*argv, "--workers", "1", "--out", str(out), "--series", "none"]) == 0
    return out


@pytest.mark.parametrize("which", ["sweep", "compare"])
def test_report_has_methods_parameters_and_one_table_per_question(which, request):
    folder = request.getfixturevalue(which)
    md = (folder / "report.md").read_text()
    methods = md[md.index("## Methods") : md.index("## Scenario")]
    assert "ODD protocol (Grimm et al. 2020)" in methods and f"run {REPS} times" in methods
    assert "SeedSequence(7)" in methods and "300 consumers" in methods and "2 days in steps of 1 h" in methods
    assert "quick_fix: remedy at" in methods  # each strategy's schedule in words
    if which == "sweep":
        assert "bootstrap over replications" in methods
    # every parameter that differs from its default, with its unit and source
    params = pd.read_csv(folder / "tables" / "parameters.csv")
    rows = params.set_index("parameter")
    value = rows["value"].astype(str)
    assert value["population.size"] == "300" and rows.loc["population.size", "unit"] == "consumers"
    assert float(value["brand.detection_threshold"]) == 4 and float(value["amplifiers.0.threshold"]) == 12
    assert "spread.anger_half_life_h" not in rows.index  # at its default
    assert md.count("**Mean over all runs") == 1 and md.count("**Paired difference from the baseline") == 1
    means = pd.read_csv(folder / "tables" / "means.csv")
    assert means["final reputation (mean opinion, -1 to 1)"].dtype == float
    low, high = (
        means["final reputation (mean opinion, -1 to 1), 95% low"],
        means["final reputation (mean opinion, -1 to 1), 95% high"],
    )
    assert (low <= means["final reputation (mean opinion, -1 to 1)"]).all() and (high >= low).all()
    # the reproduce command: wrapped, without the output folder or the number of workers
    code = md[md.index("## Reproduce") :].split("```bash\n", 1)[1].split("\n```", 1)[0]
    lines = code.splitlines()
    assert len(lines) >= 2 and all(len(line) <= 92 for line in lines) and all(x.endswith(" \\") for x in lines[:-1])
    assert "--out" not in code and "--workers" not in code and code.startswith("python run.py " + which)


def _check_tex(text: str) -> None:
    assert text.startswith("\\begin{table}") and text.rstrip().endswith("\\end{table}")
    assert text.count("\\begin{tabular}") == text.count("\\end{tabular}") == 1
    assert text.count("{") - text.count("\\{") == text.count("}") - text.count("\\}")
    cols = len(re.search(r"\\begin\{tabular\}\{([lr]+)\}", text).group(1))
    body = text.split("\\toprule\n", 1)[1].split("\\bottomrule", 1)[0]
    for line in body.splitlines():
        if line.strip() in ("\\midrule", ""):
            continue
        assert line.endswith(" \\\\"), line
        assert len(re.findall(r"(?<!\\)&", line)) == cols - 1, line
        assert not re.search(r"(?<!\\)[%_#$]", line), line  # specials escaped


@pytest.mark.parametrize("which", ["sweep", "compare"])
def test_tables_are_well_formed_csv_and_latex(which, request):
    folder = request.getfixturevalue(which)
    for name in TABLES:
        _check_tex((folder / "tables" / f"{name}.tex").read_text())
        assert len(pd.read_csv(folder / "tables" / f"{name}.csv"))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_tables_compile_with_latex(sweep, tmp_path):
    probe = subprocess.run(["kpsewhich", "booktabs.sty"], capture_output=True, text=True)
    if not probe.stdout.strip():
        pytest.skip("booktabs.sty not installed")
    doc = tmp_path / "doc.tex"
    inputs = "\n".join(f"\\input{{{sweep / 'tables' / name}.tex}}" for name in TABLES)
    doc.write_text(
        f"\\documentclass{{article}}\n\\usepackage{{booktabs}}\n\\begin{{document}}\n{inputs}\n\\end{{document}}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_parquet_holds_every_series_of_every_run(sweep, scenario_file):
    ts = pd.read_parquet(sweep / "timeseries.parquet")
    conditions = pd.read_csv(sweep / "summary.csv")["condition"].nunique()
    steps = 2 * 24 + 1
    assert len(ts) == conditions * REPS * steps
    assert {
        *SERIES,
        "posts_negative_per_h",
        "brand_action",
        "condition",
        "label",
        "brand.strategy",
        "brand.delay_hours",
    } <= set(ts.columns)
    assert ts.loc[ts["brand.strategy"] == "ignore", "brand.delay_hours"].isna().all()
    meta = parquet_metadata(sweep / "timeseries.parquet")
    assert meta["seed"] == 7 and 'name = "small"' in meta["scenario_toml"] and "numpy" in meta["versions"]
    # one run, as the runner gives it
    sc = load_scenario(
        sweep / "scenario.toml", {"brand.strategy": "quick_fix", "brand.delay_hours": 12.0, "brand.schedule": []}
    )
    rep = run_replication(sc, 7, 1)
    one = ts[(ts["brand.strategy"] == "quick_fix") & (ts["brand.delay_hours"] == 12.0) & (ts.replication == 1)]
    assert np.array_equal(one["reputation"].to_numpy(), rep.series["reputation"])
    assert one["brand_action"].tolist() == rep.actions


def test_export_converts_both_ways(sweep, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(sweep, folder)
    assert main(["export", str(folder), "--format", "csv"]) == 0
    from_parquet = pd.read_csv(folder / "timeseries.csv")
    assert len(from_parquet) == len(pd.read_parquet(folder / "timeseries.parquet"))
    (folder / "timeseries.parquet").unlink()
    assert main(["export", str(folder), "--format", "parquet"]) == 0
    back = pd.read_parquet(folder / "timeseries.parquet")
    pd.testing.assert_frame_equal(back, from_parquet)
    assert (folder / "summary.parquet").is_file() and (folder / "aggregate.parquet").is_file()


def test_export_back_to_parquet_keeps_the_experiments_own_series_and_a_folder_in_the_way_is_refused(
    sweep, tmp_path, capsys
):
    folder = tmp_path / "copy"
    shutil.copytree(sweep, folder)
    own = (folder / "timeseries.parquet").read_bytes()  # with the scenario, seed and versions in its metadata
    assert main(["export", str(folder), "--format", "csv"]) == 0
    assert main(["export", str(folder), "--format", "parquet"]) == 0
    assert (folder / "timeseries.parquet").read_bytes() == own
    (folder / "summary.parquet").unlink()
    (folder / "aggregate.parquet").unlink()
    (folder / "aggregate.parquet").mkdir()  # where a table goes
    capsys.readouterr()
    assert main(["export", str(folder), "--format", "parquet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "aggregate.parquet" in err and "\n" not in err
    assert not (folder / "summary.parquet").exists()  # nothing written before the refusal


def test_series_none_keeps_metrics_and_quantiles_only(compare):
    assert not (compare / "timeseries.parquet").exists()
    assert not list((compare / "runs").glob("c*/b*.npz")) and list((compare / "runs").glob("c*/b*.json"))
    assert len(pd.read_csv(compare / "timeseries_quantiles.csv"))


def test_run_without_figures_and_bad_export(scenario_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(scenario_file), "--no-figures", "--out", str(out)]) == 0
    assert not (out / "figures").exists() and (out / "summary.csv").is_file() and (out / "meta.json").is_file()
    assert main(["export", str(out), "--format", "parquet"]) == 0
    assert len(pd.read_parquet(out / "timeseries.parquet")) == len(pd.read_csv(out / "timeseries.csv"))
    capsys.readouterr()
    assert main(["export", str(tmp_path / "nowhere"), "--format", "csv"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nowhere: not a folder" in err and "\n" not in err
    assert main(["export", str(tmp_path), "--format", "csv"]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_report_flags_losses_cut_short_by_the_horizon(sweep):
    md = (sweep / "report.md").read_text()
    summary = pd.read_csv(sweep / "summary.csv")
    share = 1 - summary.groupby("condition")["recovered"].mean()
    assert (share > 0.2).any()  # a two-day horizon: most runs are still below their start
    text = md[md.index("Warning: in ") :].split("\n", 1)[0]
    flagged = [c for c, s in share.items() if s > 0.2]
    if len(flagged) == len(share):  # every condition: said once, with the range of shares
        assert text.startswith("Warning: in every condition") and f"{share.min():.0%}" in text
    else:
        assert text.count("%)") == len(flagged)
    days = float(re.search(r"a horizon of at least ([\d.,]+) days", text).group(1).replace(",", ""))
    assert days > 2 and days >= 3.3 * 720 / 24  # about log2(10) drift half-lives (720 h)


def test_over_time_figures_draw_each_run_thinly_when_series_are_kept(sweep, compare):
    from simulation.experiment_folder import ExperimentFolder
    from simulation.experiment_plots import over_time_figures

    def thin(fig):
        return [
            line for ax in fig.axes for line in ax.get_lines() if line.get_linewidth() < 0.5 and len(line.get_xdata())
        ]

    conditions = pd.read_csv(sweep / "summary.csv").condition.nunique()
    for name, fig in over_time_figures(ExperimentFolder.load(sweep)).items():
        assert len(thin(fig)) == conditions * REPS, name  # one line per run
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "thin: each run" in legend
    for fig in over_time_figures(ExperimentFolder.load(compare)).values():  # --series none: no runs to draw
        assert not thin(fig)
