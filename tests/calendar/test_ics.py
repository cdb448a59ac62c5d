"""The iCalendar files built from posts, read back by two parsers: the `icalendar` package and
ical.js. Expected instants are written out by hand (UTC), not computed with the code under
test; the VTIMEZONE is checked against the time-zone database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from plugins.calendar.ics import CalendarInfo, render_calendar
from plugins.posts.model import Action, Post, Status, Window

from .icaljs import read_with_icaljs

SE = ZoneInfo("Europe/Stockholm")
DOMAIN = "intranet.exempelby.test"
INFO = CalendarInfo("Driftkalender", "Avbrott", "http://intranet.exempelby.test/it/calendar/x.ics")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SE)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def post(key: str, start: str, end: str, **changes: object) -> Post:
    base = Post(
        source=f"news/posts/{key}.md", key=key, title=f"Avbrott {key} & \"test\"",
        date=at("2026-01-10 09:00"), description="Vad som händer; och varför, kort.",
        categories=("Planerad ändring",), audience=("alla",), status=Status.PLANNED,
        services=("Filserver",), window=Window(at(start), at(end)),
        action=Action(date(2026, 3, 27), "Spara dina filer"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def url_of(p: Post) -> str:
    return f"http://intranet.exempelby.test/it/news/{p.key}/"


def write(tmp_path: Path, name: str, posts: list[Post]) -> Path:
    path = tmp_path / f"{name}.ics"
    path.write_bytes(render_calendar(posts, INFO, url_of, DOMAIN))
    return path


def events(path: Path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


# Windows on both sides of both summer-time changes of 2026 (29 March 02.00 -> 03.00,
# 25 October 03.00 -> 02.00), and across each change; UTC written out by hand.
SUMMER_TIME = [
    ("vinter-fore-mars", "2026-03-28 12:00", "2026-03-28 14:00",
     "2026-03-28 11:00", "2026-03-28 13:00"),
    ("over-mars", "2026-03-29 01:00", "2026-03-29 04:00", "2026-03-29 00:00", "2026-03-29 02:00"),
    ("sommar-efter-mars", "2026-03-30 12:00", "2026-03-30 14:00",
     "2026-03-30 10:00", "2026-03-30 12:00"),
    ("sommar-fore-oktober", "2026-10-24 12:00", "2026-10-24 14:00",
     "2026-10-24 10:00", "2026-10-24 12:00"),
    ("over-oktober", "2026-10-25 01:00", "2026-10-25 04:00",
     "2026-10-24 23:00", "2026-10-25 03:00"),
    ("vinter-efter-oktober", "2026-10-26 12:00", "2026-10-26 14:00",
     "2026-10-26 11:00", "2026-10-26 13:00"),
]


@pytest.fixture(scope="module")
def summer_time_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    posts = [post(key, start, end) for key, start, end, _s, _e in SUMMER_TIME]
    return write(tmp_path_factory.mktemp("ics"), "sommartid", posts)


@pytest.mark.parametrize(("key", "start", "end", "utc_start", "utc_end"), SUMMER_TIME)
def test_times_right_on_both_sides_of_summer_time_icalendar(
    summer_time_file: Path, key: str, start: str, end: str, utc_start: str, utc_end: str
) -> None:
    event = events(summer_time_file)[f"news-{key}@{DOMAIN}"]
    assert event["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert event.decoded("DTSTART").astimezone(UTC) == utc(utc_start)
    assert event.decoded("DTEND").astimezone(UTC) == utc(utc_end)


def test_times_right_on_both_sides_of_summer_time_icaljs(summer_time_file: Path) -> None:
    [calendar] = read_with_icaljs(summer_time_file)
    assert calendar["zones"] == ["Europe/Stockholm"]
    seen = {e["uid"]: (e["start"], e["end"], e["tzid"]) for e in calendar["events"]}
    for key, _start, _end, utc_start, utc_end in SUMMER_TIME:
        assert seen[f"news-{key}@{DOMAIN}"] == (
            utc_start.replace(" ", "T") + ":00.000Z", utc_end.replace(" ", "T") + ":00.000Z",
            "Europe/Stockholm",
        ), key


def test_vtimezone_agrees_with_the_time_zone_database(tmp_path: Path) -> None:
    # Noon every fourth day and every hour of both change days, 2024-2037, read by ical.js with
    # the file's own VTIMEZONE and compared with zoneinfo's answer.
    moments: list[datetime] = []
    day = datetime(2024, 1, 1, 12, 0)
    while day.year < 2038:
        moments.append(day)
        day += timedelta(days=4)
    for year in range(2024, 2038):
        for month in (3, 10):
            last_sunday = max(datetime(year, month, d) for d in range(25, 32)
                              if datetime(year, month, d).weekday() == 6)
            moments += [last_sunday + timedelta(hours=h) for h in range(24) if h != 2]
    posts = [post(f"t{i}", m.isoformat(" "), (m + timedelta(minutes=30)).isoformat(" "))
             for i, m in enumerate(moments)]
    [calendar] = read_with_icaljs(write(tmp_path, "zon", posts))
    seen = {e["uid"]: e["start"] for e in calendar["events"]}
    wrong = []
    for i, moment in enumerate(moments):
        expected = moment.replace(tzinfo=SE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")
        if seen[f"news-t{i}@{DOMAIN}"] != expected:
            wrong.append(f"{moment}: ical.js {seen[f'news-t{i}@{DOMAIN}']}, tzdata {expected}")
    assert not wrong, "\n".join(wrong[:10])


def test_moving_a_window_keeps_the_uid_and_raises_the_sequence(tmp_path: Path) -> None:
    first = post("flytt", "2026-12-11 18:00", "2026-12-13 18:00")
    moved = replace(first, window=Window(at("2026-12-18 18:00"), at("2026-12-20 18:00")),
                    updated=at("2026-12-01 10:15"))
    again = replace(moved, window=Window(at("2026-12-19 18:00"), at("2026-12-20 18:00")),
                    updated=at("2026-12-02 08:00"))
    seen = [events(write(tmp_path, f"v{i}", [p]))[f"news-flytt@{DOMAIN}"]
            for i, p in enumerate([first, moved, again])]
    sequences = [int(e["SEQUENCE"]) for e in seen]
    assert sequences[0] == 0
    assert sequences[0] < sequences[1] < sequences[2]
    assert seen[1].decoded("DTSTART").astimezone(UTC) == utc("2026-12-18 17:00")
    # Outlook takes the newer version by SEQUENCE, then DTSTAMP: both from the post.
    assert seen[1].decoded("LAST-MODIFIED") == utc("2026-12-01 09:15")
    assert seen[1].decoded("DTSTAMP") == utc("2026-12-01 09:15")
    assert seen[0].decoded("DTSTAMP") == utc("2026-01-10 08:00")
    icaljs = [read_with_icaljs(tmp_path / f"v{i}.ics")[0]["events"][0] for i in range(3)]
    assert len({e["uid"] for e in icaljs}) == 1
    assert [e["sequence"] for e in icaljs] == sequences


def test_a_cancelled_post_gives_a_cancelled_event(tmp_path: Path) -> None:
    planned = post("visma", "2026-11-14 08:00", "2026-11-14 14:00")
    cancelled = replace(planned, status=Status.CANCELLED)
    before = events(write(tmp_path, "planned", [planned]))[f"news-visma@{DOMAIN}"]
    after = events(write(tmp_path, "cancelled", [cancelled]))[f"news-visma@{DOMAIN}"]
    assert str(before["STATUS"]) == "CONFIRMED"
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["SUMMARY"]) == 'Inställt: Avbrott visma & "test"'
    # Even without a new `updated`, the cancellation is a newer version.
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    [icaljs] = read_with_icaljs(tmp_path / "cancelled.ics")
    assert icaljs["events"][0]["status"] == "CANCELLED"


def test_event_content_and_the_rules_outlook_reads(tmp_path: Path) -> None:
    p = post("innehall", "2026-12-11 18:00", "2026-12-13 18:00")
    path = write(tmp_path, "innehall", [p, post("annat", "2026-12-01 18:00", "2026-12-01 20:00")])
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Driftkalender"
    assert "METHOD" not in calendar  # a published calendar, not an invitation
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Stockholm"]
    found = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in found] == [f"news-annat@{DOMAIN}", f"news-innehall@{DOMAIN}"]
    event = found[1]
    for name in ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LAST-MODIFIED"):
        assert name in event, name
    assert event["DTSTART"].params["TZID"] in zones
    assert event["DTEND"].params["TZID"] in zones
    assert event.decoded("DTSTAMP").tzinfo is not None  # written in UTC, ending in Z
    assert b"DTSTAMP:20260110T080000Z" in path.read_bytes()
    assert str(event["SUMMARY"]) == 'Avbrott innehall & "test"'
    assert str(event["URL"]) == "http://intranet.exempelby.test/it/news/innehall/"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert event["CATEGORIES"].cats == ["Planerad ändring"]
    description = str(event["DESCRIPTION"])
    assert description == (
        "Vad som händer; och varför, kort.\n\n"
        "Berörda tjänster: Filserver\n\n"
        "Det här behöver du göra senast 27 mars 2026: Spara dina filer\n\n"
        "Läs mer: http://intranet.exempelby.test/it/news/innehall/"
    )
    [icaljs] = read_with_icaljs(path)
    assert icaljs["name"] == "Driftkalender"
    assert icaljs["events"][1]["description"] == description
    assert icaljs["events"][1]["summary"] == 'Avbrott innehall & "test"'
    assert icaljs["events"][1]["categories"] == ["Planerad ändring"]


def test_same_post_same_bytes(tmp_path: Path) -> None:
    posts = [post("a", "2026-12-11 18:00", "2026-12-13 18:00")]
    assert render_calendar(posts, INFO, url_of, DOMAIN) == render_calendar(
        posts, INFO, url_of, DOMAIN)


def test_an_empty_calendar_is_still_a_calendar(tmp_path: Path) -> None:
    path = write(tmp_path, "tom", [])
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert calendar.walk("VEVENT") == []
    assert read_with_icaljs(path)[0]["events"] == []
