"""File lines of front-matter fields, so a finding points at the line a writer must change."""

from __future__ import annotations

import yaml

from .scan import front_matter_lines


def field_lines(text: str) -> dict[str, int]:
    """1-based file line of each front-matter field, nested ones as ``window.end``.

    Empty when the front matter is missing or not YAML (its own error then names the line).
    """
    lines = text.splitlines()
    size = front_matter_lines(lines)
    if size < 2:
        return {}
    try:
        root = yaml.compose("\n".join(lines[1:size - 1]), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    found: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if not isinstance(node, yaml.MappingNode):
            return
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            name = f"{prefix}{key.value}"
            found.setdefault(name, key.start_mark.line + 2)  # +1 for '---', +1 to count from 1
            walk(value, f"{name}.")

    if root is not None:
        walk(root, "")
    return found


def line_of(lines: dict[str, int], name: str) -> int:
    """The line of field ``name``, else of its parent (``window`` for ``window.end``), else 1."""
    while name:
        if name in lines:
            return lines[name]
        name = name.rpartition(".")[0]
    return 1
