"""Helpers of the feed tests: what the feeds should hold, read from the sources, and readers.

The expectations are computed from the posts' front matter with the shared post model and the
publishing rule (``Post.is_published`` at the tests' fixed ``BUILD_NOW``), never from the
feeds themselves, so a feed that drops or adds a post fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import yaml
from lxml import etree

from plugins.posts.frontmatter import read_front_matter
from plugins.posts.model import Post, Taxonomy, parse_post
from plugins.posts.slugs import slugify
from tests.conftest import BUILD_NOW, SITE_URL

DATA = Path(__file__).parent / "data"
FORMATS = {"rss": ".rss.xml", "atom": ".atom.xml", "json": ".json"}
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
ATOM_NS = "http://www.w3.org/2005/Atom"
CHANGE_NS = "urn:kommun:it-change:1"
DEFAULT_LIMIT = 50


# mkdocs.yml carries !ENV and !!python/name tags that safe_load cannot build. Tests only edit
# plugin options, so tagged values are kept as their YAML nodes and written back unchanged.
class _Tagged:
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _ConfigLoader(yaml.SafeLoader):
    pass


class _ConfigDumper(yaml.SafeDumper):
    pass


_ConfigLoader.add_multi_constructor("!", lambda loader, suffix, node: _Tagged(node))
_ConfigLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/", lambda loader, suffix, node: _Tagged(node)
)
_ConfigDumper.add_representer(_Tagged, lambda dumper, data: data.node)


def read_config(project: Path) -> dict[str, Any]:
    """The project's mkdocs.yml as a mapping; tagged values stay opaque."""
    return yaml.load((project / "mkdocs.yml").read_text(encoding="utf-8"), _ConfigLoader)


def write_config(project: Path, config: dict[str, Any]) -> None:
    """Write ``config`` back to the project's mkdocs.yml, tags included."""
    text = yaml.dump(config, Dumper=_ConfigDumper, allow_unicode=True, sort_keys=False)
    (project / "mkdocs.yml").write_text(text, encoding="utf-8")


def plugin_options(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The options mapping of plugin ``name`` in a loaded mkdocs.yml (editable in place)."""
    for entry in config["plugins"]:
        if isinstance(entry, dict) and name in entry:
            if entry[name] is None:
                entry[name] = {}
            return entry[name]
    raise KeyError(f"plugin {name} is not enabled in mkdocs.yml")


def set_feed_options(project: Path, **options: Any) -> None:
    """Change options of the intranet-feeds plugin in a project copy's mkdocs.yml."""
    config = read_config(project)
    plugin_options(config, "intranet-feeds").update(options)
    write_config(project, config)


@dataclass(frozen=True)
class Expected:
    """What a project's feeds must hold, computed from its sources."""

    posts: tuple[Post, ...]
    """Every post whose front matter is valid, published or not."""
    taxonomy: Taxonomy
    everyone: str | None
    authority: str
    limit: int
    archive: bool

    @property
    def published(self) -> list[Post]:
        """Published posts, newest first (ties by key, as documented for the site)."""
        chosen = [post for post in self.posts if post.is_published(BUILD_NOW)]
        return sorted(chosen, key=lambda post: (post.date, post.key), reverse=True)

    @property
    def unpublished(self) -> list[Post]:
        return [post for post in self.posts if not post.is_published(BUILD_NOW)]

    def item_id(self, post: Post) -> str:
        return f"tag:{self.authority}:news/{post.key}"

    def feeds(self) -> dict[str, list[Post]]:
        """Feed name (``news``, ``category/tips`` ...) to its posts in order."""
        published = self.published
        result = {"news": published[: self.limit]}
        if self.archive:
            result["news-archive"] = published
        for name in self.taxonomy.categories:
            result[f"category/{slugify(name)}"] = [
                post for post in published if name in post.categories
            ][: self.limit]
        for name in self.taxonomy.audiences:
            result[f"audience/{slugify(name)}"] = [
                post for post in published
                if name in post.audience or (self.everyone and self.everyone in post.audience)
            ][: self.limit]
        return result


def expected_for(project: Path) -> Expected:
    """Read a project's mkdocs.yml and posts into what its feeds must hold."""
    config = read_config(project)
    posts_options = plugin_options(config, "intranet-posts")
    feed_options = plugin_options(config, "intranet-feeds")
    taxonomy = Taxonomy(tuple(posts_options["categories"]), tuple(posts_options["audiences"]))
    docs = project / config.get("docs_dir", "docs")
    posts_dir = posts_options.get("posts_dir", "news/posts")
    posts = []
    for path in sorted((docs / posts_dir).glob("*.md")):
        source = path.relative_to(docs).as_posix()
        meta = read_front_matter(path.read_text(encoding="utf-8"), source)
        posts.append(parse_post(meta, source, taxonomy))
    return Expected(
        posts=tuple(posts),
        taxonomy=taxonomy,
        everyone=feed_options.get("everyone_audience"),
        authority=feed_options["tag_authority"],
        limit=feed_options.get("limit", DEFAULT_LIMIT),
        archive=feed_options.get("archive", False),
    )


def feed_names(expected: Expected) -> list[str]:
    return list(expected.feeds())


def feed_files(site: Path) -> dict[str, Path]:
    """Every feed file (any of the three formats) under the site's feeds/, by its path
    relative to feeds/."""
    root = site / "feeds"
    return {path.relative_to(root).as_posix(): path for path in sorted(root.rglob("*"))
            if path.is_file() and path.name.endswith(tuple(FORMATS.values()))}


def parse(path: Path) -> feedparser.FeedParserDict:
    """feedparser's view of a feed file, with the headers a web server would send with it."""
    fmt = "atom" if path.name.endswith(".atom.xml") else "rss"
    location = SITE_URL + "feeds/" + path.as_posix().rsplit("/feeds/", 1)[-1]
    return feedparser.parse(path.read_bytes(), response_headers={
        "content-type": f"{MEDIA_TYPES[fmt]}; charset=utf-8", "content-location": location})


def json_feed(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())


def entry_ids(path: Path) -> list[str]:
    """The item ids of any feed file, in order, read without feedparser."""
    if path.name.endswith(".json"):
        return [item["id"] for item in json_feed(path)["items"]]
    root = etree.parse(str(path)).getroot()
    if root.tag == "rss":
        return root.xpath("channel/item/guid/text()")
    return root.xpath("a:entry/a:id/text()", namespaces={"a": ATOM_NS})


def all_ids(site: Path) -> dict[str, list[str]]:
    """Item ids of every feed file of a built site, by file name under feeds/."""
    return {name: entry_ids(path) for name, path in feed_files(site).items()}


def feed_bytes(site: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in feed_files(site).items()}


def write_post(project: Path, name: str, meta: dict[str, Any], body: str) -> Path:
    """Add ``content/news/posts/<name>.md`` with front matter ``meta`` to a project copy."""
    path = project / "content" / "news" / "posts" / f"{name}.md"
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    path.write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
    return path


def post_meta(title: str, **extra: Any) -> dict[str, Any]:
    """Valid front matter of a published test post; ``extra`` overrides or adds fields."""
    meta: dict[str, Any] = {
        "title": title,
        "date": "2026-11-20 09:00",
        "description": "En nyhet som testerna lägger till.",
        "categories": ["Tips"],
        "audience": ["skola"],
        "status": "klar",
    }
    meta.update(extra)
    return meta
