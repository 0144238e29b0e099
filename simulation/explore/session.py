"""One page's session: its state, the batch it runs, and what it shows (no Solara here)."""

from __future__ import annotations

from .state import Checked, Explorer
from .workers import Batch, Pool


class Session:
    """The page's logic: a changed control re-checks the state and may start a batch.

    When the state makes a new valid command, a batch of it starts and the batch still running is
    cancelled.

    Args:
        explorer: The page's state.
        pool: The worker processes (shared by the sessions of one server).
    """

    def __init__(self, explorer: Explorer, pool: Pool):
        self.explorer, self.pool = explorer, pool
        self.checked: Checked = explorer.check()
        self.batch: Batch | None = None  # the latest batch started
        self.batch_checked: Checked | None = None  # the command it runs

    def update(self) -> Checked:
        """Re-check the state after a change; start a batch if it is valid and new (cancelling the running one)."""
        self.checked = self.explorer.check()
        new = self.batch_checked is None or self.checked.argv != self.batch_checked.argv
        if self.checked.ok and new:
            self.pool.cancel(self.batch)
            self.batch, self.batch_checked = self.pool.submit(self.checked.tasks()), self.checked
        return self.checked

    def results(self, batch: Batch | None = None) -> dict[str, list]:
        """A finished batch's results by strategy, in replication order."""
        batch = batch or self.batch
        out: dict[str, list] = {}
        for task, result in zip(batch.tasks, batch.results):
            if result is not None:
                out.setdefault(task.label, []).append(result)
        return out

    def close(self) -> None:
        """Cancel the running batch (the page was closed)."""
        self.pool.cancel(self.batch)
