"""Reminders, "coming soon" and change notices for posts already known (pure).

A post comes back after its first digest in three ways:

* **Påminnelse**: its action's deadline is within the reminder horizon (7 days by default);
* **Snart**: its window starts within the horizon;
* **Ändrat**: its status, window or action is not what the subscriber was last sent.

Reminders and "soon" are decided per post, once for each deadline and each window start, and
go to every subscriber whose topics match the post, also those who joined after it was first
sent: the deadline concerns them just as much.  A moved deadline or window is due again for its
new date.  A change goes only to subscribers who were sent the post, and says what differs from
what *they* were sent, so that two changes in a row, or a change back, read right for everyone.

Which notices are due is decided when the feed is read (:func:`due_notices`); what one
subscriber gets from them when their digest is built (:func:`select_notices`).  Both are pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from newsletter.feed import STOCKHOLM, Action, Entry, Window
from swedish.dates import format_date, format_window

DEFAULT_HORIZON_DAYS = 7


class Kind(StrEnum):
    """What brings a known post back."""

    REMINDER = "reminder"  # the action's deadline is near
    SOON = "soon"  # the window starts soon
    CHANGED = "changed"  # status, window or action differ from what was sent


@dataclass(frozen=True)
class PostState:
    """The parts of a post whose change is worth a notice."""

    status: str | None = None
    window: Window | None = None
    action: Action | None = None

    @classmethod
    def of(cls, entry: Entry) -> PostState:
        """The state an entry shows."""
        return cls(entry.status, entry.window, entry.action)

    def __eq__(self, other: object) -> bool:
        # Windows compare by instant: "18:00+01:00" and "17:00Z" are the same window.
        if not isinstance(other, PostState):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def to_json(self) -> str:
        """A canonical text, stored per subscriber and compared.

        Instants are written in Swedish time, so that one instant has one text.
        """
        data: dict[str, Any] = {"status": self.status, "window": None, "action": None}
        if self.window is not None:
            data["window"] = [_instant(self.window.start),
                              _instant(self.window.end) if self.window.end else None]
        if self.action is not None:
            data["action"] = [self.action.what,
                              self.action.by.isoformat() if self.action.by else None]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PostState:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        window = action = None
        if data.get("window"):
            start, end = data["window"]
            window = Window(datetime.fromisoformat(start),
                            datetime.fromisoformat(end) if end else None)
        if data.get("action"):
            what, by = data["action"]
            action = Action(what, date.fromisoformat(by) if by else None)
        return cls(data.get("status"), window, action)


def _instant(value: datetime) -> str:
    return value.astimezone(STOCKHOLM).isoformat()


@dataclass(frozen=True)
class Notice:
    """One reason for a known post to come back, recorded once in the edition that carries it.

    ``key`` makes it once only: the deadline for a reminder, the window start for "soon", the
    new state for a change.
    """

    entry_id: str
    kind: Kind
    key: str


def reminder_key(action: Action | None) -> str | None:
    """The key of the reminder an action can have (its deadline), None without a deadline."""
    return action.by.isoformat() if action is not None and action.by is not None else None


def soon_key(window: Window | None) -> str | None:
    """The key of the "soon" notice a window can have (its start as an instant)."""
    return _instant(window.start) if window is not None else None


def due_notices(
    entries: Iterable[Entry],
    known: Mapping[str, PostState],
    given: set[tuple[str, Kind, str]],
    now: datetime,
    horizon: timedelta = timedelta(days=DEFAULT_HORIZON_DAYS),
    cancelled: str | None = None,
) -> list[Notice]:
    """The notices this look at the feed makes due.

    ``known`` is the last recorded state of each post seen before; ``given`` the reminders and
    "soon" notices recorded before, as (entry id, kind, key).  A post new in this feed gets no
    change notice, and its reminder is kept from everyone who gets the post itself in the same
    digest (see :func:`select_notices`).  A zero horizon turns reminders and "soon" off.
    """
    today = now.astimezone(STOCKHOLM).date()
    due: list[Notice] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            continue
        seen.add(entry.id)
        state = PostState.of(entry)
        before = known.get(entry.id)
        if before is not None and before != state:
            due.append(Notice(entry.id, Kind.CHANGED, state.to_json()))
        if _is_cancelled(entry.status, cancelled) or horizon <= timedelta(0):
            continue
        key = reminder_key(entry.action)
        if key is not None and entry.action is not None and entry.action.by is not None:
            days_left = (entry.action.by - today).days
            if 0 <= days_left <= horizon.days and (entry.id, Kind.REMINDER, key) not in given:
                due.append(Notice(entry.id, Kind.REMINDER, key))
        key = soon_key(entry.window)
        if (key is not None and entry.window is not None
                and now < entry.window.start <= now + horizon
                and (entry.id, Kind.SOON, key) not in given):
            due.append(Notice(entry.id, Kind.SOON, key))
    return due


@dataclass(frozen=True)
class Change:
    """A post as it is now, and what changed since the subscriber was last sent it."""

    entry: Entry
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Selected:
    """What one subscriber gets from an edition's notices."""

    changes: tuple[Change, ...] = ()
    reminders: tuple[Entry, ...] = ()
    soon: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes or self.reminders or self.soon)

    def told(self) -> list[Entry]:
        """The posts whose current state this subscriber learns from these notices."""
        return [c.entry for c in self.changes] + list(self.reminders) + list(self.soon)


