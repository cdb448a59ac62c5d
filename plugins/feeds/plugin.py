"""MkDocs adapter of the feeds: collects the posts' HTML and writes the feed files.

Events only; feeds are rendered by :mod:`plugins.feeds.render` and selected by
:mod:`plugins.feeds.items`. Posts come from the ``intranet-posts`` plugin, already validated.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from material.plugins.blog.structure import Category
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from plugins.posts.model import Post
from plugins.posts.plugin import PostsPlugin

from .config import FeedsConfig
from .items import Topic, absolutize, feed_tag_uri, tag_uri, topics
from .render import (
    EMPTY_SITEMAP,
    MEDIA_TYPES,
    NO_ITEMS_UPDATED,
    RENDERERS,
    Feed,
    Item,
    ItemCache,
    Vocabulary,
    render_all,
)

log = get_plugin_logger(__name__)

_FORMAT_TITLES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


class FeedsPlugin(BasePlugin[FeedsConfig]):
    """Publishes the news, and each category and audience, as RSS, Atom and JSON Feed."""

    def __init__(self) -> None:
        # Post HTML by source path. Kept across rebuilds of `mkdocs serve` (the plugin has
        # on_startup, so MkDocs keeps the instance): with --dirty, unchanged pages are not
        # rendered again, yet the feed must still hold every post.
        self.html: dict[str, str] = {}
        # Options read on every page are copied here once per build: a MkDocs config value
        # is a descriptor and a mapping lookup at each access.
        self.enabled = False

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        pass

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.enabled = self.config.enabled
        if not self.enabled:
            return config
        posts = config.plugins.get("intranet-posts")
        if not isinstance(posts, PostsPlugin):
            raise PluginError("intranet-feeds needs the intranet-posts plugin, listed before it")
        self.posts = posts
        self.site_url = config.site_url or ""
        if not self.site_url:
            raise PluginError("intranet-feeds needs site_url: feeds must hold absolute links")
        if not self.site_url.endswith("/"):
            self.site_url += "/"
        self.topics = topics(posts.taxonomy, self.config.everyone_audience)
        self.blog = config.plugins.get("material/blog")
        self.posts_prefix = posts.config.posts_dir.rstrip("/") + "/"
        self.title = self.config.title or config.site_name
        self.authority = self.config.tag_authority
        self.main_links = self._links("news", self.title)
        return config

    def _author_names(self) -> dict[str, str]:
        """Display names of Material blog's authors (.authors.yml), by id."""
        authors = getattr(self.blog, "authors", None) or {}
        return {key: author.name for key, author in authors.items()}

    def _path(self, name: str, fmt: str) -> str:
        return f"{self.config.feeds_dir}/{name}{RENDERERS[fmt][0]}"

    def _href(self, name: str, fmt: str) -> str:
        return self.site_url + self._path(name, fmt)

    def _links(self, name: str, label: str) -> list[dict[str, str]]:
        # Site-relative: the template makes them relative to each page, so discovery works
        # wherever the site is served, `mkdocs serve` included.
        return [
            {"type": MEDIA_TYPES[fmt], "title": f"{label} ({_FORMAT_TITLES[fmt]})",
             "href": self._path(name, fmt)}
            for fmt in RENDERERS
        ]

    @event_priority(-100)
    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.enabled and page.file.src_uri.startswith(self.posts_prefix):
            self.html[page.file.src_uri] = html
        return html

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        if not self.enabled:
            return context
        links = self.main_links
        if isinstance(page, Category):
            topic = next((t for t in self.topics if t.kind == "category" and t.name == page.name),
                         None)
            if topic:
                links = self._links(self._topic_name(topic), f"{self.title}: {topic.name}") + links
        context["feed_links"] = links  # type: ignore[typeddict-unknown-key]
        return context

    def on_template_context(
        self, context: TemplateContext, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext:
        # Static templates such as 404.html get no page context; they link the main feeds.
        if self.enabled:
            context["feed_links"] = self.main_links  # type: ignore[typeddict-unknown-key]
        return context

    @staticmethod
    def _topic_name(topic: Topic) -> str:
        return f"{topic.kind}/{topic.slug}"

    def _url(self, post: Post) -> str:
        url = self.posts.url_of(post.source)
        if url is None:
            raise PluginError(f"intranet-feeds: no page for {post.source}")
        return self.site_url + url

    def _item(self, post: Post, authors: dict[str, str], content: str | None) -> Item:
        return Item(
            post=post,
            id=tag_uri(self.authority, post.key),
            url=self._url(post),
            content_html=content,
            authors=tuple(authors.get(a, a) for a in post.authors),
        )

    def _contents(self, posts: Iterable[Post], out: Path) -> tuple[dict[str, str], list[Post]]:
        """Each post's feed HTML by source, and the posts for which there is none.

        A dirty build (`mkdocs build --dirty`, `mkdocs serve --dirty`) renders only changed
        pages; an unchanged post's body is then taken from the previous JSON feeds in the
        site folder, which hold it exactly as it was published.
        """
        contents: dict[str, str] = {}
        missing: list[Post] = []
        for post in posts:
            html = self.html.get(post.source)
            if html is not None:
                contents[post.source] = absolutize(html, self._url(post))
            else:
                missing.append(post)
        if missing:
            previous = previous_contents(out)
            ids = {post.source: tag_uri(self.authority, post.key) for post in missing}
            for post in missing:
                if ids[post.source] in previous:
                    contents[post.source] = previous[ids[post.source]]
            missing = [post for post in missing if post.source not in contents]
        return contents, missing

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.enabled:
            return
        title = self.title
        description = self.config.description or config.site_description or title
        about = self.config.extension_about or f"{self.site_url}guides/prenumerera-pa-nyheter/"
        published = self.posts.published()
        limit = self.config.limit
        authors = self._author_names()
        vocabulary = Vocabulary(
            categories=self.posts.taxonomy.categories,
            audiences=self.posts.taxonomy.audiences,
            everyone=self.config.everyone_audience,
        )

        # A category feed links its category page; audiences have no page of their own.
        views = getattr(getattr(self.blog, "blog", None), "views", ())
        category_pages = {view.name: self.site_url + view.file.url
                          for view in views if isinstance(view, Category)}
        topic_pages = {self._topic_name(topic): category_pages.get(topic.name)
                       for topic in self.topics if topic.kind == "category"}

        def feed(name: str, label: str, items: Iterable[Item]) -> tuple[str, Feed]:
            return name, Feed(
                id=feed_tag_uri(self.config.tag_authority, name),
                title=label,
                description=description,
                site_url=self.site_url,
                self_urls={fmt: self._href(name, fmt) for fmt in RENDERERS},
                author=self.config.author,
                items=tuple(items),
                extension_about=about,
                vocabulary=vocabulary,
                page_url=topic_pages.get(name),
            )

        selections = [("news", title, published[:limit])]
        for topic in self.topics:
            chosen = [post for post in published if topic.includes(post)][:limit]
            selections.append((self._topic_name(topic), f"{title}: {topic.name}", chosen))
        out = Path(config.site_dir, self.config.feeds_dir)
        # Full items only for posts some feed shows; each is prepared once.
        shown = {post.source: post for _name, _label, chosen in selections for post in chosen}
        contents, missing = self._contents(shown.values(), out)
        if missing:
            # Feeds with an empty body would reach every reader and the newsletter; the
            # previous feeds are better. A warning, so that --strict fails.
            log.warning(
                "Flödena skrevs inte, de förra flödesfilerna är kvar som de var: ingen HTML "
                "för %s (mkdocs build --dirty bygger bara ändrade sidor); bygg hela "
                "webbplatsen med mkdocs build",
                ", ".join(sorted(post.source for post in missing)))
            return
        full = {source: self._item(post, authors, contents[source])
                for source, post in shown.items()}
        feeds = [feed(name, label, (full[post.source] for post in chosen))
                 for name, label, chosen in selections]
        if self.config.archive:
            # Every post ever, as summary and link: the full text of years of news would make
            # a file of tens of megabytes that readers fetch again and again.
            summaries = (self._item(post, authors, None) for post in published)
            # Last: its summaries of posts other feeds hold are copies of their full items.
            feeds.append(feed("news-archive", f"{title} (arkiv)", summaries))

        cache = ItemCache()  # A post in several feeds is rendered once per format.
        for name, rendered in feeds:
            # The file's time is the newest change among its items, not the build's: a
            # rebuild of the same content keeps the Last-Modified and the ETag that nginx,
            # Apache and IIS derive from it, so readers and the newsletter get a 304.
            changed = (rendered.updated or NO_ITEMS_UPDATED).timestamp()
            for fmt, body in render_all(rendered, cache).items():
                write_atomically(out / f"{name}{RENDERERS[fmt][0]}", body, changed)
        # Material's JavaScript treats every <link rel="alternate"> as a language version and
        # fetches sitemap.xml beside it; an empty one in each feed folder saves every page
        # view a 404.
        for folder in {out} | {(out / name).parent for name, _feed in feeds}:
            write_atomically(folder / "sitemap.xml", EMPTY_SITEMAP)
        log.info("Wrote %d feeds in %s/", len(feeds) * len(RENDERERS), self.config.feeds_dir)


def previous_contents(folder: Path) -> dict[str, str]:
    """``content_html`` by item id from the JSON feeds already in ``folder`` (if any)."""
    contents: dict[str, str] = {}
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else ():
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        for item in document.get("items", ()) if isinstance(document, dict) else ():
            if isinstance(item, dict) and isinstance(item.get("content_html"), str):
                contents.setdefault(str(item.get("id")), item["content_html"])
    return contents


def write_atomically(path: Path, body: bytes, mtime: float | None = None) -> None:
    """Replace ``path`` with ``body`` so that a reader never sees half a file.

    An unchanged file is left alone; ``mtime``, when given, becomes its modification time.
    """
    if not path.exists():
        # A new file (every build into a fresh or staging folder): no reader can have it
        # open half-written, so no temporary file and no fsync, which were most of the
        # plugin's time on a busy disk.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return
    if path.is_file() and path.read_bytes() == body:
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        if mtime is not None:
            os.utime(temporary, (mtime, mtime))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
