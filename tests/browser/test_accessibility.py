"""Accessibility: axe-core's WCAG 2.1 AA rules, and a home page that fits tablets and phones."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_support import BLOCKING_IMPACTS, describe_violations, run_axe
from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

OpenPage = Callable[..., Page]

# One page of each kind a reader meets: the home page, the news index, a post and a guide;
# and the home page once more in the dark scheme, which follows the reader's system setting.
PAGES = {
    "home": ("", "light"),
    "news index": ("news/", "light"),
    "post": ("news/nya-rutiner-for-sakerhetskopiering/", "light"),
    "guide": ("guides/logga-in-microsoft-365/", "light"),
    "home dark": ("", "dark"),
}
# A school tablet upright, and a common phone.
NARROW_VIEWPORTS: dict[str, ViewportSize] = {
    "tablet": {"width": 768, "height": 1024},
    "phone": {"width": 390, "height": 844},
}
# Where to keep screenshots for a person to look at (e.g. as CI artefacts); a temporary
# folder when unset.
SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOTS")


@pytest.mark.parametrize(("path", "color_scheme"), PAGES.values(), ids=PAGES.keys())
def test_no_serious_wcag_violations(
    open_page: OpenPage, axe_script: Path, path: str, color_scheme: str
) -> None:
    page = open_page(path, color_scheme=color_scheme)
    # Material follows the system's scheme only while no choice is stored, as in a new context.
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    assert scheme == {"light": "default", "dark": "slate"}[color_scheme]

    violations = run_axe(page, axe_script)

    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(
            f"WCAG 2.1 AA violations on /{path} ({color_scheme}):\n{describe_violations(blocking)}",
            pytrace=False,
        )


@pytest.mark.parametrize("viewport", NARROW_VIEWPORTS.values(), ids=NARROW_VIEWPORTS.keys())
def test_home_page_does_not_scroll_sideways(open_page: OpenPage, viewport: ViewportSize) -> None:
    page = open_page("", viewport=viewport)

    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )

    assert widths["scroll"] <= widths["inner"], f"the page is {widths['scroll']} px wide: {widths}"


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("desktop", None), *NARROW_VIEWPORTS.items()],
    ids=["desktop", *NARROW_VIEWPORTS.keys()],
)
def test_home_page_screenshot(
    open_page: OpenPage, tmp_path: Path, name: str, viewport: ViewportSize | None
) -> None:
    page = open_page("", viewport=viewport)
    target = Path(SCREENSHOT_DIR or tmp_path) / f"home-{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)

    # Without animations, tabs that are still fading in are not caught half-visible.
    page.screenshot(path=target, full_page=True, animations="disabled")

    assert target.stat().st_size > 0
