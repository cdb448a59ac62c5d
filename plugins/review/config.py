"""Options of the ``intranet-review`` plugin, set under ``plugins:`` in mkdocs.yml.

``nyhet granska`` reads the same options (see :mod:`plugins.review.settings`).
"""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from .settings import Settings


class ReviewConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Switch the check off in the build (``nyhet granska`` still runs it)."""

    lix_announcements = c.Type(int, default=Settings.lix_announcements)
    """LIX above which an announcement gets a warning."""

    lix_other = c.Type(int, default=Settings.lix_other)
    """LIX above which other posts (tips) and guides get a warning."""

    sentence_words = c.Type(int, default=Settings.sentence_words)
    """Sentences with more words than this are pointed out."""

    title_length = c.Type(int, default=Settings.title_length)
    """Titles longer than this get a warning."""

    announcements = c.ListOfItems(c.Type(str), default=[])
    """Categories whose posts are announcements; empty means every post."""

    wordlists = c.Type(str, default=Settings.wordlists)
    """Folder of the word lists, relative to docs_dir."""
