"""Accessibility: WCAG 2.1 AA by axe-core and HTML_CodeSniffer on every page type, and a home
page that fits tablets and phones."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_support import describe_htmlcs, describe_violations, run_axe, run_htmlcs
from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

OpenPage = Callable[..., Page]

# One page of each kind a reader meets, and the home page once more in the dark scheme, which
# follows the reader's system setting.
PAGES = {
    "home": ("", "light"),
    "news index": ("news/", "light"),
    "post": ("news/nya-rutiner-for-sakerhetskopiering/", "light"),
    "category": ("news/category/planerad-andring/", "light"),
    "archive": ("news/archive/2026/", "light"),
    "guide": ("guides/logga-in-microsoft-365/", "light"),
    "tags": ("tags/", "light"),
    "404": ("404.html", "light"),
    "home dark": ("", "dark"),
    "post dark": ("news/nya-rutiner-for-sakerhetskopiering/", "dark"),
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
def test_no_wcag_violations_in_either_checker(
    open_page: OpenPage, axe_script: Path, htmlcs_script: Path, path: str, color_scheme: str
) -> None:
    page = open_page(path, color_scheme=color_scheme)
    # Material follows the system's scheme only while no choice is stored, as in a new context.
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    assert scheme == {"light": "default", "dark": "slate"}[color_scheme]

    # Every impact level counts: a "minor" or "moderate" violation still fails an audit.
    violations = run_axe(page, axe_script)
    errors = run_htmlcs(page, htmlcs_script)

    report = []
    if violations:
        report.append(f"axe-core:\n{describe_violations(violations)}")
    if errors:
        report.append(f"HTML_CodeSniffer (WCAG2AA errors):\n{describe_htmlcs(errors)}")
    if report:
        pytest.fail(f"WCAG 2.1 AA on /{path} ({color_scheme}):\n" + "\n".join(report),
                    pytrace=False)


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
