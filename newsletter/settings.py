"""Every setting of the newsletter, read from the environment and checked in one place.

Commands call :func:`load` before they fetch or send anything, so that a cron job with a bad
setting stops at once instead of at the first message.  Each problem is one line naming the
variable, its value and what is allowed; all problems are reported together (exit 8).

To add a setting: a field on :class:`Settings` and one line in :func:`load` using a reader
method of :class:`_Reader` (or a new one that calls :meth:`_Reader.fail`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlsplit

from newsletter.digest import LIST_NAME
from newsletter.errors import ConfigError, SubscriberError
from newsletter.links import Links, checked_public_url, secrets_from_env
from newsletter.subscribers import normalise_address
from newsletter.tokens import Signer
from newsletter.transports.choice import TransportSettings

DEFAULT_FROM = f"{LIST_NAME} <nyhetsbrev@example.invalid>"
DEFAULT_HTTP_TIMEOUT = 30.0
MAX_HTTP_TIMEOUT = 3600.0
DEFAULT_MAX_POSTS = 30
DEFAULT_RETRY_PERIOD = timedelta(days=3)
DEFAULT_REMINDER_DAYS = 7
MIN_SECRET_LENGTH = 16

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_LIST_ID = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Characters that would end or split a <...> item of List-Unsubscribe, or a header line.
_URL_UNSAFE = re.compile(r"[\s<>,\"'\\^`{|}\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Settings:
    """The checked settings of one command."""

    transport: TransportSettings
    """SMTP, Microsoft Graph or the outbox folder, checked by the transports' own readers."""
    sender: Address
    list_id: str
    unsubscribe_mailto: str
    unsubscribe_url: str | None
    """Always ``https://``: the one-click headers (RFC 8058) are sent only with it."""
    unsubscribe_secret: str | None
    http_timeout: float
    """Seconds for the whole fetch of the feed, retries and slow bodies included."""
    max_posts: int
    """Posts in one digest at most; the rest are a link to the news page."""
    retry_period: timedelta
    """How long a deferred delivery is retried before it fails."""
    news_url: str | None
    """Where "more news" links go; None: the feed's own home page."""
    links: Links | None = None
    """The subscription service (``NEWSLETTER_PUBLIC_URL``) and its link signer."""
    signer: Signer | None = None
    """Checks signed links (also old unsubscribe tokens); None without a secret."""
    allowed_domains: tuple[str, ...] = ()
    """Domains the web form accepts addresses of; empty: any."""
    proxy_hops: int = 0
    """Reverse proxies in front of ``newsletter serve`` whose X-Forwarded-* are trusted."""
    site_url: str | None = None
    """The intranet, linked from the service's pages (``SITE_URL``)."""
    reminder_days: int = DEFAULT_REMINDER_DAYS
    """Days before a deadline ("Påminnelse") or a window ("Snart") a post comes back; 0: never."""


