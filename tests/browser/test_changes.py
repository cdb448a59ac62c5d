"""What depends on "now", in a real browser whose clock Playwright sets (page.clock): the
change card, the banner and "Kommande ändringar" before, during and after a window, the
build-time fallback without JavaScript, and the card on a phone 390 px wide.

The site is built with "now" at 29 November 2026 (tests/conftest.py); the browser's clock is
set later than that, as a reader would open the page days after the last build. The post
used is Treserva's: window 8 December 22.00 - 9 December 3.00, action by 8 December.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from browser_support import BLOCKING_IMPACTS, Session, describe_violations, run_axe
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

SE = ZoneInfo("Europe/Stockholm")
POST = "news/treserva-uppdatering-natt/"
WIFI = "news/storning-wifi-pa-skolorna/"
WINDOW = "tisdag 8 december 2026 kl. 22.00 \N{EN DASH} onsdag 9 december kl. 3.00"

# (reader's clock, badge, window state, days left, Treserva in the banner?)
MOMENTS = {
    "before": (datetime(2026, 12, 5, 12, 0, tzinfo=SE), "Planerad", "(börjar om 3 dagar)",
               "(3 dagar kvar)", False),
    "same day": (datetime(2026, 12, 8, 9, 0, tzinfo=SE), "Planerad", "(börjar i dag)",
                 "(sista dagen är i dag)", False),
    "during": (datetime(2026, 12, 8, 23, 30, tzinfo=SE), "Pågår", "(pågår nu)",
               "(sista dagen är i dag)", True),
    "after": (datetime(2026, 12, 9, 4, 0, tzinfo=SE), "Klar", "(har passerat)",
              "(tiden har gått ut)", False),
}


def open_at(session: Session, moment: datetime, path: str) -> Page:
    """Open ``path`` with the browser's clock at ``moment``; wait until changes.js is done."""
    session.context.clock.install(time=moment)
    page = session.open(path)
    page.wait_for_selector("html[data-now-checked]", state="attached")
    assert page.locator("html").get_attribute("data-now-checked") == ""  # now.json was read
    return page


def banner_paths(page: Page) -> list[str]:
    banner = page.locator("[data-now-banner]")
    if not banner.is_visible():
        return []
    hrefs = banner.locator("[data-now-banner-list] a").evaluate_all(
        "links => links.map(a => a.href)")
    return [urlsplit(href).path.lstrip("/") for href in hrefs]


@pytest.mark.parametrize("when", MOMENTS, ids=MOMENTS.keys())
def test_card_and_banner_follow_the_readers_clock(browser_session: Session, when: str) -> None:
    moment, badge, state, left, in_banner = MOMENTS[when]
    page = open_at(browser_session, moment, POST)

    card = page.locator("section.change-card")
    expect(card.locator("[data-change-badge]")).to_have_text(f"Status: {badge}")
    expect(card.locator("[data-change-when]")).to_have_text(state)
    expect(card.locator("[data-change-left]")).to_have_text(left)
    expect(card.locator("dd").first).to_contain_text(WINDOW)

    # The wifi outage has status pågår all along; Treserva joins it only during its window.
    expected = [POST, WIFI] if in_banner else [WIFI]
    assert banner_paths(page) == expected
    if in_banner:
        expect(page.locator("[data-now-banner] li").first).to_contain_text(WINDOW)
    assert not browser_session.log.errors, browser_session.log.report_errors()


def test_the_banner_names_three_ongoing_changes_and_counts_the_rest(
    browser_session: Session, built_site: Path
) -> None:
    # now.json as a build with five ongoing outages would write it: the real wifi outage and
    # four more without a window, whose keys sort first. The browser must cap the banner as
    # the build does (banner_limit 3) and count the other two.
    document = json.loads((built_site / "now.json").read_text(encoding="utf-8"))
    wifi = next(entry for entry in document["changes"] if entry["url"] == WIFI)
    extra = [{**wifi, "key": f"avbrott-{letter}", "title": f"Avbrott {letter}",
              "url": f"news/avbrott-{letter}/"} for letter in "abcd"]
    document["changes"] = [*document["changes"], *extra]
    browser_session.context.route("**/now.json", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(document)))
    page = open_at(browser_session, MOMENTS["before"][0], "guides/teams-moten/")
    assert banner_paths(page) == ["news/avbrott-a/", "news/avbrott-b/", "news/avbrott-c/"]
    more = page.locator("[data-now-banner-more]")
    expect(more).to_be_visible()
    expect(more).to_have_text("Ytterligare 2 pågår: se Kommande ändringar")
    more.get_by_role("link").click()
    page.wait_for_url("**/kommande/")
    assert not browser_session.log.errors, browser_session.log.report_errors()


