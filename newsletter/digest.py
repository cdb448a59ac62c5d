"""The digest: which posts go in which section (pure), and the e-mail built from it.

Selection and layout are pure functions of the entries; rendering uses Jinja2 templates with
autoescape for HTML, css-inline for mail clients, and the ``email`` package for MIME.
"""

from __future__ import annotations

import binascii
import email.policy
import email.utils
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from markupsafe import escape

from newsletter.feed import Entry

if TYPE_CHECKING:  # imported where used: a run that ends with HTTP 304 renders nothing
    import css_inline
    import jinja2
from newsletter.headers import header_safe, unsubscribe_token
from newsletter.links import Links
from newsletter.notices import Selected
from newsletter.tokens import Purpose
from newsletter.topics import Vocabulary
from swedish.dates import STOCKHOLM, format_date, format_window

LIST_NAME = "Nytt från IT"
UNCATEGORISED = "Övrigt"
DEFAULT_MAX_POSTS = 30

POLICY = email.policy.SMTP.clone(max_line_length=78)


@dataclass(frozen=True)
class Item:
    """An entry with the Swedish texts the templates show, and its place in the digest."""

    entry: Entry
    anchor: str
    """Fragment id of the post in the HTML, for the links from the top of the digest."""
    date_text: str
    window_text: str = ""
    action_text: str = ""
    changes: tuple[str, ...] = ()
    """For "Ändrat": what changed since the subscriber was last sent the post."""


@dataclass(frozen=True)
class Highlight:
    """A line at the top of the digest that links down to the post it is about."""

    label: str
    """E.g. "Åtgärd krävs" or "Avbrott"."""
    text: str
    item: Item


@dataclass(frozen=True)
class Section:
    """A titled group of posts; each post is in exactly one section of a digest."""

    name: str
    items: tuple[Item, ...]
    kind: str = "category"
    """What groups the posts: the templates draw every kind alike.

    Besides categories of news: ``changed`` ("Ändrat"), ``reminder`` ("Påminnelse") and
    ``soon`` ("Snart"), posts sent before that come back (newsletter.notices).
    """


@dataclass(frozen=True)
class Digest:
    """What one subscriber gets from one edition."""

    year: int
    week: int
    items: tuple[Item, ...]
    """The posts shown, each once."""
    highlights: tuple[Highlight, ...]
    sections: tuple[Section, ...]
    more: int = 0
    """Posts left out for the size limit; the digest links to the news page instead."""
    more_url: str | None = None

    @property
    def total(self) -> int:
        """Posts the subscriber has news of, shown or not."""
        return len(self.items) + self.more

    def _count(self, *kinds: str) -> int:
        return sum(len(s.items) for s in self.sections if s.kind in kinds)

    @property
    def counts(self) -> str:
        """E.g. "3 nyheter", "1 påminnelse", "2 nyheter, 1 ändring"."""
        parts = [(self.total, "nyhet", "nyheter"),
                 (self._count("reminder", "soon"), "påminnelse", "påminnelser"),
                 (self._count("changed"), "ändring", "ändringar")]
        shown = [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]
        return ", ".join(shown) or "0 nyheter"

    @property
    def subject(self) -> str:
        """E.g. "Nytt från IT: 3 nyheter, vecka 48"."""
        return f"{LIST_NAME}: {self.counts}, vecka {self.week}"


@dataclass(frozen=True)
class Recipient:
    """Who a digest is for."""

    subscriber_id: int
    email: str
    name: str = ""
    token_key: str = ""  # part of the signed links (see newsletter.tokens)


