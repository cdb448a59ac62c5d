"""Options of the ``intranet-changes`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class ChangesConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Switch the card, the list lines, the banner and now.json off (the benchmark's baseline)."""

    now_file = c.Type(str, default="now.json")
    """Where in the built site the open changes are written for the reader's browser."""

    upcoming_page = c.Type(str, default="kommande.md")
    """The "Kommande ändringar" page, relative to docs_dir; its template lists the changes."""

    banner_limit = c.Type(int, default=3)
    """How many ongoing changes the banner on every page names; it counts the rest and links
    "Kommande ändringar". Every page carries the banner, so naming them all would make every
    page, and the build, grow with the number of ongoing changes (pages x changes)."""
