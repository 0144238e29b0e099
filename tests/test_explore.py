"""The explorer's page logic, without a browser: controls from the schema, the command line's messages,
batches started and cancelled on warm workers, and a saved scenario or copied command reproducing the
shown series byte for byte; the server stops on Ctrl-C leaving no process behind."""

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import psutil
import pytest
import tomli_w

from simulation import cli
from simulation.parameters import describe, field_of
from simulation.results import write_csv
from tests.conftest import ROOT, small

pytest.importorskip("solara")

from simulation.explore import figures  # noqa: E402
from simulation.explore.controls import by_key, groups, table_columns  # noqa: E402
from simulation.explore.folder import open_folder  # noqa: E402
from simulation.explore.session import Session  # noqa: E402
from simulation.explore.state import Explorer  # noqa: E402
from simulation.explore.workers import Pool  # noqa: E402

# The tests' own scenario: small and quick, with an amplifier (a list of tables) and a strategy of its own.
SCENARIO = small(**{"simulation.days": 4})
SCENARIO["amplifiers"] = [{"name": "blog", "threshold": 6.0, "delay_h": 2.0}]
SCENARIO["strategies"] = {"sorry_late": {"schedule": [{"action": "apology", "at_hours": 12.0}]}}
# A slow one: a batch of it is still running when the next change comes.
SLOW = small(**{"simulation.days": 60, "simulation.dt_hours": 0.25, "population.size": 3000})


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "explored.toml"
    path.write_text(tomli_w.dumps(SCENARIO))
    return path


@pytest.fixture(scope="module")
def pool():
    with Pool(1) as p:
        yield p


def wait_for(batch, timeout=120):
    assert batch.wait(timeout), "the batch did not end in time"
    assert batch.state == "done", batch.error
    return batch


# -- controls ----------------------------------------------------------------------------------


def test_every_scalar_key_has_one_control_with_its_unit_range_and_help():
    rows = {r["key"]: r for r in describe()}
    controls = by_key()
    listed = [c.key for group in groups().values() for c in group]
    assert len(listed) == len(set(listed)) == len(controls)
    scalar = [k for k in rows if "[]" not in k and not k.startswith("strategies") and k not in ("amplifiers",)]
    assert set(controls) == set(scalar) - {"name", "description", "brand.strategy", "brand.schedule"}
    for key, c in controls.items():
        meta, row = field_of(key).metadata, rows[key]
        assert row["meaning"].rstrip(".") in c.help and f"allowed: {row['allowed']}" in c.help
        if row["unit"] != "-":
            assert c.label.endswith(f"({row['unit']})")
        if meta["choices"]:
            assert c.kind == "choice" and set(meta["choices"]) <= set(c.choices)
        elif "plausible" in meta:  # the plausible range, on its scale
            assert c.slider == meta["plausible"] and c.log == meta["plausible_log"], key
            assert row["plausible"] in c.help
        elif c.kind in ("number", "integer") and meta["hi"] is None:
            assert c.slider is None, key  # no upper bound: a number field only
        elif c.kind in ("number", "integer"):
            assert c.slider == (meta["lo"], meta["hi"]), key
    assert controls["spread.visibility"].slider == (0.1, 0.5) and not controls["spread.visibility"].log
    assert controls["spread.anger_dose"].log and controls["population.size"].log
    assert controls["brand.delay_hours"].slider is None and controls["network.kind"].kind == "choice"


def test_controls_grouped_as_the_docs_strategy_timing_first():
    names = list(groups())
    assert names[:2] == ["strategy", "run"]
    assert [c.key for c in groups()["strategy"]] == ["brand.delay_hours", "brand.anchor"]
    sections = [r["key"].split(".")[0] for r in describe() if "." in r["key"] and not r["key"].startswith("strat")]
    docs_order = list(dict.fromkeys(s for s in sections if s not in ("amplifiers[]", "actions")))
    assert [n for n in names[2:] if not n.startswith("actions.")] == docs_order
    assert [c.key for c in table_columns("amplifiers")][:3] == ["name", "threshold", "window_h"]
    assert [c.kind for c in table_columns("strategies.x.schedule")] == ["choice", "number", "choice"]


def test_slider_positions_round_trip_to_typed_text():
    c = by_key()["spread.anger_dose"]  # log scale
    assert c.slider_text(c.slider_position(0.45)) == "0.45"
    lo, hi = c.slider_ends()
    assert c.slider_text(lo) == "0.2" and c.slider_text(hi) == "0.9"
    assert by_key()["population.size"].slider_text(3.0) == "1000"


# -- the command line's messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, text, argv",
    [
        ("spread.visibility", "7", ["--set", "spread.visibility=7"]),
        ("spread.anger_dose", "lots", ["--set", "spread.anger_dose=lots"]),
        ("network.m", "5000", ["--set", "network.m=5000"]),
        ("amplifiers.0.threshold", "-1", ["--set", "amplifiers.0.threshold=-1"]),
    ],
)
def test_bad_value_gets_the_command_lines_message_beside_its_control(scenario_file, capsys, key, text, argv):
    e = Explorer(scenario_file)
    e.set_text(key, text)
    checked = e.check()
    assert not checked.ok and list(checked.errors) == [key]
    capsys.readouterr()
    code = cli.main(["run", str(e.path), "--strategy", e.strategy, *argv, "--out", str(scenario_file.parent / "x")])
    assert code == 2 and not (scenario_file.parent / "x").exists()
    assert capsys.readouterr().err.strip() == f"error: {checked.errors[key]}"


