"""The subscription service as users meet it: ``newsletter serve`` in its own process on
127.0.0.1, mail to an aiosmtpd server, and the CLI on the same database.

Shared by tests/web and the browser test, so that both run the same real server.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.newsletter.feedwriter import Post, rss
from tests.newsletter.testkit import LOCALHOST, Cli, MailSink, free_port

SECRET = "ett-långt-hemligt-värde-för-testerna"
FROM = "Nytt från IT <it-nyheter@exempelkommun.se>"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/[a-z]+\?token=[A-Za-z0-9._%-]+")
CATEGORIES = ("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips")
AUDIENCES = ("alla", "skola", "förvaltning", "vård och omsorg")


def feed(posts: list[Post]) -> bytes:
    """An RSS feed as the site publishes it, with the vocabulary at channel level."""
    vocabulary = (
        f'<language>sv</language><itc:categories>{";".join(CATEGORIES)}</itc:categories>'
        f'<itc:audiences>{";".join(AUDIENCES)}</itc:audiences><itc:everyone>alla</itc:everyone>'
    )
    return rss(posts).replace(b"<language>sv</language>", vocabulary.encode(), 1)


def first_posts(now: datetime) -> list[Post]:
    """The wifi outage of the issue, a planned change for care, and a tip for everyone."""
    return [
        Post("wifi", "Wifi nere i skolorna", now - timedelta(hours=3),
             categories=("Driftstörning",), audiences=("skola",)),
        Post("journal", "Journalsystemet uppdateras", now - timedelta(hours=2),
             categories=("Planerad ändring",), audiences=("vård och omsorg",)),
        Post("tips", "Tips: kortkommandon", now - timedelta(hours=1),
             categories=("Tips",), audiences=("alla",)),
    ]


@dataclass
class Service:
    """A running ``newsletter serve`` with its database, feed file, mail sink and CLI."""

    url: str
    db: Path
    feed_file: Path
    sink: MailSink
    cli: Cli
    env: dict[str, str]

    def mails_to(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The first ``count`` messages to ``address``, waiting for the background mailer."""
        deadline = time.monotonic() + timeout
        while True:
            with self.sink.lock:
                found = [m for m in self.sink.messages if address in m.rcpt_tos]
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(found) >= count, f"{len(found)} messages to {address}, expected {count}"
        return [m.message for m in found]

    def count_to(self, address: str) -> int:
        return self.sink.by_recipient().get(address, 0)

    def state(self, address: str) -> str | None:
        """The subscriber's state from ``subscribers export``; None when nothing is held."""
        result = self.cli("subscribers", "export", address)
        if result.exit_code != 0:
            return None
        return str(json.loads(result.stdout)["subscriber"]["state"])

    def send(self) -> Any:
        result = self.cli("send", "--feed", str(self.feed_file), env=dict(self.env))
        assert result.exit_code == 0, result.output
        return result


def link_in(message: EmailMessage) -> str:
    """The one service link in a message's text."""
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.findall(body.get_content())
    assert found, body.get_content()
    return str(found[0])


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@contextmanager
def running_service(tmp_path: Path, **extra_env: str) -> Iterator[Service]:
    """Start aiosmtpd and ``newsletter serve`` on free ports of 127.0.0.1; stop both after."""
    sink = MailSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname=LOCALHOST, port=smtp_port)
    controller.start()
    port = free_port()
    db = tmp_path / "state" / "newsletter.db"
    feed_file = tmp_path / "news.rss.xml"
    feed_file.write_bytes(feed(first_posts(datetime.now(UTC))))
    env = {
        "NEWSLETTER_DB": str(db),
        "NEWSLETTER_FROM": FROM,
        "NEWSLETTER_PUBLIC_URL": f"http://{LOCALHOST}:{port}/",
        "NEWSLETTER_SECRET": SECRET,
        "NEWSLETTER_ALLOWED_DOMAINS": "exempelkommun.se",
        "SMTP_HOST": LOCALHOST, "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
        **extra_env,
    }
    cli_env: dict[str, str | None] = {
        **env, "SMTP_USER": None, "SMTP_PASSWORD": None, "NEWSLETTER_UNSUBSCRIBE_URL": None,
        "NEWSLETTER_UNSUBSCRIBE_SECRET": extra_env.get("NEWSLETTER_UNSUBSCRIBE_SECRET"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--host", LOCALHOST, "--port", str(port),
         "--feed", str(feed_file), "--outbox", str(tmp_path / "outbox")],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://{LOCALHOST}:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "halsa", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"newsletter serve did not start: {output}")
            time.sleep(0.1)
        yield Service(url, db, feed_file, sink, Cli(db, cli_env), env)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        controller.stop()
