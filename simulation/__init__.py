"""buzzsim: an agent-based simulator of bad buzz and of a brand's response.

Python API::

    from simulation import load_scenario, run
    sc = load_scenario("scenarios/default.toml", {"brand.strategy": "delay"})
    res = run(sc, seed=1, replications=10)
    res.timeseries   # one row per replication and step
    res.summary      # one row per replication: the per-run metrics
"""

from .model import BuzzModel
from .parameters import Scenario
from .runner import Results, run, run_once
from .scenario import ScenarioError, load_scenario, to_toml

__all__ = ["BuzzModel", "Scenario", "Results", "run", "run_once", "ScenarioError", "load_scenario", "to_toml"]
