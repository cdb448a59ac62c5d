"""Browser fixtures: Debian's headless Chromium driven by Playwright, and axe-core from npm.

The browser is the one Debian packages (`apt-get install chromium`), never one that Playwright
downloads. Without it, or without axe-core (`npm ci --prefix tests/browser`), the tests are
skipped on a developer's machine but fail in CI (``CI`` set), where a missing install must
not pass as a green run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_support import BrowserLog, Session
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
HTMLCS_SCRIPT = (Path(__file__).resolve().parent / "node_modules" / "@pa11y" / "html_codesniffer"
                 / "build" / "HTMLCS.js")
# Chromium's own background traffic (updates, sync, field trials) is not the site's and would
# only slow the tests down; the sandbox needs privileges that CI containers do not have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def missing(what: str) -> None:
    """Fail in CI, where the install is part of the job; skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by the session; each test gets its own context."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install Debian's browser with `apt-get install chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """The path of axe-core's browser bundle, installed from npm next to this file."""
    if not AXE_SCRIPT.exists():
        missing(f"{AXE_SCRIPT} is missing: run `npm ci --prefix tests/browser`")
    return AXE_SCRIPT


@pytest.fixture(scope="session")
def htmlcs_script() -> Path:
    """HTML_CodeSniffer's browser bundle (pa11y's build), installed from npm next to this file."""
    if not HTMLCS_SCRIPT.exists():
        missing(f"{HTMLCS_SCRIPT} is missing: run `npm ci --prefix tests/browser`")
    return HTMLCS_SCRIPT


@pytest.fixture
def browser_session(chromium: Browser, site_server: str) -> Iterator[Session]:
    """A fresh browser context (no cookies, storage or cache from other tests) on the site."""
    context = chromium.new_context(base_url=site_server, viewport=DESKTOP, locale="sv-SE")
    context.set_default_timeout(10_000)
    log = BrowserLog()
    # Listening on the context, not the page, also catches what the search worker loads.
    context.on("request", lambda request: log.requests.append(request.url))
    context.on("console", log.on_console)
    yield Session(context, log)
    context.close()


@pytest.fixture
def open_page(browser_session: Session) -> Callable[..., Page]:
    """Open a page of the served site in this test's browser context."""
    return browser_session.open


@pytest.fixture
def browser_log(browser_session: Session) -> BrowserLog:
    """Console errors, page errors and requests of this test's pages."""
    return browser_session.log
