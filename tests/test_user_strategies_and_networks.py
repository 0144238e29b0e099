"""The user's own: named strategies compared and swept, edge lists with headers and labels, node tables."""

import json

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.brand import schedule_for
from simulation.cli import main
from simulation.experiment_folder import ExperimentFolder
from simulation.experiment_plots import over_time_figures
from simulation.experiments import baseline_of, sweep_plan
from simulation.model import BuzzModel
from simulation.network import read_edge_list
from simulation.scenario import ScenarioError, apply_overrides, to_toml
from simulation.strategies import describe_strategy
from tests.conftest import small

# Two strategies of the user's own (the tests' own fixture).
STRATEGIES = {
    "lawyers_then_apology": {
        "description": "threaten, then apologise",
        "schedule": [
            {"action": "legal", "at_hours": 1.0},
            {"action": "apology", "at_hours": 48.0},
        ],
    },
    "apology_first": {
        "schedule": [
            {"action": "apology", "at_hours": 2.0, "anchor": "complaint"},
            {"action": "remedy", "at_hours": 24.0, "anchor": "complaint"},
        ],
    },
}
WORDS = "legal at 1 h after detection, then apology at 48 h"


def own(**changes) -> dict:
    """The small scenario with the two strategies of its own, two days long."""
    raw = small(**{"simulation.days": 2, "population.size": 300})
    raw["strategies"] = json.loads(json.dumps(STRATEGIES))
    return apply_overrides(raw, changes)


def one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


# --- named strategies ---------------------------------------------------------------------------


def test_named_strategies_are_described_from_their_schedule_and_run():
    sc = load_scenario(own(**{"brand.strategy": "lawyers_then_apology"}))
    assert describe_strategy("lawyers_then_apology", sc) == WORDS
    assert describe_strategy("apology_first", sc) == "apology at 2 h after complaint, then remedy at 24 h"
    assert [(a.action, a.at_hours) for a in schedule_for(sc)] == [("legal", 1.0), ("apology", 48.0)]
    model = BuzzModel(sc, rng=3)
    assert [s.spec.action for s in model.brand.pending] == [] and len(model.brand.waiting["detection"]) == 2
    # the resolved scenario keeps them, and reloads to the same
    again = load_scenario(
        {k: v for k, v in __import__("tomllib").loads(to_toml(sc)).items()},
    )
    assert again.strategies == sc.strategies and again.brand.strategy == "lawyers_then_apology"


@pytest.mark.parametrize(
    "changes, key, fragment",
    [
        ({"strategies.quick_fix": {"schedule": [{"action": "remedy"}]}}, "strategies.quick_fix", "name of a preset"),
        ({"strategies.custom": {"schedule": [{"action": "remedy"}]}}, "strategies.custom", "name of a preset"),
        ({"strategies.empty": {"schedule": []}}, "strategies.empty.schedule", "at least one action"),
        ({"strategies.odd": {"schedule": [{"action": "pray"}]}}, "strategies.odd.schedule.0.action", "allowed: remedy"),
        ({"strategies.odd": {"when": 3}}, "strategies.odd.when", "allowed here: description, schedule"),
        ({"strategies.odd": 3}, "strategies.odd", "expected a table"),
        ({"brand.strategy": "nope"}, "brand.strategy", "allowed: ignore, quick_fix"),
    ],
)
def test_bad_named_strategies_get_one_line(changes, key, fragment):
    with pytest.raises(ScenarioError) as e:
        load_scenario(own(**changes))
    msg = one_line(e)
    assert msg.startswith(f"scenario dict: {key}: ") and fragment in msg, msg
    raw = own()
    raw["strategies"]["bad name"] = {"schedule": [{"action": "remedy"}]}
    with pytest.raises(ScenarioError, match="strategies.bad name: bad name: letters"):
        load_scenario(raw)


