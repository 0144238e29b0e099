#!/usr/bin/env python
"""Performance at scale: buzzsim reduced to SIR against a hand-written floor and peer libraries,
and the full model at 1,000,000 consumers.

    python benchmarks/bench_scale.py            # full run (10k, 100k, 1M and facebook), several minutes
    python benchmarks/bench_scale.py --quick    # 10k and facebook only, a smoke test
    python benchmarks/bench_scale.py --sizes 10000,100000

Every case runs in a fresh subprocess (``--worker``) so that its peak memory is its own: VmHWM
from /proc/self/status (peak resident set of the process's address space: interpreter, imports,
the graph it was handed and the run). Not ru_maxrss: Linux carries it across execve, so a child
started by subprocess reports at least its parent's high-water mark.
Cases (1)-(4) share the same graphs: Barabási–Albert m=3 built once per size with
``simulation.network.build_network`` from a fixed seed, and SNAP facebook_combined from ``data/``;
graph generation is not timed there. Times are medians over repeats (different seeds per repeat).

Edge-steps = directed edges (each undirected link counted both ways) x steps, whatever the
activity; for EoN's continuous-time ``fast_SIR`` the steps are the 100 time units (hours).

Results: ``benchmarks/results/scale.csv`` (the table) and ``benchmarks/results/scale.json`` (the
machine, the settings and the PASS/MISS verdict of each target).
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from previous import PREVIOUS, code_root, env_for, previous_tree  # noqa: E402

sys.path.insert(0, str(code_root()))  # this version, or the previous one in a worker timing it

# -- the SIR rule shared by every method ------------------------------------------------------------
# Per step: each infected node transmits to each susceptible neighbour with probability P, then every
# infected node (those infected this step included: the model applies its constant-rate stop after
# reading) recovers with probability R. P = R = 0.1 on BA m=3 is a burning case (~90% infected).

STEPS = 100
P_TRANSMIT = 0.1
R_RECOVER = 0.1
BETA = -math.log1p(-P_TRANSMIT)  # anger_dose: 1 - exp(-BETA) = P per post read
GAMMA = -math.log1p(-R_RECOVER)  # stop_rate_per_h with dt = 1 h: 1 - exp(-GAMMA) = R
INITIAL_INFECTED = 10
GRAPH_SEED = 20240601
FACEBOOK = ROOT / "data" / "facebook_combined.txt"
RESULTS = ROOT / "benchmarks" / "results"

S, I, R = 0, 1, 2  # noqa: E741 (the SIR compartments, by their usual names)


POSTS_PER_STEP = 20.0


def sir_scenario(
    n: int, p: float = P_TRANSMIT, r: float = R_RECOVER, steps: int = STEPS, infected: int = INITIAL_INFECTED
):
    """The buzzsim scenario that follows discrete SIR: ANGRY = infected, CALMED = recovered.

    Every ANGRY consumer makes a Poisson(POSTS_PER_STEP) number of posts per step; a follower sees
    each with the visibility v = -ln(1 - p) / POSTS_PER_STEP and any post seen angers (anger_dose
    huge), so a follower is infected by a given infected neighbour with probability
    1 - exp(-POSTS_PER_STEP * v) = p per step (the many small chances make the edges of one poster
    nearly independent, as in the floor's rule); CALMED consumers are immune, and ANGRY consumers
    stop at the constant rate -ln(1 - r) per hour, whatever their contacts.
    """
    from simulation import load_scenario

    return load_scenario(
        {
            "name": "sir_reduction",
            "population": {"size": int(n), "activity_sigma": 0.0},
            "simulation": {"dt_hours": 1.0, "days": steps / 24},
            "network": {"kind": "barabasi_albert", "m": 3},  # not built: the graph is passed in
            "spread": {
                "stop_rate_per_h": -math.log1p(-r),
                "repeat_exposure": True,
                "contagion_exponent": 1.0,
                "anger_dose": 1e6,
                "visibility": -math.log1p(-p) / POSTS_PER_STEP,
                "post_rate_per_h": POSTS_PER_STEP,
                "initial_anger": 1.0,
                "anger_half_life_h": 1e9,
                "calm_threshold": 0.0,
                "stifle_prob": 0.0,
                "calmed_susceptibility": 0.0,
                "customer_susceptibility": 1.0,
                "silence_multiplier": 1.0,
            },
            "complaint": {"complainants": int(infected), "placement": "random", "activity": 1.0, "persistent": False},
            "attention": {"novelty_half_life_h": 1e12, "novelty_exponent": 1.0, "dose_half_life_h": 1e12},
            "search": {"search_rate_per_h": 0.0},
            "churn": {"max_rate_per_h": 0.0},
            "brand": {"strategy": "ignore", "detection_threshold": 1e12},
            "amplifiers": [],
        }
    )


def model_final_size(model) -> float:
    """Share of consumers ever infected (ANGRY or CALMED at the end, complainants included)."""
    from simulation.stance import Stance

    st = model.population.stance
    return float(np.count_nonzero((st == Stance.ANGRY) | (st == Stance.CALMED)) / len(st))


def sir_floor(
    indptr: np.ndarray,
    indices: np.ndarray,
    p: float,
    r: float,
    steps: int,
    initial: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Minimal discrete SIR on a CSR adjacency: the floor. Returns the final states (0 S, 1 I, 2 R).

    Per step: one uniform per edge leaving an infected node; below p and landing on a susceptible
    node, that node is infected; then every infected node recovers with probability r.
    """
    state = np.zeros(len(indptr) - 1, np.int8)
    state[initial] = I
    for _ in range(steps):
        inf = np.flatnonzero(state == I)
        if not len(inf):
            break
        starts = indptr[inf]
        counts = indptr[inf + 1] - starts
        total = int(counts.sum())
        edges = np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        hit = indices[edges[rng.random(total) < p]]
        state[hit[state[hit] == S]] = I
        inf = np.flatnonzero(state == I)
        state[inf[rng.random(len(inf)) < r]] = R
    return state


@njit(cache=True, inline="always")
def _splitmix_uniform(z):
    # A uniform in [0, 1) from SplitMix64's finaliser of z (a counter): one hash, no generator state.
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def sir_floor_numba(indptr, indices, p, r, steps, initial, seed):
    """The same rule as one fused numba loop over the CSR rows: the stronger floor.

    Each step scans the states in id order (a byte per node: cheap, and the infected nodes' rows
    are then read in memory order, which a list kept in infection order loses at 1,000,000 nodes),
    draws one uniform per edge leaving an infected node (a counter-based hash of (seed, step, edge):
    cheaper than a sequential generator) and looks the neighbour up only when it is below p; the
    newly infected are marked so that they transmit from the next step on, then every infected
    node, the new ones included, may recover. Its numbers differ from the numpy floor's, not its
    distribution.
    """
    n = len(indptr) - 1
    state = np.zeros(n, np.int8)
    new = np.int8(3)  # infected this step: transmits from the next one
    gamma = np.uint64(0x9E3779B97F4A7C15)
    for v in initial:
        state[v] = I
    for step in range(steps):
        base = (np.uint64(seed) * np.uint64(1000003) + np.uint64(step)) * gamma * np.uint64(2)
        other = base + np.uint64(0x632BE59BD9B4E019)  # the recoveries' stream
        infected = 0
        for u in range(n):
            if state[u] == I:
                infected += 1
                for e in range(indptr[u], indptr[u + 1]):
                    if _splitmix_uniform(base + np.uint64(e) * gamma) < p:
                        w = indices[e]
                        if state[w] == S:
                            state[w] = new
        if infected == 0:
            break
        for u in range(n):  # everyone infected, this step's new ones included, may recover
            s = state[u]
            if s == I or s == new:
                state[u] = R if _splitmix_uniform(other + np.uint64(u) * gamma) < r else I
    return state


def sir_floor_matvec(adj, p: float, r: float, steps: int, initial: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same rule with a scipy.sparse matrix-vector product per step (infected neighbours k of
    each node, infection with probability 1 - (1 - p)^k): costs all edges every step."""
    n = adj.shape[0]
    state = np.zeros(n, np.int8)
    state[initial] = I
    log_q = math.log1p(-p)
    for _ in range(steps):
        k = adj @ (state == I).astype(np.float32)
        cand = np.flatnonzero((k > 0) & (state == S))
        state[cand[rng.random(len(cand)) < -np.expm1(k[cand] * log_q)]] = I
        inf = np.flatnonzero(state == I)
        state[inf[rng.random(len(inf)) < r]] = R
    return state


# -- graphs ---------------------------------------------------------------------------------------------


def make_graph(spec: str):
    """A simulation.network.Network: 'ba:<n>' or 'facebook'."""
    from simulation.network import build_network, read_edge_list

    if spec == "facebook":
        return read_edge_list(FACEBOOK, directed=False)
    n = int(spec.split(":")[1])
    return build_network("barabasi_albert", n, np.random.default_rng(GRAPH_SEED), m=3)


def load_graph(path: str, as_network: bool = True):
    """The graph saved by the parent (same arrays for every method): a simulation.network.Network,
    or a plain (n, indptr, indices) holder without importing buzzsim."""
    from types import SimpleNamespace

    z = np.load(path)
    indptr, indices = z["indptr"], z["indices"]
    n = len(indptr) - 1
    if not as_network:
        return SimpleNamespace(n=n, indptr=indptr, indices=indices)
    from simulation.network import Network

    return Network(
        n=n,
        indptr=indptr,
        indices=indices,
        well_mixed=False,
        readers_per_post=float(len(indices) / n),
        directed=False,
        report={"kind": str(z["kind"]), "nodes": n, "edges": len(indices) // 2},
    )


def to_networkx(indptr: np.ndarray, indices: np.ndarray):
    import networkx as nx

    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    keep = rows < indices
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(rows[keep].tolist(), indices[keep].tolist()))
    return g


# -- per-agent Mesa reference --------------------------------------------------------------------------


def mesa_sir_model(graph, p: float, r: float, seed: int, infected: int = INITIAL_INFECTED):
    """The same rule written the idiomatic Mesa way: one FixedAgent per node on a
    mesa.discrete_space.Network (layout=None), two phases per step (transmit, then update)."""
    import mesa
    from mesa.discrete_space import FixedAgent, Network

    class SIRAgent(FixedAgent):
        def __init__(self, model, cell):
            super().__init__(model)
            self.cell = cell
            self.state = S
            self.caught = False

        def transmit(self):
            if self.state == I:
                for other in self.cell.neighborhood.agents:
                    if other.state == S and self.random.random() < p:
                        other.caught = True

        def update(self):
            if self.caught:
                self.state = I
                self.caught = False
            if self.state == I and self.random.random() < r:
                self.state = R

    class SIRModel(mesa.Model):
        def __init__(self):
            super().__init__(rng=seed)
            self.grid = Network(graph, capacity=1, random=self.random, layout=None)
            SIRAgent.create_agents(self, graph.number_of_nodes(), list(self.grid.all_cells))
            for a in self.random.sample(list(self.agents), infected):
                a.state = I

        def step(self):
            self.agents.do("transmit")
            self.agents.do("update")

        def final_size(self):
            return sum(1 for a in self.agents if a.state != S) / len(self.agents)

    return SIRModel()


# -- one case, in a worker process ------------------------------------------------------------------


def _rss_mb() -> float:
    """Peak resident memory of this process's own address space, MB.

    VmHWM from /proc/self/status, not ru_maxrss: on Linux ru_maxrss survives execve, so a worker
    started by subprocess (vfork/fork + exec) reports at least the parent's high-water mark.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _initial(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, 99]).choice(n, INITIAL_INFECTED, replace=False)


def worker(case: dict) -> dict:
    """Run one case and return its timings; called in a fresh process."""
    method, repeats = case["method"], case["repeats"]
    out: dict = {"setup_s": [], "run_s": [], "cpu_s": [], "final_size": [], "notes": ""}
    base = _rss_mb()
    if method in ("model_sir", "floor", "floor_numba", "floor_matvec", "ndlib", "eon", "mesa"):
        if method == "model_sir":
            import simulation  # noqa: F401  (imports counted in the baseline)
        if method == "ndlib":
            import ndlib.models.epidemics  # noqa: F401
            import ndlib.models.ModelConfig  # noqa: F401
        if method == "eon":
            import EoN  # noqa: F401
        if method == "mesa":
            import mesa.discrete_space  # noqa: F401
        base = _rss_mb()
        net = load_graph(case["graph_file"], as_network=method == "model_sir")
        n, indptr, indices = net.n, net.indptr, net.indices
        out["n"], out["directed_edges"] = n, int(len(indices))
        graph = to_networkx(indptr, indices) if method in ("ndlib", "eon", "mesa") else None
        if method == "floor_matvec":
            import scipy.sparse as sp

            adj = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(n, n))
        for rep in range(repeats):
            seed = 1000 + case.get("round", 0) + rep
            c0 = time.process_time()
            t0 = time.perf_counter()
            if method == "model_sir":
                from simulation import BuzzModel

                if rep == 0:  # the compiled kernels loaded from numba's cache and first called, untimed
                    BuzzModel(case["scenario"], rng=seed + 1, network=net).run()
                    gc.collect()
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                model = BuzzModel(case["scenario"], rng=seed, network=net)
                t1 = time.perf_counter()
                model.run()
                size = model_final_size(model)
            elif method == "floor":
                rng = np.random.default_rng(seed)
                init = _initial(n, seed)
                t1 = time.perf_counter()
                size = float(np.count_nonzero(sir_floor(indptr, indices, P_TRANSMIT, R_RECOVER, STEPS, init, rng)) / n)
            elif method == "floor_numba":
                init = _initial(n, seed)
                if rep == 0:  # compile (or load the cache) and make the first call outside the timing
                    sir_floor_numba(indptr, indices, P_TRANSMIT, R_RECOVER, STEPS, init, seed + 1)
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                t1 = time.perf_counter()
                size = float(
                    np.count_nonzero(sir_floor_numba(indptr, indices, P_TRANSMIT, R_RECOVER, STEPS, init, seed)) / n
                )
            elif method == "floor_matvec":
                rng = np.random.default_rng(seed)
                init = _initial(n, seed)
                t1 = time.perf_counter()
                size = float(np.count_nonzero(sir_floor_matvec(adj, P_TRANSMIT, R_RECOVER, STEPS, init, rng)) / n)
            elif method == "ndlib":
                import ndlib.models.epidemics as ep
                import ndlib.models.ModelConfig as mc

                np.random.seed(seed)
                m = ep.SIRModel(graph, seed=seed)
                cfg = mc.Configuration()
                cfg.add_model_parameter("beta", P_TRANSMIT)
                cfg.add_model_parameter("gamma", R_RECOVER)
                cfg.add_model_initial_configuration("Infected", _initial(n, seed).tolist())
                m.set_initial_status(cfg)
                t1 = time.perf_counter()
                for _ in range(STEPS + 1):  # iteration 0 only reports the initial state
                    m.iteration(node_status=False)
                size = sum(1 for v in m.status.values() if v != 0) / n
            elif method == "eon":
                import EoN

                init = _initial(n, seed).tolist()
                t1 = time.perf_counter()
                _, s_, i_, r_ = EoN.fast_SIR(
                    graph, BETA, GAMMA, initial_infecteds=init, tmax=STEPS, rng=np.random.default_rng(seed)
                )
                size = float((i_[-1] + r_[-1]) / n)
            else:  # mesa
                model = mesa_sir_model(graph, P_TRANSMIT, R_RECOVER, seed)
                t1 = time.perf_counter()
                for _ in range(STEPS):
                    model.step()
                size = model.final_size()
            t2 = time.perf_counter()
            out["cpu_s"].append(time.process_time() - c0)
            out["setup_s"].append(t1 - t0)
            out["run_s"].append(t2 - t1)
            out["final_size"].append(size)
            model = m = None
            gc.collect()
        if method == "ndlib":
            out["notes"] = "NDlib SIRModel: new infections recover from the next iteration on"
        elif method == "eon":
            out["notes"] = "continuous time, tau = gamma = -ln(0.9) per hour, tmax 100"
        elif method == "mesa":
            out["notes"] = "one FixedAgent per node, Network(layout=None); setup includes the Mesa space"
        elif method == "model_sir":
            out["notes"] = "BuzzModel with the SIR scenario; setup = BuzzModel() with the graph passed in"
    elif method == "network":
        from simulation.network import build_network

        n = case["n"]
        for rep in range(repeats):
            c0 = time.process_time()
            t0 = time.perf_counter()
            net = build_network("barabasi_albert", n, np.random.default_rng(rep), m=3)
            out["run_s"].append(time.perf_counter() - t0)
            out["cpu_s"].append(time.process_time() - c0)
            out["setup_s"].append(0.0)
            out["final_size"].append(math.nan)
            out["n"], out["directed_edges"] = n, int(len(net.indices))
            del net
        out["notes"] = f"first call (numba cache load) {out['run_s'][0]:.2f} s"
    elif method in ("default", "full"):
        from simulation import load_scenario
        from simulation.runner import run_replication

        base = _rss_mb()
        sc = load_scenario("default", case.get("overrides") or {})
        # Compiled kernels loaded from numba's cache, first calls made: not timed (a worker's first run).
        run_replication(load_scenario("default", {"population.size": 1000, "simulation.days": 1}), 1, 0, series=())
        runs = case.get("runs", 1)
        for rep in range(repeats):
            first = (case.get("round", 0) + rep) * runs
            c0 = time.process_time()
            t0 = time.perf_counter()
            reach, crisis = [], []
            for r in range(first, first + runs):  # scenario to metrics, network included, no files
                m = run_replication(sc, sc.seed, r, series=()).metrics
                reach.append(m["reach"])
                crisis.append(m["crisis"])
            t1 = time.perf_counter()
            out["cpu_s"].append((time.process_time() - c0) / runs)
            out["setup_s"].append(0.0)
            out["run_s"].append((t1 - t0) / runs)
            out["final_size"].append(statistics.mean(reach))
            out.setdefault("crisis", []).extend(crisis)
            gc.collect()  # a Mesa model holds reference cycles: free it before the next repeat
        out["n"], out["steps"] = sc.population.size, sc.steps
        out["directed_edges"] = 2 * sc.network.m * sc.population.size  # Barabasi-Albert: about m links a node
        out["notes"] = (
            f"per run: scenario to metrics over {runs} replication(s), network generation included, no files; "
            "final_size column = mean reach"
        )
    else:
        raise ValueError(method)
    out["base_rss_mb"] = base
    out["peak_rss_mb"] = _rss_mb()
    return out


# -- the parent -----------------------------------------------------------------------------------------


def versions_of(case: dict, tree: Path | None) -> list[tuple[str, Path]]:
    """The versions a case is timed on: this one, and the previous one for the model's own cases."""
    previous = tree is not None and case["method"] in MODEL_METHODS and not case.get("this_only")
    return [("this", ROOT)] + ([("previous", tree)] if previous else [])


def label_of(case: dict, version: str) -> str:
    return METHOD_LABEL[case["method"]] + (f" ({PREVIOUS})" if version == "previous" else "")


def run_case(case: dict, timeout: float | None, tree: Path = ROOT) -> dict:
    """Run a case in a fresh interpreter, importing buzzsim from `tree`; the worker's dict, or {'error': ...}."""
    payload = json.dumps({k: v for k, v in case.items() if k != "scenario"})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", payload]
    env = env_for(tree)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"skipped: over {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[7:])
            res["process_s"] = time.perf_counter() - t0
            return res
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"failed: {tail}"}


