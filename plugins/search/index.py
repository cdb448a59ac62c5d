"""Writing the Pagefind index of a set of documents: the I/O edge of search.

Pagefind's indexer is a native binary that the ``pagefind`` package drives over a pipe; the
``pagefind[bin]`` extra installs the binary from PyPI. The new index is written beside the
old one and swapped in at the end, so a failed or interrupted build never leaves a reader's
browser with half an index.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .documents import EXCLUDE_SELECTORS, SearchDocument, render

_BATCH = 100


class SearchIndexError(Exception):
    """Pagefind could not be run or refused a page."""


@dataclass(frozen=True)
class IndexStats:
    pages: int
    words: int
    files: int
    bytes: int


def write_index(documents: Sequence[SearchDocument], target: Path, language: str) -> IndexStats:
    """Index ``documents`` into the folder ``target`` (replaced whole), for a site at its root."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        words = asyncio.run(_index(documents, staging, language))
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = [path for path in target.rglob("*") if path.is_file()]
    return IndexStats(len(documents), words, len(files), sum(p.stat().st_size for p in files))


async def _index(documents: Sequence[SearchDocument], out: Path, language: str) -> int:
    try:
        from pagefind.index import IndexConfig, PagefindIndex
    except ImportError as error:  # pragma: no cover - a broken install
        raise SearchIndexError("the pagefind package is missing: pip install 'pagefind[bin]'") \
            from error
    config = IndexConfig(
        exclude_selectors=list(EXCLUDE_SELECTORS),
        force_language=language,
        output_path=str(out),
    )
    words = 0
    try:
        async with PagefindIndex(config=config) as index:
            # Pages go to the indexer in batches, so the pipe is never idle waiting for a
            # reply; each batch's HTML is rendered just before it is sent.
            for start in range(0, len(documents), _BATCH):
                batch = documents[start:start + _BATCH]
                results = await asyncio.gather(*(
                    index.add_html_file(content=render(document, language),
                                        url="/" + document.url)
                    for document in batch
                ))
                words += sum(int(result.get("page_word_count", 0)) for result in results)
    except FileNotFoundError as error:
        raise SearchIndexError(
            "the Pagefind binary was not found: install it with pip install 'pagefind[bin]'"
        ) from error
    except Exception as error:
        if isinstance(error, SearchIndexError):
            raise
        raise SearchIndexError(f"Pagefind failed: {error}") from error
    return words


def _swap(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