class _Reader:
    """Reads variables from ``env`` and collects one line per problem."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def fail(self, name: str, value: str, allowed: str) -> None:
        self.problems.append(f"{name}={value!r} is not valid: {allowed}")

    def text(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low < value <= high):
            self.fail(name, raw, f"a number of seconds above {low:g} and at most {high:g}")
            return default
        return value

    def integer(self, name: str, default: int, low: int, high: int, what: str) -> int:
        raw = self.text(name)
        if not raw:
            return default
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not raw.isdecimal() or not low <= int(raw) <= high:
            self.fail(name, raw, f"{what}, a whole number from {low} to {high}")
            return default
        return int(raw)

    def duration(self, name: str, default: timedelta, high: timedelta) -> timedelta:
        raw = self.text(name)
        if not raw:
            return default
        match = _DURATION.fullmatch(raw.lower())
        try:
            value = (
                timedelta(seconds=float(match[1]) * _UNITS[match[2]]) if match else timedelta(0)
            )
        except OverflowError:  # "999999999999999999999d": beyond what timedelta holds
            value = timedelta.max
        if not timedelta(0) < value <= high:
            self.fail(name, raw, f"a duration such as 3d, 36h or 90m, at most {high.days} days")
            return default
        return value

    def address(self, name: str, raw: str) -> str | None:
        try:
            return normalise_address(raw)
        except SubscriberError:
            self.fail(name, raw, "a plain e-mail address such as it-nyheter@kommun.se")
            return None

    def https_url(self, name: str) -> str | None:
        raw = self.text(name)
        if not raw:
            return None
        parts = urlsplit(raw) if raw.isascii() and not _URL_UNSAFE.search(raw) else None
        if (
            parts is None
            or parts.scheme != "https"
            or not _HOST.fullmatch(parts.hostname or "")
            or parts.fragment
        ):
            self.fail(name, raw, "an https:// address in ASCII without spaces, quotes, commas"
                      " or #fragment (RFC 8058 one-click needs https)")
            return None
        return raw

    def http_url(self, name: str) -> str | None:
        raw = self.text(name)
        if not raw:
            return None
        parts = urlsplit(raw) if raw.isascii() and not _URL_UNSAFE.search(raw) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(name, raw, "an http:// or https:// address without spaces")
            return None
        return raw


def _transport(read: _Reader) -> TransportSettings:
    # The transports own their settings (SMTP, Microsoft 365); their problems join ours.
    try:
        return TransportSettings.from_env(read.env)
    except ConfigError as exc:
        read.problems.extend(str(exc).splitlines())
        return TransportSettings("outbox")


def _sender(read: _Reader, value: str | None, transport: TransportSettings) -> Address:
    name = "NEWSLETTER_FROM (--from)"
    if transport.needs_sender and not value:
        read.fail(name, "", f"set when sending over {transport.kind}, e.g."
                  " 'Nytt från IT <it@kommun.se>'")
    display, raw = parseaddr(value or DEFAULT_FROM)
    if any(ord(c) < 32 or c == "\x7f" for c in value or ""):
        read.fail(name, value or "", "a name and address on one line")
    address = read.address(name, raw) if raw else None
    if address is None:
        if not raw:
            read.fail(name, value or "", "an address such as 'Nytt från IT <it@kommun.se>'")
        address = "nyhetsbrev@example.invalid"
    local, _, domain = address.partition("@")
    return Address(display.strip() or LIST_NAME, local, domain)


def load(env: Mapping[str, str], *, sender: str | None = None) -> Settings:
    """Read and check every setting; :class:`ConfigError` lists each problem on its own line.

    ``sender`` is the ``--from`` option when given (it defaults to ``NEWSLETTER_FROM``).
    """
    read = _Reader(env)
    transport = _transport(read)
    from_address = _sender(read, sender if sender is not None else env.get("NEWSLETTER_FROM"),
                           transport)
    url = read.https_url("NEWSLETTER_UNSUBSCRIBE_URL")
    # NEWSLETTER_UNSUBSCRIBE_SECRET is the older name; when both are set, links signed with
    # the older one (in mail already sent) keep unsubscribing.
    secret_value, older_secrets = secrets_from_env(env)
    secret = secret_value or None
    for name in ("NEWSLETTER_SECRET", "NEWSLETTER_UNSUBSCRIBE_SECRET"):
        value = env.get(name) or ""
        if value and len(value) < MIN_SECRET_LENGTH:
            read.fail(name, "*" * len(value),
                      f"at least {MIN_SECRET_LENGTH} characters (it signs the links in mail)")
    public = read.text("NEWSLETTER_PUBLIC_URL")
    if (read.text("NEWSLETTER_UNSUBSCRIBE_URL") or public) and not secret:
        read.fail("NEWSLETTER_SECRET", "", "set when NEWSLETTER_PUBLIC_URL or"
                  " NEWSLETTER_UNSUBSCRIBE_URL is set (it signs the links;"
                  " NEWSLETTER_UNSUBSCRIBE_SECRET is its older name)")
    public_url: str | None = None
    if public:
        try:
            public_url = checked_public_url(public)
        except ConfigError:
            read.fail("NEWSLETTER_PUBLIC_URL", public, "an https:// address (http:// only on"
                      " 127.0.0.1 or localhost, for trials) without ?query or #fragment")
    confirm_hours = read.integer("NEWSLETTER_CONFIRM_HOURS", 48, 1, 720,
                                 "hours a confirmation link is valid")
    domains = tuple(
        d.strip().lstrip("@").lower()
        for d in read.text("NEWSLETTER_ALLOWED_DOMAINS").replace(";", ",").split(",")
        if d.strip()
    )
    for domain in domains:
        if not _HOST.fullmatch(domain) or "." not in domain:
            read.fail("NEWSLETTER_ALLOWED_DOMAINS", domain,
                      "mail domains separated by commas, e.g. exempelby.se,skola.exempelby.se")
    mailto_raw = read.text("NEWSLETTER_UNSUBSCRIBE_MAILTO")
    mailto = (read.address("NEWSLETTER_UNSUBSCRIBE_MAILTO", mailto_raw) if mailto_raw
              else None) or from_address.addr_spec
    list_id = read.text("NEWSLETTER_LIST_ID") or f"nytt-fran-it.{from_address.domain}"
    if not _LIST_ID.fullmatch(list_id) or len(list_id) > 255:
        read.fail("NEWSLETTER_LIST_ID", list_id, "dot-separated ASCII words, e.g. it.kommun.se")
    signer = (
        Signer(secret, list_id, older_secrets, timedelta(hours=confirm_hours)) if secret else None
    )
    settings = Settings(
        transport=transport,
        sender=from_address,
        list_id=list_id,
        unsubscribe_mailto=mailto,
        unsubscribe_url=url,
        unsubscribe_secret=secret,
        http_timeout=read.number("NEWSLETTER_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT, 0,
                                 MAX_HTTP_TIMEOUT),
        max_posts=read.integer("NEWSLETTER_MAX_POSTS", DEFAULT_MAX_POSTS, 1, 500,
                               "posts per digest"),
        retry_period=read.duration("NEWSLETTER_RETRY_PERIOD", DEFAULT_RETRY_PERIOD,
                                   timedelta(days=30)),
        news_url=read.http_url("NEWSLETTER_NEWS_URL"),
        links=Links(public_url, signer) if public_url and signer else None,
        signer=signer,
        allowed_domains=domains,
        proxy_hops=read.integer("NEWSLETTER_PROXY_HOPS", 0, 0, 5,
                                "reverse proxies in front of newsletter serve"),
        site_url=read.http_url("SITE_URL"),
        reminder_days=read.integer("NEWSLETTER_REMINDER_DAYS", DEFAULT_REMINDER_DAYS, 0, 60,
                                   "days before a deadline or window; 0 turns reminders off"),
    )
    if read.problems:
        raise ConfigError("\n".join(read.problems))
    return settings
