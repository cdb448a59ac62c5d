"""Local stand-ins for Microsoft's services, served over HTTPS on 127.0.0.1.

Microsoft cannot be reached from the tests, so each service here speaks the request and error
shapes that Microsoft documents, and no more:

- the Entra ID token endpoint (OpenID discovery document, client-credentials grant with a
  client secret or a certificate-signed assertion, ``invalid_client`` errors);
- Exchange Online's SMTP ``AUTH XOAUTH2`` (an aiosmtpd handler that checks the exact SASL string);
- Graph's ``POST /users/{id}/sendMail`` with a base64 MIME body (202, 429 + Retry-After, 503,
  401 ``InvalidAuthenticationToken``, the daily sending limit);
- a Teams Workflows webhook (202 for a card payload).
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import secrets
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.newsletter.testkit import LOCALHOST, MailSink

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
CLIENT_SECRET = "hemlig~Klient.Nyckel_1234567890"
MAILBOX = "it-nyheter@exempelkommun.se"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, **headers: str) -> Response:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json",
                                                         **headers})


Handler = Callable[[Request], Response]


@dataclass
class HttpsServer:
    """A threaded HTTPS server on 127.0.0.1 that hands every request to ``handler``."""

    port: int
    handler: Handler
    requests: list[Request] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"https://{LOCALHOST}:{self.port}"


@contextmanager
def serve_https(handler: Handler, context: ssl.SSLContext) -> Iterator[HttpsServer]:
    state = HttpsServer(0, handler)

    class Http(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers),
                              self.rfile.read(length))
            state.requests.append(request)
            response = state.handler(request)
            if response.status == 0:  # the request was taken, the connection dies unanswered
                self.close_connection = True
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = _any

    server = ThreadingHTTPServer((LOCALHOST, 0), Http)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class TokenService:
    """Entra ID's v2.0 endpoints for one tenant: discovery and the client-credentials grant.

    Accepts ``CLIENT_SECRET`` or, when ``certificate_pem`` is set, a client assertion signed
    with that certificate's key (checked with PyJWT, the x5t#S256 header against the
    certificate).  Each token lives ``lifetime`` seconds; ``revoke_all`` ends them early.
    """

    origin: str = ""
    lifetime: int = 3600
    certificate_pem: bytes | None = None
    scopes: list[str] = field(default_factory=list)
    issued: dict[str, float] = field(default_factory=dict)  # token -> expiry by ``clock``
    clock: Callable[[], float] = time.monotonic
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def token_endpoint(self) -> str:
        return f"{self.origin}/{TENANT}/oauth2/v2.0/token"

    def valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.issued.get(token)
        return expiry is not None and self.clock() < expiry

    def revoke_all(self) -> None:
        with self.lock:
            self.issued.clear()

    def __call__(self, request: Request) -> Response:
        discovery = f"/{TENANT}/v2.0/.well-known/openid-configuration"
        if request.method == "GET" and request.path == discovery:
            base = f"{self.origin}/{TENANT}"
            return Response.json(200, {
                "token_endpoint": self.token_endpoint,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{self.origin}/{TENANT}/v2.0",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post", "private_key_jwt", "client_secret_basic"],
            })
        if request.method == "POST" and request.path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token(request)
        return Response.json(404, {"error": "not_found"})

    def _error(self, status: int, error: str, code: int, text: str) -> Response:
        return Response.json(status, {
            "error": error, "error_description": f"AADSTS{code}: {text}",
            "error_codes": [code], "timestamp": "2026-11-29 12:00:00Z",
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000001",
        })

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return self._error(400, "unauthorized_client", 700016, "Application not found.")
        if not self._client_authenticated(form):
            return self._error(401, "invalid_client", 7000215,
                               "Invalid client secret provided.")
        scope = form.get("scope", "")
        self.scopes.append(scope)
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with self.lock:
            self.issued[token] = self.clock() + self.lifetime
        return Response.json(200, {"token_type": "Bearer", "expires_in": self.lifetime,
                                   "ext_expires_in": self.lifetime, "access_token": token})

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        if self.certificate_pem is None:
            return form.get("client_secret") == CLIENT_SECRET
        if form.get("client_assertion_type") != (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
            return False
        assertion = form.get("client_assertion", "")
        certificate = x509.load_pem_x509_certificate(self.certificate_pem)
        header = jwt.get_unverified_header(assertion)
        # base64url of the SHA-256 thumbprint (RFC 7515 4.1.8); msal keeps the padding.
        thumbprint = str(header.get("x5t#S256", "")).rstrip("=")
        if thumbprint != _b64url(certificate.fingerprint(hashes.SHA256())):
            return False
        try:
            claims = jwt.decode(assertion, certificate.public_key(),  # type: ignore[arg-type]
                                algorithms=["PS256", "RS256"], audience=self.token_endpoint,
                                issuer=CLIENT_ID)
        except jwt.InvalidTokenError:
            return False
        return bool(claims.get("sub") == CLIENT_ID and claims.get("jti"))


@dataclass
class XOAuth2Sink(MailSink):
    """Exchange Online's SMTP AUTH as far as a client sees it: XOAUTH2 with a valid token.

    The SASL string must be exactly ``user=<MAILBOX>^Aauth=Bearer <token>^A^A``; anything else,
    or a token the token service does not hold as valid, gets ``535 5.7.3``.  After
    ``per_connection`` messages a session is ended with 421, as servers do, so the client must
    sign in again in the middle of a run.
    """

    tokens: TokenService = field(default_factory=TokenService)
    per_connection: int = 0
    data_delay: float = 0.0
    accepted: list[str] = field(default_factory=list)
    refused: list[bytes] = field(default_factory=list)
    sign_ins: int = 0  # AUTH attempts, counted as they begin
    on_message: Callable[[int], None] | None = None
    # Messages per session, by the session object: an id() is reused once a closed session is
    # freed, and a new connection must not inherit the count of an old one.
    _sessions: weakref.WeakKeyDictionary[Any, int] = field(
        default_factory=weakref.WeakKeyDictionary)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        self.sign_ins += 1
        if len(args) < 2:
            return AuthResult(success=False, handled=False,
                              message="535 5.7.3 Authentication unsuccessful")
        try:
            sasl = base64.b64decode(args[1], validate=True)
        except ValueError:
            sasl = b""
        prefix, bearer = f"user={MAILBOX}\x01auth=Bearer ".encode(), b"\x01\x01"
        token = sasl[len(prefix):-len(bearer)].decode("ascii", "replace")
        if sasl.startswith(prefix) and sasl.endswith(bearer) and self.tokens.valid(token):
            self.accepted.append(token)
            return AuthResult(success=True, auth_data=token)
        self.refused.append(sasl)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.3 Authentication unsuccessful")

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if not session.authenticated:
            return "530 5.7.57 Client not authenticated to send mail"
        sent = self._sessions.get(session, 0)
        if self.per_connection and sent >= self.per_connection:
            server.transport.close()
            return "421 4.7.0 Connection closed, too many messages"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self._sessions[session] = self._sessions.get(session, 0) + 1
        reply = await super().handle_DATA(server, session, envelope)
        if self.on_message is not None:
            self.on_message(self.count())
        return reply



def graph_error(status: int, code: str, message: str, **headers: str) -> Response:
    """An error in the shape Graph documents: ``{"error": {"code", "message", "innerError"}}``."""
    return Response.json(status, {"error": {
        "code": code, "message": message,
        "innerError": {"date": "2026-11-29T12:00:00", "request-id": "0000-1",
                       "client-request-id": "0000-2"},
    }}, **headers)


@dataclass
class GraphMail:
    recipient: str
    mime: bytes
    at: float


@dataclass
class GraphService:
    """``POST /v1.0/users/{MAILBOX}/sendMail`` taking a base64 MIME message as text/plain.

    ``script(recipient, attempt)`` may answer instead of accepting (attempt counts from 1);
    ``drop_after`` holds recipients whose message is taken but whose connection is cut before
    the 202; ``quota`` ends the day's sending after that many messages with Exchange's
    ``ErrorSubmissionQuotaExceeded``.
    """

    tokens: TokenService
    mails: list[GraphMail] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    script: Callable[[str, int], Response | None] | None = None
    drop_after: set[str] = field(default_factory=set)
    quota: int | None = None
    unauthorized: int = 0  # how many 401s were answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for mail in self.mails:
                counts[mail.recipient] = counts.get(mail.recipient, 0) + 1
        return counts

    def count(self) -> int:
        with self.lock:
            return len(self.mails)

    def __call__(self, request: Request) -> Response:
        if request.method != "POST" or request.path != f"/v1.0/users/{MAILBOX}/sendMail":
            return graph_error(404, "ResourceNotFound", "Resource not found.")
        auth = request.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and self.tokens.valid(auth[len("Bearer "):])):
            with self.lock:
                self.unauthorized += 1
            return graph_error(401, "InvalidAuthenticationToken",
                               "Access token has expired or is not yet valid.")
        if request.headers.get("Content-Type") != "text/plain":
            return graph_error(415, "UnsupportedMediaType", "Content-Type must be text/plain.")
        try:
            mime = base64.b64decode(request.body, validate=True)
        except ValueError:
            return graph_error(400, "ErrorMimeContentInvalidBase64String",
                               "Invalid base64 string for MIME content.")
        message = email.message_from_bytes(mime, policy=email.policy.default)
        recipient = str(message["To"].addresses[0].addr_spec).lower()
        with self.lock:
            attempt = self.attempts[recipient] = self.attempts.get(recipient, 0) + 1
            if self.quota is not None and len(self.mails) >= self.quota:
                return graph_error(403, "ErrorSubmissionQuotaExceeded",
                                   "Cannot send mail: the daily submission quota is exceeded.")
        answer = self.script(recipient, attempt) if self.script else None
        if answer is not None:
            return answer
        with self.lock:
            self.mails.append(GraphMail(recipient, mime, time.monotonic()))
        if recipient in self.drop_after:
            return Response(0)
        return Response(202)
