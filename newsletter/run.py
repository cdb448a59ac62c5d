"""One ``send``: fetch, parse, plan the new edition in one transaction, then deliver.

These steps are separate functions so that the CLI can draw a progress bar between them and
tests can run each on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from newsletter.digest import (
    MailSettings,
    MessageTemplate,
    Recipient,
    build_digest,
    render_shared,
)
from newsletter.feed import Entry, read_feed
from newsletter.fetch import fetch
from newsletter.notices import (
    DEFAULT_HORIZON_DAYS,
    Kind,
    PostState,
    Selected,
    due_notices,
    select_notices,
)
from newsletter.store import DEFAULT_RETRY_PERIOD, Delivery, Edition, Status, Store
from newsletter.topics import Vocabulary, learn_vocabulary, relevant
from newsletter.transports import Outcome, Pending, Result, Transport

log = logging.getLogger(__name__)

FIRST_RUN_WINDOW = timedelta(days=7)
_STATUS = {
    Outcome.SENT: Status.SENT,
    Outcome.DEFERRED: Status.DEFERRED,
    Outcome.FAILED: Status.FAILED,
    Outcome.UNKNOWN: Status.UNKNOWN,
}


@dataclass(frozen=True)
class Plan:
    """What one look at the feed changed."""

    not_modified: bool = False
    new_posts: int = 0
    old_posts: int = 0
    edition_id: int | None = None
    deliveries: int = 0
    notices: int = 0


@dataclass
class Tally:
    """Counts of one delivery pass."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    unknown: int = 0
    cancelled: int = 0

    def add(self, status: Status) -> None:
        """Count one recorded outcome."""
        name = status.value
        setattr(self, name, getattr(self, name) + 1)


def split_new(
    entries: Iterable[Entry], seen: set[str], cutoff: datetime | None
) -> tuple[list[Entry], list[Entry]]:
    """Unseen entries to send, and unseen entries published before ``cutoff`` to mark seen only."""
    fresh: list[Entry] = []
    stale: list[Entry] = []
    known: set[str] = set(seen)
    for entry in entries:
        if entry.id in known:
            continue
        known.add(entry.id)  # a feed listing one id twice gives one post
        (stale if cutoff is not None and entry.published < cutoff else fresh).append(entry)
    return fresh, stale


def update_from_feed(
    store: Store,
    source: str,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    timeout: float = 30.0,
    reminder_horizon: timedelta = timedelta(days=DEFAULT_HORIZON_DAYS),
) -> Plan:
    """Fetch and parse the feed, and record the new edition with its pending deliveries.

    The edition holds the new posts and the notices that fell due (reminders and "soon" within
    ``reminder_horizon`` of ``now``, changes of posts seen before).  Everything is written in
    one transaction, after a successful fetch and parse: a failure never changes what is seen
    or what was reminded of.  The first run sends only the last seven days unless ``since``
    says otherwise, and marks older posts seen.
    """
    now = now or datetime.now(UTC)
    fetched = fetch(source, store.validators(source), timeout=timeout)
    if fetched.not_modified:
        return _reminders_only(store, source, now, reminder_horizon)
    document = read_feed(fetched.body, fetched.url)
    entries = document.entries
    with store.transaction():
        # Before planning: topics given before the feed was known are sorted by it.
        store.save_vocabulary(
            learn_vocabulary(document.channel, entries, store.vocabulary()))
        if document.channel.home:
            store.save_feed_home(document.channel.home)
        cutoff = since
        if cutoff is None and not store.has_seen_anything():
            cutoff = now - FIRST_RUN_WINDOW
        fresh, stale = split_new(entries, store.seen_ids(e.id for e in entries), cutoff)
        current: dict[str, Entry] = {}
        for entry in entries:
            current.setdefault(entry.id, entry)  # the first of an id listed twice, as above
        known = store.known_entries(current)
        notices = due_notices(current.values(),
                              {i: PostState.of(e) for i, e in known.items()},
                              store.given_notices(current), now, reminder_horizon,
                              _cancelled(store.vocabulary()))
        store.mark_seen(stale, None)
        store.update_entries(
            e for i, e in current.items() if i in known and e.to_json() != known[i].to_json()
        )
        store.save_listed(source, current)
        edition_id = None
        deliveries = 0
        if fresh or notices:
            edition_id = store.create_edition(source, now)
            store.mark_seen(fresh, edition_id)
            store.add_notices(edition_id, notices)
            deliveries = store.plan_deliveries(edition_id, fresh, notices, current)
        store.save_validators(source, fetched.validators)
    log.info("%d new posts, %d old ones marked seen, %d reminders and changes, "
             "%d deliveries planned", len(fresh), len(stale), len(notices), deliveries)
    return Plan(False, len(fresh), len(stale), edition_id, deliveries, len(notices))


