"""A line-based reading of a Markdown page: headings, prose blocks, images and links.

Good enough for the writers' check and fast (no Markdown rendering): every item keeps the
line it starts on, so findings can point at it. Code (fenced or in backticks), HTML comments,
tables, admonition titles and headings are not prose; list items and paragraphs are blocks,
and a sentence never runs across two blocks.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_ADMONITION = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s*\S+")
_TABLE_ROW = re.compile(r"^\s*\|")
_REFERENCE = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?$")

# Inline Markdown: images before links, since an image is a link with a '!' in front.
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_HTML_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_CODE_SPAN = re.compile(r"`[^`]*`")
_ATTR_LIST = re.compile(r"\{\s*[:.#][^}]*\}")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@dataclass(frozen=True)
class Image:
    line: int
    alt: str
    target: str


@dataclass(frozen=True)
class Link:
    line: int
    text: str
    target: str


@dataclass(frozen=True)
class Block:
    """A paragraph or list item: its lines as plain text, each with its file line."""

    lines: tuple[tuple[int, str], ...]


@dataclass
class Page:
    """What the checks need from one page's Markdown body."""

    body_start: int
    """File line of the first body line (after the front matter)."""
    headings: list[Heading] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    content_lines: set[int] = field(default_factory=set)
    """Body lines with something a reader sees (not blank, not a comment, not a heading)."""


_FRONT_MATTER_END = re.compile(r"^(?:-{3}|\.{3})\s*$")


def front_matter_lines(lines: list[str]) -> int:
    """Number of lines the front matter takes (0 when there is none)."""
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return 0
    for index in range(1, len(lines)):
        if _FRONT_MATTER_END.match(lines[index]):
            return index + 1
    return 0


def plain(text: str) -> str:
    """Inline Markdown and HTML reduced to the words a reader sees."""
    text = _CODE_SPAN.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(lambda match: match.group(1), text)
    text = _HTML_TAG.sub(" ", text)
    text = _ATTR_LIST.sub(" ", text)
    return html.unescape(_EMPHASIS.sub("", text))


def scan(text: str) -> Page:
    """Read ``text`` (a whole file, front matter included) into a :class:`Page`."""
    lines = text.splitlines()
    start = front_matter_lines(lines)
    page = Page(body_start=start + 1)
    fence: str | None = None
    in_comment = False
    current: list[tuple[int, str]] = []

    def close_block() -> None:
        if current:
            page.blocks.append(Block(tuple(current)))
            current.clear()

    for index in range(start, len(lines)):
        number = index + 1
        raw = lines[index]
        if fence is not None:
            if raw.strip().startswith(fence):
                fence = None
            page.content_lines.add(number)
            continue
        if in_comment:
            if "-->" in raw:
                in_comment = False
                raw = raw.split("-->", 1)[1]
            else:
                continue
        if "<!--" in raw:
            before, _, after = raw.partition("<!--")
            if "-->" in after:
                raw = before + " " + after.split("-->", 1)[1]
            else:
                raw = before
                in_comment = True
        if fence_match := _FENCE.match(raw):
            close_block()
            fence = fence_match.group(1)
            page.content_lines.add(number)
            continue
        stripped = raw.strip()
        if not stripped:
            close_block()
            continue
        if heading := _HEADING.match(stripped):
            close_block()
            page.headings.append(Heading(number, len(heading.group(1)), plain(heading.group(2))))
            continue
        page.content_lines.add(number)
        _collect_targets(raw, number, page)
        if _REFERENCE.match(raw):
            continue
        if _ADMONITION.match(raw) or _TABLE_ROW.match(raw):
            close_block()
            continue
        if _LIST_ITEM.match(raw):
            close_block()
            stripped = _LIST_ITEM.sub("", raw, count=1).strip()
        words = plain(stripped).strip()
        if words:
            current.append((number, words))
    close_block()
    return page


def _collect_targets(raw: str, number: int, page: Page) -> None:
    for match in _IMAGE.finditer(raw):
        page.images.append(Image(number, match.group(1).strip(), match.group(2)))
    for match in _HTML_IMG.finditer(raw):
        alt = _HTML_ALT.search(match.group(0))
        value = alt.group(1).strip("\"'").strip() if alt else ""
        page.images.append(Image(number, value, ""))
    for match in _LINK.finditer(raw):
        page.links.append(Link(number, match.group(1), match.group(2)))
    if reference := _REFERENCE.match(raw):
        page.links.append(Link(number, reference.group(1), reference.group(2)))
