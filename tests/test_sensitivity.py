"""Sensitivity studies: SALib's known indices, exact zeros from common random numbers, robustness by hand, resume."""

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
from simulation.scenario import ScenarioError
from simulation.sensitivity import (
    Factor,
    Study,
    box_rows,
    indices,
    parse_param,
    resolve_factors,
    robustness_rows,
    run_study,
)
from tests.conftest import ROOT, small


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_the_ishigami_function_match_the_known_values():
    study = Study("sobol", [Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)], 4096, 1, 3, ["ignore"])
    x = study.unit_sample()
    assert x.shape == (4096 * 5, 3)
    df = indices(study, x, ishigami(x)).set_index("parameter")
    # Analytic values (Ishigami & Homma 1990; Saltelli et al. 2010): S1 0.3139, 0.4424, 0; ST 0.5576, 0.4424, 0.2437.
    known = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}
    for index, values in known.items():
        for name, value in zip(df.index, values):
            conf = df.loc[name, f"{index}_conf"]
            assert abs(df.loc[name, index] - value) <= 2 * conf + 1e-3, (index, name, df.loc[name, index], conf)


def test_morris_mu_star_of_a_linear_function_is_its_slope_times_the_range():
    study = Study("morris", [Factor("a", 0.0, 2.0), Factor("b", 10.0, 20.0)], 10, 1, 3, ["ignore"])
    x = study.unit_sample()
    df = indices(study, x, 3.0 * x[:, 0]).set_index("parameter")
    assert df.loc["a", "mu_star"] == pytest.approx(6.0) and df.loc["a", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert df.loc["b", "mu_star"] == 0.0 and df.loc["b", "mu_star_conf"] == 0.0


def test_a_log_factor_is_sampled_on_a_log_scale_and_integers_rounded():
    f = Factor("k", 1.0, 100.0, log=True)
    assert f.bounds == [0.0, 2.0] and f.values(np.array([0.0, 1.0, 2.0])) == pytest.approx([1.0, 10.0, 100.0])
    assert Factor("m", 1, 5, integer=True).values(np.array([1.4, 4.6])).tolist() == [1, 5]
    flag = parse_param("spread.repeat_exposure=")
    assert flag.boolean and flag.values(np.array([0.0, 1 / 3, 2 / 3, 1.0])).tolist() == [False, False, True, True]


def test_robustness_by_hand():
    study = Study("morris", [Factor("a", 0, 1)], 2, 2, 1, ["quick_fix"], metrics=["final_reputation"])
    ignore = np.array([0.1, 0.5, 0.2, 0.3])
    fix = np.array([0.4, 0.2, 0.2, 0.6])  # higher is better: fix wins at 0 and 3, ignore at 1, a tie at 2
    values = {("ignore", "final_reputation"): np.c_[ignore, ignore], ("quick_fix", "final_reputation"): np.c_[fix, fix]}
    rob = robustness_rows(study, values).set_index("option")
    assert rob.loc["quick_fix", "win_share"] == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert rob.loc["ignore", "win_share"] == pytest.approx((0 + 1 + 0.5 + 0) / 4)
    assert rob.loc["quick_fix", "mean_regret"] == pytest.approx(0.3 / 4)
    assert rob.loc["quick_fix", "worst_regret"] == pytest.approx(0.3)
    assert rob.loc["ignore", "mean_regret"] == pytest.approx(0.6 / 4)
    assert rob.loc["ignore", "worst_regret"] == pytest.approx(0.3)


def test_a_clear_win_is_a_paired_margin_beyond_its_t_interval_by_hand():
    from simulation.sensitivity import clear_wins

    a = [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    b = [[0.0, 1.0, 2.5], [0.5, 2.2, 2.4]]  # margins a - b: [1, 1, 0.5] then [0.5, -0.2, 0.6]
    # point 0: mean 0.8333, SD 0.2887, t(0.975, 2) = 4.3027: low = 0.8333 - 4.3027 x 0.2887 / sqrt(3) = 0.116 > 0
    # point 1: mean 0.3, SD 0.4359: low = 0.3 - 1.083 < 0, a wins on the means but not by more than chance
    runs = np.stack([np.array(a), np.array(b)], axis=1)
    assert clear_wins(runs).tolist() == [[True, False], [False, False]]
    assert not clear_wins(runs[:, :, :1]).any()  # one replication: nothing is clear
    study = Study("morris", [Factor("x", 0, 1)], 2, 3, 1, ["quick_fix"], metrics=["final_reputation"])
    values = {("quick_fix", "final_reputation"): np.array(a), ("ignore", "final_reputation"): np.array(b)}
    rob = robustness_rows(study, values).set_index("option")
    assert rob.loc["quick_fix", "best_alone_share"] == 1.0 and rob.loc["quick_fix", "clear_share"] == 0.5
    assert rob.loc["ignore", "clear_share"] == 0.0


def test_a_prim_box_finds_where_another_option_wins():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(4)
    n = 400
    points = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n)})
    study = Study("morris", [Factor("a", 0, 1), Factor("b", 0, 1)], 2, 1, 1, ["apology"], metrics=["final_reputation"])
    ignore = np.full(n, 0.3)
    apology = np.where(points.a > 0.6, 0.5, 0.1)  # apology wins where a > 0.6 only
    values = {("ignore", "final_reputation"): ignore[:, None], ("apology", "final_reputation"): apology[:, None]}
    boxes, note = box_rows(study, points, values)
    assert note == "" and set(boxes.parameter) == {"a"}
    row = boxes.iloc[0]
    assert row.option == "apology" and row.leader == "ignore"
    assert 0.45 < row.low <= 0.6 and math.isnan(row.high)  # a box a > low around where apology wins
    inside, wins = (points.a >= row.low).to_numpy(), (points.a > 0.6).to_numpy()
    assert row.density == pytest.approx(wins[inside].mean()) and row.density >= 0.8  # the box's stated density
    assert row.coverage == pytest.approx((wins & inside).sum() / wins.sum())


