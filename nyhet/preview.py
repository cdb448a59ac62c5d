"""``nyhet visa``: preview at the speed of writing.

``mkdocs serve`` rebuilds the whole site after every save: at 3,000 posts that is a minute or
more. This preview builds the whole site once (as ``mkdocs serve`` does: drafts and scheduled
posts included and marked as drafts), keeps MkDocs' state of that build in memory, and after a
save renders just the saved pages, through the same MkDocs and plugin events a full build runs
for them, and reloads the browser:

* a save that changes only the text of pages renders those pages with the state of the last
  build;
* a save that changes front matter (title, status, dates...), adds pages or other files to
  the docs folder, or deletes them, first runs every event that reads the whole site (files,
  navigation, environment: the post model, the change card's state, Material's blog and its
  views), as a build does, with the rendered HTML of every unchanged page taken from the last
  build; then it renders the saved pages. Material's blog keeps what it made of every post
  whose text did not change (:mod:`nyhet.preview_blog`), so only changed posts are read
  again.

Then, so that lists, feeds and search show the edit too, a complete build runs in the
background (another process) and replaces the served site when it is done. A change to
mkdocs.yml or the theme is a full rebuild, as with ``mkdocs serve``.

After each save the command also prints what ``nyhet granska`` says about the saved files.

Only this module imports MkDocs; it wraps MkDocs itself, never our plugins.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.commands.build import _build_page, _populate_page, build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import BuildError
from mkdocs.livereload import LiveReloadServer, _serve_url
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel, get_files, set_exclusions
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page

from plugins.review.scan import front_matter_lines

from .preview_blog import forget, speed_up_blog
from .watch import observer_for

log = logging.getLogger("nyhet.visa")

Snapshot = dict[str, tuple[int, int]]


class _State(BasePlugin):  # type: ignore[type-arg]
    """Keeps what a build made (files, navigation, template environment) for later renders.

    Registered as the last plugin of every build, so it sees the final objects.
    """

    files: Files | None = None
    nav: Navigation | None = None
    env: Any = None

    @event_priority(-1000)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self.files = files
        return files

    @event_priority(-1000)
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    @event_priority(-1000)
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self.env = env
        return env


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """Modification time and size of every file under ``paths``."""
    found: Snapshot = {}
    for root in paths:
        if root.is_file():
            stat = root.stat()
            found[str(root)] = (stat.st_mtime_ns, stat.st_size)
            continue
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def _front_matter(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[:front_matter_lines(lines)])


@dataclass
class Preview:
    """One preview server: the state of the last full build and what was true then."""

    config_file: Path
    host: str
    port: int
    site_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="nyhet-visa-"))
    on_saved: Callable[[list[Path]], None] = lambda paths: None

    def __post_init__(self) -> None:
        self.config_file = self.config_file.resolve()
        self.state = _State()
        self.config = self._load()
        self.serve_url = _serve_url(self.host, self.port, "/")
        self.watched = self._watched()
        self.seen: Snapshot = {}
        self.texts: dict[str, str] = {}
        """The text of every page (by source path) as it was when ``seen`` was taken.

        A save reads only the files it changed: the pages' file objects are given the text
        kept here (MkDocs reads a file at each access of ``content_string``; our plugins and
        Material's blog read all 3,000 posts again at every save otherwise). The change list
        comes from the same modification times and sizes that tell the preview a save
        happened, so a file not in it has the text kept here.
        """
        self.edits = 0
        self.theme_files: list[Any] | None = None
        self.broken = False
        """The last save stopped the build (a front-matter error): read the whole site again."""
        self.background: threading.Thread | None = None
        self.process: subprocess.Popen[str] | None = None
        self.stopping = False
        self.server: LiveReloadServer | None = None

    def _load(self) -> MkDocsConfig:
        config = load_config(str(self.config_file), site_dir=self.site_dir,
                             dev_addr=f"{self.host}:{self.port}")
        config.plugins["nyhet-visa-state"] = self.state
        speed_up_blog(config)
        return config

    def _watched(self) -> list[Path]:
        paths = [Path(self.config.docs_dir), self.config_file]
        paths += [Path(folder) for folder in self.config.theme.dirs
                  if Path(folder).resolve().is_relative_to(self.config_file.parent.resolve())]
        return paths

    # --- building ---------------------------------------------------------------------------

    def full_build(self) -> None:
        """A complete build, as `mkdocs serve` does it; remembers the texts it read."""
        config = self.config if not self.seen else self._load()
        forget(config)  # mkdocs.yml or the theme may have changed
        config.site_url = self.serve_url
        started = time.monotonic()
        self.seen = snapshot(self.watched)
        gc.unfreeze()  # what the last full build left may be collected again
        build(config, serve_url=self.serve_url, dirty=False)
        self.config = config
        files = self.state.files
        assert files is not None
        # Read after the build: a file saved meanwhile differs from the snapshot taken before
        # it, so the next save reads it again.
        self.texts = {
            file.abs_src_path: file.content_string
            for file in files if file.is_documentation_page() and file.abs_src_path
        }
        self.broken = False
        # Listed now, as part of the first wait, rather than at the first save that needs them.
        self.theme_files = None
        self._list_theme_files(self.state.env, config)
        # A full collection of the cyclic garbage collector walks every object in the process:
        # with a 3,000-post site in memory that is a second, and it used to fall inside a save.
        # What this build made is moved out of its sight (until the next full build), so later
        # collections walk only what saves make. The cost: the pages of this build that a save
        # replaces are freed only at the next full build.
        gc.collect()
        gc.freeze()
        log.info("Hela webbplatsen byggd på %.1f s", time.monotonic() - started)

    def text_only(self, changed: list[str], fresh: dict[str, str]) -> bool:
        """True when every change is to the text of a page the last build rendered."""
        for path in changed:
            if path not in self.texts or path not in fresh:
                return False
            if _front_matter(fresh[path]) != _front_matter(self.texts[path]):
                return False
        return True

    def structure_build(self, changed: list[str], fresh: dict[str, str]) -> list[str]:
        """Every event that reads the whole site, then a render of just ``changed``.

        The steps of MkDocs' build up to the environment, as ``build`` runs them, except that
        a page that did not change keeps what the last build rendered for it (its HTML, table
        of contents and title) instead of being rendered again, and only the changed pages
        (and new ones) are written. ``fresh`` holds the new texts of the changed pages.
        Returns the source paths of the pages written.
        """
        previous = self.state.files
        assert previous is not None
        before = {file.src_uri: file.page for file in previous.documentation_pages()
                  if file.page is not None}
        kept = (self.state.files, self.state.nav, self.state.env)
        wanted = set(changed)
        config = self._load()
        config.site_url = self.serve_url
        inclusion = InclusionLevel.is_in_serve
        try:
            config = config.plugins.on_config(config)
            # Not on_pre_build: a build runs it just before it empties the site folder, which
            # this render does not do. (Here only the search plugin has it, to wait for the
            # indexing the first build started: seconds, at the writer's first save.) The
            # complete build in the background runs it.
            files = get_files(config)
            texts = self._give_texts(files, wanted, fresh)
            # The last build's template environment: its templates are compiled already (the
            # theme has not changed, or this would be a full build); on_env sets its filters
            # and globals again below.
            env = kept[2] if kept[2] is not None else config.theme.get_env()
            self._add_theme_files(files, env, config)
            files = config.plugins.on_files(files, config=config)
            set_exclusions(files, config)
            nav = get_navigation(files, config)
            nav = config.plugins.on_nav(nav, config=config, files=files)
            rendered = []
            for file in files.documentation_pages(inclusion=inclusion):
                if file.page is None and file.inclusion.is_not_in_nav():
                    Page(None, file, config)
                assert file.page is not None
                old = before.get(file.src_uri)
                if file.abs_src_path in wanted:
                    _populate_page(file.page, config, files)
                    rendered.append(file.page)
                elif old is not None:
                    _carry(old, file.page)
                # else: a list the blog made only now (a new category); the complete build in
                # the background renders it with the excerpts it shows.
            env = config.plugins.on_env(env, config=config, files=files)
            for file in files.media_files():
                if file.abs_src_path in wanted:
                    file.copy_file()
            doc_files = files.documentation_pages(inclusion=inclusion)
            for page in rendered:
                _build_page(page, config, doc_files, nav, env,
                            excluded=page.file.inclusion.is_excluded())
        except Exception as error:
            config.plugins.on_build_error(error=error)
            # The next save starts from the last good build again.
            self.state.files, self.state.nav, self.state.env = kept
            self.broken = True
            raise
        self.broken = False
        self.config = config
        self.texts = texts
        return [page.file.abs_src_path for page in rendered if page.file.abs_src_path]

    def _give_texts(self, files: Files, changed: set[str], fresh: dict[str, str]
                    ) -> dict[str, str]:
        """Give each page's file object its text: kept, or ``fresh`` for the ``changed`` ones.

        Returns the texts given. A file of neither (one that could not be read) is left to
        MkDocs to read, so that its error is the build's.
        """
        texts = {}
        for file in files:
            path = file.abs_src_path
            if not path or not file.is_documentation_page():
                continue
            text = fresh.get(path) if path in changed else self.texts.get(path)
            if text is None:
                text = _read(path)
                if text is None:
                    continue
            _give_text(file, text)
            texts[path] = text
        return texts

    def _list_theme_files(self, env: Any, config: MkDocsConfig) -> list[Any]:
        """The theme's files, listed once per full build.

        Listing them walks the theme's folders (Material's thousands of icons): a second or
        more each time. The theme does not change without a full build, which lists them again.
        """
        if self.theme_files is None:
            listed = Files([])
            listed.add_files_from_theme(env, config)
            self.theme_files = list(listed)
        return self.theme_files

    def _add_theme_files(self, files: Files, env: Any, config: MkDocsConfig) -> None:
        """``files.add_files_from_theme``, with the theme's files listed once per full build."""
        for file in self._list_theme_files(env, config):
            if files.get_file_from_path(file.src_uri) is None:  # docs files win, as in MkDocs
                files.append(file)

    def render_pages(self, changed: list[str], fresh: dict[str, str]) -> None:
        """Render just the pages of ``changed`` (new texts in ``fresh``) with the state of the
        last build."""
        files, nav, env = self.state.files, self.state.nav, self.state.env
        assert files is not None and nav is not None
        by_path = {file.abs_src_path: file for file in files.documentation_pages()}
        doc_files = files.documentation_pages(inclusion=_in_serve())
        for path in changed:
            page = by_path[path].page
            assert page is not None
            _give_text(page.file, fresh[path])
            _reset(page, fresh[path])
            _populate_page(page, self.config, files)
            _build_page(page, self.config, doc_files, nav, env)
        self.texts.update(fresh)

    def builder(self) -> None:
        """Called by the live-reload server after files changed."""
        now = snapshot(self.watched)
        changed = sorted(path for path in set(now) | set(self.seen)
                         if now.get(path) != self.seen.get(path))
        if not changed:
            return
        self.edits += 1
        markdown = [path for path in changed if path.endswith(".md")]
        started = time.monotonic()
        docs = os.path.join(self.config.docs_dir, "")
        # Each changed page read once, before anything renders: every step of this render sees
        # the same text.
        fresh = {path: text for path in markdown if (text := _read(path)) is not None}
        # The cyclic garbage collector would run inside the render now and then (a render
        # makes thousands of page objects, and frees the last render's): a tenth of a second
        # or more while the writer waits. It runs after the browser has the page instead.
        gc.disable()
        try:
            if not self.broken and markdown == changed and self.text_only(changed, fresh):
                self.render_pages(changed, fresh)
                shown = changed
            elif all(path.startswith(docs) for path in changed):
                try:
                    shown = self.structure_build(changed, fresh)
                except BuildError as error:
                    # As `mkdocs serve`: the error in the log, the last good site served.
                    log.error("%s", error)
                    return
            else:
                self.full_build()
                return
            self.seen = now
            log.info("Visar ändringen i %s efter %.2f s; resten av webbplatsen byggs om i "
                     "bakgrunden", ", ".join(_short(p) for p in shown) or "inga sidor",
                     time.monotonic() - started)
            self._rebuild_in_background()
        finally:
            gc.enable()
            collect = threading.Timer(COLLECT_AFTER, gc.collect)
            collect.daemon = True
            collect.start()
            saved = [Path(p) for p in markdown if os.path.exists(p)]
            if saved:
                # After the reload, not before: the check reads the whole site.
                threading.Thread(target=self.on_saved, args=(saved,), daemon=True).start()

    # --- the complete build behind the fast one ------------------------------------------------

    def _rebuild_in_background(self) -> None:
        if self.background and self.background.is_alive():
            return  # it will see that edits happened and start again
        self.background = threading.Thread(target=self._background_loop, daemon=True)
        self.background.start()

    def _background_loop(self) -> None:
        while True:
            edits = self.edits
            out = tempfile.mkdtemp(prefix="nyhet-visa-bygge-")
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "nyhet.preview", str(self.config_file), out,
                     self.serve_url],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                _, errors = self.process.communicate()
                if self.stopping:
                    return
                if self.process.returncode != 0:
                    log.warning("Bygget i bakgrunden misslyckades:\n%s", errors[-2000:])
                    return
                if self.edits == edits:
                    _replace_contents(out, self.site_dir)
                    self._reload()
                    log.info("Hela webbplatsen är uppdaterad (listor, flöden, sök)")
                    return
            finally:
                shutil.rmtree(out, ignore_errors=True)

    def _reload(self) -> None:
        server = self.server
        if server is None:
            return
        with server._epoch_cond:
            server._wanted_epoch = server._visible_epoch = time.monotonic_ns() // 1_000_000
            server._epoch_cond.notify_all()

    # --- serving ----------------------------------------------------------------------------

    def serve(self) -> None:
        self.config.plugins.on_startup(command="serve", dirty=False)
        self.full_build()
        server = LiveReloadServer(builder=self.builder, host=self.host, port=self.port,
                                  root=self.site_dir, mount_path="/")
        # Before watching: the server schedules each watched path with its observer.
        server.observer = observer_for(self.watched)  # type: ignore[assignment]
        self.server = server
        for path in self.watched:
            server.watch(str(path))
        # Stopped by a service manager or a test: end as after Ctrl+C. Set after the first
        # build, since what a build runs may set its own handler.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.serve()
        except KeyboardInterrupt:
            log.info("Avslutar")
        finally:
            self.stopping = True
            if self.process and self.process.poll() is None:
                self.process.terminate()  # a complete build nobody will see
            server.shutdown()
            self.config.plugins.on_shutdown()
            shutil.rmtree(self.site_dir, ignore_errors=True)


