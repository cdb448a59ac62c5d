"""The newsletter's state in SQLite: subscribers, seen entries, editions and deliveries.

The connection runs in autocommit mode; every change is either one statement or an explicit
``BEGIN IMMEDIATE`` transaction (:meth:`Store.transaction`), so a delivery is committed as sent the
moment its own UPDATE returns.  WAL with ``synchronous=NORMAL`` survives a killed process
(the case this program must handle); only a power cut can lose the last commits, which would
resend those few digests rather than lose any.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from newsletter.errors import StateError
from newsletter.feed import Entry
from newsletter.notices import Kind, Notice, PostState
from newsletter.subscribers import Subscriber, address_key
from newsletter.topics import (
    Choice,
    Vocabulary,
    Wanted,
    dump_choices,
    legacy_choices,
    load_choices,
    wanted,
)

SCHEMA_VERSION = 5
PAGE_SIZE = 500
# SQLite's page cache while subscribers are imported (negative: KiB), 64 MiB.
IMPORT_CACHE_KIB = -65536
DEFAULT_RETRY_PERIOD = timedelta(days=3)
# As mail servers retry: soon at first, then less often (Postfix: 5 minutes up to ~67).
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=2)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    unsubscribed_at TEXT
);
CREATE TABLE feeds (
    source TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL
);
CREATE TABLE editions (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL
);
-- edition_id is NULL for an entry marked seen without being sent
-- (older than the first run's cutoff).
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    edition_id INTEGER REFERENCES editions(id),
    published TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX entries_edition ON entries(edition_id) WHERE edition_id IS NOT NULL;
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    edition_id INTEGER NOT NULL REFERENCES editions(id),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    unknown_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (edition_id, subscriber_id)
);
-- Keeps "what is left to send" cheap however many deliveries were ever made.  No other index
-- on status: each one is another page written by the commit that marks a delivery sent.
CREATE INDEX deliveries_open ON deliveries(id) WHERE status IN ('pending', 'deferred', 'unknown');
"""

# Version 2: self-service subscriptions.  ``topics`` (any-of names) becomes ``choices`` (JSON,
# see newsletter.topics), filled by Python from the old value.  A subscriber who is not active
# is exactly one of pending (awaiting confirmation), paused or unsubscribed.  ``token_key`` is
# random per subscriber and part of every signed link, so a link never names a later subscriber
# who happens to get the same id.  The audit table records every change with time and source.
_SCHEMA_2 = """
ALTER TABLE subscribers RENAME COLUMN topics TO choices;
ALTER TABLE subscribers ADD COLUMN pending_since TEXT;
ALTER TABLE subscribers ADD COLUMN paused_at TEXT;
ALTER TABLE subscribers ADD COLUMN confirmed_at TEXT;
ALTER TABLE subscribers ADD COLUMN token_key TEXT NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    subscriber_id INTEGER,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_subscriber ON audit(subscriber_id);
"""
# Version 3: retries by time.  A deferred delivery waits until ``next_attempt_at``; the first
# deferral's time decides when it is given up (the retry period).
_SCHEMA_3 = """
ALTER TABLE deliveries ADD COLUMN next_attempt_at TEXT;
ALTER TABLE deliveries ADD COLUMN deferred_since TEXT;
"""

# Version 4: reminders and change notices (issue 9).  ``told`` is what each subscriber was last
# sent of each post (status, window and action, as newsletter.notices.PostState), written in the
# transaction that marks the delivery sent: a change is told only to those who were sent the
# post, and says what differs from what they were sent.  ``notices`` records each reminder,
# "soon" and change once, in the edition that carries it (its deliveries send it).
_SCHEMA_4 = """
CREATE TABLE told (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    entry_id TEXT NOT NULL,
    state TEXT NOT NULL,
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
    PRIMARY KEY (subscriber_id, entry_id)
) WITHOUT ROWID;
CREATE INDEX told_entry ON told(entry_id);
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    edition_id INTEGER NOT NULL REFERENCES editions(id),
    entry_id TEXT NOT NULL REFERENCES entries(id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX notices_edition ON notices(edition_id);
CREATE INDEX notices_entry ON notices(entry_id, kind, key);
"""

# Version 5: the "added" lines of an import (or of ``subscribers add``) in compact form, for
# 100,000-line files.  One ``audit_runs`` row holds what the lines share (time, action, source
# and the description of each set of choices they name); ``audit_added`` holds per subscriber
# the run, the name given and which of the run's choices (an index into its JSON list): about
# 25 bytes a subscriber where an ``audit`` line took 130 and an index entry.  Being added is
# always a subscriber's first event, so :meth:`Store.audit_log` lists it before the ``audit``
# lines.  No REFERENCES on run_id: a foreign-key check per line would cost a lookup each.
_SCHEMA_5 = """
CREATE TABLE audit_runs (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE audit_added (
    subscriber_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    choice INTEGER NOT NULL
);
"""
_OPEN = "('pending', 'deferred', 'unknown')"
# One encoder for every audit line: json.dumps with options builds a new one per call.
_json = json.JSONEncoder(ensure_ascii=False).encode


class State(StrEnum):
    """Where a subscriber stands."""

    ACTIVE = "active"
    PENDING = "pending"  # subscribed on the web, confirmation link not followed yet
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"


