"""What templates show of posts: Swedish dates and times (the shared formatter), escaped text."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from swedish.dates import format_date, format_datetime, format_window

from .model import Window


def sv_date(value: date | datetime) -> str:
    """``5 december 2026``."""
    return format_date(value)


def sv_datetime(value: datetime) -> str:
    """``lördag 5 december 2026 kl. 18.00``."""
    return format_datetime(value)


def sv_window(window: Window) -> str:
    """A window in one phrase, as the newsletter writes it."""
    return format_window(window.start, window.end)


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


def mark_scheduled(markdown: str, published: datetime) -> str:
    """A post's Markdown with a "Schemalagd" note under its first heading (preview only)."""
    note = (f'!!! info "Schemalagd"\n\n    Publiceras {format_datetime(published)}. Tills dess '
            f"syns inlägget bara i förhandsvisningen.\n\n")
    lines = markdown.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                return "".join([*lines[: index + 1], "\n", note, *lines[index + 1:]])
            break
    return note + markdown
