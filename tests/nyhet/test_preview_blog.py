"""What `nyhet visa` keeps in Material's blog between reads of the site: what Material makes.

Each helper of nyhet/preview_blog.py is held to the installed Material's own result, so that a
Material upgrade that changes what they rely on fails here rather than in a writer's preview.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from material.plugins.blog import plugin as blog_plugin
from material.plugins.blog import structure
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

from nyhet.preview_blog import (
    CopyOnce,
    RememberedDates,
    RememberedPosts,
    RememberedTranslations,
    RememberedYaml,
    remember_canonical_urls,
)

POST = """\
---
date:
  created: 2026-03-10 09:30:00
  updated: 2026-03-11
categories: [Tips, Säkerhet]
authors: [it]
hide: [toc]
title: Byt lösenord
---

# Byt lösenord

Text om lösenord.
"""


class CountingLoader(yaml.SafeLoader):
    made = 0

    def __init__(self, stream: Any) -> None:
        type(self).made += 1
        super().__init__(stream)


def test_each_text_is_parsed_once_and_every_caller_gets_its_own_copy() -> None:
    remembered = RememberedYaml()
    text = "title: Flytt\nhide: [toc]\n"
    first = remembered.load(text, CountingLoader)
    first["hide"].append("navigation")  # Material's blog changes what it gets
    second = remembered.load(text, CountingLoader)
    assert second == {"title": "Flytt", "hide": ["toc"]}
    assert CountingLoader.made == 1
    assert remembered.load("title: Annan\n", CountingLoader) == {"title": "Annan"}
    assert CountingLoader.made == 2
    assert remembered.safe_load("a: 1") == {"a": 1}  # the rest of PyYAML as it is


def test_a_copy_is_made_again_only_when_its_source_changed_or_it_is_gone(
    tmp_path: Path
) -> None:
    copies: list[tuple[str, str]] = []

    def copy_file(source: str, target: str) -> None:
        copies.append((source, target))
        shutil.copyfile(source, target)

    source, target = tmp_path / "index.md", tmp_path / "page-2.md"
    source.write_text("# Nyheter\n", encoding="utf-8")
    copy_once = CopyOnce(copy_file)
    copy_once(str(source), str(target))
    source.write_text("# Nyheter\n", encoding="utf-8")  # written again, the same content
    os.utime(source, ns=(1, 1))  # as the blog does for archive and category lists
    copy_once(str(source), str(target))
    assert len(copies) == 1
    source.write_text("# Alla nyheter\n", encoding="utf-8")
    copy_once(str(source), str(target))
    assert len(copies) == 2 and target.read_text(encoding="utf-8") == "# Alla nyheter\n"
    target.unlink()
    copy_once(str(source), str(target))
    assert len(copies) == 3 and target.is_file()


@pytest.fixture
def blog_site(tmp_path: Path) -> MkDocsConfig:
    """A minimal site with Material's blog, loaded as MkDocs loads it."""
    docs = tmp_path / "docs"
    (docs / "blog/posts").mkdir(parents=True)
    (docs / "blog/index.md").write_text("# Blogg\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Test\nsite_url: http://127.0.0.1:8000/\nrepo_url: https://example.org/r/\n"
        "edit_uri: edit/main/docs/\ntheme:\n  name: material\n  language: sv\nplugins:\n"
        "  - blog\n", encoding="utf-8")
    return load_config(str(tmp_path / "mkdocs.yml"))


def _post_file(config: MkDocsConfig, name: str = "byt-losenord.md") -> File:
    return File(f"blog/posts/{name}", config.docs_dir, config.site_dir, config.use_directory_urls)


def _state(post: Any) -> dict[str, Any]:
    """Every attribute of a post but its file, with its settings as a plain mapping."""
    state = {key: value for key, value in vars(post).items() if key != "file"}
    state["config"] = dict(post.config)
    return state


def _resolver(config: MkDocsConfig) -> Any:
    """The blog's own ``_resolve_post``, of the blog plugin MkDocs loaded for ``config``."""
    return config.plugins["material/blog"]._resolve_post


