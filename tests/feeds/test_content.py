"""What an item carries: exact titles, absolute URLs in the body, and the change metadata."""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from plugins.posts.model import LIST_SEPARATOR, Post
from tests.conftest import SITE_URL, copy_project, run_build

from .support import (
    ATOM_NS,
    FORMATS,
    Expected,
    expected_for,
    json_feed,
    parse,
    post_meta,
    write_post,
)

TRICKY_TITLE = 'Åäö & ÅÄÖ <script>alert("x")</script> \'enkla\' "dubbla" 🎉 &amp; <b>fet</b>'
TRICKY_TEXT = 'Spara & stäng <Word> före "kl. 17" 🎉'
# The smallest valid PNG: one transparent pixel.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def entry_by_id(path: Path, item_id: str) -> Any:
    """feedparser's entry, or the JSON item, with id ``item_id`` in a feed file."""
    if path.name.endswith(".json"):
        items = [item for item in json_feed(path)["items"] if item["id"] == item_id]
    else:
        items = [entry for entry in parse(path).entries if entry.id == item_id]
    assert len(items) == 1, f"{item_id} in {path.name}"
    return items[0]


def content_html(path: Path, item_id: str) -> str:
    """The full HTML body of an item, read without feedparser (which would rewrite it)."""
    if path.name.endswith(".json"):
        return entry_by_id(path, item_id)["content_html"]
    root = etree.parse(str(path)).getroot()
    if root.tag == "rss":
        (item,) = root.xpath("channel/item[guid=$id]", id=item_id)
        return item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    (entry,) = root.xpath("a:entry[a:id=$id]", id=item_id, namespaces={"a": ATOM_NS})
    return entry.findtext(f"{{{ATOM_NS}}}content")


@pytest.fixture(scope="module")
def tricky_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    """A project copy with a post whose title and texts hold markup characters and emoji.

    Built once for the module: every test here only reads it.
    """
    project = copy_project(tmp_path_factory.mktemp("tricky") / "project")
    write_post(project, "knepig-rubrik", post_meta(
        TRICKY_TITLE, description=TRICKY_TEXT, audience=["alla"],
        services=["Word & Excel"],
        window={"start": "2026-12-01 17:00", "end": "2026-12-01 19:00"},
        action={"by": "2026-11-30", "what": TRICKY_TEXT}, status="planerad",
    ), "Brödtext med å, ä och ö.")
    build = run_build(project, project.parent / "site")
    assert build.returncode == 0, build.output
    return build.site, expected_for(project)


@pytest.mark.parametrize("fmt", FORMATS)
def test_titles_with_markup_characters_round_trip_exactly(
    tricky_site: tuple[Path, Expected], fmt: str
) -> None:
    site, expected = tricky_site
    (post,) = [post for post in expected.published if post.key == "knepig-rubrik"]
    assert post.title == TRICKY_TITLE
    for feed in ("news", "audience/skola", "category/tips"):
        entry = entry_by_id(site / "feeds" / (feed + FORMATS[fmt]), expected.item_id(post))
        if fmt == "rss":
            # Readers (feedparser among them) take an RSS <title> as HTML, as they do
            # <description>: what it shows must be the title as written.
            assert entry["title_detail"]["type"] == "text/html"
            shown = lxml.html.fragment_fromstring(entry["title"], create_parent="div")
            assert shown.text_content() == TRICKY_TITLE, feed
        else:
            assert entry["title"] == TRICKY_TITLE, feed


@pytest.mark.parametrize("fmt", ["atom", "json"])
def test_plain_text_summary_round_trips_exactly(
    tricky_site: tuple[Path, Expected], fmt: str
) -> None:
    site, expected = tricky_site
    entry = entry_by_id(site / "feeds" / ("news" + FORMATS[fmt]), "tag:" + expected.authority
                        + ":news/knepig-rubrik")
    assert entry["summary"] == TRICKY_TEXT


def test_rss_description_shows_a_plain_text_summary_as_written(
    tricky_site: tuple[Path, Expected],
) -> None:
    # RSS <description> holds HTML: readers render it, so the plain-text summary must be
    # HTML-escaped there, or "<Word>" is read as a tag and dropped by the reader.
    site, expected = tricky_site
    entry = entry_by_id(site / "feeds" / "news.rss.xml",
                        "tag:" + expected.authority + ":news/knepig-rubrik")
    shown = lxml.html.fragment_fromstring(entry["summary"], create_parent="div").text_content()
    assert shown == TRICKY_TEXT


def test_change_metadata_with_markup_characters_round_trips(
    tricky_site: tuple[Path, Expected],
) -> None:
    site, expected = tricky_site
    (post,) = [post for post in expected.published if post.key == "knepig-rubrik"]
    check_change_metadata(site / "feeds" / "news", expected.item_id(post), post)


