"""MkDocs adapter: `mkdocs build` writes into a staging folder and swaps it in on success.

MkDocs empties ``site_dir`` before it builds, and our validation (or --strict) fails after
that: a nightly rebuild into the folder the web server reads would take the intranet down
until someone fixed the post. With this plugin a failed build leaves the previous site as
it was. Events only; the file operations are in :mod:`plugins.staging.swap`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from .config import StagingConfig
from .swap import remove, staging_path, swap_in

log = get_plugin_logger(__name__)


class StagingPlugin(BasePlugin[StagingConfig]):
    """Builds into ``.<site>.building`` beside ``site_dir``; swaps it in only on success."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.active = False
        self.failed = False
        self.target: Path | None = None
        self.staging: Path | None = None

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        # `serve` builds into a temporary folder of its own; a dirty build updates the
        # previous site in place by design.
        self.active = command == "build" and not dirty

    # First of all plugins: every later one must see the staging folder as site_dir.
    @event_priority(100)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not (self.active and self.config.enabled):
            return config
        self.failed = False
        self.target = Path(config.site_dir).resolve()
        self.staging = staging_path(self.target)
        remove(self.staging)  # left by a build that was killed
        config.site_dir = str(self.staging)
        return config

    def on_build_error(self, *, error: Exception) -> None:
        # Also called for "Aborted with N warnings in strict mode", which MkDocs raises
        # after every page and on_post_build have run.
        self.failed = True

    def on_shutdown(self) -> None:
        if self.staging is None or self.target is None:
            return
        staging, target, self.staging = self.staging, self.target, None
        if self.failed:
            remove(staging)
            # Writers read this in the build's output: Swedish, like the messages before it.
            log.error("Bygget misslyckades; %s är kvar som det var", target)
            return
        swap_in(staging, target)
