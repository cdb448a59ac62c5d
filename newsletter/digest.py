"""The digest: which posts go in which section (pure), and the e-mail built from it.

Selection and layout are pure functions of the entries; rendering uses Jinja2 templates with
autoescape for HTML, css-inline for mail clients, and the ``email`` package for MIME.
"""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import cache

import css_inline
import jinja2
from babel.dates import format_date, format_datetime

from newsletter.feed import STOCKHOLM, Entry
from newsletter.headers import header_safe, unsubscribe_token

LOCALE = "sv_SE"
LIST_NAME = "Nytt från IT"
UNCATEGORISED = "Övrigt"
# Urgent kinds first; other categories follow alphabetically, "Övrigt" last.
CATEGORY_ORDER = ("Driftstörning", "Säkerhet", "Planerad ändring", "Nytt system", "Tips")
EN_DASH = "\u2013"
POLICY = email.policy.SMTP.clone(max_line_length=78)


@dataclass(frozen=True)
class Item:
    """An entry with the Swedish texts the templates show."""

    entry: Entry
    date_text: str
    window_text: str = ""
    action_text: str = ""


@dataclass(frozen=True)
class Section:
    """The news of one category."""

    name: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    """What one subscriber gets from one edition."""

    year: int
    week: int
    items: tuple[Item, ...]
    actions: tuple[Item, ...]
    outages: tuple[Item, ...]
    sections: tuple[Section, ...]

    @property
    def subject(self) -> str:
        """E.g. "Nytt från IT: 3 nyheter, vecka 48"."""
        count = len(self.items)
        noun = "nyhet" if count == 1 else "nyheter"
        return f"{LIST_NAME}: {count} {noun}, vecka {self.week}"


@dataclass(frozen=True)
class Recipient:
    """Who a digest is for."""

    subscriber_id: int
    email: str
    name: str = ""


@dataclass(frozen=True)
class MailSettings:
    """Everything about the list that is the same in every message."""

    sender: Address
    install_id: str
    list_id: str
    unsubscribe_mailto: str
    unsubscribe_url: str | None = None
    unsubscribe_secret: str | None = None

    def unsubscribe_link(self, subscriber_id: int) -> str | None:
        """The https link with a signed token, when a URL is configured."""
        if not self.unsubscribe_url:
            return None
        token = unsubscribe_token(self.unsubscribe_secret or "", subscriber_id)
        separator = "&" if "?" in self.unsubscribe_url else "?"
        return f"{self.unsubscribe_url}{separator}token={token}"

    @property
    def unsubscribe_mailto_uri(self) -> str:
        """A mailto link that unsubscribes whoever sends it."""
        return f"mailto:{self.unsubscribe_mailto}?subject=Avsluta%20prenumeration"


def format_day(value: date) -> str:
    """"4 december 2026"."""
    return format_date(value, "d MMMM y", locale=LOCALE)


def format_window(start: datetime, end: datetime | None) -> str:
    """E.g. "lördag 5 december 2026 kl. 18:00 - söndag 6 december kl. 06:00" (with an en dash).

    Always in Swedish time, whatever offset the feed used.
    """
    begin = format_datetime(start, "EEEE d MMMM y 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    if end is None:
        return begin
    if start.astimezone(STOCKHOLM).date() == end.astimezone(STOCKHOLM).date():
        return f"{begin}{EN_DASH}{format_datetime(end, 'HH:mm', tzinfo=STOCKHOLM, locale=LOCALE)}"
    finish = format_datetime(end, "EEEE d MMMM 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    return f"{begin} {EN_DASH} {finish}"


def _item(entry: Entry) -> Item:
    action = ""
    if entry.action is not None:
        action = entry.action.what
        if entry.action.by is not None:
            action = f"Senast {format_day(entry.action.by)}: {action}"
    window = format_window(entry.window.start, entry.window.end) if entry.window else ""
    return Item(entry, format_day(entry.published.astimezone(STOCKHOLM).date()), window, action)


def _category_rank(name: str) -> tuple[int, str]:
    if name in CATEGORY_ORDER:
        return CATEGORY_ORDER.index(name), ""
    return len(CATEGORY_ORDER) + (name == UNCATEGORISED), name.casefold()


def build_digest(entries: Iterable[Entry], when: datetime) -> Digest:
    """Lay out the digest: actions soonest first, outages by start, then news by category.

    Each post is listed once under its first category; the first two sections repeat the
    posts that need the reader to act or that interrupt a service.
    """
    items = tuple(_item(e) for e in sorted(entries, key=lambda e: e.published, reverse=True))
    actions = sorted(
        (i for i in items if i.entry.action),
        key=lambda i: (i.entry.action.by or date.max if i.entry.action else date.max,
                       i.entry.title),
    )
    outages = sorted(
        (i for i in items if i.entry.window),
        key=lambda i: i.entry.window.start if i.entry.window else when,
    )
    by_category: dict[str, list[Item]] = {}
    for item in items:
        name = item.entry.categories[0] if item.entry.categories else UNCATEGORISED
        by_category.setdefault(name, []).append(item)
    sections = tuple(
        Section(name, tuple(by_category[name])) for name in sorted(by_category, key=_category_rank)
    )
    year, week, _ = when.astimezone(STOCKHOLM).isocalendar()
    return Digest(year, week, items, tuple(actions), tuple(outages), sections)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsletter", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render(digest: Digest, recipient: Recipient, settings: MailSettings) -> tuple[str, str]:
    """The plain-text and the HTML body (CSS inlined) of a digest for one recipient."""
    context = {
        "digest": digest,
        "list_name": LIST_NAME,
        "name": recipient.name,
        "unsubscribe_link": settings.unsubscribe_link(recipient.subscriber_id),
        "unsubscribe_mailto": settings.unsubscribe_mailto,
        "unsubscribe_mailto_uri": settings.unsubscribe_mailto_uri,
    }
    environment = _environment()
    text = environment.get_template("digest.txt").render(context)
    html = environment.get_template("digest.html").render(context)
    return text, _inliner().inline(html)


def message_id(settings: MailSettings, edition_id: int, subscriber_id: int) -> str:
    """The same for every attempt at the same delivery, so that a resend can be recognised."""
    domain = settings.sender.domain or "localhost"
    return f"<nyhetsbrev.{edition_id}.{subscriber_id}.{settings.install_id}@{domain}>"


def build_message(
    digest: Digest,
    recipient: Recipient,
    settings: MailSettings,
    edition_id: int,
    now: datetime,
) -> EmailMessage:
    """The MIME message: multipart/alternative, text then HTML, both quoted-printable."""
    text, html = render(digest, recipient, settings)
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.sender
    message["To"] = Address(header_safe(recipient.name), addr_spec=header_safe(recipient.email))
    message["Subject"] = header_safe(digest.subject)
    message["Date"] = email.utils.format_datetime(now.astimezone(STOCKHOLM))
    message["Message-ID"] = message_id(settings, edition_id, recipient.subscriber_id)
    message["List-Id"] = f"{LIST_NAME} <{header_safe(settings.list_id)}>"
    links = [f"<{settings.unsubscribe_mailto_uri}>"]
    https_link = settings.unsubscribe_link(recipient.subscriber_id)
    if https_link:
        links.insert(0, f"<{header_safe(https_link)}>")
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Unsubscribe"] = ", ".join(links)
    message["Auto-Submitted"] = "auto-generated"
    message["Precedence"] = "list"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message