def select_notices(
    notices: Iterable[Notice],
    current: Mapping[str, Entry],
    told: Mapping[str, PostState],
    news: set[str],
    wants: Callable[[Entry], bool],
    cancelled: str | None = None,
) -> Selected:
    """The notices of one edition for one subscriber.

    ``current`` is each post as last read from the feed, ``told`` the state each post had in
    what this subscriber was last sent, ``news`` the posts their digest carries as news (those
    need no notice), ``wants`` their topic rule.  A change goes only to someone who was sent the
    post and whose last copy differs from the post now; a reminder or "soon" only while the post
    still has that deadline or window and is not cancelled.  A post is listed once: a change
    says everything, and a reminder carries its window too, so "soon" drops a post reminded of.
    """
    changes: dict[str, Change] = {}
    reminders: dict[str, Entry] = {}
    soon: dict[str, Entry] = {}
    for notice in notices:
        entry = current.get(notice.entry_id)
        if entry is None or entry.id in news or not wants(entry):
            continue
        if notice.kind is Kind.CHANGED:
            before = told.get(entry.id)
            if before is not None and before != PostState.of(entry):
                changes[entry.id] = Change(
                    entry, describe_changes(before, PostState.of(entry), cancelled)
                )
        elif _is_cancelled(entry.status, cancelled):
            continue
        elif notice.kind is Kind.REMINDER and reminder_key(entry.action) == notice.key:
            reminders[entry.id] = entry
        elif notice.kind is Kind.SOON and soon_key(entry.window) == notice.key:
            soon[entry.id] = entry
    for entry_id in changes:
        reminders.pop(entry_id, None)
        soon.pop(entry_id, None)
    for entry_id in reminders:
        soon.pop(entry_id, None)
    return Selected(
        tuple(sorted(changes.values(), key=lambda c: (c.entry.title, c.entry.id))),
        tuple(sorted(reminders.values(), key=_deadline)),
        tuple(sorted(soon.values(), key=_start)),
    )


def _deadline(entry: Entry) -> tuple[date, str]:
    by = entry.action.by if entry.action is not None else None
    return by or date.max, entry.title


def _start(entry: Entry) -> tuple[str, str]:
    return soon_key(entry.window) or "", entry.title


def _is_cancelled(status: str | None, cancelled: str | None) -> bool:
    """``cancelled`` is the feed's word for it (``itc:statuses``); without one nothing is."""
    return cancelled is not None and status == cancelled


def describe_changes(
    before: PostState, after: PostState, cancelled: str | None = None
) -> tuple[str, ...]:
    """What changed, one Swedish line each, e.g. ``Nytt datum: …`` or ``Inställt``.

    A post newly cancelled says only that: its new date or action no longer concerns anyone.
    """
    if _is_cancelled(after.status, cancelled) and not _is_cancelled(before.status, cancelled):
        return ("Inställt",)
    lines: list[str] = []
    if after.status != before.status and after.status:
        lines.append(f"Ny status: {after.status}")
    if after.window != before.window:
        lines.append(_window_change(before.window, after.window))
    if after.action != before.action:
        lines.extend(_action_change(before.action, after.action))
    return tuple(lines)


def _window_change(before: Window | None, after: Window | None) -> str:
    if after is None:
        return "Inget avbrott planeras längre"
    text = format_window(after.start, after.end)
    if before is None:
        return f"Avbrott: {text}"
    return f"Nytt datum: {text} (tidigare {format_window(before.start, before.end)})"


def _action_change(before: Action | None, after: Action | None) -> list[str]:
    if after is None:
        return ["Ingen åtgärd behövs längre"]
    lines = []
    if before is None or after.what != before.what:
        lines.append(f"Ny åtgärd: {after.what}")
    old_by = before.by if before is not None else None
    if after.by != old_by:
        if after.by is None:
            lines.append("Ingen sista dag för åtgärden längre")
        elif old_by is None:
            lines.append(f"Sista dag: {format_date(after.by)}")
        else:
            lines.append(f"Ny sista dag: {format_date(after.by)} (tidigare {format_date(old_by)})")
    return lines
