"""Posting each new post once to a Teams channel through a Workflows webhook.

The webhook URL carries its own key (``sig=``), so it is never written anywhere: the database
and every message name the webhook by a hash of its URL.  What was posted is recorded in the
newsletter's database, per webhook and post, the moment the answer is known, under the same
rules as mail: 2xx posted; 429, 5xx and a connection that never opened deferred (the next run
tries again); a connection lost after the request unknown (tried once more); other 4xx failed.
A webhook that no longer exists or refuses its key (401, 403, 404) stops the run: every post
would meet it, so they all wait for the next run instead of failing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from newsletter.channels.cards import webhook_payload
from newsletter.errors import ConfigError, TransportError
from newsletter.feed import Entry
from newsletter.store import DEFAULT_RETRY_PERIOD, Status, Store, retry_delay
from newsletter.topics import Wanted
from newsletter.transports.base import Outcome, Result
from newsletter.transports.http import never_connected, reason

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0

# Created on first use rather than by the store's migrations: Teams is optional, and the table
# is this module's alone.
_TABLE = """
CREATE TABLE IF NOT EXISTS teams_posts (
    webhook TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    unknown_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    published TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    posted_at TEXT,
    next_attempt_at TEXT,
    deferred_since TEXT,
    PRIMARY KEY (webhook, entry_id)
)
"""
SKIPPED = "skipped"  # older than the first run's window, or not for this channel
_OPEN = (Status.PENDING.value, Status.DEFERRED.value, Status.UNKNOWN.value)


@dataclass(frozen=True)
class TeamsSettings:
    """``TEAMS_WEBHOOK_URL``, checked; it is never shown, since it holds the webhook's key."""

    url: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TeamsSettings:
        """Read and check the webhook URL."""
        url = env.get("TEAMS_WEBHOOK_URL", "").strip()
        if not url:
            raise ConfigError("TEAMS_WEBHOOK_URL is not set: the URL of the channel's Workflows "
                              "webhook (\"When a Teams webhook request is received\")")
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
            # The value is not repeated: it may hold the webhook's key.
            raise ConfigError("TEAMS_WEBHOOK_URL is not valid: an https:// address without "
                              "spaces, as Teams shows it when the workflow is made")
        return cls(url)


def webhook_key(url: str) -> str:
    """A name for a webhook that does not reveal its URL (which holds its key)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TeamsPost:
    """One post waiting for (or retried on) one webhook."""

    entry: Entry
    status: Status
    attempts: int
    unknown_count: int
    deferred_since: str | None = None


@dataclass
class TeamsTally:
    """What one ``teams`` run did."""

    new: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    unknown: int = 0


class TeamsRecords:
    """The ``teams_posts`` table of one webhook in the newsletter's database."""

    def __init__(self, store: Store, webhook: str) -> None:
        self.store = store
        self.db = store.db
        self.webhook = webhook
        self.db.execute(_TABLE)

    def has_any(self) -> bool:
        """False before this webhook's first successful run."""
        return self.db.execute("SELECT 1 FROM teams_posts WHERE webhook = ? LIMIT 1",
                               (self.webhook,)).fetchone() is not None

    def known(self, ids: Iterable[str]) -> set[str]:
        """Which of these post ids were recorded for this webhook (posted or not)."""
        wanted = list(ids)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.execute(
                f"SELECT entry_id FROM teams_posts WHERE webhook = ? AND entry_id IN ({marks})",
                (self.webhook, *chunk)))
        return found

    def add(self, entries: Iterable[Entry], status: str) -> None:
        """Record posts as pending (to post) or skipped; call inside a transaction."""
        now = _now()
        self.db.executemany(
            "INSERT OR IGNORE INTO teams_posts (webhook, entry_id, status, published, data,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((self.webhook, e.id, status, e.published.isoformat(),
              json.dumps(e.to_json(), ensure_ascii=False), now, now) for e in entries),
        )

    def open_posts(self, now: datetime | None = None) -> Iterator[TeamsPost]:
        """Posts to post on this webhook now (pending, or deferred and due), oldest first."""
        marks = ",".join("?" * len(_OPEN))
        at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        rows = self.db.execute(
            "SELECT data, status, attempts, unknown_count, deferred_since FROM teams_posts"
            f" WHERE webhook = ? AND status IN ({marks})"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            " ORDER BY published, entry_id",
            (self.webhook, *_OPEN, at),
        ).fetchall()
        for data, status, attempts, unknown_count, deferred_since in rows:
            yield TeamsPost(Entry.from_json(json.loads(data)), Status(status), attempts,
                            unknown_count, deferred_since)

    def mark(self, post: TeamsPost, result: Result, *,
             retry_period: timedelta = DEFAULT_RETRY_PERIOD,
             now: datetime | None = None) -> Status:
        """Record one attempt's outcome at once, by the rules of a delivery: a deferred post
        is tried again after :func:`~newsletter.store.retry_delay` until ``retry_period`` after
        its first deferral; a second "unknown" fails."""
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        status = Status(result.outcome.value)
        error = "" if status is Status.SENT else result.detail
        attempts = post.attempts + 1
        unknown_count = post.unknown_count
        deferred_since = post.deferred_since
        next_attempt: datetime | None = None
        if status is Status.UNKNOWN:
            unknown_count += 1
            if unknown_count > 1:
                status, error = Status.FAILED, f"outcome unknown twice; last: {error}"
        elif status is Status.DEFERRED:
            deferred_since = deferred_since or moment.isoformat(timespec="seconds")
            next_attempt = moment + retry_delay(attempts)
            if next_attempt - datetime.fromisoformat(deferred_since) > retry_period:
                status, next_attempt = Status.FAILED, None
                error = f"gave up after {attempts} attempts; last: {error}"
        at = moment.isoformat(timespec="seconds")
        self.db.execute(
            "UPDATE teams_posts SET status = ?, attempts = ?, unknown_count = ?,"
            " last_error = ?, updated_at = ?,"
            " posted_at = CASE WHEN ? = 'sent' THEN ? ELSE posted_at END,"
            " next_attempt_at = ?, deferred_since = ?"
            " WHERE webhook = ? AND entry_id = ?",
            (status.value, attempts, unknown_count, error or None, at, status.value, at,
             next_attempt.isoformat(timespec="seconds") if next_attempt else None,
             deferred_since, self.webhook, post.entry.id),
        )
        return status

    def counts(self) -> dict[str, int]:
        """How many posts of this webhook are in each state."""
        return dict(self.db.execute(
            "SELECT status, count(*) FROM teams_posts WHERE webhook = ? GROUP BY status",
            (self.webhook,)).fetchall())


