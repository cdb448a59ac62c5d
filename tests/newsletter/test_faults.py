"""An SMTP server that misbehaves: 4xx, 5xx, dropped connections before and after the data."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest

from tests.newsletter.testkit import Cli, SmtpServer, time_passes

COUNT = 200


def _address(n: int) -> str:
    return f"person{n:04d}@exempelkommun.se"


@pytest.fixture
def many_subscribers(tmp_path: Path, run: Cli) -> list[str]:
    addresses = [_address(n) for n in range(COUNT)]
    csv = tmp_path / "many.csv"
    csv.write_text("email,name,topics\n" + "".join(f"{a},Person {i},\n"
                                                  for i, a in enumerate(addresses)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    return addresses


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))


@pytest.mark.slow
def test_451_and_550_others_delivered_nobody_twice(
    run: Cli, smtp_server: SmtpServer, feed_file: Path, many_subscribers: list[str]
) -> None:
    sink = smtp_server.sink
    rejected = {a for i, a in enumerate(many_subscribers) if i % 37 == 5}
    sink.rcpt_replies = {a: "550 5.1.1 Mailbox unavailable" for a in rejected}
    # About 10 % get "451" the first time they are tried, chosen by a stable hash.
    greylisted = {a for a in many_subscribers if zlib.crc32(a.encode()) % 10 == 0} - rejected
    tried: set[str] = set()

    def first_time_451(rcpts: list[str]) -> str | None:
        (rcpt,) = rcpts
        if rcpt in greylisted and rcpt not in tried:
            tried.add(rcpt)
            return "451 4.7.1 Try again later"
        return None

    sink.data_reply = first_time_451
    first = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert first.exit_code == 0, first.output
    expected_sent = COUNT - len(rejected) - len(greylisted)
    assert first.stdout.startswith(
        f"3 new posts, {expected_sent} digests sent, {len(rejected)} failed, "
        f"{len(greylisted)} deferred"
    )
    assert set(sink.by_recipient()) == set(many_subscribers) - rejected - greylisted

    failures = run("failures").stdout.splitlines()
    assert len(failures) == len(rejected)
    assert all("550 5.1.1 Mailbox unavailable" in line for line in failures)
    assert {line.split("\t")[3] for line in failures} == rejected
    assert len(run("failures", "--deferred").stdout.splitlines()) == len(rejected) + len(greylisted)

    early = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert early.stdout.startswith("0 new posts, 0 digests sent")  # not due yet
    time_passes(run.db, hours=0.5)
    second = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert second.stdout.startswith(f"0 new posts, {len(greylisted)} digests sent, 0 failed")
    counts = sink.by_recipient()
    assert set(counts) == set(many_subscribers) - rejected
    assert set(counts.values()) == {1}
    assert _statuses(run.db) == {"sent": COUNT - len(rejected), "failed": len(rejected)}
    third = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert third.stdout.startswith("0 new posts, 0 digests sent, 0 failed, 0 deferred")


def test_connection_lost_after_data_is_unknown_and_retried_once(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    lost, fine = "lost@exempelkommun.se", "fine@exempelkommun.se"
    for address in (lost, fine):
        run("subscribers", "add", address)
    smtp_server.sink.drop_after_data = {lost}
    first = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert first.exit_code == 0, first.output
    assert "1 digests sent, 0 failed, 0 deferred, 1 unknown" in first.stdout
    assert smtp_server.sink.by_recipient() == {lost: 1, fine: 1}  # it did arrive
    second = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert "0 digests sent, 1 failed" in second.stdout  # unknown again: given up
    third = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert "0 digests sent, 0 failed, 0 deferred, 0 unknown" in third.stdout
    assert smtp_server.sink.by_recipient() == {lost: 2, fine: 1}
    assert "outcome unknown twice" in run("failures").stdout


def test_connection_dropped_before_data_reconnects_and_defers(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    flaky, fine = "flaky@exempelkommun.se", "fine@exempelkommun.se"
    run("subscribers", "add", flaky)
    run("subscribers", "add", fine)
    smtp_server.sink.drop_at_rcpt = {flaky}
    first = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert "1 digests sent, 0 failed, 1 deferred" in first.stdout, first.output
    assert smtp_server.sink.by_recipient() == {fine: 1}  # the next one went on a new connection
    smtp_server.sink.drop_at_rcpt = set()
    time_passes(run.db)
    second = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert "1 digests sent, 0 failed, 0 deferred" in second.stdout
    assert smtp_server.sink.by_recipient() == {fine: 1, flaky: 1}


def test_removed_subscriber_pending_digest_is_cancelled(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    gone = "gone@exempelkommun.se"
    run("subscribers", "add", gone)
    smtp_server.sink.rcpt_replies = {gone: "452 4.2.2 Mailbox full"}
    assert "1 deferred" in run("send", "--feed", str(feed_file), env=smtp_server.env).stdout
    run("subscribers", "remove", gone)
    smtp_server.sink.rcpt_replies = {}
    run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert smtp_server.sink.by_recipient() == {}
    assert _statuses(run.db) == {"cancelled": 1}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_credentials_from_the_environment(run: Cli, feed_file: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.newsletter.testkit import LOCALHOST, MailSink, free_port

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      data: object) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"nyhetsbrev", b"hemligt")
        return AuthResult(success=ok)

    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname=LOCALHOST, port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        run("subscribers", "add", "anna@exempelkommun.se")
        env = {"SMTP_HOST": LOCALHOST, "SMTP_PORT": str(port), "SMTP_SECURITY": "none"}
        anonymous = run("send", "--feed", str(feed_file), env=env)
        assert anonymous.exit_code == 5 and "530" in anonymous.stderr  # nobody marked failed
        assert _statuses(run.db) == {"pending": 1}
        env |= {"SMTP_USER": "nyhetsbrev", "SMTP_PASSWORD": "hemligt"}
        right = run("send", "--feed", str(feed_file), env=env)
        assert right.exit_code == 0, right.output
        assert sink.by_recipient() == {"anna@exempelkommun.se": 1}
    finally:
        controller.stop()


def test_a_message_that_cannot_be_built_fails_alone_and_nothing_is_sent_twice(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    """The reproduction: one bad row used to kill the run before the previous answer was kept."""
    first, last = "first@exempelkommun.se", "last@exempelkommun.se"
    run("subscribers", "add", first)
    # A row no command of ours writes (an older version, a hand edit): building its To header
    # raises, between the previous message's data and the recording of its answer.
    with sqlite3.connect(run.db) as db:
        db.execute("INSERT INTO subscribers (email, email_key, created_at)"
                   " VALUES ('bad <x>@exempelkommun.se', 'bad <x>@exempelkommun.se', '2026')")
    run("subscribers", "add", last)
    for _ in range(3):
        result = run("send", "--feed", str(feed_file), env=smtp_server.env)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    assert smtp_server.sink.by_recipient() == {first: 1, last: 1}
    assert _statuses(run.db) == {"sent": 2, "failed": 1}
    failures = run("failures").stdout
    assert "bad <x>@exempelkommun.se" in failures and "cannot build the message" in failures


def test_a_full_mailbox_is_retried_by_time_then_failed_and_retry_requeues(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    """The reproduction: cron every 15 minutes and a mailbox full for 2.5 hours."""
    full, fine = "full@exempelkommun.se", "fine@exempelkommun.se"
    run("subscribers", "add", full)
    run("subscribers", "add", fine)
    smtp_server.sink.rcpt_replies = {full: "452 4.2.2 Mailbox full"}
    env = smtp_server.env
    assert "1 deferred" in run("send", "--feed", str(feed_file), env=env).stdout
    listed = run("failures", "--deferred").stdout.splitlines()
    (line,) = listed
    fields = line.split("\t")
    assert fields[1:4] == ["deferred", "edition 1", full]
    assert fields[4].startswith("retry from 20") and fields[5] == "452 4.2.2 Mailbox full"
    tries = 1
    for _ in range(10):  # 2.5 hours of cron runs every 15 minutes
        time_passes(run.db, hours=0.25)
        result = run("send", "--feed", str(feed_file), env=env)
        tries += "1 deferred" in result.stdout
    assert 3 <= tries <= 6  # growing intervals: 5, 10, 20, 40 minutes ...
    assert _statuses(run.db) == {"sent": 1, "deferred": 1}  # not given up after 2.5 hours
    smtp_server.sink.rcpt_replies = {}
    time_passes(run.db, hours=2)
    assert "1 digests sent" in run("send", "--feed", str(feed_file), env=env).stdout
    assert smtp_server.sink.by_recipient() == {fine: 1, full: 1}

    # A mailbox full for good: failed once the retry period is over.
    run("subscribers", "add", "never@exempelkommun.se")
    smtp_server.sink.rcpt_replies = {"never@exempelkommun.se": "452 4.2.2 Mailbox full"}
    feed_file.write_bytes(feed_file.read_bytes().replace(b"natfiske", b"natfiske-2"))
    run("send", "--feed", str(feed_file), env={**env, "NEWSLETTER_RETRY_PERIOD": "6h"})
    for _ in range(8):
        time_passes(run.db, hours=2)
        run("send", "--feed", str(feed_file), env={**env, "NEWSLETTER_RETRY_PERIOD": "6h"})
    failed = run("failures").stdout.splitlines()
    assert len(failed) == 1 and "never@exempelkommun.se" in failed[0]
    assert "not retried (newsletter retry)" in failed[0] and "gave up: deferred for" in failed[0]

    # newsletter retry: by address (and edition), then the next send delivers it.
    smtp_server.sink.rcpt_replies = {}
    assert run("retry", "--address", "other@exempelkommun.se").stdout.startswith("0 failed")
    assert run("retry", "--edition", "1").stdout.startswith("0 failed")
    requeued = run("retry", "--address", "NEVER@exempelkommun.se")
    assert requeued.stdout.startswith("1 failed deliveries to NEVER@exempelkommun.se queued")
    assert "1 digests sent" in run("send", "--feed", str(feed_file), env=env).stdout
    assert smtp_server.sink.by_recipient()["never@exempelkommun.se"] == 1
    assert run("failures").stdout == ""


def test_retry_intervals_grow_as_a_mail_server_s_do() -> None:
    from datetime import timedelta

    from newsletter.store import retry_delay

    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(1, 8)]
    assert minutes == [5, 10, 20, 40, 80, 120, 120]


def test_retry_requeues_one_editions_failures_or_all(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    """`newsletter retry` without SQL: one edition's failed deliveries, then all the rest."""
    anna, bertil = "anna@exempelkommun.se", "bertil@exempelkommun.se"
    run("subscribers", "add", anna)
    run("subscribers", "add", bertil)
    env = smtp_server.env
    sink = smtp_server.sink
    sink.rcpt_replies = {anna: "550 5.1.1 Mailbox unavailable",
                         bertil: "550 5.1.1 Mailbox unavailable"}
    assert "0 digests sent, 2 failed" in run("send", "--feed", str(feed_file), env=env).stdout
    # Edition 2, a new post: Anna's mailbox is still refused, Bertil's is back.
    sink.rcpt_replies = {anna: "550 5.1.1 Mailbox unavailable"}
    feed_file.write_bytes(feed_file.read_bytes().replace(b"natfiske", b"natfiske-2"))
    assert "1 digests sent, 1 failed" in run("send", "--feed", str(feed_file), env=env).stdout
    listed = [line.split("\t")[2:4] for line in run("failures").stdout.splitlines()]
    assert sorted(listed) == [["edition 1", anna], ["edition 1", bertil], ["edition 2", anna]]

    sink.rcpt_replies = {}
    requeued = run("retry", "--edition", "2")
    assert requeued.stdout.startswith("1 failed deliveries of edition 2 queued again")
    assert "1 digests sent, 0 failed" in run("send", "--feed", str(feed_file), env=env).stdout
    assert sink.by_recipient() == {bertil: 1, anna: 1}
    assert [line.split("\t")[2] for line in run("failures").stdout.splitlines()] == [
        "edition 1", "edition 1"]

    everything = run("retry")
    assert everything.stdout.startswith("2 failed deliveries queued again")
    assert "2 digests sent, 0 failed" in run("send", "--feed", str(feed_file), env=env).stdout
    assert sink.by_recipient() == {bertil: 2, anna: 2}
    assert run("failures").stdout == ""
    assert _statuses(run.db) == {"sent": 4}
