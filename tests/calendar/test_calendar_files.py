"""The calendars in the real built site: stable paths, linked from every page and from the
change card, read by both parsers. Expected posts are listed by hand from content/."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import icalendar
import lxml.html
import pytest

from tests.conftest import SITE_URL

from .icaljs import read_with_icaljs

# Published posts with a window, soonest first (content/news/posts/).
WINDOWED = [
    "serverhaveriet-vad-hande", "nytt-windows-pa-alla-datorer", "30-appar-pa-alla-skolplattor",
    "visma-lon-uppdatering-installd", "treserva-uppdatering-natt",
    "flytt-till-datacenter-steg-1", "flytt-till-datacenter-steg-2",
]
AUDIENCES = {
    "alla": [k for k in WINDOWED if k not in (
        "30-appar-pa-alla-skolplattor", "visma-lon-uppdatering-installd",
        "treserva-uppdatering-natt")],
    "skola": ["serverhaveriet-vad-hande", "nytt-windows-pa-alla-datorer",
              "30-appar-pa-alla-skolplattor", "flytt-till-datacenter-steg-1",
              "flytt-till-datacenter-steg-2"],
    "forvaltning": ["serverhaveriet-vad-hande", "nytt-windows-pa-alla-datorer",
                    "visma-lon-uppdatering-installd", "flytt-till-datacenter-steg-1",
                    "flytt-till-datacenter-steg-2"],
    "vard-och-omsorg": ["serverhaveriet-vad-hande", "nytt-windows-pa-alla-datorer",
                        "treserva-uppdatering-natt", "flytt-till-datacenter-steg-1",
                        "flytt-till-datacenter-steg-2"],
}


def uids(path: Path) -> list[str]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return [str(e["UID"]) for e in calendar.walk("VEVENT")]


def uid(key: str) -> str:
    return f"news-{key}@intranet.exempelby.se"


def test_the_calendar_for_everything(built_site: Path) -> None:
    path = built_site / "calendar/news.ics"
    assert uids(path) == [uid(k) for k in WINDOWED]
    [seen] = read_with_icaljs(path)
    assert [e["uid"] for e in seen["events"]] == [uid(k) for k in WINDOWED]
    by_uid = {e["uid"]: e for e in seen["events"]}
    steg1 = by_uid[uid("flytt-till-datacenter-steg-1")]
    assert (steg1["start"], steg1["end"]) == ("2026-12-11T17:00:00.000Z",
                                              "2026-12-13T17:00:00.000Z")
    assert steg1["url"] == f"{SITE_URL}news/flytt-till-datacenter-steg-1/"
    assert steg1["lastModified"] == "2026-11-27T13:00:00.000Z"  # updated: 2026-11-27 14:00
    windows = by_uid[uid("nytt-windows-pa-alla-datorer")]
    # 16 March is winter time, 29 May summer time.
    assert (windows["start"], windows["end"]) == ("2026-03-16T16:00:00.000Z",
                                                  "2026-05-29T15:00:00.000Z")
    assert by_uid[uid("visma-lon-uppdatering-installd")]["status"] == "CANCELLED"


@pytest.mark.parametrize("audience", sorted(AUDIENCES))
def test_one_calendar_per_audience(built_site: Path, audience: str) -> None:
    path = built_site / f"calendar/audience/{audience}.ics"
    assert uids(path) == [uid(k) for k in AUDIENCES[audience]]
    [seen] = read_with_icaljs(path)
    assert len(seen["events"]) == len(AUDIENCES[audience])


def test_every_page_links_the_calendar(built_site: Path) -> None:
    pages = [p for p in built_site.rglob("index.html") if "assets" not in p.parts]
    assert len(pages) > 20
    for page in pages:
        tree = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        links = tree.xpath("//head/link[@rel='alternate' and @type='text/calendar']/@href")
        assert links, page
        target = urljoin(page.as_uri(), links[0])
        assert target == (built_site / "calendar/news.ics").as_uri(), page
    assert (built_site / "calendar/sitemap.xml").is_file()


@pytest.mark.parametrize("key", WINDOWED)
def test_the_card_offers_the_single_event(built_site: Path, key: str) -> None:
    page = built_site / "news" / key / "index.html"
    tree = lxml.html.fromstring(page.read_text(encoding="utf-8"))
    [link] = tree.xpath("//section[contains(@class, 'change-card')]//a[@download]")
    assert link.text_content().strip() == "Lägg till i kalendern"
    target = Path(urljoin(page.as_uri(), link.get("href")).removeprefix("file://"))
    assert target == built_site / "calendar/news" / f"{key}.ics"
    assert uids(target) == [uid(key)]
    [seen] = read_with_icaljs(target)
    assert [e["uid"] for e in seen["events"]] == [uid(key)]


def test_posts_without_a_window_offer_no_calendar_file(built_site: Path) -> None:
    page = built_site / "news/storning-wifi-pa-skolorna/index.html"
    tree = lxml.html.fromstring(page.read_text(encoding="utf-8"))
    assert not tree.xpath("//section[contains(@class, 'change-card')]//a[@download]")
    assert not (built_site / "calendar/news/storning-wifi-pa-skolorna.ics").exists()


GUIDE = Path(__file__).resolve().parents[2] / "content/guides/prenumerera-pa-driftkalendern.md"


def test_every_calendar_the_guide_names_exists_and_parses(built_site: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    named = sorted(set(re.findall(r"`/(calendar/[a-z/-]+\.ics)`", text)))
    assert "calendar/news.ics" in named
    assert len(named) >= 5, named
    for path in named:
        assert icalendar.Calendar.from_ical((built_site / path).read_bytes()), path
    assert {f"calendar/audience/{a}.ics" for a in AUDIENCES} <= set(named)
