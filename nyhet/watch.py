"""Noticing a save at once: the operating system's file events rather than polling.

MkDocs' live-reload server polls the watched folders every half second, walking and
stat-ing every file each time: a save waits a quarter of a second on average (up to half a
second) before the preview even starts, and at 3,000 posts each walk costs the preview
process CPU time of its own, twice a second. The platform's own watcher (inotify on Linux,
FSEvents on macOS, ReadDirectoryChangesW on Windows, through watchdog) reports a save within
a millisecond and costs nothing while nobody writes.

Only what changes a file counts (created, modified, deleted, moved), as with polling: the
native watchers also report files being opened and closed, which every build and every
check does to every page, and which must not reload the browser.

Where the native watcher cannot start (a file system without events, a used-up limit of
watchers), the preview polls as MkDocs does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("nyhet.visa")

CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]
"""The events that change what is in the watched folders (not opening or closing files)."""

POLLING_INTERVAL = 0.5
"""Seconds between two walks when polling: MkDocs' own interval."""


class ChangesObserver(Observer):  # type: ignore[misc,valid-type]
    """The platform's watcher, told of changes only (see :data:`CHANGES`)."""

    def schedule(self, event_handler: FileSystemEventHandler, path: str | Path, *,
                 recursive: bool = False, event_filter: list[type[FileSystemEvent]] | None = None,
                 **options: Any) -> Any:
        return super().schedule(event_handler, path, recursive=recursive,
                                event_filter=event_filter or CHANGES, **options)


def observer_for(paths: Iterable[Path]) -> BaseObserver:
    """A watcher, not yet started, for a live-reload server that will watch ``paths``.

    The platform's watcher if it can watch every one of ``paths`` here; otherwise polling.
    """
    probe = ChangesObserver()
    try:
        for path in paths:
            probe.schedule(FileSystemEventHandler(), str(path), recursive=True)
        probe.start()
    except OSError as error:
        log.info("Filhändelser går inte att bevaka här (%s); letar efter ändringar var %.1f s",
                 error, POLLING_INTERVAL)
        return PollingObserver(timeout=POLLING_INTERVAL)
    finally:
        probe.stop()  # also the watchers of paths that did start
        if probe.is_alive():
            probe.join()
    return ChangesObserver()
