"""Options of the ``intranet-changes`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class ChangesConfig(base.Config):
    now_file = c.Type(str, default="now.json")
    """Where in the built site the open changes are written for the reader's browser."""

    upcoming_page = c.Type(str, default="kommande.md")
    """The "Kommande ändringar" page, relative to docs_dir; its template lists the changes."""
