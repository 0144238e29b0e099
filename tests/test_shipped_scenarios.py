"""The scenario files a user gets: every one validates and runs (smoke test; their stories are
checked by eye in their figures, so recalibrating them breaks no test)."""

import pytest

from simulation import BuzzModel, load_scenario
from simulation.scenario import SCENARIO_DIR

SHIPPED = sorted(SCENARIO_DIR.glob("*.toml")) + sorted(SCENARIO_DIR.glob("validation/*.toml"))


def test_the_cases_of_cases_md_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"default", "porsche_991", "kia_deposit", "private_outlet", "lawyers_streisand", "press_latency"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_runs(path):
    sc = load_scenario(path)
    assert sc.description, f"{path.name} needs a description (shown by `run.py list`)"
    model = BuzzModel(sc, rng=0)
    for _ in range(min(model.n_steps, 48)):
        model.step()
    assert model.population.stance.sum() > 0
