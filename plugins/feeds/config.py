"""Options of the ``intranet-feeds`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class FeedsConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Switch the feeds off, e.g. for a quick preview (the benchmark measures both ways)."""

    tag_authority = c.Type(str)
    """``domain,date`` of the item ids, e.g. ``intranet.exempelby.se,2025``. Never change it:
    it is part of every published id."""

    title = c.Optional(c.Type(str))
    """Feed title; defaults to site_name."""

    description = c.Optional(c.Type(str))
    """Feed description; defaults to site_description."""

    author = c.Type(str, default="IT och kommunikation")
    """Author of the feed, and of posts that name none."""

    feeds_dir = c.Type(str, default="feeds")
    """Folder in the built site that holds the feeds."""

    limit = c.Type(int, default=50)
    """How many of the newest posts each feed holds."""

    archive = c.Type(bool, default=False)
    """Also publish ``news-archive.*`` with every post ever published."""

    everyone_audience = c.Optional(c.Type(str))
    """Audience that means everybody (e.g. ``alla``): its posts are in every audience feed."""

    extension_about = c.Optional(c.Type(str))
    """URL documenting the change metadata; defaults to the site's subscription guide."""