def test_a_key_inside_one_strategy_changes_only_its_conditions():
    base = load_scenario(own())
    key = "strategies.lawyers_then_apology.schedule.1.at_hours"
    plan = sweep_plan(base, ["lawyers_then_apology", "apology_first"], {key: [24.0, 72.0]}, 2, seed=1)
    conds = [(c["brand.strategy"], c[key]) for c in plan.conditions]
    assert conds == [
        ("ignore", None),
        ("lawyers_then_apology", 24.0),
        ("lawyers_then_apology", 72.0),
        ("apology_first", None),
    ]
    scen = [plan.scenario_for(c) for c in plan.conditions]
    assert scen[0].brand.schedule == [] and schedule_for(scen[0]) == []
    assert [schedule_for(s)[1].at_hours for s in scen[1:3]] == [24.0, 72.0]
    assert scen[3].strategies["lawyers_then_apology"].schedule[1].at_hours == 48.0  # untouched elsewhere
    assert [a.action for a in schedule_for(scen[3])] == ["apology", "remedy"]
    assert baseline_of(plan) == {0: 0, 1: 0, 2: 0, 3: 0}
    with pytest.raises(ScenarioError, match="changes strategy 'apology_first' only, which is not compared"):
        sweep_plan(base, ["lawyers_then_apology"], {"strategies.apology_first.schedule.0.at_hours": [1, 2]}, 2, 1)
    with pytest.raises(ScenarioError, match="--strategies: pray: unknown strategy; allowed: lawyers_then_apology"):
        sweep_plan(base, ["pray"], {key: [1.0]}, 2, 1)


def test_a_custom_schedule_swept_leaves_the_baseline_alone():
    raw = small(
        **{
            "simulation.days": 2,
            "population.size": 300,
            "brand.strategy": "custom",
            "brand.schedule": [{"action": "holding_reply", "at_hours": 1.0}, {"action": "remedy", "at_hours": 12.0}],
        }
    )
    plan = sweep_plan(load_scenario(raw), ["custom"], {"brand.schedule.1.at_hours": [24.0, 72.0]}, 2, seed=1)
    assert [c["brand.schedule.1.at_hours"] for c in plan.conditions] == [None, 24.0, 72.0]
    assert schedule_for(plan.scenario_for(plan.conditions[0])) == []
    assert [a.at_hours for a in schedule_for(plan.scenario_for(plan.conditions[2]))] == [1.0, 72.0]


def test_named_strategies_compared_and_swept_end_to_end(tmp_path, capsys):
    path = tmp_path / "own.toml"
    path.write_text(to_toml(load_scenario(own())))
    assert main(["list", str(path)]) == 0
    listed = capsys.readouterr().out
    assert f"lawyers_then_apology   threaten, then apologise: {WORDS}" in listed
    out = tmp_path / "sweep"
    key = "strategies.lawyers_then_apology.schedule.1.at_hours"
    argv = ["sweep", str(path), "--strategies", "lawyers_then_apology,apology_first", "--vary", f"{key}=24,72"]
    assert main([*argv, "--replications", "2", "--workers", "1", "--out", str(out)]) == 0
    exp = ExperimentFolder.load(out)
    assert exp.description("lawyers_then_apology") == WORDS
    assert exp.title("ignore") == "ignore"
    agg = pd.read_csv(out / "aggregate.csv")
    assert sorted(agg.condition.unique()) == [0, 1, 2, 3]
    paired = agg[(agg.metric == "final_reputation") & (agg.scope == "all") & (agg.condition > 0)]
    assert paired["diff_mean"].notna().all()  # every condition paired with the untouched baseline
    report = (out / "report.md").read_text()
    assert f"lawyers_then_apology: {WORDS}" in report
    legends = [t.get_text() for fig in over_time_figures(exp).values() for t in fig.findobj(match=_is_text)]
    assert any(t.startswith("lawyers_then_apology (legal at 1 h after") for t in legends), legends


def _is_text(artist) -> bool:
    from matplotlib.text import Text

    return isinstance(artist, Text) and bool(artist.get_text())


# --- the user's own networks ----------------------------------------------------------------------

