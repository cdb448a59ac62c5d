"""MkDocs adapter of search: collects the pages readers may find and indexes them with Pagefind.

Events only; what a page contributes is decided in :mod:`plugins.search.documents` and the
index is written by :mod:`plugins.search.index`. Posts and guides come from the
``intranet-posts`` plugin, already validated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from material.plugins.blog.structure import View
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from plugins.posts.model import Guide, Post
from plugins.posts.plugin import PostsPlugin

from .config import SearchConfig
from .documents import (
    FilterChoice,
    SearchDocument,
    filter_choices,
    guide_document,
    page_document,
    post_document,
)
from .index import SearchIndexError, write_index
from .live import LiveIndex

log = get_plugin_logger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
ASSETS_URI = "assets/intranet-search"


class SearchPlugin(BasePlugin[SearchConfig]):
    """Indexes published posts, guides and other pages into ``site/pagefind/``."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        # Documents by source path. Kept across rebuilds of `mkdocs serve` (the plugin has
        # on_startup, so MkDocs keeps the instance): with --dirty, unchanged pages are not
        # rendered again, yet the index must still hold them.
        self.documents: dict[str, SearchDocument] = {}
        self._posts: dict[str, Post] = {}
        self._guides: dict[str, Guide] = {}
        self._choices: list[FilterChoice] = []
        self._live: LiveIndex | None = None

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        # Under `mkdocs serve` the page reloads before the index is written (see live.py);
        # `serve --clean` says "build" here and indexes like a build.
        if command == "serve":
            self._live = LiveIndex()

    def on_shutdown(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # MkDocs is about to empty the site folder that a background indexing writes into.
        if self._live is not None:
            self._live.wait()

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        posts = config.plugins.get("intranet-posts")
        if not isinstance(posts, PostsPlugin):
            raise PluginError("intranet-search needs the intranet-posts plugin, listed before it")
        self.posts = posts
        # Material puts extra_css in <head> and extra_javascript at the end of <body>.
        config.extra_css.append(f"{ASSETS_URI}/search.css")
        config.extra_javascript.append(f"{ASSETS_URI}/search.js")
        if "material/search" in config.plugins or "search" in config.plugins:
            raise PluginError("intranet-search replaces Material's search plugin: remove "
                              "'search' from plugins in mkdocs.yml")
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        for path in sorted(ASSETS.iterdir()):
            files.append(File.generated(config, f"{ASSETS_URI}/{path.name}",
                                        abs_src_path=str(path)))
        # After intranet-posts' on_files (priority 50), which has validated every page.
        self._posts = {post.source: post for post in self.posts.posts}
        self._guides = {guide.source: guide for guide in self.posts.guides}
        self._choices = filter_choices(self.posts.taxonomy, self.posts.guides)
        # Forget pages that are gone (deleted, or turned into drafts), under `mkdocs serve`.
        present = {file.src_uri for file in files.documentation_pages()}
        for source in set(self.documents) - present:
            del self.documents[source]
        return files

    @event_priority(-100)
    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.config.enabled:
            document = self._document(page, html)
            if document is None:
                self.documents.pop(page.file.src_uri, None)
            else:
                self.documents[page.file.src_uri] = document
        return html

    def _document(self, page: Page, html: str) -> SearchDocument | None:
        source = page.file.src_uri
        search = page.meta.get("search")
        if isinstance(page, View) or (isinstance(search, dict) and search.get("exclude")):
            return None  # blog indexes and archives repeat the posts; writers opt pages out
        taxonomy = self.posts.taxonomy
        everyone = self.config.everyone_audience
        post = self._posts.get(source)
        if post is not None:
            # Under `mkdocs serve` drafts and scheduled posts are rendered for the writer's
            # preview; readers must never find them.
            if not post.is_published(self.posts.now):
                return None
            return post_document(post, page.url, html, taxonomy, everyone)
        guide = self._guides.get(source)
        if guide is not None:
            return guide_document(guide, page.url, html, taxonomy, everyone)
        return page_document(page.title or source, page.url, html)

    def _context(self) -> dict[str, object]:
        return {
            "index_dir": self.config.index_dir.strip("/"),
            # Pagefind's WebAssembly for the index's one language (force_language), which the
            # box fetches beside Pagefind's script.
            "wasm": f"wasm.{self.config.language}.pagefind",
            "filters": self._choices,
        }

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if self.config.enabled:
            context["intranet_search"] = self._context()  # type: ignore[typeddict-unknown-key]
        return context

    def on_template_context(
        self, context: TemplateContext, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext:
        # Static templates such as 404.html get no page context; they have the search box too.
        if self.config.enabled:
            context["intranet_search"] = self._context()  # type: ignore[typeddict-unknown-key]
        return context

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        documents = [self.documents[source] for source in sorted(self.documents)]
        target = Path(config.site_dir, self.config.index_dir)
        if self._live is not None:
            if not self._live.publish(documents, target, self.config.language):
                log.info("Search index: unchanged (%d pages)", len(documents))
            return
        try:
            stats = write_index(documents, target, self.config.language)
        except SearchIndexError as error:
            raise PluginError(f"intranet-search: {error}") from error
        if stats.indexed != stats.pages:
            log.warning("intranet-search: Pagefind indexed %d of %d pages", stats.indexed,
                        stats.pages)
        log.info("Search index: %d pages, %d files, %d kB in %s/", stats.pages, stats.files,
                 stats.bytes // 1000, self.config.index_dir)