def machine_info() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = math.nan
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    from importlib import metadata

    versions = {}
    for pkg in ("buzzsim", "mesa", "numpy", "scipy", "numba", "networkx", "pandas", "ndlib", "EoN"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "source checkout" if pkg == "buzzsim" else "not installed"
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(ROOT), "status", "--porcelain", "--", "simulation"], capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": commit,
        "simulation_dirty": dirty,
    }


COLUMNS = [
    "case",
    "method",
    "version",
    "graph",
    "nodes",
    "directed_edges",
    "steps",
    "repeats",
    "wall_s",
    "median_s",
    "cpu_s",
    "setup_s",
    "run_s",
    "ns_per_edge_step",
    "ns_per_agent_step",
    "ratio_to_floor",
    "ratio_to_numba_floor",
    "ratio_to_previous",
    "peak_rss_mb",
    "base_rss_mb",
    "final_size",
    "notes",
]

METHOD_LABEL = {
    "model_sir": "(1) buzzsim SIR reduction",
    "floor": "(2) floor: numpy CSR edge gather",
    "floor_numba": "(2c) floor: fused numba loop",
    "floor_matvec": "(2b) numpy + scipy.sparse matvec",
    "ndlib": "(3) NDlib SIRModel",
    "eon": "(3) EoN fast_SIR",
    "mesa": "(4) Mesa, one agent per node",
    "default": "(5) full model, default scenario, per run",
    "full": "(5) full model, 30 days hourly",
    "network": "network generation (BA m=3)",
}


