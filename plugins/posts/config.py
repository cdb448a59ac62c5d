"""Options of the ``intranet-posts`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class PostsConfig(base.Config):
    categories = c.ListOfItems(c.Type(str))
    """The news categories writers may use, declared once (e.g. Planerad ändring)."""

    audiences = c.ListOfItems(c.Type(str))
    """The audiences writers may address (e.g. alla, skola, förvaltning)."""

    posts_dir = c.Type(str, default="news/posts")
    """Folder of the news posts, relative to docs_dir (Material blog's post_dir)."""

    guides_dir = c.Type(str, default="guides")
    """Folder of the how-to guides, relative to docs_dir; its index.md is an overview."""

    timezone = c.Type(str, default="Europe/Stockholm")
    """Time zone of dates written without one."""

    home_news = c.Type(int, default=5)
    """How many of the latest posts the home page lists."""
