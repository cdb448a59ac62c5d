"""MkDocs adapter of the writers' check: the build reports what ``nyhet granska`` reports.

Errors are logged as warnings, so `mkdocs build --strict` fails on them; warnings are logged
as info (shown, never failing a build) and hints at debug level (``mkdocs build -v``). The
rules live in :mod:`plugins.review.rules`; the post model's own errors have already stopped
the build in the ``intranet-posts`` plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files

from plugins.posts.plugin import PostsPlugin

from .config import ReviewConfig
from .findings import Finding, Severity
from .rules import Document, in_order, review_in_site, review_page, site_of
from .settings import Language, SettingsError, load_language, settings_from

log = get_plugin_logger(__name__)


class ReviewPlugin(BasePlugin[ReviewConfig]):
    """Runs the writers' check over every page in each build."""

    def __init__(self) -> None:
        # Each page's document (with its scan and field lines) and the findings of
        # review_page, by page text, kept across rebuilds of `mkdocs serve` and `nyhet visa`
        # (the plugin has on_startup, so MkDocs keeps the instance): an unchanged page is not
        # read again.
        self._cache: dict[tuple[object, ...], tuple[Document, list[Finding]]] = {}
        self.serving = False
        self._logged: set[Finding] = set()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not self.config.enabled:
            return config
        posts = config.plugins.get("intranet-posts")
        if not isinstance(posts, PostsPlugin):
            raise PluginError("intranet-review needs the intranet-posts plugin, listed before it")
        self.posts = posts
        try:
            self.settings = settings_from(dict(self.config))
            self.language: Language = load_language(
                Path(config.docs_dir) / self.settings.wordlists)
        except SettingsError as error:
            raise PluginError(f"intranet-review: {error}") from error
        return config

    # After intranet-posts (50), which has validated the front matter and left out what is
    # not published; before Material's blog (-50) moves the posts.
    @event_priority(40)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        docs_name = Path(config.docs_dir).name
        posts = {post.source: post for post in self.posts.posts}
        guides = {guide.source: guide for guide in self.posts.guides}
        cache: dict[tuple[object, ...], tuple[Document, list[Finding]]] = {}
        for file in files.documentation_pages():
            text = file.content_string
            post, guide = posts.get(file.src_uri), guides.get(file.src_uri)
            key = (file.src_uri, text, post, guide)
            known = self._cache.get(key)
            if known is None:
                document = Document(path=f"{docs_name}/{file.src_uri}", src_uri=file.src_uri,
                                    text=text, post=post, guide=guide)
                known = (document, review_page(document, self.settings, self.language))
            cache[key] = known
        site = site_of((document for document, _ in cache.values()),
                       (file.src_uri for file in files), self.posts.now)
        logged: set[Finding] = set()
        for document, page_findings in cache.values():
            for finding in in_order([*page_findings,
                                     *review_in_site(document, site, self.settings)]):
                # Under `mkdocs serve` each finding is shown once, not after every save: with
                # years of news the same lines would bury what the writer just changed.
                if not (self.serving and finding in self._logged):
                    _log(finding)
                logged.add(finding)
        self._cache = cache
        self._logged = logged
        return files


def _log(finding: Finding) -> None:
    if finding.severity is Severity.ERROR:
        log.warning("%s", finding)
    elif finding.severity is Severity.WARNING:
        log.info("%s", finding)
    else:
        log.debug("%s", finding)
