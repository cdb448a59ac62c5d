"""MkDocs adapter of the calendars: writes the .ics files and links them from every page.

Events only; the calendars are built by :mod:`plugins.calendar.ics`. Posts come from the
``intranet-posts`` plugin, already validated. Paths (stable; README "Calendar"):
``calendar/news.ics`` (every window), ``calendar/audience/<slug>.ics`` (one audience and the
windows for everyone) and ``calendar/news/<key>.ics`` (one post, "Lägg till i kalendern").
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from plugins.feeds.plugin import write_atomically
from plugins.feeds.render import EMPTY_SITEMAP
from plugins.posts.model import Post
from plugins.posts.plugin import PostsPlugin
from plugins.posts.slugs import slugify

from .config import CalendarConfig
from .ics import CalendarInfo, render_calendar

log = get_plugin_logger(__name__)


class CalendarPlugin(BasePlugin[CalendarConfig]):
    """Publishes the posts' windows as subscribable calendars and one file per post."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        posts = config.plugins.get("intranet-posts")
        if not isinstance(posts, PostsPlugin):
            raise PluginError("intranet-calendar needs the intranet-posts plugin, listed before it")
        self.posts = posts
        self.site_url = (config.site_url or "").rstrip("/") + "/"
        if self.site_url == "/":
            raise PluginError("intranet-calendar needs site_url: events link their posts")
        self.links = [{"title": f"{self.config.title} (alla avbrott)",
                       "href": self.main_path}]
        return config

    @property
    def main_path(self) -> str:
        return f"{self.config.calendar_dir}/news.ics"

    def audience_path(self, audience: str) -> str:
        return f"{self.config.calendar_dir}/audience/{slugify(audience)}.ics"

    def event_path(self, post: Post) -> str | None:
        """Site-relative path of the post's single-event file; None without a window."""
        if not self.config.enabled or post.window is None:
            return None
        return f"{self.config.calendar_dir}/news/{post.key}.ics"

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.config.enabled:
            context["calendar_links"] = self.links  # type: ignore[typeddict-unknown-key]
        return context

    def _url(self, post: Post) -> str:
        url = self.posts.url_of(post.source)
        if url is None:
            raise PluginError(f"intranet-calendar: no page for {post.source}")
        return self.site_url + url

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        domain = self.config.uid_domain
        published = [post for post in self.posts.published() if post.window is not None]
        title = self.config.title
        everyone = self.config.everyone_audience
        files: dict[str, bytes] = {}
        events: dict[str, bytes] = {}  # Each post's event serialised once (render_calendar).

        def info(name: str, description: str, path: str) -> CalendarInfo:
            return CalendarInfo(name, description, self.site_url + path)

        files[self.main_path] = render_calendar(
            published,
            info(title, "Planerade avbrott och ändringar i kommunens IT.", self.main_path),
            self._url, domain, events)
        for audience in self.posts.taxonomy.audiences:
            chosen = [p for p in published if audience in p.audience or
                      (everyone is not None and everyone in p.audience)]
            path = self.audience_path(audience)
            files[path] = render_calendar(
                chosen,
                info(f"{title}: {audience}",
                     f"Planerade avbrott och ändringar i kommunens IT för {audience}.", path),
                self._url, domain, events)
        for post in published:
            single = self.event_path(post)
            assert single is not None
            files[single] = render_calendar(
                [post], info(post.title, post.description, single), self._url, domain, events)

        out = Path(config.site_dir)
        for path, body in files.items():
            write_atomically(out / path, body)
        # Material's JavaScript fetches sitemap.xml beside every <link rel="alternate">
        # (see the feeds plugin); an empty one saves each page view a 404.
        write_atomically(out / self.config.calendar_dir / "sitemap.xml", EMPTY_SITEMAP)
        log.info("Wrote %d calendars in %s/", len(files), self.config.calendar_dir)