MODEL_METHODS = ("model_sir", "default", "full")  # the cases timed on the previous version too


def row_from(case: dict, res: dict, version: str = "this") -> dict:
    row = {c: "" for c in COLUMNS}
    row.update(
        case=case["case"],
        method=METHOD_LABEL[case["method"]],
        version=version,
        graph=case["graph"],
        repeats=case["repeats"],
    )
    if "error" in res:
        row.update(nodes=case.get("n", ""), notes=res["error"], steps=case.get("steps", ""))
        return row
    wall = [a + b for a, b in zip(res["setup_s"], res["run_s"])]
    steps = res.get("steps", case.get("steps", STEPS))
    edges = res["directed_edges"]
    w = min(wall)  # the best of the repeats: the least disturbed by other jobs on a shared machine
    row.update(
        repeats=len(wall),
        nodes=res["n"],
        directed_edges=edges,
        steps=steps if case["method"] != "network" else "",
        wall_s=w,
        median_s=statistics.median(wall),
        cpu_s=min(res["cpu_s"]),
        setup_s=min(res["setup_s"]),
        run_s=min(res["run_s"]),
        peak_rss_mb=res["peak_rss_mb"],
        base_rss_mb=res["base_rss_mb"],
        notes=res["notes"],
    )
    if case["method"] != "network":
        row["ns_per_edge_step"] = w / (edges * steps) * 1e9
        sizes = [x for x in res["final_size"] if not math.isnan(x)]
        row["final_size"] = statistics.mean(sizes) if sizes else ""
    if case["method"] == "mesa":
        row["ns_per_agent_step"] = w / (res["n"] * steps) * 1e9
    return row


