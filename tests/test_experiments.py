"""Experiments: paired seeds, aggregates, identical outputs for any executor, resume, critical window."""

import json
import math
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.experiment_folder import RunStore
from simulation.experiments import (
    Plan,
    aggregate,
    compare_plan,
    critical_delay,
    parse_vary,
    run_experiment,
    run_task,
    sweep_plan,
)
from simulation.metrics import METRICS
from simulation.scenario import ScenarioError, to_dict
from tests.conftest import ROOT, small

CSVS = ("summary.csv", "aggregate.csv", "timeseries_quantiles.csv")


def tiny():
    return load_scenario(small(**{"simulation.days": 2, "population.size": 300}))


def sweep(reps=4):
    return sweep_plan(tiny(), ["quick_fix"], {"brand.delay_hours": [0, 6, 24]}, reps, seed=5)


def test_conditions_are_full_factorial_with_baseline_added():
    plan = sweep_plan(
        tiny(), ["quick_fix", "delay"], {"brand.delay_hours": [1, 2], "spread.visibility": [0.2, 0.4]}, 2, seed=1
    )
    assert plan.strategies == ["ignore", "quick_fix", "delay"]
    # Ignoring does not depend on the brand's timing: run once per other value.
    assert len(plan.conditions) == 2 + 2 * 2 * 2
    assert plan.conditions[0] == {"brand.strategy": "ignore", "brand.delay_hours": None, "spread.visibility": 0.2}
    assert plan.conditions[2] == {"brand.strategy": "quick_fix", "brand.delay_hours": 1, "spread.visibility": 0.2}


def test_vary_parsing():
    assert parse_vary(["brand.delay_hours=0:24:12"]) == {"brand.delay_hours": [0, 12, 24]}
    assert parse_vary(["a.b=1,2.5,x"]) == {"a.b": [1, 2.5, "x"]}
    with pytest.raises(ScenarioError, match="range '5:1:1' needs step > 0 and stop >= start"):
        parse_vary(["k=5:1:1"])
    with pytest.raises(ScenarioError, match="expected KEY=V1,V2"):
        parse_vary(["k"])
    with pytest.raises(ScenarioError, match="brand.delay_hours: expected number"):
        sweep_plan(tiny(), ["quick_fix"], {"brand.delay_hours": ["soon"]}, 2, seed=1)


def test_paired_seeds_and_identical_until_the_first_action(tmp_path):
    plan = compare_plan(tiny(), ["quick_fix"], 3, seed=5)
    run_experiment(plan, tmp_path, progress=False)
    s = pd.read_csv(tmp_path / "summary.csv")
    for r in range(3):
        rows = s[s.replication == r]
        assert rows.seed.nunique() == 1 and rows.seed.iloc[0] == f"5/{r}"
        # Detection happens before any action: the same in both conditions.
        assert rows.detection_h.nunique(dropna=False) == 1


def test_aggregate_matches_a_hand_computation():
    plan = compare_plan(tiny(), ["quick_fix"], 3, seed=1)
    summary = pd.DataFrame(
        {
            "condition": [0, 0, 0, 1, 1, 1],
            "replication": [0, 1, 2, 0, 1, 2],
            **{m: [0.0] * 6 for m in METRICS if m not in ("final_reputation", "crisis")},
            "final_reputation": [0.1, 0.2, 0.6, 0.3, 0.5, 0.7],
            "crisis": [1, 1, 0, 1, 1, 0],
        }
    )
    agg = aggregate(summary, plan).set_index(["condition", "metric", "scope"])
    row = agg.loc[(1, "final_reputation", "all")]
    assert row["mean"] == pytest.approx(0.5) and row["median"] == pytest.approx(0.5)
    half = 4.302652729911275 * 0.2 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert (row.ci_low, row.ci_high) == pytest.approx((0.5 - half, 0.5 + half))
    # Paired differences 0.2, 0.3, 0.1: mean 0.2, sd 0.1.
    dhalf = 4.302652729911275 * 0.1 / math.sqrt(3)
    assert row.diff_mean == pytest.approx(0.2)
    assert (row.diff_low, row.diff_high) == pytest.approx((0.2 - dhalf, 0.2 + dhalf))
    crisis_only = agg.loc[(1, "final_reputation", "crisis")]
    assert (
        crisis_only.n == 2
        and crisis_only["mean"] == pytest.approx(0.4)
        and crisis_only.diff_mean == pytest.approx(0.25)
    )
    crisis = agg.loc[(1, "crisis", "all")]
    assert crisis["mean"] == pytest.approx(2 / 3)
    # Wilson interval for 2 of 3 (z = 1.96): centre (p + z^2/2n) / (1 + z^2/n).
    z = 1.959963984540054
    centre = (2 / 3 + z * z / 6) / (1 + z * z / 3)
    half = z * math.sqrt((2 / 9) / 3 + z * z / 36) / (1 + z * z / 3)
    assert (crisis.ci_low, crisis.ci_high) == pytest.approx((centre - half, centre + half))
    assert 0 <= crisis.ci_low and crisis.ci_high <= 1
    assert math.isnan(agg.loc[(0, "final_reputation", "all")].diff_mean)


