"""The newsletter's state in SQLite: subscribers, seen entries, editions and deliveries.

The connection runs in autocommit mode; every change is either one statement or an explicit
``BEGIN IMMEDIATE`` transaction (:meth:`Store.transaction`), so a delivery is committed as sent the
moment its own UPDATE returns.  WAL with ``synchronous=NORMAL`` survives a killed process
(the case this program must handle); only a power cut can lose the last commits, which would
resend those few digests rather than lose any.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from newsletter.errors import StateError
from newsletter.feed import Entry
from newsletter.subscribers import Subscriber, address_key, matches, topic_keys

SCHEMA_VERSION = 1
PAGE_SIZE = 500
MAX_DEFERRALS = 10

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
_OPEN = "('pending', 'deferred', 'unknown')"


class Status(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    SENT = "sent"
    DEFERRED = "deferred"  # 4xx or a dropped connection before the data: next run tries again
    UNKNOWN = "unknown"  # connection lost after the data: next run tries once more
    FAILED = "failed"  # 5xx, or given up: listed by ``newsletter failures``
    CANCELLED = "cancelled"  # the subscriber left, or no longer wants any of the posts


@dataclass(frozen=True)
class StoredSubscriber:
    """A subscriber row."""

    id: int
    email: str
    name: str
    topics: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class Edition:
    """The posts that were new in one run, in the order the digest lists them."""

    id: int
    created_at: datetime
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Delivery:
    """One digest of one edition for one subscriber, still to be sent."""

    id: int
    edition_id: int
    subscriber_id: int
    email: str
    name: str
    topic_keys: frozenset[str]
    active: bool
    status: Status
    attempts: int
    unknown_count: int


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery that will not be retried, with the server's answer."""

    edition_id: int
    email: str
    status: Status
    error: str
    updated_at: str


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a feed returned, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


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
        if version != 0:
            raise StateError(
                f"{self.path} has schema {version}, this program knows {SCHEMA_VERSION}"
            )
        with self.transaction():
            if self.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # another process was quicker
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(
                "INSERT INTO meta VALUES ('install_id', ?)", (secrets.token_hex(4),)
            )
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def install_id(self) -> str:
        """A random id of this database, so that message ids of two installations never collide."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
        return str(row[0])

    # Subscribers

    def upsert_subscriber(self, subscriber: Subscriber, *, reactivate: bool) -> str:
        """Add or update a subscriber; returns "added", "updated", "unchanged" or "unsubscribed".

        An import does not bring back someone who unsubscribed (``reactivate=False``);
        adding them by hand does.
        """
        key = address_key(subscriber.email)
        topics = ";".join(subscriber.topics)
        row = self.db.execute(
            "SELECT id, email, name, topics, active FROM subscribers WHERE email_key = ?", (key,)
        ).fetchone()
        if row is None:
            self.db.execute(
                "INSERT INTO subscribers (email, email_key, name, topics, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (subscriber.email, key, subscriber.name, topics, _now()),
            )
            return "added"
        if not row[4] and not reactivate:
            return "unsubscribed"
        if tuple(row[1:5]) == (subscriber.email, subscriber.name, topics, 1):
            return "unchanged"
        self.db.execute(
            "UPDATE subscribers SET email = ?, name = ?, topics = ?, active = 1,"
            " unsubscribed_at = NULL WHERE id = ?",
            (subscriber.email, subscriber.name, topics, row[0]),
        )
        return "updated"

    def deactivate_subscriber(self, email: str) -> bool:
        """Unsubscribe an address; False if it was not subscribed."""
        cursor = self.db.execute(
            "UPDATE subscribers SET active = 0, unsubscribed_at = ?"
            " WHERE email_key = ? AND active = 1",
            (_now(), address_key(email)),
        )
        return cursor.rowcount > 0

    def deactivate_subscriber_id(self, subscriber_id: int) -> str | None:
        """Unsubscribe by id (from a signed token); returns the address, or None if unknown."""
        row = self.db.execute(
            "SELECT email FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        if row is None:
            return None
        self.db.execute(
            "UPDATE subscribers SET active = 0, unsubscribed_at = COALESCE(unsubscribed_at, ?)"
            " WHERE id = ?",
            (_now(), subscriber_id),
        )
        return str(row[0])

    def subscribers(self, *, active_only: bool = True) -> Iterator[StoredSubscriber]:
        """Subscribers ordered by address, streamed."""
        where = "WHERE active = 1" if active_only else ""
        for row in self.db.execute(
            f"SELECT id, email, name, topics, active FROM subscribers {where} ORDER BY email_key"
        ):
            yield StoredSubscriber(
                row[0], row[1], row[2], tuple(t for t in row[3].split(";") if t), bool(row[4])
            )

    def subscriber(self, email: str) -> StoredSubscriber | None:
        """One subscriber by address (active or not)."""
        row = self.db.execute(
            "SELECT id, email, name, topics, active FROM subscribers WHERE email_key = ?",
            (address_key(email),),
        ).fetchone()
        if row is None:
            return None
        return StoredSubscriber(
            row[0], row[1], row[2], tuple(t for t in row[3].split(";") if t), bool(row[4])
        )

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

    # Editions and deliveries

    def create_edition(self, source: str, created_at: datetime) -> int:
        """A new edition; call inside a transaction."""
        cursor = self.db.execute(
            "INSERT INTO editions (created_at, source) VALUES (?, ?)",
            (created_at.isoformat(), source),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def plan_deliveries(self, edition_id: int, entries: list[Entry]) -> int:
        """One pending delivery per active subscriber who wants at least one of the entries.

        Subscribers are streamed from the database, never all held in memory.
        """
        def wanted() -> Iterator[tuple[int, int, str]]:
            now = _now()
            rows = self.db.execute("SELECT id, topics FROM subscribers WHERE active = 1")
            for subscriber_id, topics in rows:
                keys = topic_keys(topics)
                if any(matches(keys, e) for e in entries):
                    yield edition_id, subscriber_id, now

        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO deliveries (edition_id, subscriber_id, updated_at)"
            " VALUES (?, ?, ?)",
            wanted(),
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
        return Edition(edition_id, datetime.fromisoformat(row[0]), entries)

    def count_open(self) -> int:
        """Deliveries that the next delivery pass will try."""
        row = self.db.execute(f"SELECT count(*) FROM deliveries WHERE status IN {_OPEN}")
        return int(row.fetchone()[0])

    def open_deliveries(self) -> Iterator[Delivery]:
        """Pending, deferred and unknown deliveries in id order, a page at a time.

        Paging by id means that a delivery deferred during this pass is not tried again in it.
        """
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT d.id, d.edition_id, d.subscriber_id, s.email, s.name, s.topics, s.active,"
                " d.status, d.attempts, d.unknown_count"
                " FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id"
                f" WHERE d.status IN {_OPEN} AND d.id > ? ORDER BY d.id LIMIT ?",
                (last, PAGE_SIZE),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield Delivery(
                    id=row[0], edition_id=row[1], subscriber_id=row[2], email=row[3],
                    name=row[4], topic_keys=topic_keys(row[5]), active=bool(row[6]),
                    status=Status(row[7]), attempts=row[8], unknown_count=row[9],
                )
            last = rows[-1][0]

    def mark(self, delivery: Delivery, status: Status, error: str = "") -> Status:
        """Record the outcome of one attempt, committed at once; returns the status recorded.

        A second "unknown" becomes "failed" (it was retried once), and so does a delivery
        deferred :data:`MAX_DEFERRALS` times.
        """
        attempts = delivery.attempts + 1
        unknown_count = delivery.unknown_count
        if status is Status.UNKNOWN:
            unknown_count += 1
            if unknown_count > 1:
                status, error = Status.FAILED, f"outcome unknown twice; last: {error}"
        elif status is Status.DEFERRED and attempts >= MAX_DEFERRALS:
            status, error = Status.FAILED, f"deferred {attempts} times; last: {error}"
        now = _now()
        self.db.execute(
            "UPDATE deliveries SET status = ?, attempts = ?, unknown_count = ?, last_error = ?,"
            " updated_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
            " WHERE id = ?",
            (status.value, attempts, unknown_count, error or None, now, status.value, now,
             delivery.id),
        )
        return status

    def failures(self, statuses: Iterable[Status] = (Status.FAILED,)) -> Iterator[FailedDelivery]:
        """Deliveries in the given states, newest first, with the last error."""
        wanted = [s.value for s in statuses]
        marks = ",".join("?" * len(wanted))
        for row in self.db.execute(
            "SELECT d.edition_id, s.email, d.status, COALESCE(d.last_error, ''), d.updated_at"
            " FROM deliveries AS d JOIN subscribers AS s ON s.id = d.subscriber_id"
            f" WHERE d.status IN ({marks}) ORDER BY d.updated_at DESC, d.id DESC",
            wanted,
        ):
            yield FailedDelivery(row[0], row[1], Status(row[2]), row[3], row[4])

    def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each state."""
        return dict(
            self.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
        )


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
