"""Batches of replications on warm worker processes, with progress and cancellation.

The model's compiled loops hold the GIL, so the page's server would freeze if it ran them in a
thread: a batch runs on worker processes instead. Starting a worker costs about 2 s here (Mesa and
numba imports and numba's cached machine code), while a replication of the default scenario
takes 0.05 s once warm: the workers are started once, warmed up, and kept.

- A batch is a list of tasks (a scenario, the root seed, a replication); each task runs through
  :func:`simulation.runner.run_replication`, as in `run.py run` and `run.py compare`, so the page
  shows exactly the runs those commands make.
- Progress (steps done) comes back while a task runs; results come back as they finish.
- :meth:`Pool.cancel` ends a batch: its queued tasks are dropped and its running tasks stop at
  their next step (each worker checks its pipe at every step). A worker that has not stopped
  within :data:`CANCEL_GRACE_S` (stuck in one long step of a huge network) is ended (SIGTERM,
  then SIGKILL) and replaced, so a cancelled batch never keeps a core busy.
- Workers ignore Ctrl-C (the server handles it and closes the pool) and die with their parent
  (:func:`simulation.executor.die_with_parent`): no worker outlives the explorer, even one killed
  with -9.
"""

from __future__ import annotations

import itertools
import multiprocessing
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait

import numpy as np

CANCEL_GRACE_S = 2.0  # a worker told to cancel that is still busy after this is ended and replaced
PROGRESS_EVERY_S = 0.1  # a running task reports its steps at most this often
JOIN_S = 2.0  # how long an ending worker is waited for before it is killed


@dataclass(frozen=True)
class Task:
    """One replication of a batch: `run_replication(scenario, seed, replication)`.

    `neighbourhood`: also record the complainant's neighbourhood's stance at every step (for the
    replication the page draws).
    """

    scenario: object
    seed: int
    replication: int
    label: str = ""  # the strategy it belongs to (side-by-side batches hold two)
    neighbourhood: bool = False


@dataclass
class Neighbourhood:
    """The complainants' neighbourhood in one replication: who, the links, the layout, the stances per step."""

    nodes: np.ndarray  # consumers drawn (ids), breadth first from the complainants
    edges: np.ndarray  # links among them, as pairs of positions in `nodes`
    xy: np.ndarray  # their layout (plots' spring layout, seeded)
    is_centre: np.ndarray  # which of them are complainants
    stances: np.ndarray  # (steps + 1) x len(nodes): each one's stance at each row of the series
    dt: float


class Cancelled(Exception):
    """The task's batch was cancelled."""


class _Stop(Exception):
    """The pool is closing."""


@dataclass
class Batch:
    """A submitted batch: its tasks, their progress and results (updated by the pool's thread)."""

    id: int
    tasks: list[Task]
    results: list = field(default_factory=list)  # per task: (Replication, Neighbourhood | None) once done
    steps_done: list = field(default_factory=list)
    steps_total: list = field(default_factory=list)
    state: str = "running"  # running, done, cancelled, failed
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _version: int = 0

    def __post_init__(self):
        n = len(self.tasks)
        self.results, self.steps_done = [None] * n, [0] * n
        self.steps_total = [max(1, t.scenario.steps) for t in self.tasks]

    @property
    def progress(self) -> float:
        """The share of the batch's steps done (0 to 1)."""
        return sum(self.steps_done) / sum(self.steps_total) if self.tasks else 1.0

    @property
    def finished_tasks(self) -> int:
        """How many tasks have their result."""
        return sum(r is not None for r in self.results)

    @property
    def running(self) -> bool:
        """Whether the batch still runs."""
        return self.state == "running"

    def _touch(self) -> None:
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Wait until the batch changed since version `seen` (or `timeout` s); returns the current version."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)
            return self._version

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the batch ends (done, cancelled or failed); whether it did within `timeout`."""
        with self._changed:
            return self._changed.wait_for(lambda: self.state != "running", timeout)


# -- in the worker process ---------------------------------------------------------------------


def _neighbourhood_recorder():
    """An `on_step` callback keeping every consumer's stance changes, and a function building the result.

    Changes only (which consumers changed stance at each row, and to what) are kept, so that memory
    follows the buzz, not the population times the steps; the neighbourhood is chosen after the
    run, as the run figures choose it (:func:`simulation.runner.snapshot`: the first complainants).
    """
    from .. import plots

    changes: list[tuple[np.ndarray, np.ndarray]] = []
    state: dict = {}

    def on_step(model) -> None:
        stance = model.population.stance
        if "prev" not in state:
            state["first"] = stance.copy()
            changed = np.zeros(0, np.int64)
        else:
            changed = np.flatnonzero(stance != state["prev"])
        changes.append((changed, stance[changed].copy()))
        state["prev"] = stance.copy()
        state["model"] = model

    def result(seed: int) -> Neighbourhood | None:
        model = state["model"]
        network = model.network
        if network.well_mixed:
            return None
        defaults = _neighbourhood_defaults()
        centre = np.flatnonzero(model.population.complainant)[: defaults["centres"]]
        if not len(centre):
            return None
        nodes = plots._neighbourhood_nodes(network, centre, defaults["hops"], defaults["max_nodes"])
        edges = plots._induced_edges(network, nodes)
        xy = plots._layout(len(nodes), edges, seed)
        position = np.full(network.n, -1, np.int64)
        position[nodes] = np.arange(len(nodes))
        stances = np.empty((len(changes), len(nodes)), np.int8)
        row = state["first"][nodes].astype(np.int8)
        for k, (who, to) in enumerate(changes):
            at = position[who]
            keep = at >= 0
            row[at[keep]] = to[keep]
            stances[k] = row
        return Neighbourhood(nodes, edges, xy, np.isin(nodes, centre), stances, model.dt)

    return on_step, result


def _neighbourhood_defaults() -> dict:
    """The run figures' choice of neighbourhood: `plots.neighbourhood`'s hops and cap, `runner.snapshot`'s centres."""
    import inspect

    from .. import plots

    p = inspect.signature(plots.neighbourhood).parameters
    return {"hops": p["hops"].default, "max_nodes": p["max_nodes"].default, "centres": SNAPSHOT_CENTRES}


