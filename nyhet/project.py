"""The site as the writers' command sees it: mkdocs.yml's vocabulary, folders and settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from plugins.posts.model import Taxonomy
from plugins.review.settings import Language, Settings, SettingsError, load_language, settings_from

# The defaults of the intranet-posts plugin's options (plugins/posts/config.py); a test keeps
# them equal.
POSTS_DIR = "news/posts"
GUIDES_DIR = "guides"
TIMEZONE = "Europe/Stockholm"


class ProjectError(Exception):
    """mkdocs.yml is missing or does not say what the command needs."""


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without running it: MkDocs' own tags (!ENV, !!python/name) become
    None, since nothing the command needs is written with them."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_ConfigLoader.add_multi_constructor("!", _ignore_tag)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


@dataclass(frozen=True)
class Project:
    """The site rooted at the folder of its mkdocs.yml."""

    root: Path
    docs_dir: Path
    posts_dir: str
    """Relative to docs_dir."""
    guides_dir: str
    taxonomy: Taxonomy
    settings: Settings
    language: Language
    config_file: Path

    @property
    def posts_path(self) -> Path:
        return self.docs_dir / self.posts_dir

    @property
    def guides_path(self) -> Path:
        return self.docs_dir / self.guides_dir

    def authors(self) -> list[str]:
        """Ids of Material blog's authors (``.authors.yml`` in the blog folder)."""
        path = self.docs_dir / self.posts_dir.split("/", 1)[0] / ".authors.yml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return []
        authors = data.get("authors") if isinstance(data, dict) else None
        return list(authors) if isinstance(authors, dict) else []


def _plugin_options(config: dict[str, Any], name: str) -> dict[str, Any] | None:
    for entry in config.get("plugins") or []:
        if entry == name:
            return {}
        if isinstance(entry, dict) and name in entry:
            return entry[name] or {}
    return None


def load_project(config_file: Path) -> Project:
    """Read ``config_file`` (mkdocs.yml) and the word lists it points at."""
    try:
        config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except OSError as error:
        raise ProjectError(f"hittar inte {config_file}: kör kommandot i mappen där mkdocs.yml "
                           "ligger, eller ange --config") from error
    except yaml.YAMLError as error:
        raise ProjectError(f"{config_file} är inte giltig YAML: {error}") from error
    if not isinstance(config, dict):
        raise ProjectError(f"{config_file} är ingen MkDocs-konfiguration")
    posts = _plugin_options(config, "intranet-posts")
    if posts is None:
        raise ProjectError(f"{config_file} har inget intranet-posts under plugins")
    root = config_file.resolve().parent
    try:
        zone = ZoneInfo(posts.get("timezone", TIMEZONE))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ProjectError(f"intranet-posts: okänd tidszon {posts.get('timezone')}") from error
    taxonomy = Taxonomy(
        categories=tuple(posts.get("categories") or ()),
        audiences=tuple(posts.get("audiences") or ()),
        timezone=zone,
    )
    docs_dir = root / str(config.get("docs_dir") or "docs")
    try:
        settings = settings_from(_plugin_options(config, "intranet-review") or {})
        language = load_language(docs_dir / settings.wordlists)
    except SettingsError as error:
        raise ProjectError(str(error)) from error
    return Project(
        root=root,
        docs_dir=docs_dir,
        posts_dir=str(posts.get("posts_dir", POSTS_DIR)).strip("/"),
        guides_dir=str(posts.get("guides_dir", GUIDES_DIR)).strip("/"),
        taxonomy=taxonomy,
        settings=settings,
        language=language,
        config_file=config_file,
    )


def build_now() -> datetime:
    """"Now" as the build sees it: ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)
