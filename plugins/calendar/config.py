"""Options of the ``intranet-calendar`` plugin, set under ``plugins:`` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class CalendarConfig(base.Config):
    enabled = c.Type(bool, default=True)
    """Switch the calendars off."""

    uid_domain = c.Type(str)
    """Domain in every event's UID, e.g. ``intranet.exempelby.se``. Never change it: calendar
    clients would see every event as new and show it twice."""

    calendar_dir = c.Type(str, default="calendar")
    """Folder in the built site that holds the calendars."""

    title = c.Type(str, default="Driftkalender")
    """Name of the calendar in the reader's calendar list."""

    everyone_audience = c.Optional(c.Type(str))
    """Audience that means everybody (e.g. ``alla``): its windows are in every audience's
    calendar."""
