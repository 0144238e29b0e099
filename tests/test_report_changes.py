"""The report's table of changed parameters: only what differs from the defaults, list entries included."""

from simulation.report import changed_parameters
from simulation.scenario import load_scenario, to_dict
from tests.conftest import small


def _changes(**raw) -> dict:
    rows = changed_parameters(to_dict(load_scenario(small(**raw))))
    return {r["key"]: (r["value"], r["default"]) for r in rows}


def test_an_added_amplifier_lists_only_the_fields_that_differ_from_its_defaults():
    changes = _changes(amplifiers=[{}, {"name": "tv", "threshold": 5.0}])
    amplifier_rows = {k: v for k, v in changes.items() if k.startswith("amplifiers.")}
    # the first at its defaults: seen by its name only; the second: its name and its threshold
    assert amplifier_rows == {
        "amplifiers.0.name": ("press", "press"),
        "amplifiers.1.name": ("tv", "press"),
        "amplifiers.1.threshold": (5.0, 30.0),
    }


def test_a_schedule_entry_shows_its_action_and_its_changed_time():
    changes = _changes(**{"brand.strategy": "custom", "brand.schedule": [{"action": "apology", "at_hours": 1.0}]})
    schedule = {k for k in changes if k.startswith("brand.schedule.")}
    assert schedule == {"brand.schedule.0.action", "brand.schedule.0.at_hours"}  # its anchor is the default
    assert changes["brand.strategy"] == ("custom", "ignore")
