"""STARTTLS and implicit TLS with login, against aiosmtpd on 127.0.0.1 with a certificate made
for the test (openssl) and trusted through SSL_CERT_FILE."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.newsletter.testkit import LOCALHOST, Cli, MailSink, free_port

USER, PASSWORD = "nyhetsbrev", "hemligt"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return Certificate(cert, key)


def authenticator(server: object, session: object, envelope: object, mechanism: str,
                  data: object) -> AuthResult:
    return AuthResult(success=isinstance(data, LoginPassword)
                      and (data.login, data.password) == (USER.encode(), PASSWORD.encode()))


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request: pytest.FixtureRequest, certificate: Certificate
               ) -> Iterator[tuple[str, int, MailSink]]:
    sink = MailSink()
    port = free_port()
    if request.param == "starttls":
        controller = Controller(sink, hostname=LOCALHOST, port=port, authenticator=authenticator,
                                auth_required=True, tls_context=certificate.context(),
                                require_starttls=True)
    else:
        # The whole connection is TLS here; aiosmtpd only tracks TLS begun by STARTTLS, so
        # it must be told not to hide AUTH.
        controller = Controller(sink, hostname=LOCALHOST, port=port, authenticator=authenticator,
                                auth_required=True, auth_require_tls=False,
                                ssl_context=certificate.context())
    controller.start()
    try:
        yield request.param, port, sink
    finally:
        controller.stop()


def test_login_over_tls_delivers(run: Cli, feed_file: Path, certificate: Certificate,
                                 tls_server: tuple[str, int, MailSink]) -> None:
    security, port, sink = tls_server
    run("subscribers", "add", "anna@exempelkommun.se")
    env = {"SMTP_HOST": LOCALHOST, "SMTP_PORT": str(port), "SMTP_SECURITY": security,
           "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(certificate.cert)}
    result = run("send", "--feed", str(feed_file), env=env)
    assert result.exit_code == 0, result.output
    assert sink.by_recipient() == {"anna@exempelkommun.se": 1}


def test_an_untrusted_certificate_is_refused(run: Cli, feed_file: Path,
                                             tls_server: tuple[str, int, MailSink]) -> None:
    security, port, sink = tls_server
    run("subscribers", "add", "anna@exempelkommun.se")
    env = {"SMTP_HOST": LOCALHOST, "SMTP_PORT": str(port), "SMTP_SECURITY": security,
           "SMTP_USER": USER, "SMTP_PASSWORD": PASSWORD}
    result = run("send", "--feed", str(feed_file), env=env)
    assert result.exit_code != 0
    assert "certificate" in result.output.lower() or "ssl" in result.output.lower(), result.output
    assert sink.by_recipient() == {}