def test_bad_option_gets_argparses_message(scenario_file, capsys):
    e = Explorer(scenario_file)
    e.set_text("seed", "-3")
    checked = e.check()
    assert list(checked.errors) == ["seed"]
    with pytest.raises(SystemExit):
        cli.main(["run", str(e.path), "--seed", "-3"])
    assert capsys.readouterr().err.strip() == f"error: {checked.errors['seed']}"
    e.set_text("seed", "1")
    e.choose("ignore", "apology")
    e.set_text("replications", "1")  # a comparison needs two
    assert "replications" in e.check().errors and "at least" not in e.check().errors["replications"]


def test_several_bad_controls_each_get_their_message(scenario_file):
    e = Explorer(scenario_file)
    e.set_text("spread.visibility", "2")
    e.set_text("population.customer_share", "-0.5")
    assert set(e.check().errors) == {"spread.visibility", "population.customer_share"}
    e.set_text("spread.visibility", "0.3")
    e.set_text("population.customer_share", "0.3")
    assert e.check().ok


# -- batches -------------------------------------------------------------------------------------


def test_changed_control_starts_a_batch_and_cancels_the_running_one(tmp_path, pool):
    path = tmp_path / "slow.toml"
    path.write_text(tomli_w.dumps(SLOW))
    deadline = time.monotonic() + 600  # a fresh checkout compiles the model's kernels once (cached after)
    while not pool.idle() and time.monotonic() < deadline:
        time.sleep(0.2)
    session = Session(Explorer(path), pool)
    session.explorer.set_text("replications", "2")
    session.update()
    first = session.batch
    deadline = time.monotonic() + 300
    while first.progress == 0 and time.monotonic() < deadline:  # running on the worker
        first.wait_change(-1, 0.1)
    assert first.running and 0 < first.progress < 1
    workers = [p.pid for p in pool.processes()]
    session.explorer.set_text("spread.visibility", "0.35")
    session.update()
    second = session.batch
    assert second is not first and first.state == "cancelled"
    assert session.update().ok and session.batch is second  # no change, no new batch
    session.explorer.set_text("simulation.days", "2")  # the next one is quick
    session.update()
    third = session.batch
    assert second.state == "cancelled"
    wait_for(third, 60)
    assert third.finished_tasks == 2 and first.finished_tasks == 0
    assert [p.pid for p in pool.processes()] == workers and pool.ended == 0  # stopped at the next step, warm
    deadline = time.monotonic() + 10
    while not pool.idle() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle()


def test_closed_pool_leaves_no_process():
    p = Pool(2)
    processes = p.processes()
    assert len(processes) == 2
    p.close()
    assert not any(proc.is_alive() for proc in processes) and p.processes() == []


# -- reproducing what is shown ---------------------------------------------------------------------


def shown_series(batch, checked, name):
    ts = figures.series([r for t, r in zip(batch.tasks, batch.results) if t.label == name])
    sc = checked.scenarios[name]
    ts.insert(0, "strategy", name)  # as run.py run writes timeseries.csv
    ts.insert(0, "run", sc.name)
    return ts


def run_py(argv, cwd):
    words = shlex.split(argv) if isinstance(argv, str) else argv
    if words[:2] == ["python", "run.py"]:
        words = words[2:]
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *words], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done


def test_saved_scenario_and_copied_command_reproduce_the_shown_series(scenario_file, tmp_path, pool):
    e = Explorer(scenario_file)
    session = Session(e, pool)
    e.choose("sorry_late")
    e.set_text("strategies.sorry_late.schedule.0.at_hours", "6")
    e.set_text("spread.visibility", "0.35")
    e.set_text("amplifiers.0.threshold", "5")
    e.add_row("amplifiers")
    e.set_text("amplifiers.1.name", "press")
    e.set_text("replications", "3")
    e.set_text("seed", "11")
    checked = session.update()
    assert checked.ok, checked.errors
    batch = wait_for(session.batch)
    shown = tmp_path / "shown.csv"
    write_csv(shown_series(batch, checked, "sorry_late"), shown)

    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "scenario.toml").write_text(checked.saved)
    run_py([*checked.saved_argv, "--out", "out", "--no-figures"], cwd=saved)
    assert (saved / "out" / "timeseries.csv").read_bytes() == shown.read_bytes()

    command = e.command()
    assert command.startswith("python run.py run ") and "--set" in command
    run_py(f"{command} --out {tmp_path / 'copied'} --no-figures", cwd=Path.cwd())
    assert (tmp_path / "copied" / "timeseries.csv").read_bytes() == shown.read_bytes()


