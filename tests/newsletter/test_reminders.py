"""Reminders and "Ändrat" end to end: real feeds built by ``mkdocs build``, served over HTTP on
127.0.0.1, the real CLI, a real SMTP server (aiosmtpd) and the state in a real SQLite file.

"Now" is set with ``send --now``.  The post used is step 1 of the move to the data centre
(content/news/posts/flytt-till-datacenter-steg-1.md): for everyone, action
by Friday 11 December 2026, window Friday 11 December 18.00 to Sunday 13 December 18.00.  The
expected texts are written out by hand from its front matter.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_build
from tests.newsletter.testkit import (
    Cli,
    FeedServer,
    Received,
    Route,
    SmtpServer,
    kill_sends,
    start_send,
)

FEED = "/feeds/news.rss.xml"
STEP_1 = "content/news/posts/flytt-till-datacenter-steg-1.md"
STEP_1_TITLE = "Servrarna flyttar till datacenter i Västerås \u2013 steg 1"
STEP_1_LINK = "http://intranet.exempelby.test/it/news/flytt-till-datacenter-steg-1/"


@pytest.fixture(scope="module")
def moved_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site rebuilt with step 1's window moved one week later (a writer's edit)."""
    project = copy_project(tmp_path_factory.mktemp("moved") / "project")
    post = project / STEP_1
    text = post.read_text(encoding="utf-8")
    old = "  start: 2026-12-11 18:00\n  end: 2026-12-13 18:00\n"
    assert old in text
    post.write_text(text.replace(old, "  start: 2026-12-18 18:00\n  end: 2026-12-20 18:00\n"),
                    encoding="utf-8")
    build = run_build(project, project.parent / "site")
    assert build.returncode == 0, build.output
    return build.site


def serve_feed(feed_server: FeedServer, site: Path, etag: str | None = None) -> str:
    feed_server.routes[FEED] = Route((site / "feeds" / "news.rss.xml").read_bytes(), etag=etag)
    return feed_server.url(FEED)


