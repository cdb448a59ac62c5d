"""Microsoft 365 sign-in for the app: settings and access tokens by the client-credentials flow.

The app signs in as itself (no user), with a client secret or a certificate, through ``msal``.
Tokens are kept in memory and renewed shortly before they expire, so a long run never sends an
expired one; a caller that is told a token is no longer good forces one renewal.

No secret, token or private key ever goes into a message of this module: errors name the
setting and the problem only.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from newsletter.errors import ConfigError, TransportError

log = logging.getLogger(__name__)

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
SMTP_SCOPE = "https://outlook.office365.com/.default"
# Renew this long before expiry at most; short-lived tokens are renewed at a quarter of
# their lifetime before it ends instead.
RENEW_MARGIN = 300.0
TOKEN_TIMEOUT = 30.0

_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _https_url(name: str, value: str, problems: list[str]) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        problems.append(f"{name} must be an https:// address, not {value!r}")
    return value.rstrip("/")


@dataclass(frozen=True)
class ClientCertificate:
    """The app's certificate: its private key and certificate as PEM, read from one file."""

    path: Path
    private_key: str = field(repr=False)
    certificate: str
    sha1: str
    sha256: str


def _read_certificate(path_text: str, thumbprint: str, problems: list[str]
                      ) -> ClientCertificate | None:
    """Read and check ``M365_CLIENT_CERT``; a problem is appended and None returned."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = Path(path_text)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        problems.append(f"M365_CLIENT_CERT: cannot read {path}: {exc.strerror or exc}")
        return None
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        problems.append(f"M365_CLIENT_CERT: {path} holds no PEM certificate")
        return None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        # TypeError: the key is encrypted; say so without showing any of the file.
        problems.append(
            f"M365_CLIENT_CERT: {path} holds no unencrypted PEM private key beside the certificate"
        )
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        problems.append(f"M365_CLIENT_CERT: {path} holds a {type(key).__name__}; "
                        "Entra ID takes RSA certificates only")
        return None
    sha1 = certificate.fingerprint(hashes.SHA1()).hex().upper()  # the portal shows SHA-1
    sha256 = certificate.fingerprint(hashes.SHA256()).hex().upper()
    wanted = thumbprint.replace(":", "").replace(" ", "").upper()
    if wanted and (not _HEX.match(wanted) or wanted not in (sha1, sha256)):
        problems.append(
            f"M365_CLIENT_CERT_THUMBPRINT {thumbprint!r} is not the thumbprint of the certificate"
            f" in {path} (SHA-1 {sha1})"
        )
        return None
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return ClientCertificate(path, pem.decode("ascii"), cert_pem, sha1, sha256)


@dataclass(frozen=True)
class M365Settings:
    """Who the app is in Entra ID and where to ask for tokens and send mail."""

    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate: ClientCertificate | None = None
    authority: str = DEFAULT_AUTHORITY
    graph_url: str = DEFAULT_GRAPH_URL

    @property
    def authority_url(self) -> str:
        """The tenant's authority, e.g. ``https://login.microsoftonline.com/<tenant>``."""
        return f"{self.authority}/{self.tenant_id}"

    @property
    def graph_scope(self) -> str:
        """The ``.default`` scope of the Graph host in ``GRAPH_URL`` (national clouds differ)."""
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}/.default"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> M365Settings:
        """Read and check every ``M365_*`` setting, reporting all problems at once."""
        problems: list[str] = []
        tenant = env.get("M365_TENANT_ID", "").strip()
        client = env.get("M365_CLIENT_ID", "").strip()
        secret = env.get("M365_CLIENT_SECRET", "")
        cert_path = env.get("M365_CLIENT_CERT", "").strip()
        thumbprint = env.get("M365_CLIENT_CERT_THUMBPRINT", "").strip()
        if not tenant:
            problems.append("M365_TENANT_ID is not set (the Directory (tenant) ID of Entra ID)")
        elif not (_GUID.match(tenant) or _DOMAIN.match(tenant)):
            problems.append(
                f"M365_TENANT_ID must be a tenant ID (GUID) or domain name, not {tenant!r}"
            )
        if not client:
            problems.append("M365_CLIENT_ID is not set (the Application (client) ID)")
        elif not _GUID.match(client):
            problems.append(f"M365_CLIENT_ID must be a GUID, not {client!r}")
        if secret and cert_path:
            problems.append("set M365_CLIENT_SECRET or M365_CLIENT_CERT, not both")
        elif not secret and not cert_path:
            problems.append("set M365_CLIENT_SECRET or M365_CLIENT_CERT (a PEM with key)")
        if thumbprint and not cert_path:
            problems.append("M365_CLIENT_CERT_THUMBPRINT is set but M365_CLIENT_CERT is not")
        certificate = None
        if cert_path and not secret:
            certificate = _read_certificate(cert_path, thumbprint, problems)
        authority = _https_url(
            "M365_AUTHORITY", env.get("M365_AUTHORITY", "").strip() or DEFAULT_AUTHORITY, problems
        )
        graph_url = _https_url(
            "GRAPH_URL", env.get("GRAPH_URL", "").strip() or DEFAULT_GRAPH_URL, problems
        )
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(tenant, client, secret or None, certificate, authority, graph_url)


