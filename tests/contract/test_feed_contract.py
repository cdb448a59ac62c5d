"""The contract between the feed plugin and the newsletter: the real site's feeds, read by the
newsletter's own parser, carry every published post with its change metadata intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.feed import parse_feed, read_feed
from plugins.posts.frontmatter import read_front_matter
from plugins.posts.model import Post, Taxonomy, parse_post
from tests.conftest import BUILD_NOW, REPO, SITE_URL

TAXONOMY = Taxonomy(
    categories=("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips"),
    audiences=("alla", "skola", "förvaltning", "vård och omsorg"),
)


def published_posts() -> dict[str, Post]:
    posts = {}
    for path in sorted((REPO / "content/news/posts").glob("*.md")):
        source = f"news/posts/{path.name}"
        post = parse_post(read_front_matter(path.read_text(encoding="utf-8"), source), source,
                          TAXONOMY)
        if post.is_published(BUILD_NOW):
            posts[f"tag:intranet.exempelby.se,2025:news/{post.key}"] = post
    return posts


@pytest.mark.parametrize("name", ["news.rss.xml", "news.atom.xml"])
def test_newsletter_reads_every_published_post_from_the_real_feed(
    built_site: Path, name: str
) -> None:
    expected = published_posts()
    entries = parse_feed((built_site / "feeds" / name).read_bytes(), f"{SITE_URL}feeds/{name}")
    assert {entry.id for entry in entries} == set(expected)
    for entry in entries:
        post = expected[entry.id]
        assert entry.title == post.title
        assert entry.link == f"{SITE_URL}news/{post.key}/"
        assert entry.published == post.date
        assert entry.summary == post.description
        assert entry.categories == post.categories
        assert entry.audiences == post.audience
        assert entry.services == post.services
        assert entry.status == post.status.value
        if post.window:
            assert entry.window is not None
            assert (entry.window.start, entry.window.end) == (post.window.start, post.window.end)
        else:
            assert entry.window is None
        if post.action:
            assert entry.action is not None
            assert (entry.action.by, entry.action.what) == (post.action.by, post.action.what)
        else:
            assert entry.action is None
        assert entry.content_html, entry.id


@pytest.mark.parametrize("name", ["news.rss.xml", "news.atom.xml"])
def test_the_real_feed_gives_the_newsletter_its_vocabulary(built_site: Path, name: str) -> None:
    """Issue 7 item 9: the newsletter hard-codes no category order, everyone-audience or
    status; the site's real feed must carry them as mkdocs.yml and the post model have them."""
    channel = read_feed((built_site / "feeds" / name).read_bytes(),
                        f"{SITE_URL}feeds/{name}").channel
    assert channel.categories == (
        "Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips")
    assert channel.audiences == ("alla", "skola", "förvaltning", "vård och omsorg")
    assert channel.everyone == "alla"  # mkdocs.yml: everyone_audience
    assert channel.cancelled == "inställd"


def test_contract_covers_the_interesting_fields() -> None:
    posts = published_posts().values()
    assert any(post.window for post in posts)
    assert any(post.action for post in posts)
    assert any(len(post.audience) > 1 for post in posts)


def test_text_that_looks_like_markup_survives_every_format() -> None:
    """Titles and summaries are plain text: '<Enter>', '&' and quotes must arrive as written."""
    from datetime import datetime

    from plugins.feeds.render import Feed, Item, render_atom, render_rss
    from plugins.posts.model import STOCKHOLM, Status

    post = Post(
        source="news/posts/tecken.md", key="tecken", title='Tryck <Enter> & "spara" \N{EN DASH} 😀',
        date=datetime(2026, 11, 1, 9, 0, tzinfo=STOCKHOLM),
        description='Spara & stäng <Word> före "fredag".', categories=("Tips",),
        audience=("alla",), status=Status.DONE,
    )
    feed = Feed(
        id="tag:intranet.exempelby.se,2025:feeds/news", title="IT-nytt", description="Nyheter",
        site_url=SITE_URL,
        self_urls={fmt: f"{SITE_URL}feeds/news.{fmt}" for fmt in ("rss", "atom", "json")},
        author="IT och kommunikation", extension_about=SITE_URL,
        items=(Item(post, "tag:intranet.exempelby.se,2025:news/tecken",
                    f"{SITE_URL}news/tecken/", "<p>Text.</p>", ()),),
    )
    for render in (render_rss, render_atom):
        (entry,) = parse_feed(render(feed))
        assert (entry.title, entry.summary) == (post.title, post.description), render.__name__
