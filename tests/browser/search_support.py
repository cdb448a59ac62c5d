"""Driving the header's search box as a reader does, and what the site's sources say."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
# Link targets and comments are not text a reader sees (a link to planerat-avbrott.md is not
# the word "avbrott").
_NOT_TEXT = re.compile(r"\]\([^)]*\)|<!--.*?-->", re.DOTALL)


def published_sources() -> dict[str, Path]:
    """The indexed pages' URLs and sources: published posts, guides (drafts and scheduled
    posts are named utkast-* and framtida-* in this site's content)."""
    pages = {f"/news/{p.stem}/": p for p in sorted((CONTENT / "news/posts").glob("*.md"))
             if not p.name.startswith(("utkast-", "framtida-"))}
    for guide in sorted((CONTENT / "guides").glob("*.md")):
        url = "/guides/" if guide.name == "index.md" else f"/guides/{guide.stem}/"
        pages[url] = guide
    return pages


def front_matter(source: Path) -> dict[str, object]:
    match = _FRONT_MATTER.match(source.read_text(encoding="utf-8"))
    assert match, source
    return dict(yaml.safe_load(match.group(1)))


def words_of(source: Path) -> set[str]:
    """The words of a page's text as readers see it (the Markdown body, lowercased)."""
    text = _FRONT_MATTER.sub("", source.read_text(encoding="utf-8"))
    return set(re.findall(r"\w+", _NOT_TEXT.sub(" ", text).lower()))


def pages_with_any(forms: tuple[str, ...]) -> set[str]:
    """URLs of the published pages whose text holds one of ``forms``."""
    return {url for url, source in published_sources().items() if words_of(source) & set(forms)}


def search(page: Page, query: str, **filters: str) -> list[str]:
    """Type ``query`` into the search box with ``filters`` chosen; every result's path."""
    box = page.get_by_role("textbox", name="Sök")
    box.click()
    if filters:
        details = page.locator("[data-intranet-search-filters]")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        for name, value in filters.items():
            page.locator(f"select[name='{name}']").select_option(label=value)
    box.fill("")
    box.press_sequentially(query)
    try:
        page.wait_for_function(
            """([query, filters]) => {
                 const state = document.querySelector("[data-intranet-search]").dataset.searched;
                 if (!state) return false;
                 const searched = JSON.parse(state);
                 return searched.query === query
                   && JSON.stringify(searched.filters) === JSON.stringify(filters);
               }""",
            arg=[query, filters],
        )
    except PlaywrightError as error:
        state = page.evaluate("""() => [document.querySelector("[data-intranet-search]")
                                   .dataset.searched || null,
                                 document.querySelector(".md-search-result__meta").textContent,
                                 document.querySelector("[data-intranet-search-query]").value]""")
        raise AssertionError(f"{query!r} was never searched; searched, box says, box holds: "
                             f"{state}") from error
    more = page.get_by_role("button", name="Visa fler resultat")
    links = page.locator(".md-search-result__item > a.md-search-result__link:first-child")
    while more.count():
        before = links.count()
        more.click()
        # Each result is drawn as it arrives and the button comes back after the last of the
        # page: wait for that page to be complete (the button back, or every result shown).
        page.wait_for_function(
            """n => {
                 const shown = document.querySelectorAll(
                   ".md-search-result__item > a.md-search-result__link:first-child").length;
                 const total = parseInt(
                   document.querySelector(".md-search-result__meta").textContent, 10);
                 return shown > n && (document.querySelector(".intranet-search__more")
                                      || shown >= total);
               }""",
            arg=before)
    paths = [urlsplit(href).path for href in
             links.evaluate_all("links => links.map(a => a.href)")]
    count = page.locator(".md-search-result__meta").inner_text()
    expected = "Inga sökresultat" if not paths else f"{len(paths)} sökresultat"
    expect(page.locator(".md-search-result__meta")).to_have_text(expected)
    assert len(set(paths)) == len(paths), f"a page is listed twice: {paths} ({count})"
    return paths