def _carry(old: Any, new: Any) -> None:
    """Give the fresh page object ``new`` what the last build rendered for the same page."""
    from material.plugins.blog.structure import Post

    if not isinstance(new, Post):  # a post reads its text and meta when it is created
        new.markdown, new.meta = old.markdown, old.meta
    new.content, new.toc = old.content, old.toc
    new._title_from_render = old._title_from_render
    new.present_anchor_ids, new.links_to_anchors = old.present_anchor_ids, old.links_to_anchors
    if isinstance(new, Post) and isinstance(old, Post):
        # Set while rendering (authors from .authors.yml, read time from the HTML).
        new.authors = old.authors
        if new.config.readtime is None:
            new.config.readtime = old.config.readtime


def _read(path: str) -> str | None:
    """A page's text as MkDocs reads it (``File.content_string``); None if it cannot be read."""
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _give_text(file: File, text: str) -> None:
    """Make ``file.content_string`` return ``text`` instead of reading the file again.

    MkDocs' ``File`` returns ``_content`` when it is set. Its public setter would also unset
    the source path, which Material's blog and our plugins read; tests/nyhet/test_preview.py
    holds MkDocs to this.
    """
    file._content = text


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _in_serve() -> Any:
    from mkdocs.structure.files import InclusionLevel

    return InclusionLevel.is_in_serve