def _credential(settings: M365Settings) -> str | dict[str, str]:
    if settings.certificate is not None:
        # With the certificate itself msal signs with its SHA-256 thumbprint (x5t#S256, PS256),
        # which Entra ID prefers to the SHA-1 one.
        return {
            "private_key": settings.certificate.private_key,
            "public_certificate": settings.certificate.certificate,
        }
    assert settings.client_secret is not None
    return settings.client_secret


@dataclass
class _Token:
    value: str = field(repr=False)
    renew_at: float


def token_clock() -> float:
    """The clock token lifetimes are measured by: :func:`time.monotonic`.

    Looked up when a :class:`TokenSource` is made, so that a test running the whole CLI can
    put a clock of its own in its place (the one thing a test cannot wait for).
    """
    return time.monotonic()


class TokenSource:
    """Access tokens for one scope, renewed shortly before they expire.

    ``clock`` is :func:`token_clock` unless a test gives another.
    """

    def __init__(self, settings: M365Settings, scope: str, *,
                 clock: Callable[[], float] | None = None) -> None:
        self.settings = settings
        self.scope = scope
        self._clock = clock or token_clock
        self._app: Any = None
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self.renewals = 0

    def _application(self) -> Any:
        if self._app is None:
            import msal

            session = requests.Session()
            self._app = msal.ConfidentialClientApplication(
                self.settings.client_id,
                client_credential=_credential(self.settings),
                authority=self.settings.authority_url,
                # The authority is tenant-specific already; discovery through
                # login.microsoftonline.com would only add a request (and fail for
                # a test or sovereign authority).
                instance_discovery=False,
                http_client=session,
                timeout=TOKEN_TIMEOUT,
            )
        return self._app

    def token(self) -> str:
        """A token that is good for a while yet."""
        with self._lock:
            if self._token is not None and self._clock() < self._token.renew_at:
                return self._token.value
            return self._fetch()

    def renew(self) -> str:
        """Forget the token (the server refused it) and get a new one."""
        with self._lock:
            self._token = None
            if self._app is not None:
                self._app.remove_tokens_for_client()
            return self._fetch()

    def _fetch(self) -> str:
        asked = self._clock()
        where = self.settings.authority_url
        try:
            result = self._application().acquire_token_for_client(scopes=[self.scope])
        except (requests.RequestException, ValueError, RuntimeError, OSError) as exc:
            # msal reports a failed discovery as ValueError/RuntimeError; neither carries a
            # secret, but keep only the type and the first line to stay short.
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise TransportError(
                f"cannot get an access token from {where}: {type(exc).__name__}: {first}"
            ) from exc
        if "access_token" not in result:
            error = result.get("error", "unknown_error")
            description = " ".join(str(result.get("error_description", "")).split())
            raise TransportError(
                f"Entra ID refused an access token for {self.scope}: {error}: {description}"
            )
        lifetime = float(result.get("expires_in", 3600))
        margin = min(RENEW_MARGIN, lifetime / 4)
        self._token = _Token(result["access_token"], asked + lifetime - margin)
        self.renewals += 1
        log.info("access token for %s, valid for %d s", self.scope, lifetime)
        return self._token.value


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response before base64 (smtplib encodes it)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"

