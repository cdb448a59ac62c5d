"""From published posts to feed items and topic feeds. Imports nothing from MkDocs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from plugins.posts.model import Post, Taxonomy
from plugins.posts.slugs import slugify

# Attributes that hold a URL in the HTML that Markdown and its extensions produce.
_URL_ATTRIBUTES = frozenset({
    "href", "src", "poster", "data", "action", "cite", "formaction", "background", "longdesc",
    "usemap", "codebase",
})
# Attributes that hold a list of "URL descriptor" candidates (HTML's srcset syntax).
_SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
# Permalink anchors, comments (the blog's <!-- more -->) and the first <h1>.
_PAGE_ONLY = etree.XPath(
    './/a[contains(concat(" ", @class, " "), " headerlink ")] | .//comment() | ./h1[1]')
_HTML_PARSER = etree.HTMLParser()


def absolutize(html: str, base_url: str) -> str:
    """Prepare a post's HTML for a feed: every link and image URL made absolute.

    Feed readers and mail clients show the content away from the site, where a relative
    ``../guides/`` points nowhere. What only makes sense on the page goes: the first ``<h1>``
    (readers show the item title already), permalink anchors and HTML comments such as
    the blog's ``<!-- more -->``.
    """
    if not html.strip():
        return ""
    # Parsed as lxml.html.fragment_fromstring does (inside <html><body>), with plain
    # elements: lxml.html's element classes call back into Python for every element.
    body = etree.fromstring(f"<html><body>{html}</body></html>", _HTML_PARSER).find("body")
    if body is None:
        return ""
    for node in _PAGE_ONLY(body):
        _drop(node)
    # A plain loop over the attributes: lxml's make_links_absolute also parses CSS and was
    # most of the feed plugin's time on a large site.
    for element in body.iter(etree.Element):
        for name, value in element.items():
            if name in _URL_ATTRIBUTES:
                element.set(name, urljoin(base_url, value.strip()))
            elif name in _SRCSET_ATTRIBUTES:
                element.set(name, absolute_srcset(value, base_url))
    text = etree.tostring(body, encoding="unicode", method="html")
    return text[len("<body>"):-len("</body>")].strip()


def _drop(node: etree._Element) -> None:
    """Remove ``node`` and what it holds, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def absolute_srcset(value: str, base_url: str) -> str:
    """``a.png 1x, b.png 2x`` with every URL made absolute against ``base_url``.

    Split as HTML's srcset parser does: a URL runs to the next whitespace (trailing commas
    end the candidate), its descriptors to the next comma outside parentheses, so a URL may
    hold commas itself.
    """
    candidates: list[str] = []
    position, length = 0, len(value)
    while True:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= length:
            break
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url, descriptor = value[start:position], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start, depth = position, 0
            while position < length and (value[position] != "," or depth):
                depth += {"(": 1, ")": -1 if depth else 0}.get(value[position], 0)
                position += 1
            descriptor = value[start:position].strip()
        candidates.append(f"{urljoin(base_url, url)} {descriptor}".strip())
    return ", ".join(candidates)


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