def kommande_sections(page: Page) -> dict[str, list[str]]:
    result = {}
    for kind in ("ongoing", "windows", "actions"):
        links = page.locator(f"section[data-upcoming='{kind}'] li > a")
        hrefs = links.evaluate_all("links => links.map(a => a.href)")
        result[kind] = [urlsplit(href).path.lstrip("/") for href in hrefs]
    return result


STEG1 = "news/flytt-till-datacenter-steg-1/"
STEG2 = "news/flytt-till-datacenter-steg-2/"


@pytest.mark.parametrize(("when", "expected"), [
    ("before", {"ongoing": [WIFI], "windows": [POST, STEG1, STEG2],
                "actions": [POST, STEG1, STEG2]}),
    ("during", {"ongoing": [POST, WIFI], "windows": [STEG1, STEG2],
                "actions": [POST, STEG1, STEG2]}),
    ("after", {"ongoing": [WIFI], "windows": [STEG1, STEG2], "actions": [STEG1, STEG2]}),
], ids=["before", "during", "after"])
def test_kommande_follows_the_readers_clock(
    browser_session: Session, when: str, expected: dict[str, list[str]]
) -> None:
    page = open_at(browser_session, MOMENTS[when][0], "kommande/")
    assert kommande_sections(page) == expected
    if when == "before":
        first_action = page.locator("section[data-upcoming='actions'] li").first
        expect(first_action).to_contain_text("Senast 8 december 2026:")
        expect(first_action).to_contain_text("(3 dagar kvar)")
    if when == "during":
        expect(page.locator("section[data-upcoming='ongoing'] li").first).to_contain_text(
            "Status: Pågår")
    assert not browser_session.log.errors, browser_session.log.report_errors()


def test_home_lists_the_ongoing_outage_and_links_kommande(browser_session: Session) -> None:
    page = open_at(browser_session, MOMENTS["during"][0], "")
    section = page.locator("section[aria-labelledby=avbrott]")
    hrefs = section.locator("li > a").evaluate_all("links => links.map(a => a.href)")
    assert [urlsplit(h).path.lstrip("/") for h in hrefs] == [POST, WIFI, STEG1, STEG2]
    section.get_by_role("link", name="Alla kommande ändringar och det du behöver göra").click()
    page.wait_for_url("**/kommande/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kommande ändringar")


def test_without_javascript_the_build_time_state_shows(chromium: Browser, site_server: str) -> None:
    context = chromium.new_context(base_url=site_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(POST)
        card = page.locator("section.change-card")
        # As built on 29 November: 9 days to the window and to the last day.
        expect(card.locator("[data-change-badge]")).to_have_text("Status: Planerad")
        expect(card.locator("[data-change-when]")).to_have_text("(börjar om 9 dagar)")
        expect(card.locator("[data-change-left]")).to_have_text("(9 dagar kvar)")
        assert banner_paths(page) == [WIFI]
    finally:
        context.close()


def test_the_card_on_a_phone_shows_status_window_and_action(browser_session: Session) -> None:
    browser_session.context.clock.install(time=MOMENTS["before"][0])
    page = browser_session.open(POST, viewport={"width": 390, "height": 844})
    page.wait_for_selector("html[data-now-checked]", state="attached")
    card = page.locator("section.change-card")
    for part in (card.locator("[data-change-badge]"), card.get_by_text("När", exact=True),
                 card.get_by_text(WINDOW), card.get_by_text("Det här behöver du göra"),
                 card.get_by_text("Senast 8 december 2026"), card.get_by_text("Publicerad"),
                 card.get_by_role("link", name="Lägg till i kalendern")):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    # The card is the first thing under the title, so on a phone it is on the first screen.
    box = card.bounding_box()
    assert box is not None and box["y"] < 844
    widths = page.evaluate("({s: document.documentElement.scrollWidth, i: window.innerWidth})")
    assert widths["s"] <= widths["i"], widths


def test_a_cancelled_post_shows_cancelled(browser_session: Session) -> None:
    page = open_at(browser_session, MOMENTS["before"][0], "news/visma-lon-uppdatering-installd/")
    card = page.locator("section.change-card")
    expect(card.locator("[data-change-badge]")).to_have_text("Status: Inställd")
    expect(card.locator("dd del")).to_be_visible()
    expect(card.locator("[data-change-when]")).to_have_text("(inställt)")


@pytest.mark.parametrize("path", [POST, "news/visma-lon-uppdatering-installd/", "kommande/"])
def test_cards_lists_and_banner_meet_wcag(
    browser_session: Session, axe_script: Path, path: str
) -> None:
    page = open_at(browser_session, MOMENTS["during"][0], path)
    blocking = [v for v in run_axe(page, axe_script) if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(f"WCAG 2.1 AA violations on /{path}:\n{describe_violations(blocking)}",
                    pytrace=False)

