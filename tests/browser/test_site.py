"""The built site in a real browser: home page, a post, search, nothing loaded from outside."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_support import BrowserLog
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

OpenPage = Callable[..., Page]

HOME_SECTIONS = ("Pågående och kommande avbrott", "Senaste nyheterna", "Guider")
# A word with å and ä that only the backup post uses, in its title and its text.
SEARCH_WORD = "återställningstest"
SEARCH_POST = "nya-rutiner-for-sakerhetskopiering"
SEARCH_POST_SOURCE = (
    Path(__file__).resolve().parents[2] / "content" / "news" / "posts" / f"{SEARCH_POST}.md"
)


def heading_text(page: Page) -> str:
    """The page's h1 without the permalink sign that the toc extension appends."""
    h1 = page.locator("article h1")
    expect(h1).to_have_count(1)
    return h1.evaluate(
        "h => [...h.childNodes].filter(n => !n.classList?.contains('headerlink'))"
        ".map(n => n.textContent).join('').trim()"
    )


def test_home_page_is_swedish_and_shows_its_sections(
    open_page: OpenPage, browser_log: BrowserLog
) -> None:
    page = open_page("")

    assert page.locator("html").get_attribute("lang") == "sv"
    for title in HOME_SECTIONS:
        expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
    expect(page.locator("section[aria-labelledby=senaste] li a").first).to_be_visible()
    expect(page.locator("section[aria-labelledby=guider] li a").first).to_be_visible()
    assert not browser_log.errors, browser_log.report_errors()


def test_a_post_opens_from_the_home_page(open_page: OpenPage, browser_log: BrowserLog) -> None:
    page = open_page("")
    link = page.locator("section[aria-labelledby=senaste] li a").first
    title = link.inner_text().strip()

    link.click()
    page.wait_for_url(re.compile(r"/news/[^/]+/$"))

    assert heading_text(page) == title
    assert page.locator("html").get_attribute("lang") == "sv"
    assert not browser_log.errors, browser_log.report_errors()


def test_search_finds_a_swedish_word(open_page: OpenPage, browser_log: BrowserLog) -> None:
    assert SEARCH_WORD in SEARCH_POST_SOURCE.read_text(encoding="utf-8").lower(), (
        f"{SEARCH_POST_SOURCE.name} no longer says {SEARCH_WORD!r}: pick another word for this test"
    )
    page = open_page("")

    search = page.get_by_role("textbox", name="Sök")
    search.click()
    search.press_sequentially(SEARCH_WORD)

    results = page.locator(".md-search-result__item > a.md-search-result__link")
    expect(results.first).to_be_visible()
    hrefs = results.evaluate_all("links => links.map(a => a.href)")
    assert any(f"/news/{SEARCH_POST}/" in href for href in hrefs), (
        f"searching for {SEARCH_WORD!r} found {hrefs}, not {SEARCH_POST}"
    )
    assert not browser_log.errors, browser_log.report_errors()


def test_nothing_is_loaded_from_outside_the_intranet(
    open_page: OpenPage, browser_log: BrowserLog
) -> None:
    for path in ("", f"news/{SEARCH_POST}/", "guides/logga-in-microsoft-365/"):
        page = open_page(path)
        # Give late loaders (fonts, the search worker and its index) time to ask.
        page.wait_for_load_state("networkidle")
    # The search index loads only when a reader types.
    page.get_by_role("textbox", name="Sök").press_sequentially(SEARCH_WORD)
    expect(page.locator(".md-search-result__item").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert any("/pagefind/" in url for url in browser_log.requests), (
        "the search index was never requested, so the request log misses the search worker"
    )
    external = browser_log.external_requests()
    assert not external, "requests that left 127.0.0.1:\n" + "\n".join(f"  {u}" for u in external)
    assert not browser_log.errors, browser_log.report_errors()