@dataclass(frozen=True)
class MailSettings:
    """Everything about the list that is the same in every message."""

    sender: Address
    install_id: str
    list_id: str
    unsubscribe_mailto: str
    unsubscribe_url: str | None = None
    unsubscribe_secret: str | None = None
    links: Links | None = None
    """The subscription service (``NEWSLETTER_PUBLIC_URL``): manage and one-click links."""
    max_posts: int = DEFAULT_MAX_POSTS
    news_url: str | None = None
    """Where the digest sends readers for the posts it leaves out."""

    @property
    def has_unsubscribe_link(self) -> bool:
        """Whether messages carry an https one-click unsubscribe link."""
        return bool(self.links or self.unsubscribe_url)

    @property
    def one_click(self) -> bool:
        """Whether List-Unsubscribe-Post announces one-click: RFC 8058 allows it over https only.

        A trial service on ``http://127.0.0.1`` still gets its link, without the announcement.
        """
        if self.links is not None:
            return self.links.public_url.startswith("https://")
        return bool(self.unsubscribe_url)  # settings accept only https:// here

    def unsubscribe_link(self, recipient: Recipient) -> str | None:
        """The https link with a signed token, when the service or a URL is configured."""
        if self.links is not None:
            return self.links.link(Purpose.UNSUBSCRIBE, recipient.subscriber_id,
                                   recipient.token_key)
        if not self.unsubscribe_url:
            return None
        token = unsubscribe_token(self.unsubscribe_secret or "", recipient.subscriber_id)
        separator = "&" if "?" in self.unsubscribe_url else "?"
        return f"{self.unsubscribe_url}{separator}token={token}"

    def manage_link(self, recipient: Recipient) -> str | None:
        """The link to the page where the subscriber changes topics, pauses or leaves."""
        if self.links is None:
            return None
        return self.links.link(Purpose.MANAGE, recipient.subscriber_id, recipient.token_key)

    @property
    def unsubscribe_mailto_uri(self) -> str:
        """A mailto link that unsubscribes whoever sends it."""
        return f"mailto:{self.unsubscribe_mailto}?subject=Avsluta%20prenumeration"


def first_name(name: str) -> str:
    """The name to greet: "Anna" for "Anna Åström" and for Excel's "Åström, Anna"."""
    family, comma, given = name.partition(",")
    words = (given if comma and given.strip() else family).split()
    return words[0] if words else ""


def _action_ahead(entry: Entry, today: date) -> bool:
    return entry.action is not None and (entry.action.by is None or entry.action.by >= today)


def _outage_ahead(entry: Entry, when: datetime, cancelled: str | None) -> bool:
    window = entry.window
    if window is None or (cancelled is not None and entry.status == cancelled):
        return False
    return (window.end or window.start) > when


def _item(entry: Entry, anchor: str) -> Item:
    action = ""
    if entry.action is not None:
        action = entry.action.what
        if entry.action.by is not None:
            action = f"Senast {format_date(entry.action.by)}: {action}"
    window = format_window(entry.window.start, entry.window.end) if entry.window else ""
    return Item(entry, anchor, format_date(entry.published), window, action)


def _category_rank(order: tuple[str, ...]) -> Callable[[str], tuple[int, str]]:
    def rank(name: str) -> tuple[int, str]:
        if name in order:
            return order.index(name), ""
        return len(order) + (name == UNCATEGORISED), name.casefold()
    return rank