def _cancelled(vocabulary: Vocabulary | None) -> str | None:
    """The status the feed uses for a cancelled post; None when the feed never said."""
    return vocabulary.cancelled if vocabulary else None


def _reminders_only(store: Store, source: str, now: datetime, horizon: timedelta) -> Plan:
    """A feed not modified since the last run: nothing new or changed, but deadlines come near.

    The posts are those the feed listed when last read, so a post taken out of the feed is
    never reminded of.
    """
    with store.transaction():
        listed = {e.id: e for e in store.listed_entries(source)}
        notices = due_notices(listed.values(), {}, store.given_notices(listed), now, horizon,
                              _cancelled(store.vocabulary()))
        if not notices:
            return Plan(not_modified=True)
        edition_id = store.create_edition(source, now)
        store.add_notices(edition_id, notices)
        deliveries = store.plan_deliveries(edition_id, [], notices, listed)
    log.info("feed not modified; %d reminders, %d deliveries planned", len(notices), deliveries)
    return Plan(True, 0, 0, edition_id, deliveries, len(notices))


@dataclass(frozen=True)
class Composed:
    """One delivery's message, and the posts whose state it tells the subscriber."""

    message: bytes
    told: tuple[Entry, ...]


@dataclass
class Composer:
    """Builds each delivery's message, caching editions and digests shared by many subscribers."""

    store: Store
    settings: MailSettings
    vocabulary: Vocabulary | None = None
    _editions: dict[int, Edition] = field(default_factory=dict)
    _templates: dict[tuple[object, ...], MessageTemplate] = field(default_factory=dict)

    def edition(self, edition_id: int) -> Edition:
        """An edition, read once per run."""
        edition = self._editions.get(edition_id)
        if edition is None:
            edition = self.store.edition(edition_id)
            self._editions[edition_id] = edition
        return edition

    def notices(self, delivery: Delivery, edition: Edition, news: list[Entry]) -> Selected:
        """The edition's reminders and changes for this subscriber, by what they were sent."""
        if not edition.notices:
            return Selected()
        changed = [n.entry_id for n in edition.notices if n.kind is Kind.CHANGED]
        told = self.store.told_states(delivery.subscriber_id, changed) if changed else {}
        return select_notices(edition.notices, {e.id: e for e in edition.noticed}, told,
                              {e.id for e in news}, delivery.wanted, _cancelled(self.vocabulary))

    def compose(self, delivery: Delivery, now: datetime) -> Composed | None:
        """The message for one delivery, ready for SMTP, or None if nothing in it is for them.

        Rendering, CSS inlining and MIME structure are done once per edition, topic set and
        set of notices, however many subscribers share them.
        """
        edition = self.edition(delivery.edition_id)
        news = relevant(edition.entries, delivery.wanted)
        selected = self.notices(delivery, edition, news)
        if not news and not selected:
            return None
        key = (delivery.edition_id, delivery.wanted, bool(delivery.name),
               tuple((c.entry.id, c.lines) for c in selected.changes),
               tuple(e.id for e in selected.reminders), tuple(e.id for e in selected.soon))
        template = self._templates.get(key)
        if template is None:
            digest = build_digest(news, edition.created_at, self.vocabulary,
                                  max_posts=self.settings.max_posts,
                                  more_url=self.settings.news_url, notices=selected)
            rendered = render_shared(digest, self.settings, with_name=bool(delivery.name))
            template = MessageTemplate(rendered, self.settings)
            if len(self._templates) >= 1024:  # topic combinations are few; bound them anyway
                self._templates.pop(next(iter(self._templates)))
            self._templates[key] = template
        recipient = Recipient(delivery.subscriber_id, delivery.email, delivery.name,
                              delivery.token_key)
        return Composed(template.message(recipient, delivery.edition_id, now),
                        (*news, *selected.told()))

    def message(self, delivery: Delivery, now: datetime) -> bytes | None:
        """The message for one delivery as bytes ready for SMTP, or None if there is nothing."""
        composed = self.compose(delivery, now)
        return None if composed is None else composed.message


