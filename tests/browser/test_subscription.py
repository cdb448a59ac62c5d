"""The subscription service in Debian's Chromium: subscribe → confirm → manage → unsubscribe,
with axe-core finding no WCAG 2.1 A/AA violation on any page on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import describe_violations, run_axe
from playwright.sync_api import Browser, Page

from tests.web.support import Service, link_in, running_service

pytestmark = pytest.mark.browser
ANNA = "anna.andersson@exempelkommun.se"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with running_service(tmp_path) as running:
        yield running


def accessible(page: Page, axe_script: Path) -> None:
    violations = run_axe(page, axe_script)
    assert violations == [], f"{page.url}: {describe_violations(violations)}"


def test_subscribe_confirm_manage_unsubscribe(chromium: Browser, axe_script: Path,
                                              service: Service) -> None:
    # The pages forbid scripts (Content-Security-Policy); only axe, injected by the test, runs.
    context = chromium.new_context(locale="sv-SE", bypass_csp=True)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(service.url)
        assert page.title() == "Prenumerera \u2013 Nytt från IT"
        accessible(page, axe_script)
        page.get_by_label("E-postadress").fill(ANNA)
        page.get_by_label("Namn (frivilligt)").fill("Anna Andersson")
        page.get_by_label("Planerad ändring").check()
        page.get_by_label("vård och omsorg").check()
        page.get_by_role("button", name="Prenumerera").click()
        page.get_by_role("heading", name="Titta i din inkorg").wait_for()
        accessible(page, axe_script)

        page.goto(link_in(service.mails_to(ANNA)[0]))
        accessible(page, axe_script)
        assert service.state(ANNA) == "pending"
        page.get_by_role("button", name="Bekräfta").click()
        page.get_by_role("heading", name="Prenumerationen är bekräftad").wait_for()
        accessible(page, axe_script)
        assert service.state(ANNA) == "active"

        page.get_by_role("link", name="Ändra ämnen, pausa eller avsluta").click()
        page.get_by_role("heading", name="Din prenumeration").wait_for()
        assert page.get_by_label("Planerad ändring").is_checked()
        assert page.get_by_label("vård och omsorg").is_checked()
        accessible(page, axe_script)
        page.get_by_label("Driftstörning").check()
        page.get_by_role("button", name="Spara ämnen").click()
        page.get_by_role("status").wait_for()
        assert "Dina ämnen är sparade" in page.get_by_role("status").inner_text()
        accessible(page, axe_script)

        # The digest's own unsubscribe link, as a reader clicks it in Outlook.
        service.send()
        digest = service.mails_to(ANNA, 2)[1]
        unsubscribe = str(digest["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
        page.goto(unsubscribe)
        page.get_by_role("heading", name="Avsluta prenumerationen?").wait_for()
        accessible(page, axe_script)
        assert service.state(ANNA) == "active"
        page.get_by_role("button", name="Avsluta prenumerationen").click()
        page.get_by_role("heading", name="Prenumerationen är avslutad").wait_for()
        accessible(page, axe_script)
        assert service.state(ANNA) == "unsubscribed"

        page.goto(unsubscribe.replace("token=", "token=x"))
        page.get_by_role("heading", name="Länken fungerar inte").wait_for()
        accessible(page, axe_script)
        assert errors == []
    finally:
        context.close()
