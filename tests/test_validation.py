"""Validation (the simulation.validation package): the known results and the stylised facts of
docs/ODD.md, section 8, each on fixed seeds with the tolerance stated in its docstring, and the
`check-model` command.

The statistical checks run the model with the user-facing defaults on purpose (they validate
the defaults, so recalibrating a default may rightly break them); they are marked slow. Together
they take about two minutes on two idle cores.
"""

import math

import numpy as np
import pytest

from simulation import validation as v
from simulation.scenario import load_scenario
from tests.conftest import ROOT

ODD = ROOT / "docs" / "ODD.md"


@pytest.fixture(scope="module", autouse=True)
def _shared_pool():
    """One pool of worker processes for the whole module (started on first use)."""
    yield
    v.close_pool()
    v.base_rate_runs.cache_clear()


def explain(c: v.Check) -> str:
    return f"{c.key} {c.fact}: expected {c.expected}; measured {c.measured}; details {c.details}"


def recorded(c: v.Check) -> None:
    """The record behind the README's validation table and docs/cases.md holds what the check
    measures today (regenerate with `python run.py check-model --update-docs`)."""
    from simulation.docs import validation_records

    rec = validation_records().get(c.key)
    assert rec is not None, f"check {c.key} is not in docs/validation.json"
    assert (rec["measured"], rec["passed"]) == (c.measured, c.passed), f"docs/validation.json is stale for {c.key}"


# -- the reductions and their parameter mappings (fast) ------------------------------------------


def test_theta_is_the_root_of_sudburys_equation():
    theta = v.theta_maki_thompson()
    assert theta == pytest.approx(v.THETA_MAKI_THOMPSON, abs=1e-12)
    assert theta == pytest.approx(math.exp(-2 * (1 - theta)), abs=1e-12)
    assert theta == pytest.approx(0.2031878, abs=1e-7)


def test_maki_thompson_scenario_is_the_reduction():
    sc = load_scenario(v.VALIDATION_DIR / "maki_thompson.toml")
    v.mt_preconditions(sc)
    assert sc.population.size == 10_000 and sc.simulation.dt_hours <= 0.05
    with pytest.raises(ValueError, match="stifle_prob"):
        v.mt_preconditions(load_scenario(v.VALIDATION_DIR / "maki_thompson.toml", {"spread.stifle_prob": 0.5}))


def test_sir_mapping_of_the_scenario():
    """tau = r v (1 - exp(-anger_dose)) = 2 * 0.05 / 9 per hour, gamma = 0.1 per hour; 20 posts per
    infectious period; the finite-dt effective rate is within 2.5% of tau at dt = 0.02 h."""
    sc = load_scenario(v.VALIDATION_DIR / "sir_network.toml")
    m = v.sir_mapping(sc)
    assert m["tau"] == pytest.approx(2 * 0.05 / 9, rel=1e-9)
    assert m["gamma"] == pytest.approx(0.1)
    assert m["T"] == pytest.approx(0.1, rel=1e-9)
    assert m["posts_per_infectious_period"] == pytest.approx(20)
    assert 0.975 < m["tau_eff"] / m["tau"] < 1.0
    with pytest.raises(ValueError, match="repeat_exposure"):
        v.sir_mapping(load_scenario(v.VALIDATION_DIR / "sir_network.toml", {"spread.repeat_exposure": False}))


def test_statistics_helpers():
    from simulation import stats

    assert stats.ks_bound(100, 100) == pytest.approx(1.949 * math.sqrt(0.02))
    lo, hi = stats.wilson_interval(5, 100)
    assert lo < 0.05 < hi and 0 < lo and hi < 0.12
    a = np.linspace(0, 1, 101)
    assert stats.wasserstein(a, a + 0.01) == pytest.approx(0.01)
    assert stats.ks_distance(a, a) == 0


def test_base_rate_scenario_keeps_the_defaults():
    """Only the horizon, the population size and the brand's strategy are set; everything else is a default."""
    from simulation.scenario import read_toml

    raw = read_toml(v.VALIDATION_DIR / "base_rate.toml")
    model_keys = {k for k in raw if k not in ("name", "description", "seed", "replications")}
    assert model_keys == {"simulation", "population", "brand"}
    assert raw["simulation"] == {"days": 10} and raw["population"] == {"size": 20000}
    assert raw["brand"] == {"strategy": "ignore"}


# -- known results (slow) ----------------------------------------------------------------------------


@pytest.mark.slow
def test_maki_thompson_share_never_informed():
    """Known result: 40 runs of N = 10,000, dt = 0.05 h: mean share never informed within 0.005 of
    theta = 0.2032 (Sudbury 1985), standard error of the mean <= 0.0015, every rumour over."""
    c = v.check_maki_thompson()
    assert c.details["runs"] == 40 and c.details["se"] <= 0.0015
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_sir_on_facebook_matches_eon():
    """Known result: 30 runs against 200 EoN fast_SIR runs at tau/gamma = 1/9 on ego-Facebook: mean
    final size within 0.02, Wasserstein-1 distance <= 0.02, KS distance <= 1.949 sqrt((n+m)/(nm))."""
    c = v.check_sir_network()
    assert c.details["unfinished"] == 0
    assert c.passed, explain(c)
    recorded(c)


