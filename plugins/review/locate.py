"""File lines of front-matter fields, so a finding points at the line a writer must change."""

from __future__ import annotations

from collections.abc import Mapping

from plugins.posts.errors import ContentError
from plugins.posts.frontmatter import load_front_matter


def field_lines(text: str) -> Mapping[str, int]:
    """1-based file line of each front-matter field, nested ones as ``window.end``.

    The post model's own reading; empty when the front matter is not YAML (its own error then
    names the line).
    """
    try:
        return load_front_matter(text, "").lines
    except ContentError:
        return {}


def line_of(lines: Mapping[str, int], name: str) -> int:
    """The line of field ``name``, else of its parent (``window`` for ``window.end``), else 1."""
    while name:
        if name in lines:
            return lines[name]
        name = name.rpartition(".")[0]
    return 1
