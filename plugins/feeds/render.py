"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the news: pure functions, feeds in, bytes out.

Imports nothing from MkDocs. XML is built as element trees with lxml, never as text, so
nothing is escaped by hand. The same :class:`Feed` always gives the same bytes: no clock is
read here, so an unchanged site keeps its ETag and readers poll cheaply.

Change metadata travels in every format (see README, "Feed format"):

* RSS and Atom: elements in the namespace :data:`CHANGE_NS` (prefix ``itc``). Lists are one
  element with values joined by ``;`` because feedparser keeps only the last of repeated
  elements; window and action are empty elements with attributes.
* JSON Feed: the extension object ``_it_change`` on each item.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from plugins.posts.model import LIST_SEPARATOR, Post, Status

CHANGE_NS = "urn:kommun:it-change:1"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

NO_ITEMS_UPDATED = datetime.fromisoformat("2025-01-01T00:00:00+00:00")
"""When a feed without items last changed: a fixed moment, never the clock."""

MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


@dataclass(frozen=True)
class Item:
    """One post as it goes into a feed."""

    post: Post
    id: str
    """Never changes: a ``tag:`` URI from the post's stable key, not its title, slug or URL."""
    url: str
    content_html: str | None
    """The post body with every link and image made absolute; None in summary-only feeds."""
    authors: tuple[str, ...]
    """Display names."""


def _status_roles() -> dict[str, str]:
    return {status.name.lower(): status.value for status in Status}


@dataclass(frozen=True)
class Vocabulary:
    """The site's terms, carried by every feed so that readers (the newsletter) hard-code none.

    Published at channel level: ``itc:categories``, ``itc:audiences``, ``itc:everyone`` and
    ``itc:statuses`` in RSS and Atom, the top-level ``_it_change`` object in JSON Feed.
    """

    categories: tuple[str, ...] = ()
    """In the order mkdocs.yml lists them: the order readers show them in."""
    audiences: tuple[str, ...] = ()
    everyone: str | None = None
    """The audience that means everybody (e.g. ``alla``)."""
    statuses: dict[str, str] = field(default_factory=_status_roles)
    """Status value by role: ``planned``, ``ongoing``, ``done``, ``cancelled``."""


@dataclass(frozen=True)
class Feed:
    """A feed's channel data and its items, newest first."""

    id: str
    title: str
    description: str
    site_url: str
    self_urls: dict[str, str]
    """Absolute URL of this feed in each format, by format name (rss, atom, json)."""
    author: str
    items: tuple[Item, ...]
    extension_about: str
    """Where the change metadata is documented (JSON Feed's ``about`` for ``_it_change``)."""
    language: str = "sv"
    vocabulary: Vocabulary | None = None
    page_url: str | None = None
    """The page the feed is about (a category's page); the site's home when None."""

    @property
    def home(self) -> str:
        """Where the feed's channel link points: its topic page, else the site."""
        return self.page_url or self.site_url

    @property
    def updated(self) -> datetime | None:
        """The newest change among the items: stable across rebuilds, unlike the build time."""
        moments = [item.post.updated or item.post.date for item in self.items]
        return max(moments) if moments else None


class ItemCache:
    """Each item serialised once per format, for the feeds of one build that share it.

    A post is in the news feed, its category feeds and its audience feeds; building and
    serialising its elements again for each, body and all, was most of the feed plugin's
    time. An item serialises the same in every feed with the same author, language and
    extension address (the only channel values an item uses), so they are part of the key.
    Only the bytes are kept, not element trees: at 3,000 posts the trees of every feed,
    kept until the last was written, added about 50 MiB to the build's peak memory.
    """

    def __init__(self) -> None:
        self._done: dict[tuple[object, ...], tuple[Item, bytes]] = {}
        # Items with a body by post id: an archive's summary of the same post is the same
        # bytes without the body element.
        self._with_body: dict[tuple[object, ...], tuple[Item, bytes]] = {}

    def get(self, fmt: str, item: Item, feed: Feed) -> bytes | None:
        """What ``fmt`` made of ``item`` in an earlier feed like ``feed``, if any."""
        done = self._done.get(self._key(fmt, item, feed))
        return done[1] if done is not None else None

    def put(self, fmt: str, item: Item, feed: Feed, rendered: bytes) -> None:
        # The item is kept with its bytes so that its id() is not reused by another.
        self._done[self._key(fmt, item, feed)] = (item, rendered)
        if item.content_html is not None:
            self._with_body[(fmt, item.id, *self._key(fmt, item, feed)[2:])] = (item, rendered)

    def with_body(self, fmt: str, summary: Item, feed: Feed) -> bytes | None:
        """The bytes of the item that is ``summary`` with a body, if they were made."""
        done = self._with_body.get((fmt, summary.id, *self._key(fmt, summary, feed)[2:]))
        if done is None or dataclasses.replace(done[0], content_html=None) != summary:
            return None
        return done[1]

    @staticmethod
    def _key(fmt: str, item: Item, feed: Feed) -> tuple[object, ...]:
        # By identity: hashing an item hashes its post field by field, at every lookup. The
        # plugin hands every feed the same Item object for a post.
        return (fmt, id(item), feed.author, feed.language, feed.extension_about)


