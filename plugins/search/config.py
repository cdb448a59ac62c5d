"""Options of the ``intranet-search`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class SearchConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Switch indexing off (the search box then stays out of the header)."""

    index_dir = c.Type(str, default="pagefind")
    """Folder in the built site that holds Pagefind's index and its JavaScript."""

    everyone_audience = c.Optional(c.Type(str))
    """Audience meaning everybody (``alla``): its posts are found under every audience filter,
    as they are in every audience feed."""

    language = c.Type(str, default="sv")
    """ISO 639-1 code of the site's language; chooses Pagefind's stemmer."""
