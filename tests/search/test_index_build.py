"""The search index as `mkdocs build` writes it: which pages are in it, with which filters."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from tests.conftest import REPO, run_build
from tests.search.pagefind_files import indexed_pages

POSTS = sorted((REPO / "content/news/posts").glob("*.md"))
HIDDEN = [p.stem for p in POSTS if p.name.startswith(("utkast-", "framtida-"))]


def test_every_published_post_and_guide_is_indexed_and_nothing_else(built_site: Path) -> None:
    pages = indexed_pages(built_site)

    expected = {f"/news/{p.stem}/" for p in POSTS if p.stem not in HIDDEN}
    expected |= {f"/guides/{p.stem}/" for p in (REPO / "content/guides").glob("*.md")
                 if p.name != "index.md"}
    expected |= {"/guides/", "/kommande/"}  # Kommande ändringar: a page readers look for
    assert set(pages) == expected


def test_drafts_and_scheduled_posts_are_never_in_the_index(built_site: Path) -> None:
    assert len(HIDDEN) >= 2
    files = b"".join(p.read_bytes() for p in (built_site / "pagefind").rglob("*") if p.is_file())
    pages = indexed_pages(built_site)
    for stem in HIDDEN:
        assert f"/news/{stem}/" not in pages
        assert stem.encode() not in files


def test_filters_come_from_the_front_matter(built_site: Path) -> None:
    page = indexed_pages(built_site)["/news/storning-wifi-pa-skolorna/"]
    source = (REPO / "content/news/posts/storning-wifi-pa-skolorna.md").read_text("utf-8")

    # Written out by hand from the post's front matter.
    assert "categories: [Driftstörning]" in source and "status: pågår" in source
    assert page["filters"]["kategori"] == ["Driftstörning"]
    assert page["filters"]["status"] == ["pågår"]
    assert "skola" in page["filters"]["målgrupp"]
    assert page["meta"]["title"] == "Störning: långsamt wifi på Centralskolan och Sjöviksskolan"


def test_the_index_holds_the_article_not_the_menus(built_site: Path) -> None:
    page = indexed_pages(built_site)["/guides/teams-moten/"]

    assert "Hoppa till innehåll" not in page["content"]  # Material's skip link
    assert "Prenumerera på nyheterna" not in page["content"]  # the navigation
    assert "¶" not in page["content"]


def test_every_page_has_the_search_box_and_no_material_search(built_site: Path) -> None:
    for path in ("index.html", "news/index.html", "guides/teams-moten/index.html", "404.html"):
        root = lxml.html.fromstring((built_site / path).read_bytes())
        assert root.xpath("//input[@data-intranet-search-query][@aria-label='Sök']"), path
        assert root.xpath("//script[contains(@src, 'assets/intranet-search/search.js')]"), path
    assert not (built_site / "search" / "search_index.json").exists()


def test_a_missing_pagefind_binary_stops_the_build_with_what_to_do(
    project: Path, tmp_path: Path
) -> None:
    build = run_build(project, tmp_path / "site", PAGEFIND_BINARY_PATH="/nonexistent/pagefind")

    assert build.returncode != 0
    assert "intranet-search: the Pagefind binary was not found" in build.output
    assert "pip install 'pagefind[bin]'" in build.output
