"""Fetching over real HTTP: conditional GET, errors, retries and timeouts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsletter.errors import FeedError
from newsletter.feed import parse_feed
from newsletter.fetch import USER_AGENT, fetch
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
    with pytest.raises(FeedError, match="timed out"):
        fetch(feed_server.url(), timeout=0.3, retries=0)


def test_connection_refused_is_an_error() -> None:
    from tests.newsletter.testkit import free_port

    with pytest.raises(FeedError, match="fetching"):
        fetch(f"http://127.0.0.1:{free_port()}/feed.xml", retries=1, backoff=0.01)


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
