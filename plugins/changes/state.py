"""Where a change stands at a given moment: the rules behind the change card, the banner and
"Kommande ändringar". Imports nothing from MkDocs.

The site is static and built only when someone publishes, so the build decides with its own
"now" (the fallback a reader without JavaScript sees) and the reader's browser decides again
with the real now, from :func:`now_document`. ``assets/javascripts/changes.js`` applies the
same rules as this module; the browser tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from plugins.posts.model import Post, Status
from swedish.dates import STOCKHOLM, format_date, format_window

STATUS_LABELS = {
    Status.PLANNED: "Planerad",
    Status.ONGOING: "Pågår",
    Status.DONE: "Klar",
    Status.CANCELLED: "Inställd",
}
STATUS_SLUGS = {
    Status.PLANNED: "planerad",
    Status.ONGOING: "pagar",
    Status.DONE: "klar",
    Status.CANCELLED: "installd",
}


class Phase(StrEnum):
    """Where ``now`` is relative to a post's window."""

    BEFORE = "before"
    DURING = "during"
    AFTER = "after"


def phase(post: Post, now: datetime) -> Phase | None:
    """``None`` for a post without a window."""
    if post.window is None:
        return None
    if now < post.window.start:
        return Phase.BEFORE
    if now < post.window.end:
        return Phase.DURING
    return Phase.AFTER


def effective_status(post: Post, now: datetime) -> Status:
    """The status a reader should see at ``now``.

    What the writer set wins, except that a planned window runs on the clock: once it has
    started the change is under way (pågår), once it has ended it is done (klar). A writer
    whose work overran sets ``status: pågår``, which then holds until they change it.
    """
    if post.status is not Status.PLANNED:
        return post.status
    match phase(post, now):
        case Phase.DURING:
            return Status.ONGOING
        case Phase.AFTER:
            return Status.DONE
        case _:
            return Status.PLANNED


def is_current(post: Post, now: datetime) -> bool:
    """True while the banner must show the post: its outage is ongoing or its window is open."""
    return effective_status(post, now) is Status.ONGOING


def local_day(moment: datetime) -> date:
    """The calendar day in Sweden at ``moment``."""
    return moment.astimezone(STOCKHOLM).date()


def days_left_text(by: date, today: date) -> str:
    """How long a reader has left to act, in Swedish."""
    days = (by - today).days
    if days < 0:
        return "tiden har gått ut"
    if days == 0:
        return "sista dagen är i dag"
    if days == 1:
        return "1 dag kvar"
    return f"{days} dagar kvar"


def phase_text(post: Post, now: datetime) -> str:
    """A few words on the window at ``now``: ``börjar om 3 dagar``, ``pågår nu``, ...."""
    if post.status is Status.CANCELLED:
        return "inställt"
    match phase(post, now):
        case Phase.BEFORE:
            assert post.window is not None
            days = (local_day(post.window.start) - local_day(now)).days
            if days == 0:
                return "börjar i dag"
            if days == 1:
                return "börjar i morgon"
            return f"börjar om {days} dagar"
        case Phase.DURING:
            return "pågår nu"
        case Phase.AFTER:
            return "har passerat"
        case _:
            return ""


@dataclass(frozen=True)
class ChangeView:
    """What the change card and the list lines show of one post, decided at one moment."""

    post: Post
    url: str
    """Site-relative address of the post."""
    status: Status
    status_label: str
    status_slug: str
    cancelled: bool
    when: str | None
    when_state: str
    action_by: str | None
    days_left: str | None
    published: str
    updated: str | None
    calendar_url: str | None
    """Site-relative address of the post's single-event ``.ics``, when it has a window."""

    @property
    def data(self) -> dict[str, Any]:
        """What the browser needs to decide again with its own clock (``data-change``)."""
        return entry_data(self.post, self.url)


def change_view(post: Post, url: str, now: datetime, calendar_url: str | None = None) -> ChangeView:
    """The change card of ``post`` as it stands at ``now``."""
    status = effective_status(post, now)
    return ChangeView(
        post=post,
        url=url,
        status=status,
        status_label=STATUS_LABELS[status],
        status_slug=STATUS_SLUGS[status],
        cancelled=post.status is Status.CANCELLED,
        when=format_window(post.window.start, post.window.end) if post.window else None,
        when_state=phase_text(post, now),
        action_by=format_date(post.action.by) if post.action else None,
        days_left=days_left_text(post.action.by, local_day(now)) if post.action else None,
        published=format_date(post.date),
        updated=format_date(post.updated) if post.updated else None,
        calendar_url=calendar_url if post.window else None,
    )


def entry_data(post: Post, url: str) -> dict[str, Any]:
    """One post in ``now.json``: enough for the browser to apply this module's rules."""
    return {
        "key": post.key,
        "title": post.title,
        "url": url,
        "status": post.status.value,
        "services": list(post.services),
        "window": {
            "start": post.window.start.isoformat(),
            "end": post.window.end.isoformat(),
            "text": format_window(post.window.start, post.window.end),
        } if post.window else None,
        "action": {
            "by": post.action.by.isoformat(),
            "text": format_date(post.action.by),
            "what": post.action.what,
        } if post.action else None,
    }


def is_open(post: Post, now: datetime) -> bool:
    """Still something for a reader to plan for at ``now``: an ongoing outage, a window not
    yet over, or an action whose last day has not passed. Cancelled windows still ahead stay,
    so that those who planned for them learn they are off."""
    if post.status is Status.DONE:
        return False
    if post.status is Status.ONGOING:
        return True
    window_open = post.window is not None and post.window.end > now
    action_open = post.action is not None and post.action.by >= local_day(now)
    if post.status is Status.CANCELLED:
        return window_open
    return window_open or action_open


@dataclass(frozen=True)
class Upcoming:
    """The three lists of "Kommande ändringar", each soonest first."""

    ongoing: tuple[Post, ...]
    windows: tuple[Post, ...]
    actions: tuple[Post, ...]


def upcoming(posts: Iterable[Post], now: datetime) -> Upcoming:
    """Ongoing outages and windows, windows ahead, and open actions, each soonest first.

    A post may be in more than one list: its window ahead and the action before it.
    """
    posts = [post for post in posts if is_open(post, now)]
    far = datetime.max.replace(tzinfo=STOCKHOLM)

    def start(post: Post) -> tuple[datetime, str]:
        return (post.window.start if post.window else far, post.key)

    ongoing = sorted((p for p in posts if is_current(p, now)), key=start)
    windows = sorted(
        (p for p in posts
         if p.window and phase(p, now) is Phase.BEFORE and not is_current(p, now)),
        key=start,
    )
    actions = sorted(
        (p for p in posts
         if p.action and p.action.by >= local_day(now) and p.status is not Status.CANCELLED),
        key=lambda p: (p.action.by, p.key),  # type: ignore[union-attr]
    )
    return Upcoming(tuple(ongoing), tuple(windows), tuple(actions))


def now_document(
    posts: Iterable[Post], url_of: Callable[[Post], str], built: datetime
) -> dict[str, Any]:
    """The content of ``now.json``: every post still open at build time.

    Posts already over at build time cannot become open again before the next build, so they
    are left out and the file stays small however long the news goes back.
    """
    return {
        "version": 1,
        "built": built.isoformat(),
        "changes": [entry_data(post, url_of(post)) for post in posts if is_open(post, built)],
    }