def _reset(page: Any, text: str) -> None:
    """Forget what the last render left on ``page``, as a fresh build would have it.

    Material's blog reads a post's text when it creates the post (``read_source`` does
    nothing for posts) and adds authors and the read time while rendering; a page of MkDocs
    reads its text in ``read_source``.
    """
    from material.plugins.blog.structure import Post

    if isinstance(page, Post):
        lines = text.splitlines(keepends=True)
        page.markdown = "".join(lines[front_matter_lines([line.rstrip("\r\n") for line in lines]):]
                                ).lstrip("\n")
        page.authors = []
        page.config.readtime = page.meta.get("readtime")
    page.content = None
    page.toc = []  # type: ignore[assignment]


def _replace_contents(source: str, target: str) -> None:
    """Make ``target`` hold what ``source`` holds, file by file (each file replaced whole)."""
    wanted = set()
    for folder, _dirs, names in os.walk(source):
        relative = os.path.relpath(folder, source)
        os.makedirs(os.path.join(target, relative), exist_ok=True)
        for name in names:
            path = os.path.normpath(os.path.join(relative, name))
            wanted.add(path)
            os.replace(os.path.join(folder, name), os.path.join(target, path))
    for folder, _dirs, names in os.walk(target):
        for name in names:
            path = os.path.normpath(os.path.join(os.path.relpath(folder, target), name))
            if path not in wanted:
                os.remove(os.path.join(folder, name))


def _short(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def build_into(config_file: str, site_dir: str, serve_url: str) -> None:
    """The complete build of the background process: as `mkdocs serve` builds, into a folder."""
    config = load_config(config_file, site_dir=site_dir)
    config.plugins.on_startup(command="serve", dirty=False)
    config.site_url = serve_url
    try:
        build(config, serve_url=serve_url, dirty=False)
    finally:
        config.plugins.on_shutdown()


def _end_with_parent() -> None:
    """End this background build when the preview that started it has gone, however it went."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(1)


def lower_priority() -> None:
    """Let the preview itself come first on the machine's cores (where the OS allows it).

    The complete build and the check run beside the preview after every save; the page the
    writer is waiting for should not wait for them.
    """
    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICENESS)


BACKGROUND_NICENESS = 10

COLLECT_AFTER = 1.0
"""Seconds after a render that the garbage it left is collected: the browser has loaded the
page by then (it is told to reload as the render ends)."""


if __name__ == "__main__":
    lower_priority()
    logging.basicConfig(level=logging.WARNING)
    threading.Thread(target=_end_with_parent, daemon=True).start()
    build_into(*sys.argv[1:4])