SNAPSHOT_CENTRES = 5  # the complainants a neighbourhood is drawn around, as simulation.runner.snapshot


def run_task(task: Task, conn=None, batch_id: int = 0, index: int = 0):
    """Run one task: its Replication and, if asked, its Neighbourhood.

    With `conn` (in a worker), report progress on it and stop with :class:`Cancelled` when a cancel
    of this batch arrives (or :class:`_Stop` when the pool closes).
    """
    from ..runner import run_replication

    record, build = _neighbourhood_recorder() if task.neighbourhood else (None, None)
    last = [0.0]

    def on_step(model) -> None:
        if record is not None:
            record(model)
        if conn is None:
            return
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            conn.send(("progress", batch_id, index, model.steps))
        while conn.poll():
            message = conn.recv()
            if message[0] == "stop":
                raise _Stop
            if message[0] == "cancel" and message[1] == batch_id:
                raise Cancelled

    rep = run_replication(task.scenario, task.seed, task.replication, on_step=on_step)
    return rep, (build(task.seed) if build is not None else None)


def _warm_up() -> None:
    """Import the model and load numba's compiled code with a tiny run, so the first real task starts at once."""
    from ..runner import run_replication
    from ..scenario import load_scenario

    tiny = load_scenario({"name": "warm-up", "population": {"size": 10}, "simulation": {"days": 0.1}})
    run_replication(tiny, 0, 0)


def _worker_main(conn) -> None:
    """A worker: warm up, then run the tasks the pool sends, one at a time, until told to stop."""
    from ..executor import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's: it closes the pool
    die_with_parent()
    try:
        try:
            _warm_up()
        except Exception:  # noqa: S110 (the tasks will fail with the message, shown on the page)
            pass
        conn.send(("ready",))
        while True:
            message = conn.recv()
            if message[0] == "stop":
                return
            if message[0] != "task":
                continue  # a cancel that arrived after its task had ended
            _, batch_id, index, task = message
            try:
                result = run_task(task, conn, batch_id, index)
            except Cancelled:
                conn.send(("cancelled", batch_id, index))
                continue
            except Exception as exc:  # a failing run is reported on the page in one line
                conn.send(("failed", batch_id, index, f"{exc.__class__.__name__}: {exc}".replace("\n", " ")))
                continue
            conn.send(("done", batch_id, index, result))
    except (_Stop, EOFError, BrokenPipeError, KeyboardInterrupt):
        return


# -- in the server -----------------------------------------------------------------------------


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object
    ready: bool = False
    batch: Batch | None = None
    index: int = -1
    cancelled_at: float | None = None  # when its batch was cancelled (it is still running the task)


