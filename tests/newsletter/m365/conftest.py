"""Fixtures for the Microsoft 365 tests: a test CA (trustme), the local token service, and the
environment that points the newsletter at them."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.newsletter.m365.kit import (
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT,
    GraphService,
    HttpsServer,
    TokenService,
    serve_https,
)
from tests.newsletter.testkit import LOCALHOST


@dataclass(frozen=True)
class LocalCa:
    ca: trustme.CA
    bundle: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(LOCALHOST).configure_cert(context)
        return context


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    """A certificate authority made for the test run; its certificate is the only one trusted."""
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return LocalCa(ca, bundle)


@dataclass
class Entra:
    """The running token service and the settings that point the newsletter at it."""

    service: TokenService
    server: HttpsServer
    env: dict[str, str | None]

    def token_requests(self) -> int:
        return sum(1 for r in self.server.requests if r.path.endswith("/oauth2/v2.0/token"))


@pytest.fixture
def entra(test_ca: LocalCa) -> Iterator[Entra]:
    service = TokenService()
    with serve_https(service, test_ca.server_context()) as server:
        service.origin = server.origin
        env: dict[str, str | None] = {
            "M365_TENANT_ID": TENANT, "M365_CLIENT_ID": CLIENT_ID,
            "M365_CLIENT_SECRET": CLIENT_SECRET, "M365_CLIENT_CERT": None,
            "M365_CLIENT_CERT_THUMBPRINT": None, "M365_AUTHORITY": server.origin,
            # requests (msal, Graph, Teams) and ssl (smtplib) trust the test CA only.
            "REQUESTS_CA_BUNDLE": str(test_ca.bundle), "SSL_CERT_FILE": str(test_ca.bundle),
        }
        yield Entra(service, server, env)


@dataclass
class Graph:
    """The running Graph stand-in and the settings that make ``send`` use it."""

    service: GraphService
    server: HttpsServer
    env: dict[str, str | None]


@pytest.fixture
def graph(entra: Entra, test_ca: LocalCa) -> Iterator[Graph]:
    service = GraphService(tokens=entra.service)
    with serve_https(service, test_ca.server_context()) as server:
        yield Graph(service, server, {
            **entra.env, "NEWSLETTER_TRANSPORT": "graph", "GRAPH_URL": f"{server.origin}/v1.0",
            "GRAPH_MAX_PER_MINUTE": None, "GRAPH_MAX_PER_DAY": None, "GRAPH_MAX_WAIT": None,
            "SMTP_HOST": None,
        })