@dataclass(frozen=True)
class _XmlLayout:
    """Where items sit in a pretty-printed XML feed, to splice serialised items into it.

    Items are the last children of their parent, which holds only elements, so each item
    is whole lines of the document: those lines are the same bytes in every feed whose
    root declares the same namespaces.
    """

    item_start: bytes
    """How an item's first line starts: its indentation and start tag (no attributes)."""
    end: bytes
    """The document's last lines, after the last item."""
    body_start: bytes
    """The first line of the body element, up to its text."""
    body_end: bytes
    """The end of the body element's (last) line."""


def _items_bytes(
    fmt: str, feed: Feed, cache: ItemCache, layout: _XmlLayout,
    skeleton: Callable[[Feed], tuple[etree._Element, etree._Element]],
    build: Callable[[etree._Element, Item, Feed], etree._Element],
) -> list[bytes]:
    """The lines of each of ``feed``'s items in ``fmt``: from ``cache``, or serialised and kept.

    The items not yet in ``cache`` are built together into an empty feed with the same
    root, serialised once and cut apart: an item's start tag occurs only where it starts
    (text and attribute values are escaped).
    """
    rendered: list[bytes | None] = []
    new: list[tuple[int, Item]] = []
    for item in feed.items:
        done = cache.get(fmt, item, feed)
        if done is None and item.content_html is None:
            full = cache.with_body(fmt, item, feed)
            done = _without_body(full, layout) if full is not None else None
            if done is not None:
                cache.put(fmt, item, feed, done)
        if done is None:
            new.append((len(rendered), item))
        rendered.append(done)
    if new:
        root, parent = skeleton(feed)
        for _index, item in new:
            build(parent, item, feed)
        document = _serialize(root)
        lines = document[document.index(layout.item_start):-len(layout.end)]
        parts = lines.split(b"\n" + layout.item_start)
        if len(parts) != len(new):
            raise AssertionError(f"{len(new)} items serialised as {len(parts)}")
        for number, ((index, item), part) in enumerate(zip(new, parts, strict=True)):
            done = (layout.item_start if number else b"") + part
            done += b"" if number == len(parts) - 1 else b"\n"
            cache.put(fmt, item, feed, done)
            rendered[index] = done
    return [done for done in rendered if done is not None]


def _without_body(rendered: bytes, layout: _XmlLayout) -> bytes | None:
    # Text and attribute values are escaped, so the body's tags occur only as its tags.
    start = rendered.find(layout.body_start)
    end = rendered.find(layout.body_end, start)
    if start < 0 or end < 0:
        return None
    return rendered[:start] + rendered[end + len(layout.body_end):]


def _splice(document: bytes, layout: _XmlLayout, items: list[bytes]) -> bytes:
    """``document`` (a feed without items) with ``items`` as its last children."""
    if not document.endswith(layout.end):
        raise AssertionError(f"feed does not end in {layout.end!r}")
    return b"".join([document[:-len(layout.end)], *items, layout.end])


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attrib: str
) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _change_elements(parent: etree._Element, post: Post) -> None:
    ns = f"{{{CHANGE_NS}}}"
    _sub(parent, ns + "status", post.status.value)
    _sub(parent, ns + "audience", LIST_SEPARATOR.join(post.audience))
    if post.services:
        _sub(parent, ns + "services", LIST_SEPARATOR.join(post.services))
    if post.window:
        _sub(parent, ns + "window", start=_rfc3339(post.window.start),
             end=_rfc3339(post.window.end))
    if post.action:
        _sub(parent, ns + "action", by=post.action.by.isoformat(), what=post.action.what)


def _vocabulary_elements(parent: etree._Element, vocabulary: Vocabulary | None) -> None:
    if vocabulary is None:
        return
    ns = f"{{{CHANGE_NS}}}"
    # Lists joined by ";" like the item elements; the statuses as attributes by role, which
    # feedparser exposes as a dict (feed["itc_statuses"]["cancelled"]).
    _sub(parent, ns + "categories", LIST_SEPARATOR.join(vocabulary.categories))
    _sub(parent, ns + "audiences", LIST_SEPARATOR.join(vocabulary.audiences))
    if vocabulary.everyone:
        _sub(parent, ns + "everyone", vocabulary.everyone)
    _sub(parent, ns + "statuses", **vocabulary.statuses)


