"""What the browser tests share besides fixtures: the request and error log, and axe-core."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, ViewportSize

# WCAG 2.1 level A and AA, the level Swedish public-sector sites must meet (DOS-lagen).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass
class BrowserLog:
    """What the pages of one test reported: errors on the console, uncaught exceptions, requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({location})")

    @property
    def errors(self) -> list[str]:
        return self.console_errors + self.page_errors

    def report_errors(self) -> str:
        return "errors in the browser:\n" + "\n".join(f"  {error}" for error in self.errors)

    def external_requests(self) -> list[str]:
        """Requests to any host but 127.0.0.1 (data: and blob: URLs never leave the page)."""
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname != "127.0.0.1"
        ]


@dataclass
class Session:
    """One test's browser context on the served site, and what it logged."""

    context: BrowserContext
    log: BrowserLog

    def open(
        self,
        path: str = "",
        viewport: ViewportSize | None = None,
        color_scheme: Literal["light", "dark"] = "light",
    ) -> Page:
        """A new page showing ``path`` (relative to the site's root) once it has loaded."""
        page = self.context.new_page()
        if viewport is not None:
            page.set_viewport_size(viewport)
        page.emulate_media(color_scheme=color_scheme)
        page.on("pageerror", lambda error: self.log.page_errors.append(str(error)))
        response = page.goto(path, wait_until="load")
        assert response is not None and response.ok, f"GET {path!r}: {response and response.status}"
        return page


def run_axe(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    page.add_script_tag(path=axe_script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, what it asks for and where it fails."""
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        targets = [" ".join(map(str, node["target"])) for node in nodes[:3]]
        more = len(nodes) - len(targets)
        checks = nodes[0]["any"] or nodes[0]["all"] or nodes[0]["none"]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"    {violation['helpUrl']}\n"
            + (f"    {checks[0]['message']}\n" if checks else "")
            + "".join(f"    at {target}\n" for target in targets)
            + (f"    and {more} more\n" if more > 0 else "")
        )
    return "\n".join(lines)


def run_htmlcs(page: Page, htmlcs_script: Path) -> list[dict[str, Any]]:
    """HTML_CodeSniffer's WCAG 2.1 AA errors on the page, injected as pa11y injects it.

    Only errors (type 1): warnings and notices are for a person to review, as in pa11y.
    """
    page.add_script_tag(path=htmlcs_script)
    return list(page.evaluate(
        """() => new Promise(resolve => HTMLCS.process('WCAG2AA', document, () => resolve(
            HTMLCS.getMessages().filter(m => m.type === HTMLCS.ERROR).map(m => ({
                code: m.code, message: m.msg,
                element: m.element && m.element.outerHTML
                    ? m.element.outerHTML.slice(0, 200) : String(m.element),
            })))))"""
    ))


def describe_htmlcs(errors: list[dict[str, Any]]) -> str:
    """One paragraph per HTML_CodeSniffer error: its rule code, message and element."""
    return "\n".join(f"{e['code']}\n    {e['message']}\n    at {e['element']}" for e in errors)
