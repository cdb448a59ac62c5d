"""Which reminders, "soon" and change notices are due, and who gets them (pure, no servers).

Expected texts and dates are written out by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from newsletter.feed import Action, Entry, Window
from newsletter.notices import (
    Kind,
    Notice,
    PostState,
    describe_changes,
    due_notices,
    select_notices,
)

CET = datetime.fromisoformat("2026-12-01T00:00:00+01:00").tzinfo
# The feed's word for a cancelled post (its itc:statuses); the newsletter has none of its own.
CANCELLED = "inställd"
# Monday 30 November 2026, 08:00 in Stockholm.
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def post(post_id: str = "flytt", **changes: object) -> Entry:
    values: dict[str, object] = {
        "id": post_id,
        "title": f"Rubrik {post_id}",
        "link": f"https://intranet.test/{post_id}/",
        "published": datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
        "updated": datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
        "categories": ("Planerad ändring",),
        "audiences": ("alla",),
        "status": "planerad",
        "window": Window(datetime(2026, 12, 11, 18, 0, tzinfo=CET),
                         datetime(2026, 12, 13, 18, 0, tzinfo=CET)),
        "action": Action("Spara dina filer", date(2026, 12, 11)),
    }
    values.update(changes)
    return Entry(**values)  # type: ignore[arg-type]


def kinds(notices: list[Notice]) -> list[tuple[str, Kind]]:
    return [(n.entry_id, n.kind) for n in notices]


def test_a_deadline_eight_days_ahead_is_not_due_seven_days_ahead_is() -> None:
    entry = post(window=None)
    # Deadline Friday 11 December; Thursday 3 December is 8 days before, Friday 4th 7 days.
    assert due_notices([entry], {}, set(), datetime(2026, 12, 3, 22, 0, tzinfo=UTC)) == []
    # 23.30 UTC on the 3rd is already Friday 4 December in Stockholm.
    assert kinds(due_notices([entry], {}, set(), datetime(2026, 12, 3, 23, 30, tzinfo=UTC))) == [
        ("flytt", Kind.REMINDER)
    ]
    # On the deadline day itself still due, the day after not.
    assert kinds(due_notices([entry], {}, set(), datetime(2026, 12, 11, 9, tzinfo=UTC))) == [
        ("flytt", Kind.REMINDER)
    ]
    assert due_notices([entry], {}, set(), datetime(2026, 12, 12, 9, tzinfo=UTC)) == []


def test_a_reminder_is_due_once_per_deadline() -> None:
    entry = post(window=None)
    now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    [notice] = due_notices([entry], {}, set(), now)
    assert notice == Notice("flytt", Kind.REMINDER, "2026-12-11")
    given = {(notice.entry_id, notice.kind, notice.key)}
    assert due_notices([entry], {}, given, now + timedelta(days=1)) == []
    moved = post(window=None, action=Action("Spara dina filer", date(2026, 12, 14)))
    assert due_notices([moved], {}, given, now + timedelta(days=1)) == [
        Notice("flytt", Kind.REMINDER, "2026-12-14")
    ]


def test_a_window_is_soon_from_seven_days_before_its_start_until_it_starts() -> None:
    entry = post(action=None)
    start = datetime(2026, 12, 11, 17, 0, tzinfo=UTC)  # 18.00 in Stockholm
    assert due_notices([entry], {}, set(), start - timedelta(days=7, seconds=1)) == []
    assert due_notices([entry], {}, set(), start - timedelta(days=7)) == [
        Notice("flytt", Kind.SOON, "2026-12-11T18:00:00+01:00")
    ]
    assert due_notices([entry], {}, set(), start) == []


def test_cancelled_posts_and_a_zero_horizon_get_no_reminders() -> None:
    now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert due_notices([post(status="inställd")], {}, set(), now, cancelled=CANCELLED) == []
    assert due_notices([post()], {}, set(), now, timedelta(0)) == []


def test_a_change_of_status_window_or_action_is_due_for_known_posts_only() -> None:
    known = {"flytt": PostState.of(post())}
    assert due_notices([post()], known, set(), MONDAY) == []
    assert due_notices([post(title="Ny rubrik", summary="Ny text")], known, set(), MONDAY) == []
    for changed in (post(status="inställd"), post(window=None),
                    post(action=Action("Spara dina filer", date(2026, 12, 10)))):
        assert kinds(due_notices([changed], known, set(), MONDAY)) == [("flytt", Kind.CHANGED)]
    assert due_notices([post(status="inställd")], {}, set(), MONDAY,
                       cancelled=CANCELLED) == []


def test_the_same_instant_written_with_another_offset_is_no_change() -> None:
    utc_window = Window(datetime(2026, 12, 11, 17, 0, tzinfo=UTC),
                        datetime(2026, 12, 13, 17, 0, tzinfo=UTC))
    assert PostState.of(post()) == PostState.of(post(window=utc_window))
    state = PostState.of(post())
    assert PostState.from_json(state.to_json()) == state


def test_change_texts() -> None:
    before = PostState.of(post())
    moved = Window(datetime(2026, 12, 18, 18, 0, tzinfo=CET),
                   datetime(2026, 12, 20, 18, 0, tzinfo=CET))
    assert describe_changes(before, PostState.of(post(window=moved))) == (
        "Nytt datum: fredag 18 december 2026 kl. 18.00 \u2013 söndag 20 december kl. 18.00"
        " (tidigare fredag 11 december 2026 kl. 18.00 \u2013 söndag 13 december kl. 18.00)",
    )
    assert describe_changes(before, PostState.of(post(status="inställd")), CANCELLED) == (
        "Inställt",)
    # Cancelled and moved at once: the cancellation says it all.
    assert describe_changes(before, PostState.of(post(status="inställd", window=moved)),
                            CANCELLED) == (
        "Inställt",
    )
    assert describe_changes(PostState.of(post(status="inställd")), before, CANCELLED) == (
        "Ny status: planerad",
    )
    assert describe_changes(before, PostState.of(post(status="pågår"))) == ("Ny status: pågår",)
    assert describe_changes(before, PostState.of(post(window=None, action=None))) == (
        "Inget avbrott planeras längre", "Ingen åtgärd behövs längre",
    )
    later = Action("Spara dina filer och logga ut", date(2026, 12, 10))
    assert describe_changes(before, PostState.of(post(action=later))) == (
        "Ny åtgärd: Spara dina filer och logga ut",
        "Ny sista dag: 10 december 2026 (tidigare 11 december 2026)",
    )
    assert describe_changes(PostState.of(post(window=None)), before) == (
        "Avbrott: fredag 11 december 2026 kl. 18.00 \u2013 söndag 13 december kl. 18.00",
    )


def everyone(entry: Entry) -> bool:
    return True


def test_a_change_goes_only_to_whoever_was_sent_another_state() -> None:
    now = post(status="inställd")
    notices = [Notice("flytt", Kind.CHANGED, PostState.of(now).to_json())]
    current = {"flytt": now}
    got_old = {"flytt": PostState.of(post())}
    selected = select_notices(notices, current, got_old, set(), everyone, CANCELLED)
    assert [(c.entry.id, c.lines) for c in selected.changes] == [("flytt", ("Inställt",))]
    assert not select_notices(notices, current, {}, set(), everyone)
    assert not select_notices(notices, current, {"flytt": PostState.of(now)}, set(), everyone)
    assert not select_notices(notices, current, got_old, set(), lambda e: False)


def test_reminders_go_by_topic_and_drop_posts_that_are_news_or_no_longer_due() -> None:
    entry = post()
    notices = [Notice("flytt", Kind.REMINDER, "2026-12-11"),
               Notice("flytt", Kind.SOON, "2026-12-11T18:00:00+01:00")]
    selected = select_notices(notices, {"flytt": entry}, {}, set(), everyone)
    # Reminder and window in one item: the post is listed once.
    assert (selected.reminders, selected.soon) == ((entry,), ())
    assert not select_notices(notices, {"flytt": entry}, {}, {"flytt"}, everyone)
    assert not select_notices(notices, {"flytt": entry}, {}, set(), lambda e: False)
    assert not select_notices(notices, {"flytt": post(status="inställd")}, {}, set(), everyone,
                              CANCELLED)
    moved = post(action=Action("Spara dina filer", date(2026, 12, 18)),
                 window=Window(datetime(2026, 12, 18, 18, 0, tzinfo=CET)))
    assert not select_notices(notices, {"flytt": moved}, {}, set(), everyone)
    only_soon = select_notices(notices[1:], {"flytt": entry}, {}, set(), everyone)
    assert (only_soon.reminders, only_soon.soon) == ((), (entry,))


def test_a_change_says_it_all_and_the_post_is_not_reminded_of_besides() -> None:
    now = post(status="pågår")
    notices = [Notice("flytt", Kind.CHANGED, PostState.of(now).to_json()),
               Notice("flytt", Kind.REMINDER, "2026-12-11")]
    selected = select_notices(notices, {"flytt": now}, {"flytt": PostState.of(post())}, set(),
                              everyone)
    assert [c.entry.id for c in selected.changes] == ["flytt"]
    assert selected.reminders == ()


def test_without_the_feeds_word_for_cancelled_nothing_is_cancelled() -> None:
    """Item 9 of issue 7: the newsletter hard-codes no status; a feed that names none (an older
    site) gets its posts reminded of and their new status told, as the digest treats them."""
    now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    off = post(status="inställd")
    assert kinds(due_notices([off], {}, set(), now)) == [
        ("flytt", Kind.REMINDER), ("flytt", Kind.SOON)]
    assert describe_changes(PostState.of(post()), PostState.of(off)) == ("Ny status: inställd",)
    notices = [Notice("flytt", Kind.REMINDER, "2026-12-11")]
    assert select_notices(notices, {"flytt": off}, {}, set(), everyone).reminders == (off,)
    # Another site's word: its own cancelled status, and "inställd" is just a status.
    assert due_notices([post(status="avbokad")], {}, set(), now, cancelled="avbokad") == []
    assert kinds(due_notices([off], {}, set(), now, cancelled="avbokad")) == [
        ("flytt", Kind.REMINDER), ("flytt", Kind.SOON)]
