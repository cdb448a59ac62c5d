"""Search under `mkdocs serve` (with and without --dirty): the index is rebuilt after
a save (in the background, after the page has reloaded), finds a post saved while serving,
keeps the pages not rendered again, and never holds the drafts and scheduled posts that
writers preview there, nor a post turned into a draft."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser
from search_support import search

from tests.conftest import SITE_URL, mkdocs_env
from tests.feeds.support import post_meta, write_post
from tests.feeds.test_serve import fetch, free_port, wait_for

pytestmark = pytest.mark.browser

STARTUP_SECONDS = 180
REBUILD_SECONDS = 120


def indexed_page_count(base: str) -> int | None:
    """Pages in the served index, or None while it cannot be read (not written yet, or the
    request timed out behind a rebuild: serve holds requests until a build is done)."""
    body = fetch(base + "pagefind/pagefind-entry.json")
    if not body:
        return None
    try:
        return sum(language["page_count"]
                   for language in json.loads(body)["languages"].values())
    except (json.JSONDecodeError, KeyError):
        return None


# Plain `mkdocs serve` empties the site folder before each rebuild (the last index must be put
# back); --dirty keeps it and renders only the saved pages (the others must stay in the index).
@pytest.fixture(params=["--dirty", "full"], ids=["dirty", "full"])
def served(request: pytest.FixtureRequest, project: Path,
           tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`mkdocs serve` of a project copy, with and without --dirty: its base URL (site_url's
    path) and log."""
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    if request.param == "--dirty":
        command.append("--dirty")
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=project, env=mkdocs_env(), stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}{urlsplit(SITE_URL).path}"

        def started() -> int | None:
            if process.poll() is not None:
                pytest.fail(f"mkdocs serve stopped:\n{log.read_text()[-3000:]}")
            return indexed_page_count(base)

        wait_for("the served search index never appeared", started, STARTUP_SECONDS, log)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def test_search_under_serve(chromium: Browser, served: tuple[str, Path], project: Path) -> None:
    base, log = served
    context = chromium.new_context(base_url=base, locale="sv-SE")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        # Generous: on a machine under load 10-20 the first page and its assets take a while.
        page.goto(base + "news/", timeout=REBUILD_SECONDS * 1000)
        # The draft is previewed, and it is the only page that says "passerbricka".
        assert fetch(base + "news/utkast-nya-skrivare/") is not None
        assert search(page, "passerbricka") == []
        before = search(page, "filservern")
        assert before
        pages_before = wait_for("the served index could not be read",
                                lambda: indexed_page_count(base), REBUILD_SECONDS, log)
        # Serve's livereload script reloads every open page after a rebuild; a page left open
        # across the save would reload itself under the test's next navigation (net::ERR_ABORTED).
        page.close()

        write_post(project, "zebra-under-serve", post_meta("Sparad medan servern körde"),
                   "Övergångsstället vid skolan kallas zebrakorsningen.")
        wait_for("the saved post never reached the served index",
                 lambda: indexed_page_count(base) == pages_before + 1, REBUILD_SECONDS, log)

        page = context.new_page()
        page.goto(base + "news/", timeout=REBUILD_SECONDS * 1000)
        assert search(page, "zebrakorsning") == [f"{urlsplit(base).path}news/zebra-under-serve/"]
        # The pages not saved are still found (--dirty did not render them again).
        assert search(page, "filservern") == before
        assert search(page, "passerbricka") == []
        page.close()

        # Turned into a draft, the post leaves the index (the page is still previewed).
        write_post(project, "zebra-under-serve",
                   post_meta("Sparad medan servern körde", draft=True),
                   "Övergångsstället vid skolan kallas zebrakorsningen.")
        wait_for("the draft never left the served index",
                 lambda: indexed_page_count(base) == pages_before, REBUILD_SECONDS, log)
        page = context.new_page()
        page.goto(base + "news/", timeout=REBUILD_SECONDS * 1000)
        assert search(page, "zebrakorsning") == []
        assert search(page, "filservern") == before
    finally:
        context.close()
