"""Every Microsoft 365 setting is checked before the run fetches or sends anything."""

from __future__ import annotations

from pathlib import Path

import trustme

from tests.newsletter.m365.conftest import Entra, LocalCa
from tests.newsletter.testkit import Cli, FeedServer, Route


def test_every_problem_one_line_and_nothing_fetched(
    run: Cli, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.routes["/feeds/news.rss.xml"] = Route(b"<rss/>")
    env: dict[str, str | None] = {
        "NEWSLETTER_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_AUTH": "xoauth2",
        "SMTP_USER": None, "SMTP_PASSWORD": "hemligt-lösenord", "SMTP_SECURITY": "none",
    }
    result = run("send", "--feed", feed_server.url(), env=env)
    assert result.exit_code == 8, result.output
    assert result.stderr.splitlines() == [
        "newsletter: error: SMTP_AUTH=xoauth2 needs SMTP_USER (the mailbox that sends)",
        "newsletter: error: SMTP_AUTH=xoauth2 signs in with a token: unset SMTP_PASSWORD",
        "newsletter: error: SMTP_AUTH=xoauth2 needs SMTP_SECURITY starttls or ssl",
    ]
    assert "hemligt-lösenord" not in result.output
    env = {"NEWSLETTER_TRANSPORT": "graph", "M365_TENANT_ID": "kommunen",
           "M365_CLIENT_ID": "abc", "M365_CLIENT_SECRET": "hemligt",
           "M365_CLIENT_CERT": str(tmp_path / "saknas.pem"),
           "M365_AUTHORITY": "http://login.example", "GRAPH_URL": None}
    result = run("send", "--feed", feed_server.url(), env=env)
    assert result.exit_code == 8, result.output
    assert result.stderr.splitlines() == [
        "newsletter: error: M365_TENANT_ID must be a tenant ID (GUID) or domain name, "
        "not 'kommunen'",
        "newsletter: error: M365_CLIENT_ID must be a GUID, not 'abc'",
        "newsletter: error: set M365_CLIENT_SECRET or M365_CLIENT_CERT, not both",
        "newsletter: error: M365_AUTHORITY must be an https:// address, not 'http://login.example'",
    ]
    assert "hemligt" not in result.output
    assert feed_server.hits("/feeds/news.rss.xml") == 0


def test_certificate_file_problems(run: Cli, entra: Entra, test_ca: LocalCa,
                                   feed_file: Path, tmp_path: Path) -> None:
    env = {**entra.env, "NEWSLETTER_TRANSPORT": "graph", "M365_CLIENT_SECRET": None}

    def problem(pem: Path, thumbprint: str | None = None) -> str:
        result = run("send", "--feed", str(feed_file),
                     env={**env, "M365_CLIENT_CERT": str(pem),
                          "M365_CLIENT_CERT_THUMBPRINT": thumbprint})
        assert result.exit_code == 8, result.output
        assert "PRIVATE KEY" not in result.output
        return result.stderr.strip()

    rsa = test_ca.ca.issue_cert("app.exempelkommun.se", key_type=trustme.KeyType.RSA)
    only_cert = tmp_path / "cert.pem"
    only_cert.write_bytes(rsa.cert_chain_pems[0].bytes())
    assert problem(only_cert).endswith("holds no unencrypted PEM private key beside the "
                                       "certificate")
    ec = test_ca.ca.issue_cert("app.exempelkommun.se")  # trustme's default: an EC key
    ec_pem = tmp_path / "ec.pem"
    ec_pem.write_bytes(ec.private_key_pem.bytes() + ec.cert_chain_pems[0].bytes())
    assert problem(ec_pem).endswith("Entra ID takes RSA certificates only")
    good = tmp_path / "app.pem"
    good.write_bytes(rsa.private_key_pem.bytes() + rsa.cert_chain_pems[0].bytes())
    message = problem(good, "AB" * 20)
    assert f"M365_CLIENT_CERT_THUMBPRINT {'AB' * 20!r} is not the thumbprint" in message
