"""Scenario loading: overrides, resolved output, and one clear message per kind of error."""

import tomllib

import pytest

from simulation import ScenarioError, load_scenario, to_toml
from simulation.brand import schedule_for
from simulation.parameters import describe
from simulation.scenario import parse_assignments, to_dict
from simulation.strategies import STRATEGY_NAMES as STRATEGIES
from tests.conftest import small


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_and_overrides_by_dotted_key():
    sc = load_scenario(small(), {"brand.delay_hours": 12.0, "network.kind": "watts_strogatz"})
    assert sc.brand.delay_hours == 12.0 and sc.network.kind == "watts_strogatz"
    assert sc.population.size == 600 and sc.spread.anger_half_life_h == 3.0
    sc2 = load_scenario(small(), ['brand.strategy="delay"', "seed=3"])
    assert sc2.brand.strategy == "delay" and sc2.seed == 3


def test_bare_string_override_and_list_index():
    sc = load_scenario(
        small(amplifiers=[{"name": "press"}]),
        parse_assignments(["brand.strategy=lawyers", "amplifiers.0.threshold=12"]),
    )
    assert sc.brand.strategy == "lawyers" and sc.amplifiers[0].threshold == 12.0


def test_resolved_toml_round_trips(tmp_path):
    sc = load_scenario(
        small(
            **{
                "brand.strategy": "custom",
                "brand.schedule": [
                    {"action": "holding_reply", "at_hours": 2.0},
                    {"action": "remedy", "at_hours": 1440.0, "anchor": "complaint"},
                ],
            },
            amplifiers=[{"name": "press", "delay_h": 48.0}],
        )
    )
    path = write(tmp_path, to_toml(sc))
    again = load_scenario(path)
    assert to_dict(again) == to_dict(sc)
    assert tomllib.loads(path.read_text())["brand"]["schedule"][1]["anchor"] == "complaint"


def test_presets_put_the_decisive_action_at_delay_hours():
    sc = load_scenario(small(**{"brand.strategy": "delay", "brand.delay_hours": 96.0}))
    assert [(a.action, a.at_hours) for a in schedule_for(sc)] == [("holding_reply", 1.0), ("remedy", 96.0)]
    sc = load_scenario(small(**{"brand.strategy": "quick_fix"}))
    assert [(a.action, a.at_hours) for a in schedule_for(sc)] == [("remedy", 1.0)]
    assert [a.action for a in schedule_for(load_scenario(small(**{"brand.strategy": "ignore"})))] == []


