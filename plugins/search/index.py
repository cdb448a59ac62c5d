"""Writing the Pagefind index of a set of documents: the I/O edge of search.

Pagefind's indexer is a native binary that the ``pagefind`` package drives over a pipe; the
``pagefind[bin]`` extra installs the binary from PyPI. The new index is written beside the
old one and swapped in at the end, so a failed or interrupted build never leaves a reader's
browser with half an index.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import shutil
import tempfile
import time
import zlib
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .documents import EXCLUDE_SELECTORS, SearchDocument, render
from .scripts import change_scripts

log = logging.getLogger("mkdocs.plugins." + __name__)

ENTRY_FILE = "pagefind-entry.json"
"""The file Pagefind's script reads first; it names the index's other (hashed) files."""


class SearchIndexError(Exception):
    """Pagefind could not be run or refused a page."""


class IncompleteIndex(SearchIndexError):
    """Pagefind's index has a file cut short, empty or missing."""


@dataclass(frozen=True)
class IndexStats:
    pages: int
    indexed: int
    """Pages Pagefind reports as indexed; equals ``pages`` unless a page had no text."""
    files: int
    bytes: int


def write_index(documents: Sequence[SearchDocument], target: Path, language: str) -> IndexStats:
    """Index ``documents`` into the folder ``target`` (replaced whole), for a site at its root."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="intranet-search-") as pages:
            _write_pages(documents, Path(pages), language)
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    indexed = _run(_index(Path(pages), staging, language))
                    break
                except IncompleteIndex as error:
                    # Still cut short after WRITE_WAIT seconds (see _index): a reader's
                    # search must not get it.
                    if attempt == ATTEMPTS:
                        raise
                    # Not a warning: the next attempt repairs it, and --strict must not fail.
                    log.info("intranet-search: %s; indexing again", error)
                    shutil.rmtree(staging)
        change_scripts(staging)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = [path for path in target.rglob("*") if path.is_file()]
    return IndexStats(len(documents), indexed, len(files), sum(p.stat().st_size for p in files))


ATTEMPTS = 3
"""Indexing runs before a cut-short index is reported as an error."""
WRITE_WAIT = 10.0
"""Seconds to wait, after Pagefind answered that the files are written, for them to be whole."""
_GZIPPED = (".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter", ".pagefind")


def check_index(folder: Path, pages: int) -> None:
    """Raise :class:`SearchIndexError` unless the index in ``folder`` is whole: an entry file
    that names ``pages`` pages, every gzipped index file complete (gzip's length and CRC
    checks), no empty script. A cut-short file would break every reader's search."""
    try:
        languages = json.loads((folder / ENTRY_FILE).read_bytes())["languages"]
        counted = sum(language["page_count"] for language in languages.values())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IncompleteIndex(f"Pagefind left an unreadable {ENTRY_FILE}") from error
    if counted != pages:
        raise IncompleteIndex(f"{ENTRY_FILE} names {counted} pages, Pagefind indexed {pages}")
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in _GZIPPED:
            try:
                gzip.decompress(path.read_bytes())
            except (OSError, EOFError, zlib.error) as error:
                raise IncompleteIndex(f"Pagefind left {path.name} incomplete") from error
        elif path.stat().st_size == 0:
            raise IncompleteIndex(f"Pagefind left {path.name} empty")


async def until_whole(folder: Path, pages: int, wait: float) -> None:
    """Return as soon as :func:`check_index` passes for ``folder``; after ``wait`` seconds,
    raise its :class:`IncompleteIndex`."""
    deadline = time.monotonic() + wait
    while True:
        try:
            check_index(folder, pages)
            return
        except IncompleteIndex:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.01)


def _write_pages(documents: Sequence[SearchDocument], folder: Path, language: str) -> None:
    # Pagefind's Python wrapper polls for each reply with a 0.1 s sleep, so a page sent per
    # message costs 0.1 s (5 minutes for 3,000 posts). The documents are written as files
    # at their URLs instead and indexed with one message; Pagefind reads them in parallel.
    for document in documents:
        path = folder / document.url.lstrip("/")
        if document.url.endswith("/") or not document.url:
            path = path / "index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document, language), encoding="utf-8")


async def _index(pages: Path, out: Path, language: str) -> int:
    try:
        from pagefind.index import IndexConfig
        from pagefind.service import PagefindService
    except ImportError as error:  # pragma: no cover - a broken install
        raise SearchIndexError("the pagefind package is missing: pip install 'pagefind[bin]'") \
            from error
    config = IndexConfig(
        exclude_selectors=list(EXCLUDE_SELECTORS),
        force_language=language,
        output_path=str(out),
    )
    try:
        # Not PagefindIndex as a context manager: it stops the indexer as soon as it answers
        # that the files are written, and Pagefind may still be writing them then (cut-short
        # files in about one indexing of eight on a busy machine, each repaired by indexing
        # again: at 3,000 posts seconds more of a build). The indexer stays up until they are
        # whole.
        async with PagefindService() as service:
            index = await service.create_index(config)
            result = await index.add_directory(str(pages))
            await index.write_files()
            indexed = int(result.get("page_count", 0))
            await until_whole(out, indexed, WRITE_WAIT)
    except FileNotFoundError as error:
        raise SearchIndexError(
            "the Pagefind binary was not found: install it with pip install 'pagefind[bin]'"
        ) from error
    except IncompleteIndex:
        raise
    except Exception as error:
        raise SearchIndexError(f"Pagefind failed: {error}") from error
    return indexed


def _run(work: Coroutine[object, object, int]) -> int:
    """``asyncio.run(work)``, in a thread of its own when this thread already runs an event
    loop: asyncio.run refuses to nest, and a host may hold one open (Playwright's sync API
    keeps its loop running in the main thread for as long as its browser lives)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="intranet-search") as worker:
        return worker.submit(asyncio.run, work).result()


def _swap(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
