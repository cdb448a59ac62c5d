r"""The one formatter for Swedish dates and times (Babel, CLDR data).

Times follow Svenska skrivregler as the writers already write them in their text: ``kl. 6.30``,
``18.00\u201320.00`` (an unspaced en dash between two simple times), and a spaced en dash between
two longer expressions (``lördag 5 december 2026 kl. 18.00 \u2013 söndag 6 december kl. 6.00``).
Every value is shown in Swedish time whatever offset it carries; naive datetimes are refused,
because a wall-clock time without a zone is ambiguous twice a year.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

STOCKHOLM = ZoneInfo("Europe/Stockholm")
LOCALE = "sv_SE"
EN_DASH = "\N{EN DASH}"


def _local(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone; expected an aware datetime")
    return value.astimezone(STOCKHOLM)


def format_date(value: date | datetime, *, weekday: bool = False) -> str:
    """``5 december 2026`` (``lördag 5 december 2026`` with ``weekday``)."""
    day = _local(value).date() if isinstance(value, datetime) else value
    return _babel_date(day, "EEEE d MMMM y" if weekday else "d MMMM y", locale=LOCALE)


def format_time(value: datetime) -> str:
    """``18.00``, ``6.30``: Swedish time, a full stop, no leading zero (as writers write it)."""
    return _babel_datetime(_local(value), "H.mm", tzinfo=STOCKHOLM, locale=LOCALE)


def format_datetime(value: datetime) -> str:
    """``lördag 5 december 2026 kl. 18.00``."""
    return f"{format_date(value, weekday=True)} kl. {format_time(value)}"


def format_window(start: datetime, end: datetime | None) -> str:
    r"""A time span in one phrase.

    Same day: ``lördag 5 december 2026 kl. 18.00\u201320.00``. Across days: the end is given with
    its weekday and date (its year only when the year changes), joined by a spaced en dash.
    No end: the start alone.
    """
    begin = format_datetime(start)
    if end is None:
        return begin
    local_start, local_end = _local(start), _local(end)
    if local_start.date() == local_end.date():
        return f"{begin}{EN_DASH}{format_time(end)}"
    pattern = "EEEE d MMMM" if local_start.year == local_end.year else "EEEE d MMMM y"
    end_day = _babel_date(local_end.date(), pattern, locale=LOCALE)
    return f"{begin} {EN_DASH} {end_day} kl. {format_time(end)}"