def fmt(v, col: str) -> str:
    if v == "" or v is None:
        return ""
    if isinstance(v, float):
        if col in ("wall_s", "median_s", "cpu_s", "setup_s", "run_s"):
            return f"{v:.4f}" if v < 0.1 else f"{v:.3f}" if v < 10 else f"{v:.1f}"
        if col in ("ns_per_edge_step", "ns_per_agent_step"):
            return f"{v:.1f}" if v < 1000 else f"{v:,.0f}"
        if col.startswith("ratio_to"):
            return f"{v:.2f}"
        if col in ("peak_rss_mb", "base_rss_mb"):
            return f"{v:.0f}"
        if col == "final_size":
            return f"{v:.3f}"
    return str(v)


def print_table(rows: list[dict]) -> str:
    cols = [
        "case",
        "method",
        "version",
        "nodes",
        "wall_s",
        "median_s",
        "cpu_s",
        "setup_s",
        "ns_per_edge_step",
        "ns_per_agent_step",
        "ratio_to_floor",
        "ratio_to_numba_floor",
        "ratio_to_previous",
        "peak_rss_mb",
        "final_size",
        "notes",
    ]
    heads = {
        "ns_per_edge_step": "ns/edge-step",
        "ns_per_agent_step": "ns/agent-step",
        "ratio_to_floor": "x floor",
        "ratio_to_numba_floor": "x numba floor",
        "ratio_to_previous": "x previous",
        "peak_rss_mb": "peak MB",
        "final_size": "final size",
        "wall_s": "best s",
        "median_s": "median s",
        "cpu_s": "cpu s",
        "setup_s": "setup s",
    }
    cells = [[heads.get(c, c) for c in cols]] + [[fmt(r[c], c) for c in cols] for r in rows]
    widths = [max(len(x[i]) for x in cells) for i in range(len(cols) - 1)]
    lines = []
    for k, line in enumerate(cells):
        lines.append(
            "  ".join(x.ljust(widths[i]) if i < 2 else x.rjust(widths[i]) for i, x in enumerate(line[:-1]))
            + "  "
            + line[-1]
        )
        if k == 0:
            lines.append("-" * len(lines[0]))
    text = "\n".join(lines)
    print(text)
    return text


