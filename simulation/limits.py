"""Resource limits: fixed, documented sizes beyond which a request is refused before anything runs.

A typo (`dt_hours = 1e-6`, a range `0:1e9:1`) should end with one line, not with hours of work or
the machine's memory. Each limit is a number here; `--allow-large` on any command lifts them all
(the checks are made by the command line, in the parent process, before the first run).
"""

from __future__ import annotations

import os

from .scenario import ScenarioError

MAX_STEPS = 1_000_000  # steps per run: a year at 0.01 h is 878,400
MAX_VALUES = 10_000  # values of one --vary key
MAX_CONDITIONS = 100_000  # conditions of one experiment (strategies x swept values)
MAX_EDGES = 500_000_000  # directed edges of a generated network: about 4 GB of int64 indices
MAX_RUNS = 10_000_000  # runs of one experiment or study (conditions x replications), or replications of `run`
MAX_WORKERS = 1_024  # worker processes (--workers)
ALLOW = "--allow-large lifts the limit"


def check_steps(steps: int, where: str, allow_large: bool = False) -> None:
    """Refuse a run of more than MAX_STEPS steps (simulation.days x 24 / simulation.dt_hours)."""
    if steps > MAX_STEPS and not allow_large:
        raise ScenarioError(
            where,
            "simulation.dt_hours",
            f"{steps:,} steps per run (days x 24 / dt_hours) exceed the limit of {MAX_STEPS:,}; {ALLOW}",
            ("simulation.days",),
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
            ("network.kind", "network.m", "network.k", "network.mean_degree"),
        )


def check_count(count: int, limit: int, source: str, key: str, what: str, allow_large: bool = False) -> None:
    """Refuse `count` things (values, conditions, runs, workers) above `limit`."""
    if count > limit and not allow_large:
        raise ScenarioError(source, key, f"{count:,} {what} exceed the limit of {limit:,}; {ALLOW}")


def check_runs(runs: int, source: str, key: str, allow_large: bool = False) -> None:
    """Refuse more than MAX_RUNS runs (conditions x replications), counted before any list of them is made."""
    check_count(runs, MAX_RUNS, source, key, "runs", allow_large)


def check_workers(workers: int, allow_large: bool = False) -> None:
    """Refuse more than MAX_WORKERS worker processes (--workers)."""
    check_count(workers, MAX_WORKERS, "--workers", str(workers), "worker processes", allow_large)


# -- memory: what one run holds, times the runs held at once -------------------------------------------

BYTES_PER_CONSUMER = 120  # the ~25 per-consumer arrays of `population.Population` (float64, int64, flags)
BYTES_PER_EDGE = 24  # int32 CSR indices kept, and the int64 edge ends and sort keys while the network is built
BYTES_PER_VALUE = 8  # a recorded series value (float64), per step and series
BYTES_PER_PROCESS = 256 * 2**20  # a worker process before its run: Python, numpy, numba's compiled kernels (~280 MiB)


def available_memory() -> int | None:
    """The machine's available memory in bytes (Linux MemAvailable, else free pages), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _edges(sc) -> int:
    """The directed edges of the scenario's network: a file's as read (cached), a generated one's expected."""
    if sc.network.kind != "file":
        return expected_edges(sc)
    from .network import cached_edge_list
    from .scenario import resolve_network_path

    n = sc.network
    return int(cached_edge_list(str(resolve_network_path(sc, None)), n.directed, n.edge_meaning, n.header).indices.size)


def estimate_memory(sc, replications_held: int = 1) -> dict[str, int]:
    """The bytes one run of `sc` needs, by what drives them, within about a factor of 2.

    Args:
        sc: The scenario.
        replications_held: Runs whose series are kept in memory together (`run` holds all its
            replications' series until it writes them; an experiment's worker one at a time).

    Returns:
        `{"process": ..., "consumers": ..., "network": ..., "series": ...}` in bytes: the process
        itself (BYTES_PER_PROCESS: the interpreter and its libraries), the consumers' state arrays
        (`population.size` x BYTES_PER_CONSUMER), the network's edges (BYTES_PER_EDGE each) and the
        recorded series (steps x series x 8 bytes, twice: the arrays and their table).
    """
    from .metrics import SERIES

    return {
        "process": BYTES_PER_PROCESS,
        "consumers": sc.population.size * BYTES_PER_CONSUMER,
        "network": _edges(sc) * BYTES_PER_EDGE,
        "series": 2 * (sc.steps + 1) * len(SERIES) * BYTES_PER_VALUE * max(1, replications_held),
    }


DRIVERS = {  # the scenario keys that drive each part of the estimate
    "consumers": ("population.size",),
    "series": ("simulation.days", "simulation.dt_hours"),
}


def _network_keys(sc) -> tuple[str, ...]:
    kind = sc.network.kind
    degree = {"barabasi_albert": "network.m", "holme_kim": "network.m", "watts_strogatz": "network.k"}
    return ("network.path",) if kind == "file" else ("population.size", degree.get(kind, "network.mean_degree"))


def fitting_workers(scenarios, workers: int, available=None) -> int:
    """The most of `workers` processes whose runs (of the largest of `scenarios`) fit in the memory available (>= 1)."""
    available = available_memory() if available is None else available
    if not available:
        return workers
    largest = max(sum(estimate_memory(sc).values()) for sc in scenarios)
    return max(1, min(workers, int(available // largest)))


def check_memory(
    sc, where: str, processes: int = 1, allow_large: bool = False, replications_held: int = 1, available=None
) -> None:
    """Refuse runs that together need more memory than the machine has available (unknown: not checked).

    Args:
        sc: The scenario (the largest of an experiment's).
        where: What the message names (the scenario file, or the option the scenario came from).
        processes: Runs at once (an experiment's worker processes).
        allow_large: `--allow-large`: skip the check.
        replications_held: See `estimate_memory`.
        available: The bytes available (default: `available_memory()`).
    """
    if allow_large:
        return
    available = available_memory() if available is None else available
    if not available:
        return
    parts = estimate_memory(sc, replications_held)
    need = sum(parts.values()) * max(1, processes)
    if need <= available:
        return
    keys = []
    model = {k: v for k, v in parts.items() if k != "process"}  # what the scenario's keys drive
    for part, size in sorted(model.items(), key=lambda kv: -kv[1]):
        if size >= 0.25 * sum(model.values()):
            keys += [k for k in (_network_keys(sc) if part == "network" else DRIVERS[part]) if k not in keys]
    if replications_held > 1 and parts["series"] >= 0.25 * sum(model.values()):
        keys.append("replications")
    if processes > 1 and parts["process"] >= 0.25 * sum(parts.values()):
        keys.append("--workers")
    gib = 2**30
    raise ScenarioError(
        where,
        ", ".join(keys),
        f"a run needs about {sum(parts.values()) / gib:.2f} GiB (process {parts['process'] / gib:.2f}, consumers "
        f"{parts['consumers'] / gib:.2f}, network "
        f"{parts['network'] / gib:.2f}, series {parts['series'] / gib:.2f}) x {processes} process(es) = "
        f"{need / gib:.2f} GiB, more than the {available / gib:.2f} GiB available; make them smaller, use fewer "
        f"--workers, or {ALLOW}",
        tuple(keys),
    )
