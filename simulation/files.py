"""Input files a command reads: the one check every reader makes before it opens one."""

from __future__ import annotations

from pathlib import Path


def not_regular(path: str | Path) -> str | None:
    """What is wrong with reading `path` as a file, or None for a regular file (or a missing one: the reader says so).

    A folder cannot be read; a FIFO would make the reader wait forever and a device (``/dev/zero``)
    would fill the memory, so both are refused before opening.
    """
    path = Path(path)
    if not path.exists() or path.is_file():
        return None
    return "is a folder" if path.is_dir() else "is not a regular file (a FIFO or a device)"