def text_of(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def mail_to(smtp_server: SmtpServer, address: str) -> list[Received]:
    return [m for m in smtp_server.sink.messages if address in m.rcpt_tos]


def send(run: Cli, smtp_server: SmtpServer, url: str, now: str, *extra: str) -> None:
    result = run("send", "--feed", url, "--now", now, *extra, env={**smtp_server.env})
    assert result.exit_code == 0, result.output


def test_a_reminder_goes_out_once_in_the_week_before_the_deadline(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, built_site: Path
) -> None:
    # With an ETag: every run after the first gets 304 Not Modified, as a cron job would.
    url = serve_feed(feed_server, built_site, etag='"v1"')
    assert run("subscribers", "add", "anna@exempelkommun.se", "--audience", "förvaltning"
               ).exit_code == 0
    # Monday 30 November (week 49): the first run sends the last seven days' posts; the
    # deadline is eleven days away.
    send(run, smtp_server, url, "2026-11-30T08:00")
    [first] = mail_to(smtp_server, "anna@exempelkommun.se")
    assert first.message["Subject"] == "Nytt från IT: 1 nyhet, vecka 49"
    assert "PÅMINNELSE" not in text_of(first)
    # Thursday 3 December: eight days left, too early.
    send(run, smtp_server, url, "2026-12-03T08:00")
    assert len(mail_to(smtp_server, "anna@exempelkommun.se")) == 1
    # Monday 7 December (week 50): four days left, and the window starts within the week.
    send(run, smtp_server, url, "2026-12-07T08:00")
    [_, reminder] = mail_to(smtp_server, "anna@exempelkommun.se")
    assert reminder.message["Subject"] == "Nytt från IT: 1 påminnelse, vecka 50"
    text = text_of(reminder)
    assert (
        "PÅMINNELSE\n"
        "----------\n"
        f"* {STEP_1_TITLE}\n"
        "  20 november 2026 · Status: planerad · För: alla\n"
        "  Åtgärd: Senast 11 december 2026: Spara öppna dokument, hämta det du behöver från "
        "filserverns arkiv och logga ut före kl. 18 fredag 11 december.\n"
        "  Avbrott: fredag 11 december 2026 kl. 18.00 \u2013 söndag 13 december kl. 18.00\n"
        "  Berörda tjänster: Filserver, Intranätet, Utskrifter, Fjärråtkomst\n"
    ) in text
    assert f"  Läs mer: {STEP_1_LINK}\n" in text
    # Listed once: not again under "Snart", and no news.
    assert "SNART" not in text and "VIKTIGT ATT VETA" not in text
    assert text.count(STEP_1_TITLE) == 1
    html = reminder.message.get_body(("html",))
    assert html is not None and "Påminnelse</h2>" in str(html.get_content())
    # Later runs that week and after the deadline send nothing more.
    for now in ("2026-12-08T08:00", "2026-12-10T16:00", "2026-12-14T08:00"):
        send(run, smtp_server, url, now)
    assert len(mail_to(smtp_server, "anna@exempelkommun.se")) == 2
    # The server answered all but the first with 304 (it does when If-None-Match matches).
    assert [h.get("If-None-Match") for _, h in feed_server.requests] == [None] + ['"v1"'] * 5


def test_moving_a_window_sends_one_change_to_those_who_got_the_post_only(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, built_site: Path,
    moved_site: Path, tmp_path: Path,
) -> None:
    url = serve_feed(feed_server, built_site)
    assert run("subscribers", "add", "anna@exempelkommun.se", "--audience", "förvaltning"
               ).exit_code == 0
    send(run, smtp_server, url, "2026-11-30T08:00", "--since", "2026-11-15")
    [news] = mail_to(smtp_server, "anna@exempelkommun.se")
    assert STEP_1_TITLE in text_of(news)
    # Cecilia subscribes after the post went out: she never got it.
    assert run("subscribers", "add", "cecilia@exempelkommun.se", "--audience", "förvaltning"
               ).exit_code == 0

    url = serve_feed(feed_server, moved_site)
    # The preview shows Anna the change, and records nothing.
    out = tmp_path / "preview.html"
    preview = run("preview", "--feed", url, "--out", str(out), "--subscriber",
                  "anna@exempelkommun.se", "--now", "2026-12-01T08:00")
    assert preview.exit_code == 0, preview.output
    assert "(1 ändring)" in preview.output
    assert "  Nytt datum: fredag 18 december 2026 kl. 18.00" in out.with_suffix(".txt").read_text(
        encoding="utf-8")
    send(run, smtp_server, url, "2026-12-01T08:00")
    [_, change] = mail_to(smtp_server, "anna@exempelkommun.se")
    assert change.message["Subject"] == "Nytt från IT: 1 ändring, vecka 49"
    text = text_of(change)
    assert (
        "ÄNDRAT\n"
        "------\n"
        f"* {STEP_1_TITLE}\n"
        "  Nytt datum: fredag 18 december 2026 kl. 18.00 \u2013 söndag 20 december kl. 18.00"
        " (tidigare fredag 11 december 2026 kl. 18.00 \u2013 söndag 13 december kl. 18.00)\n"
        "  20 november 2026 · Status: planerad · För: alla\n"
    ) in text
    assert ("  Avbrott: fredag 18 december 2026 kl. 18.00 \u2013 söndag 20 december kl. 18.00\n"
            in text)
    assert f"  Läs mer: {STEP_1_LINK}\n" in text
    assert text.count(STEP_1_TITLE) == 1
    assert mail_to(smtp_server, "cecilia@exempelkommun.se") == []

    # Once: the next runs send nothing to either.
    send(run, smtp_server, url, "2026-12-01T12:00")
    send(run, smtp_server, url, "2026-12-02T08:00")
    assert len(mail_to(smtp_server, "anna@exempelkommun.se")) == 2
    assert mail_to(smtp_server, "cecilia@exempelkommun.se") == []


@pytest.mark.slow
def test_reminders_killed_at_any_moment_are_finished_by_the_next_run_never_twice(
    run: Cli, smtp_server: SmtpServer, feed_file: Path, tmp_path: Path
) -> None:
    # conftest's sample feed: "flytt-till-datacenter", action by Friday 4 December 2026,
    # window from Saturday 5 December 18.00.
    subscribers = 600
    csv = tmp_path / "many.csv"
    csv.write_text("email,name,topics\n" + "".join(
        f"p{n:05d}@exempelkommun.se,Person {n},\n" for n in range(subscribers)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    sink = smtp_server.sink
    news = start_send(run, feed_file, smtp_server, "--now", "2026-11-16T08:00")
    assert news.wait(timeout=120) == 0
    assert sink.count() == subscribers
    kills = kill_sends(
        lambda: start_send(run, feed_file, smtp_server, "--now", "2026-11-30T08:00"), sink,
        random.Random(9), times=3, first_wait=0.5, messages=(30, 200))
    assert sink.count() < 2 * subscribers, "the kills left nothing undone"
    for now in ("2026-11-30T09:00", "2026-12-01T08:00", "2026-12-03T08:00"):
        final = start_send(run, feed_file, smtp_server, "--now", now)
        _, err = final.communicate(timeout=120)
        assert final.returncode == 0, err.decode()

    reminders = sink.messages[subscribers:]
    assert {m.message["Subject"] for m in reminders} == {"Nytt från IT: 1 påminnelse, vecka 49"}
    counts: dict[str, int] = {}
    for message in reminders:
        for rcpt in message.rcpt_tos:
            counts[rcpt] = counts.get(rcpt, 0) + 1
    assert len(counts) == subscribers, "somebody got no reminder"
    # At most the one message in flight at each kill can arrive twice.
    assert sum(counts.values()) - subscribers <= kills
    with sqlite3.connect(run.db) as db:
        assert db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall() == [
            ("sent", 2 * subscribers)
        ]
        assert db.execute("SELECT kind, count(*) FROM notices GROUP BY kind").fetchall() == [
            ("reminder", 1), ("soon", 1)
        ]
