"""Real servers for the newsletter tests: aiosmtpd and http.server on 127.0.0.1, and the CLI.

The fixtures in conftest.py wrap these; tests import the classes from here for type hints.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from newsletter.cli import cli

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailSink:
    """An aiosmtpd handler that records what it accepts and can be told to refuse.

    ``rcpt_replies`` maps an address to the reply for its RCPT; ``data_reply`` may return a
    reply for the end of DATA instead of accepting; ``drop_after_data`` holds addresses whose
    message is accepted but whose connection is cut before the reply.
    """

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: Callable[[list[str]], str | None] | None = None
    drop_after_data: set[str] = field(default_factory=set)
    drop_at_rcpt: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        key = address.lower()
        if key in self.drop_at_rcpt:
            server.transport.close()
            return "250 OK"
        if key in self.rcpt_replies:
            return self.rcpt_replies[key]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            reply = self.data_reply(list(envelope.rcpt_tos))
            if reply:
                return reply
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        if any(r.lower() in self.drop_after_data for r in envelope.rcpt_tos):
            server.transport.close()
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for received in self.messages:
                for rcpt in received.rcpt_tos:
                    counts[rcpt.lower()] = counts.get(rcpt.lower(), 0) + 1
        return counts

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@dataclass
class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1."""

    sink: MailSink
    port: int

    @property
    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": LOCALHOST, "SMTP_PORT": str(self.port), "SMTP_SECURITY": "none"}


@dataclass
class Route:
    """What the feed server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    drip: float = 0.0
    """Seconds between single bytes of the body: a server that sends, but ever so slowly."""
    location: str | None = None
    """Sent with a 3xx status."""


@dataclass
class FeedServer:
    """A threaded http.server on 127.0.0.1 serving :class:`Route` objects by path."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str = "/feeds/news.rss.xml") -> str:
        return f"http://{LOCALHOST}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def feed_handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.status != 200:
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            if not route.drip:
                self.wfile.write(route.body)
                return
            try:
                for byte in route.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route.drip)
            except OSError:
                pass  # the client gave up, as it should

    return Handler


@dataclass
class Cli:
    """Runs ``newsletter`` in-process with click's CliRunner against a database in tmp_path."""

    db: Path
    env: dict[str, str | None]

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), env={**self.env, **(env or {})},
                             catch_exceptions=False)


def time_passes(db: Path, hours: float = 1.0) -> None:
    """Move every delivery's schedule ``hours`` into the past, as if that time had gone by.

    Retries wait for minutes to days; the clock is the one thing a test cannot wait for.
    """
    import sqlite3
    from datetime import UTC, datetime, timedelta

    def earlier(value: str | None) -> str | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) - timedelta(hours=hours)
        return moment.astimezone(UTC).isoformat(timespec="seconds")

    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT id, next_attempt_at, deferred_since FROM deliveries").fetchall()
        connection.executemany(
            "UPDATE deliveries SET next_attempt_at = ?, deferred_since = ? WHERE id = ?",
            [(earlier(n), earlier(d), i) for i, n, d in rows])


def start_send(run: Cli, feed: Path, smtp: SmtpServer, *options: str) -> subprocess.Popen[bytes]:
    """``newsletter send`` in a process of its own, as cron starts it, so that it can be killed."""
    env = {**os.environ, **smtp.env, "NEWSLETTER_FROM": "it-nyheter@exempelkommun.se"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--db", str(run.db), "send", "--feed", str(feed),
         *options],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def kill_sends(start: Callable[[], subprocess.Popen[bytes]], sink: MailSink, rng: random.Random,
               *, times: int, first_wait: float, messages: tuple[int, int]) -> int:
    """Start a send ``times`` times and kill each (SIGKILL) while it runs; returns the kills.

    The first is killed at a random moment within ``first_wait`` seconds (start-up, planning
    or sending), each later one after a random number of messages in ``messages``.  Asserts
    that every kill hit a running send, or the test would prove nothing.
    """
    kills = 0
    for attempt in range(times):
        process = start()
        if attempt == 0:
            time.sleep(rng.uniform(0.05, first_wait))
        else:
            target = sink.count() + rng.randint(*messages)
            deadline = time.monotonic() + 30
            while sink.count() < target and process.poll() is None:
                assert time.monotonic() < deadline, "the send made no progress"
                time.sleep(0.005)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        kills += 1
        assert process.wait() == -signal.SIGKILL
    return kills