def test_a_remembered_post_has_what_materials_own_post_has(blog_site: MkDocsConfig) -> None:
    path = Path(blog_site.docs_dir, "blog/posts/byt-losenord.md")
    path.write_text(POST, encoding="utf-8")
    fresh_file = _post_file(blog_site)
    fresh = _resolver(blog_site)(fresh_file, blog_site)
    remembered = RememberedPosts(_resolver(blog_site), structure.Post)
    read = remembered(_post_file(blog_site), blog_site)
    file = _post_file(blog_site)
    copied = remembered(file, blog_site)

    assert type(copied) is structure.Post and copied is not read
    assert copied.file is file and file.page is copied
    # The same attributes (an attribute a new Material adds to Post fails here) and values.
    assert _state(copied) == _state(fresh) == _state(read)
    assert copied.config.date.created == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    assert copied.meta["hide"] == ["toc", "navigation"]
    # Placed where the blog places it (its default address: date and title).
    where = ("dest_uri", "abs_dest_path", "url", "src_uri", "abs_src_path")
    assert {name: getattr(file, name) for name in where} == {
        name: getattr(fresh_file, name) for name in where}
    assert file.url == "blog/2026/03/10/byt-l%C3%B6senord/"  # Material keeps the ö
    assert copied.canonical_url == "http://127.0.0.1:8000/blog/2026/03/10/byt-l%C3%B6senord/"


def test_what_a_build_changes_in_one_post_stays_in_that_post(blog_site: MkDocsConfig) -> None:
    path = Path(blog_site.docs_dir, "blog/posts/byt-losenord.md")
    path.write_text(POST, encoding="utf-8")
    remembered = RememberedPosts(_resolver(blog_site), structure.Post)
    first = remembered(_post_file(blog_site), blog_site)
    # As a build changes a post: our posts plugin sets the date, the blog adds read time,
    # categories and authors, the posts plugin escapes metadata.
    first.config.date["created"] = datetime(2000, 1, 1, tzinfo=UTC)
    first.config.readtime = 3
    first.config.categories.append("Annat")
    first.meta["hide"].append("footer")
    first.categories.append("vy")
    second = remembered(_post_file(blog_site), blog_site)
    second.config.date.created = datetime(2001, 1, 1, tzinfo=UTC)
    third = remembered(_post_file(blog_site), blog_site)
    assert third.config.date["created"] == datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    assert third.config.date.created == third.config.date["created"]
    assert third.config.readtime is None
    assert third.config.categories == ["Tips", "Säkerhet"]
    assert third.meta["hide"] == ["toc", "navigation"]
    assert third.categories == [] and third.authors == [] and third.excerpt is None


def test_a_changed_text_a_post_with_links_or_a_full_build_reads_it_again(
    blog_site: MkDocsConfig
) -> None:
    path = Path(blog_site.docs_dir, "blog/posts/byt-losenord.md")
    path.write_text(POST, encoding="utf-8")
    made: list[str] = []

    def resolve_post(file: File, config: MkDocsConfig) -> Any:
        made.append(file.src_uri)
        return _resolver(blog_site)(file, config)

    remembered = RememberedPosts(resolve_post, structure.Post)
    remembered(_post_file(blog_site), blog_site)
    remembered(_post_file(blog_site), blog_site)
    assert len(made) == 1
    path.write_text(POST.replace("Text om lösenord.", "Ny text."), encoding="utf-8")
    assert "Ny text." in remembered(_post_file(blog_site), blog_site).markdown
    assert len(made) == 2
    remembered.forget()
    remembered(_post_file(blog_site), blog_site)
    assert len(made) == 3

    # The blog rewrites a post's links in place when it resolves them: read each time.
    path.write_text(POST.replace("hide:", "links:\n  - blog/index.md\nhide:"), encoding="utf-8")
    remembered(_post_file(blog_site), blog_site)
    remembered(_post_file(blog_site), blog_site)
    assert len(made) == 5


