"""The feed boundary: bytes of an RSS 2.0 or Atom 1.0 feed become frozen, time-zone-aware entries.

Nothing past this module sees feedparser's dictionaries.  The change metadata lives in the
``urn:kommun:it-change:1`` namespace with the prefix ``itc``, which feedparser exposes as
``entry["itc_<name>"]``.  The site's vocabulary (categories in their order, audiences, the
audience meaning everyone, the statuses by role) is at channel level in the same namespace
(:class:`Channel`): nothing here or downstream hard-codes any of it.

Only http(s) links reach a digest: a post link with any other scheme (``javascript:``,
``data:``, ``file:``) is dropped with a warning naming the post.  Relative links resolve against
the feed's real address: where it was fetched from, or for a local file the address the feed
gives itself (``atom:link rel="self"``, else its home page).
"""

from __future__ import annotations

import calendar
import html
import io
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from newsletter.errors import FeedError
from swedish.dates import STOCKHOLM

log = logging.getLogger(__name__)

WEB_SCHEMES = ("http", "https")
# Schemes an nh3-cleaned post body may link to: the web, and contact addresses.
_BODY_SCHEMES = {"http", "https", "mailto"}

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Window:
    """When a planned change interrupts a service."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class Action:
    """What readers must do, and by when."""

    what: str
    by: date | None = None


@dataclass(frozen=True)
class Entry:
    """One post of the feed, as the digest needs it."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str = ""
    content_html: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: str | None = None
    audiences: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    window: Window | None = None
    action: Action | None = None
    topics: frozenset[str] = field(init=False, repr=False, compare=False)
    # The keys of categories and audiences apart, as each subscriber's choices are matched
    # against them (computed once here, not once per subscriber).
    category_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    audience_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        categories = frozenset(topic_key(t) for t in self.categories)
        audiences = frozenset(topic_key(t) for t in self.audiences)
        object.__setattr__(self, "category_keys", categories)
        object.__setattr__(self, "audience_keys", audiences)
        object.__setattr__(self, "topics", categories | audiences)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, the inverse of :meth:`from_json` (the database stores entries so)."""
        return {
            "id": self.id,
            "title": self.title,
            "link": self.link,
            "published": self.published.isoformat(),
            "updated": self.updated.isoformat(),
            "summary": self.summary,
            "content_html": self.content_html,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "status": self.status,
            "audiences": list(self.audiences),
            "services": list(self.services),
            "window": None
            if self.window is None
            else {
                "start": self.window.start.isoformat(),
                "end": self.window.end.isoformat() if self.window.end else None,
            },
            "action": None
            if self.action is None
            else {
                "what": self.action.what,
                "by": self.action.by.isoformat() if self.action.by else None,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        """Rebuild an entry stored by :meth:`to_json`."""
        window = data.get("window")
        action = data.get("action")
        return cls(
            id=data["id"],
            title=data["title"],
            link=data["link"],
            published=datetime.fromisoformat(data["published"]),
            updated=datetime.fromisoformat(data["updated"]),
            summary=data.get("summary", ""),
            content_html=data.get("content_html", ""),
            authors=tuple(data.get("authors", ())),
            categories=tuple(data.get("categories", ())),
            status=data.get("status"),
            audiences=tuple(data.get("audiences", ())),
            services=tuple(data.get("services", ())),
            window=None
            if not window
            else Window(
                start=datetime.fromisoformat(window["start"]),
                end=datetime.fromisoformat(window["end"]) if window.get("end") else None,
            ),
            action=None
            if not action
            else Action(
                what=action["what"],
                by=date.fromisoformat(action["by"]) if action.get("by") else None,
            ),
        )


def topic_key(name: str) -> str:
    """The form in which topic, category and audience names are compared."""
    return _WHITESPACE.sub(" ", name).strip().casefold()


def clean_text(value: str) -> str:
    """One line of plain text: control characters (CR, LF, NUL, ...) become spaces."""
    if value.isprintable() and "  " not in value:
        # No control character and no whitespace but single spaces (str.isprintable is
        # false for both): most names and titles, at a tenth of the cost of the two subs.
        return value.strip()
    return _WHITESPACE.sub(" ", _CONTROL_CHARS.sub(" ", value)).strip()


def html_to_text(value: str) -> str:
    """Plain text of untrusted HTML: every tag dropped by nh3, entities decoded."""
    import nh3

    return clean_text(html.unescape(nh3.clean(value, tags=set())))


@dataclass(frozen=True)
class Channel:
    """What the feed says about itself: its home page and the site's vocabulary."""

    home: str | None = None
    categories: tuple[str, ...] = ()
    """In the order the site lists them, which is the order a digest shows them in."""
    audiences: tuple[str, ...] = ()
    everyone: str | None = None
    """The audience that means everybody, if the site has one."""
    statuses: tuple[tuple[str, str], ...] = ()
    """(role, value) pairs: planned, ongoing, done, cancelled."""

    @property
    def cancelled(self) -> str | None:
        """The status of a change that will not happen."""
        return dict(self.statuses).get("cancelled")

    @property
    def has_vocabulary(self) -> bool:
        """False for a feed from before the site published its vocabulary."""
        return bool(self.categories or self.audiences)


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed: its channel and its entries."""

    channel: Channel
    entries: list[Entry]


def parse_feed(body: bytes, url: str = "") -> list[Entry]:
    """The entries of an RSS 2.0 or Atom 1.0 feed (see :func:`read_feed`)."""
    return read_feed(body, url).entries


def read_feed(body: bytes, url: str = "") -> FeedDocument:
    """Parse an RSS 2.0 or Atom 1.0 feed fetched from ``url`` (``file:`` for a local file).

    Raises :class:`FeedError` for an empty body, a malformed or truncated feed, or a document
    that is no feed at all (an HTML error page).  A valid feed without items has no entries.
    """
    if not body.strip():
        raise FeedError(f"empty response instead of a feed: {url or '<bytes>'}")
    local = not is_web_url(url)
    # Imported here: a run that ends with HTTP 304 never parses, and starts faster without it.
    import feedparser

    # feedparser flags these as bozo although the entries it returns are complete; an HTML
    # page served as text/html is caught by its missing feed version instead.
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    parsed = feedparser.parse(
        io.BytesIO(body),
        # A file's path is no base for the site's links: those resolve below, against the
        # address the feed gives itself.
        response_headers=None if local else {"content-location": url},
        sanitize_html=False,  # we sanitise ourselves, with nh3
        resolve_relative_uris=True,
    )
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(exc, harmless):
        raise FeedError(f"malformed feed {url or '<bytes>'}: {exc}") from exc
    if not parsed.get("version"):
        raise FeedError(f"not an RSS or Atom feed (an HTML page?): {url or '<bytes>'}")
    channel = _channel(parsed.feed)
    base = url if not local else _self_link(parsed.feed) or channel.home or url
    entries = []
    for raw in parsed.entries:
        entry = _entry(raw, base)
        if entry is not None:
            entries.append(entry)
    return FeedDocument(channel, entries)


def is_web_url(value: str | None) -> bool:
    """An absolute http(s) address with a host."""
    if not value:
        return False
    parts = urlsplit(value)
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def _self_link(feed: Any) -> str | None:
    for link in feed.get("links", []):
        if link.get("rel") == "self" and is_web_url(link.get("href")):
            return str(link["href"])
    return None


def _channel(feed: Any) -> Channel:
    home = feed.get("link")
    statuses = feed.get("itc_statuses")
    return Channel(
        home=home if is_web_url(home) else None,
        categories=_split(feed.get("itc_categories")),
        audiences=_split(feed.get("itc_audiences")),
        everyone=clean_text(feed["itc_everyone"]) or None
        if isinstance(feed.get("itc_everyone"), str) else None,
        statuses=tuple((clean_text(k), clean_text(v)) for k, v in statuses.items()
                       if isinstance(v, str)) if isinstance(statuses, dict) else (),
    )


def _link(entry_id: str, title: str, value: str, base: str) -> str:
    if not value:
        return ""
    link = urljoin(base, value) if base else value
    if is_web_url(link):
        return link
    log.warning("post %r (%s): link %r dropped: only http(s) links go into a digest",
                title, entry_id, value)
    return ""


def _entry(raw: Any, base: str) -> Entry | None:
    entry_id = clean_text(raw.get("id") or raw.get("link") or "")
    if not entry_id:
        log.warning("skipping a feed item without id or link: %r", raw.get("title"))
        return None
    # dict.get: FeedParserDict.get maps a missing updated_parsed to published_parsed and warns.
    updated = _timestamp(dict.get(raw, "updated_parsed"))
    published = _timestamp(dict.get(raw, "published_parsed")) or updated
    if published is None:
        log.warning("skipping feed item %s: it has no date", entry_id)
        return None
    content = raw.get("content") or []
    import nh3

    content_html = nh3.clean(content[0].get("value", ""), url_schemes=_BODY_SCHEMES,
                             link_rel="noopener noreferrer") if content else ""
    summary = _text(raw, "summary") or _first_words(html_to_text(content_html))
    # feedparser says whether the title is HTML (RSS) or text (Atom type="text").
    title = _text(raw, "title") or "(utan rubrik)"
    return Entry(
        id=entry_id,
        title=title,
        link=_link(entry_id, title, clean_text(raw.get("link", "")), base),
        published=published,
        updated=updated or published,
        summary=summary,
        content_html=content_html,
        authors=tuple(
            clean_text(a["name"]) for a in raw.get("authors", []) if a.get("name")
        ),
        categories=tuple(
            clean_text(t["term"]) for t in raw.get("tags", []) if t.get("term")
        ),
        status=clean_text(raw["itc_status"]) if raw.get("itc_status") else None,
        audiences=_split(raw.get("itc_audience")),
        services=_split(raw.get("itc_services")),
        window=_window(entry_id, raw.get("itc_window")),
        action=_action(entry_id, raw.get("itc_action")),
    )


def _text(raw: Any, key: str) -> str:
    # Atom's type="text" (and feedparser's guess for RSS) arrive as plain text, in which
    # "<Word>" is a word, not a tag; only HTML is stripped of its markup.
    value = raw.get(key, "")
    detail = raw.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return clean_text(value)
    return html_to_text(value)


def _timestamp(parsed: time.struct_time | None) -> datetime | None:
    # feedparser's *_parsed tuples are UTC: timegm, never mktime (which assumes local time).
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _split(value: Any) -> tuple[str, ...]:
    if not isinstance(value, str):
        return ()
    return tuple(part for part in (clean_text(p) for p in value.split(";")) if part)


def _rfc3339(entry_id: str, value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        log.warning("feed item %s: %r is not an RFC 3339 time", entry_id, value)
        return None
    if parsed.tzinfo is None:
        log.warning("feed item %s: %r has no offset; taken as Swedish time", entry_id, value)
        parsed = parsed.replace(tzinfo=STOCKHOLM)
    return parsed


def _window(entry_id: str, value: Any) -> Window | None:
    if not isinstance(value, dict):
        return None
    start = _rfc3339(entry_id, value.get("start"))
    if start is None:
        return None
    return Window(start=start, end=_rfc3339(entry_id, value.get("end")))


def _action(entry_id: str, value: Any) -> Action | None:
    if not isinstance(value, dict) or not value.get("what"):
        return None
    by = None
    if value.get("by"):
        try:
            by = date.fromisoformat(value["by"].strip()[:10])
        except ValueError:
            log.warning("feed item %s: action date %r is not a date", entry_id, value["by"])
    return Action(what=clean_text(value["what"]), by=by)


def _first_words(text: str, limit: int = 300) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"