class Pool:
    """Warm worker processes running batches; a thread of the server collects their messages.

    Args:
        workers: Number of worker processes.
    """

    def __init__(self, workers: int = 2):
        self.size = max(1, int(workers))
        self._ctx = multiprocessing.get_context("spawn")  # never fork a server that runs threads
        self._lock = threading.RLock()
        self._workers: list[_Worker] = []
        self._queue: deque[tuple[Batch, int]] = deque()
        self._ids = itertools.count(1)
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._closed = False
        self.ended = 0  # workers ended (by a cancel they did not obey in time, or by closing)
        self.replaced = 0  # workers started to replace an ended one
        for _ in range(self.size):
            self._start_worker()
        self._thread = threading.Thread(target=self._loop, name="explore-pool", daemon=True)
        self._thread.start()

    # -- public ----------------------------------------------------------------------------

    def submit(self, tasks: list[Task]) -> Batch:
        """Queue a batch; it starts as soon as workers are free."""
        batch = Batch(next(self._ids), list(tasks))
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            self._queue.extend((batch, i) for i in range(len(batch.tasks)))
        if not batch.tasks:
            self._finish(batch, "done")
        self._wake()
        return batch

    def cancel(self, batch: Batch | None) -> None:
        """End a batch: drop its queued tasks, stop its running ones at their next step."""
        if batch is None:
            return
        with self._lock:
            if batch.state != "running":
                return
            self._queue = deque(item for item in self._queue if item[0] is not batch)
            for w in self._workers:
                if w.batch is batch and w.cancelled_at is None:
                    w.cancelled_at = time.monotonic()
                    self._send(w, ("cancel", batch.id))
            self._finish(batch, "cancelled")
        self._wake()

    def processes(self) -> list:
        """The worker processes alive now."""
        with self._lock:
            return [w.process for w in self._workers if w.process.is_alive()]

    def idle(self) -> bool:
        """Whether no task is queued or running and every worker is warm."""
        with self._lock:
            return not self._queue and all(w.ready and w.batch is None for w in self._workers)

    def close(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after a grace) and the pool's thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for batch in {id(b): b for b, _ in self._queue}.values():
                self._finish(batch, "cancelled")
            self._queue.clear()
            workers, self._workers = self._workers, []
            for w in workers:
                if w.batch is not None:
                    self._finish(w.batch, "cancelled")
                self._send(w, ("stop",))
        self._wake()
        deadline = time.monotonic() + JOIN_S
        for w in workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
        for w in workers:
            self._end(w, count=False)
        self._thread.join(JOIN_S)
        self._wake_w.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the pool's thread -----------------------------------------------------------------

    def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child,), name="explore-worker", daemon=True)
        process.start()
        child.close()
        self._workers.append(_Worker(process, parent))

    def _send(self, w: _Worker, message) -> None:
        try:
            w.conn.send(message)
        except (OSError, ValueError):  # the worker died: the loop replaces it
            pass

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"")
        except (OSError, ValueError):
            pass

    def _finish(self, batch: Batch, state: str, error: str = "") -> None:
        if batch.state == "running":
            batch.state, batch.error, batch.finished = state, error, time.monotonic()
        batch._touch()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                conns = {w.conn: w for w in self._workers}
            ready = wait([*conns, self._wake_r], timeout=0.25)
            with self._lock:
                if self._closed:
                    return
                for conn in ready:
                    if conn is self._wake_r:
                        while self._wake_r.poll():
                            self._wake_r.recv_bytes()
                        continue
                    self._receive(conns[conn])
                ending = self._watch()
                self._dispatch()
            for w in ending:  # outside the lock: a submit or cancel from the page never waits for it
                self._end(w)

    def _receive(self, w: _Worker) -> None:
        while True:
            try:
                if not w.conn.poll():
                    return
                message = w.conn.recv()
            except (EOFError, OSError):
                return  # it died: _watch replaces it
            kind = message[0]
            if kind == "ready":
                w.ready = True
                continue
            batch, index = w.batch, w.index
            if batch is None or message[1] != batch.id:
                continue
            if kind == "progress":
                batch.steps_done[index] = message[3]
                batch._touch()
                continue
            w.batch, w.index, w.cancelled_at = None, -1, None  # done, cancelled or failed: free again
            if kind == "done":
                batch.results[index] = message[3]
                batch.steps_done[index] = batch.steps_total[index]
                if batch.state == "running" and batch.finished_tasks == len(batch.tasks):
                    self._finish(batch, "done")
                batch._touch()
            elif kind == "failed" and batch.state == "running":
                self.cancel(batch)
                batch.state, batch.error = "failed", message[3]
                batch._touch()

    def _watch(self) -> list[_Worker]:
        """Replace dead workers and those that ignore a cancel beyond the grace; returns the ones to end."""
        now, ending = time.monotonic(), []
        for w in list(self._workers):
            dead = not w.process.is_alive()
            stuck = w.cancelled_at is not None and now - w.cancelled_at > CANCEL_GRACE_S
            if not (dead or stuck):
                continue
            if dead and w.batch is not None and w.batch.state == "running":
                code = w.process.exitcode
                self.cancel(w.batch)
                w.batch.state, w.batch.error = "failed", f"a worker process ended (exit code {code}) during a run"
                w.batch._touch()
            self._workers.remove(w)
            ending.append(w)
            self._start_worker()
            self.replaced += 1
        return ending

    def _end(self, w: _Worker, count: bool = True) -> None:
        """End a worker: SIGTERM, then SIGKILL if it has not gone within JOIN_S; reaped either way."""
        if w.process.is_alive():
            w.process.terminate()
            w.process.join(JOIN_S)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            if count:
                self.ended += 1
        else:
            w.process.join()
        w.conn.close()

    def _dispatch(self) -> None:
        for w in self._workers:
            if not self._queue:
                return
            if w.ready and w.batch is None and w.process.is_alive():
                batch, index = self._queue.popleft()
                w.batch, w.index = batch, index
                self._send(w, ("task", batch.id, index, batch.tasks[index]))