# An '&' that HTML would read as the start of a character reference (&amp;, &#38;, &lt).
_REFERENCE_LIKE = re.compile(r"&(?=[A-Za-z0-9#])")


def _rss_title(title: str) -> str:
    """A plain-text title as RSS readers need it.

    Readers disagree on RSS <title>: feedparser (and so the newsletter) and most web readers
    take it as HTML, others (npm's rss-parser) as text. '<' and '>' are escaped, so that
    'Tryck <Enter>' is not read as a tag; an '&' only where HTML would read a character
    reference, so that 'Frågor & svar' reads the same to both kinds.
    """
    return _REFERENCE_LIKE.sub("&amp;", title).replace("<", "&lt;").replace(">", "&gt;")


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _rss_item(channel: etree._Element, item: Item, feed: Feed) -> etree._Element:
    post = item.post
    entry = _sub(channel, "item")
    _sub(entry, "title", _rss_title(post.title))
    _sub(entry, "link", item.url)
    _sub(entry, "guid", item.id, isPermaLink="false")
    _sub(entry, "pubDate", format_datetime(post.date))
    if post.updated:
        _sub(entry, f"{{{ATOM_NS}}}updated", _rfc3339(post.updated))
    for author in item.authors or (feed.author,):
        _sub(entry, f"{{{DC_NS}}}creator", author)
    for category in post.categories:
        _sub(entry, "category", category)
    # RSS readers take <description> as HTML; the summary is plain text, so a '<Word>' in
    # it must reach them as text.
    _sub(entry, "description", html.escape(post.description, quote=False))
    if item.content_html is not None:
        _sub(entry, f"{{{CONTENT_NS}}}encoded", item.content_html)
    _change_elements(entry, post)
    return entry


_RSS_NAMESPACES = {"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS, "itc": CHANGE_NS}
_RSS_LAYOUT = _XmlLayout(b"    <item>", b"  </channel>\n</rss>\n",
                         b"      <content:encoded>", b"</content:encoded>\n")


def _rss_skeleton(_feed: Feed) -> tuple[etree._Element, etree._Element]:
    rss = etree.Element("rss", {"version": "2.0"}, nsmap=_RSS_NAMESPACES)
    return rss, _sub(rss, "channel")


def render_rss(feed: Feed, cache: ItemCache | None = None) -> bytes:
    """RSS 2.0 with ``atom:link rel=self``, ``dc:creator`` authors and ``content:encoded``."""
    rss, channel = _rss_skeleton(feed)
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.home)
    _sub(channel, "description", feed.description)
    _sub(channel, "language", feed.language)
    _sub(channel, f"{{{ATOM_NS}}}link", href=feed.self_urls["rss"], rel="self",
         type=MEDIA_TYPES["rss"])
    if feed.updated:
        _sub(channel, "lastBuildDate", format_datetime(feed.updated))
    _vocabulary_elements(channel, feed.vocabulary)
    if cache is None:
        for item in feed.items:
            _rss_item(channel, item, feed)
        return _serialize(rss)
    return _splice(_serialize(rss), _RSS_LAYOUT,
                   _items_bytes("rss", feed, cache, _RSS_LAYOUT, _rss_skeleton, _rss_item))


def _atom_item(root: etree._Element, item: Item, feed: Feed) -> etree._Element:
    atom = f"{{{ATOM_NS}}}"
    post = item.post
    entry = _sub(root, atom + "entry")
    _sub(entry, atom + "id", item.id)
    _sub(entry, atom + "title", post.title, type="text")
    _sub(entry, atom + "link", rel="alternate", type="text/html", href=item.url)
    _sub(entry, atom + "published", _rfc3339(post.date))
    _sub(entry, atom + "updated", _rfc3339(post.updated or post.date))
    for name in item.authors:
        _sub(_sub(entry, atom + "author"), atom + "name", name)
    for category in post.categories:
        _sub(entry, atom + "category", term=category)
    _sub(entry, atom + "summary", post.description, type="text")
    if item.content_html is not None:
        _sub(entry, atom + "content", item.content_html, type="html")
    _change_elements(entry, post)
    return entry


_ATOM_LAYOUT = _XmlLayout(b"  <entry>", b"</feed>\n", b'    <content type="html">',
                          b"</content>\n")


def _atom_skeleton(feed: Feed) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS, "itc": CHANGE_NS})
    root.set(f"{{{XML_NS}}}lang", feed.language)
    return root, root


