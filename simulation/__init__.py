"""buzzsim: an agent-based simulator of bad buzz and of a brand's response.

Python API::

    from simulation import load_scenario, run
    sc = load_scenario("scenarios/default.toml", {"brand.strategy": "delay"})
    res = run(sc, seed=1, replications=10)
    res.timeseries   # one row per replication and step
    res.summary      # one row per replication: the per-run metrics
"""

from importlib import import_module

# The package's names, each from its module, imported on first use (PEP 562): a command that only
# reads scenarios starts without importing Mesa, numba's kernels or matplotlib.
_HOME = {
    "BuzzModel": "model",
    "Scenario": "parameters",
    "Results": "runner",
    "run": "runner",
    "run_once": "runner",
    "ScenarioError": "scenario",
    "load_scenario": "scenario",
    "to_toml": "scenario",
}
__all__ = list(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
