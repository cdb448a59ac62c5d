"""What templates show of posts: Swedish dates and times (Babel, CLDR data), escaped text."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from markupsafe import Markup, escape

from .model import STOCKHOLM, Window

LOCALE = "sv_SE"


def sv_date(value: date | datetime) -> str:
    """``5 december 2026``."""
    if isinstance(value, datetime):
        value = value.astimezone(STOCKHOLM).date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def sv_datetime(value: datetime) -> str:
    """``lördag 5 december 2026 kl. 18:00``."""
    return format_datetime(value, "EEEE d MMMM y 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)


def sv_window(window: Window) -> str:
    """A window in one phrase; the end date is left out when it is the same day."""
    start = window.start.astimezone(STOCKHOLM)
    end = window.end.astimezone(STOCKHOLM)
    if start.date() == end.date():
        until = format_datetime(end, "HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    else:
        until = format_datetime(end, "EEEE d MMMM 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    return f"{sv_datetime(start)} \N{EN DASH} {until}"


# Front-matter fields that MkDocs and Material print into pages as they are, in text
# (<title>, the header, the navigation) and in attributes (<meta name="description">).
ESCAPED_FIELDS = ("title", "description")


def escape_meta(meta: MutableMapping[str, Any]) -> None:
    """Make the front-matter text that themes print raw safe in HTML text and attributes.

    MkDocs renders templates without autoescape, so ``Vad är "molnet"?`` in a description
    ended ``<meta content="…">`` early. Each value becomes :class:`markupsafe.Markup` with
    ``& < > " '`` escaped: printed raw it is right in text and in quoted attributes, and
    Jinja's ``|e`` leaves it as it is, so it is never escaped twice. Our own templates and
    the feeds use the model's plain text instead. Idempotent.
    """
    for name in ESCAPED_FIELDS:
        value = meta.get(name)
        if isinstance(value, str) and not isinstance(value, Markup):
            meta[name] = escape(value)
