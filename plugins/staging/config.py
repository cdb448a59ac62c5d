"""Options of the ``intranet-staging`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class StagingConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Build beside ``site_dir`` and swap the result in only when the build succeeded."""