def targets(rows: list[dict], sizes: list[int]) -> list[dict]:
    """PASS/MISS per target (only those the run measured)."""
    by = {(r["case"], r["method"], r["version"]): r for r in rows}

    def get(case, method, col="wall_s", version="this"):
        r = by.get((case, METHOD_LABEL[method], version))
        return r[col] if r and r[col] != "" else None

    out = []

    def add(name, value, ok, detail):
        out.append({"target": name, "value": value, "result": "PASS" if ok else "MISS", "detail": detail})

    for n in sizes:
        case = f"BA {n:,}"
        model, floor = get(case, "model_sir"), get(case, "floor")
        cpu = lambda m: get(case, m, "cpu_s")  # noqa: E731
        if n >= 100_000 and model and floor:
            add(
                f"SIR reduction within 1.5x of the floor, {case}",
                round(model / floor, 2),
                model <= 1.5 * floor,
                f"{model:.3f} s vs floor {floor:.3f} s = {model / floor:.1f}x "
                f"(cpu {cpu('model_sir') / cpu('floor'):.1f}x)",
            )
        nd = get(case, "ndlib")
        if model and nd:
            add(
                f"SIR reduction >= 10x faster than NDlib, {case}",
                round(nd / model, 1),
                nd >= 10 * model,
                f"NDlib {nd:.2f} s vs {model:.3f} s = {nd / model:.1f}x (cpu {cpu('ndlib') / cpu('model_sir'):.1f}x)",
            )
        me = get(case, "mesa")
        if model and me:
            add(
                f"SIR reduction >= 100x faster than per-agent Mesa, {case}",
                round(me / model, 1),
                me >= 100 * model,
                f"Mesa {me:.2f} s vs {model:.3f} s = {me / model:.1f}x (cpu {cpu('mesa') / cpu('model_sir'):.1f}x)",
            )
    model, nd = get("facebook", "model_sir"), get("facebook", "ndlib")
    if model and nd:
        add(
            "SIR reduction >= 10x faster than NDlib, facebook",
            round(nd / model, 1),
            nd >= 10 * model,
            f"NDlib {nd:.2f} s vs {model:.3f} s = {nd / model:.1f}x "
            f"(cpu {get('facebook', 'ndlib', 'cpu_s') / get('facebook', 'model_sir', 'cpu_s'):.1f}x)",
        )
    burn, quiet = get("1M burning", "full"), get("1M quiet", "full")
    if burn:
        add("full model 1M burning < 60 s", round(burn, 1), burn < 60, f"{burn:.1f} s")
        mem = get("1M burning", "full", "peak_rss_mb")
        add("full model 1M burning < 3 GB peak", round(mem), mem < 3072, f"{mem:.0f} MB peak (VmHWM)")
    if burn and quiet:
        add(
            "full model 1M quiet much faster (>= 10x faster than burning)",
            round(burn / quiet, 1),
            burn >= 10 * quiet,
            f"quiet {quiet:.1f} s vs burning {burn:.1f} s = {burn / quiet:.1f}x",
        )
    d = get("default", "default")
    if d:
        add("default scenario run < 0.3 s (median)", round(d, 3), d < 0.3, f"{d:.3f} s")
    g = get("network 1M", "network")
    if g:
        add("network generation at 1M < 10 s", round(g, 2), g < 10, f"{g:.2f} s")
    return out


