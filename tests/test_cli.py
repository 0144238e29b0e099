"""The command line: each command, each output file and column, and each bad input's message."""

import json
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from simulation.cli import main
from simulation.metrics import METRICS, SERIES
from tests.conftest import ROOT

FIXTURE = """
name = "tiny"
description = "A test fixture."
seed = 3
replications = 2
[simulation]
days = 2
[population]
size = 300
[complaint]
placement = "hub"
[spread]
post_rate_per_h = 1.0
anger_dose = 0.2
[brand]
strategy = "delay"
delay_hours = 6.0
detection_threshold = 3.0
"""


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(FIXTURE)
    return path


def run_cli(*args) -> int:
    return main([str(a) for a in args])


def test_run_writes_the_results_folder(scenario_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("run", scenario_file, "--out", out) == 0
    assert capsys.readouterr().out.strip().endswith(f"results: {out}")
    assert sorted(p.name for p in out.iterdir()) == [
        "figures",
        "meta.json",
        "scenario.toml",
        "summary.csv",
        "timeseries.csv",
    ]
    ts = pd.read_csv(out / "timeseries.csv", keep_default_na=False)
    assert list(ts.columns) == ["run", "strategy", "replication", "step", "hours", *SERIES, "brand_action"]
    assert len(ts) == 2 * (48 + 1) and set(ts.replication) == {0, 1}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["run", "strategy", "replication", "seed", "complainants", *METRICS]
    assert summary.seed.tolist() == ["3/0", "3/1"]
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 3 and meta["replications"] == 2
    assert {"python", "mesa", "numpy"} <= set(meta["versions"]) and meta["wall_seconds"] > 0
    resolved = tomllib.loads((out / "scenario.toml").read_text())
    assert resolved["brand"]["delay_hours"] == 6.0 and resolved["spread"]["anger_half_life_h"] == 3.0
    figures = {p.name for p in (out / "figures").iterdir()}
    assert figures == {f"{name}.png" for name in ("stances", "posts", "reputation", "neighbourhood")}


def test_resolved_scenario_reproduces_the_csvs(scenario_file, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_cli("run", scenario_file, "--out", first, "--set", "brand.delay_hours=4", "--seed", "8") == 0
    assert run_cli("run", first / "scenario.toml", "--out", second) == 0
    for name in ("timeseries.csv", "summary.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_strategy_and_replications_options(scenario_file, tmp_path):
    out = tmp_path / "o"
    assert run_cli("run", scenario_file, "--strategy", "ignore", "--replications", "1", "--out", out) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary.strategy.tolist() == ["ignore"]


def test_list_names_every_scenario_and_strategy(capsys):
    assert run_cli("list") == 0
    out = capsys.readouterr().out
    for name in (
        "default",
        "porsche_991",
        "kia_deposit",
        "private_outlet",
        "lawyers_streisand",
        "press_latency",
        "quick_fix",
        "lawyers",
        "astroturf",
        "solicit_reviews",
    ):
        assert f"  {name} " in out


def test_validate_exit_codes(scenario_file, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[brand]\nstrategy = 'pray'\n")
    assert run_cli("validate", scenario_file) == 0
    assert run_cli("validate", scenario_file, bad) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].startswith("ok") and lines[-1].startswith(f"invalid {bad}: brand.strategy: unknown value")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--set", "population.size=ten"], "population.size: expected integer"),
        (["--set", "population.size=1"], "population.size: value 1 out of range"),
        (["--set", "nosuch.key=1"], "nosuch: unknown key; allowed here: name,"),
        (["--set", "brand.nosuch=1"], "brand.nosuch: unknown key"),
        (["--set", "brand.delay_hours"], "expected KEY=VALUE"),
        (["--strategy", "pray"], "brand.strategy: unknown value 'pray'"),
        (["--set", "network.kind='file'", "--set", "network.path='missing.txt'"], "network.path: "),
    ],
)
def test_bad_input_one_line_no_folder(scenario_file, tmp_path, capsys, args, fragment):
    out = tmp_path / "never"
    assert run_cli("run", scenario_file, "--out", out, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]


def test_malformed_toml_and_empty_network_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[population\n")
    assert run_cli("run", bad) == 2
    assert "bad.toml: malformed TOML" in capsys.readouterr().err
    (tmp_path / "empty.txt").write_text("")
    net = tmp_path / "net.toml"
    net.write_text("[network]\nkind = 'file'\npath = 'empty.txt'\n")
    assert run_cli("run", net, "--out", tmp_path / "x") == 2
    err = capsys.readouterr().err
    assert "net.toml: network.path: " in err and "empty.txt" in err


def test_out_folder_that_exists_is_refused(scenario_file, tmp_path, capsys):
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run_cli("run", scenario_file, "--out", out) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"


def test_entry_point_runs_without_traceback(tmp_path):
    """The real `python run.py`, as a user types it."""
    bad = subprocess.run(
        [sys.executable, "run.py", "run", "no_such_scenario"], cwd=ROOT, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().endswith("no_such_scenario.toml: file not found")
    ok = subprocess.run([sys.executable, "run.py", "validate", "default"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("ok")