# -- stylised facts (slow) ----------------------------------------------------------------------------


@pytest.mark.slow
def test_fact1_most_complaints_die_out_a_few_explode():
    """Fact 1: 400 single random complaints, default parameters, N = 20,000, no brand action: the
    share reaching more than 1% of the population is in [1%, 10%] (Herhausen et al. 2019: 3%)."""
    c = v.fact_base_rate()
    assert c.details["runs"] == 400
    assert c.details["top5_share_of_reach"] > 0.5  # heavy tail: the top 5% of complaints hold most of the reach
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact2_attention_fades_within_hours_with_a_long_tail():
    """Fact 2: on the viral runs of fact 1, negative posts per hour after the peak: half-life of a
    log-linear fit over 24 h in [1 h, 24 h]; posts 48-168 h after the peak above the fit (ratio > 1)."""
    c = v.fact_attention_decay()
    assert c.details["viral_runs"] >= 5
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact3_hubs_and_amplifiers_reach_far_more():
    """Fact 3: default scenario without brand action, 40 runs each: mean reach of a hub complainant
    at least twice a random one's; the influencer's paired gain above two standard errors."""
    c = v.fact_hub_amplifier()
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact4_later_remedy_larger_loss_with_a_critical_window():
    """Fact 4: quick_fix delays 0-96 h vs ignore, 20 paired runs each: Spearman(delay, mean loss)
    >= 0.9; the gain over ignore falls below half the immediate gain within the range; loss per
    hour over 0-24 h at least twice that over 48-96 h."""
    c = v.fact_critical_window()
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact5_legal_threats_raise_attention():
    """Fact 5: lawyers (24 h after detection) vs ignore, 20 paired runs: negative posts in the 48 h
    after the legal action higher by more than two standard errors of the paired difference."""
    c = v.fact_streisand()
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact6_remedy_quality_beats_speed():
    """Fact 6: 30 paired runs: a remedy 24 h after detection gains more reputation over ignore than a
    holding reply 1 h after detection (difference > 2 SE), and the holding reply gains at most 25%
    of the remedy's gain."""
    c = v.fact_remedy_quality()
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
def test_fact7_damage_outlives_the_buzz():
    """Fact 7: default scenario for 60 days, 20 runs: among runs whose buzz ended at least 30 days
    before the horizon, at least 40% are still below their starting reputation, and the mean
    remaining drop exceeds two standard errors."""
    c = v.fact_damage_outlives()
    assert c.details["counted"] >= 10
    assert c.passed, explain(c)
    recorded(c)


# -- the command --------------------------------------------------------------------------------------


def test_check_model_command_writes_table_figures_and_records(tmp_path, capsys):
    from simulation.cli import main

    out = tmp_path / "check"
    code = main(["check-model", "--only", "8a", "--quick", "--pdf", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "8a. Maki-Thompson" in text and "pass" in text and "expected" in text and "measured" in text
    for name in (
        "checks.csv",
        "checks.json",
        "meta.json",
        "figures/fact8a_maki_thompson.png",
        "figures/fact8a_maki_thompson.pdf",
    ):
        assert (out / name).stat().st_size > 0, name
    import pandas as pd

    row = pd.read_csv(out / "checks.csv").iloc[0]
    assert row["key"] == "8a" and bool(row["passed"])
    assert {"fact", "quantity", "expected", "measured", "source", "basis"} <= set(row.index)


def test_check_model_rejects_an_unknown_check(tmp_path, capsys):
    from simulation.cli import main

    assert main(["check-model", "--only", "99", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "unknown check 99" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_fact9_a_buzz_fades_on_any_network():
    """Fact 9: the default scenario on six networks, 20 runs each: >= 90% of the crisis runs fade."""
    c = v.fact_fades_on_any_network()
    assert c.passed, explain(c)
    recorded(c)


# -- the cases and the step sizes (slow) --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", v.CASES)
def test_case_inside_its_envelope(case):
    """Each case on its own strategy: it fades, peaks early, posts realistically, and shows what its
    real case showed (docs/cases.md)."""
    c = v.case_envelope(case)
    assert c.passed, explain(c)
    recorded(c)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", v.SHIPPED)
def test_step_size_of_every_shipped_scenario_converges(scenario):
    """Halving dt moves the mean final reputation and reach_complaint by < 0.25 SD (80 paired runs)."""
    c = v.check_convergence(scenario)
    assert c.passed, explain(c)
    recorded(c)


def test_the_validation_record_covers_every_check():
    from simulation.docs import validation_records

    assert list(validation_records()) == [k for k, _ in v.CHECKS]
