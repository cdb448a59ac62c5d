"""The Swedish formatter, against phrases written out by hand (calendar checked on paper)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from swedish.dates import format_date, format_datetime, format_time, format_window

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))


def test_date_without_and_with_weekday() -> None:
    assert format_date(date(2026, 12, 5)) == "5 december 2026"
    assert format_date(date(2026, 12, 5), weekday=True) == "lördag 5 december 2026"


def test_datetime_is_shown_in_swedish_time_whatever_its_offset() -> None:
    # 23:30 UTC on 31 December is already New Year's Day in Stockholm.
    assert format_datetime(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == (
        "fredag 1 januari 2027 kl. 0.30"
    )
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1 januari 2027"


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Spring 2026: clocks go from 02:00 to 03:00 on Sunday 29 March (01:00 UTC).
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "1.59"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "3.00"),
        # Autumn 2026: 03:00 CEST becomes 02:00 CET on Sunday 25 October (01:00 UTC);
        # 02.30 happens twice, once at each offset.
        (datetime(2026, 10, 25, 2, 30, tzinfo=CEST), "2.30"),
        (datetime(2026, 10, 25, 2, 30, tzinfo=CET), "2.30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "2.30"),
        # 2027: 28 March and 31 October.
        (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "3.00"),
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "2.30"),
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "2.30"),
    ],
)
def test_time_across_both_summer_time_changes(instant: datetime, expected: str) -> None:
    assert format_time(instant) == expected


def test_window_on_one_day_uses_an_unspaced_en_dash() -> None:
    start = datetime(2026, 12, 5, 18, 0, tzinfo=CET)
    assert format_window(start, start + timedelta(hours=2)) == (
        "lördag 5 december 2026 kl. 18.00\u201320.00"
    )


def test_window_across_days_repeats_the_day_with_a_spaced_en_dash() -> None:
    start = datetime(2026, 12, 11, 18, 0, tzinfo=CET)
    assert format_window(start, datetime(2026, 12, 13, 18, 0, tzinfo=CET)) == (
        "fredag 11 december 2026 kl. 18.00 \u2013 söndag 13 december kl. 18.00"
    )
    assert format_window(datetime(2026, 12, 31, 22, 0, tzinfo=CET),
                         datetime(2027, 1, 1, 2, 0, tzinfo=CET)) == (
        "torsdag 31 december 2026 kl. 22.00 \u2013 fredag 1 januari 2027 kl. 2.00"
    )


def test_window_over_the_spring_change_is_one_hour_shorter_than_the_clock_says() -> None:
    # 01:30 CET to 03:30 CEST is one real hour; the phrase shows the wall clocks.
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert format_window(start, start + timedelta(hours=2)) == (
        "söndag 29 mars 2026 kl. 1.30\u20134.30"
    )


def test_window_without_end_is_its_start() -> None:
    start = datetime(2026, 11, 26, 7, 0, tzinfo=CET)
    assert format_window(start, None) == "torsdag 26 november 2026 kl. 7.00"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        format_time(datetime(2026, 12, 5, 18, 0))
