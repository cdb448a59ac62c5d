"""From published posts to feed items and topic feeds. Imports nothing from MkDocs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lxml.html

from plugins.posts.model import Post, Taxonomy
from plugins.posts.slugs import slugify


def absolutize(html: str, base_url: str) -> str:
    """Prepare a post's HTML for a feed: every link and image URL made absolute.

    Feed readers and mail clients show the content away from the site, where a relative
    ``../guides/`` points nowhere. What only makes sense on the page goes: the first ``<h1>``
    (readers show the item title already), permalink anchors and HTML comments such as
    the blog's ``<!-- more -->``.
    """
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for anchor in root.xpath('.//a[contains(concat(" ", @class, " "), " headerlink ")]'):
        anchor.drop_tree()
    for comment in root.xpath(".//comment()"):
        comment.drop_tree()
    headings = root.xpath("./h1")
    if headings:
        headings[0].drop_tree()
    root.make_links_absolute(base_url, resolve_base_href=False)
    parts = [root.text or ""]
    parts.extend(lxml.html.tostring(child, encoding="unicode") for child in root)
    return "".join(parts).strip()


def tag_uri(authority: str, key: str) -> str:
    """A ``tag:`` URI (RFC 4151) such as ``tag:intranet.exempelby.se,2025:news/serverflytt``.

    ``authority`` is ``domain,date``; ``key`` is the post's stable key. Neither depends on the
    title, the address or ``site_url``, so the id survives edits, moves and `mkdocs serve`.
    """
    return f"tag:{authority}:news/{key}"


def feed_tag_uri(authority: str, name: str) -> str:
    """The id of a whole feed, e.g. ``tag:intranet.exempelby.se,2025:feeds/news``."""
    return f"tag:{authority}:feeds/{name}"


@dataclass(frozen=True)
class Topic:
    """A per-topic feed: one category or one audience."""

    kind: str
    """``category`` or ``audience``."""
    name: str
    slug: str
    includes: Callable[[Post], bool]


def topics(taxonomy: Taxonomy, everyone: str | None) -> list[Topic]:
    """One topic per declared category and audience.

    A post addressed to ``everyone`` (e.g. "alla") concerns every audience, so it is in every
    audience feed: a teacher following "skola" must not miss a change that hits all staff.
    """
    result = []
    for name in taxonomy.categories:
        def in_category(post: Post, name: str = name) -> bool:
            return name in post.categories
        result.append(Topic("category", name, slugify(name), in_category))
    for name in taxonomy.audiences:
        def includes(post: Post, name: str = name) -> bool:
            return name in post.audience or (everyone is not None and everyone in post.audience)
        result.append(Topic("audience", name, slugify(name), includes))
    return result
