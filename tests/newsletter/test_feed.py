"""The feed boundary: RSS and Atom in the contract's shape become the same frozen entries."""

from __future__ import annotations

import logging
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.errors import FeedError
from newsletter.feed import Entry, clean_text, parse_feed, read_feed
from newsletter.fetch import fetch
from tests.newsletter.feedwriter import Post, atom, rss

WHEN = datetime(2025, 11, 24, 8, 30, tzinfo=UTC)
POST = Post(
    "flytt-till-datacenter", "Flytt till datacenter \u2013 åäö", WHEN,
    summary="Servrarna flyttar.", content_html="<p>Text<script>alert(1)</script></p>",
    categories=("Planerad ändring", "Driftstörning"), status="planerad",
    audiences=("skola", "förvaltning"), services=("Microsoft 365", "Skolplattan"),
    window=(datetime.fromisoformat("2026-12-05T18:00:00+01:00"),
            datetime.fromisoformat("2026-12-06T06:00:00+01:00")),
    action=(date(2026, 12, 4), "Spara dina filer i OneDrive"),
    authors=("Anna Åström",),
)


@pytest.mark.parametrize("render", [rss, atom], ids=["rss", "atom"])
def test_entry_fields_from_either_format(render) -> None:
    (entry,) = parse_feed(render([POST]), "https://intranet.exempelkommun.se/feeds/news.rss.xml")
    assert entry.id == "tag:intranet.exempelkommun.se,2025:news/flytt-till-datacenter"
    assert entry.title == "Flytt till datacenter \u2013 åäö"
    assert entry.link == POST.link
    assert entry.published == WHEN and entry.published.tzinfo is not None
    assert entry.summary == "Servrarna flyttar."
    assert "<script>" not in entry.content_html and "Text" in entry.content_html
    assert entry.categories == ("Planerad ändring", "Driftstörning")
    assert entry.authors == ("Anna Åström",)
    assert entry.status == "planerad"
    assert entry.audiences == ("skola", "förvaltning")
    assert entry.services == ("Microsoft 365", "Skolplattan")
    assert entry.window is not None
    assert entry.window.start == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert entry.window.end == datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    assert entry.action is not None
    assert entry.action.by == date(2026, 12, 4)
    assert entry.action.what == "Spara dina filer i OneDrive"


def test_rss_and_atom_give_equal_entries() -> None:
    assert parse_feed(rss([POST])) == parse_feed(atom([POST]))


def test_pubdate_with_offset_is_converted_to_utc_not_local_time() -> None:
    stockholm_morning = datetime.fromisoformat("2025-11-24T08:00:00+01:00")
    (entry,) = parse_feed(rss([Post("a", "A", stockholm_morning)]))
    assert entry.published == datetime(2025, 11, 24, 7, 0, tzinfo=UTC)


def test_optional_change_metadata_is_absent() -> None:
    (entry,) = parse_feed(rss([Post("a", "A", WHEN)]))
    assert (entry.status, entry.audiences, entry.services, entry.window, entry.action) == (
        None, (), (), None, None)


def test_control_characters_in_title_become_spaces() -> None:
    (entry,) = parse_feed(rss([Post("a", "Rubrik\tmed\u2028tecken", WHEN)]))
    assert entry.title == "Rubrik med tecken"


def test_entry_survives_a_json_round_trip() -> None:
    (entry,) = parse_feed(rss([POST]))
    assert Entry.from_json(entry.to_json()) == entry


def test_valid_feed_without_items_is_no_news() -> None:
    assert parse_feed(rss([])) == []


def test_summary_falls_back_to_text_of_the_content() -> None:
    post = Post("a", "A", WHEN, summary="", content_html="<p>Första <b>stycket</b> &amp; mer</p>")
    (entry,) = parse_feed(atom([post]))
    assert entry.summary == "Första stycket & mer"


BAD_FEEDS = {
    "empty": b"",
    "whitespace": b"  \n",
    "html-page": b"<!DOCTYPE html><html><head><title>404</title></head><body>Fel</body></html>",
    "truncated": rss([POST, Post("b", "B", WHEN - timedelta(days=1))])[:-200],
    "not-xml": b"this is not a feed at all",
}