def issue_targets(rows: list[dict], sizes: list[int]) -> list[dict]:
    """Issue 15's targets, side by side: this version, what it is measured against, the ratio, PASS/MISS.

    Times are the best of the interleaved rounds (each a fresh process, the versions and floors one
    after another in every round); the medians are in the case table.
    """
    by = {(r["case"], r["method"], r["version"]): r for r in rows}

    def get(case, method, col="wall_s", version="this"):
        r = by.get((case, METHOD_LABEL[method], version))
        return r[col] if r and r[col] != "" else None

    out = []

    def add(target, this, reference, ratio, goal, ok):
        out.append(
            {
                "target": target,
                "this": this,
                "reference": reference,
                "ratio": ratio,
                "goal": goal,
                "result": "PASS" if ok else "MISS",
            }
        )

    for label, case, method, share in (
        ("default scenario, per run (scenario to metrics)", "default", "default", 8),
        ("1,000,000 consumers, 720 hourly steps, burning", "1M burning", "full", 2),
    ):
        now, prev = get(case, method), get(case, method, version="previous")
        if now and prev:
            add(
                label,
                f"{now:.4f} s",
                f"previous {prev:.4f} s",
                f"{prev / now:.2f}x faster",
                f">= {share}x",
                now <= prev / share,
            )
    mem = get("1M burning", "full", "peak_rss_mb")
    if mem:
        add("1,000,000 consumers burning: peak memory", f"{mem:.0f} MB", "", "", "<= 500 MB", mem <= 500)
    for n in sizes:
        case = f"BA {n:,}"
        model, floor, fused = get(case, "model_sir"), get(case, "floor"), get(case, "floor_numba")
        if n >= 100_000 and model and floor and fused:
            add(
                f"SIR reduction, {case}",
                f"{model:.3f} s",
                f"numpy floor {floor:.3f} s",
                f"{model / floor:.2f}x",
                "<= 2x",
                model <= 2 * floor,
            )
            add(
                f"SIR reduction, {case}",
                f"{model:.3f} s",
                f"numba floor {fused:.3f} s",
                f"{model / fused:.2f}x",
                "<= 3x",
                model <= 3 * fused,
            )
    big, mem = get("10M burning", "full"), get("10M burning", "full", "peak_rss_mb")
    if big:
        add(
            "10,000,000 consumers, 30 days: peak memory",
            f"{mem / 1024:.2f} GB",
            f"run {big:.0f} s",
            "",
            "<= 6 GB",
            mem <= 6 * 1024,
        )
    return out