def build_digest(
    entries: Iterable[Entry],
    when: datetime,
    vocabulary: Vocabulary | None = None,
    *,
    max_posts: int | None = None,
    more_url: str | None = None,
    notices: Selected | None = None,
) -> Digest:
    """Lay out the digest: each post once, under its first category, newest first.

    Categories come in the feed's order (unknown ones alphabetically, "Övrigt" last).  Posts
    that ask the reader to act or that announce an outage still ahead at ``when`` are
    summarised at the top as links down to them; a passed deadline, an ended or cancelled
    window is news, not a call to act.  With ``max_posts`` the digest keeps those posts first,
    then the newest, and counts the rest in ``more``.  ``notices`` brings back posts sent
    before, in sections above the news: changed ("Ändrat"), deadline near ("Påminnelse"),
    window soon ("Snart").
    """
    vocabulary = vocabulary or Vocabulary()
    today = when.astimezone(STOCKHOLM).date()
    ordered = sorted(entries, key=lambda e: e.published, reverse=True)

    def urgent(entry: Entry) -> bool:
        return _action_ahead(entry, today) or _outage_ahead(entry, when, vocabulary.cancelled)

    more = 0
    if max_posts is not None and len(ordered) > max_posts:
        kept = {id(e) for e in sorted(ordered, key=lambda e: not urgent(e))[:max_posts]}
        more = len(ordered) - max_posts
        ordered = [e for e in ordered if id(e) in kept]
    by_category: dict[str, list[Entry]] = {}
    for entry in ordered:
        name = entry.categories[0] if entry.categories else UNCATEGORISED
        by_category.setdefault(name, []).append(entry)
    sections: list[Section] = []
    items: list[Item] = []
    notices = notices or Selected()
    anchors = 0
    for name, kind, changes, entries_back in (
        ("Ändrat", "changed", [c.lines for c in notices.changes],
         [c.entry for c in notices.changes]),
        ("Påminnelse", "reminder", [()] * len(notices.reminders), list(notices.reminders)),
        ("Snart", "soon", [()] * len(notices.soon), list(notices.soon)),
    ):
        if entries_back:
            back = []
            for lines, entry in zip(changes, entries_back, strict=True):
                anchors += 1
                back.append(replace(_item(entry, f"post-{anchors}"), changes=lines))
            sections.append(Section(name, tuple(back), kind))
    for name in sorted(by_category, key=_category_rank(vocabulary.categories)):
        section = tuple(_item(e, f"post-{anchors + len(items) + n + 1}")
                        for n, e in enumerate(by_category[name]))
        items.extend(section)
        sections.append(Section(name, section))
    actions = sorted(
        (i for i in items if _action_ahead(i.entry, today)),
        key=lambda i: (i.entry.action.by or date.max if i.entry.action else date.max,
                       i.entry.title),
    )
    outages = sorted(
        (i for i in items if _outage_ahead(i.entry, when, vocabulary.cancelled)),
        key=lambda i: i.entry.window.start if i.entry.window else when,
    )
    highlights = (
        *(Highlight("Åtgärd krävs", i.action_text, i) for i in actions),
        *(Highlight("Avbrott", i.window_text, i) for i in outages),
    )
    year, week, _ = when.astimezone(STOCKHOLM).isocalendar()
    return Digest(year, week, tuple(items), highlights, tuple(sections), more,
                  more_url if more else None)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsletter", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    import css_inline

    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


# Stand-ins for each recipient's name and unsubscribe link, random per process so that no feed
# text can contain them: the digest is rendered and inlined once for all who get the same posts.
_MARK = secrets.token_hex(8)
NAME_MARK = f"namn{_MARK}"
LINK_MARK = f"lank{_MARK}"
MANAGE_MARK = f"installningar{_MARK}"
TEXT_BODY_MARK = f"text{_MARK}"
HTML_BODY_MARK = f"html{_MARK}"


@dataclass(frozen=True)
class Rendered:
    """A digest rendered by the templates with marks where each recipient's values go."""

    subject: str
    text: str
    html: str


def render_shared(digest: Digest, settings: MailSettings, *, with_name: bool) -> Rendered:
    """Render and inline a digest once for every recipient with (or without) a name."""
    context = {
        "digest": digest,
        "list_name": LIST_NAME,
        "name": NAME_MARK if with_name else "",
        "more_url": digest.more_url,
        "unsubscribe_link": LINK_MARK if settings.has_unsubscribe_link else None,
        "manage_link": MANAGE_MARK if settings.links else None,
        "unsubscribe_mailto": settings.unsubscribe_mailto,
        "unsubscribe_mailto_uri": settings.unsubscribe_mailto_uri,
    }
    environment = _environment()
    text = environment.get_template("digest.txt").render(context)
    html = environment.get_template("digest.html").render(context)
    return Rendered(digest.subject, text, _inliner().inline(html))