def test_relative_links_and_images_become_absolute(project: Path, tmp_path: Path) -> None:
    posts = project / "content" / "news" / "posts"
    (posts / "bild.png").write_bytes(PIXEL_PNG)
    write_post(project, "lankar-och-bilder", post_meta("Länkar och bilder"), "\n".join([
        "Läs [guide](../../guides/teams-moten.md) och titta på ![bild](bild.png).",
        "",
        "Se [avsnittet nedan](#avsnitt) och [en extern sida](https://example.org/sida).",
        "",
        "## Avsnitt",
        "",
        "Text.",
        "",
        # Raw HTML is left as written by MkDocs: relative to the post's page, news/<name>/.
        '<img src="../bild.png" alt="Bild" srcset="../bild.png 1x, ../../news/bild.png 2x,'
        'https://example.org/stor.png 3x">',
    ]))
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    (image,) = build.site.rglob("bild.png")
    image_url = SITE_URL + image.relative_to(build.site).as_posix()
    page_url = SITE_URL + "news/lankar-och-bilder/"
    item_id = expected_for(project).item_id(
        next(post for post in expected_for(project).posts if post.key == "lankar-och-bilder"))
    for fmt, suffix in FORMATS.items():
        html = content_html(build.site / "feeds" / ("news" + suffix), item_id)
        body = lxml.html.fragment_fromstring(html, create_parent="div")
        hrefs = body.xpath(".//a/@href")
        srcs = body.xpath(".//img/@src")
        assert SITE_URL + "guides/teams-moten/" in hrefs, (fmt, hrefs)
        assert page_url + "#avsnitt" in hrefs, (fmt, hrefs)
        assert "https://example.org/sida" in hrefs, (fmt, hrefs)
        assert srcs == [image_url, image_url], fmt
        assert body.xpath(".//img/@srcset") == [
            f"{image_url} 1x, {image_url} 2x, https://example.org/stor.png 3x"], fmt
        for url in hrefs + srcs:
            assert url.startswith(("http://", "https://")), (fmt, url)


def test_no_item_body_in_the_real_feeds_has_a_relative_url(feeds: dict[str, Path]) -> None:
    path = feeds["news.json"]
    for item in json_feed(path)["items"]:
        body = lxml.html.fragment_fromstring(item["content_html"] or "<p></p>",
                                             create_parent="div")
        srcsets = body.xpath(".//img/@srcset | .//source/@srcset")
        candidates = [c.split()[0] for srcset in srcsets for c in srcset.split(", ")]
        for url in body.xpath(".//a/@href | .//img/@src") + candidates:
            assert url.startswith(("http://", "https://", "mailto:", "tel:")), (item["id"], url)


def check_change_metadata(stem: Path, item_id: str, post: Post) -> None:
    """The change metadata of ``post`` as feedparser (RSS, Atom) and JSON readers see it."""
    for fmt in ("rss", "atom"):
        entry = entry_by_id(stem.with_name(stem.name + FORMATS[fmt]), item_id)
        where = f"{post.key} ({fmt})"
        assert entry["itc_status"] == post.status.value, where
        assert entry["itc_audience"].split(LIST_SEPARATOR) == list(post.audience), where
        if post.services:
            assert entry["itc_services"].split(LIST_SEPARATOR) == list(post.services), where
        else:
            assert "itc_services" not in entry, where
        if post.window:
            window = entry["itc_window"]
            assert datetime.fromisoformat(window["start"]) == post.window.start, where
            assert datetime.fromisoformat(window["end"]) == post.window.end, where
        else:
            assert "itc_window" not in entry, where
        if post.action:
            assert date.fromisoformat(entry["itc_action"]["by"]) == post.action.by, where
            assert entry["itc_action"]["what"] == post.action.what, where
        else:
            assert "itc_action" not in entry, where

    change = entry_by_id(stem.with_name(stem.name + ".json"), item_id)["_it_change"]
    assert change["status"] == post.status.value
    assert change["audience"] == list(post.audience)
    assert change["services"] == list(post.services)
    assert change["about"].startswith("http")
    if post.window:
        assert datetime.fromisoformat(change["window"]["start"]) == post.window.start
        assert datetime.fromisoformat(change["window"]["end"]) == post.window.end
    else:
        assert change.get("window") is None
    if post.action:
        assert change["action"] == {"by": post.action.by.isoformat(), "what": post.action.what}
    else:
        assert change.get("action") is None


def test_change_metadata_round_trips_for_every_published_post(
    built_site: Path, expected: Expected
) -> None:
    published = expected.published
    assert any(post.window and post.action and post.services for post in published), \
        "the content has a post with every kind of change metadata"
    for post in published:
        check_change_metadata(built_site / "feeds" / "news-archive", expected.item_id(post), post)


def test_items_carry_authors_categories_and_summary(
    feeds: dict[str, Path], expected: Expected
) -> None:
    for post in expected.published:
        item_id = expected.item_id(post)
        for fmt in ("rss", "atom"):
            entry = entry_by_id(feeds["news-archive" + FORMATS[fmt]], item_id)
            assert [tag.term for tag in entry.tags] == list(post.categories), (post.key, fmt)
            assert entry.author, (post.key, fmt)
            assert entry.published_parsed, (post.key, fmt)
        item = entry_by_id(feeds["news-archive.json"], item_id)
        assert item["tags"] == list(post.categories)
        assert item["summary"] == post.description
        assert datetime.fromisoformat(item["date_published"]) == post.date
        if post.updated:
            assert datetime.fromisoformat(item["date_modified"]) == post.updated
