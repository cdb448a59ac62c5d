"""Fetching over real HTTP: conditional GET, errors, retries and timeouts."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.errors import FeedError
from newsletter.feed import parse_feed
from newsletter.fetch import MAX_BYTES, USER_AGENT, fetch
from newsletter.store import Validators
from tests.newsletter.feedwriter import Post, rss
from tests.newsletter.testkit import FeedServer, Route

PATH = "/feeds/news.rss.xml"
BODY = rss([Post("a", "Åäö", datetime(2025, 11, 24, tzinfo=UTC))])


def test_conditional_get_with_etag_and_last_modified(feed_server: FeedServer) -> None:
    modified = "Mon, 24 Nov 2025 08:00:00 GMT"
    feed_server.routes[PATH] = Route(BODY, etag='"abc"', last_modified=modified)
    first = fetch(feed_server.url())
    assert first.body == BODY and not first.not_modified
    assert first.validators == Validators('"abc"', modified)
    second = fetch(feed_server.url(), first.validators)
    assert second.not_modified
    headers = feed_server.requests[-1][1]
    assert headers["If-None-Match"] == '"abc"'
    assert headers["If-Modified-Since"] == modified
    assert headers["User-Agent"] == USER_AGENT


def test_404_is_an_error(feed_server: FeedServer) -> None:
    with pytest.raises(FeedError, match="HTTP 404"):
        fetch(feed_server.url("/feeds/saknas.xml"))


def test_500_is_retried_then_an_error(feed_server: FeedServer) -> None:
    feed_server.routes[PATH] = Route(b"oops", status=500)
    with pytest.raises(FeedError, match="500"):
        fetch(feed_server.url(), retries=2, backoff=0.01)
    assert feed_server.hits(PATH) == 3


def test_timeout_is_an_error(feed_server: FeedServer) -> None:
    feed_server.routes[PATH] = Route(BODY, delay=2.0)
    with pytest.raises(FeedError, match=r"gave up after 0\.3 s: no answer from the server"):
        fetch(feed_server.url(), timeout=0.3, retries=0)


def test_a_dripping_server_is_cut_off_at_the_deadline(feed_server: FeedServer) -> None:
    feed_server.routes[PATH] = Route(BODY, drip=0.05)  # the whole body would take a minute
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        fetch(feed_server.url(), timeout=1.0)
    assert time.monotonic() - started < 2.5  # the server would take a minute
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    assert re.fullmatch(
        rf"fetching {re.escape(feed_server.url())}: gave up after 1 s: "
        r"the server sent \d+ bytes in 1 s", message), message


def test_a_stalling_server_is_retried_within_the_deadline_only(feed_server: FeedServer) -> None:
    feed_server.routes[PATH] = Route(BODY, delay=5.0)
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        fetch(feed_server.url(), timeout=1.0, retries=3, backoff=0.1)
    assert time.monotonic() - started < 2.5  # the server would take five seconds
    # One line of ours, not urllib3's "Max retries exceeded ... ReadTimeoutError(...)".
    assert str(caught.value) == (f"fetching {feed_server.url()}: gave up after 1 s:"
                                 " no answer from the server within 1 s")
    assert feed_server.hits(PATH) == 1  # the first wait used up the deadline: no retry


def test_redirect_is_followed_and_the_final_address_kept(feed_server: FeedServer) -> None:
    feed_server.routes["/gammal.xml"] = Route(status=301, location=feed_server.url())
    feed_server.routes[PATH] = Route(BODY)
    fetched = fetch(feed_server.url("/gammal.xml"))
    assert fetched.body == BODY and fetched.url == feed_server.url()


def test_an_http_feed_larger_than_20_mb_is_an_error(feed_server: FeedServer) -> None:
    feed_server.routes[PATH] = Route(b" " * (21 * 1024 * 1024))
    with pytest.raises(FeedError) as caught:
        fetch(feed_server.url(), timeout=20.0)
    assert str(caught.value) == (
        f"fetching {feed_server.url()}: the feed is larger than 20.0 MB")


@pytest.mark.parametrize(("location", "reason"), [
    ("file:///etc/passwd", "No connection adapters were found for 'file:///etc/passwd'"),
    ("javascript:alert(1)", "No connection adapters were found for 'javascript:alert(1)'"),
    ("http://[::1/x", "a redirect to a malformed address: Invalid IPv6 URL"),
])
def test_a_redirect_to_an_unusable_address_is_one_line_at_once(
    feed_server: FeedServer, location: str, reason: str
) -> None:
    feed_server.routes["/gammal.xml"] = Route(status=302, location=location)
    with pytest.raises(FeedError) as caught:
        fetch(feed_server.url("/gammal.xml"), timeout=5.0, retries=3, backoff=0.01)
    assert str(caught.value) == f"fetching {feed_server.url('/gammal.xml')} failed: {reason}"
    assert feed_server.hits("/gammal.xml") == 1  # no retry: another try cannot mend it


def test_local_files_have_the_same_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as file:
        file.truncate(MAX_BYTES + 1)
    with pytest.raises(FeedError, match=r"larger than 20\.0 MB"):
        fetch(str(big))


def test_connection_refused_is_one_plain_line() -> None:
    from tests.newsletter.testkit import free_port

    url = f"http://127.0.0.1:{free_port()}/feed.xml"
    with pytest.raises(FeedError) as raised:
        fetch(url, retries=1, backoff=0.01)
    # Not urllib3's "HTTPConnectionPool(...): Max retries exceeded ... (Caused by ...)".
    assert str(raised.value) == f"fetching {url} failed: connection refused (2 attempts)"


@pytest.mark.parametrize("source", ["ftp://intranet.exempelkommun.se/news.rss.xml",
                                    "file:///srv/site/feeds/news.rss.xml"])
def test_an_address_that_is_not_http_names_what_is_allowed(source: str) -> None:
    with pytest.raises(FeedError) as raised:
        fetch(source)
    assert str(raised.value) == (
        f"cannot fetch {source}: expected an http:// or https:// address or a file path")


@pytest.mark.parametrize(
    "route",
    [
        Route(b"<!DOCTYPE html><html><body><h1>Inloggning</h1></body></html>",
              content_type="text/html"),
        Route(BODY[: len(BODY) // 2]),
        Route(b""),
    ],
    ids=["html-page", "truncated", "empty"],
)
def test_bad_bodies_are_errors(feed_server: FeedServer, route: Route) -> None:
    feed_server.routes[PATH] = route
    with pytest.raises(FeedError):
        fetched = fetch(feed_server.url())
        parse_feed(fetched.body, fetched.url)