EDGES = "source,target\nalice,bob\nbob,carol\ncarol,dave\ndave,erin\nerin,alice\nalice,carol\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_header_is_decided_and_can_be_forced(tmp_path):
    named = write(tmp_path, "named.csv", EDGES)
    net = read_edge_list(named, directed=False)
    assert net.n == 5 and net.labels.tolist() == ["alice", "bob", "carol", "dave", "erin"]
    assert net.report["header"].startswith("line 1 'source,target' read as column names")
    assert read_edge_list(named, directed=False, header=False).n == 7  # 'source' and 'target' become consumers
    numeric = write(tmp_path, "numeric.txt", "# comment\nFrom To\n10 20\n20 30\n")
    assert read_edge_list(numeric, directed=False).n == 3
    odd = write(tmp_path, "odd.txt", "a_col b_col\n10 20\n20 30\n30 10\n")
    net = read_edge_list(odd, directed=False)
    assert net.n == 3 and "the only non-numeric line" in net.report["header"]
    plain = write(tmp_path, "plain.txt", "1 2\n2 3\n")
    assert read_edge_list(plain, directed=False).report["header"].startswith("no header line (line 1 '1,2' is a link")
    assert read_edge_list(plain, directed=False, header=True).n == 2  # the first link skipped as asked
    strings = write(tmp_path, "strings.txt", "ann ben\nben cid\n")
    assert read_edge_list(strings, directed=False).n == 3  # string labels: the first line is a link


# Five more consumers on a chain from erin: a scenario's network needs at least 10 (MIN_POPULATION).
CHAIN = "erin,fay\nfay,gus\ngus,hal\nhal,ivy\nivy,jon\n"


def file_scenario(tmp_path, **changes) -> dict:
    write(tmp_path, "edges.csv", EDGES + CHAIN)
    raw = small(**{"simulation.days": 1, "network.kind": "file", "network.path": str(tmp_path / "edges.csv")})
    del raw["population"]
    raw["complaint"] = {"placement": "node", "node": "carol"}
    return apply_overrides(raw, changes)


