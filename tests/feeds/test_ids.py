"""Item ids never change, and the same input gives the same bytes.

A reader that sees a new id shows the post again as unread; a changed byte changes the
ETag and makes every reader download the feed again.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO, SITE_URL, run_build

from .support import Expected, all_ids, expected_for, feed_bytes, json_feed, post_meta, write_post

OTHER_SITE_URL = "http://annan-adress.example.test/intranat/"


def build(project: Path, site: Path, site_url: str = SITE_URL) -> Path:
    result = run_build(project, site, SITE_URL=site_url)
    assert result.returncode == 0, result.output
    return result.site


def item(site: Path, item_id: str) -> dict:
    (found,) = [i for i in json_feed(site / "feeds" / "news.json")["items"]
                if i["id"] == item_id]
    return found


def test_rebuilding_the_same_input_gives_the_same_bytes(
    built_site: Path, tmp_path: Path
) -> None:
    # Another folder, another process, the same sources: every feed byte for byte equal.
    again = feed_bytes(build(REPO, tmp_path / "again"))
    before = feed_bytes(built_site)
    assert [name for name in before if before[name] != again.get(name)] == []


def test_ids_survive_a_retitle_an_edit_and_a_new_date(project: Path, tmp_path: Path) -> None:
    write_post(project, "stabil-nyhet", post_meta("Första rubriken", audience=["alla"]),
               "Första versionen av texten.")
    before_site = build(project, tmp_path / "before")
    expected: Expected = expected_for(project)
    (post,) = [post for post in expected.posts if post.key == "stabil-nyhet"]
    item_id = expected.item_id(post)
    before = item(before_site, item_id)

    write_post(project, "stabil-nyhet", post_meta(
        "En helt annan rubrik", audience=["alla"], date="2026-11-18 07:45",
        updated="2026-11-25 10:00", description="Ny sammanfattning."),
        "Andra versionen av texten, med ett tillägg.\n\n## Nytt avsnitt\n\nMer text.")
    after_site = build(project, tmp_path / "after")
    after = item(after_site, item_id)

    assert after["title"] == "En helt annan rubrik" and before["title"] == "Första rubriken"
    assert after["content_html"] != before["content_html"]
    assert after["date_published"] != before["date_published"]
    assert after["url"] == before["url"]
    assert all_ids(before_site).keys() == all_ids(after_site).keys()
    for name, ids in all_ids(before_site).items():
        assert set(ids) == set(all_ids(after_site)[name]), name


def test_ids_do_not_depend_on_the_site_address(built_site: Path, tmp_path: Path) -> None:
    # `mkdocs serve` and a move to another server change site_url; ids must not follow.
    elsewhere = build(REPO, tmp_path / "elsewhere", site_url=OTHER_SITE_URL)
    assert all_ids(elsewhere) == all_ids(built_site)
    assert all(ids for name, ids in all_ids(built_site).items() if name.startswith("news"))
    moved = json_feed(elsewhere / "feeds" / "news.json")
    assert moved["feed_url"] == OTHER_SITE_URL + "feeds/news.json"
    assert all(i["url"].startswith(OTHER_SITE_URL) for i in moved["items"])
    assert all(i["url"].startswith(SITE_URL)
               for i in json_feed(built_site / "feeds" / "news.json")["items"])
    for name, body in feed_bytes(elsewhere).items():
        assert SITE_URL.encode() not in body, name


def test_a_front_matter_id_survives_renaming_the_file(project: Path, tmp_path: Path) -> None:
    posts = project / "content" / "news" / "posts"
    write_post(project, "gammalt-filnamn", post_meta("Nyhet med fast id", id="fast-id-nyhet"),
               "Text.")
    before = build(project, tmp_path / "before")
    (posts / "gammalt-filnamn.md").rename(posts / "nytt-filnamn.md")
    after = build(project, tmp_path / "after")
    item_id = expected_for(project).item_id(
        next(post for post in expected_for(project).posts if post.key == "fast-id-nyhet"))
    assert item_id.endswith(":news/fast-id-nyhet")
    assert item(before, item_id)["url"] == SITE_URL + "news/gammalt-filnamn/"
    assert item(after, item_id)["url"] == SITE_URL + "news/nytt-filnamn/"
