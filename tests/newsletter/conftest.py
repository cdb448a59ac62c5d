"""Shared fixtures: a real SMTP server, a real HTTP server serving feeds, and the CLI."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.newsletter.feedwriter import Post, rss
from tests.newsletter.testkit import (
    LOCALHOST,
    Cli,
    FeedServer,
    MailSink,
    SmtpServer,
    feed_handler,
    free_port,
)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An aiosmtpd server on a free port of 127.0.0.1 that records every accepted message."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname=LOCALHOST, port=port)
    controller.start()
    try:
        yield SmtpServer(sink, port)
    finally:
        controller.stop()


class _FeedHttpServer(ThreadingHTTPServer):
    """A test server whose answers to clients that already gave up stay silent.

    Stall tests make the client time out while a handler thread still sleeps; when it wakes
    and writes, the socket is gone. socketserver would print that traceback to whatever
    ``sys.stderr`` is at that moment, which can be another test's captured CLI output.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client gave up, as the stall tests want it to
        super().handle_error(request, client_address)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """An HTTP server in a thread on 127.0.0.1 whose answers a test sets in ``routes``."""
    state = FeedServer(port=0)
    server = _FeedHttpServer((LOCALHOST, 0), feed_handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def sample_posts(now: datetime) -> list[Post]:
    """Three recent posts covering the sections of a digest, and one too old for a first run."""
    return [
        Post(
            "flytt-till-datacenter", "Flytt till nytt datacenter: åäö ÅÄÖ", now - timedelta(days=1),
            summary="Alla servrar flyttar till det nya datacentret i Västerås.",
            categories=("Planerad ändring",), status="planerad",
            audiences=("skola", "förvaltning"), services=("Microsoft 365", "Skolplattan"),
            window=(datetime.fromisoformat("2026-12-05T18:00:00+01:00"),
                    datetime.fromisoformat("2026-12-06T06:00:00+01:00")),
            action=(date(2026, 12, 4), "Spara dina filer i OneDrive"),
        ),
        Post("natfiske", "Varning för nätfiske", now - timedelta(days=2),
             categories=("Säkerhet",), audiences=("alla",)),
        Post("vard-appen", "Ny app för hemtjänsten", now - timedelta(days=3),
             categories=("Nytt system",), audiences=("vård och omsorg",)),
        Post("gammal", "Gammal nyhet", now - timedelta(days=40), categories=("Tips",)),
    ]


@pytest.fixture
def feed_file(tmp_path: Path, sample_posts: list[Post]) -> Path:
    path = tmp_path / "news.rss.xml"
    path.write_bytes(rss(sample_posts))
    return path


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI with NEWSLETTER_DB in tmp_path, SMTP unset (outbox mode) unless a test adds it.

    It runs in tmp_path, so that a default relative path (``--outbox outbox``) never writes
    into the repository.
    """
    monkeypatch.chdir(tmp_path)
    return Cli(
        db=tmp_path / "state" / "newsletter.db",
        env={
            "NEWSLETTER_DB": str(tmp_path / "state" / "newsletter.db"),
            "NEWSLETTER_FROM": "Nytt från IT <it-nyheter@exempelkommun.se>",
            "SMTP_HOST": None, "SMTP_PORT": None, "SMTP_SECURITY": None,
            "SMTP_USER": None, "SMTP_PASSWORD": None,
            "NEWSLETTER_UNSUBSCRIBE_URL": None, "NEWSLETTER_UNSUBSCRIBE_SECRET": None,
            "NEWSLETTER_SECRET": None, "NEWSLETTER_PUBLIC_URL": None,
        },
    )


@pytest.fixture
def subscribers_csv(tmp_path: Path) -> Path:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        "email,name,topics\n"
        "anna@exempelkommun.se,Anna Åström,skola\n"
        "bertil@exempelkommun.se,Bertil Öberg,\n"
        "cecilia@exempelkommun.se,Cecilia,Tips\n"
        "david@exempelkommun.se,David,vård och omsorg;Säkerhet\n",
        encoding="utf-8",
    )
    return path