def render_atom(feed: Feed, cache: ItemCache | None = None) -> bytes:
    """Atom 1.0 (RFC 4287) with ``rel=self``, authors and ``content type=html``."""
    root, _root = _atom_skeleton(feed)
    atom = f"{{{ATOM_NS}}}"
    _sub(root, atom + "id", feed.id)
    _sub(root, atom + "title", feed.title, type="text")
    _sub(root, atom + "subtitle", feed.description, type="text")
    # Atom requires <updated>; an empty feed falls back to a fixed moment, not the clock.
    _sub(root, atom + "updated", _rfc3339(feed.updated or NO_ITEMS_UPDATED))
    _sub(root, atom + "link", rel="alternate", type="text/html", href=feed.home)
    _sub(root, atom + "link", rel="self", type=MEDIA_TYPES["atom"], href=feed.self_urls["atom"])
    author = _sub(root, atom + "author")
    _sub(author, atom + "name", feed.author)
    _vocabulary_elements(root, feed.vocabulary)
    if cache is None:
        for item in feed.items:
            _atom_item(root, item, feed)
        return _serialize(root)
    return _splice(_serialize(root), _ATOM_LAYOUT,
                   _items_bytes("atom", feed, cache, _ATOM_LAYOUT, _atom_skeleton, _atom_item))


def _change_object(post: Post, about: str) -> dict[str, object]:
    return {
        "about": about,
        "status": post.status.value,
        "audience": list(post.audience),
        "services": list(post.services),
        "window": {"start": _rfc3339(post.window.start), "end": _rfc3339(post.window.end)}
        if post.window else None,
        "action": {"by": post.action.by.isoformat(), "what": post.action.what}
        if post.action else None,
    }


def _json_item(item: Item, feed: Feed) -> dict[str, object]:
    post = item.post
    entry: dict[str, object] = {
        "id": item.id,
        "url": item.url,
        "title": post.title,
        "summary": post.description,
        "date_published": _rfc3339(post.date),
    }
    # JSON Feed requires a body: the summary stands in where the feed carries no HTML.
    if item.content_html is None:
        entry["content_text"] = post.description
    else:
        entry["content_html"] = item.content_html
    if post.updated:
        entry["date_modified"] = _rfc3339(post.updated)
    entry["authors"] = [{"name": name} for name in item.authors or (feed.author,)]
    entry["tags"] = list(post.categories)
    entry["language"] = feed.language
    entry["_it_change"] = _change_object(post, feed.extension_about)
    return entry


def _json(value: object) -> str:
    # Compact: indent= switches json to its pure-Python encoder, slow for a large archive.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render_json(feed: Feed, cache: ItemCache | None = None) -> bytes:
    """JSON Feed 1.1 with the ``_it_change`` extension on each item."""
    head: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": feed.self_urls["json"],
        "description": feed.description,
        "language": feed.language,
        "authors": [{"name": feed.author}],
    }
    tail: dict[str, object] = {}
    if feed.vocabulary is not None:
        tail["_it_change"] = {
            "about": feed.extension_about,
            "categories": list(feed.vocabulary.categories),
            "audiences": list(feed.vocabulary.audiences),
            "everyone": feed.vocabulary.everyone,
            "statuses": dict(feed.vocabulary.statuses),
        }
    if cache is None:
        items = [_json_item(item, feed) for item in feed.items]
        return (_json({**head, "items": items, **tail}) + "\n").encode()
    # Each item encoded once for all the feeds holding it; with these separators a JSON
    # document is exactly the concatenation of its members' encodings.
    encoded = []
    for item in feed.items:
        done = cache.get("json", item, feed)
        if done is None:
            done = _json(_json_item(item, feed)).encode()
            cache.put("json", item, feed, done)
        encoded.append(done)
    rest = f",{_json(tail)[1:]}" if tail else "}"
    return b"".join([_json(head)[:-1].encode(), b',"items":[', b",".join(encoded), b"]",
                     f"{rest}\n".encode()])


RENDERERS: dict[str, tuple[str, Callable[[Feed, ItemCache | None], bytes]]] = {
    "rss": (".rss.xml", render_rss),
    "atom": (".atom.xml", render_atom),
    "json": (".json", render_json),
}
"""Format name -> (file suffix, renderer)."""


def _empty_sitemap() -> bytes:
    return _serialize(etree.Element("urlset", nsmap={None: "http://www.sitemaps.org/schemas/sitemap/0.9"}))


EMPTY_SITEMAP = _empty_sitemap()
"""A sitemap without URLs (see the feed plugin for why it is written)."""


def render_all(feed: Feed, cache: ItemCache | None = None) -> dict[str, bytes]:
    """Every format of ``feed``, by format name.

    Pass the same ``cache`` for every feed of a build: items they share are then built once.
    """
    return {name: render(feed, cache) for name, (_suffix, render) in RENDERERS.items()}
