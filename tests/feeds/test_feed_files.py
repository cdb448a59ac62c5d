"""The real built site's feeds: every file parses, and each holds exactly its posts.

The expected content of each feed is computed from the posts' front matter (see
``support.Expected``), so these tests follow the content as writers add posts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from plugins.posts.slugs import slugify
from tests.conftest import REPO, SITE_URL, run_build

from .support import (
    FORMATS,
    Expected,
    all_ids,
    entry_ids,
    expected_for,
    feed_files,
    feed_names,
    json_feed,
    parse,
    post_meta,
    set_feed_options,
    write_post,
)

FEED_NAMES = feed_names(expected_for(REPO))


def test_feed_folder_holds_exactly_the_documented_feeds(
    feeds: dict[str, Path], expected: Expected
) -> None:
    wanted = {name + suffix for name in expected.feeds() for suffix in FORMATS.values()}
    assert set(feeds) == wanted


def test_feed_folder_holds_nothing_else_but_empty_sitemaps(built_site: Path) -> None:
    # The plugin writes an empty sitemap.xml per folder for Material's language switcher.
    root = built_site / "feeds"
    others = [path for path in root.rglob("*") if path.is_file()
              and not path.name.endswith(tuple(FORMATS.values()))]
    assert {path.name for path in others} <= {"sitemap.xml"}


def test_topic_feed_paths_are_lowercase_ascii_slugs(feeds: dict[str, Path]) -> None:
    for name in ("category/planerad-andring", "audience/vard-och-omsorg", "news-archive"):
        assert f"{name}.rss.xml" in feeds
    for name in feeds:
        assert name.isascii() and name == name.lower() and " " not in name, name


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("name", FEED_NAMES)
def test_feedparser_reads_every_feed_without_complaint(
    feeds: dict[str, Path], expected: Expected, name: str, fmt: str
) -> None:
    parsed = parse(feeds[name + FORMATS[fmt]])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[fmt]
    assert len(parsed.entries) == len(expected.feeds()[name])


@pytest.mark.parametrize("name", FEED_NAMES)
def test_json_feed_has_the_expected_number_of_items(
    feeds: dict[str, Path], expected: Expected, name: str
) -> None:
    assert len(json_feed(feeds[name + ".json"])["items"]) == len(expected.feeds()[name])


def test_every_feed_file_parses(feeds: dict[str, Path]) -> None:
    # Whatever lands in feeds/, not only the names the tests expect, must be readable.
    for name, path in feeds.items():
        if name.endswith(".json"):
            json_feed(path)
        else:
            parsed = parse(path)
            assert not parsed.bozo, (name, parsed.get("bozo_exception"))


@pytest.mark.parametrize("name", FEED_NAMES)
def test_each_feed_holds_exactly_its_posts_newest_first(
    feeds: dict[str, Path], expected: Expected, name: str
) -> None:
    wanted = [expected.item_id(post) for post in expected.feeds()[name]]
    for suffix in FORMATS.values():
        assert entry_ids(feeds[name + suffix]) == wanted, name + suffix


def test_items_are_newest_first_by_their_own_dates(feeds: dict[str, Path]) -> None:
    # Independent of the expectation's sort: the dates in the file itself never go up.
    for name, path in feeds.items():
        if name.endswith(".json"):
            dates = [item["date_published"] for item in json_feed(path)["items"]]
            moments = [datetime.fromisoformat(date) for date in dates]
        else:
            moments = [entry.published_parsed for entry in parse(path).entries]
        assert moments == sorted(moments, reverse=True), name


def test_audience_feeds_include_posts_for_everyone(feeds: dict[str, Path],
                                                   expected: Expected) -> None:
    assert expected.everyone, "mkdocs.yml names the audience meaning everybody"
    for_everyone = {expected.item_id(post) for post in expected.published
                    if expected.everyone in post.audience}
    assert for_everyone, "the site has posts addressed to everybody"
    for audience in expected.taxonomy.audiences:
        ids = set(entry_ids(feeds[f"audience/{slugify(audience)}.rss.xml"]))
        assert for_everyone <= ids, audience


def test_the_real_content_has_a_draft_and_a_future_post(expected: Expected) -> None:
    sources = {post.source.rsplit("/", 1)[-1] for post in expected.unpublished}
    assert any(name.startswith("utkast-") for name in sources), sources
    assert any(name.startswith("framtida-") for name in sources), sources


def test_drafts_and_future_posts_are_in_no_feed(built_site: Path, expected: Expected) -> None:
    hidden = expected.unpublished
    assert hidden
    for name, path in feed_files(built_site).items():
        text = path.read_text(encoding="utf-8")
        for post in hidden:
            assert expected.item_id(post) not in text, (name, post.source)
            assert post.title not in text, (name, post.source)
            stem = post.source.rsplit("/", 1)[-1].removesuffix(".md")
            assert f"/news/{stem}/" not in text, (name, post.source)
    for ids in all_ids(built_site).values():
        assert not [i for i in ids if "news/utkast-" in i or "news/framtida-" in i]


def test_drafts_and_future_posts_stay_out_of_a_copy_too(project: Path, tmp_path: Path) -> None:
    write_post(project, "utkast-testets-hemliga-plan", post_meta(
        "Testets hemliga utkast", draft=True, audience=["alla"]), "Inte klart.")
    write_post(project, "framtida-testets-nyhet", post_meta(
        "Testets framtida nyhet", date="2027-06-01 08:00", audience=["alla"]), "Inte än.")
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    for name, path in feed_files(build.site).items():
        text = path.read_text(encoding="utf-8")
        for marker in ("utkast-testets", "framtida-testets", "hemliga utkast",
                       "framtida nyhet"):
            assert marker not in text, (name, marker)
    expected = expected_for(project)
    assert entry_ids(build.site / "feeds" / "news-archive.json") == [
        expected.item_id(post) for post in expected.published]


def test_limit_caps_the_feeds_but_not_the_archive(project: Path, tmp_path: Path) -> None:
    set_feed_options(project, limit=3)
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    expected = expected_for(project)
    assert expected.limit == 3 and len(expected.published) > 3
    ids = all_ids(build.site)
    newest = [expected.item_id(post) for post in expected.published]
    for suffix in FORMATS.values():
        assert ids["news" + suffix] == newest[:3]
        assert ids["news-archive" + suffix] == newest
    for name, wanted in expected.feeds().items():
        for suffix in FORMATS.values():
            assert ids[name + suffix] == [expected.item_id(post) for post in wanted], name
        if name != "news-archive":
            assert len(wanted) <= 3


def test_links_point_into_the_site(feeds: dict[str, Path]) -> None:
    for name, path in feeds.items():
        if name.endswith(".json"):
            links = [item["url"] for item in json_feed(path)["items"]]
        else:
            links = [entry.link for entry in parse(path).entries]
        assert all(link.startswith(SITE_URL + "news/") for link in links), name
