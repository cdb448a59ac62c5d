"""Fetching the feed: a local file, or HTTP(S) with retries, a timeout and a conditional GET."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from newsletter.errors import FeedError
from newsletter.store import Validators

log = logging.getLogger(__name__)

USER_AGENT = "it-intranat-newsletter/0.1 (+https://intranet.exempelkommun.se/)"
MAX_BYTES = 20 * 1024 * 1024


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
    """Fetch the feed at ``source`` (an http(s) URL or a file path).

    Connection errors and 5xx answers are retried with exponential backoff.  Any other failure,
    and an empty body, raise :class:`FeedError`.
    """
    if not is_url(source):
        return _read_file(source)
    validators = validators or Validators()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries,
        backoff_factor=backoff, status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}), raise_on_status=False,
    )
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            response = session.get(source, headers=headers, timeout=timeout, stream=True)
            with response:
                if response.status_code == 304:
                    return Fetched(b"", validators, response.url, not_modified=True)
                if response.status_code != 200:
                    raise FeedError(
                        f"fetching {source} failed: HTTP {response.status_code} {response.reason}"
                    )
                body = _read_limited(response, source)
        except requests.RequestException as exc:
            raise FeedError(f"fetching {source} failed: {_reason(exc)}") from exc
    if not body.strip():
        raise FeedError(f"fetching {source} gave an empty body")
    return Fetched(
        body,
        Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
        response.url,
    )


def _read_limited(response: requests.Response, source: str) -> bytes:
    chunks = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FeedError(f"fetching {source}: the feed is larger than {MAX_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_file(source: str) -> Fetched:
    path = Path(source)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"cannot read feed file {source}: {exc.strerror or exc}") from exc
    if not body.strip():
        raise FeedError(f"feed file {source} is empty")
    return Fetched(body, Validators(), path.resolve().as_uri())


def _reason(exc: requests.RequestException) -> str:
    # urllib3 wraps the cause several levels deep; the innermost is the one a person can act on.
    cause: BaseException = exc
    while cause.__context__ is not None and not isinstance(cause, TimeoutError | OSError):
        cause = cause.__context__
    text = str(cause) or type(cause).__name__
    if isinstance(exc, requests.Timeout):
        return f"timed out ({text})"
    return text
