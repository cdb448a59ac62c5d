"""Handing messages to an SMTP server on one reused connection.

Outcomes: sent when the server says 250 after the data, deferred on 4xx or a connection lost
before the end of the data, failed on 5xx, unknown when the connection is lost after the data
was sent and before the answer.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from newsletter.errors import ConfigError, NewsletterError, SmtpError
from newsletter.transports.base import Outcome, Pending, Result
from newsletter.transports.m365 import SMTP_SCOPE, TokenSource, xoauth2_string

log = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
AUTH_MODES = ("password", "xoauth2")


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the relay; the password comes from the environment only."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    auth: str = "password"
    oauth_scope: str = SMTP_SCOPE

    @property
    def xoauth2(self) -> bool:
        """Sign in with an OAuth 2.0 access token (Exchange Online) instead of a password."""
        return self.auth == "xoauth2"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpConfig | None:
        """From ``SMTP_HOST`` and friends; None when ``SMTP_HOST`` is not set."""
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in SECURITY_MODES:
            raise ConfigError(
                f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        if any(c.isspace() or c in "/@" for c in host):
            # A typo found now, not as "Name or service not known" after the feed was read.
            raise ConfigError(f"SMTP_HOST must be a host name or IP address, not {host!r}")
        port_text = env.get("SMTP_PORT", "").strip()
        port = DEFAULT_PORTS[security]
        if port_text:
            # isdecimal, not isdigit: "²" is a digit that int() refuses.
            if not port_text.isdecimal() or not 1 <= int(port_text) <= 65535:
                raise ConfigError(
                    f"SMTP_PORT must be a number from 1 to 65535, not {port_text!r}")
            port = int(port_text)
        user = env.get("SMTP_USER") or None
        password = env.get("SMTP_PASSWORD") or None
        auth = env.get("SMTP_AUTH", "").strip().lower() or "password"
        if auth not in AUTH_MODES:
            raise ConfigError(f"SMTP_AUTH must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
        if auth == "xoauth2":
            problems = []
            if not user:
                problems.append("SMTP_AUTH=xoauth2 needs SMTP_USER (the mailbox that sends)")
            if password:
                problems.append("SMTP_AUTH=xoauth2 signs in with a token: unset SMTP_PASSWORD")
            if security == "none":
                problems.append("SMTP_AUTH=xoauth2 needs SMTP_SECURITY starttls or ssl")
            if problems:
                raise ConfigError("\n".join(problems))
        elif user and not password:
            raise ConfigError("SMTP_USER is set but SMTP_PASSWORD is not")
        scope = env.get("SMTP_OAUTH_SCOPE", "").strip() or SMTP_SCOPE
        return cls(host, port, security, user, password, auth=auth, oauth_scope=scope)


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"


class SmtpTransport:
    """One SMTP connection reused for many messages, reopened when it drops."""

    def __init__(self, config: SmtpConfig, tokens: TokenSource | None = None) -> None:
        if config.xoauth2 and tokens is None:
            raise ConfigError("SMTP_AUTH=xoauth2 needs the M365_* settings")
        self.config = config
        self.tokens = tokens
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        config = self.config
        try:
            smtp: smtplib.SMTP
            if config.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.xoauth2:
                try:
                    self._xoauth2(smtp)
                except NewsletterError:
                    smtp.close()
                    raise
            elif config.user:
                smtp.login(config.user, config.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(
                f"cannot open an SMTP session with {config.host}:{config.port}: {exc}"
            ) from exc
        self._smtp = smtp
        return smtp

    def _xoauth2(self, smtp: smtplib.SMTP) -> None:
        """AUTH XOAUTH2 with the cached token; a refusal renews the token once and tries again.

        A token can be refused although it looked good for a while yet (revoked, or clocks
        that disagree); a second refusal is not about the token's age and stops the run.
        """
        assert self.tokens is not None and self.config.user is not None
        user = self.config.user
        try:
            self._auth_xoauth2(smtp, user, self.tokens.token())
        except smtplib.SMTPAuthenticationError as exc:
            log.info("the server refused the access token (%s); renewing it once",
                     _answer(exc.smtp_code, exc.smtp_error))
            try:
                self._auth_xoauth2(smtp, user, self.tokens.renew())
            except smtplib.SMTPAuthenticationError as again:
                raise SmtpError(
                    f"{self.config.host} refuses the access token for {user} even when new: "
                    f"{_answer(again.smtp_code, again.smtp_error)}"
                ) from None  # the chained exception would only repeat the answer

    @staticmethod
    def _auth_xoauth2(smtp: smtplib.SMTP, user: str, token: str) -> None:
        initial = xoauth2_string(user, token)

        def respond(challenge: bytes | None = None) -> str:
            # A 334 challenge after the initial response carries the error as JSON; the
            # client answers with an empty line and the server then says 535.
            return initial if challenge is None else ""

        smtp.auth("XOAUTH2", respond, initial_response_ok=True)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        """Say QUIT if the connection is still up."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _refused(self, smtp: smtplib.SMTP, code: int, message: bytes) -> Result:
        answer = _answer(code, message)
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            try:
                smtp.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        if 400 <= code < 500:
            return Result(Outcome.DEFERRED, answer)
        return Result(Outcome.FAILED, answer)

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> Result:
        """Hand over one message and wait for the outcome."""
        return self.begin(sender, recipient, message, key)()

    def begin(self, sender: str, recipient: str, message: bytes, key: str) -> Pending:
        """MAIL, RCPT, DATA step by step, so that a lost connection is placed exactly.

        A drop or a 421 before the data is complete is retried once on a new connection
        (servers close idle or long-used connections); after that the delivery is deferred.
        The returned function reads the answer to the data.
        """
        # Dot-stuffing (RFC 5321 4.5.2).  The pattern only matches at the start or after a
        # line feed; a digest rarely has either, and the scan cost 73 µs a message.
        if message.startswith(b".") or b"\n." in message:
            data = _LEADING_DOT.sub(b"..", message)
        else:
            data = message
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        data += b".\r\n"
        for attempt in (1, 2):
            smtp = self._connection()
            try:
                code, answer = smtp.mail(sender)
                if code >= 500:
                    # A refused sender (or "530 authentication required") fails every
                    # recipient alike: stop the run and keep the deliveries for the next one.
                    self._drop()
                    raise SmtpError(
                        f"{self.config.host} refuses the sender {sender}: {_answer(code, answer)}"
                    )
                if code == 250:
                    # smtplib.sendmail would report a refused recipient in its return value
                    # instead of raising; checking each reply ourselves covers that case too.
                    code, answer = smtp.rcpt(recipient)
                if code in (250, 251):
                    code, answer = smtp.docmd("DATA")
                if code == 354:
                    smtp.send(data)
                    return lambda: self._data_answer(smtp)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if attempt == 1:
                    log.info("SMTP connection lost before the data (%s); reconnecting", exc)
                    continue
                result = Result(Outcome.DEFERRED, f"connection lost before the data: {exc}")
                return lambda: result
            if code == 421 and attempt == 1:
                self._drop()
                continue
            result = self._refused(smtp, code, answer)
            return lambda: result
        raise AssertionError("unreachable")

    def _data_answer(self, smtp: smtplib.SMTP) -> Result:
        try:
            code, answer = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return Result(Outcome.UNKNOWN, f"connection lost after the data: {exc}")
        if code == 250:
            return Result(Outcome.SENT, _answer(code, answer))
        return self._refused(smtp, code, answer)
