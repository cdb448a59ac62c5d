"""SMTP with OAuth 2.0: AUTH XOAUTH2 after STARTTLS against aiosmtpd on 127.0.0.1, with tokens
from the local Entra ID stand-in over HTTPS (Exchange Online and Entra ID cannot be reached
from the tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller

from newsletter.transports import m365
from tests.newsletter.m365.conftest import Entra, LocalCa
from tests.newsletter.m365.kit import CLIENT_SECRET, MAILBOX, XOAuth2Sink
from tests.newsletter.testkit import LOCALHOST, Cli, free_port


@dataclass
class Exchange:
    sink: XOAuth2Sink
    env: dict[str, str | None]


@pytest.fixture
def exchange(entra: Entra, test_ca: LocalCa) -> Iterator[Exchange]:
    sink = XOAuth2Sink(tokens=entra.service)
    port = free_port()
    controller = Controller(sink, hostname=LOCALHOST, port=port, auth_required=True,
                            tls_context=test_ca.server_context(), require_starttls=True)
    controller.start()
    try:
        yield Exchange(sink, {
            **entra.env, "SMTP_HOST": LOCALHOST, "SMTP_PORT": str(port),
            "SMTP_SECURITY": "starttls", "SMTP_AUTH": "xoauth2", "SMTP_USER": MAILBOX,
            "SMTP_PASSWORD": None, "NEWSLETTER_TRANSPORT": None,
        })
    finally:
        controller.stop()


def _subscribe(run: Cli, tmp_path: Path, count: int) -> set[str]:
    addresses = {f"person{n:03d}@exempelkommun.se" for n in range(count)}
    csv = tmp_path / "people.csv"
    csv.write_text("email,name,topics\n" + "".join(f"{a},,\n" for a in sorted(addresses)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    return addresses


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))


def test_token_renewed_before_expiry_in_the_middle_of_a_run(
    run: Cli, exchange: Exchange, entra: Entra, feed_file: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Time is the one thing not real here: on a loaded machine, wall-clock seconds make tokens
    # expire at random points of the run.  The token service and the newsletter read one
    # clock, moved by the server: a quarter second per message, a second per sign-in (counted
    # when it begins, so time passes between the newsletter's look at its token and the
    # server's).
    def clock() -> float:
        return exchange.sink.count() / 4 + exchange.sink.sign_ins

    entra.service.clock = clock
    monkeypatch.setattr(m365, "token_clock", clock)
    entra.service.lifetime = 5  # renewed from 3.75 s on (a quarter of its life before the end)
    exchange.sink.per_connection = 4  # the server ends each session after four messages
    addresses = _subscribe(run, tmp_path, 24)
    result = run("send", "--feed", str(feed_file), env=exchange.env)
    assert result.exit_code == 0, result.output
    assert exchange.sink.by_recipient() == dict.fromkeys(addresses, 1)
    assert exchange.sink.refused == []  # never an expired token: renewed before it ran out
    sessions = len(exchange.sink.accepted)
    assert sessions == 6
    # The newsletter looks at its token at 0, 2, 4, 6, 8 and 10 s (four messages and a
    # sign-in apart) and the server one second later: a token asked for at 0 s is good until
    # 5 s but renewed from 3.75 s on, so sessions 1, 3 and 5 ask and 2, 4 and 6 reuse it.
    # Without the margin the third session would bring the first token at 5 s: refused.
    assert entra.token_requests() == 3
    assert len(set(exchange.sink.accepted)) == 3
    assert exchange.sink.accepted[0] == exchange.sink.accepted[1] != exchange.sink.accepted[2]
    assert set(entra.service.scopes) == {"https://outlook.office365.com/.default"}


def test_a_refused_token_is_renewed_once_and_the_run_goes_on(
    run: Cli, exchange: Exchange, entra: Entra, feed_file: Path, tmp_path: Path
) -> None:
    exchange.sink.per_connection = 3

    def revoke_after_third(count: int) -> None:
        if count == 3:
            entra.service.revoke_all()  # the cached token still looks good to the client

    exchange.sink.on_message = revoke_after_third
    addresses = _subscribe(run, tmp_path, 5)
    result = run("send", "--feed", str(feed_file), env=exchange.env)
    assert result.exit_code == 0, result.output
    assert exchange.sink.by_recipient() == dict.fromkeys(addresses, 1)
    assert len(exchange.sink.refused) == 1
    assert entra.token_requests() == 2
    assert _statuses(run.db) == {"sent": 5}


def test_a_wrong_secret_stops_the_run_without_showing_it(
    run: Cli, exchange: Exchange, feed_file: Path, tmp_path: Path
) -> None:
    _subscribe(run, tmp_path, 2)
    wrong = CLIENT_SECRET[::-1]
    result = run("-vv", "send", "--feed", str(feed_file),
                 env={**exchange.env, "M365_CLIENT_SECRET": wrong})
    assert result.exit_code == 5, result.output
    assert "invalid_client" in result.stderr and "AADSTS7000215" in result.stderr
    assert wrong not in result.output and CLIENT_SECRET not in result.output
    assert exchange.sink.count() == 0
    assert _statuses(run.db) == {"pending": 2}  # kept for the next run


def test_a_server_that_keeps_refusing_the_token_stops_the_run(
    run: Cli, exchange: Exchange, entra: Entra, feed_file: Path, tmp_path: Path
) -> None:
    _subscribe(run, tmp_path, 2)
    result = run("send", "--feed", str(feed_file),
                 env={**exchange.env, "SMTP_USER": "someone-else@exempelkommun.se"})
    assert result.exit_code == 5, result.output
    assert "535 5.7.3" in result.stderr and "even when new" in result.stderr
    assert entra.token_requests() == 2  # renewed once, not in a loop
    assert _statuses(run.db) == {"pending": 2}


def test_certificate_credential(
    run: Cli, exchange: Exchange, entra: Entra, test_ca: LocalCa, feed_file: Path,
    tmp_path: Path
) -> None:
    # Entra ID takes RSA certificates only.
    app = test_ca.ca.issue_cert("nyhetsbrev-app.exempelkommun.se", key_type=trustme.KeyType.RSA)
    pem = tmp_path / "app.pem"
    pem.write_bytes(app.private_key_pem.bytes() + app.cert_chain_pems[0].bytes())
    entra.service.certificate_pem = app.cert_chain_pems[0].bytes()
    addresses = _subscribe(run, tmp_path, 2)
    env = {**exchange.env, "M365_CLIENT_SECRET": None, "M365_CLIENT_CERT": str(pem)}
    result = run("-vv", "send", "--feed", str(feed_file), env=env)
    assert result.exit_code == 0, result.output
    assert exchange.sink.by_recipient() == dict.fromkeys(addresses, 1)
    assert "PRIVATE KEY" not in result.output
