"""The index under `mkdocs serve` (plugins/search/live.py), with the real Pagefind and files:
the last index is back at once after a rebuild empties the site folder, an unchanged set of
pages is not indexed again, and a changed one replaces the index in the background."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.search.documents import SearchDocument
from plugins.search.live import LiveIndex
from tests.search.pagefind_files import indexed_pages


def document(slug: str, text: str) -> SearchDocument:
    return SearchDocument(url=f"/news/{slug}/", title=slug, body_html=f"<p>{text}</p>")


ORIGINAL = [document("skrivare", "Skrivaren på plan två är lagad."),
            document("wifi", "Wifi i skolan fungerar igen.")]
# One post turned into a draft (gone), one saved (new).
CHANGED = [document("wifi", "Wifi i skolan fungerar igen."),
           document("zebra", "Övergångsstället heter zebrakorsning.")]


def page_count(target: Path) -> int:
    entry = json.loads((target / "pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


@pytest.fixture
def live() -> Iterator[LiveIndex]:
    index = LiveIndex()
    yield index
    index.close()


def test_a_rebuild_gets_the_last_index_back_at_once_and_indexes_only_changes(
    live: LiveIndex, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    target = site / "pagefind"

    assert live.publish(ORIGINAL, target, "sv")  # the first build: indexed in the background
    live.wait()
    assert set(indexed_pages(site)) == {"/news/skrivare/", "/news/wifi/"}

    shutil.rmtree(site)  # what MkDocs does before every serve rebuild without --dirty
    same = [document("skrivare", "Skrivaren på plan två är lagad."),
            document("wifi", "Wifi i skolan fungerar igen.")]
    assert not live.publish(same, target, "sv")  # equal documents: nothing to index
    # Back without waiting for anything.
    assert set(indexed_pages(site)) == {"/news/skrivare/", "/news/wifi/"}

    assert live.publish(CHANGED, target, "sv")
    # Until the new index is in place the reloaded page searches the last one (and after it,
    # the last one's files stay for pages that loaded it): never no index.
    assert "/news/skrivare/" in indexed_pages(site)
    assert page_count(target) == 2
    live.wait()
    shutil.rmtree(site)
    assert not live.publish(CHANGED, target, "sv")
    assert set(indexed_pages(site)) == {"/news/wifi/", "/news/zebra/"}


def test_the_previous_index_stays_one_rebuild_longer_and_older_ones_go(
    live: LiveIndex, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    target = site / "pagefind"
    versions = [[document("wifi", f"Wifi version {n}: {word}.")]
                for n, word in enumerate(("alfa", "beta", "gamma"))]
    fragments = []
    for documents in versions:  # --dirty: the site folder is kept between rebuilds
        live.publish(documents, target, "sv")
        live.wait()
        fragments.append({p.name for p in (target / "fragment").iterdir()})
        assert page_count(target) == 1

    first, second, third = fragments
    assert len(first) == 1
    assert first < second and len(second) == 2  # a page that loaded the first still reads it
    assert not first & third  # two rebuilds later it is gone
    assert second - first < third and len(third) == 2


def test_a_failed_indexing_is_tried_again_at_the_next_rebuild(
    live: LiveIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site" / "pagefind"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")
    assert live.publish(ORIGINAL, target, "sv")
    live.wait()
    assert not (target / "pagefind-entry.json").exists()

    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    assert live.publish(ORIGINAL, target, "sv")
    live.wait()
    assert page_count(target) == 2
