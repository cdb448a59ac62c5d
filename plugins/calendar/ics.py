"""From published posts to iCalendar files (RFC 5545). Imports nothing from MkDocs.

Calendar clients that subscribe to a published calendar (Outlook, Apple Calendar, Google)
match events by ``UID`` and take the one with the higher ``SEQUENCE`` (or, at equal
sequence, the later ``DTSTAMP``) as the newer version. Everything here is therefore derived
from the post itself, never from the build: the same post gives the same bytes on every
build, and an edit that sets ``updated`` raises the sequence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from plugins.posts.model import Post, Status
from swedish.dates import STOCKHOLM, format_date

PRODID = "-//Exempelby kommun//IT-nytt driftkalender//SV"
# How often subscribers should fetch again: RFC 7986 REFRESH-INTERVAL, and the older
# X-PUBLISHED-TTL that Outlook reads.
REFRESH = timedelta(hours=1)
CANCELLED_PREFIX = "Inställt: "


@dataclass(frozen=True)
class CalendarInfo:
    """What a whole calendar says about itself."""

    name: str
    description: str
    url: str
    """Absolute address the calendar is published at (RFC 7986 ``SOURCE``)."""


def uid(post: Post, domain: str) -> str:
    """``<key>@<domain>``: the post's stable key, so editing, retitling, redating, moving the
    window or serving the site elsewhere never makes it a new event."""
    return f"news-{post.key}@{domain}"


def last_modified(post: Post) -> datetime:
    """When the post last changed: ``updated``, or its publication."""
    return (post.updated or post.date).astimezone(UTC)


def sequence(post: Post) -> int:
    """The revision number of the event: whole minutes from publication to the last update,
    plus one once the post is cancelled.

    It is 0 for a post never updated and grows with every later ``updated``, without any
    state kept between builds; a cancellation raises it even when the writer forgot to set
    ``updated``. Minutes keep it far below RFC 5545's 2**31 for any real post.
    """
    minutes = int((last_modified(post) - post.date.astimezone(UTC)).total_seconds() // 60)
    return minutes + (1 if post.status is Status.CANCELLED else 0)


def summary(post: Post) -> str:
    if post.status is Status.CANCELLED and not post.title.casefold().startswith("inställt"):
        return CANCELLED_PREFIX + post.title
    return post.title


def description(post: Post, url: str) -> str:
    parts = [post.description]
    if post.services:
        parts.append("Berörda tjänster: " + ", ".join(post.services))
    if post.action is not None:
        parts.append(f"Det här behöver du göra senast {format_date(post.action.by)}: "
                     f"{post.action.what}")
    parts.append(f"Läs mer: {url}")
    return "\n\n".join(parts)


def event(post: Post, url: str, domain: str) -> icalendar.Event:
    """The event of one post's window. The post must have a window."""
    if post.window is None:
        raise ValueError(f"{post.source} has no window")
    changed = last_modified(post)
    vevent = icalendar.Event()
    vevent.add("uid", uid(post, domain))
    # DTSTAMP is the revision time of the information when the calendar has no METHOD
    # (RFC 5545 3.8.7.2); the build time would change the file on every build.
    vevent.add("dtstamp", changed)
    vevent.add("created", post.date.astimezone(UTC))
    vevent.add("last-modified", changed)
    vevent.add("sequence", sequence(post))
    vevent.add("dtstart", post.window.start.astimezone(STOCKHOLM))
    vevent.add("dtend", post.window.end.astimezone(STOCKHOLM))
    vevent.add("summary", summary(post))
    vevent.add("description", description(post, url))
    vevent.add("url", url)
    vevent.add("categories", list(post.categories))
    vevent.add("status", "CANCELLED" if post.status is Status.CANCELLED else "CONFIRMED")
    # A maintenance window is information, not a meeting: it must not block the reader's
    # time. Outlook reads its own busy status, other clients TRANSP.
    vevent.add("transp", "TRANSPARENT")
    vevent.add("x-microsoft-cdo-busystatus", "FREE")
    return vevent


_END = b"END:VCALENDAR\r\n"


def render_calendar(
    posts: Iterable[Post], info: CalendarInfo, url_of: Callable[[Post], str], domain: str,
    events: dict[str, bytes] | None = None,
) -> bytes:
    """A whole calendar of the posts' windows, soonest first; posts without a window are
    left out.

    ``events``, shared by the calendars of one build, keeps each post's serialised VEVENT by
    source: a window is in the post's own file, the main calendar and its audiences'
    calendars, and icalendar folds every line character by character in Python, which was
    nearly all of the calendar plugin's time. A calendar is a sequence of whole components,
    so the event's bytes, made by icalendar, go in as they are: the same bytes as
    ``Calendar.to_ical()`` with the events added as components.
    """
    windowed = sorted((p for p in posts if p.window is not None),
                      key=lambda p: (p.window.start, p.key))  # type: ignore[union-attr]
    if events is not None:
        head = _calendar(info).to_ical()
        if not head.endswith(_END):
            raise ValueError("icalendar no longer ends a calendar with END:VCALENDAR")
        # The time zone is the same in every calendar (most files hold one event).
        body = [_serialised_timezone()]
        for post in windowed:
            if post.source not in events:
                events[post.source] = event(post, url_of(post), domain).to_ical()
            body.append(events[post.source])
        return head[: -len(_END)] + b"".join(body) + _END
    calendar = _calendar(info)
    # Before the events, where clients that read in one pass expect it.
    calendar.add_component(stockholm_timezone())
    for post in windowed:
        calendar.add_component(event(post, url_of(post), domain))
    return calendar.to_ical()


@functools.cache
def _serialised_timezone() -> bytes:
    return stockholm_timezone().to_ical()


def _calendar(info: CalendarInfo) -> icalendar.Calendar:
    """A calendar's own properties, without time zone and events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", info.name)
    calendar.add("x-wr-calname", info.name)
    calendar.add("description", info.description)
    calendar.add("x-wr-caldesc", info.description)
    calendar.add("x-wr-timezone", str(STOCKHOLM))
    calendar.add("source", info.url, parameters={"VALUE": "URI"})
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def stockholm_timezone() -> icalendar.Timezone:
    """The VTIMEZONE of Europe/Stockholm as yearly rules: summer time from the last Sunday of
    March at 02.00 to the last Sunday of October at 03.00 (the EU rule, in force since 1996).

    Rules rather than the list of dates that ``Timezone.from_tzid`` writes: Outlook reads
    time zones as one standard and one daylight rule (MS-OXCICAL), and ical.js read only the
    first date of each list, putting summer events an hour off. The tests check these rules
    against the time-zone database hour by hour, so a change of the law shows as a failure.
    """
    timezone = icalendar.Timezone()
    timezone.add("tzid", str(STOCKHOLM))
    for kind, name, month, start, offset_from, offset_to in (
        (icalendar.TimezoneDaylight, "CEST", 3, datetime(1970, 3, 29, 2, 0), 1, 2),
        (icalendar.TimezoneStandard, "CET", 10, datetime(1970, 10, 25, 3, 0), 2, 1),
    ):
        observance = kind()
        observance.add("tzname", name)
        observance.add("dtstart", start)
        observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        observance.add("tzoffsetfrom", timedelta(hours=offset_from))
        observance.add("tzoffsetto", timedelta(hours=offset_to))
        timezone.add_component(observance)
    return timezone
