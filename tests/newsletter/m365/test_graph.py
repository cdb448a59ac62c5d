"""Microsoft Graph ``sendMail`` against a local HTTPS stand-in that speaks Graph's documented
request and error shapes.  Graph and Entra ID cannot be reached from the tests; what Microsoft
answers is taken from its documentation (sendMail with MIME, throttling with Retry-After,
InvalidAuthenticationToken) and Exchange's ErrorSubmissionQuotaExceeded response code."""

from __future__ import annotations

import base64
import email
import email.policy
import sqlite3
import time
from pathlib import Path

import pytest

from newsletter.transports.graph import DailyLimitReached, GraphLimits, RateLimit
from tests.newsletter.m365.conftest import Entra, Graph
from tests.newsletter.m365.kit import CLIENT_SECRET, MAILBOX, Response, graph_error
from tests.newsletter.testkit import Cli, time_passes


def _subscribe(run: Cli, tmp_path: Path, count: int) -> list[str]:
    addresses = [f"person{n:03d}@exempelkommun.se" for n in range(count)]
    csv = tmp_path / "people.csv"
    csv.write_text("email,name,topics\n" + "".join(f"{a},,\n" for a in addresses))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    return addresses


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))


def test_send_mail_request_shape(run: Cli, graph: Graph, entra: Entra, feed_file: Path,
                                 tmp_path: Path) -> None:
    addresses = _subscribe(run, tmp_path, 3)
    result = run("-vv", "send", "--feed", str(feed_file), env=graph.env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 new posts, 3 digests sent, 0 failed, 0 deferred")
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)
    requests = [r for r in graph.server.requests if r.path.endswith("/sendMail")]
    assert {r.path for r in requests} == {f"/v1.0/users/{MAILBOX}/sendMail"}
    assert {r.headers["Content-Type"] for r in requests} == {"text/plain"}
    message = email.message_from_bytes(base64.b64decode(requests[0].body),
                                       policy=email.policy.default)
    assert message["From"].addresses[0].addr_spec == MAILBOX
    assert message["To"].addresses[0].addr_spec == addresses[0]
    assert message.get_body(("plain",)) is not None
    assert entra.token_requests() == 1  # one token for the whole run
    assert entra.service.scopes == [f"{graph.server.origin}/.default"]
    assert _statuses(run.db) == {"sent": 3}
    for secret in (CLIENT_SECRET, *entra.service.issued):
        assert secret not in result.output
    rerun = run("send", "--feed", str(feed_file), env=graph.env)
    assert rerun.stdout.startswith("0 new posts, 0 digests sent")
    assert graph.service.count() == 3


def test_429_and_503_wait_as_retry_after_says(run: Cli, graph: Graph, feed_file: Path,
                                              tmp_path: Path) -> None:
    addresses = _subscribe(run, tmp_path, 4)
    throttled, busy = addresses[1], addresses[2]
    asked: dict[str, list[float]] = {}

    def script(recipient: str, attempt: int) -> Response | None:
        asked.setdefault(recipient, []).append(time.monotonic())
        if recipient == throttled and attempt == 1:
            return graph_error(429, "ApplicationThrottled", "Application is over its "
                               "MailboxConcurrency limit.", **{"Retry-After": "1"})
        if recipient == busy and attempt == 1:
            return graph_error(503, "ServiceUnavailable", "Service Unavailable",
                               **{"Retry-After": "1"})
        return None

    graph.service.script = script
    result = run("send", "--feed", str(feed_file), env=graph.env)
    assert result.exit_code == 0, result.output
    assert "4 digests sent, 0 failed, 0 deferred" in result.stdout
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)
    for recipient in (throttled, busy):
        first, second = asked[recipient]
        assert second - first >= 0.95  # Retry-After: 1 was honoured


def test_a_server_that_stays_busy_defers_within_the_wait_limit(
    run: Cli, graph: Graph, feed_file: Path, tmp_path: Path
) -> None:
    addresses = _subscribe(run, tmp_path, 2)
    busy = addresses[0]

    def script(recipient: str, attempt: int) -> Response | None:
        if recipient == busy:
            return graph_error(503, "ServiceUnavailable", "Service Unavailable",
                               **{"Retry-After": "1"})
        return None

    graph.service.script = script
    env = {**graph.env, "GRAPH_MAX_WAIT": "2"}
    first = run("send", "--feed", str(feed_file), env=env)
    assert "1 digests sent, 0 failed, 1 deferred" in first.stdout, first.output
    assert graph.service.attempts[busy] == 3  # the first try and two waits of one second
    graph.service.script = None
    time_passes(run.db, hours=0.5)
    second = run("send", "--feed", str(feed_file), env=env)
    assert "1 digests sent, 0 failed, 0 deferred" in second.stdout
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)


