"""The search index under ``mkdocs serve``: indexed behind the preview, never in front of it.

``mkdocs build`` indexes in ``on_post_build`` and swaps the new index in whole
(:func:`plugins.search.index.write_index`), and the build waits for it. Under ``mkdocs serve``
every save would wait for Pagefind too, before the writer's page reloads. Here a rebuild only
compares the pages' documents with those of the last index:

* unchanged (a draft saved, a scheduled post edited, a layout change): the last index is put
  back into the site folder, which a serve rebuild empties, as hard links; nothing is indexed;
* changed: the last index is put back likewise, so the reloaded page can search at once, and
  Pagefind runs in a background thread; its index then replaces the last one file by file,
  the entry file last, so that a page never reads an entry whose files are not there yet.

A page that loaded the previous index before the swap still fetches that index's chunks and
fragments by their hashed names, so the files of the previous index stay one generation
longer; older ones are removed. The next build waits for a running indexing (``wait``) before
MkDocs empties the site folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from .documents import SearchDocument
from .index import ENTRY_FILE, IndexStats, SearchIndexError, write_index

log = logging.getLogger("mkdocs.plugins.plugins.search.live")


def index_files(folder: Path) -> frozenset[str]:
    """The files of an index folder, as paths relative to it."""
    return frozenset(str(path.relative_to(folder)) for path in folder.rglob("*")
                     if path.is_file())


def put_index(source: Path, names: frozenset[str], target: Path) -> None:
    """Put the index files ``names`` of ``source`` into ``target``, replacing each file
    atomically and the entry file last: a reader sees the old index or the new, never half."""
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(names, key=lambda name: (name == ENTRY_FILE, name)):
        destination = target / name
        if destination.exists() and destination.samefile(source / name):
            continue  # already this file (rename() of one link onto another does nothing)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{destination.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            os.link(source / name, partial)
        except OSError:  # another file system, or links not allowed
            shutil.copy2(source / name, partial)
        os.replace(partial, destination)


class LiveIndex:
    """The index of a served site, kept in a folder of its own between rebuilds."""

    def __init__(self) -> None:
        self._store = Path(tempfile.mkdtemp(prefix="intranet-search-serve-"))
        self._generation = 0
        self._current: Path | None = None
        """The store's folder of the last complete index."""
        self._key: tuple[str, list[SearchDocument]] | None = None
        """Language and documents of the last index started (complete or under way)."""
        self._names: frozenset[str] = frozenset()
        self._previous_names: frozenset[str] = frozenset()
        self._thread: threading.Thread | None = None
        self.last_stats: IndexStats | None = None

    def wait(self) -> None:
        """Until an indexing under way has put its index in place."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def publish(self, documents: Sequence[SearchDocument], target: Path, language: str) -> bool:
        """Make ``target`` hold the index of ``documents``: the last index at once, a new one
        in the background if the documents changed. True if indexing was started."""
        self.wait()
        if self._current is not None:
            put_index(self._current, self._names, target)
        key = (language, list(documents))
        if key == self._key:
            return False
        self._key = key
        self._thread = threading.Thread(target=self._index, args=(key[1], target, language),
                                        name="intranet-search-index")
        self._thread.start()
        return True

    def _index(self, documents: list[SearchDocument], target: Path, language: str) -> None:
        self._generation += 1
        folder = self._store / str(self._generation)
        try:
            stats = write_index(documents, folder, language)
        except SearchIndexError as error:
            self._key = None  # try again at the next rebuild
            log.error("intranet-search: %s", error)
            return
        names = index_files(folder)
        put_index(folder, names, target)
        # Pages loaded before this swap read the previous index; the one before is unused.
        for name in self._previous_names - self._names - names:
            (target / name).unlink(missing_ok=True)
        old, self._current = self._current, folder
        self._previous_names, self._names = self._names, names
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.last_stats = stats
        if stats.indexed != stats.pages:
            log.warning("intranet-search: Pagefind indexed %d of %d pages", stats.indexed,
                        stats.pages)
        log.info("Search index (in the background): %d pages, %d files, %d kB", stats.pages,
                 stats.files, stats.bytes // 1000)

    def close(self) -> None:
        """Wait for indexing under way, then remove the stored index."""
        self.wait()
        shutil.rmtree(self._store, ignore_errors=True)
