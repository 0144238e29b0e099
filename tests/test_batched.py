"""Batched and one-by-one runs of the same seeds give the same outputs, byte for byte.

`runner.run_batch` runs several replications of one scenario in one call; `BuzzModel.run` runs
the steps between two timed events in one compiled call. Neither may change a number: the files a
run writes (its series as CSV, its metrics) must be the bytes that `run_replication` gives alone,
and stepping one step at a time must give what running in compiled segments gives.
"""

import io
import math

import numpy as np
import pytest

from simulation import BuzzModel, load_scenario
from simulation.randomness import replication_seed
from simulation.runner import run_batch, run_replication
from tests.baseline import SCENARIOS

CASES = ["default", "lawyers_streisand", "private_outlet", "kia_deposit", "maki_thompson", "sir_network"]


def fixture(name: str):
    """A baseline fixture, shortened (the runs cover its events: stories, actions, exposures)."""
    sc = load_scenario(SCENARIOS / f"{name}.toml")
    return load_scenario(SCENARIOS / f"{name}.toml", {"simulation.days": min(sc.simulation.days, 4.0)})


def csv_bytes(rep) -> bytes:
    """The run's series as the CSV a results folder holds, and its metrics, as bytes."""
    buf = io.StringIO()
    if rep.actions:  # every series kept: the run's timeseries file
        rep.frame().to_csv(buf, index=False, float_format="%.17g", lineterminator="\n")
    metrics = ",".join(f"{k}={v!r}" for k, v in (rep.metrics or {}).items())
    return (buf.getvalue() + metrics + "\n" + repr(rep.counts) + repr(rep.complainants)).encode()


def same(a, b) -> None:
    assert a.steps == b.steps and a.counts == b.counts and a.actions == b.actions
    assert set(a.series) == set(b.series)
    for name in a.series:
        assert a.series[name].tobytes() == b.series[name].tobytes(), name
    for key in a.metrics or {}:
        x, y = a.metrics[key], b.metrics[key]
        assert x == y or (math.isnan(x) and math.isnan(y)), key
    assert csv_bytes(a) == csv_bytes(b)


@pytest.mark.parametrize("name", CASES)
def test_a_batch_gives_the_runs_it_would_give_one_by_one(name):
    sc = fixture(name)
    alone = [run_replication(sc, sc.seed, r) for r in range(3)]
    batch = run_batch(sc, sc.seed, range(3))
    for a, b in zip(alone, batch, strict=True):
        same(a, b)


def test_how_runs_are_batched_does_not_matter():
    """Replication 2 is the same run alone, first or last in a batch, and after other runs."""
    sc = fixture("lawyers_streisand")
    alone = run_replication(sc, 7, 2, series=("posts_negative", "reputation"))
    for reps in ([2], [2, 0], [1, 0, 2], [5, 2, 4]):
        out = run_batch(sc, 7, reps, series=("posts_negative", "reputation"))
        same(alone, out[reps.index(2)])


@pytest.mark.parametrize("name", ["maki_thompson", "sir_network"])
def test_a_batch_stops_once_quiet_as_runs_do_alone(name):
    sc = fixture(name)
    alone = [run_replication(sc, 3, r, until_quiet=True) for r in range(2)]
    for a, b in zip(alone, run_batch(sc, 3, range(2), until_quiet=True), strict=True):
        same(a, b)


@pytest.mark.parametrize("name", ["default", "lawyers_streisand", "kia_deposit", "private_outlet"])
def test_step_by_step_equals_compiled_segments(name):
    """One step per call (the snapshots' way), chunks of steps (the progress bar's) and one call to the
    horizon give the same model: series, actions, every consumer's state."""
    sc = fixture(name)
    seed = replication_seed(sc.seed, 1)
    whole = BuzzModel(sc, rng=seed).run()
    stepped = BuzzModel(sc, rng=seed)
    while stepped.steps < stepped.n_steps:
        stepped.step()
    chunked = BuzzModel(sc, rng=seed)
    for last in range(5, chunked.n_steps + 5, 5):
        chunked.run_to(last)
    for other in (stepped, chunked):
        assert other.steps == whole.steps == sc.steps
        assert other.recorder.table.tobytes() == whole.recorder.table.tobytes()
        assert other.recorder.actions == whole.recorder.actions
        for part in whole.population.consumers._fields:
            assert (
                getattr(other.population.consumers, part).tobytes()
                == getattr(whole.population.consumers, part).tobytes()
            ), part
    assert any(whole.recorder.actions), "the fixture's run has timed events"


def test_runs_inside_a_sharing_block_are_the_runs_alone():
    """An experiment's task that runs a condition's replications one by one inside `runner.sharing()`."""
    from simulation.runner import sharing

    sc = fixture("default")
    alone = [run_replication(sc, 4, r) for r in range(3)]
    with sharing():
        shared = [run_replication(sc, 4, r) for r in range(3)]
    for a, b in zip(alone, shared, strict=True):
        same(a, b)


def test_a_batch_reuses_the_posting_tables_without_changing_a_draw():
    """The SIR reduction's posters share means: the batch's second run finds their CDFs tabulated."""
    from benchmarks.bench_scale import sir_scenario
    from simulation.kernels import poisson_cache
    from simulation.network import build_network

    net = build_network("barabasi_albert", 3000, np.random.default_rng(5), m=3)
    sc = sir_scenario(3000, steps=30)
    cache = poisson_cache()
    first = BuzzModel(sc, rng=1, network=net, cache=cache).run()
    assert (cache.lengths > 0).any()
    again = BuzzModel(sc, rng=1, network=net, cache=cache).run()
    fresh = BuzzModel(sc, rng=1, network=net).run()
    assert again.recorder.table.tobytes() == fresh.recorder.table.tobytes() == first.recorder.table.tobytes()
    assert np.array_equal(again.population.stance, fresh.population.stance)


def test_an_experiments_task_runs_its_replications_inside_one_sharing_block(monkeypatch):
    """`experiments.run_batch` (the task an experiment ships) shares one cache across its runs; the runs are the
    runs alone, series and metrics byte for byte."""
    from simulation import experiments, runner
    from simulation.scenario import to_dict

    sc = fixture("sir_network")
    base, changes = to_dict(sc), {"spread.visibility": 0.4}
    alone = [experiments.run_task(base, 2, r, 11, "all", changes) for r in range(3)]
    caches = []
    real = experiments.run_task

    def spy(*args, **kwargs):
        caches.append(getattr(runner._shared, "cache", None))
        return real(*args, **kwargs)

    monkeypatch.setattr(experiments, "run_task", spy)
    batch = experiments.run_batch(base, changes, 2, [0, 1, 2], 11)
    assert len(caches) == 3 and caches[0] is not None and all(c is caches[0] for c in caches)
    assert getattr(runner._shared, "cache", None) is None  # the block ends with the task
    for a, b in zip(alone, batch, strict=True):
        assert a["error"] == b["error"] == "" and a["replication"] == b["replication"]
        assert a["metrics"].keys() == b["metrics"].keys()
        for key in a["metrics"]:
            x, y = a["metrics"][key], b["metrics"][key]
            assert x == y or (math.isnan(x) and math.isnan(y)), key
        assert a["series"].keys() == b["series"].keys()
        for name in a["series"]:
            assert a["series"][name].tobytes() == b["series"][name].tobytes(), name
