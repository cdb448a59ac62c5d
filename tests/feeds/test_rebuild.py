"""Feeds across rebuilds: a dirty build keeps every body, and an unchanged feed keeps the
modification time (so the ETag and Last-Modified of nginx, Apache and IIS) of the last build."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import run_build

from .support import feed_bytes, feed_files

# The real content's newest change, read by hand from content/news/posts/: storning-wifi-pa-
# skolorna.md, updated 2026-11-28 11:00 Swedish time (winter time, UTC+1) = 10:00 UTC.
NEWEST_CHANGE = datetime(2026, 11, 28, 10, 0, tzinfo=UTC).timestamp()
EDITED = "content/news/posts/jobba-var-du-vill.md"


def contents(site: Path) -> dict[str, str]:
    items = json.loads((site / "feeds/news.json").read_text(encoding="utf-8"))["items"]
    return {item["id"]: item["content_html"] for item in items}


def test_a_rebuild_keeps_each_feeds_modification_time(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = run_build(project, site)
    assert first.returncode == 0, first.output
    times = {name: path.stat().st_mtime for name, path in feed_files(site).items()}
    assert times["news.rss.xml"] == NEWEST_CHANGE
    assert times["news.json"] == times["news.atom.xml"] == NEWEST_CHANGE

    second = run_build(project, site)  # MkDocs empties site/ first: every file is new

    assert second.returncode == 0, second.output
    assert {name: path.stat().st_mtime for name, path in feed_files(site).items()} == times
    assert max(times.values()) == NEWEST_CHANGE


def test_a_dirty_build_keeps_the_full_body_of_every_post(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    full = run_build(project, site)
    assert full.returncode == 0, full.output
    before = contents(site)
    assert all(html.strip() for html in before.values())
    edited = project / EDITED
    edited.write_text(edited.read_text(encoding="utf-8") + "\nEtt nytt stycke i efterhand.\n",
                      encoding="utf-8")

    # MkDocs warns about every dirty build, so --strict cannot be used here.
    dirty = run_build(project, site, strict=False, extra_args="--dirty")

    assert dirty.returncode == 0, dirty.output
    after = contents(site)
    assert after.keys() == before.keys()
    for item_id, html in after.items():
        if item_id.endswith("news/jobba-var-du-vill"):
            assert "Ett nytt stycke i efterhand." in html
        else:
            assert html == before[item_id], item_id
    rss = (site / "feeds/news.rss.xml").read_text(encoding="utf-8")
    assert "<content:encoded></content:encoded>" not in rss


def test_a_dirty_build_without_the_bodies_leaves_the_previous_feeds(
    project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    full = run_build(project, site)
    assert full.returncode == 0, full.output
    for path in (site / "feeds").rglob("*.json"):  # where a dirty build finds unchanged bodies
        path.unlink()
    previous = feed_bytes(site)

    dirty = run_build(project, site, strict=False, extra_args="--dirty")

    assert "Flödena skrevs inte, de förra flödesfilerna är kvar som de var" in dirty.output
    assert feed_bytes(site) == previous
