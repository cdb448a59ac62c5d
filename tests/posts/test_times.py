"""Local times around both summer-time changes of 2026 and 2027, as the model reads them.

Expected instants are written out by hand from the published rules for Sweden (EU summer time:
clocks go forward at 02:00 local to 03:00 on the last Sunday of March, and back at 03:00 to
02:00 on the last Sunday of October): 29 March and 25 October 2026, 28 March and 31 October
2027. Nothing below is computed with zoneinfo.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plugins.posts.errors import FrontMatterError
from plugins.posts.frontmatter import load_front_matter
from plugins.posts.model import Post, Taxonomy, parse_post

TAXONOMY = Taxonomy(categories=("Tips",), audiences=("alla",))
WHERE = "content/news/posts/natt.md"


def post(**fields: str | dict[str, str]) -> Post:
    lines = ["title: Natt", "description: Kort.", "categories: [Tips]", "audience: [alla]",
             "status: planerad"]
    # Line 1 is '---', lines 2-6 the fields above, line 7 the date, then the rest in order.
    fields = {"date": fields.pop("date", "2026-01-10 09:00"), **fields}
    for name, value in fields.items():
        if isinstance(value, dict):
            lines.append(f"{name}:")
            lines += [f"  {key}: {item}" for key, item in value.items()]
        else:
            lines.append(f"{name}: {value}")
    front = load_front_matter("---\n" + "\n".join(lines) + "\n---\n", WHERE)
    return parse_post(front.meta, "news/posts/natt.md", TAXONOMY, WHERE, front.lines)


def problem(**fields: Any) -> str:
    with pytest.raises(FrontMatterError) as caught:
        post(**fields)
    return str(caught.value)


# (written local time, the instant in UTC, the offset a feed and a page must show)
EXISTING = [
    ("2026-03-29 01:59", "2026-03-29T00:59", "+01:00"),
    ("2026-03-29 03:00", "2026-03-29T01:00", "+02:00"),
    ("2026-10-25 01:59", "2026-10-24T23:59", "+02:00"),
    ("2026-10-25 03:00", "2026-10-25T02:00", "+01:00"),
    ("2027-03-28 01:30", "2027-03-28T00:30", "+01:00"),
    ("2027-03-28 03:30", "2027-03-28T01:30", "+02:00"),
    ("2027-10-31 01:30", "2027-10-30T23:30", "+02:00"),
    ("2027-10-31 03:30", "2027-10-31T02:30", "+01:00"),
    ("2026-11-26 10:15", "2026-11-26T09:15", "+01:00"),
    ("2026-06-10 10:15", "2026-06-10T08:15", "+02:00"),
]


@pytest.mark.parametrize(("written", "utc", "offset"), EXISTING)
def test_local_times_become_instants_with_the_right_offset(
    written: str, utc: str, offset: str
) -> None:
    date = post(date=written).date
    assert date.astimezone(UTC) == datetime.fromisoformat(utc + "+00:00")
    assert date.isoformat() == written.replace(" ", "T") + ":00" + offset


@pytest.mark.parametrize("written", ["2026-03-29 02:00", "2026-03-29 02:30", "2026-03-29 02:59",
                                     "2027-03-28 02:30"])
def test_a_time_in_the_skipped_hour_is_an_error(written: str) -> None:
    message = problem(date=written)
    assert message == (
        f"{WHERE}:7: date: {written} finns inte i tidszonen Europe/Stockholm: klockan hoppar "
        f"över den timmen när sommartiden börjar; skriv en tid som finns, t.ex. "
        f"03:{written[-2:]}")


def test_the_issues_window_in_the_skipped_hour_is_an_error() -> None:
    message = problem(window={"start": "2026-03-29 02:30", "end": "2026-03-29 03:10"})
    assert message.startswith(f"{WHERE}:9: window.start: 2026-03-29 02:30 finns inte i "
                              "tidszonen Europe/Stockholm")


@pytest.mark.parametrize(("written", "day"), [("2026-10-25 02:30", "2026-10-25"),
                                              ("2027-10-31 02:00", "2027-10-31"),
                                              ("2027-10-31 02:59", "2027-10-31")])
def test_a_time_that_occurs_twice_needs_its_offset(written: str, day: str) -> None:
    message = problem(window={"start": written, "end": f"{day} 06:00"})
    assert message == (
        f"{WHERE}:9: window.start: {written} finns två gånger i tidszonen Europe/Stockholm: "
        "klockan ställs tillbaka en timme när sommartiden slutar; skriv tiden med sin skillnad "
        f"mot UTC: {written}+02:00 (första gången, sommartid) eller {written}+01:00 (andra "
        "gången)")


@pytest.mark.parametrize(("written", "utc"), [
    ("2026-10-25 02:30+02:00", "2026-10-25T00:30"),
    ("2026-10-25 02:30+01:00", "2026-10-25T01:30"),
    ("2027-10-31 02:15+02:00", "2027-10-31T00:15"),
    ("2027-10-31 02:15+01:00", "2027-10-31T01:15"),
    ("2026-10-25 02:30:00+01:00", "2026-10-25T01:30"),
])
def test_a_repeated_time_with_its_offset_is_one_instant(written: str, utc: str) -> None:
    assert post(date=written).date.astimezone(UTC) == datetime.fromisoformat(utc + "+00:00")


def test_a_window_across_the_repeated_hour_is_compared_in_instants() -> None:
    # 02:30 summer time is 00:30 UTC, 02:10 winter time 01:10 UTC: forty minutes later,
    # though its wall clock reads earlier.
    window = post(window={"start": "2026-10-25 02:30+02:00",
                          "end": "2026-10-25 02:10+01:00"}).window
    assert window is not None
    assert window.end - window.start == timedelta(minutes=40)
    assert window.start.isoformat() == "2026-10-25T02:30:00+02:00"
    assert window.end.isoformat() == "2026-10-25T02:10:00+01:00"


def test_a_window_that_ends_before_it_starts_in_instants_is_an_error() -> None:
    # Wall clocks say 02:10 is before 02:50, and so do the instants: 00:10 UTC and 00:50 UTC.
    message = problem(window={"start": "2026-10-25 02:50+02:00", "end": "2026-10-25 02:10+02:00"})
    assert "window.end: 2026-10-25 02:10 är före window.start 2026-10-25 02:50" in message
    # Here the wall clock reads later, but 02:40+01:00 (01:40 UTC) is after 02:50+02:00 (00:50).
    window = post(window={"start": "2026-10-25 02:50+02:00",
                          "end": "2026-10-25 02:40+01:00"}).window
    assert window is not None and window.end - window.start == timedelta(minutes=50)


def test_a_window_over_the_spring_change_is_forty_minutes() -> None:
    window = post(window={"start": "2026-03-29 01:30", "end": "2026-03-29 03:10"}).window
    assert window is not None
    assert window.end - window.start == timedelta(minutes=40)


def test_updated_before_date_is_compared_in_instants() -> None:
    # 2027-10-31 02:20+01:00 is 01:20 UTC, after 02:40+02:00 (00:40 UTC).
    later = post(date="2027-10-31 02:40+02:00", updated="2027-10-31 02:20+01:00")
    assert later.updated is not None and later.updated > later.date
    assert "updated: 2027-10-31 02:40 är före date" in problem(
        date="2027-10-31 02:40+01:00", updated="2027-10-31 02:40+02:00")