def test_labels_name_the_complainant_in_and_out(tmp_path):
    path = write(tmp_path, "s.toml", to_toml(load_scenario(file_scenario(tmp_path))))
    out = tmp_path / "run"
    assert main(["run", str(path), "--replications", "2", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary["complainants"].tolist() == ["carol", "carol"]
    meta = json.loads((out / "meta.json").read_text())
    assert "read as column names" in meta["network"]["header"]
    with pytest.raises(ScenarioError) as e:
        load_scenario(file_scenario(tmp_path, **{"complaint.node": "zoe"}))
    assert "complaint.node: 'zoe' is not a node of the network file edges.csv (its labels are like alice" in one_line(e)
    numbers = write(tmp_path, "numbers.txt", "".join(f"{100000 + i} {100001 + i}\n" for i in range(10)))
    raw = file_scenario(tmp_path, **{"network.path": str(numbers), "complaint.node": 100007})
    model = BuzzModel(load_scenario(raw), rng=0)
    assert model.network.label_of(np.flatnonzero(model.population.complainant)) == [100007]
    with pytest.raises(ScenarioError, match=r"complaint.node: 7 is not a node of the network file numbers.txt"):
        load_scenario(file_scenario(tmp_path, **{"network.path": str(numbers), "complaint.node": 7}))
    with pytest.raises(ScenarioError, match=r"complaint.node: 'carol' is not a consumer: .* 0 to 299"):
        load_scenario(small(**{"population.size": 300, "complaint.placement": "node", "complaint.node": "carol"}))


def test_a_node_table_sets_customers_audience_and_activity(tmp_path):
    table = write(
        tmp_path,
        "nodes.csv",
        "label,customer,follows_brand,activity\nbob,0,1,\ncarol,1,1,2.5\n\ndave,,0,0\nerin,1,,\n",
    )
    raw = file_scenario(tmp_path, **{"population.customer_share": 0.5, "brand.audience_share": 0.5})
    raw["complaint"] = {"complainants": 0, "background_rate_per_h": 1.0}
    plain = BuzzModel(load_scenario(raw), rng=4)
    model = BuzzModel(load_scenario(apply_overrides(raw, {"network.nodes_path": str(table)})), rng=4)
    pop, ref = model.population, plain.population
    alice, bob, carol, dave, erin = range(5)
    assert pop.customer[[bob, carol, erin]].tolist() == [False, True, True]
    assert pop.customer[dave] == ref.customer[dave] and pop.customer[alice] == ref.customer[alice]  # drawn
    follows = set(pop.audience.tolist())
    assert {bob, carol} <= follows and dave not in follows
    assert (erin in follows) == (erin in set(ref.audience.tolist()))  # an empty cell keeps the draw
    assert pop.activity[carol] == 2.5 and pop.activity[dave] == 0.0
    assert pop.activity[bob] == ref.activity[bob] and pop.activity[alice] == ref.activity[alice]
    # a generated network is labelled 0..size-1
    ids = write(tmp_path, "ids.csv", "label,follows_brand\n0,1\n299,1\n")
    sc = load_scenario(small(**{"population.size": 300, "brand.audience_share": 0.0, "network.nodes_path": str(ids)}))
    assert BuzzModel(sc, rng=1).population.audience.tolist() == [0, 299]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "is empty; expected a header line with the columns label, customer, follows_brand, activity"),
        ("name,customer\nbob,1\n", "line 1: unknown column 'name'; allowed: label, customer"),
        ("customer\n1\n", "line 1: needs a 'label' column"),
        (
            "label,customer\nbob,1\nzoe,1\n",
            "line 3: label 'zoe' is not a consumer of the network (labels such as alice",
        ),
        ("label,customer\nbob,1\n\nbob,0\n", "line 4: label 'bob' is listed twice"),
        ("label,customer\nbob,2\n", "line 2: customer must be 0 or 1, or empty (got '2')"),
        ("label,follows_brand\nbob,yes\n", "line 2: follows_brand must be 0 or 1, or empty (got 'yes')"),
        ("label,activity\nbob,-1\n", "line 2: activity must be a number >= 0, or empty (got '-1')"),
        ("label,activity\nbob,nan\n", "line 2: activity must be a number >= 0, or empty (got 'nan')"),
        ("label,activity\n,1\n", "line 2: empty label"),
    ],
)
def test_each_bad_node_table_gets_its_line(tmp_path, text, fragment):
    table = write(tmp_path, "nodes.csv", text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(file_scenario(tmp_path, **{"network.nodes_path": str(table)}))
    msg = one_line(e)
    assert msg.startswith(f"scenario dict: network.nodes_path: node table '{table}'") and fragment in msg, msg


def test_bad_header_and_missing_node_table(tmp_path):
    with pytest.raises(ScenarioError, match=r"network.header: unknown value 'maybe'; allowed: auto"):
        load_scenario(file_scenario(tmp_path, **{"network.header": "maybe"}))
    with pytest.raises(ScenarioError, match=r"network.header: expected true/false or one of auto, got 3"):
        load_scenario(file_scenario(tmp_path, **{"network.header": 3}))
    with pytest.raises(ScenarioError, match=r"network.nodes_path: node table '.*missing.csv': file not found"):
        load_scenario(file_scenario(tmp_path, **{"network.nodes_path": str(tmp_path / "missing.csv")}))


def test_the_readme_example_works_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_scenario("scenarios/default.toml").name == "default"
    assert load_scenario("default").name == "default"
    with pytest.raises(ScenarioError, match="nowhere.toml: file not found"):
        load_scenario("scenarios/nowhere.toml")


def test_a_sweep_over_network_files_takes_each_files_size(tmp_path):
    """`--vary network.path=a,b` with files of different sizes: each condition is its own file's consumers."""
    import pandas as pd

    from simulation.cli import main

    for name, n in (("a.txt", 30), ("b.txt", 12)):
        (tmp_path / name).write_text("".join(f"{i} {(i + 1) % n}\n{i} {(i + 5) % n}\n" for i in range(n)))
    (tmp_path / "s.toml").write_text(
        'name = "files"\nreplications = 2\n[simulation]\ndays = 1\n[network]\nkind = "file"\npath = "a.txt"\n'
    )
    out = tmp_path / "sweep"
    argv = ["sweep", str(tmp_path / "s.toml"), "--vary", f"network.path={tmp_path / 'a.txt'},{tmp_path / 'b.txt'}"]
    assert main([*argv, "--replications", "2", "--workers", "1", "--no-figures", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert summary.condition.nunique() == 4 and summary.error.isna().all()  # 2 files x (strategy, ignore)
