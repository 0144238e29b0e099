"""Resource limits: fixed, documented sizes beyond which a request is refused before anything runs.

A typo (`dt_hours = 1e-6`, a range `0:1e9:1`) should end with one line, not with hours of work or
the machine's memory. Each limit is a number here; `--allow-large` on any command lifts them all
(the checks are made by the command line, in the parent process, before the first run).
"""

from __future__ import annotations

from .scenario import ScenarioError

MAX_STEPS = 1_000_000  # steps per run: a year at 0.01 h is 878,400
MAX_VALUES = 10_000  # values of one --vary key
MAX_CONDITIONS = 100_000  # conditions of one experiment (strategies x swept values)
MAX_EDGES = 500_000_000  # directed edges of a generated network: about 4 GB of int64 indices
ALLOW = "--allow-large lifts the limit"


def check_steps(steps: int, where: str, allow_large: bool = False) -> None:
    """Refuse a run of more than MAX_STEPS steps (simulation.days x 24 / simulation.dt_hours)."""
    if steps > MAX_STEPS and not allow_large:
        raise ScenarioError(
            where,
            "simulation.dt_hours",
            f"{steps:,} steps per run (days x 24 / dt_hours) exceed the limit of {MAX_STEPS:,}; {ALLOW}",
        )


def expected_edges(sc) -> int:
    """The directed edges (each undirected link counted both ways) a generated network will have, about."""
    n, net = sc.population.size, sc.network
    per_node = {
        "barabasi_albert": 2 * net.m,
        "holme_kim": 2 * net.m,
        "watts_strogatz": net.k,
        "erdos_renyi": net.mean_degree,
        "stochastic_block": net.mean_degree,
        "directed_scale_free": net.mean_degree,
    }.get(net.kind, 0)
    return int(n * per_node)


def check_network(sc, where: str, allow_large: bool = False) -> None:
    """Refuse a generated network of more than MAX_EDGES directed edges (before it is built)."""
    edges = expected_edges(sc)
    if edges > MAX_EDGES and not allow_large:
        raise ScenarioError(
            where,
            "population.size",
            f"with this network ({sc.network.kind}) it has about {edges:,} directed edges, over the limit of "
            f"{MAX_EDGES:,}; {ALLOW}",
        )


def check_count(count: int, limit: int, source: str, key: str, what: str, allow_large: bool = False) -> None:
    """Refuse `count` things (values, conditions) above `limit`."""
    if count > limit and not allow_large:
        raise ScenarioError(source, key, f"{count:,} {what} exceed the limit of {limit:,}; {ALLOW}")
