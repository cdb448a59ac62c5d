"""Rebuilds as `mkdocs serve` and `nyhet visa` make them: unchanged posts are not validated again.

Both keep the plugin objects across rebuilds (MkDocs keeps a plugin that has ``on_startup``)
and run ``build`` again after every save, so these tests do the same in this process: load the
configuration, start the plugins for ``serve``, build, change a file, load and build again. A
post the posts plugin reused is the very object of the last build; one it validated again is a
new one. What must never be reused: a post whose text changed, every post when mkdocs.yml's
vocabulary changed, a deleted post.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from plugins.posts.model import Post
from plugins.posts.plugin import PostsPlugin
from tests.conftest import BUILD_NOW, SITE_URL

POSTS = "news/posts/"
EDITED = POSTS + "nytt-windows-pa-alla-datorer.md"
TIPS = POSTS + "jobba-var-du-vill.md"  # The only category it names is "Tips".


@pytest.fixture
def serve_build(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_NOW.timestamp())))
    monkeypatch.setenv("SITE_URL", SITE_URL)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")

    def rebuild() -> dict[str, Post]:
        config = load_config(str(project / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
        config.plugins.on_startup(command="serve", dirty=False)
        build(config)
        plugin = config.plugins["intranet-posts"]
        assert isinstance(plugin, PostsPlugin)
        return {post.source: post for post in plugin.posts}

    return rebuild


def test_a_rebuild_reuses_unchanged_posts_and_validates_the_edited_one(
    serve_build, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edited = project / "content" / EDITED
    tips = project / "content" / TIPS
    tips.write_text(tips.read_text(encoding="utf-8").replace(
        "status: klar\n", "status: klar\nforfattare: Eva\n", 1), encoding="utf-8")
    first = serve_build()
    assert first[EDITED].title.startswith("Nytt Windows på alla datorer")

    edited.write_text(edited.read_text(encoding="utf-8").replace(
        'title: "Nytt Windows på alla datorer', 'title: "Nytt Windows på varje dator', 1),
        encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        second = serve_build()

    assert second[EDITED].title.startswith("Nytt Windows på varje dator")
    assert second[EDITED] is not first[EDITED]
    unchanged = set(first) - {EDITED}
    assert len(unchanged) >= 15
    assert all(second[source] is first[source] for source in unchanged)
    # A reused post still warns: `mkdocs serve --strict` and the log show it at every build.
    assert any("fältet forfattare är okänt" in record.getMessage() for record in caplog.records)


def test_a_changed_vocabulary_validates_every_post_again(
    serve_build, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = project / "mkdocs.yml"
    first = serve_build()
    assert first[TIPS].categories == ("Tips",)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "        - Tips\n", "        - Tips\n        - Driftinformation\n", 1), encoding="utf-8")
    second = serve_build()
    assert set(second) == set(first)
    assert not any(second[source] is first[source] for source in first)

    config.write_text(config.read_text(encoding="utf-8").replace(
        "        - Tips\n", "        - Tips och råd\n", 1), encoding="utf-8")
    caplog.clear()
    with pytest.raises(Abort):
        serve_build()
    assert f"content/{TIPS}:5: categories: Tips är inte tillåtet" in caplog.text


def test_a_deleted_post_is_gone_after_the_rebuild(serve_build, project: Path) -> None:
    first = serve_build()
    assert TIPS in first
    (project / "content" / TIPS).unlink()
    second = serve_build()
    assert TIPS not in second
    assert second[EDITED] is first[EDITED]
