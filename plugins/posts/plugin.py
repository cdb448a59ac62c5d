"""MkDocs adapter of the post model: validates pages, applies publishing rules, feeds the home page.

Events only; the rules live in :mod:`plugins.posts.model`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import get_build_datetime
from mkdocs.utils.templates import TemplateContext

from swedish.dates import format_date, format_datetime

from .config import PostsConfig
from .display import escape_meta, escape_tag_headings, mark_scheduled
from .errors import ContentError
from .frontmatter import MinuteTimestampLoader, load_front_matter
from .model import (
    GUIDE_FIELDS,
    POST_FIELDS,
    Guide,
    Post,
    Taxonomy,
    control_characters,
    duplicate_keys,
    newest_first,
    parse_guide,
    parse_post,
    unknown_fields,
    windows_from,
)

log = get_plugin_logger(__name__)


@dataclass(frozen=True)
class _Checked:
    """What validating one page's text gave: reused while its text and the rules stay the same."""

    text: str
    page: Post | Guide | None
    """The post or guide; None for other pages and for pages with errors."""
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


class PostsPlugin(BasePlugin[PostsConfig]):
    """Validates every page's front matter once and keeps the resulting posts and guides."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.serving = False
        self.posts: list[Post] = []
        """Every valid post, newest first, drafts and future posts included."""
        self.guides: list[Guide] = []
        self.now = datetime.now().astimezone()
        self.tag_id_prefix = ""
        self.home_news = 0
        self._files: Files | None = None
        self._by_source: dict[str, Post] = {}
        # Under `mkdocs serve` and `nyhet visa` this instance lives across rebuilds (MkDocs
        # keeps plugins that have on_startup) and every save rebuilds the whole site: at 3,000
        # posts re-validating every unchanged page took about a second per save. Each page's
        # outcome is kept by source path with the exact text it came from, and the whole cache
        # is dropped when anything else validation reads (vocabulary, time zone, folders)
        # changes. Posts and guides are frozen, so handing out the same object again is safe.
        self._checked: dict[str, _Checked] = {}
        self._rules: tuple[Any, ...] = ()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        teach_blog_minute_timestamps()
        self.taxonomy = Taxonomy(
            categories=tuple(self.config.categories),
            audiences=tuple(self.config.audiences),
            timezone=ZoneInfo(self.config.timezone),
        )
        # SOURCE_DATE_EPOCH fixes "now", so a build can be reproduced and tested.
        self.now = get_build_datetime()
        tags = config.plugins.get("material/tags")
        # Read once here rather than for each page: a MkDocs config value is a descriptor and
        # a mapping lookup at each access.
        self.tag_id_prefix = getattr(getattr(tags, "config", None), "tags_slugify_format",
                                     "").split("{")[0]
        self.home_news = self.config.home_news
        return config

    # Before Material's blog (priority -50): it reads posts in its own on_files and must see
    # only valid, published ones.
    @event_priority(50)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        posts_dir = posixpath.normpath(self.config.posts_dir) + "/"
        guides_dir = posixpath.normpath(self.config.guides_dir) + "/"
        docs_name = Path(config.docs_dir).name
        posts: list[Post] = []
        guides: list[Guide] = []
        errors: list[str] = []
        rules = (self.taxonomy, posts_dir, guides_dir, docs_name)
        if rules != self._rules:
            self._checked, self._rules = {}, rules
        checked: dict[str, _Checked] = {}
        for file in files.documentation_pages():
            text = file.content_string  # Read from disk at each access: once here.
            outcome = self._checked.get(file.src_uri)
            if outcome is None or outcome.text != text:
                outcome = self._check(file.src_uri, file.name, text, f"{docs_name}/{file.src_uri}",
                                      posts_dir, guides_dir)
            checked[file.src_uri] = outcome
            self._warn(outcome.warnings)
            errors += outcome.errors
            if isinstance(outcome.page, Post):
                posts.append(outcome.page)
            elif isinstance(outcome.page, Guide):
                guides.append(outcome.page)
        # A one-off build has no later build to reuse them for; keeping every page's text
        # would only add to its memory. Pages deleted since the last build drop out here.
        self._checked = checked if self.serving else {}
        errors += [str(problem) for problem in
                   duplicate_keys(posts, lambda post: f"{docs_name}/{post.source}")]
        if errors:
            raise PluginError("Fel i uppgifterna överst i sidorna (front matter):\n"
                              + "\n".join(errors))

        self.posts = newest_first(posts)
        self._by_source = {post.source: post for post in self.posts}
        self.guides = sorted(guides, key=lambda guide: guide.title)
        if not self.serving:
            # Under `mkdocs serve` writers preview drafts and scheduled posts (Material marks
            # them as drafts); a build leaves them out completely.
            for post in self.posts:
                if not post.is_published(self.now):
                    log.info("Publiceras inte (utkast eller framtida datum): %s", post.source)
                    files.remove(files.get_file_from_path(post.source))  # type: ignore[arg-type]
        self._files = files
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        # Material's blog reads the dates itself and takes a naive time for UTC, so its
        # <time datetime> said 10:15+00:00 for 10:15 Swedish time. Its posts get the model's
        # instants instead, which print as e.g. 2026-11-26 10:15:00+01:00.
        by_source = {post.source: post for post in self.posts}
        blog = config.plugins.get("material/blog")
        for page in getattr(getattr(blog, "blog", None), "posts", ()):
            post = by_source.get(page.file.src_uri)
            dates = getattr(getattr(page, "config", None), "date", None)
            if post is not None and isinstance(dates, dict):
                dates["created"] = post.date
                dates.created = post.date  # type: ignore[attr-defined]
        return nav

    def _check(self, src_uri: str, name: str, text: str, source: str, posts_dir: str,
               guides_dir: str) -> _Checked:
        """Validate one page's text: its post or guide, warnings and errors."""
        is_post = src_uri.startswith(posts_dir)
        if is_post and (bad := control_characters(text, source)):
            return _Checked(text, None, errors=tuple(str(problem) for problem in bad))
        warnings: list[str] = []
        page: Post | Guide | None = None
        try:
            front = load_front_matter(text, source)
            meta, lines = front.meta, front.lines
            if is_post:
                warnings = unknown_fields(meta, POST_FIELDS, source, lines)
                page = parse_post(meta, src_uri, self.taxonomy, source, lines)
            elif src_uri.startswith(guides_dir) and name != "index":
                warnings = unknown_fields(meta, GUIDE_FIELDS, source, lines)
                page = parse_guide(meta, src_uri, self.taxonomy, source, lines)
        except ContentError as error:
            return _Checked(text, None, tuple(warnings), (str(error),))
        return _Checked(text, page, tuple(warnings))

    @staticmethod
    def _warn(warnings: Iterable[str]) -> None:
        # Warnings, not errors: `mkdocs build --strict` fails on them, `mkdocs serve` goes on.
        for warning in warnings:
            log.warning(warning)

    def published(self) -> list[Post]:
        """The posts readers may see, newest first; what feeds publish."""
        return [post for post in self.posts if post.is_published(self.now)]

    def url_of(self, source: str) -> str | None:
        """The site-relative URL of a page, after Material has moved the posts."""
        # src_uris, not get_file_from_path: sources are already POSIX paths, and building a
        # PurePath for each of thousands of lookups (feeds, calendars, change cards) showed
        # in the build's profile.
        file = self._files.src_uris.get(source) if self._files else None
        return file.url if file else None

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # The one Swedish formatter, as filters: ``5 december 2026``, ``lördag 5 december
        # 2026 kl. 18.00``.
        env.filters["sv_date"] = format_date
        env.filters["sv_datetime"] = format_datetime
        return env

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        escape_meta(page.meta)
        post = self._by_source.get(page.file.src_uri)
        if self.serving and post is not None and not post.draft and post.date > self.now:
            # Material marks drafts "Utkast" under `mkdocs serve`; a post waiting for its
            # date gets a mark too, so writers do not take it for published.
            return mark_scheduled(markdown, post.date)
        return markdown

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.tag_id_prefix:
            # Guides' tags are front matter as written; the tags page lists them in its table
            # of contents, which Material prints raw (the tag templates: overrides/).
            escape_tag_headings(page.toc, self.tag_id_prefix)
        if page.file.src_uri == "index.md":
            published = self.published()
            context["home"] = {  # type: ignore[typeddict-unknown-key]
                "latest": [(post, self.url_of(post.source)) for post in
                           published[: self.home_news]],
                "windows": [(post, self.url_of(post.source)) for post in
                            windows_from(published, self.now)],
                "guides": [(guide, self.url_of(guide.source)) for guide in self.guides],
                "built": self.now,
            }
        return context


def teach_blog_minute_timestamps() -> None:
    """Let Material's blog read ``date: 2025-03-10 09:30`` as a date-time.

    The blog parses each post's front matter with the ``SafeLoader`` its post module
    imported from PyYAML, and rejects a date that YAML reads as text, as it reads a time
    without seconds. That module's name is pointed at :class:`MinuteTimestampLoader`, a
    subclass; ``yaml.SafeLoader`` itself, which every other reader in the process uses
    (MkDocs' config loader among them), stays as PyYAML made it. Idempotent.
    """
    from material.plugins.blog import structure  # Material's blog, only when it is used

    if getattr(structure, "SafeLoader", None) is yaml.SafeLoader:
        structure.SafeLoader = MinuteTimestampLoader  # type: ignore[misc]