class Status(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    SENT = "sent"
    DEFERRED = "deferred"  # 4xx or a dropped connection before the data: next run tries again
    UNKNOWN = "unknown"  # connection lost after the data: next run tries once more
    FAILED = "failed"  # 5xx, or given up: listed by ``newsletter failures``
    CANCELLED = "cancelled"  # the subscriber left, or no longer wants any of the posts


@lru_cache(maxsize=256)
def _told_state(entry: Entry) -> str:
    """The stored state of an entry: the same for every subscriber of a run, so made once."""
    return PostState.of(entry).to_json()


@dataclass(frozen=True)
class StoredSubscriber:
    """A subscriber row."""

    id: int
    email: str
    name: str
    choices: tuple[Choice, ...]
    state: State
    token_key: str

    @property
    def active(self) -> bool:
        """Whether digests go to this subscriber."""
        return self.state is State.ACTIVE


_SUBSCRIBER_COLUMNS = (
    "id, email, name, choices, active, pending_since, paused_at, token_key"
)


def _subscriber(row: tuple[Any, ...]) -> StoredSubscriber:
    if row[4]:
        state = State.ACTIVE
    elif row[5]:
        state = State.PENDING
    elif row[6]:
        state = State.PAUSED
    else:
        state = State.UNSUBSCRIBED
    return StoredSubscriber(row[0], row[1], row[2], load_choices(row[3]), state, row[7])


@dataclass(frozen=True)
class Edition:
    """The posts that were new in one run, in the order the digest lists them."""

    id: int
    created_at: datetime
    entries: tuple[Entry, ...]
    notices: tuple[Notice, ...] = ()
    noticed: tuple[Entry, ...] = ()
    """The posts the notices are about, as last read from the feed."""


@dataclass(frozen=True)
class Delivery:
    """One digest of one edition for one subscriber, still to be sent."""

    id: int
    edition_id: int
    subscriber_id: int
    email: str
    name: str
    wanted: Wanted
    active: bool
    status: Status
    attempts: int
    unknown_count: int
    token_key: str = ""
    deferred_since: str | None = None


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery that failed or waits for another attempt, with the server's answer."""

    edition_id: int
    email: str
    status: Status
    error: str
    updated_at: str
    next_attempt_at: str | None = None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th attempt was deferred: 5, 10, 20 … minutes,
    at most two hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a feed returned, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """An open newsletter database.  Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            _create_private(self.path)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            # One commit per delivery adds a few pages to the WAL each time; checkpoint (and
            # fsync) every ~16 MB rather than every 4 MB.
            self.db.execute("PRAGMA wal_autocheckpoint=4000")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StateError(f"cannot open database {self.path}: {exc}") from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken at once so that two writers never deadlock."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path} has schema {version}, this program knows {SCHEMA_VERSION}"
            )
        with self.transaction():
            # Read again inside the lock: another process may have been quicker.
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                self._script(_SCHEMA)
                self.db.execute(
                    "INSERT INTO meta VALUES ('install_id', ?)", (secrets.token_hex(4),)
                )
            if version < 2:
                self._script(_SCHEMA_2)
                self._migrate_topics()
            if version < 3:
                self._script(_SCHEMA_3)
            if version < 4:
                self._script(_SCHEMA_4)
                self._migrate_told()
            if version < 5:
                self._script(_SCHEMA_5)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _script(self, script: str) -> None:
        for statement in script.split(";"):
            if statement.strip():
                self.db.execute(statement)

    def _migrate_topics(self) -> None:
        """Old any-of topics become choices that send exactly what the old rule sent."""
        rows = self.db.execute("SELECT id, choices FROM subscribers").fetchall()
        for subscriber_id, topics in rows:
            choices = legacy_choices(topics.split(";"))
            self.db.execute(
                "UPDATE subscribers SET choices = ?, token_key = ?, confirmed_at = created_at"
                " WHERE id = ?",
                (dump_choices(choices), _token_key(), subscriber_id),
            )
            if topics:
                self._audit(subscriber_id, "migrated", "schema 2",
                            {"topics": topics, "choices": [c.describe() for c in choices]})

    def _migrate_told(self) -> None:
        """What was sent before version 3, as far as it can be known.

        A sent delivery carried the posts of its edition that the subscriber wanted; their
        topics then are not kept, so today's decide (the same unless they changed topics).
        """
        vocabulary = self.vocabulary()
        wants: dict[str, Wanted] = {}
        editions = self.db.execute(
            "SELECT DISTINCT edition_id FROM deliveries WHERE status = 'sent' ORDER BY edition_id"
        ).fetchall()
        for (edition_id,) in editions:
            entries = [
                Entry.from_json(json.loads(data)) for (data,) in self.db.execute(
                    "SELECT data FROM entries WHERE edition_id = ?", (edition_id,))
            ]
            rows = self.db.execute(
                "SELECT d.id, d.subscriber_id, s.choices FROM deliveries AS d"
                " JOIN subscribers AS s ON s.id = d.subscriber_id"
                " WHERE d.edition_id = ? AND d.status = 'sent'", (edition_id,)
            ).fetchall()
            for delivery_id, subscriber_id, choices in rows:
                if choices not in wants:
                    wants[choices] = wanted(choices, vocabulary)
                self.db.executemany(
                    "INSERT OR REPLACE INTO told VALUES (?, ?, ?, ?)",
                    ((subscriber_id, e.id, PostState.of(e).to_json(), delivery_id)
                     for e in entries if wants[choices](e)),
                )

    # Audit

    def _audit(self, subscriber_id: int | None, action: str, source: str,
               detail: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO audit (at, subscriber_id, action, source, detail) VALUES (?, ?, ?, ?, ?)",
            (_now(), subscriber_id, action, source,
             _json(detail or {})),
        )

    def audit_log(self, subscriber_id: int) -> list[dict[str, Any]]:
        """Every recorded change of one subscriber, oldest first."""
        return [
            {"at": row[0], "action": row[1], "source": row[2], "detail": json.loads(row[3])}
            for row in self.db.execute(
                "SELECT r.at, r.action, r.source, json_object('name', a.name, 'choices',"
                " json_extract(r.choices, '$[' || a.choice || ']')), 0 AS line"
                " FROM audit_added AS a JOIN audit_runs AS r ON r.id = a.run_id"
                " WHERE a.subscriber_id = ?1"
                " UNION ALL SELECT at, action, source, detail, id FROM audit"
                " WHERE subscriber_id = ?1 ORDER BY line", (subscriber_id,)
            )
        ]

    # The feed's vocabulary

    def vocabulary(self) -> Vocabulary | None:
        """The categories and audiences of the feed as last read, None before any."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'vocabulary'").fetchone()
        return Vocabulary.from_json(row[0]) if row else None

    def save_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Remember the feed's vocabulary for the CLI and the web form."""
        self.db.execute(
            "INSERT INTO meta VALUES ('vocabulary', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (vocabulary.to_json(),),
        )

    def feed_home(self) -> str | None:
        """The home page the feed named at the last successful fetch (for "more news" links)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'feed_home'").fetchone()
        return None if row is None else str(row[0])

    def save_feed_home(self, url: str) -> None:
        """Remember the feed's home page; call inside the transaction that records the feed."""
        self.db.execute(
            "INSERT INTO meta VALUES ('feed_home', ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value",
            (url,),
        )

    @property
    def install_id(self) -> str:
        """A random id of this database, so that message ids of two installations never collide."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
        return str(row[0])

    # Subscribers

    def upsert_subscriber(
        self, subscriber: Subscriber, *, reactivate: bool, source: str = "cli"
    ) -> str:
        """Add or update a subscriber; returns "added", "updated", "unchanged" or "unsubscribed".

        An import does not bring back someone who unsubscribed or paused (``reactivate=False``);
        adding them by hand does.  Staff adding someone is their consent: no confirmation.
        """
        (outcome,) = self.upsert_subscribers([subscriber], reactivate=reactivate, source=source)
        return outcome

    def upsert_subscribers(
        self, subscribers: Iterable[Subscriber], *, reactivate: bool, source: str
    ) -> Counter[str]:
        """:meth:`upsert_subscriber` for many (a file import); returns how often each outcome.

        A page of rows at a time: one SELECT for the page's addresses (none into an empty
        table) and one statement per kind of change, with one timestamp for the whole call;
        the "added" lines as one run and a short line each (see ``_SCHEMA_5``).  Ids are
        counted on from the highest ever given, inside one transaction (taken here unless the
        caller holds one).
        """
        if not self.db.in_transaction:
            # The whole import is one transaction: with SQLite's default cache of 2 MB its
            # pages (about 300 bytes a subscriber) spill to the WAL before the commit, and an
            # index page touched again is written again: 100,000 addresses in random order
            # wrote 174 MB instead of 62 MB.
            previous = self.db.execute("PRAGMA cache_size").fetchone()[0]
            self.db.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
            try:
                with self.transaction():
                    return self.upsert_subscribers(
                        subscribers, reactivate=reactivate, source=source)
            finally:
                self.db.execute(f"PRAGMA cache_size = {int(previous)}")
        counts: Counter[str] = Counter()
        now = _now()
        next_id = self._highest_id() + 1
        # Thousands of rows share a few choices: their JSON once each, and the description of
        # each JSON (for the audit) as one JSON object that SQLite looks them up in.  Looked
        # up by the tuple's identity first: read_csv gives the lines of one topic list one
        # tuple, and hashing it hashes each Choice in Python.
        dumped: dict[tuple[Choice, ...], str] = {}
        same: dict[int, tuple[tuple[Choice, ...], str]] = {}
        described: dict[str, list[str]] = {}
        described_json = ""
        described_texts: dict[str, str] = {}
        run_id: int | None = None  # of the "added" lines, see _SCHEMA_5
        # Into an empty table (a first import) only an address given twice can be found: the
        # lookup is skipped for a page whose addresses are all new to this call.
        fresh = self.db.execute("SELECT 1 FROM subscribers LIMIT 1").fetchone() is None
        # The call's time and source are the same on every added row: written into the
        # statement once, as SQLite quotes them, instead of bound three times a row (a third
        # of an import's binding).
        now_sql, source_sql = self.db.execute(
            "SELECT quote(?), quote(?)", (now, source)).fetchone()
        insert = ("INSERT INTO subscribers (id, email, email_key, name, choices, active,"
                  " created_at, confirmed_at, token_key, source)"
                  f" VALUES (?, ?, ?, ?, ?, 1, {now_sql}, {now_sql}, ?, {source_sql})")
        given: set[str] = set()
        page = iter(subscribers)
        while chunk := list(islice(page, PAGE_SIZE)):
            # A Subscriber's address is normalised (stripped): address_key without a call.
            keys = [s.email.lower() for s in chunk]
            found: dict[str, tuple[Any, ...]] = {}
            if not fresh or not given.isdisjoint(keys):
                found = {
                    row[0]: row[1:] for row in self._by_id(
                        "SELECT email_key, id, email, name, choices, active FROM subscribers"
                        " WHERE email_key IN ({marks})", dict.fromkeys(keys))
                }
            if fresh:
                given.update(keys)
            first_added = next_id
            added: list[tuple[Any, ...]] = []
            updated: list[tuple[Any, ...]] = []
            audit: list[tuple[Any, ...]] = []
            token_keys = iter(_token_keys(len(chunk)))
            for subscriber, key in zip(chunk, keys, strict=True):
                known = same.get(id(subscriber.choices))
                if known is None or known[0] is not subscriber.choices:
                    if subscriber.choices not in dumped:
                        text = dumped[subscriber.choices] = dump_choices(subscriber.choices)
                        described[text] = [c.describe() for c in subscriber.choices] or ["allt"]
                        described_json = ""
                    # Holds the tuple, so that its id names no other while it is here.
                    known = same[id(subscriber.choices)] = (
                        subscriber.choices, dumped[subscriber.choices])
                choices = known[1]
                row = found.get(key)
                if row is None:
                    subscriber_id, outcome = next_id, "added"
                    next_id += 1
                    added.append((subscriber_id, subscriber.email, key, subscriber.name,
                                  choices, next(token_keys)))
                elif not row[4] and not reactivate:
                    counts["unsubscribed"] += 1
                    continue
                elif tuple(row[1:5]) == (subscriber.email, subscriber.name, choices, 1):
                    counts["unchanged"] += 1
                    continue
                else:
                    subscriber_id, outcome = row[0], "updated"
                    updated.append((subscriber.email, subscriber.name, choices, now, row[0]))
                    audit.append((now, subscriber_id, source, subscriber.name, choices))
                # An address given twice is decided against what the first made of it.
                found[key] = (subscriber_id, subscriber.email, subscriber.name, choices, 1)
                counts[outcome] += 1
            if not described_json:
                # The stored choices texts met so far, in order: a line names its index.
                described_json = _json(list(described))
                described_texts = {k: _json(v) for k, v in described.items()}
            # Staff adding someone is their consent: active and confirmed at once.
            self.db.executemany(insert, added)
            if added:
                if run_id is None:
                    run_id = self._audit_run(now, "added", source)
                # The "added" lines from the rows just written (before this page's updates),
                # in one statement: binding each row's values a second time cost as much as
                # inserting them.
                # (json_each materialized once: joined directly it parses the JSON per row.)
                self.db.execute(
                    "INSERT INTO audit_added (subscriber_id, run_id, name, choice)"
                    " WITH d(key, value) AS MATERIALIZED (SELECT key, value FROM json_each(?2))"
                    " SELECT s.id, ?1, s.name, d.key FROM subscribers AS s"
                    " CROSS JOIN d ON d.value = s.choices WHERE s.id BETWEEN ?3 AND ?4",
                    (run_id, described_json, first_added, next_id - 1))
            self.db.executemany(
                "UPDATE subscribers SET email = ?, name = ?, choices = ?, active = 1,"
                " unsubscribed_at = NULL, paused_at = NULL, pending_since = NULL,"
                " confirmed_at = COALESCE(confirmed_at, ?) WHERE id = ?", updated)
            self.db.executemany(
                "INSERT INTO audit (at, subscriber_id, action, source, detail)"
                " VALUES (?, ?, 'updated', ?, json_object('name', ?, 'choices', json(?)))",
                [(at, i, src, name, described_texts[choices])
                 for at, i, src, name, choices in audit])
        if run_id is not None:
            self.db.execute("UPDATE audit_runs SET choices = ? WHERE id = ?",
                            (_json(list(described.values())), run_id))
        return counts

    def _audit_run(self, at: str, action: str, source: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO audit_runs (at, action, source) VALUES (?, ?, ?)", (at, action, source))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _highest_id(self) -> int:
        """The highest subscriber id ever given, also of one erased since."""
        row = self.db.execute(
            "SELECT max(COALESCE(max(id), 0), COALESCE((SELECT CAST(value AS INTEGER)"
            " FROM meta WHERE key = 'highest_id'), 0)) FROM subscribers"
        ).fetchone()
        return int(row[0])

    def _insert(self, email: str, key: str, name: str, choices: str, source: str) -> int:
        # Ids are never reused, not even the highest after a ``forget``: a signed link to a
        # forgotten subscriber must not name the next one.
        cursor = self.db.execute(
            "INSERT INTO subscribers (id, email, email_key, name, choices, active, created_at,"
            " token_key, source) VALUES ((SELECT max(COALESCE(max(s.id), 0),"
            " COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'highest_id'), 0))"
            " + 1 FROM subscribers AS s), ?, ?, ?, ?, 0, ?, ?, ?)",
            (email, key, name, choices, _now(), _token_key(), source),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def deactivate_subscriber(self, email: str, source: str = "cli") -> bool:
        """Unsubscribe an address; False if it was not subscribed."""
        found = self.subscriber(email)
        if found is None or found.state is State.UNSUBSCRIBED:
            return False
        return self.unsubscribe(found.id, source)

    def deactivate_subscriber_id(self, subscriber_id: int, source: str = "cli") -> str | None:
        """Unsubscribe by id (from a signed token); returns the address, or None if unknown."""
        found = self.subscriber_by_id(subscriber_id)
        if found is None:
            return None
        self.unsubscribe(subscriber_id, source)
        return found.email

    def unsubscribe(self, subscriber_id: int, source: str) -> bool:
        """Stop all digests (also a pending or paused subscription); False if already done.

        One statement, so that any number of one-click requests at once are each recorded
        once and never lost.
        """
        return self._change(
            "UPDATE subscribers SET active = 0, unsubscribed_at = ?, paused_at = NULL,"
            " pending_since = NULL WHERE id = ? AND unsubscribed_at IS NULL",
            (_now(), subscriber_id), subscriber_id, "unsubscribed", source,
        )

    def _change(self, sql: str, params: tuple[Any, ...], subscriber_id: int, action: str,
                source: str) -> bool:
        """One guarded UPDATE of a subscriber, audited if it changed anything."""
        cursor = self.db.execute(sql, params)
        if cursor.rowcount:
            self._audit(subscriber_id, action, source)
        return cursor.rowcount > 0

    def request_subscription(
        self, email: str, name: str, choices: tuple[Choice, ...], source: str
    ) -> StoredSubscriber:
        """Someone asks to subscribe (web form): pending until the confirmation link is followed.

        A subscriber who is already active or paused is not changed: whoever filled in the form
        may not own the address.  Returns the subscriber as it now stands.
        """
        key = address_key(email)
        found = self.subscriber(email)
        if found is None:
            subscriber_id = self._insert(email, key, name, dump_choices(choices), source)
            self.db.execute(
                "UPDATE subscribers SET pending_since = ? WHERE id = ?", (_now(), subscriber_id)
            )
            self._audit(subscriber_id, "requested", source,
                        {"choices": [c.describe() for c in choices] or ["allt"]})
        elif found.state in (State.PENDING, State.UNSUBSCRIBED):
            self.db.execute(
                "UPDATE subscribers SET name = ?, choices = ?, pending_since = ?,"
                " unsubscribed_at = NULL WHERE id = ?",
                (name, dump_choices(choices), _now(), found.id),
            )
            self._audit(found.id, "requested", source,
                        {"choices": [c.describe() for c in choices] or ["allt"]})
        result = self.subscriber(email)
        assert result is not None
        return result

    def purge_unconfirmed(self, older_than: datetime) -> int:
        """Erase requests never confirmed since ``older_than``: without consent, keep nothing.

        Someone who was subscribed before and asked again keeps their old (unsubscribed) row.
        """
        rows = self.db.execute(
            "SELECT id FROM subscribers WHERE pending_since < ? AND confirmed_at IS NULL",
            (older_than.astimezone(UTC).isoformat(timespec="seconds"),),
        ).fetchall()
        for (subscriber_id,) in rows:
            self.db.execute("DELETE FROM audit WHERE subscriber_id = ?", (subscriber_id,))
            self.db.execute("DELETE FROM audit_added WHERE subscriber_id = ?", (subscriber_id,))
            self.db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))
            self._note_highest_id(subscriber_id)
            self._audit(subscriber_id, "unconfirmed request erased", "expiry")
        return len(rows)

    def _note_highest_id(self, subscriber_id: int) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES ('highest_id', ?) ON CONFLICT (key) DO UPDATE"
            " SET value = max(CAST(value AS INTEGER), excluded.value)",
            (subscriber_id,),
        )

    def confirm(self, subscriber_id: int, source: str) -> bool:
        """A pending subscription becomes active; False if it was not pending."""
        return self._change(
            "UPDATE subscribers SET active = 1, pending_since = NULL, confirmed_at = ?"
            " WHERE id = ? AND pending_since IS NOT NULL",
            (_now(), subscriber_id), subscriber_id, "confirmed", source,
        )

    def set_choices(self, subscriber_id: int, choices: tuple[Choice, ...], source: str) -> None:
        """Replace what a subscriber gets."""
        self.db.execute(
            "UPDATE subscribers SET choices = ? WHERE id = ?",
            (dump_choices(choices), subscriber_id),
        )
        self._audit(subscriber_id, "changed topics", source,
                    {"choices": [c.describe() for c in choices] or ["allt"]})

    def pause(self, subscriber_id: int, source: str) -> bool:
        """No digests until resumed; False unless the subscriber was active."""
        return self._change(
            "UPDATE subscribers SET active = 0, paused_at = ? WHERE id = ? AND active = 1",
            (_now(), subscriber_id), subscriber_id, "paused", source,
        )

    def resume(self, subscriber_id: int, source: str) -> bool:
        """Digests again after a pause; False unless the subscriber was paused."""
        return self._change(
            "UPDATE subscribers SET active = 1, paused_at = NULL"
            " WHERE id = ? AND paused_at IS NOT NULL",
            (subscriber_id,), subscriber_id, "resumed", source,
        )

    def reactivate(self, subscriber_id: int, source: str) -> bool:
        """Someone who left comes back through their own signed link: active at once."""
        return self._change(
            "UPDATE subscribers SET active = 1, unsubscribed_at = NULL, paused_at = NULL,"
            " pending_since = NULL, confirmed_at = COALESCE(confirmed_at, ?)"
            " WHERE id = ? AND active = 0",
            (_now(), subscriber_id), subscriber_id, "subscribed again", source,
        )

    def subscribers(self, *, active_only: bool = True) -> Iterator[StoredSubscriber]:
        """Subscribers ordered by address, streamed."""
        where = "WHERE active = 1" if active_only else ""
        for row in self.db.execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers {where} ORDER BY email_key"
        ):
            yield _subscriber(row)

    def subscriber(self, email: str) -> StoredSubscriber | None:
        """One subscriber by address (active or not)."""
        row = self.db.execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE email_key = ?",
            (address_key(email),),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def subscriber_by_id(self, subscriber_id: int) -> StoredSubscriber | None:
        """One subscriber by id (active or not)."""
        row = self.db.execute(
            f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        return None if row is None else _subscriber(row)

    def export(self, email: str) -> dict[str, Any] | None:
        """Everything held about an address and why (GDPR access request), None if nothing."""
        row = self.db.execute(
            "SELECT id, email, name, choices, active, pending_since, paused_at, unsubscribed_at,"
            " confirmed_at, created_at, source FROM subscribers WHERE email_key = ?",
            (address_key(email),),
        ).fetchone()
        if row is None:
            return None
        found = self.subscriber_by_id(row[0])
        assert found is not None
        deliveries = [
            {"edition": r[0], "status": r[1], "attempts": r[2], "last_error": r[3],
             "updated_at": r[4], "sent_at": r[5]}
            for r in self.db.execute(
                "SELECT edition_id, status, attempts, last_error, updated_at, sent_at"
                " FROM deliveries WHERE subscriber_id = ? ORDER BY id", (row[0],)
            )
        ]
        return {
            "purpose": "Utskick av nyhetsbrevet Nytt från IT till den som prenumererar.",
            "subscriber": {
                "id": row[0], "email": row[1], "name": row[2], "state": found.state.value,
                "choices": [
                    {"categories": c.categories, "audiences": c.audiences,
                     "description": c.describe()}
                    for c in found.choices
                ],
                "created_at": row[9], "source": row[10], "confirmed_at": row[8],
                "pending_since": row[5], "paused_at": row[6], "unsubscribed_at": row[7],
            },
            "deliveries": deliveries,
            "audit": self.audit_log(row[0]),
        }

    def forget(self, email: str, source: str = "cli") -> bool:
        """Erase an address and everything about it (GDPR erasure); False if unknown.

        Deleted content is overwritten in the file and the WAL is emptied, so that not even
        free pages keep the address.  Only an audit line without the address remains.
        """
        found = self.subscriber(email)
        if found is None:
            return False
        self.db.execute("PRAGMA secure_delete = ON")
        try:
            with self.transaction():
                self.db.execute("DELETE FROM told WHERE subscriber_id = ?", (found.id,))
                self.db.execute("DELETE FROM deliveries WHERE subscriber_id = ?", (found.id,))
                self.db.execute("DELETE FROM audit WHERE subscriber_id = ?", (found.id,))
                self.db.execute("DELETE FROM audit_added WHERE subscriber_id = ?", (found.id,))
                self.db.execute("DELETE FROM subscribers WHERE id = ?", (found.id,))
                self._note_highest_id(found.id)
                self._audit(found.id, "forgotten", source)
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.execute("PRAGMA secure_delete = OFF")
        return True

    # Feeds and entries

    def validators(self, source: str) -> Validators:
        """ETag and Last-Modified from the last successful fetch of ``source``."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM feeds WHERE source = ?", (source,)
        ).fetchone()
        return Validators(*row) if row else Validators()

    def save_validators(self, source: str, validators: Validators) -> None:
        """Remember ETag and Last-Modified; call inside the transaction that records the entries."""
        self.db.execute(
            "INSERT INTO feeds (source, etag, last_modified, checked_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source) DO UPDATE SET etag = excluded.etag,"
            " last_modified = excluded.last_modified, checked_at = excluded.checked_at",
            (source, validators.etag, validators.last_modified, _now()),
        )

    def has_seen_anything(self) -> bool:
        """False before the first successful run."""
        return self.db.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is not None

    def seen_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of these entry ids are already known."""
        wanted = list(ids)
        seen: set[str] = set()
        for start in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[start : start + PAGE_SIZE]
            marks = ",".join("?" * len(chunk))
            seen.update(
                row[0]
                for row in self.db.execute(f"SELECT id FROM entries WHERE id IN ({marks})", chunk)
            )
        return seen

    def mark_seen(self, entries: Iterable[Entry], edition_id: int | None) -> None:
        """Record entries as seen, as part of an edition or (``None``) as too old to send."""
        now = _now()
        self.db.executemany(
            "INSERT OR IGNORE INTO entries (id, first_seen, edition_id, published, data)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                (e.id, now, edition_id, e.published.isoformat(),
                 json.dumps(e.to_json(), ensure_ascii=False))
                for e in entries
            ),
        )

    def _by_id(
        self, sql: str, ids: Iterable[str], params: tuple[Any, ...] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (``{marks}`` in its IN list, after ``params``) for ids, by pages."""
        wanted_ids = list(ids)
        for start in range(0, len(wanted_ids), PAGE_SIZE):
            chunk = wanted_ids[start : start + PAGE_SIZE]
            yield from self.db.execute(
                sql.format(marks=",".join("?" * len(chunk))), (*params, *chunk)
            )

    def known_entries(self, ids: Iterable[str]) -> dict[str, Entry]:
        """Each of these posts as last read from the feed, if it was seen before."""
        return {
            entry_id: Entry.from_json(json.loads(data))
            for entry_id, data in self._by_id(
                "SELECT id, data FROM entries WHERE id IN ({marks})", ids)
        }

    def save_listed(self, source: str, ids: Iterable[str]) -> None:
        """Remember which posts the feed listed, for the runs its server answers 304."""
        self.db.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"listed {source}", json.dumps(list(ids), ensure_ascii=False)),
        )

    def listed_entries(self, source: str) -> list[Entry]:
        """The posts the feed listed when it was last read, as they were then."""
        row = self.db.execute(
            "SELECT value FROM meta WHERE key = ?", (f"listed {source}",)
        ).fetchone()
        if row is None:
            return []
        ids = json.loads(row[0])
        known = self.known_entries(ids)
        return [known[i] for i in ids if i in known]

    def given_notices(self, ids: Iterable[str]) -> set[tuple[str, Kind, str]]:
        """The notices already recorded for these posts, as (entry id, kind, key)."""
        return {
            (entry_id, Kind(kind), key)
            for entry_id, kind, key in self._by_id(
                "SELECT entry_id, kind, key FROM notices WHERE entry_id IN ({marks})", ids)
        }

    def update_entries(self, entries: Iterable[Entry]) -> None:
        """Keep these posts as the feed shows them now (a digest still to send shows this)."""
        self.db.executemany(
            "UPDATE entries SET data = ? WHERE id = ?",
            ((json.dumps(e.to_json(), ensure_ascii=False), e.id) for e in entries),
        )

    def add_notices(self, edition_id: int, notices: Iterable[Notice]) -> None:
        """Record reminders, "soon" and changes as carried by an edition; inside a transaction."""
        self.db.executemany(
            "INSERT INTO notices (edition_id, entry_id, kind, key) VALUES (?, ?, ?, ?)",
            ((edition_id, n.entry_id, n.kind.value, n.key) for n in notices),
        )

    def told_states(self, subscriber_id: int, ids: Iterable[str]) -> dict[str, PostState]:
        """What this subscriber was last sent of each of these posts (absent: never sent)."""
        return {
            entry_id: PostState.from_json(state)
            for entry_id, state in self._by_id(
                "SELECT entry_id, state FROM told WHERE subscriber_id = ?"
                " AND entry_id IN ({marks})", ids, (subscriber_id,))
        }

    def record_told(self, delivery: Delivery, entries: Iterable[Entry]) -> None:
        """Remember the state of each post a sent delivery carried.

        Call in the transaction that marks the delivery sent, so that both or neither are kept.
        """
        self.db.executemany(
            "INSERT INTO told (subscriber_id, entry_id, state, delivery_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (subscriber_id, entry_id) DO UPDATE"
            " SET state = excluded.state, delivery_id = excluded.delivery_id",
            ((delivery.subscriber_id, e.id, _told_state(e), delivery.id) for e in entries),
        )

    # Editions and deliveries

    def create_edition(self, source: str, created_at: datetime) -> int:
        """A new edition; call inside a transaction."""
        cursor = self.db.execute(
            "INSERT INTO editions (created_at, source) VALUES (?, ?)",
            (created_at.isoformat(), source),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def plan_deliveries(
        self,
        edition_id: int,
        entries: list[Entry],
        notices: Iterable[Notice] = (),
        current: Mapping[str, Entry] | None = None,
    ) -> int:
        """One pending delivery per active subscriber with something in the edition for them.

        That is a post they want among the new ``entries`` or the reminders and "soon" notices,
        or a changed post they want and were sent in another state.  ``current`` holds each
        noticed post as the feed shows it now.  Subscribers are streamed from the database,
        never all held in memory.
        """
        current = current or {}
        everyone: list[Entry] = list(entries)
        changed: dict[str, Entry] = {}
        for notice in notices:
            entry = current.get(notice.entry_id)
            if entry is None:
                continue
            if notice.kind is Kind.CHANGED:
                changed[entry.id] = entry
            else:
                everyone.append(entry)
        # Who was sent a changed post in another state; few, however many subscribers there are.
        got: dict[int, list[Entry]] = {}
        for subscriber_id, entry_id, state in self._by_id(
            "SELECT subscriber_id, entry_id, state FROM told WHERE entry_id IN ({marks})", changed
        ):
            entry = changed[entry_id]
            if PostState.from_json(state) != PostState.of(entry):
                got.setdefault(subscriber_id, []).append(entry)
        decided: dict[str, bool] = {}  # choices are few however many subscribers hold them
        wants: dict[str, Wanted] = {}
        vocabulary = self.vocabulary()

        def planned() -> Iterator[tuple[int, int, str]]:
            now = _now()
            rows = self.db.execute("SELECT id, choices FROM subscribers WHERE active = 1")
            for subscriber_id, choices in rows:
                if choices not in decided:
                    wants[choices] = want = wanted(choices, vocabulary)
                    decided[choices] = any(want(e) for e in everyone)
                if decided[choices] or any(
                    wants[choices](e) for e in got.get(subscriber_id, ())
                ):
                    yield edition_id, subscriber_id, now

        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO deliveries (edition_id, subscriber_id, updated_at)"
            " VALUES (?, ?, ?)",
            planned(),
        )
        return self.db.total_changes - before

    def edition(self, edition_id: int) -> Edition:
        """An edition with its entries, oldest first."""
        row = self.db.execute(
            "SELECT created_at FROM editions WHERE id = ?", (edition_id,)
        ).fetchone()
        if row is None:
            raise StateError(f"edition {edition_id} does not exist")
        entries = tuple(
            Entry.from_json(json.loads(data))
            for (data,) in self.db.execute(
                "SELECT data FROM entries WHERE edition_id = ? ORDER BY published, id",
                (edition_id,),
            )
        )
        notices = tuple(
            Notice(entry_id, Kind(kind), key)
            for entry_id, kind, key in self.db.execute(
                "SELECT entry_id, kind, key FROM notices WHERE edition_id = ? ORDER BY id",
                (edition_id,),
            )
        )
        noticed = tuple(
            Entry.from_json(json.loads(data))
            for (data,) in self._by_id(
                "SELECT data FROM entries WHERE id IN ({marks}) ORDER BY id",
                dict.fromkeys(n.entry_id for n in notices),
            )
        )
        return Edition(edition_id, datetime.fromisoformat(row[0]), entries, notices, noticed)

    def count_open(self, now: datetime | None = None) -> int:
        """Deliveries that a delivery pass at ``now`` will try."""
        row = self.db.execute(
            f"SELECT count(*) FROM deliveries WHERE status IN {_OPEN}"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            (_iso(now),),
        )
        return int(row.fetchone()[0])

    def open_deliveries(self, now: datetime | None = None) -> Iterator[Delivery]:
        """Pending deliveries, and deferred and unknown ones that are due, in id order.

        Read a page at a time; paging by id means that a delivery deferred during this pass is
        not tried again in it.  A deferred delivery whose subscriber has left is returned at
        once, to be cancelled.
        """
        last = 0
        at = _iso(now)
        vocabulary = self.vocabulary()
        while True:
            rows = self.db.execute(
                "SELECT d.id, d.edition_id, d.subscriber_id, s.email, s.name, s.choices, s.active,"
                " d.status, d.attempts, d.unknown_count, s.token_key, d.deferred_since"
                " FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id"
                f" WHERE d.status IN {_OPEN} AND d.id > ?"
                " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ? OR s.active = 0)"
                " ORDER BY d.id LIMIT ?",
                (last, at, PAGE_SIZE),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Delivery(
                    id=row[0], edition_id=row[1], subscriber_id=row[2], email=row[3],
                    name=row[4], wanted=wanted(row[5], vocabulary), active=bool(row[6]),
                    status=Status(row[7]), attempts=row[8], unknown_count=row[9],
                    token_key=row[10], deferred_since=row[11],
                )
            last = rows[-1][0]

    def mark(
        self,
        delivery: Delivery,
        status: Status,
        error: str = "",
        *,
        retry_period: timedelta = DEFAULT_RETRY_PERIOD,
        now: datetime | None = None,
    ) -> Status:
        """Record the outcome of one attempt, committed at once; returns the status recorded.

        A deferred delivery is tried again after :func:`retry_delay`, until ``retry_period``
        after its first deferral; then it fails.  A second "unknown" fails at once (the mail
        may have arrived: one more try is the most that is fair to the reader).
        """
        moment = now or datetime.now(UTC)
        attempts = delivery.attempts + 1
        unknown_count = delivery.unknown_count
        next_attempt: datetime | None = None
        deferred_since = delivery.deferred_since
        if status is Status.UNKNOWN:
            unknown_count += 1
            if unknown_count > 1:
                status, error = Status.FAILED, f"outcome unknown twice; last: {error}"
        elif status is Status.DEFERRED:
            deferred_since = deferred_since or _iso(moment)
            waited = moment - datetime.fromisoformat(deferred_since)
            next_attempt = moment + retry_delay(attempts)
            if next_attempt - datetime.fromisoformat(deferred_since) > retry_period:
                status = Status.FAILED
                error = (f"gave up: deferred for {_duration(waited)}, {attempts} attempts;"
                         f" last: {error}")
                next_attempt = None
        at = _iso(moment)
        self.db.execute(
            "UPDATE deliveries SET status = ?, attempts = ?, unknown_count = ?, last_error = ?,"
            " updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,"
            " next_attempt_at = ?, deferred_since = ?"
            " WHERE id = ?",
            (status.value, attempts, unknown_count, error or None, at, status.value, at,
             _iso(next_attempt) if next_attempt else None, deferred_since, delivery.id),
        )
        return status

    def requeue_failed(self, *, edition_id: int | None = None, email: str | None = None) -> int:
        """Send failed deliveries again at the next run (all, one edition's or one address's).

        They start afresh: a new retry period, one more try after an unknown outcome.
        """
        where = ["status = 'failed'"]
        params: list[Any] = []
        if edition_id is not None:
            where.append("edition_id = ?")
            params.append(edition_id)
        if email is not None:
            where.append("subscriber_id IN (SELECT id FROM subscribers WHERE email_key = ?)")
            params.append(address_key(email))
        cursor = self.db.execute(
            "UPDATE deliveries SET status = 'pending', attempts = 0, unknown_count = 0,"
            " next_attempt_at = NULL, deferred_since = NULL, updated_at = ?"
            f" WHERE {' AND '.join(where)}",
            (_now(), *params),
        )
        return cursor.rowcount

    def sent_since(self, when: datetime) -> int:
        """Deliveries sent at or after ``when`` (a sending budget counts them)."""
        row = self.db.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'sent' AND sent_at >= ?",
            (when.astimezone(UTC).isoformat(timespec="seconds"),),
        ).fetchone()
        return int(row[0])

    def failures(self, statuses: Iterable[Status] = (Status.FAILED,)) -> Iterator[FailedDelivery]:
        """Deliveries in the given states, newest first, with the last error."""
        wanted = [s.value for s in statuses]
        marks = ",".join("?" * len(wanted))
        for row in self.db.execute(
            "SELECT d.edition_id, s.email, d.status, COALESCE(d.last_error, ''), d.updated_at,"
            " d.next_attempt_at"
            " FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id"
            f" WHERE d.status IN ({marks}) ORDER BY d.updated_at DESC, d.id DESC",
            wanted,
        ):
            yield FailedDelivery(row[0], row[1], Status(row[2]), row[3], row[4], row[5])

    def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each state."""
        return dict(
            self.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
        )


def _token_key() -> str:
    return secrets.token_urlsafe(6)


def _token_keys(count: int) -> list[str]:
    """``count`` keys as :func:`_token_key` makes them, from one call for random bytes.

    Six bytes are exactly eight base64 characters, so the slices are whole keys.
    """
    text = base64.urlsafe_b64encode(secrets.token_bytes(6 * count)).decode("ascii")
    return [text[i : i + 8] for i in range(0, len(text), 8)]


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it.

    SQLite gives the -wal and -shm files the mode of the database file.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process was quicker
        return
    os.close(fd)