def test_identical_outputs_for_one_two_workers_and_dask(tmp_path):
    outs = {}
    for name, kw in (("w1", dict(workers=1)), ("w2", dict(workers=2)), ("dask", dict(workers=2, dask="local"))):
        run_experiment(sweep(3), tmp_path / name, progress=False, **kw)
        outs[name] = {f: (tmp_path / name / f).read_bytes() for f in CSVS + ("critical_window.csv",)}
    assert outs["w1"] == outs["w2"] == outs["dask"]


def test_killed_sweep_resumes_to_the_same_files(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    run_experiment(sweep(6), whole, workers=1, progress=False)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.test_experiments import sweep\n"
        "from simulation.experiments import run_experiment\n"
        f"run_experiment(sweep(6), {str(killed)!r}, workers=1, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    store = RunStore(killed)
    deadline = time.time() + 120
    while len(store.done()) < 5 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(store.done())
    assert 0 < finished < 6 * 6, finished
    kept = {p: p.read_bytes() for p in store.root.glob("c*/b*.json")}
    run_experiment(Plan.from_folder(killed), killed, workers=2, resume=True, progress=False)
    for p, data in kept.items():  # finished runs were not redone
        assert p.read_bytes() == data
    for f in CSVS + ("critical_window.csv",):
        assert (killed / f).read_bytes() == (whole / f).read_bytes(), f


def test_a_failing_run_is_recorded_and_others_go_on(tmp_path):
    bad = to_dict(tiny())
    bad["complaint"]["placement"] = "node"
    bad["complaint"]["node"] = 10**6  # only the model can tell: the network is built at run time
    result = run_task(bad, 0, 0, 1)
    assert result["error"].startswith("ScenarioError") and math.isnan(result["metrics"]["reach"])
    plan = compare_plan(tiny(), ["quick_fix"], 2, seed=1)
    store = RunStore(tmp_path)
    store.write([result])  # pretend condition 0, replication 0 failed
    run_experiment(plan, tmp_path, progress=False, resume=True)
    s = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert s.error.iloc[0].startswith("ScenarioError") and (s.error.iloc[1:] == "").all()
    assert len(s) == 4


def test_critical_delay_of_a_synthetic_curve():
    delays = np.array([0, 12, 24, 48, 96])
    gain = 1.0 / (1 + delays / 24.0)  # halves exactly at 24 h
    assert critical_delay(delays, gain) == (pytest.approx(24.0), "found")
    gain = np.array([1.0, 0.8, 0.6, 0.2, 0.0])  # crosses 0.5 between 24 (0.6) and 48 (0.2): 30 h
    assert critical_delay(delays, gain) == (pytest.approx(30.0), "found")
    assert critical_delay(delays, np.array([1.0, 0.9, 0.8, 0.7, 0.6]))[1] == "beyond_range"
    assert critical_delay(delays, np.array([-0.1, 0, 0, 0, 0]))[1] == "no_gain"


def test_sweep_finds_a_critical_window_and_writes_quantiles(tmp_path):
    run_experiment(sweep(4), tmp_path, progress=False)
    w = pd.read_csv(tmp_path / "critical_window.csv")
    assert list(w.columns[:6]) == ["strategy", "metric", "key", "clock", "smallest_delay_h", "immediate_gain"]
    assert w.clock.iloc[0] == "detection" and w.metric.iloc[0] == "customer_reputation_loss_h"
    assert {"ci_open", "bootstrap_found_share", "rising", "rising_at"} <= set(w.columns)
    q = pd.read_csv(tmp_path / "timeseries_quantiles.csv")
    assert {"q05", "q25", "q50", "q75", "q95", "mean", "series"} <= set(q.columns)
    r = q[(q.series == "reputation")]
    assert (r.q05 <= r.q50).all() and (r.q50 <= r.q95).all()
    assert len(r) == (1 + 3) * (48 + 1)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["conditions"] == 4 and meta["replications"] == 4


def test_batched_and_one_by_one_runs_give_identical_files(tmp_path):
    from simulation import experiments

    plan = sweep(4)
    run_experiment(plan, tmp_path / "batched", workers=1, progress=False)
    assert len(list((tmp_path / "batched" / "runs").glob("c*/b*.json"))) < 4 * len(plan.conditions)
    one = experiments.MAX_BATCH
    try:
        experiments.MAX_BATCH = 1  # one run per task and per file
        run_experiment(sweep(4), tmp_path / "single", workers=1, progress=False)
    finally:
        experiments.MAX_BATCH = one
    assert len(list((tmp_path / "single" / "runs").glob("c*/b*.json"))) == 4 * len(plan.conditions)
    for f in CSVS + ("critical_window.csv", "contrasts.csv"):
        assert (tmp_path / "batched" / f).read_bytes() == (tmp_path / "single" / f).read_bytes(), f


def test_a_resume_redoes_exactly_the_tampered_batches(tmp_path, capsys):
    import shutil

    whole, folder = tmp_path / "whole", tmp_path / "tampered"
    run_experiment(sweep(4), whole, workers=1, progress=False)
    shutil.copytree(whole, folder)
    runs = folder / "runs"
    assert sorted(p.name for p in (runs / "c0001").glob("b*.json")) == ["b00000.json", "b00002.json"]
    (runs / "c0001" / "b00000.json").write_text('{"condition": 1, "reco')  # an interrupted write
    (runs / "c0002" / "b00002.npz").write_bytes(b"garbage")  # series overwritten
    shutil.copy(runs / "c0000" / "b00002.json", runs / "c0002" / "b00000.json")  # copied over another batch
    edited = json.loads((runs / "c0003" / "b00000.json").read_text())
    edited["records"][0]["metrics"]["reach"] = 0.5  # still valid JSON, edited by hand
    (runs / "c0003" / "b00000.json").write_text(json.dumps(edited))
    (runs / "c0001" / "b00002.json").unlink()  # deleted
    tampered = {"c0001/b00000", "c0002/b00002", "c0002/b00000", "c0003/b00000", "c0001/b00002"}
    untouched = {p: p.stat().st_mtime_ns for p in runs.glob("c*/b*.*") if f"{p.parent.name}/{p.stem}" not in tampered}
    assert len(untouched) == 2 * (2 * len(sweep(4).conditions) - len(tampered))  # a .json and an .npz each
    (runs / "c0000" / "b00000.tmp.npz").write_bytes(b"cut short")  # writes a kill interrupted
    (folder / ".summary.csv.tmp").write_text("cut short")
    capsys.readouterr()
    run_experiment(Plan.from_folder(folder), folder, workers=2, resume=True, progress=False)
    assert {p: p.stat().st_mtime_ns for p in untouched} == untouched  # exactly the tampered batches were redone
    assert not list(folder.rglob("*.tmp*"))  # and the interrupted writes are gone
    assert all((runs / f"{b}.json").is_file() for b in tampered)
    said = capsys.readouterr().out
    assert "resume: 5 run file(s) not trusted, run again" in said
    for bad in (
        "c0001/b00000 is not readable",
        "c0002/b00002 has missing or changed series",
        "c0002/b00000 changed since it was written",
        "c0003/b00000 changed since it was written",
        "c0001/b00002 was deleted",
    ):
        assert bad in said, bad
    for f in CSVS + ("critical_window.csv", "contrasts.csv"):
        assert (folder / f).read_bytes() == (whole / f).read_bytes(), f
    assert (folder / "timeseries.parquet").read_bytes() == (whole / "timeseries.parquet").read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_no_dask_worker_outlives_a_killed_local_cluster_sweep(tmp_path, sig):
    from tests.test_bad_inputs import _alive, _children

    scenario = tmp_path / "s.toml"
    from simulation.scenario import to_toml

    scenario.write_text(to_toml(load_scenario(small(**{"simulation.days": 1, "population.size": 200}))))
    out = tmp_path / "exp"
    argv = ["sweep", str(scenario), "--vary", "brand.delay_hours=0,6,12", "--replications", "400"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), *argv, "--dask", "local", "--workers", "2", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any((out / "runs").rglob("*.json")):
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert len(workers) >= 2  # the local cluster's two worker processes
    proc.send_signal(getattr(signal, sig))
    proc.wait(timeout=60)
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]
    if sig == "SIGTERM":  # like Ctrl-C: the cluster shut down, the resume line last, no traceback
        err = proc.stderr.read()
        assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
        assert err.strip().splitlines()[-1].startswith("interrupted: finished runs are kept; resume with:"), err


@pytest.mark.parametrize("name", ["scenario.toml", "experiment.json"])
def test_a_resume_of_a_folder_whose_plan_or_scenario_was_edited_is_refused(tmp_path, name):
    from simulation.experiment_folder import FolderError

    run_experiment(sweep(2), tmp_path / "x", progress=False)
    path = tmp_path / "x" / name
    path.write_text(path.read_text().replace("300", "301", 1) + "\n")
    with pytest.raises(FolderError, match=f"{name} changed since the experiment started"):
        Plan.from_folder(tmp_path / "x")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_request_ends_the_executor_loops_at_their_next_result(workers):
    """A Ctrl-C whose KeyboardInterrupt Python swallowed (in a callback) still stops the work (`request_stop`)."""
    from simulation.executor import Executor, clear_stop, request_stop

    try:
        with Executor(workers) as ex:
            results = ex.imap_unordered(pow, [(2, i) for i in range(6)])
            next(results)
            request_stop()
            with pytest.raises(KeyboardInterrupt):
                list(results)
    finally:
        clear_stop()
    with Executor(1) as ex:
        assert ex.map(pow, [(2, 3)]) == [8]  # cleared: the next command runs