def personalise(
    rendered: Rendered, recipient: Recipient, settings: MailSettings
) -> tuple[str, str]:
    """The text and HTML body for one recipient; values are escaped for HTML as Jinja would."""
    name = first_name(recipient.name)
    link = settings.unsubscribe_link(recipient) or ""
    manage = settings.manage_link(recipient) or ""
    text = rendered.text.replace(NAME_MARK, name).replace(LINK_MARK, link).replace(
        MANAGE_MARK, manage
    )
    html = rendered.html.replace(NAME_MARK, str(escape(name))).replace(
        LINK_MARK, str(escape(link))
    ).replace(MANAGE_MARK, str(escape(manage)))
    return text, html


def render(digest: Digest, recipient: Recipient, settings: MailSettings) -> tuple[str, str]:
    """The plain-text and the HTML body (CSS inlined) of a digest for one recipient."""
    shared = render_shared(digest, settings, with_name=bool(recipient.name))
    return personalise(shared, recipient, settings)


def message_id(settings: MailSettings, edition_id: int, subscriber_id: int) -> str:
    """The same for every attempt at the same delivery, so that a resend can be recognised."""
    domain = settings.sender.domain or "localhost"
    return f"<nyhetsbrev.{edition_id}.{subscriber_id}.{settings.install_id}@{domain}>"