def test_side_by_side_is_the_comparison_and_its_paired_difference(scenario_file, tmp_path, pool):
    e = Explorer(scenario_file)
    session = Session(e, pool)
    e.choose("ignore", "quick_fix")
    e.set_text("replications", "3")
    checked = session.update()
    assert checked.ok and list(checked.scenarios) == ["ignore", "quick_fix"]
    batch = wait_for(session.batch)
    by = session.results(batch)
    table = figures.difference_table(figures.summary_of(by, checked.plan), checked.plan)
    run_py(f"{e.command()} --out {tmp_path / 'cmp'} --workers 1 --no-figures", cwd=Path.cwd())
    contrasts = pd.read_csv(tmp_path / "cmp" / "contrasts.csv").set_index("metric")
    for metric, row in zip(figures.DIFFERENCE_METRICS, table.itertuples()):
        diff = row[4].split(" ")[0]
        assert diff == figures.fmt(contrasts.loc[metric, "diff_mean"] * (100 if "reach" == metric else 1), sign=True)
    series = pd.read_parquet(tmp_path / "cmp" / "timeseries.parquet")
    ours = shown_series(batch, checked, "quick_fix")
    theirs = series[series["condition"] == 1].sort_values(["replication", "step"])
    assert theirs["reputation"].to_numpy().tolist() == ours["reputation"].to_numpy().tolist()
    diff = figures.difference_frame(shown_series(batch, checked, "ignore"), ours)
    assert len(diff) == len(ours) and diff["reputation"].abs().max() > 0
    assert figures.difference_png(diff, 1.0, "ignore", "quick_fix", "x")[:4] == b"\x89PNG"


def test_neighbourhood_recorded_at_every_step(scenario_file, pool):
    session = Session(Explorer(scenario_file), pool)
    session.update()
    batch = wait_for(session.batch)
    (rep, nb), *others = session.results(batch)[session.explorer.strategy]
    assert all(r[1] is None for r in others)  # replication 0's only
    assert nb.stances.shape == (rep.steps + 1, len(nb.nodes)) and nb.is_centre.sum() == 1
    assert (nb.stances[0] != nb.stances[-1]).any()  # the buzz moved through it
    png = figures.neighbourhood_png(nb, rep.steps // 2)
    assert png[:4] == b"\x89PNG"


# -- results folders and the command -------------------------------------------------------------


def test_results_folder_lists_figures_and_tables(scenario_file, tmp_path, capsys):
    run_py(["run", str(scenario_file), "--replications", "2", "--out", str(tmp_path / "run")], cwd=tmp_path)
    folder = open_folder(tmp_path / "run")
    assert folder.kind == "run" and "figures/reputation.png" in folder.figures
    assert {"summary.csv", "timeseries.csv"} <= set(folder.tables) and "scenario.toml" in folder.texts
    df, total = folder.table("summary.csv")
    assert total == 2 and "final_reputation" in df
    (tmp_path / "empty").mkdir()
    assert cli.main(["explore", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a results folder of this tool" in err


@pytest.mark.parametrize(
    "marker, kind",
    [("calibration.json", "calibration"), ("forecast.json", "forecast"), ("checks.csv", "validation")],
)
def test_a_calibration_forecast_or_validation_folder_opens_by_its_own_file(tmp_path, marker, kind):
    (tmp_path / marker).write_text("{}" if marker.endswith(".json") else "check,passed\n1,True\n")
    (tmp_path / "meta.json").write_text("{}")  # every command writes one: the command's own file decides
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "fit.png").write_bytes(b"\x89PNG")
    (tmp_path / "report.md").write_text("# report\n")
    folder = open_folder(tmp_path)
    assert folder.kind == kind and folder.figures == ["figures/fit.png"] and folder.texts == ["report.md", "meta.json"]


def test_without_solara_one_line_says_how_to_install(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert cli.main(["explore"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install -e ".[explore]"' in err


def start_server(argv, cwd):
    """`run.py explore` on a free port: the process and its URL (once the page answers)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "explore", *argv, "--port", "0"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    while line.startswith("note:"):
        line = proc.stdout.readline()
    assert "http://" in line, line + proc.stderr.read()
    url = line.split("http://", 1)[1].split()[0]
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://{url}/", timeout=5) as r:
                return proc, f"http://{url}/", r.read().decode()
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "the explorer did not answer"
            time.sleep(0.3)


def test_server_stops_on_ctrl_c_and_leaves_no_process(scenario_file, tmp_path):
    proc, url, html = start_server([str(scenario_file), "--workers", "2"], tmp_path)
    try:
        assert "solara" in html.lower()
        deadline = time.monotonic() + 30
        while len(psutil.Process(proc.pid).children(recursive=True)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2  # the worker processes (and multiprocessing's resource tracker)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert "explorer stopped" in proc.stderr.read()
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()


def test_workers_die_with_a_killed_server(scenario_file, tmp_path):
    proc, url, _ = start_server([str(scenario_file), "--workers", "1"], tmp_path)
    deadline = time.monotonic() + 30
    while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        time.sleep(0.2)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
