"""Swedish presentation of dates and times for templates (Babel, CLDR data)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from .model import STOCKHOLM, Window

LOCALE = "sv_SE"


def sv_date(value: date | datetime) -> str:
    """``5 december 2026``."""
    if isinstance(value, datetime):
        value = value.astimezone(STOCKHOLM).date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def sv_datetime(value: datetime) -> str:
    """``lördag 5 december 2026 kl. 18:00``."""
    return format_datetime(value, "EEEE d MMMM y 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)


def sv_window(window: Window) -> str:
    """A window in one phrase; the end date is left out when it is the same day."""
    start = window.start.astimezone(STOCKHOLM)
    end = window.end.astimezone(STOCKHOLM)
    if start.date() == end.date():
        until = format_datetime(end, "HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    else:
        until = format_datetime(end, "EEEE d MMMM 'kl.' HH:mm", tzinfo=STOCKHOLM, locale=LOCALE)
    return f"{sv_datetime(start)} \N{EN DASH} {until}"
