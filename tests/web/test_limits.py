"""Rate limits and proxy headers of the service, through Flask's test client (no socket needed:
these are about counting requests, not about the network)."""

from __future__ import annotations

from email.headerregistry import Address
from pathlib import Path

import pytest
from flask import Flask

from newsletter.digest import MailSettings
from newsletter.links import Links
from newsletter.store import Store
from newsletter.subscribers import make_subscriber
from newsletter.tokens import Purpose, Signer
from newsletter.topics import Vocabulary, legacy_choices
from newsletter.transports.outbox import OutboxTransport
from newsletter.web.app import ServiceConfig, create_app
from newsletter.web.ratelimit import RateLimiter
from tests.web.support import csrf


def make_app(tmp_path: Path, **options: object) -> Flask:
    sender = Address("Nytt från IT", "it-nyheter", "exempelkommun.se")
    links = Links("https://nyhetsbrev.exempelkommun.se/", Signer("hemligt", "lista"))
    settings = MailSettings(sender, "abcd", "lista", "it-nyheter@exempelkommun.se", links=links)
    config = ServiceConfig(tmp_path / "db.sqlite", settings, links, **options)  # type: ignore[arg-type]
    app = create_app(config, lambda: OutboxTransport(tmp_path / "outbox"))
    app.config["TESTING"] = True
    return app


def post_form(client: object, address: str, **environ: str) -> int:
    form = client.get("/", environ_base=environ)  # type: ignore[attr-defined]
    response = client.post(  # type: ignore[attr-defined]
        "/", data={"csrf": csrf(form.get_data(as_text=True)), "email": address},
        environ_base=environ,
    )
    return int(response.status_code)


def outbox_count(tmp_path: Path, app: Flask) -> int:
    app.extensions["newsletter_mailer"].close()
    return len(list((tmp_path / "outbox").glob("*.eml")))


def test_subscribing_is_limited_per_client(tmp_path: Path) -> None:
    app = make_app(tmp_path, client_limit=(2, 600.0))
    client = app.test_client()
    assert [post_form(client, f"p{n}@exempelkommun.se") for n in range(3)] == [200, 200, 429]
    # Another client is not affected.
    assert post_form(client, "q@exempelkommun.se", REMOTE_ADDR="10.0.0.7") == 200
    with Store(tmp_path / "db.sqlite") as store:
        assert store.subscriber("p2@exempelkommun.se") is None


def test_mail_to_one_address_is_limited_without_a_different_answer(tmp_path: Path) -> None:
    app = make_app(tmp_path, address_limit=(1, 3600.0))
    client = app.test_client()
    assert post_form(client, "p@exempelkommun.se") == 200
    assert post_form(client, "P@exempelkommun.se") == 200
    assert outbox_count(tmp_path, app) == 1


@pytest.mark.parametrize(("hops", "expected_limited"), [(0, True), (1, False)])
def test_forwarded_client_address_is_trusted_only_when_told(
    tmp_path: Path, hops: int, expected_limited: bool
) -> None:
    app = make_app(tmp_path, client_limit=(1, 600.0), proxy_hops=hops)
    client = app.test_client()
    statuses = [
        post_form(client, f"p{n}@exempelkommun.se", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
        for n in range(2)
    ]
    # Without hops every request is the proxy's own address: one client, limited at once.
    assert (statuses[1] == 429) is expected_limited


def test_rate_limiter_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    now[0] = 10.5
    assert limiter.allow("a") is True


def test_a_migrated_subscriber_sees_their_choices_in_words(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with Store(tmp_path / "db.sqlite") as store:
        store.save_vocabulary(Vocabulary(("Säkerhet", "Tips"), ("alla", "skola"), "alla"))
        store.upsert_subscriber(make_subscriber("p@exempelkommun.se"), reactivate=True)
        found = store.subscriber("p@exempelkommun.se")
        assert found is not None
        store.set_choices(found.id, legacy_choices(["skola", "Säkerhet"]), "test")
    link = Links("https://nyhetsbrev.exempelkommun.se/", Signer("hemligt", "lista")).link(
        Purpose.MANAGE, found.id, found.token_key)
    page = app.test_client().get(link.removeprefix("https://nyhetsbrev.exempelkommun.se"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Du får i dag: Säkerhet; alla nyheter för skola; alla nyheter till alla." in text