@pytest.mark.parametrize("body", BAD_FEEDS.values(), ids=BAD_FEEDS.keys())
def test_broken_feeds_are_errors_not_no_news(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, "https://intranet.exempelkommun.se/feeds/news.rss.xml")



@pytest.mark.parametrize("render", [rss, atom], ids=["rss", "atom"])
def test_the_channel_carries_the_vocabulary(render) -> None:
    channel = read_feed(render([POST]), "https://intranet.exempelkommun.se/feeds/x.xml").channel
    assert channel.categories == (
        "Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips")
    assert channel.audiences == ("alla", "skola", "förvaltning", "vård och omsorg")
    assert channel.everyone == "alla" and channel.cancelled == "inställd"
    assert channel.home == "https://intranet.exempelkommun.se/"
    old = read_feed(rss([POST], vocabulary=False), "https://x.se/feed.xml").channel
    assert not old.has_vocabulary and old.everyone is None


@pytest.mark.parametrize("href", [
    "javascript:alert(document.cookie)", "JavaScript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "file:///etc/passwd",
    "mailto:someone@example.org", "ftp://intranet.exempelkommun.se/x",
])
def test_only_http_links_reach_a_digest(href: str, caplog: pytest.LogCaptureFixture) -> None:
    post = Post("farlig", "Farlig länk", WHEN, href=href)
    with caplog.at_level(logging.WARNING):
        (entry,) = parse_feed(rss([post]), "https://intranet.exempelkommun.se/feeds/news.xml")
    assert entry.link == ""
    assert "'Farlig länk'" in caplog.text and "only http(s) links" in caplog.text


def test_links_in_the_body_keep_only_web_and_mail_schemes() -> None:
    post = Post("b", "B", WHEN, content_html='<p><a href="javascript:alert(1)">x</a>'
                '<a href="mailto:servicedesk@exempelkommun.se">y</a></p>')
    (entry,) = parse_feed(rss([post]), "https://intranet.exempelkommun.se/feeds/news.xml")
    assert "javascript" not in entry.content_html
    assert "mailto:servicedesk@exempelkommun.se" in entry.content_html


def test_relative_links_resolve_against_the_address_fetched(feed_server) -> None:
    from tests.newsletter.testkit import Route

    post = Post("rel", "Relativ", WHEN, href="../nyheter/rel/")
    feed_server.routes["/it/feeds/news.rss.xml"] = Route(rss([post]))
    fetched = fetch(feed_server.url("/it/feeds/news.rss.xml"))
    (entry,) = parse_feed(fetched.body, fetched.url)
    assert entry.link == feed_server.url("/it/nyheter/rel/")


def test_relative_links_in_a_local_file_resolve_against_the_feeds_own_address(
    tmp_path: Path,
) -> None:
    post = Post("rel", "Relativ", WHEN, href="../nyheter/rel/")
    path = tmp_path / "site" / "feeds" / "news.rss.xml"
    path.parent.mkdir(parents=True)
    path.write_bytes(rss([post], self_link="https://intranet.exempelkommun.se/it/feeds/news.rss.xml"))
    fetched = fetch(str(path))
    (entry,) = parse_feed(fetched.body, fetched.url)
    assert entry.link == "https://intranet.exempelkommun.se/it/nyheter/rel/"
    # Without a self link, the feed's home page is the base; never the file's folders.
    path.write_bytes(rss([post]))
    (entry,) = parse_feed(path.read_bytes(), path.resolve().as_uri())
    assert entry.link == "https://intranet.exempelkommun.se/nyheter/rel/"


def test_clean_text_makes_one_line_of_any_character() -> None:
    """Line breaks, tabs, control characters and Unicode spaces become one space between words;
    every other character of the Basic Multilingual Plane (letters, soft hyphens, zero-width
    joiners) stays as it is."""
    for code in range(0x10000):
        char = chr(code)
        if unicodedata.category(char) == "Cs":  # surrogates are not text
            continue
        breaks = char.isspace() or unicodedata.category(char) == "Cc" or char in "\u2028\u2029"
        expected = "Anna Ek" if breaks else f"Anna {char}Ek"
        assert clean_text(f" Anna  {char}Ek{char}") == expected.rstrip() + (
            "" if breaks else char), hex(code)