def print_issue_table(items: list[dict]) -> str:
    heads = ["target", "this version", "measured against", "ratio", "goal", "result"]
    keys = ["target", "this", "reference", "ratio", "goal", "result"]
    cells = [heads] + [[str(it[k]) for k in keys] for it in items]
    widths = [max(len(c[i]) for c in cells) for i in range(len(keys))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(keys))).rstrip() for c in cells]
    lines.insert(1, "-" * len(lines[0]))
    text = "\n".join(lines)
    print(text)
    return text


ROUNDS_SMALL, ROUNDS_BIG = 5, 3  # interleaved rounds of the issue-15 cases (fewer at 1,000,000 nodes)
DEFAULT_RUNS = 20  # replications timed per round of the default scenario (a per-run cost is their mean)


def plan_cases(sizes: list[int], quick: bool, graph_dir: Path, big: bool = False) -> list[dict]:
    """The cases. Those of issue 15 (`rounds` > 0) are timed in interleaved rounds, a fresh process each:
    in round r, each method and version once, side by side, so that a loaded machine slows them alike."""
    cases = []
    graphs = [(f"BA {n:,}", f"ba:{n}", n) for n in sizes] + [("facebook", "facebook", 4039)]
    for case, spec, n in graphs:
        net = make_graph(spec)
        path = graph_dir / (spec.replace(":", "_") + ".npz")
        np.savez(path, indptr=net.indptr, indices=net.indices, kind=net.report["kind"])
        huge = n >= 1_000_000
        mid = n >= 100_000
        rounds = ROUNDS_BIG if huge else ROUNDS_SMALL
        label = "barabasi_albert m=3" if spec != "facebook" else "facebook_combined"
        common = {"case": case, "graph": label, "graph_file": str(path), "n": net.n, "steps": STEPS}
        for method in ("floor", "floor_numba", "model_sir"):
            cases.append({**common, "method": method, "repeats": 1, "rounds": rounds})
        cases.append({**common, "method": "floor_matvec", "repeats": 3 if huge else 5})
        if n <= 100_000:
            cases.append({**common, "method": "ndlib", "repeats": 1 if mid else 3})
        cases.append({**common, "method": "eon", "repeats": 1 if mid else 3, "timeout": 300 if huge else None})
        if n == 10_000:
            cases.append({**common, "method": "mesa", "repeats": 3})
    cases.append(
        {
            "case": "default",
            "graph": "barabasi_albert m=3 (scenario)",
            "method": "default",
            "repeats": 1,
            "rounds": 3 if quick else ROUNDS_SMALL,
            "runs": DEFAULT_RUNS,
        }
    )
    if not quick:
        over = {"population.size": 1_000_000, "simulation.days": 30}
        graph = "barabasi_albert m=3 (scenario)"
        quiet = {**over, "complaint.placement": "random", "amplifiers": []}
        cases.append(
            {"case": "1M quiet", "graph": graph, "method": "full", "repeats": 1, "rounds": 2, "overrides": quiet}
        )
        cases.append(
            {"case": "1M burning", "graph": graph, "method": "full", "repeats": 1, "rounds": 2, "overrides": over}
        )
        cases.append(
            {"case": "network 1M", "graph": "barabasi_albert m=3", "method": "network", "repeats": 3, "n": 1_000_000}
        )
    if big:  # this version only: the previous one needs about 10 times as long
        over = {"population.size": 10_000_000, "simulation.days": 30}
        cases.append(
            {
                "case": "10M burning",
                "graph": "barabasi_albert m=3 (scenario)",
                "method": "full",
                "repeats": 1,
                "rounds": 1,
                "overrides": over,
                "this_only": True,
                "timeout": 3600,
            }
        )
    return cases


