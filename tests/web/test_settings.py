"""The service's settings, checked with the newsletter's others (newsletter/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter import settings
from newsletter.errors import ConfigError
from newsletter.headers import unsubscribe_token
from newsletter.tokens import Purpose
from tests.newsletter.testkit import Cli

BASE = {"NEWSLETTER_FROM": "Nytt från IT <it-nyheter@exempelkommun.se>"}
LONG = "x" * 16


def load(**env: str) -> settings.Settings:
    return settings.load({**BASE, **env})


def test_public_url_and_secret_give_links_to_the_service() -> None:
    loaded = load(NEWSLETTER_PUBLIC_URL="https://nyhetsbrev.exempelkommun.se",
                  NEWSLETTER_SECRET=LONG, NEWSLETTER_ALLOWED_DOMAINS="Exempelkommun.se; @skola.se",
                  NEWSLETTER_PROXY_HOPS="1")
    assert loaded.links is not None
    link = loaded.links.link(Purpose.MANAGE, 7, "nyckel")
    assert link.startswith("https://nyhetsbrev.exempelkommun.se/installningar?token=")
    assert loaded.allowed_domains == ("exempelkommun.se", "skola.se")
    assert loaded.proxy_hops == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://localhost/"])
def test_plain_http_only_on_this_machine(url: str) -> None:
    assert load(NEWSLETTER_PUBLIC_URL=url, NEWSLETTER_SECRET=LONG).links is not None


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load(NEWSLETTER_PUBLIC_URL="http://nyhetsbrev.exempelkommun.se/",
             NEWSLETTER_SECRET="kort", NEWSLETTER_PROXY_HOPS="ja",
             NEWSLETTER_CONFIRM_HOURS="0", NEWSLETTER_ALLOWED_DOMAINS="inte en domän")
    lines = str(caught.value).splitlines()
    for name in ("NEWSLETTER_PUBLIC_URL", "NEWSLETTER_SECRET", "NEWSLETTER_PROXY_HOPS",
                 "NEWSLETTER_CONFIRM_HOURS", "NEWSLETTER_ALLOWED_DOMAINS"):
        assert sum(line.startswith(name) for line in lines) == 1, (name, lines)
    assert "kort" not in str(caught.value)  # a secret is never echoed


def test_public_url_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="NEWSLETTER_UNSUBSCRIBE_SECRET"):
        load(NEWSLETTER_PUBLIC_URL="https://nyhetsbrev.exempelkommun.se/")


def test_the_old_secret_name_still_signs_and_its_links_still_work() -> None:
    old = "gammal-hemlighet-1234"
    alias_only = load(NEWSLETTER_PUBLIC_URL="https://n.exempelkommun.se/",
                      NEWSLETTER_UNSUBSCRIBE_SECRET=old)
    assert alias_only.signer is not None and alias_only.signer.secret == old
    rotated = load(NEWSLETTER_SECRET=LONG, NEWSLETTER_UNSUBSCRIBE_SECRET=old)
    assert rotated.signer is not None
    claim = rotated.signer.read(Purpose.UNSUBSCRIBE, unsubscribe_token(old, 42))
    assert (claim.subscriber_id, claim.token_key) == (42, None)


def test_serve_without_a_public_address_stops_with_exit_8(tmp_path: Path) -> None:
    run = Cli(tmp_path / "db.sqlite", {**BASE, "NEWSLETTER_PUBLIC_URL": None,
                                       "NEWSLETTER_SECRET": None, "SMTP_HOST": None,
                                       "NEWSLETTER_UNSUBSCRIBE_SECRET": None,
                                       "NEWSLETTER_UNSUBSCRIBE_URL": None})
    result = run("--db", str(tmp_path / "db.sqlite"), "serve")
    assert result.exit_code == 8
    assert "NEWSLETTER_PUBLIC_URL" in result.stderr and result.stderr.count("\n") == 1


def test_serve_on_an_address_it_cannot_listen_on_is_one_line_exit_8(tmp_path: Path) -> None:
    """Found by the issue 7 audit: a port in use was "unexpected OSError", exit 1, after
    "serving ..." had been printed."""
    import socket

    run = Cli(tmp_path / "db.sqlite", {**BASE, "NEWSLETTER_PUBLIC_URL": "http://127.0.0.1:8080/",
                                       "NEWSLETTER_SECRET": LONG, "SMTP_HOST": None})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--db", str(tmp_path / "db.sqlite"), "serve", "--port", str(port))
    assert result.exit_code == 8, result.output
    assert result.stderr == (f"newsletter: error: cannot listen on 127.0.0.1:{port}"
                             " (--host, --port): Address already in use\n")
