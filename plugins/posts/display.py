"""What templates show of posts: escaped front-matter text, the "Schemalagd" note.

Dates and times are formatted by the one Swedish formatter, :mod:`swedish.dates`; the
templates reach it through the filters the posts plugin registers (``sv_date``,
``sv_datetime``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from swedish.dates import format_datetime

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


def escape_tag_headings(toc: Iterable[Any], id_prefix: str) -> None:
    """Escape the titles of the table-of-contents entries Material's tags plugin adds.

    Material makes one entry per tag on the tags page with the tag's name as its title, and
    its templates print titles raw: they expect the HTML that Markdown's headings give. The
    entries are known by their id (``tags_slugify_format``, ``tag:{slug}`` by default);
    headings written in Markdown keep their titles. Idempotent.
    """
    for entry in toc:
        if entry.id.startswith(id_prefix) and not isinstance(entry.title, Markup):
            entry.title = escape(entry.title)
        escape_tag_headings(entry.children, id_prefix)


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