def tiny():
    return load_scenario(small(**{"simulation.days": 2, "population.size": 300}))


def study(**kw):
    factors = resolve_factors(["spread.visibility=0.1:0.5", "actions.remedy.cost=100:5000"], False)
    args = dict(method="morris", factors=factors, n=3, replications=2, seed=11, strategies=["quick_fix"])
    return Study(**{**args, **kw})


def test_a_parameter_that_cannot_matter_gets_exactly_zero_and_an_influential_one_ranks_first(tmp_path):
    out = run_study(study(), tiny(), tmp_path / "s", progress=False)
    sens = out["sensitivity.csv"]
    cost = sens[sens.parameter == "actions.remedy.cost"]
    assert (cost.mu_star == 0.0).all() and (cost.sigma == 0.0).all()  # common random numbers: identical runs
    vis = sens[(sens.parameter == "spread.visibility") & (sens.metric == "final_reputation")]
    assert (vis["rank"] == 1).all() and (vis.mu_star > 0).all()
    summary = pd.read_csv(tmp_path / "s" / "summary.csv")
    assert {"point", "condition", "replication", "spread.visibility", "actions.remedy.cost"} <= set(summary.columns)
    assert len(summary) == 3 * 3 * 2 * 2  # points x options x replications
    assert set(out["noise.csv"].columns) >= {"target", "metric", "noise_share_runs", "noise_share_means"}
    assert set(out["robustness.csv"].option) == {"ignore", "quick_fix"}
    assert not list((tmp_path / "s" / "runs").glob("c*/*.npz"))  # metrics only


def test_a_failed_point_is_said_not_computed_on_a_gap(tmp_path):
    s = study(metrics=["final_reputation"])
    out = run_study(s, tiny(), tmp_path / "ok", progress=False)
    summary = out["summary"].copy()
    summary.loc[summary.point == 2, "final_reputation"] = np.nan  # as a failed run records it
    from simulation.sensitivity import analyse

    sens = analyse(s, summary)["sensitivity.csv"]
    assert sens.mu_star.isna().all()
    assert sens.warning.str.contains(r"not computed: 1 sample point\(s\) failed \(points 2\)").all()