def merge(acc: dict | None, res: dict) -> dict:
    """A case's results over rounds: the timings' lists joined, the peak memory's maximum."""
    if acc is None or "error" in acc:
        return dict(res)
    if "error" in res:
        return acc
    for key in ("setup_s", "run_s", "cpu_s", "final_size", "crisis"):
        acc.setdefault(key, []).extend(res.get(key, []))
    acc["peak_rss_mb"] = max(acc["peak_rss_mb"], res["peak_rss_mb"])
    acc["base_rss_mb"] = min(acc["base_rss_mb"], res["base_rss_mb"])
    acc["process_s"] = acc.get("process_s", 0) + res.get("process_s", 0)
    return acc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 nodes and facebook only (smoke test)")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="BA sizes, comma separated")
    ap.add_argument("--out", default=str(RESULTS), help="folder for scale.csv and scale.json")
    ap.add_argument("--big", action="store_true", help="also 10,000,000 consumers for 30 days (this version, ~GBs)")
    ap.add_argument(
        "--no-previous",
        dest="previous",
        action="store_false",
        help=f"skip the previous version ({PREVIOUS}), timed otherwise on the model cases in the same run",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        case = json.loads(args.worker)
        if case["method"] == "model_sir":
            case["scenario"] = sir_scenario(case["n"])
        print("RESULT " + json.dumps(worker(case)), flush=True)
        return 0

    sizes = [10_000] if args.quick else [int(x) for x in args.sizes.split(",") if x.strip()]
    t_start = time.perf_counter()
    info = machine_info()
    load_start = os.getloadavg()
    if load_start[0] > 0.5:
        print(
            f"warning: load average {load_start[0]:.2f} at start: other processes share the "
            f"{info['cores']} cores; wall times will be inflated (cpu s less so)"
        )
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"buzzsim {info['packages']['buzzsim']} @ {info['git_commit']}"
        f"{' (simulation/ has uncommitted changes)' if info['simulation_dirty'] else ''}"
    )
    print(
        f"SIR rule: p = {P_TRANSMIT}, r = {R_RECOVER} per step, {INITIAL_INFECTED} initial infected, "
        f"{STEPS} steps; peak memory = VmHWM of a fresh process per case",
        flush=True,
    )
    rows = []
    tree = previous_tree() if args.previous else None
    if tree is not None:
        print(f"model cases are timed on this version and, beside it in each round, on the previous one ({PREVIOUS})")
    with tempfile.TemporaryDirectory(prefix="buzzsim-bench-") as tmp:
        cases = plan_cases(sizes, args.quick, Path(tmp), big=args.big)
        groups: dict[str, list[dict]] = {}
        for case in cases:
            groups.setdefault(case["case"], []).append(case)
        for name, group in groups.items():
            paired = [c for c in group if c.get("rounds")]
            results: dict[tuple[int, str], dict] = {}
            for rnd in range(max((c["rounds"] for c in paired), default=0)):
                for i, case in enumerate(paired):
                    if rnd >= case["rounds"]:
                        continue
                    for version, where in versions_of(case, tree):
                        res = run_case({**case, "round": rnd}, case.get("timeout"), where)
                        results[(i, version)] = merge(results.get((i, version)), res)
                        print(
                            f"  {name:<12} {label_of(case, version):<58} round {rnd + 1}: "
                            + (res.get("error") or f"{res['setup_s'][0] + res['run_s'][0]:.4f} s"),
                            flush=True,
                        )
            for (i, version), res in results.items():
                rows.append(row_from(paired[i], res, version))
            for case in (c for c in group if not c.get("rounds")):
                print(f"  {name:<12} {label_of(case, 'this'):<58}", end=" ", flush=True)
                res = run_case(case, case.get("timeout"), ROOT)
                rows.append(row_from(case, res, "this"))
                print(res.get("error") or f"{rows[-1]['wall_s']:.3f} s  (process {res['process_s']:.1f} s)", flush=True)
    for col, method in (("ratio_to_floor", "floor"), ("ratio_to_numba_floor", "floor_numba")):
        floors = {r["case"]: r["wall_s"] for r in rows if r["method"] == METHOD_LABEL[method] and r["wall_s"] != ""}
        for r in rows:
            if r["case"] in floors and r["wall_s"] != "":
                r[col] = r["wall_s"] / floors[r["case"]]
    earlier = {(r["case"], r["method"]): r["wall_s"] for r in rows if r["version"] == "previous" and r["wall_s"] != ""}
    for r in rows:
        if r["version"] == "this" and r["wall_s"] != "" and earlier.get((r["case"], r["method"])):
            r["ratio_to_previous"] = r["wall_s"] / earlier[(r["case"], r["method"])]

    print()
    table = print_table(rows)
    verdicts = targets(rows, sizes)
    print("\nEarlier targets (issue 6):")
    for v in verdicts:
        print(f"  {v['result']}  {v['target']}: {v['detail']}")
    print("\nIssue 15 targets, side by side (best of the interleaved rounds):")
    issue = issue_targets(rows, sizes)
    issue_table = print_issue_table(issue)
    total = time.perf_counter() - t_start
    print(f"\ntotal benchmark time {total:.0f} s")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "scale.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: (f"{r[c]:.6g}" if isinstance(r[c], float) else r[c]) for c in COLUMNS})
    meta = {
        "machine": info,
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "sir": {
            "p": P_TRANSMIT,
            "r": R_RECOVER,
            "beta": BETA,
            "gamma": GAMMA,
            "steps": STEPS,
            "initial_infected": INITIAL_INFECTED,
            "graph_seed": GRAPH_SEED,
        },
        "memory": "peak_rss_mb = VmHWM (/proc/self/status) of the case's own fresh process: interpreter, "
        "imports, graph (and its networkx copy for NDlib, EoN, Mesa) and the run; base_rss_mb = "
        "VmHWM after the imports, before the graph. Not ru_maxrss: on Linux it survives execve, "
        "so a subprocess reports at least its parent's high-water mark",
        "edge_steps": "directed edges (2 per undirected link) x steps, whatever the activity",
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "targets": verdicts,
        "issue_targets": issue,
        "issue_table": issue_table,
        "total_seconds": round(total, 1),
        "table": table,
    }
    (out / "scale.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {out / 'scale.csv'} and {out / 'scale.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