def test_dates_are_formatted_once_each_as_material_formats_them(
    blog_site: MkDocsConfig
) -> None:
    blog = blog_plugin.BlogPlugin()
    calls: list[datetime] = []

    def format_date(moment: datetime, format: str, config: MkDocsConfig) -> str:
        calls.append(moment)
        return str(blog._format_date(moment, format, config))

    remembered = RememberedDates(format_date)
    new_year_here = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    # The same instant, in UTC, is still the old year: equal datetimes, different dates.
    new_year_utc = new_year_here.astimezone(UTC)
    assert new_year_here == new_year_utc
    assert remembered(new_year_here, "yyyy", blog_site) == "2026"
    assert remembered(new_year_utc, "yyyy", blog_site) == "2025"
    assert remembered(new_year_here, "long", blog_site) == "1 januari 2026"
    assert remembered(new_year_here, "yyyy", blog_site) == "2026"
    assert len(calls) == 3


def test_a_translation_is_looked_up_once_until_forgotten(blog_site: MkDocsConfig) -> None:
    blog = blog_plugin.BlogPlugin()
    looked_up: list[str] = []

    def translate(key: str, config: MkDocsConfig) -> str:
        looked_up.append(key)
        return str(blog._translate(key, config))

    remembered = RememberedTranslations(translate)
    assert remembered("blog.categories", blog_site) == "Kategorier"
    assert remembered("blog.categories", blog_site) == "Kategorier"
    assert looked_up == ["blog.categories"]
    remembered.forget()
    remembered("blog.categories", blog_site)
    assert looked_up == ["blog.categories", "blog.categories"]


def test_canonical_urls_are_joined_once_each_as_mkdocs_joins_them(tmp_path: Path) -> None:
    joined: list[tuple[str | None, str]] = []

    class Counted(Page):
        def _set_canonical_url(self, base: str | None) -> None:
            joined.append((base, self.url))
            super()._set_canonical_url(base)

    class Remembered(Counted):
        pass

    remember_canonical_urls(Remembered)
    remember_canonical_urls(Remembered)  # idempotent: one memo, not two
    config = load_config(config_file=None, site_url="http://127.0.0.1:8000/it",
                         docs_dir=str(tmp_path))
    cases = [("nyheter/flytt.md", "http://127.0.0.1:8000/it"), ("index.md", None),
             ("nyheter/byt-lösenord.md", "http://127.0.0.1:8000/it/"),
             ("nyheter/flytt.md", "https://intranet.exempelby.test/")]
    for _round in range(2):
        for src, base in cases:
            config.site_url = base
            mine = Remembered(None, File(src, str(tmp_path), "/s", True), config)
            theirs = Page(None, File(src, str(tmp_path), "/s", True), config)
            # Every attribute MkDocs sets, and only those (a new one in an upgrade fails).
            assert {k: v for k, v in vars(mine).items() if k != "file"} == {
                k: v for k, v in vars(theirs).items() if k != "file"}, (src, base)
    assert len(joined) == len(cases)  # the second round joined nothing
    assert Remembered(None, File("nyheter/byt-lösenord.md", str(tmp_path), "/s", True),
                      config).canonical_url == "https://intranet.exempelby.test/nyheter/" \
        "byt-l%C3%B6senord/"


def test_importing_the_preview_leaves_materials_blog_as_it_is() -> None:
    # Only a running preview changes the blog; `mkdocs build` and the preview's complete
    # build in the background (python -m nyhet.preview) import this module too.
    check = ("import nyhet.preview, nyhet.preview_blog\n"
             "from material.plugins.blog import plugin, structure\n"
             "assert plugin.copy_file.__module__ == 'mkdocs.utils'\n"
             "assert structure.yaml.__name__ == 'yaml'\n"
             "from mkdocs.structure.pages import Page\n"
             "assert not hasattr(Page._set_canonical_url, 'remembered')\n")
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60)