def test_a_killed_study_resumes_to_identical_files(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    s = study(n=4, replications=3)
    run_study(s, tiny(), whole, progress=False)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.test_sensitivity import study, tiny\n"
        "from simulation.sensitivity import run_study\n"
        f"run_study(study(n=4, replications=3), tiny(), {str(killed)!r}, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    store = RunStore(killed)
    deadline = time.time() + 120
    while len(store.done()) < 6 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < len(store.done()) < 4 * 4 * 3 * 2
    run_study(s, tiny(), killed, resume=True, workers=2, progress=False)
    for name in ("summary.csv", "sensitivity.csv", "noise.csv", "robustness.csv", "samples.csv"):
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.mark.parametrize(
    "text, message",
    [
        ("spread.visibility=0.2:1.5", "range 0.2:1.5 leaves the allowed values (number in [0, 1])"),
        ("spread.nothing=0:1", "unknown key"),
        ("network.kind=0:1", "is not numeric"),
        ("spread.visibility=0.5:0.1", "needs finite LO < HI"),
        ("spread.anger_dose=0:1:log", "a log scale needs LO > 0"),
        ("spread.visibility", "expected KEY=LO:HI"),
        ("spread.visibility=a:b", "LO and HI must be numbers"),
    ],
)
def test_bad_params_are_refused_in_one_line(text, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_param(text)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(method="sobol", n=100), "power of two"),
        (dict(method="sobol", n=16, factors=[Factor("spread.visibility", 0.1, 0.5)]), "at least two parameters"),
        (dict(n=1), "at least 2 trajectories"),
        (dict(method="fast"), "unknown method"),
        (dict(metrics=["nope"]), "unknown metric"),
        (dict(timing=[6.0]), "two different delays"),
    ],
)
def test_bad_studies_are_refused_in_one_line(kw, message):
    with pytest.raises(ScenarioError, match=message):
        study(**kw)


def test_a_range_the_scenario_cannot_run_is_refused_before_anything_runs(tmp_path):
    s = study(factors=resolve_factors(["network.m=1:400"], False))
    with pytest.raises(ScenarioError, match="network.m"):
        s.check(tiny())


def test_the_plausible_ranges_hold_their_defaults_within_the_allowed_values():
    from simulation.parameters import field_of
    from simulation.sensitivity import assumption_factors

    factors = assumption_factors()
    assert len(factors) >= 15
    for f in factors:
        m = field_of(f.key).metadata
        default = field_of(f.key).default
        assert f.lo < f.hi and f.lo <= default <= f.hi and f.why, f.key
        assert (m["lo"] is None or f.lo >= m["lo"]) and (m["hi"] is None or f.hi <= m["hi"]), f.key
        assert not f.log or f.lo > 0, f.key


def test_the_study_figures_and_report_are_drawn_without_overlapping_text(tmp_path):
    from simulation import sensitivity_report as sr
    from tests.test_figure_text import overlapping_texts

    factors = resolve_factors(["spread.visibility=0.1:0.5", "spread.anger_dose=0.2:0.9:log"], False)  # a log axis
    s = study(factors=factors, timing=[1.0, 24.0], strategies=["quick_fix", "apology"])
    run_study(s, tiny(), tmp_path / "s", progress=False)
    _, points, _, values, tables = sr.load(tmp_path / "s")
    sens = tables["sensitivity.csv"]
    figures = [sr.wins_figure(s, sens, points, values, None)]
    for target in sr.key_targets(s):
        figures += [sr.indices_figure(s, sens, target, None), sr.effect_figure(s, sens, points, values, target, None)]
    for fig in figures:
        assert not overlapping_texts(fig), overlapping_texts(fig)
    assert len(sr.all_figures(tmp_path / "s")) == len(figures)  # PNG each
    assert len(sr.all_figures(tmp_path / "s", ("png", "pdf"))) == 2 * len(figures)  # and PDF when asked
    md, page = sr.write_report(tmp_path / "s")
    text = md.read_text()
    for heading in ("## Which conclusions survive", "## What drives the damage", "## Design", "## Figures"):
        assert heading in text
    assert "quick_fix at 1 h: 1 h" not in text and "apology: 1 h - 24 h" in text
    assert page.read_text().count("<img") == len(figures)


def test_the_command_lines_defaults_make_a_study_that_runs():
    """Without --param, the assumed parameters; without --n, 10 Morris trajectories or 64 Sobol' base samples."""
    from simulation.cli import parser
    from simulation.sensitivity_cli import study_from_args

    base = tiny()
    morris = study_from_args(parser().parse_args(["sensitivity", "x"]), base)
    assert morris.method == "morris" and morris.n == 10 and morris.replications == 5
    assert {f.key for f in morris.factors} >= {"spread.visibility", "spread.anger_dose"}
    assert morris.strategies == ["ignore"] and morris.metrics == [
        "customer_reputation_loss_h",
        "reach_complaint",
        "peak_posts",
        "final_reputation",
    ]
    sobol = study_from_args(parser().parse_args(["sensitivity", "x", "--method", "sobol"]), base)
    assert sobol.n == 64 and sobol.point_count == 64 * (len(sobol.factors) + 2) == len(sobol.points())
