"""MkDocs adapter of the change state: card, list lines, banner, "Kommande ändringar", now.json.

Events only; the rules live in :mod:`plugins.changes.state`. Posts come from the
``intranet-posts`` plugin, already validated. The templates are the override partials
``partials/change-card.html``, ``partials/change-line.html`` and ``partials/now-banner.html``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from plugins.feeds.plugin import write_atomically
from plugins.posts.model import Post
from plugins.posts.plugin import PostsPlugin

from .config import ChangesConfig
from .state import ChangeView, Upcoming, change_view, now_document, upcoming


class ChangesPlugin(BasePlugin[ChangesConfig]):
    """Gives templates each post's change state and writes ``now.json`` for the browser."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        posts = config.plugins.get("intranet-posts")
        if not isinstance(posts, PostsPlugin):
            raise PluginError("intranet-changes needs the intranet-posts plugin, listed before it")
        self.posts = posts
        self.calendar = config.plugins.get("intranet-calendar")
        if self.config.banner_limit < 1:
            raise PluginError("intranet-changes: banner_limit must be at least 1")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        # The posts plugin has validated the posts by now (its on_files runs first).
        self.by_source = {post.source: post for post in self.posts.posts}
        page = files.get_file_from_path(self.config.upcoming_page)
        self.upcoming_url = page.url if page else None
        return files

    @property
    def now(self) -> datetime:
        return self.posts.now

    def _url(self, post: Post) -> str:
        return self.posts.url_of(post.source) or ""

    def _view(self, post: Post) -> ChangeView:
        calendar_url = None
        if self.calendar is not None and post.window is not None:
            calendar_url = self.calendar.event_path(post)
        return change_view(post, self._url(post), self.now, calendar_url)

    def view_of(self, page: Any) -> ChangeView | None:
        """The change state of a post's page or excerpt; ``None`` for any other page."""
        if not self.config.enabled:
            return None
        file = getattr(page, "file", None)
        post = self.by_source.get(file.src_uri) if file is not None else None
        return self._view(post) if post is not None else None

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        env.globals["change_of"] = self.view_of
        if not self.config.enabled:
            self.lists: dict[str, list[ChangeView]] = {"ongoing": [], "windows": [], "actions": []}
            return env
        # Once per build, not once per page: with thousands of posts the banner's list on
        # every page would otherwise cost pages x posts.
        lists: Upcoming = upcoming(self.posts.published(), self.now)
        self.lists = {
            "ongoing": [self._view(post) for post in lists.ongoing],
            "windows": [self._view(post) for post in lists.windows],
            "actions": [self._view(post) for post in lists.actions],
        }
        return env

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        ongoing = self.lists["ongoing"]
        limit = self.config.banner_limit
        extra: dict[str, Any] = {
            "change": self.view_of(page),
            # In the order of "Kommande ändringar": windows by start, outages without one last.
            # The first few only: the banner is on every page (see banner_limit).
            "now_banner": ongoing[:limit],
            "now_banner_more": max(0, len(ongoing) - limit),
            "now_banner_limit": limit,
            "now_more_url": self.upcoming_url,
            "now_file": self.config.now_file,
        }
        if page.file.src_uri in ("index.md", self.config.upcoming_page):
            extra["upcoming"] = self.lists
            extra["upcoming_url"] = self.upcoming_url
        context.update(extra)  # type: ignore[typeddict-item]
        return context

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        document = now_document(self.posts.published(), self._url, self.now)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        write_atomically(Path(config.site_dir, self.config.now_file), body)
