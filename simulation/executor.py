"""The parallel executor: many independent tasks in this process, on worker processes, or on Dask.

Experiments and `check-model` run their replications through an :class:`Executor`. Whatever the
executor, each task is a pure function of its arguments (its seed among them), so results do not
depend on how many workers ran them or in which order they finished; callers that write files
put the results back in task order.

- Workers are *spawned*, not forked: forking a process that runs threads (numba, BLAS) may
  deadlock. They ignore Ctrl-C, which the main process handles: it cancels what has not started
  and shuts the pool down.
- At most `max_pending` tasks are in flight at a time (4 per worker by default), so memory stays
  flat however many tasks there are, on a pool and on Dask alike.
- The pool is started on first use and kept until :meth:`Executor.close` (a `with` block), so a
  caller with several batches (the checks of `check-model`) pays the start-up once.
- `dask="local"` starts a local cluster of `workers` processes; any other value is the address of
  an existing Dask scheduler. Dask ships tasks and results with pickle: the cluster must be trusted.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterable, Iterator

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_stop = threading.Event()  # set by the command line's Ctrl-C / kill handler (`request_stop`)


def request_stop() -> None:
    """Ask every executor loop to stop at its next result (raising KeyboardInterrupt there).

    A KeyboardInterrupt raised by a signal handler can be lost when the signal lands inside a
    callback whose exceptions Python ignores (a garbage-collection callback of Dask's): the loops
    check this flag too, so the interruption still stops the work.
    """
    _stop.set()


def clear_stop() -> None:
    """Forget an earlier stop request (a new command starts)."""
    _stop.clear()


def _check_stop() -> None:
    if _stop.is_set():
        raise KeyboardInterrupt


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which shuts them down cleanly, and die with it.

    A parent killed with -9 cannot shut its pool down: on Linux each worker asks the kernel for
    SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), so no worker outlives it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere nothing)."""
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request: go now
        os._exit(1)


DASK_TIMEOUT_S = 10  # how long the command line waits for a Dask scheduler before refusing


def check_dask(address: str, timeout: float = DASK_TIMEOUT_S) -> str:
    """Why a Dask scheduler cannot be used ('' if it can): checked before an experiment writes anything."""
    if address == "local":
        return ""
    try:
        from dask.distributed import Client
    except ImportError:
        return "dask.distributed is not installed (pip install 'dask[distributed]')"
    try:
        Client(address, timeout=timeout).close()
    except Exception as exc:  # OSError, TimeoutError, ValueError on a malformed address, ...
        return f"cannot reach the scheduler within {timeout:g} s ({exc.__class__.__name__})"
    return ""


class Executor:
    """Runs `fn(*task)` for many tasks: serially, on spawned processes, or on a Dask cluster."""

    def __init__(self, workers: int = 1, dask: str | None = None, max_pending: int | None = None):
        self.workers, self.dask = max(1, int(workers)), dask
        self.max_pending = max_pending or 4 * self.workers
        self._pool: ProcessPoolExecutor | None = None
        self._client = self._cluster = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def parallel(self) -> bool:
        """Whether tasks run outside this process."""
        return bool(self.dask) or self.workers > 1

    def imap_unordered(self, fn: Callable, tasks: Iterable[tuple]) -> Iterator[tuple[int, Any]]:
        """`(i, fn(*tasks[i]))` for every task, in the order they finish."""
        tasks = list(tasks)
        if not self.parallel or (len(tasks) <= 1 and not self.dask):
            for i, t in enumerate(tasks):
                _check_stop()
                yield i, fn(*t)
        elif self.dask:
            yield from self._dask(fn, tasks)
        else:
            yield from self._processes(fn, tasks)

    def map(self, fn: Callable, tasks: Iterable[tuple]) -> list:
        """`[fn(*t) for t in tasks]`, computed by the executor, in task order."""
        tasks = list(tasks)
        out: list = [None] * len(tasks)
        for i, result in self.imap_unordered(fn, tasks):
            out[i] = result
        return out

    def _processes(self, fn, tasks) -> Iterator[tuple[int, Any]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, initializer=_ignore_sigint, mp_context=multiprocessing.get_context("spawn")
            )
        pool, todo = self._pool, iter(enumerate(tasks))
        pending = {pool.submit(fn, *t): i for i, t in itertools.islice(todo, self.max_pending)}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:  # several may finish together: the stop is checked before each result
                    _check_stop()
                    i = pending.pop(f)
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending[pool.submit(fn, *nxt[1])] = nxt[0]
                    yield i, f.result()
        except BaseException:
            for f in pending:
                f.cancel()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            raise

    def _dask(self, fn, tasks) -> Iterator[tuple[int, Any]]:
        from dask.distributed import Client, LocalCluster, as_completed

        if self._client is None:
            if self.dask == "local":
                self._cluster = LocalCluster(  # no more workers than tasks: each is a process
                    n_workers=min(self.workers, max(1, len(tasks))),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # a worker's notes on cancelled tasks and on its scheduler closing (Ctrl-C, kill) are not the
                    # user's: a task's own error reaches the command line through its result
                    silence_logs=logging.CRITICAL,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.dask)
        client, todo = self._client, iter(enumerate(tasks))
        index = {}

        def submit(i, t):
            fut = client.submit(fn, *t, pure=False)
            index[fut.key] = i
            return fut

        queue = as_completed([submit(i, t) for i, t in itertools.islice(todo, self.max_pending)])
        try:
            for fut in queue:
                _check_stop()
                nxt = next(todo, None)
                if nxt is not None:
                    queue.add(submit(*nxt))
                result = fut.result()
                i = index.pop(fut.key)
                fut.release()
                yield i, result
        except BaseException:
            client.cancel(list(queue.futures))
            raise

    def close(self) -> None:
        """Shut the workers (or the Dask client and local cluster) down."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
