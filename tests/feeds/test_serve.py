"""Under `mkdocs serve` a saved post shows up in the served feed, and with --dirty (unchanged
pages not rendered again) the feed still holds every post with its full body."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import SITE_URL, mkdocs_env

from .support import post_meta, write_post

STARTUP_SECONDS = 60
REBUILD_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for(what: str, check: Callable[[], Any], seconds: float, log: Path) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the server log if never."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    pytest.fail(f"{what} within {seconds} s; mkdocs serve said:\n{log.read_text()[-3000:]}")


class Server:
    """A running `mkdocs serve` of a project copy."""

    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log

    def json_feed(self, name: str = "news") -> dict[str, Any] | None:
        body = fetch(f"{self.base}feeds/{name}.json")
        try:
            return json.loads(body) if body else None
        except json.JSONDecodeError:  # caught between two writes of a non-atomic writer
            return None

    def ids(self) -> list[str]:
        feed = self.json_feed()
        return [item["id"] for item in feed["items"]] if feed else []


@pytest.fixture(params=["--dirty", "full"], ids=["dirty", "full"])
def served(request: pytest.FixtureRequest, project: Path, tmp_path: Path) -> Iterator[Server]:
    """`mkdocs serve` of the project copy, with and without --dirty; stopped afterwards."""
    port = free_port()
    # Not --no-livereload: it also switches off the file watcher that rebuilds the site.
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    if request.param == "--dirty":
        command.append("--dirty")
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=project, env=mkdocs_env(), stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        # serve mounts the site at site_url's path and rewrites its host to 127.0.0.1.
        server = Server(f"http://127.0.0.1:{port}{urlsplit(SITE_URL).path}", log)
        wait_for("the served feed never appeared", lambda: fetch(
            server.base + "feeds/news.rss.xml"), STARTUP_SECONDS, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_a_saved_post_shows_up_in_the_served_feed(served: Server, project: Path) -> None:
    before = served.json_feed()
    assert before and before["items"]
    earlier = [item["id"] for item in before["items"]]
    assert not [i for i in earlier if "news/utkast-" in i or "news/framtida-" in i]

    write_post(project, "sparad-under-serve", post_meta(
        "Sparad medan servern körde", date="2026-11-28 09:00", audience=["alla"]),
        "Det här inlägget sparades medan `mkdocs serve` körde.")
    new_id = next(i for i in earlier if i.startswith("tag:")).rsplit(":news/", 1)[0] + \
        ":news/sparad-under-serve"
    wait_for("the new post never reached the served feed",
             lambda: new_id in served.ids(), REBUILD_SECONDS, served.log)

    after = served.json_feed()
    assert after is not None
    ids = [item["id"] for item in after["items"]]
    assert ids[0] == new_id  # the newest post
    assert set(earlier) <= set(ids)
    # --dirty renders only the changed page: the others must keep their full body.
    assert all(item["content_html"].strip() for item in after["items"]), [
        item["id"] for item in after["items"] if not item["content_html"].strip()]
    unchanged = {item["id"]: item["content_html"] for item in before["items"]}
    for item in after["items"]:
        if item["id"] in unchanged:
            assert item["content_html"] == unchanged[item["id"]], item["id"]
    rss = fetch(served.base + "feeds/news.rss.xml")
    assert rss and "Sparad medan servern körde".encode() in rss


def test_writers_preview_drafts_and_scheduled_posts_under_serve(served: Server) -> None:
    """Under `mkdocs serve` drafts and future posts are on the site (not in feeds)."""
    for draft in ("utkast-nya-skrivare", "framtida-sommaroppettider-servicedesk"):
        page = fetch(f"{served.base}news/{draft}/")
        assert page is not None, draft
    # The future post (date: 2027-06-01 08:00) is marked with its date, as drafts are marked.
    scheduled = fetch(f"{served.base}news/framtida-sommaroppettider-servicedesk/")
    assert scheduled is not None
    assert "Schemalagd" in scheduled.decode()
    assert "Publiceras tisdag 1 juni 2027 kl. 8.00" in scheduled.decode()
    draft = fetch(f"{served.base}news/utkast-nya-skrivare/")
    assert draft is not None and "Schemalagd" not in draft.decode()
    assert not [i for i in served.ids() if "news/utkast-" in i or "news/framtida-" in i]
