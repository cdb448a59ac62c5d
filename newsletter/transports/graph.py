"""Handing messages to Microsoft Graph: ``POST /users/{sender}/sendMail`` with the MIME message.

Graph takes MIME as base64 text (``Content-Type: text/plain``) and answers 202 once Exchange
Online has accepted the message; that 202 is "sent" here as 250 is over SMTP.  The rest:

- 429 and 503 were not processed: wait as ``Retry-After`` says and try again within the run, up
  to a limit, then defer;
- 401 means the token is no longer good: renew it once and try again; a second 401 stops the
  run (every message would meet it), as do 403 and an unknown sender mailbox;
- other 4xx fail this message; 500 and 502 defer it; 504, a read timeout and a connection
  lost after the request was sent leave the outcome unknown;
- Exchange Online's sending limits are kept by pacing (messages per minute) and by a daily
  budget; reaching the budget, or Exchange's own submission quota, raises
  :class:`DailyLimitReached` before anything is sent, so the run stops and the rest waits.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import requests

from newsletter.errors import ConfigError, NewsletterError, TransportError
from newsletter.transports.base import Outcome, Pending, Result
from newsletter.transports.http import never_connected, reason
from newsletter.transports.m365 import TokenSource

log = logging.getLogger(__name__)

# Exchange Online's limits for one mailbox: 30 messages a minute, 10,000 recipients a day.
DEFAULT_PER_MINUTE = 30
DEFAULT_PER_DAY = 10_000
# The longest a run waits in total for Retry-After before it defers a message.
DEFAULT_MAX_WAIT = 120.0
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
_RETRY_STATUSES = (429, 503)
_QUOTA_CODES = ("ErrorSubmissionQuotaExceeded", "ErrorQuotaExceeded")
# The sender mailbox is unknown or cannot use Graph: true for every message alike.
_SENDER_CODES = ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "ResourceNotFound")


class DailyLimitReached(NewsletterError):
    """The day's sending budget is used up; the rest waits for the next run."""

    exit_code = 0


@dataclass(frozen=True)
class GraphLimits:
    """How fast Graph may be asked to send (``GRAPH_MAX_PER_MINUTE``, ``GRAPH_MAX_PER_DAY``)."""

    per_minute: int = DEFAULT_PER_MINUTE
    per_day: int = DEFAULT_PER_DAY
    max_wait: float = DEFAULT_MAX_WAIT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GraphLimits:
        """Read and check the limits, all problems at once."""
        problems: list[str] = []

        def number(name: str, default: float, kind: type[int] | type[float]) -> float:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                value = kind(text)
            except ValueError:
                value = 0
            if value <= 0:
                problems.append(f"{name} must be a positive number, not {text!r}")
                return default
            return value

        per_minute = int(number("GRAPH_MAX_PER_MINUTE", DEFAULT_PER_MINUTE, int))
        per_day = int(number("GRAPH_MAX_PER_DAY", DEFAULT_PER_DAY, int))
        max_wait = number("GRAPH_MAX_WAIT", DEFAULT_MAX_WAIT, float)
        if problems:
            raise ConfigError("\n".join(problems))
        return cls(per_minute, per_day, max_wait)


class RateLimit:
    """Paces sends to ``per_minute`` in any 60 seconds and stops at ``per_day``.

    ``sent_today`` is what the last 24 hours already used (from the database), so that two
    runs in a day share one budget.
    """

    def __init__(self, limits: GraphLimits, sent_today: int = 0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = limits
        self.used = sent_today
        self._recent: deque[float] = deque()
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Wait for a free slot this minute; raise :class:`DailyLimitReached` if none today."""
        if self.used >= self.limits.per_day:
            raise DailyLimitReached(
                f"the daily sending limit of {self.limits.per_day} messages is reached "
                "(GRAPH_MAX_PER_DAY); the rest is sent by a later run"
            )
        while len(self._recent) >= self.limits.per_minute:
            wait = self._recent[0] + 60.0 - self._clock()
            if wait <= 0:
                self._recent.popleft()
            else:
                self._sleep(wait)
        self._recent.append(self._clock())

    def accepted(self) -> None:
        """Count one message Graph took."""
        self.used += 1


def _graph_error(response: requests.Response) -> tuple[str, str]:
    """The ``error.code`` and ``error.message`` of a Graph error body, or the status text."""
    try:
        error = response.json().get("error", {})
        return str(error.get("code", "")), " ".join(str(error.get("message", "")).split())
    except (ValueError, AttributeError):
        return "", response.reason or ""


def _retry_after(response: requests.Response, default: float) -> float:
    text = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        return default  # an HTTP date, or none: Graph sends seconds, so this is rare


class GraphTransport:
    """Sends each message with one ``sendMail`` request on a kept-alive HTTPS session."""

    def __init__(self, graph_url: str, tokens: TokenSource, limits: GraphLimits,
                 sent_today: int = 0, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.tokens = tokens
        self.rate = RateLimit(limits, sent_today, sleep=sleep)
        self.max_wait = limits.max_wait
        self._sleep = sleep
        self._session = requests.Session()

    def __enter__(self) -> GraphTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTPS session."""
        self._session.close()

    def begin(self, sender: str, recipient: str, message: bytes, key: str) -> Pending:
        """Send at once (Graph answers within the request) and hand back the outcome."""
        result = self.send(sender, recipient, message, key)
        return lambda: result

    def send(self, sender: str, recipient: str, message: bytes, key: str) -> Result:
        """One message: pace, POST, and read Graph's answer into an outcome."""
        self.rate.acquire()
        url = f"{self.graph_url}/users/{quote(sender, safe='@')}/sendMail"
        body = base64.b64encode(message)
        waited = 0.0
        renewed = False
        token = self.tokens.token()
        while True:
            try:
                response = self._session.post(
                    url, data=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
                )
            except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
                return Result(Outcome.DEFERRED, f"cannot reach Graph: {type(exc).__name__}")
            except requests.ConnectionError as exc:
                if never_connected(exc):
                    return Result(Outcome.DEFERRED, f"cannot reach Graph: {reason(exc)}")
                return Result(Outcome.UNKNOWN, f"connection lost after the request: "
                                               f"{reason(exc)}")
            except requests.Timeout:
                return Result(Outcome.UNKNOWN, f"no answer from Graph in {READ_TIMEOUT:.0f} s")
            status = response.status_code
            if status == 202:
                self.rate.accepted()
                return Result(Outcome.SENT, "202 Accepted")
            code, text = _graph_error(response)
            answer = f"{status} {code}: {text}".strip()
            if code in _QUOTA_CODES:
                raise DailyLimitReached(f"Exchange Online's sending quota is reached ({answer});"
                                        " the rest is sent by a later run")
            if status == 401 and not renewed:
                log.info("Graph refused the access token (%s); renewing it once", answer)
                token = self.tokens.renew()
                renewed = True
                continue
            if status in _RETRY_STATUSES:
                pause = _retry_after(response, 10.0)
                if waited + pause <= self.max_wait:
                    log.info("Graph says %s; trying again in %.0f s", answer, pause)
                    self._sleep(pause)
                    waited += pause
                    continue
                return Result(Outcome.DEFERRED, answer)
            if status in (401, 403) or code in _SENDER_CODES:
                raise TransportError(f"Graph refuses to send as {sender}: {answer}")
            if status == 504:
                return Result(Outcome.UNKNOWN, answer)
            if status >= 500:
                return Result(Outcome.DEFERRED, answer)
            return Result(Outcome.FAILED, answer)

