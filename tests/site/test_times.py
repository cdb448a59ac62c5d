"""Times in real builds: pages and feeds carry real instants with their offsets, and a local
time that does not exist or occurs twice stops the build. Expected values written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import copy_project, run_build

POST = """---
title: {title}
date: {date}
description: Kort.
categories: [Tips]
audience: [alla]
status: klar
{extra}---

# {title}

Text.
"""
ITC = "urn:kommun:it-change:1"


def write_post(project: Path, name: str, date: str, extra: str = "") -> None:
    (project / "content/news/posts" / f"{name}.md").write_text(
        POST.format(title=name.capitalize(), date=date, extra=extra), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("times") / "project")
    write_post(project, "kvart", "2026-11-26 10:15")
    write_post(project, "sommar", "2026-06-10 10:15")
    write_post(project, "hosten", "2026-10-25 02:30+01:00",
               "window:\n  start: 2026-10-25 02:30+02:00\n  end: 2026-10-25 02:10+01:00\n")
    build = run_build(project, project / "site")
    assert build.returncode == 0, build.output
    return project / "site"


@pytest.mark.parametrize(("name", "datetime_attribute"), [
    ("kvart", "2026-11-26 10:15:00+01:00"),    # winter time: 09:15 UTC
    ("sommar", "2026-06-10 10:15:00+02:00"),   # summer time: 08:15 UTC
    ("hosten", "2026-10-25 02:30:00+01:00"),   # the second 02:30 of the night: 01:30 UTC
])
def test_post_pages_give_the_instant_with_its_offset(
    site: Path, name: str, datetime_attribute: str
) -> None:
    page = (site / "news" / name / "index.html").read_text(encoding="utf-8")
    assert f'<time datetime="{datetime_attribute}"' in page


def test_the_feed_gives_a_window_across_the_repeated_hour_as_instants(site: Path) -> None:
    rss = etree.parse(str(site / "feeds/news-archive.rss.xml"))
    [item] = [i for i in rss.iter("item") if i.findtext("guid", "").endswith("news/hosten")]
    window = item.find(f"{{{ITC}}}window")
    assert window is not None
    assert window.get("start") == "2026-10-25T02:30:00+02:00"
    assert window.get("end") == "2026-10-25T02:10:00+01:00"
    assert item.findtext("pubDate") == "Sun, 25 Oct 2026 02:30:00 +0100"


@pytest.mark.parametrize(("extra", "message"), [
    ("window:\n  start: 2026-03-29 02:30\n  end: 2026-03-29 03:10\n",
     "content/news/posts/natt.md:9: window.start: 2026-03-29 02:30 finns inte i tidszonen "
     "Europe/Stockholm: klockan hoppar över den timmen när sommartiden börjar; skriv en tid "
     "som finns, t.ex. 03:30"),
    ("window:\n  start: 2027-03-28 01:00\n  end: 2027-03-28 02:15\n",
     "content/news/posts/natt.md:10: window.end: 2027-03-28 02:15 finns inte i tidszonen "
     "Europe/Stockholm"),
    ("updated: 2026-10-25 02:30\n",
     "content/news/posts/natt.md:8: updated: 2026-10-25 02:30 finns två gånger i tidszonen "
     "Europe/Stockholm: klockan ställs tillbaka en timme när sommartiden slutar; skriv tiden "
     "med sin skillnad mot UTC: 2026-10-25 02:30+02:00 (första gången, sommartid) eller "
     "2026-10-25 02:30+01:00 (andra gången)"),
    ("updated: 2027-10-31 02:05\n",
     "content/news/posts/natt.md:8: updated: 2027-10-31 02:05 finns två gånger"),
])
def test_a_local_time_that_does_not_exist_or_occurs_twice_stops_the_build(
    project: Path, tmp_path: Path, extra: str, message: str
) -> None:
    write_post(project, "natt", "2026-01-10 09:00", extra)
    build = run_build(project, tmp_path / "site")
    assert build.returncode != 0
    assert message in build.output, build.output
