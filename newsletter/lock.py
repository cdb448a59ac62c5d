"""One ``send`` at a time per database: an flock held for the whole run."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsletter.errors import LockBusyError, StateError


@contextmanager
def run_lock(database: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold ``<database>.lock`` exclusively, or raise :class:`LockBusyError` at once.

    The kernel releases an flock when its holder dies, so a killed run never leaves a stale lock.
    """
    path = Path(f"{os.fspath(database)}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise StateError(f"cannot create lock file {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockBusyError(
                f"another newsletter send is running on {os.fspath(database)} (lock {path} is held)"
            ) from exc
        yield path
    finally:
        os.close(fd)