def _quoted_printable(content: str) -> bytes:
    # binascii's encoder is C; the email package's own is Python and was most of the time
    # spent per message.  CRLF input makes it emit CRLF lines and "=\r\n" soft breaks.
    crlf = content.replace("\r\n", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(crlf.encode("utf-8"), istext=True).rstrip(b"\r\n")


class _EncodedBody:
    """A body quoted-printable encoded once for every recipient, but for its personal lines.

    Quoted-printable encodes each line on its own, so the lines without a recipient's values
    are encoded here once and only the few with a mark are encoded per message: a digest is
    hundreds of lines and the greeting and the links are three.
    """

    def __init__(self, content: str, marks: tuple[str, ...]) -> None:
        # Runs of shared lines become one encoded chunk; personal lines stay text.
        self.parts: list[bytes | str] = []
        shared: list[bytes] = []
        for line in content.replace("\r\n", "\n").split("\n"):
            if any(mark in line for mark in marks):
                if shared:
                    self.parts.append(b"\r\n".join(shared))
                    shared = []
                self.parts.append(line)
            else:
                shared.append(_quoted_printable_line(line))
        if shared:
            self.parts.append(b"\r\n".join(shared))

    def encode(self, values: dict[str, str]) -> bytes:
        """The encoded body with each mark replaced by its value."""
        encoded = []
        for part in self.parts:
            if isinstance(part, str):
                for mark, value in values.items():
                    part = part.replace(mark, value)
                part = _quoted_printable_line(part)  # values are single lines
            encoded.append(part)
        return b"\r\n".join(encoded).rstrip(b"\r\n")


def _quoted_printable_line(line: str) -> bytes:
    # With its CRLF the encoder makes any soft breaks "=\r\n", as for the whole body.
    return binascii.b2a_qp((line + "\r\n").encode("utf-8"), istext=True)[:-2]


def _unsubscribe_header(links: list[str]) -> bytes:
    # Folded by hand between the <...> items: the email package would turn a long URL into
    # RFC 2047 encoded words, which no mail client reads in this header.
    for link in links:
        if not link.isascii() or any(c in link for c in "<>, \t\r\n"):
            raise ValueError(f"unsafe List-Unsubscribe link: {link!r}")
    return b"List-Unsubscribe: " + ",\r\n ".join(f"<{link}>" for link in links).encode() + b"\r\n"


def _to_header(name: str, address: str) -> bytes:
    # The email package's header classes cost a quarter of a millisecond per address; these
    # helpers encode the name as RFC 2047 words (split at 75 characters) and quote specials.
    address = header_safe(address)
    if not address.isascii() or any(c in address for c in '<>" ,'):
        raise ValueError(f"unsafe address: {address!r}")
    name = header_safe(name)
    if not name:
        return f"To: {address}\r\n".encode("ascii")
    if name.isascii():
        return f"To: {email.utils.formataddr((name, address))}\r\n".encode("ascii")
    words = Header(name, "utf-8", header_name="To").encode(linesep="\r\n")
    if "\r\n" in words:
        # A long name needs several encoded words; some readers show a space between them, so
        # leave this rare case to the email package, which splits at the name's own spaces.
        to = Address(name, addr_spec=address)
        return POLICY.fold_binary("To", POLICY.header_factory("To", str(to)))
    return f"To: {words} <{address}>\r\n".encode("ascii")


@lru_cache(maxsize=4)
def _date_header(timestamp: int) -> bytes:
    # The same second for hundreds of messages: formatted once.
    moment = datetime.fromtimestamp(timestamp, STOCKHOLM)
    return _header("Date", email.utils.format_datetime(moment))


@lru_cache(maxsize=64)
def _header(name: str, value: str) -> bytes:
    return POLICY.fold_binary(name, POLICY.header_factory(name, value))


class MessageTemplate:
    """One digest's message, built by the email package once for everybody who gets it.

    Each recipient's copy adds the personal headers (To, Date, Message-ID, List-Unsubscribe)
    and puts their quoted-printable bodies where the template has marks.  The boundary the
    email package chose cannot occur in a body: quoted-printable writes every "=" as "=3D".
    """

    def __init__(self, rendered: Rendered, settings: MailSettings) -> None:
        self.rendered = rendered
        self.settings = settings
        skeleton = EmailMessage(policy=POLICY)
        skeleton["From"] = settings.sender
        skeleton["Subject"] = header_safe(rendered.subject)
        skeleton["List-Id"] = f"{LIST_NAME} <{header_safe(settings.list_id)}>"
        if settings.one_click:
            skeleton["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        skeleton["Auto-Submitted"] = "auto-generated"
        skeleton["Precedence"] = "list"
        skeleton["MIME-Version"] = "1.0"
        skeleton["Content-Type"] = "multipart/alternative"
        for subtype, mark in (("plain", TEXT_BODY_MARK), ("html", HTML_BODY_MARK)):
            part = EmailMessage(policy=POLICY)
            part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
            part["Content-Transfer-Encoding"] = "quoted-printable"
            part.set_payload(mark)
            skeleton.attach(part)
        self.head, self.body = skeleton.as_bytes().split(b"\r\n\r\n", 1)
        marks = (NAME_MARK, LINK_MARK, MANAGE_MARK)
        self._text = _EncodedBody(rendered.text, marks)
        self._html = _EncodedBody(rendered.html, marks)

    def message(self, recipient: Recipient, edition_id: int, now: datetime) -> bytes:
        """The complete message for one recipient, CRLF line ends, ready for SMTP."""
        settings = self.settings
        name = first_name(recipient.name)
        https_link = settings.unsubscribe_link(recipient)
        manage = settings.manage_link(recipient) or ""
        text = self._text.encode(
            {NAME_MARK: name, LINK_MARK: https_link or "", MANAGE_MARK: manage})
        html = self._html.encode({NAME_MARK: str(escape(name)),
                                  LINK_MARK: str(escape(https_link or "")),
                                  MANAGE_MARK: str(escape(manage))})
        links = [settings.unsubscribe_mailto_uri]
        if https_link:
            links.insert(0, https_link)
        personal = b"".join((
            _to_header(recipient.name, recipient.email),
            _date_header(int(now.timestamp())),
            b"Message-ID: %s\r\n"
            % message_id(settings, edition_id, recipient.subscriber_id).encode("ascii"),
            _unsubscribe_header(links),
        ))
        body = self.body.replace(TEXT_BODY_MARK.encode(), text, 1).replace(
            HTML_BODY_MARK.encode(), html, 1
        )
        return b"".join((personal, self.head, b"\r\n\r\n", body))


def build_message(
    digest: Digest,
    recipient: Recipient,
    settings: MailSettings,
    edition_id: int,
    now: datetime,
) -> bytes:
    """The MIME message: multipart/alternative, text then HTML, both quoted-printable."""
    rendered = render_shared(digest, settings, with_name=bool(recipient.name))
    return MessageTemplate(rendered, settings).message(recipient, edition_id, now)
