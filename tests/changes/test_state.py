"""The rules of plugins.changes.state, with expected values written out by hand."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from plugins.changes.state import (
    change_view,
    days_left_text,
    effective_status,
    is_current,
    now_document,
    phase_text,
    upcoming,
)
from plugins.posts.model import Action, Post, Status, Window

SE = ZoneInfo("Europe/Stockholm")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SE)


def post(key: str, status: Status, window: tuple[str, str] | None = None,
         by: str | None = None) -> Post:
    return Post(
        source=f"news/posts/{key}.md", key=key, title=f"Rubrik {key}", date=at("2026-11-01 09:00"),
        description="Sammanfattning", categories=("Planerad ändring",), audience=("alla",),
        status=status,
        window=Window(at(window[0]), at(window[1])) if window else None,
        action=Action(date.fromisoformat(by), "Logga ut") if by else None,
    )


WEEKEND = post("helg", Status.PLANNED, ("2026-12-11 18:00", "2026-12-13 18:00"), by="2026-12-11")


@pytest.mark.parametrize(("now", "status", "words"), [
    ("2026-12-08 12:00", Status.PLANNED, "börjar om 3 dagar"),
    ("2026-12-10 23:59", Status.PLANNED, "börjar i morgon"),
    ("2026-12-11 00:00", Status.PLANNED, "börjar i dag"),
    ("2026-12-11 17:59", Status.PLANNED, "börjar i dag"),
    ("2026-12-11 18:00", Status.ONGOING, "pågår nu"),
    ("2026-12-13 17:59", Status.ONGOING, "pågår nu"),
    ("2026-12-13 18:00", Status.DONE, "har passerat"),
])
def test_a_planned_window_runs_on_the_clock(now: str, status: Status, words: str) -> None:
    assert effective_status(WEEKEND, at(now)) is status
    assert phase_text(WEEKEND, at(now)) == words
    assert is_current(WEEKEND, at(now)) is (status is Status.ONGOING)


def test_what_the_writer_set_wins_over_the_clock() -> None:
    overran = post("overran", Status.ONGOING, ("2026-12-11 18:00", "2026-12-13 18:00"))
    cancelled = post("off", Status.CANCELLED, ("2026-12-11 18:00", "2026-12-13 18:00"))
    done_early = post("early", Status.DONE, ("2026-12-11 18:00", "2026-12-13 18:00"))
    during = at("2026-12-12 12:00")
    assert effective_status(overran, at("2026-12-14 09:00")) is Status.ONGOING
    assert effective_status(cancelled, during) is Status.CANCELLED
    assert phase_text(cancelled, during) == "inställt"
    assert not is_current(cancelled, during)
    assert not is_current(done_early, during)


@pytest.mark.parametrize(("today", "words"), [
    ("2026-12-01", "10 dagar kvar"),
    ("2026-12-09", "2 dagar kvar"),
    ("2026-12-10", "1 dag kvar"),
    ("2026-12-11", "sista dagen är i dag"),
    ("2026-12-12", "tiden har gått ut"),
])
def test_days_left(today: str, words: str) -> None:
    assert days_left_text(date(2026, 12, 11), date.fromisoformat(today)) == words


def test_days_left_counts_swedish_days_not_utc_days() -> None:
    # 23.30 UTC on 10 December is already 11 December in Sweden: the last day.
    late = datetime(2026, 12, 10, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert change_view(WEEKEND, "news/helg/", late).days_left == "sista dagen är i dag"


def test_upcoming_lists_each_kind_soonest_first() -> None:
    wifi = post("wifi", Status.ONGOING)  # an outage without a window
    later = post("later", Status.PLANNED, ("2027-01-15 17:00", "2027-01-17 20:00"), by="2027-01-14")
    sooner = post("sooner", Status.PLANNED, ("2026-12-08 22:00", "2026-12-09 03:00"),
                  by="2026-12-08")
    off = post("off", Status.CANCELLED, ("2026-12-20 08:00", "2026-12-20 12:00"), by="2026-12-19")
    gone = post("gone", Status.CANCELLED, ("2026-11-14 08:00", "2026-11-14 14:00"))
    done = post("done", Status.DONE, ("2026-12-20 08:00", "2026-12-20 12:00"), by="2026-12-19")
    action_only = post("act", Status.PLANNED, by="2026-12-01")
    past_action = post("old", Status.PLANNED, by="2026-11-28")
    posts = [wifi, later, sooner, off, gone, done, action_only, past_action, WEEKEND]

    lists = upcoming(posts, at("2026-11-29 13:00"))
    assert [p.key for p in lists.ongoing] == ["wifi"]
    assert [p.key for p in lists.windows] == ["sooner", "helg", "off", "later"]
    assert [p.key for p in lists.actions] == ["act", "sooner", "helg", "later"]

    during = upcoming(posts, at("2026-12-12 10:00"))
    assert [p.key for p in during.ongoing] == ["helg", "wifi"]
    assert [p.key for p in during.windows] == ["off", "later"]
    assert [p.key for p in during.actions] == ["later"]


def test_now_document_holds_only_what_is_still_open() -> None:
    wifi = post("wifi", Status.ONGOING)
    gone = post("gone", Status.CANCELLED, ("2026-11-14 08:00", "2026-11-14 14:00"))
    document = now_document([wifi, gone, WEEKEND], lambda p: f"news/{p.key}/",
                            at("2026-11-29 13:00"))
    assert document["built"] == "2026-11-29T13:00:00+01:00"
    keys = [entry["key"] for entry in document["changes"]]
    assert keys == ["wifi", "helg"]
    weekend = document["changes"][1]
    assert weekend["url"] == "news/helg/"
    assert weekend["status"] == "planerad"
    assert weekend["window"]["start"] == "2026-12-11T18:00:00+01:00"
    assert weekend["window"]["end"] == "2026-12-13T18:00:00+01:00"
    assert weekend["action"]["by"] == "2026-12-11"
    assert weekend["action"]["what"] == "Logga ut"
    assert document["changes"][0]["window"] is None
