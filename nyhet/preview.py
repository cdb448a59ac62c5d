"""``nyhet visa``: preview at the speed of writing.

``mkdocs serve`` rebuilds the whole site after every save: at 3,000 posts that is a minute or
more. This preview builds the whole site once (as ``mkdocs serve`` does: drafts and scheduled
posts included and marked as drafts), keeps MkDocs' state of that build in memory, and after a
save that changes only the text of pages (not their front matter, not which files exist, not
mkdocs.yml or the theme) renders just those pages, through the same MkDocs and plugin events a
full build runs for them, and reloads the browser. Then, so that lists, feeds and search show
the edit too, a complete build runs in the background (another process) and replaces the
served site when it is done. Any other change is a full rebuild, as with ``mkdocs serve``.

After each save the command also prints what ``nyhet granska`` says about the saved files.

Only this module imports MkDocs; it wraps MkDocs itself, never our plugins.
"""

from __future__ import annotations

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
from mkdocs.livereload import LiveReloadServer, _serve_url
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation

from plugins.review.scan import front_matter_lines

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
        self.sources: dict[str, str] = {}
        self.edits = 0
        self.background: threading.Thread | None = None
        self.process: subprocess.Popen[str] | None = None
        self.stopping = False
        self.server: LiveReloadServer | None = None

    def _load(self) -> MkDocsConfig:
        config = load_config(str(self.config_file), site_dir=self.site_dir,
                             dev_addr=f"{self.host}:{self.port}")
        config.plugins["nyhet-visa-state"] = self.state
        return config

    def _watched(self) -> list[Path]:
        paths = [Path(self.config.docs_dir), self.config_file]
        paths += [Path(folder) for folder in self.config.theme.dirs
                  if Path(folder).resolve().is_relative_to(self.config_file.parent.resolve())]
        return paths

    # --- building ---------------------------------------------------------------------------

    def full_build(self) -> None:
        """A complete build, as `mkdocs serve` does it; remembers the sources it read."""
        config = self.config if not self.seen else self._load()
        config.site_url = self.serve_url
        started = time.monotonic()
        self.seen = snapshot(self.watched)
        build(config, serve_url=self.serve_url, dirty=False)
        self.config = config
        files = self.state.files
        assert files is not None
        self.sources = {
            file.abs_src_path: _front_matter(file.content_string)
            for file in files.documentation_pages() if file.abs_src_path
        }
        log.info("Hela webbplatsen byggd på %.1f s", time.monotonic() - started)

    def text_only(self, changed: list[str]) -> bool:
        """True when every change is to the text of a page the last build rendered."""
        for path in changed:
            if path not in self.sources:
                return False
            try:
                text = Path(path).read_text(encoding="utf-8-sig")
            except OSError:
                return False
            if _front_matter(text) != self.sources[path]:
                return False
        return True

    def render_pages(self, changed: list[str]) -> None:
        """Render just the pages of ``changed`` with the state of the last full build."""
        files, nav, env = self.state.files, self.state.nav, self.state.env
        assert files is not None and nav is not None
        by_path = {file.abs_src_path: file for file in files.documentation_pages()}
        doc_files = files.documentation_pages(inclusion=_in_serve())
        for path in changed:
            page = by_path[path].page
            assert page is not None
            _reset(page, Path(path).read_text(encoding="utf-8-sig"))
            _populate_page(page, self.config, files)
            _build_page(page, self.config, doc_files, nav, env)

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
        try:
            if markdown == changed and self.text_only(changed):
                self.render_pages(changed)
                self.seen.update({path: now[path] for path in changed})
                log.info("Visar ändringen i %s efter %.2f s; resten av webbplatsen byggs om i "
                         "bakgrunden", ", ".join(_short(p) for p in changed),
                         time.monotonic() - started)
                self._rebuild_in_background()
            else:
                self.full_build()
        finally:
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


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    threading.Thread(target=_end_with_parent, daemon=True).start()
    build_into(*sys.argv[1:4])
