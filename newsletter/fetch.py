"""Fetching the feed: a local file, or HTTP(S) with retries and a conditional GET, all within
one deadline.

``timeout`` bounds the whole fetch: connecting, waiting, every retry and its pause, and reading
a body that arrives a byte at a time.  A server that drips or stalls cannot hold the run (and
its lock) longer than that; the error then says in one line what happened.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3.exceptions

from newsletter.errors import FeedError
from newsletter.store import Validators

log = logging.getLogger(__name__)

USER_AGENT = "it-intranat-newsletter/0.1 (+https://intranet.exempelkommun.se/)"
MAX_BYTES = 20 * 1024 * 1024
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """What a fetch found: a body with its validators, or ``not_modified`` (HTTP 304)."""

    body: bytes
    validators: Validators
    url: str
    not_modified: bool = False


def is_url(source: str) -> bool:
    """Whether the source is fetched over HTTP(S) rather than read from disk."""
    return source.startswith(("http://", "https://"))


def fetch(
    source: str,
    validators: Validators | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 0.5,
) -> Fetched:
    """Fetch the feed at ``source`` (an http(s) URL or a file path) within ``timeout`` seconds.

    Connection errors, timeouts of one attempt and 5xx answers are retried with exponential
    backoff while time is left.  Any other failure, an empty body and a body larger than
    :data:`MAX_BYTES` raise :class:`FeedError`.
    """
    if not is_url(source):
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", source):
            raise FeedError(
                f"cannot fetch {source}: expected an http:// or https:// address or a file path")
        return _read_file(source)
    validators = validators or Validators()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    clock = _Deadline(timeout)
    attempt = 0
    with requests.Session() as session:
        while True:
            attempt += 1
            try:
                return _attempt(session, source, headers, validators, clock)
            except _Retryable as problem:
                pause = backoff * 2 ** (attempt - 1)
                tries = f" ({attempt} attempts)" if attempt > 1 else ""
                if clock.left() <= pause:
                    raise FeedError(f"fetching {source}: gave up after {clock.spent()}:"
                                    f" {problem}{tries}") from problem.__cause__
                if attempt > retries:
                    raise FeedError(f"fetching {source} failed: {problem}{tries}"
                                    ) from problem.__cause__
                log.info("fetching %s: %s; trying again in %.1f s", source, problem, pause)
                time.sleep(pause)


class _Retryable(Exception):
    """One attempt failed in a way that another attempt may not."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def spent(self) -> str:
        return f"{math.ceil(self.seconds) if self.seconds >= 1 else self.seconds:g} s"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def _attempt(
    session: requests.Session, source: str, headers: dict[str, str],
    validators: Validators, clock: _Deadline,
) -> Fetched:
    left = clock.left()
    if left <= 0:
        raise _Retryable("no time left")
    try:
        response = session.get(source, headers=headers, timeout=left, stream=True)
    except requests.Timeout as exc:
        raise _Retryable(f"no answer from the server within {clock.spent()}") from exc
    except requests.TooManyRedirects as exc:
        raise FeedError(f"fetching {source} failed: too many redirects") from exc
    except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema) as exc:
        # The address (or where a redirect leads) is wrong: no retry makes it right.
        raise FeedError(f"fetching {source} failed: {exc}") from exc
    except requests.RequestException as exc:
        raise _Retryable(_reason(exc)) from exc
    except ValueError as exc:  # a redirect to an address urllib cannot parse ("http://[::1/")
        raise FeedError(f"fetching {source} failed: a redirect to a malformed address: {exc}"
                        ) from exc
    with response:
        if response.status_code == 304:
            return Fetched(b"", validators, response.url, not_modified=True)
        if response.status_code in _RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code} {response.reason}")
        if response.status_code != 200:
            raise FeedError(
                f"fetching {source} failed: HTTP {response.status_code} {response.reason}"
            )
        body = _read_body(response, source, clock)
    if not body.strip():
        raise FeedError(f"fetching {source} gave an empty body")
    return Fetched(
        body,
        Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
        response.url,
    )


def _read_body(response: requests.Response, source: str, clock: _Deadline) -> bytes:
    # read1 returns what one recv gave, so the deadline is checked however slowly bytes come;
    # the socket waits at most the time left for each recv.
    raw = response.raw
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = clock.left()
        if left <= 0:
            raise _Retryable(f"the server sent {_size(size)} in {clock.spent()}")
        if sock is not None:
            sock.settimeout(left)
        try:
            chunk = raw.read1(_CHUNK, decode_content=True)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise _Retryable(f"the server sent {_size(size)} in {clock.spent()}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Not urllib3's text: "('Connection broken: IncompleteRead(...)', IncompleteRead(...))".
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else ""
            raise _Retryable(f"the connection broke after {_size(size)}"
                             + (f": {reason}" if reason else "")) from exc
        if not chunk:
            if not raw.closed and raw.length_remaining:
                raise _Retryable(f"the connection broke after {_size(size)}")
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise FeedError(f"fetching {source}: the feed is larger than {_size(MAX_BYTES)}")
        chunks.append(chunk)


def _read_file(source: str) -> Fetched:
    path = Path(source)
    try:
        with path.open("rb") as file:
            body = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FeedError(f"cannot read feed file {source}: {exc.strerror or exc}") from exc
    if len(body) > MAX_BYTES:
        raise FeedError(f"feed file {source} is larger than {_size(MAX_BYTES)}")
    if not body.strip():
        raise FeedError(f"feed file {source} is empty")
    return Fetched(body, Validators(), path.resolve().as_uri())


def _reason(exc: requests.RequestException) -> str:
    # requests and urllib3 wrap the cause several levels deep ("Max retries exceeded ... Caused
    # by NewConnectionError(...)"); the innermost system error is the one a person can act on.
    # requests' own exceptions are OSErrors too, so they do not end the search.
    cause: BaseException = exc
    innermost: OSError | None = None
    seen: set[int] = set()
    while id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException):
            innermost = cause
        following = cause.__cause__ or cause.__context__
        if following is None:
            break
        cause = following
    if isinstance(innermost, ConnectionRefusedError):
        return "connection refused"
    if innermost is not None:
        return innermost.strerror or str(innermost) or type(innermost).__name__
    return str(exc) or type(exc).__name__
