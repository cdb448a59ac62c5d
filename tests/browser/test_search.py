"""The header's search box of the built site, driven as a reader would (issue 11).

Queries are typed into the real box; what should come back is worked out from the Markdown
sources (which pages hold a form of the word, which front matter they have), never from the
index.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_support import (
    BLOCKING_IMPACTS,
    BrowserLog,
    Session,
    describe_violations,
    run_axe,
)
from playwright.sync_api import Browser, Page, ViewportSize, expect
from search_support import front_matter, pages_with_any, published_sources, search, words_of

# The benchmarks' web server (bench/site_server.py), also the server of the gzip-encoded test.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from site_server import EncodingHandler

pytestmark = pytest.mark.browser

OpenPage = Callable[..., Page]

# Each noun's forms, written out by hand: base, definite, plural, definite plural, genitives.
FORMS = {
    "lösenord": ("lösenord", "lösenordet", "lösenorden", "lösenordets", "lösenordens"),
    "avbrott": ("avbrott", "avbrottet", "avbrotten", "avbrottets", "avbrottens"),
    "skrivare": ("skrivare", "skrivaren", "skrivarna", "skrivarens", "skrivarnas"),
    "filserver": ("filserver", "filservern", "filserverns"),
}
# The word-form pairs, each form as a query; and forms typed without å, ä, ö.
QUERIES = [
    ("lösenord", "lösenord"), ("lösenordet", "lösenord"), ("lösenorden", "lösenord"),
    ("avbrott", "avbrott"), ("avbrotten", "avbrott"),
    ("skrivare", "skrivare"), ("skrivaren", "skrivare"),
    ("filserver", "filserver"), ("filservern", "filserver"),
    ("losenordet", "lösenord"), ("losenord", "lösenord"),
]
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOTS")


@pytest.fixture
def news(open_page: OpenPage) -> Page:
    return open_page("news/")


@pytest.mark.parametrize(("query", "noun"), QUERIES, ids=[q for q, _ in QUERIES])
def test_every_form_finds_the_pages_with_any_form(news: Page, query: str, noun: str) -> None:
    expected = pages_with_any(FORMS[noun])
    assert len(expected) >= 2, f"the content should use {noun!r} on several pages"

    found = search(news, query)

    missing = expected - set(found)
    assert not missing, f"{query!r} missed {sorted(missing)}; found {found}"


def test_the_result_of_the_base_form_and_the_definite_form_is_the_same(news: Page) -> None:
    assert set(search(news, "lösenordet")) == set(search(news, "lösenord"))
    assert set(search(news, "filservern")) == set(search(news, "filserver"))


def test_swedish_stop_words_do_not_hide_pages(news: Page) -> None:
    # Every page must hold every word of a query; "vad", "är" and "det" are not in them all.
    found = set(search(news, "vad är det med lösenordet"))

    assert found == set(search(news, "lösenord"))
    assert pages_with_any(FORMS["lösenord"]) <= found


def test_matched_words_are_highlighted_in_the_results(news: Page) -> None:
    search(news, "filservern")

    marks = news.locator(".md-search-result__item mark").all_inner_texts()
    assert marks, "no highlighted words"
    assert all(mark.lower().startswith("filserv") for mark in marks), marks


def test_a_category_filter_lists_exactly_that_category(news: Page) -> None:
    expected = {url for url, source in published_sources().items()
                if "Driftstörning" in (front_matter(source).get("categories") or [])}
    assert len(expected) >= 2

    found = search(news, "", kategori="Driftstörning")

    assert set(found) == expected


def test_filters_narrow_a_query_by_audience_and_status(news: Page) -> None:
    def wanted(source: Path) -> bool:
        meta = front_matter(source)
        audience = meta.get("audience") or []
        return meta.get("status") == "klar" and ("skola" in audience or "alla" in audience)

    expected = {url for url, source in published_sources().items() if wanted(source)}
    expected &= pages_with_any(FORMS["avbrott"]) | pages_with_any(("avbrottet",))

    found = search(news, "avbrott", målgrupp="skola", status="klar")

    assert set(found) == expected


def test_guides_filter_by_tag(news: Page) -> None:
    expected = {url for url, source in published_sources().items()
                if url.startswith("/guides/")
                and "Teams" in (front_matter(source).get("tags") or [])}
    assert expected

    assert set(search(news, "", tagg="Teams")) == expected


def test_nothing_loads_until_the_reader_types(news: Page, browser_log: BrowserLog) -> None:
    news.wait_for_load_state("networkidle")
    news.get_by_role("textbox", name="Sök").click()
    news.wait_for_timeout(300)
    assert not [url for url in browser_log.requests if "/pagefind/" in url]

    search(news, "avbrott")

    fetched = {url.split("?")[0].rsplit("/", 1)[-1] for url in browser_log.requests
               if "/pagefind/" in url}
    # The box starts Pagefind's worker itself; Pagefind's own script is not needed.
    assert "pagefind-worker.js" in fetched and "pagefind-entry.json" in fetched, fetched
    assert "pagefind.js" not in fetched, fetched
    assert not browser_log.errors, browser_log.report_errors()


def test_search_works_through_pagefinds_script_when_its_worker_fails(
    browser_session: Session, open_page: OpenPage
) -> None:
    # A worker that cannot start (here: its script is missing) makes the box fall back to
    # pagefind.js, which runs Pagefind on the page itself.
    browser_session.context.route("**/pagefind/pagefind-worker.js",
                                  lambda route: route.fulfill(status=404))
    news = open_page("news/")

    found = search(news, "lösenordet")

    assert pages_with_any(FORMS["lösenord"]) <= set(found)
    assert any(url.endswith("/pagefind.js") for url in browser_session.log.requests)


def test_keyboard_opens_moves_through_and_closes_the_search(news: Page) -> None:
    toggle = news.locator("#__search")
    box = news.get_by_role("textbox", name="Sök")

    news.keyboard.press("/")
    expect(box).to_be_focused()
    expect(toggle).to_be_checked()
    box.press_sequentially("filservern")
    # The results of the whole word, not of a word still being typed, which it replaces.
    news.wait_for_function("() => JSON.parse(document.querySelector('[data-intranet-search]')"
                           ".dataset.searched || '{}').query === 'filservern'")
    first = news.locator(".md-search-result__item > a").first
    expect(first).to_be_visible()
    news.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    news.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    news.keyboard.press("Escape")
    expect(toggle).not_to_be_checked()
    expect(box).not_to_be_focused()

    news.keyboard.press("s")
    expect(box).to_be_focused()
    href = first.evaluate("a => a.href")
    news.keyboard.press("Enter")
    news.wait_for_url(lambda url: url == href)


def test_following_a_result_highlights_the_words_it_matched(
    news: Page, open_page: OpenPage, axe_script: Path
) -> None:
    guide = "/guides/logga-in-microsoft-365/"
    assert guide in search(news, "lösenordet")
    result = news.locator(f".md-search-result__item > a[href*='{guide}']").first
    # Pagefind marks whole text tokens, punctuation included ("lösenord.").
    in_excerpt = {word for text in result.locator("mark").all_inner_texts()
                  for word in re.findall(r"\w+", text.lower())}
    result.click()
    news.wait_for_url(f"**{guide}?h=*")

    marks = news.locator("article mark[data-md-highlight]")
    expect(marks.first).to_be_visible()
    marked = {word.lower() for word in marks.all_inner_texts()}
    # Every word of the guide's text that starts like the query's stem, from its Markdown.
    expected = {word for word in words_of(published_sources()[guide])
                if word.startswith("lösenord")}
    assert marked == expected
    assert in_excerpt <= marked
    # Material's look for marks: its --md-typeset-mark-color behind the text's own colour.
    mark_color, material_color = marks.first.evaluate(
        """mark => {
             const probe = document.createElement("span");
             probe.style.backgroundColor = "var(--md-typeset-mark-color)";
             mark.closest("article").append(probe);
             const colors = [getComputedStyle(mark).backgroundColor,
                             getComputedStyle(probe).backgroundColor];
             probe.remove();
             return colors;
           }""")
    assert mark_color == material_color != "rgba(0, 0, 0, 0)"
    # The marked words still meet WCAG 2.1 AA (contrast of text on the mark colour).
    blocking = [v for v in run_axe(news, axe_script) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, describe_violations(blocking)

    # Opened otherwise, the page marks nothing.
    page = open_page(guide.lstrip("/"))
    expect(page.locator("article h1")).to_be_visible()
    assert page.locator("article mark").count() == 0


def test_search_on_a_phone(open_page: OpenPage, tmp_path: Path) -> None:
    page = open_page("", viewport=PHONE)
    box = page.get_by_role("textbox", name="Sök")
    expect(page.locator("#__search")).not_to_be_checked()

    page.locator("label.md-header__button[for='__search']").click()
    expect(box).to_be_focused()
    found = search(page, "avbrotten")

    assert found
    # "Visa fler resultat" moved the focus to the first result it added: on screen.
    shown = page.locator(".md-search-result__item > a.md-search-result__link:first-child")
    target = shown.nth(10) if len(found) > 10 else shown.first
    expect(target).to_be_in_viewport()
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: innerWidth})")
    assert widths["scroll"] <= widths["inner"], widths
    target = Path(SCREENSHOT_DIR or tmp_path) / "search-phone.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=target, animations="disabled")


@pytest.mark.parametrize(("viewport", "scheme"), [(None, "light"), (PHONE, "dark")],
                         ids=["desktop light", "phone dark"])
def test_the_open_search_meets_wcag_21_aa(
    open_page: OpenPage, axe_script: Path, viewport: ViewportSize | None, scheme: str
) -> None:
    page = open_page("news/", viewport=viewport, color_scheme=scheme)
    if viewport:
        page.locator("label.md-header__button[for='__search']").click()
    search(page, "lösenordet", kategori="Säkerhet")
    page.locator("select[name='kategori']").select_option(value="")
    search(page, "lösenordet")

    violations = run_axe(page, axe_script)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(f"WCAG 2.1 AA violations in the search:\n{describe_violations(blocking)}",
                    pytrace=False)


@pytest.mark.parametrize("query", ["passerbricka", "leveransdatum", "xyzzy"])
def test_a_word_on_no_published_page_finds_nothing(news: Page, query: str) -> None:
    # "passerbricka" and "leveransdatum" are only in the draft; Pagefind on its own would
    # answer with pages holding "passera" and "L".
    assert not pages_with_any((query, query + "n"))

    assert search(news, query) == []
    expect(news.locator(".md-search-result__meta")).to_have_text("Inga sökresultat")


def test_search_works_when_the_server_sends_pagefinds_files_gzip_encoded(
    chromium: Browser, built_site: Path
) -> None:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(EncodingHandler, directory=str(built_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = chromium.new_context(base_url=f"http://127.0.0.1:{server.server_address[1]}/",
                                   locale="sv-SE")
    try:
        log = BrowserLog()
        context.on("console", log.on_console)
        encoded: list[str] = []
        context.on("response", lambda response: encoded.append(response.url) if
                   response.headers.get("content-encoding") == "gzip"
                   and "/pagefind/" in response.url
                   and not response.url.split("?")[0].endswith((".js", ".json")) else None)
        page = context.new_page()
        page.goto("news/", wait_until="load")

        found = search(page, "lösenordet")

        assert pages_with_any(FORMS["lösenord"]) <= set(found)
        assert any(url.endswith(".pf_meta") for url in encoded), encoded
        assert any(".pf_fragment" in url for url in encoded), encoded
        assert not log.errors, log.report_errors()
    finally:
        context.close()
        server.shutdown()
        server.server_close()