def plan(records: TeamsRecords, entries: list[Entry], want: Wanted,
         cutoff: datetime | None) -> tuple[int, int]:
    """Record the feed's unrecorded posts as pending or skipped; returns (new, skipped).

    Posts before ``cutoff`` (a webhook's first run: the last seven days, as ``send`` does) are
    skipped; posts this channel does not want are skipped too, so a later change of filter
    never floods it with old news.  Call inside a transaction.
    """
    known = records.known(e.id for e in entries)
    fresh: dict[str, Entry] = {}
    skipped: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in known or entry.id in fresh or entry.id in skipped:
            continue
        old = cutoff is not None and entry.published < cutoff
        (skipped if old or not want(entry) else fresh)[entry.id] = entry
    records.add(skipped.values(), SKIPPED)
    records.add(fresh.values(), Status.PENDING.value)
    return len(fresh), len(skipped)


class Webhook:
    """A Teams Workflows webhook, posted to with ``requests`` on one kept-alive session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"the Teams webhook {webhook_key(url)}"
        self._session = requests.Session()

    def close(self) -> None:
        """Close the session."""
        self._session.close()

    def post(self, entry: Entry) -> Result:
        """Post one card; the outcome follows the mail rules (see the module's docstring)."""
        try:
            response = self._session.post(
                self.url, json=webhook_payload(entry), timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            )
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            return Result(Outcome.DEFERRED, f"cannot reach {self.name}: {type(exc).__name__}")
        except requests.ConnectionError as exc:
            if never_connected(exc):
                return Result(Outcome.DEFERRED, f"cannot reach {self.name}: {reason(exc)}")
            return Result(Outcome.UNKNOWN, f"connection lost after the request: {reason(exc)}")
        except requests.Timeout:
            return Result(Outcome.UNKNOWN, f"no answer from {self.name} in {READ_TIMEOUT:.0f} s")
        status = response.status_code
        answer = f"{status} {_error_text(response)}".strip()
        if 200 <= status < 300:
            return Result(Outcome.SENT, answer)
        if status in (401, 403, 404):
            raise TransportError(f"{self.name} refuses the post ({answer}); check "
                                 "TEAMS_WEBHOOK_URL and that the workflow is on")
        if status == 429 or status >= 500:
            return Result(Outcome.DEFERRED, answer)
        return Result(Outcome.FAILED, answer)


def _error_text(response: requests.Response) -> str:
    """The error code and message of a Power Automate error body, else the reason phrase."""
    try:
        error = response.json().get("error", {})
        text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        text = ""
    return " ".join((text or response.reason or "").split())[:300]


def post_open(records: TeamsRecords, webhook: Webhook, tally: TeamsTally, *,
              retry_period: timedelta = DEFAULT_RETRY_PERIOD) -> None:
    """Post every due post of the webhook, recording each outcome as it is known."""
    for post in records.open_posts():
        result = webhook.post(post.entry)
        if result.outcome is not Outcome.SENT:
            log.warning("%s for %r: %s", result.outcome, post.entry.title, result.detail)
        status = records.mark(post, result, retry_period=retry_period)
        name = status.value
        setattr(tally, name, getattr(tally, name) + 1)
