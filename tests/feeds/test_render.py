"""Unit tests of the pure feed functions (plugins/feeds/render.py, items.py), without MkDocs."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import jsonschema
import lxml.html
import pytest
from lxml import etree

from plugins.feeds.items import absolutize, feed_tag_uri, tag_uri, topics
from plugins.feeds.render import (
    Feed,
    Item,
    ItemCache,
    Vocabulary,
    render_all,
    render_atom,
    render_json,
    render_rss,
)
from plugins.posts.model import STOCKHOLM, Action, Post, Status, Taxonomy, Window

BASE = "http://intranet.exempelby.test/it/news/serverflytt/"
AUTHORITY = "intranet.exempelby.se,2025"
TAXONOMY = Taxonomy(categories=("Planerad ändring", "Tips"),
                    audiences=("alla", "skola", "vård och omsorg"))


def make_post(key: str, **fields: Any) -> Post:
    values: dict[str, Any] = {
        "source": f"news/posts/{key}.md", "key": key, "title": f"Rubrik {key}",
        "date": datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM),
        "description": f"Sammanfattning {key}.", "categories": ("Tips",),
        "audience": ("skola",), "status": Status.DONE,
    }
    values.update(fields)
    return Post(**values)


def make_item(post: Post, authors: tuple[str, ...] = ("IT-pedagogiska rådet",)) -> Item:
    return Item(post=post, id=tag_uri(AUTHORITY, post.key),
                url=f"http://intranet.exempelby.test/it/news/{post.key}/",
                content_html=f"<p>Text om {post.key} &amp; mer.</p>", authors=authors)


def make_feed(*items: Item) -> Feed:
    return Feed(
        id=feed_tag_uri(AUTHORITY, "news"), title="IT-nytt", description="Nyheter",
        site_url="http://intranet.exempelby.test/it/",
        self_urls={fmt: f"http://intranet.exempelby.test/it/feeds/news{suffix}"
                   for fmt, suffix in (("rss", ".rss.xml"), ("atom", ".atom.xml"),
                                       ("json", ".json"))},
        author="IT och kommunikation", items=items,
        extension_about="http://intranet.exempelby.test/it/guides/prenumerera-pa-nyheter/")


WINDOW = Window(datetime(2026, 12, 11, 18, 0, tzinfo=STOCKHOLM),
                datetime(2026, 12, 13, 18, 0, tzinfo=STOCKHOLM))
ACTION = Action(date(2026, 12, 11), "Logga ut <före> kl. 18 & spara")
FULL = make_post(
    "serverflytt", title='Servrar <flyttar> & "stänger" 🎉',
    date=datetime(2026, 11, 26, 10, 0, tzinfo=STOCKHOLM),
    updated=datetime(2026, 11, 27, 14, 0, tzinfo=STOCKHOLM),
    categories=("Planerad ändring", "Tips"), audience=("skola", "alla"),
    services=("Filserver", "Teams"), status=Status.PLANNED,
    window=WINDOW, action=ACTION,
)
MINIMAL = make_post("tips-om-teams")
FEED = make_feed(make_item(FULL), make_item(MINIMAL, authors=()))


# absolutize


def test_absolutize_makes_links_and_images_absolute() -> None:
    html = ('<p>Läs <a href="../../guides/teams-moten/">guiden</a> '
            '<img alt="bild" src="../posts/bild.png"></p>'
            '<p><a href="#nar">När?</a> <a href="https://example.org/x">extern</a> '
            '<a href="mailto:it@exempelby.se">mejl</a></p>')
    result = absolutize(html, BASE)
    assert 'href="http://intranet.exempelby.test/it/guides/teams-moten/"' in result
    assert 'src="http://intranet.exempelby.test/it/news/posts/bild.png"' in result
    assert f'href="{BASE}#nar"' in result
    assert 'href="https://example.org/x"' in result
    assert 'href="mailto:it@exempelby.se"' in result
    assert "Läs" in result  # characters stay characters, not entities


def test_absolutize_drops_what_only_the_page_needs() -> None:
    html = ('<h1 id="rubrik">Rubrik<a class="headerlink" href="#rubrik">¶</a></h1>'
            '<p>Ingress</p><!-- more -->'
            '<h2 id="mer">Mer<a class="headerlink" href="#mer" title="Länk">¶</a></h2>'
            '<h1>En andra etta</h1>')
    result = absolutize(html, BASE)
    assert "Rubrik" not in result and "headerlink" not in result and "¶" not in result
    assert "<!--" not in result
    assert result.startswith("<p>Ingress</p>")
    assert '<h2 id="mer">Mer</h2>' in result
    assert "En andra etta" in result  # only the first heading repeats the title


def test_absolutize_keeps_leading_text_and_handles_empty_html() -> None:
    assert absolutize("Hej <b>du</b>", BASE) == "Hej <b>du</b>"
    assert absolutize("", BASE) == ""
    assert absolutize("  \n ", BASE) == ""


# ids


def test_tag_uri_is_an_rfc_4151_tag_from_the_key_only() -> None:
    item_id = tag_uri(AUTHORITY, "serverflytt")
    assert item_id == "tag:intranet.exempelby.se,2025:news/serverflytt"
    assert re.fullmatch(r"tag:[a-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:[\w/.-]+", item_id)
    assert feed_tag_uri(AUTHORITY, "category/tips") == \
        "tag:intranet.exempelby.se,2025:feeds/category/tips"
    assert tag_uri(AUTHORITY, "a") != tag_uri(AUTHORITY, "b")


# topics


def test_topics_make_one_feed_per_category_and_audience_with_ascii_slugs() -> None:
    found = topics(TAXONOMY, "alla")
    assert [(t.kind, t.name, t.slug) for t in found] == [
        ("category", "Planerad ändring", "planerad-andring"),
        ("category", "Tips", "tips"),
        ("audience", "alla", "alla"),
        ("audience", "skola", "skola"),
        ("audience", "vård och omsorg", "vard-och-omsorg"),
    ]


def test_topic_membership() -> None:
    by_slug = {topic.slug: topic for topic in topics(TAXONOMY, "alla")}
    for_everyone = make_post("alla", audience=("alla",), categories=("Planerad ändring",))
    for_school = make_post("skola", audience=("skola",))
    assert by_slug["planerad-andring"].includes(for_everyone)
    assert not by_slug["planerad-andring"].includes(for_school)
    assert by_slug["vard-och-omsorg"].includes(for_everyone)  # everybody includes care staff
    assert not by_slug["vard-och-omsorg"].includes(for_school)
    assert by_slug["skola"].includes(for_school) and by_slug["skola"].includes(for_everyone)


def test_without_an_everyone_audience_only_the_named_audience_counts() -> None:
    by_slug = {topic.slug: topic for topic in topics(TAXONOMY, None)}
    assert not by_slug["skola"].includes(make_post("alla", audience=("alla",)))
    assert by_slug["alla"].includes(make_post("alla", audience=("alla",)))


# summary-only items (the archive)


def test_an_item_without_content_carries_its_summary_in_every_format() -> None:
    post = make_post("kort")
    item = Item(post=post, id="tag:x,2025:news/kort", url="http://x/news/kort/",
                content_html=None, authors=())
    feed = dataclasses.replace(FEED, items=(item,))
    rss = feedparser.parse(render_rss(feed)).entries[0]
    atom = feedparser.parse(render_atom(feed)).entries[0]
    assert "content" not in rss and "content" not in atom
    assert rss.summary == atom.summary == post.description
    entry = json.loads(render_json(feed))["items"][0]
    assert "content_html" not in entry
    assert entry["content_text"] == post.description


# renderers


def test_feed_updated_is_the_newest_change_not_the_clock() -> None:
    assert FEED.updated == FULL.updated
    assert make_feed(make_item(MINIMAL)).updated == MINIMAL.date
    assert make_feed().updated is None


def test_rendering_is_deterministic_and_covers_every_format() -> None:
    first = render_all(FEED)
    assert set(first) == {"rss", "atom", "json"}
    assert first == render_all(FEED)
    assert first["rss"] == render_rss(FEED) and first["json"] == render_json(FEED)


def test_feeds_sharing_items_through_a_cache_render_as_they_do_alone() -> None:
    # The plugin renders a build's feeds with one ItemCache; each must still be the bytes it
    # is alone, in whatever order, and an item without authors must take each feed's own
    # author (the one channel value RSS and JSON put into an item).
    full, minimal = make_item(FULL), make_item(MINIMAL, authors=())
    news = make_feed(full, minimal)
    topic = dataclasses.replace(make_feed(minimal), id=feed_tag_uri(AUTHORITY, "category/tips"))
    other_author = dataclasses.replace(make_feed(minimal, full), author="Skolförvaltningen")
    # An archive of summaries: copies of the full items without their bodies, except where
    # the summary differs in more than its body (here its authors).
    archive = dataclasses.replace(make_feed(
        dataclasses.replace(full, content_html=None),
        dataclasses.replace(minimal, content_html=None, authors=("Någon annan",)),
    ), id=feed_tag_uri(AUTHORITY, "news-archive"))
    cache = ItemCache()
    for feed in (news, topic, other_author, news, archive):
        assert render_all(feed, cache) == render_all(feed)
    assert b"Text om" not in render_all(archive, cache)["rss"]
    creator = "<dc:creator>Skolförvaltningen</dc:creator>".encode()
    assert creator in render_all(other_author, cache)["rss"]


def test_items_whose_text_looks_like_feed_markup_are_shared_whole() -> None:
    # The cache splices each item's serialised lines into every feed and cuts the body out
    # for the archive's summaries: text that reads like those lines must stay text.
    tricky = make_post(
        "markup", title='"items":[] </item> <entry>', description="</channel> </feed>",
        services=('"items":[]',))
    body = ("<p>x</p>\n</content:encoded>\n      <content:encoded>y\n"
            '</content>\n    <content type="html">z</item>\n  </channel>\n</feed>\n')
    full = dataclasses.replace(make_item(tricky), content_html=body)
    news = make_feed(full, make_item(MINIMAL))
    archive = dataclasses.replace(make_feed(dataclasses.replace(full, content_html=None)),
                                  id=feed_tag_uri(AUTHORITY, "news-archive"))
    cache = ItemCache()
    for feed in (news, archive, news):
        assert render_all(feed, cache) == render_all(feed)
    assert "y\n" not in json.loads(render_json(archive, cache))["items"][0]["content_text"]
    encoded = etree.fromstring(render_rss(news, cache)).find(
        "channel/item/{http://purl.org/rss/1.0/modules/content/}encoded")
    assert encoded is not None and encoded.text == body


def test_rss_items() -> None:
    parsed = feedparser.parse(render_rss(FEED))
    assert not parsed.bozo
    full, minimal = parsed.entries
    # feedparser takes an RSS title as HTML: it must show the title as written.
    assert full.title_detail.type == "text/html"
    assert lxml.html.fragment_fromstring(full.title, create_parent="div").text_content() == \
        FULL.title
    assert full.id == "tag:intranet.exempelby.se,2025:news/serverflytt"
    assert full.guidislink is False
    assert full.author == "IT-pedagogiska rådet"
    assert minimal.author == "IT och kommunikation"  # the feed's author when none is named
    assert [tag.term for tag in full.tags] == list(FULL.categories)
    root = etree.fromstring(render_rss(FEED))
    pub_dates = root.xpath("channel/item/pubDate/text()")
    assert parsedate_to_datetime(pub_dates[0]) == FULL.date
    assert full.itc_action == {"by": "2026-12-11", "what": ACTION.what}
    assert full.itc_audience == "skola;alla"
    assert "itc_window" not in minimal and "itc_services" not in minimal


def test_atom_is_valid_even_when_empty(atom_schema: etree.RelaxNG) -> None:
    for feed in (FEED, make_feed()):
        document = etree.fromstring(render_atom(feed))
        assert atom_schema.validate(document), str(atom_schema.error_log)
    empty = etree.fromstring(render_atom(make_feed()))
    assert empty.findtext("{http://www.w3.org/2005/Atom}updated") == "2025-01-01T00:00:00+00:00"


def test_atom_entries() -> None:
    parsed = feedparser.parse(render_atom(FEED))
    assert not parsed.bozo
    full, minimal = parsed.entries
    assert full.title == FULL.title and full.title_detail.type == "text/plain"
    assert full.content[0].type == "text/html"
    assert full.content[0].value == "<p>Text om serverflytt &amp; mer.</p>"
    assert datetime.fromisoformat(full.itc_window["start"]) == WINDOW.start
    assert full.published == "2026-11-26T10:00:00+01:00"
    assert full.updated == "2026-11-27T14:00:00+01:00"
    assert minimal.updated == minimal.published  # updated falls back to the date


def test_json_feed(json_feed_schema: dict[str, Any]) -> None:
    document = json.loads(render_json(FEED))
    jsonschema.validate(document, json_feed_schema)
    full, minimal = document["items"]
    assert full["title"] == FULL.title
    assert full["date_modified"] == "2026-11-27T14:00:00+01:00"
    assert "date_modified" not in minimal
    assert minimal["authors"] == [{"name": "IT och kommunikation"}]
    assert full["_it_change"] == {
        "about": FEED.extension_about, "status": "planerad", "audience": ["skola", "alla"],
        "services": ["Filserver", "Teams"],
        "window": {"start": "2026-12-11T18:00:00+01:00", "end": "2026-12-13T18:00:00+01:00"},
        "action": {"by": "2026-12-11", "what": "Logga ut <före> kl. 18 & spara"},
    }
    assert render_json(FEED).decode("utf-8").count("🎉") == 1  # UTF-8, not a \\u escape


VOCABULARY = Vocabulary(categories=("Planerad ändring", "Tips"),
                        audiences=("alla", "skola", "vård och omsorg"), everyone="alla")


def test_every_format_carries_the_vocabulary(
    atom_schema: etree.RelaxNG, json_feed_schema: dict[str, Any]
) -> None:
    feed = dataclasses.replace(FEED, vocabulary=VOCABULARY)
    statuses = {"planned": "planerad", "ongoing": "pågår", "done": "klar",
                "cancelled": "inställd"}
    for body in (render_rss(feed), render_atom(feed)):
        channel = feedparser.parse(body).feed
        assert channel.itc_categories == "Planerad ändring;Tips"
        assert channel.itc_audiences == "alla;skola;vård och omsorg"
        assert channel.itc_everyone == "alla"
        assert channel.itc_statuses == statuses
    assert atom_schema.validate(etree.fromstring(render_atom(feed))), str(atom_schema.error_log)
    document = json.loads(render_json(feed))
    jsonschema.validate(document, json_feed_schema)
    assert document["_it_change"] == {
        "about": FEED.extension_about, "categories": ["Planerad ändring", "Tips"],
        "audiences": ["alla", "skola", "vård och omsorg"], "everyone": "alla",
        "statuses": statuses,
    }


@pytest.mark.parametrize("moment", [
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 7, 1, 12, 0, tzinfo=STOCKHOLM),
])
def test_dates_keep_their_offset(moment: datetime) -> None:
    feed = make_feed(make_item(make_post("d", date=moment)))
    item = json.loads(render_json(feed))["items"][0]
    assert datetime.fromisoformat(item["date_published"]) == moment
    pub_date = etree.fromstring(render_rss(feed)).findtext("channel/item/pubDate")
    assert parsedate_to_datetime(pub_date) == moment


@pytest.mark.parametrize(("title", "element_text"), [
    ("Frågor & svar om molnet", "Frågor & svar om molnet"),
    ("Tryck <Enter>", "Tryck &lt;Enter&gt;"),
    ("AT&T och &amp; och &#38;", "AT&amp;T och &amp;amp; och &amp;#38;"),
])
def test_rss_titles_are_escaped_where_html_would_misread_them(
    title: str, element_text: str
) -> None:
    root = etree.fromstring(render_rss(make_feed(make_item(make_post("t", title=title)))))
    assert root.findtext("channel/item/title") == element_text