def test_401_forces_one_token_renewal(run: Cli, graph: Graph, entra: Entra, feed_file: Path,
                                      tmp_path: Path) -> None:
    addresses = _subscribe(run, tmp_path, 4)

    def revoke_after_two(recipient: str, attempt: int) -> Response | None:
        if graph.service.count() == 2 and entra.token_requests() == 1:
            entra.service.revoke_all()  # the token still looks good to the client
        return None

    graph.service.script = revoke_after_two
    result = run("send", "--feed", str(feed_file), env=graph.env)
    assert result.exit_code == 0, result.output
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)
    assert graph.service.unauthorized == 1
    assert entra.token_requests() == 2


def test_a_second_401_stops_the_run_and_keeps_the_rest(
    run: Cli, graph: Graph, entra: Entra, feed_file: Path, tmp_path: Path
) -> None:
    _subscribe(run, tmp_path, 3)
    entra.service.lifetime = -10  # every token it gives is already expired at Graph
    result = run("send", "--feed", str(feed_file), env=graph.env)
    assert result.exit_code == 5, result.output
    assert "401 InvalidAuthenticationToken" in result.stderr
    assert graph.service.unauthorized == 2 and entra.token_requests() == 2
    assert _statuses(run.db) == {"pending": 3}


def test_daily_limit_stops_cleanly_and_the_next_run_goes_on(
    run: Cli, graph: Graph, feed_file: Path, tmp_path: Path
) -> None:
    addresses = _subscribe(run, tmp_path, 5)
    env = {**graph.env, "GRAPH_MAX_PER_DAY": "3"}
    first = run("send", "--feed", str(feed_file), env=env)
    assert first.exit_code == 0, first.output
    assert "daily sending limit of 3 messages is reached" in first.stderr
    assert "2 digests left pending" in first.stderr
    assert "3 digests sent, 0 failed, 0 deferred" in first.stdout
    assert _statuses(run.db) == {"sent": 3, "pending": 2}
    # The same day: the budget counts what was sent in the last 24 hours.
    again = run("send", "--feed", str(feed_file), env=env)
    assert "0 digests sent" in again.stdout and "2 digests left pending" in again.stderr
    more = run("send", "--feed", str(feed_file), env={**env, "GRAPH_MAX_PER_DAY": "10"})
    assert "2 digests sent" in more.stdout
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)


def test_exchange_submission_quota_stops_cleanly(run: Cli, graph: Graph, feed_file: Path,
                                                 tmp_path: Path) -> None:
    addresses = _subscribe(run, tmp_path, 4)
    graph.service.quota = 1
    first = run("send", "--feed", str(feed_file), env=graph.env)
    assert first.exit_code == 0, first.output
    assert "ErrorSubmissionQuotaExceeded" in first.stderr
    assert "3 digests left pending" in first.stderr
    assert _statuses(run.db) == {"sent": 1, "pending": 3}
    graph.service.quota = None
    second = run("send", "--feed", str(feed_file), env=graph.env)
    assert "3 digests sent" in second.stdout
    assert graph.service.by_recipient() == dict.fromkeys(addresses, 1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limit_paces_per_minute_and_stops_per_day() -> None:
    clock = FakeClock()
    rate = RateLimit(GraphLimits(per_minute=2, per_day=5), sent_today=1,
                     clock=clock, sleep=clock.sleep)
    sent_at = []
    for _ in range(4):
        rate.acquire()
        rate.accepted()
        sent_at.append(clock.now)
        clock.now += 1.0  # each request takes a second
    # Two in any 60 seconds: the third waits for the first to be a minute old.
    assert sent_at == [1000.0, 1001.0, 1060.0, 1061.0]
    with pytest.raises(DailyLimitReached):
        rate.acquire()  # 1 from earlier today + 4 = the limit of 5