def delivery_key(delivery: Delivery) -> str:
    """A stable file name stem for a delivery (the outbox uses it)."""
    return f"edition-{delivery.edition_id:06d}-subscriber-{delivery.subscriber_id:07d}"


def deliver(
    store: Store,
    transport: Transport,
    settings: MailSettings,
    *,
    on_each: Callable[[Status], None] | None = None,
    retry_period: timedelta = DEFAULT_RETRY_PERIOD,
) -> Tally:
    """Send every open delivery, recording each outcome the moment it is known.

    The next message is built while the server is still answering the previous one, but
    nothing that goes wrong while building it can lose that answer: the message in flight is
    recorded first, whatever happens (a build error, an SMTP error, Ctrl-C).  A message that
    cannot be built fails its own delivery, with the reason, and the run goes on.
    """
    composer = Composer(store, settings, store.vocabulary())
    tally = Tally()
    envelope_from = settings.sender.addr_spec

    def count(status: Status) -> None:
        tally.add(status)
        if on_each is not None:
            on_each(status)

    def record(delivery: Delivery, result: Result, told: tuple[Entry, ...]) -> None:
        if result.outcome is not Outcome.SENT:
            log.warning("%s to %s: %s", result.outcome, delivery.email, result.detail)
            count(store.mark(delivery, _STATUS[result.outcome], result.detail,
                             retry_period=retry_period))
            return
        # Sent, and what it told the subscriber, are kept together or not at all: a change
        # notice later depends on exactly what this message said.
        with store.transaction():
            status = store.mark(delivery, Status.SENT, retry_period=retry_period)
            store.record_told(delivery, told)
        count(status)

    in_flight: tuple[Delivery, Pending, tuple[Entry, ...]] | None = None
    try:
        for delivery in store.open_deliveries():
            composed: Composed | None = None
            problem = ""
            if delivery.active:
                try:
                    composed = composer.compose(delivery, datetime.now(UTC))
                except Exception as exc:  # whatever breaks the build fails this delivery only
                    problem = f"cannot build the message: {type(exc).__name__}: {exc}"
                    log.warning("%s: %s", delivery.email, problem)
                    log.debug("building the message for %s", delivery.email, exc_info=True)
            if in_flight is not None:
                previous, in_flight = in_flight, None
                record(previous[0], previous[1](), previous[2])
            if problem:
                count(store.mark(delivery, Status.FAILED, problem))
                continue
            if composed is None:
                count(store.mark(delivery, Status.CANCELLED))
                continue
            pending = transport.begin(
                envelope_from, delivery.email, composed.message, delivery_key(delivery)
            )
            in_flight = (delivery, pending, composed.told)
    finally:
        # Reached on success and on any error alike: an accepted message is never left
        # unrecorded, so no later run can send it again.
        if in_flight is not None:
            record(in_flight[0], in_flight[1](), in_flight[2])
    return tally
