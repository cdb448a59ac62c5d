"""Feeds in the shape the site's feed plugin publishes, built with lxml for the tests and bench.

RSS 2.0 and Atom 1.0, with the change metadata in the ``urn:kommun:it-change:1`` namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime

from lxml import etree

ITC = "urn:kommun:it-change:1"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
SITE = "https://intranet.exempelkommun.se"


@dataclass(frozen=True)
class Post:
    """One post as the feed describes it."""

    slug: str
    title: str
    published: datetime
    summary: str = "En kort sammanfattning."
    content_html: str = "<p>Hela texten.</p>"
    categories: tuple[str, ...] = ("Tips",)
    authors: tuple[str, ...] = ("IT-avdelningen",)
    status: str | None = None
    audiences: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    window: tuple[datetime, datetime | None] | None = None
    action: tuple[date, str] | None = None
    updated: datetime | None = None
    href: str | None = None
    """The link as written in the feed, when not the post's absolute address."""

    @property
    def id(self) -> str:
        return f"tag:intranet.exempelkommun.se,2025:news/{self.slug}"

    @property
    def link(self) -> str:
        return f"{SITE}/nyheter/{self.slug}/"


def _itc(parent: etree._Element, post: Post) -> None:
    if post.status:
        etree.SubElement(parent, f"{{{ITC}}}status").text = post.status
    if post.audiences:
        etree.SubElement(parent, f"{{{ITC}}}audience").text = ";".join(post.audiences)
    if post.services:
        etree.SubElement(parent, f"{{{ITC}}}services").text = ";".join(post.services)
    if post.window:
        start, end = post.window
        window = etree.SubElement(parent, f"{{{ITC}}}window", start=start.isoformat())
        if end:
            window.set("end", end.isoformat())
    if post.action:
        by, what = post.action
        etree.SubElement(parent, f"{{{ITC}}}action", by=by.isoformat(), what=what)


# The site's vocabulary as mkdocs.yml declares it and the feed plugin publishes it.
CATEGORIES = ("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips")
AUDIENCES = ("alla", "skola", "förvaltning", "vård och omsorg")
STATUSES = {"planned": "planerad", "ongoing": "pågår", "done": "klar", "cancelled": "inställd"}


def _vocabulary(parent: etree._Element) -> None:
    etree.SubElement(parent, f"{{{ITC}}}categories").text = ";".join(CATEGORIES)
    etree.SubElement(parent, f"{{{ITC}}}audiences").text = ";".join(AUDIENCES)
    etree.SubElement(parent, f"{{{ITC}}}everyone").text = "alla"
    etree.SubElement(parent, f"{{{ITC}}}statuses", STATUSES)


def rss(posts: list[Post], title: str = "Nytt från IT", *, vocabulary: bool = True,
        self_link: str | None = None) -> bytes:
    """An RSS 2.0 feed of the posts."""
    root = etree.Element("rss", version="2.0",
                         nsmap={"content": CONTENT, "dc": DC, "itc": ITC, "atom": ATOM})
    channel = etree.SubElement(root, "channel")
    etree.SubElement(channel, "title").text = title
    etree.SubElement(channel, "link").text = f"{SITE}/"
    etree.SubElement(channel, "description").text = "Nyheter från IT-avdelningen"
    etree.SubElement(channel, "language").text = "sv"
    if self_link:
        etree.SubElement(channel, f"{{{ATOM}}}link", rel="self", href=self_link)
    if vocabulary:
        _vocabulary(channel)
    for post in posts:
        item = etree.SubElement(channel, "item")
        etree.SubElement(item, "title").text = post.title
        etree.SubElement(item, "link").text = post.href or post.link
        etree.SubElement(item, "guid", isPermaLink="false").text = post.id
        etree.SubElement(item, "pubDate").text = format_datetime(post.published)
        etree.SubElement(item, "description").text = post.summary
        etree.SubElement(item, f"{{{CONTENT}}}encoded").text = etree.CDATA(post.content_html)
        for author in post.authors:
            etree.SubElement(item, f"{{{DC}}}creator").text = author
        for category in post.categories:
            etree.SubElement(item, "category").text = category
        _itc(item, post)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def atom(posts: list[Post], title: str = "Nytt från IT") -> bytes:
    """An Atom 1.0 feed of the posts."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "itc": ITC})
    etree.SubElement(root, f"{{{ATOM}}}title").text = title
    etree.SubElement(root, f"{{{ATOM}}}id").text = f"{SITE}/feeds/news.atom.xml"
    newest = max((p.updated or p.published for p in posts), default=datetime.now(UTC))
    etree.SubElement(root, f"{{{ATOM}}}updated").text = newest.isoformat()
    etree.SubElement(root, f"{{{ATOM}}}link", href=f"{SITE}/")
    _vocabulary(root)
    for post in posts:
        entry = etree.SubElement(root, f"{{{ATOM}}}entry")
        etree.SubElement(entry, f"{{{ATOM}}}title").text = post.title
        etree.SubElement(entry, f"{{{ATOM}}}id").text = post.id
        etree.SubElement(entry, f"{{{ATOM}}}link", href=post.href or post.link, rel="alternate")
        etree.SubElement(entry, f"{{{ATOM}}}published").text = post.published.isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = (
            post.updated or post.published
        ).isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}summary").text = post.summary
        etree.SubElement(entry, f"{{{ATOM}}}content", type="html").text = post.content_html
        for name in post.authors:
            author = etree.SubElement(entry, f"{{{ATOM}}}author")
            etree.SubElement(author, f"{{{ATOM}}}name").text = name
        for category in post.categories:
            etree.SubElement(entry, f"{{{ATOM}}}category", term=category)
        _itc(entry, post)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
