"""Feed discovery: every page's <head> links the feeds, category pages their own too."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from lxml import etree

from plugins.posts.slugs import slugify
from tests.conftest import SITE_URL

from .support import FORMATS, MEDIA_TYPES, Expected

MAIN_FEEDS = {MEDIA_TYPES[fmt]: SITE_URL + "feeds/news" + suffix
              for fmt, suffix in FORMATS.items()}


def alternates(site: Path, page: Path) -> list[tuple[str, str]]:
    """(type, absolute href) of each <link rel="alternate"> in the <head> of a built page.

    Links may be relative; a reader resolves them against the page's address.
    """
    address = SITE_URL + page.relative_to(site).as_posix().removesuffix("index.html")
    head = lxml.html.parse(str(page)).getroot().find("head")
    return [(link.get("type"), urljoin(address, link.get("href")))
            for link in head.iter("link") if link.get("rel") == "alternate"]


def pages(site: Path) -> list[Path]:
    return [page for page in sorted(site.rglob("*.html"))
            if page.relative_to(site).parts[0] != "assets"]


def test_every_content_page_links_the_three_main_feeds(built_site: Path) -> None:
    content_pages = [page for page in pages(built_site) if page.name != "404.html"]
    assert len(content_pages) > 10
    for page in content_pages:
        links = alternates(built_site, page)
        for media_type, href in MAIN_FEEDS.items():
            assert (media_type, href) in links, page.relative_to(built_site)


def test_the_404_page_links_the_main_feeds_too(built_site: Path) -> None:
    # Every page: the 404 page is what a reader lands on after following an old link.
    links = alternates(built_site, built_site / "404.html")
    for media_type, href in MAIN_FEEDS.items():
        assert (media_type, href) in links


def test_discovery_links_point_at_feeds_that_exist(built_site: Path) -> None:
    for page in pages(built_site):
        for media_type, href in alternates(built_site, page):
            if media_type in MEDIA_TYPES.values():
                assert href.startswith(SITE_URL), (page, href)
                assert (built_site / href.removeprefix(SITE_URL)).is_file(), (page, href)


@pytest.mark.parametrize("fmt", FORMATS)
def test_category_pages_link_their_own_feeds(
    built_site: Path, expected: Expected, fmt: str
) -> None:
    for category in expected.taxonomy.categories:
        slug = slugify(category)
        page = built_site / "news" / "category" / slug / "index.html"
        if not page.is_file():  # Material makes pages only for categories in use
            continue
        own = (MEDIA_TYPES[fmt], f"{SITE_URL}feeds/category/{slug}{FORMATS[fmt]}")
        assert own in alternates(built_site, page), category
    used = {name for post in expected.published for name in post.categories}
    assert {slugify(name) for name in used} <= {
        path.name for path in (built_site / "news" / "category").iterdir()}


def test_other_pages_do_not_link_category_feeds(built_site: Path) -> None:
    for page in (built_site / "index.html", built_site / "news" / "index.html"):
        hrefs = [href for _type, href in alternates(built_site, page)]
        assert not [href for href in hrefs if "/feeds/category/" in href], page


@pytest.mark.parametrize(("feed", "page"), [
    ("category/tips", "news/category/tips/"),
    ("category/planerad-andring", "news/category/planerad-andring/"),
    ("audience/skola", ""),  # audiences have no page of their own: the site
    ("news", ""),
])
def test_each_feed_links_the_page_it_is_about(built_site: Path, feed: str, page: str) -> None:
    expected = SITE_URL + page
    rss = etree.parse(str(built_site / "feeds" / f"{feed}.rss.xml"))
    assert rss.findtext("channel/link") == expected
    atom = etree.parse(str(built_site / "feeds" / f"{feed}.atom.xml"))
    [alternate] = atom.xpath("/a:feed/a:link[@rel='alternate']/@href",
                             namespaces={"a": "http://www.w3.org/2005/Atom"})
    assert alternate == expected
    document = json.loads((built_site / "feeds" / f"{feed}.json").read_text(encoding="utf-8"))
    assert document["home_page_url"] == expected
    assert (built_site / page / "index.html").is_file()