def test_every_documented_key_has_unit_default_allowed_and_meaning():
    rows = describe()
    keys = {r["key"] for r in rows}
    for key in (
        "seed",
        "population.size",
        "network.kind",
        "network.path",
        "network.directed",
        "simulation.days",
        "simulation.dt_hours",
        "brand.strategy",
        "brand.delay_hours",
        "brand.schedule",
        "brand.schedule[].action",
        "amplifiers[].threshold",
        "actions.remedy.calm",
    ):
        assert key in keys
    assert all(r["meaning"] and r["allowed"] for r in rows)
    assert set(STRATEGIES) >= {"ignore", "quick_fix", "delay", "lawyers", "apology", "deflect", "deny", "astroturf"}


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ("[population]\nsize = 'many'\n", "population.size", "expected integer"),
        ("[population]\nsize = 1\n", "population.size", "out of range; allowed: integer in [10, 1e+07]"),
        ("[population]\nsizes = 50\n", "population.sizes", "unknown key; allowed here: size,"),
        ("[brand]\nstrategy = 'pray'\n", "brand.strategy", "unknown value 'pray'; allowed: ignore, quick_fix"),
        ("[brand]\nstrategy = 'custom'\n", "brand.schedule", "strategy = custom needs a non-empty schedule"),
        (
            "[brand]\nstrategy = 'custom'\n[[brand.schedule]]\naction = 'bribe'\n",
            "brand.schedule.0.action",
            "unknown value 'bribe'; allowed: remedy",
        ),
        (
            "[brand]\nstrategy = 'custom'\n[[brand.schedule]]\naction = 'remedy'\nanchor = 'moon'\n",
            "brand.schedule.0.anchor",
            "allowed: detection, complaint, start",
        ),
        ("[simulation]\ndt_hours = 0\n", "simulation.dt_hours", "allowed: number in (0, 24]"),
        ("[spread]\nvisibility = 1.5\n", "spread.visibility", "allowed: number in [0, 1]"),
        ("[network]\nkind = 'file'\n", "network.path", "needs a path to an edge list"),
        ("[network]\nkind = 'file'\npath = 'nowhere.txt'\n", "network.path", "nowhere.txt"),
        ("[network]\nkind = 'lattice'\n", "network.kind", "allowed: barabasi_albert, watts_strogatz"),
        ("[actions.bribe]\ncost = 1\n", "actions.bribe", "unknown action; allowed: remedy"),
        ("[actions.remedy]\ncalm = 'lots'\n", "actions.remedy.calm", "expected number in [-1, 1]"),
        ("[[amplifiers]]\nthreshold = -1\n", "amplifiers.0.threshold", "allowed: number > 0"),
        ("amplifiers = 3\n", "amplifiers", "expected a list of tables"),
        ("[network]\ndirected = 'yes'\n", "network.directed", "expected true/false"),
        ("population = 4\n", "population", "expected a table"),
    ],
)
def test_each_error_names_file_key_and_what_is_allowed(tmp_path, text, key, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: {key}: "), msg
    assert fragment in msg, msg
    assert "\n" not in msg


def test_malformed_toml_and_missing_file(tmp_path):
    path = write(tmp_path, "[population\nsize = 3\n")
    with pytest.raises(ScenarioError, match=r"s\.toml: malformed TOML"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="absent.toml: file not found"):
        load_scenario(tmp_path / "absent.toml")


def test_empty_and_malformed_network_files(tmp_path):
    (tmp_path / "empty.txt").write_text("# nothing\n")
    (tmp_path / "bad.txt").write_text("1 2\n3\n")
    for name, fragment in (("empty.txt", "empty.txt"), ("bad.txt", "line 2")):
        path = write(tmp_path, f"[network]\nkind = 'file'\npath = '{name}'\n")
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert str(err.value).startswith(f"{path}: network.path: ") and fragment in str(err.value)


def test_file_network_size_comes_from_the_file(tmp_path):
    (tmp_path / "net.txt").write_text("a b\nb c\nc a\nc d\n" + "".join(f"d e{i}\n" for i in range(8)))
    path = write(tmp_path, "[network]\nkind = 'file'\npath = 'net.txt'\n")
    assert load_scenario(path).population.size == 12
    path = write(tmp_path, "[network]\nkind = 'file'\npath = 'net.txt'\n[population]\nsize = 50\n", "t.toml")
    with pytest.raises(ScenarioError, match="population.size: is 50 but the network file net.txt has 12"):
        load_scenario(path)


@pytest.mark.parametrize(
    "items, fragment", [(["brand.delay_hours"], "expected KEY=VALUE"), (["=3"], "expected KEY=VALUE")]
)
def test_bad_set_syntax(items, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        parse_assignments(items)


def test_set_on_a_value_path_is_an_error():
    with pytest.raises(ScenarioError, match="seed: is a value, not a table"):
        load_scenario(small(), {"seed.x": 1})


def test_keys_a_scenario_does_not_use_are_said_not_ignored_silently(tmp_path, capsys):
    from simulation.cli import main
    from simulation.scenario import unused_keys

    generated = load_scenario(small(**{"network.path": "edges.txt", "network.header": True}))
    assert [k for k, _ in unused_keys(generated)] == ["network.path", "network.header"]
    undirected = load_scenario(small(**{"network.edge_meaning": "source_sees_target"}))
    assert [k for k, _ in unused_keys(undirected)] == ["network.edge_meaning"]
    assert unused_keys(load_scenario(small())) == []
    path = tmp_path / "s.toml"
    path.write_text(to_toml(load_scenario(small(**{"simulation.days": 1, "population.size": 100}))))
    argv = ["run", str(path), "--set", "network.path=x.txt", "--replications", "1", "--no-figures"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    assert "note: network.path is not used: read for network.kind = file only (kind is" in capsys.readouterr().out
