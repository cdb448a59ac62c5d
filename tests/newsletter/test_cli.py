"""The CLI end to end against a real SMTP server, real feeds and SQLite on disk."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.lock import run_lock
from tests.newsletter.feedwriter import Post, atom, rss
from tests.newsletter.testkit import Cli, FeedServer, Route, SmtpServer, free_port

ANNA, BERTIL, CECILIA, DAVID = (
    f"{n}@exempelkommun.se" for n in ("anna", "bertil", "cecilia", "david")
)


def test_import_reports_bad_lines_and_is_idempotent(run: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(
        "email,name,topics\n"
        "anna@exempelkommun.se,Anna,skola\n"
        "inte-en-adress,X,\n"
        "ANNA@Exempelkommun.se,Anna Å,skola;Tips\n"
        "bertil@exempelkommun.se,\"Bertil\r\nBcc: x@y.se\",\n",
        encoding="utf-8",
    )
    first = run("subscribers", "import", str(csv))
    assert first.exit_code == 0
    assert f"{csv}:3: skipped" in first.stderr
    assert f"{csv}:4: skipped: ANNA@Exempelkommun.se is already on line 2" in first.stderr
    # A record never spans lines: the line break inside quotes cannot smuggle a header in,
    # and both halves are reported where they are.
    assert f"{csv}:5: skipped: the quotes on this line do not pair up" in first.stderr
    assert f"{csv}:6: skipped: invalid e-mail address" in first.stderr
    assert first.stdout.startswith("1 added, 0 updated, 0 unchanged")
    again = run("subscribers", "import", str(csv))
    assert again.stdout.startswith("0 added, 0 updated, 1 unchanged")
    assert run("subscribers", "list").stdout.splitlines() == [
        "email,name,topics", "anna@exempelkommun.se,Anna,skola"]


def test_add_remove_and_reimport_respects_unsubscribe(run: Cli, subscribers_csv: Path) -> None:
    assert run("subscribers", "add", "eva@exempelkommun.se", "--name", "Eva",
               "--topic", "skola", "--topic", "Tips").exit_code == 0
    assert "eva@exempelkommun.se,Eva,skola;Tips" in run("subscribers", "list").stdout
    assert run("subscribers", "remove", "EVA@exempelkommun.se").exit_code == 0
    missing = run("subscribers", "remove", "eva@exempelkommun.se")
    assert missing.exit_code == 7 and missing.stderr.count("\n") == 1
    run("subscribers", "import", str(subscribers_csv))
    assert "eva@" not in run("subscribers", "list").stdout
    bad = run("subscribers", "add", "inte en adress")
    assert bad.exit_code == 7 and bad.stderr.startswith("newsletter: error: invalid e-mail")


def test_database_is_private_and_in_wal_mode(run: Cli, subscribers_csv: Path) -> None:
    run("subscribers", "import", str(subscribers_csv))
    assert stat.S_IMODE(os.stat(run.db).st_mode) == 0o600
    with sqlite3.connect(run.db) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _messages(smtp: SmtpServer) -> dict[str, email.message.EmailMessage]:
    found = {}
    for received in smtp.sink.messages:
        parsed = email.message_from_bytes(received.data, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        (rcpt,) = received.rcpt_tos
        found[rcpt] = parsed
    return found


def test_send_over_smtp_once_per_matching_subscriber(
    run: Cli, smtp_server: SmtpServer, feed_file: Path, subscribers_csv: Path, tmp_path: Path
) -> None:
    run("subscribers", "import", str(subscribers_csv))
    result = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert result.exit_code == 0, result.output
    # Cecilia chose the category Tips: the Säkerhet post for everyone is not in it.
    assert result.stdout.startswith("3 new posts, 3 digests sent, 0 failed, 0 deferred")
    messages = _messages(smtp_server)
    assert sorted(messages) == [ANNA, BERTIL, DAVID]
    anna = messages[ANNA]
    assert anna.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in anna.iter_parts()] == ["text/plain", "text/html"]
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in anna.iter_parts())
    assert str(anna["From"]) == "Nytt från IT <it-nyheter@exempelkommun.se>"
    assert str(anna["To"]) == "Anna Åström <anna@exempelkommun.se>"
    assert str(anna["Subject"]).startswith("Nytt från IT: 2 nyheter, vecka ")
    assert anna["Date"] and anna["Message-ID"] and anna["List-Id"]
    assert anna["List-Unsubscribe"].strip().startswith("<mailto:it-nyheter@exempelkommun.se")
    text = anna.get_body(("plain",)).get_content()
    html = anna.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Flytt till nytt datacenter: åäö ÅÄÖ" in part
        assert "Varning för nätfiske" in part  # for "alla"
        assert "Ny app för hemtjänsten" not in part  # only for "vård och omsorg"
        assert "Gammal nyhet" not in part  # older than the first run's 7 days
    for heading in ("Viktigt att veta", "Åtgärd krävs", "Avbrott", "Planerad ändring"):
        assert heading in html
    # Written as Svenska skrivregler (and the site's writers) write it.
    assert "Avbrott: lördag 5 december 2026 kl. 18.00 \u2013 söndag 6 december kl. 6.00" in text
    assert "Hej Anna!" in text and "Hej Anna!" in html  # the first name, not the full one
    # Each post once in full: the top only names the post and links down to it.
    assert text.count("Spara dina filer i OneDrive") == 2  # the top line and the post
    link = "https://intranet.exempelkommun.se/nyheter/flytt-till-datacenter/"
    assert text.count(f"Läs mer: {link}") == 1
    assert html.count(f'href="{link}"') == 2  # the title and "Läs mer"
    assert "Avsluta prenumerationen" in text
    # Säkerhet for vård och omsorg: the phishing post for everyone, not the care app (Nytt system)
    assert str(messages[DAVID]["Subject"]).startswith("Nytt från IT: 1 nyhet,")
    assert str(messages[BERTIL]["Subject"]).startswith("Nytt från IT: 3 nyheter")

    again = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert again.stdout.startswith("0 new posts, 0 digests sent")
    assert len(smtp_server.sink.messages) == 3

    # An edited post is not news again; a new one goes to exactly those who want it.
    now = datetime.now(UTC)
    posts = [
        Post("flytt-till-datacenter", "Flytt till nytt datacenter (ändrad)",
             now - timedelta(days=1)),
        Post("skrivare", "Nya skrivare i skolorna", now, categories=("Tips",),
             audiences=("skola",)),
    ]
    feed_file.write_bytes(rss(posts))
    third = run("send", "--feed", str(feed_file), env=smtp_server.env)
    assert third.stdout.startswith("1 new posts, 3 digests sent"), third.output
    counts = smtp_server.sink.by_recipient()
    assert counts == {ANNA: 2, BERTIL: 2, CECILIA: 1, DAVID: 1}


def test_outbox_when_no_smtp_host(run: Cli, feed_file: Path, subscribers_csv: Path,
                                  tmp_path: Path) -> None:
    run("subscribers", "import", str(subscribers_csv))
    outbox = tmp_path / "outbox"
    result = run("send", "--feed", str(feed_file), "--outbox", str(outbox))
    assert result.exit_code == 0, result.output
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3  # Cecilia's Tips: none of the three posts
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"


def test_since_overrides_the_first_run_window(run: Cli, smtp_server: SmtpServer,
                                              feed_file: Path) -> None:
    run("subscribers", "add", ANNA)
    result = run("send", "--feed", str(feed_file), "--since", "2000-01-01", env=smtp_server.env)
    assert result.stdout.startswith("4 new posts, 1 digests sent")
    assert "Gammal nyhet" in _messages(smtp_server)[ANNA].get_body(("plain",)).get_content()


def test_subscriber_with_nothing_relevant_gets_no_mail(run: Cli, smtp_server: SmtpServer,
                                                      tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([Post("a", "Bara för skolan", datetime.now(UTC), audiences=("skola",))]))
    run("subscribers", "add", ANNA, "--topic", "skola")
    run("subscribers", "add", BERTIL, "--topic", "förvaltning")
    assert run("send", "--feed", str(feed), env=smtp_server.env).exit_code == 0
    assert smtp_server.sink.by_recipient() == {ANNA: 1}


def test_preview_writes_html_and_text(run: Cli, feed_file: Path, subscribers_csv: Path,
                                      tmp_path: Path) -> None:
    run("subscribers", "import", str(subscribers_csv))
    out = tmp_path / "preview" / "digest.html"
    result = run("preview", "--feed", str(feed_file), "--out", str(out),
                 "--subscriber", "DAVID@exempelkommun.se")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    # Säkerhet for vård och omsorg: the phishing warning for everyone, not the care app
    assert '<html lang="sv"' in html and "Varning för nätfiske" in html
    assert "Ny app för hemtjänsten" not in html and "Flytt till nytt datacenter" not in html
    assert "Hej David!" in out.with_suffix(".txt").read_text(encoding="utf-8")
    assert run("failures").stdout == ""  # nothing was sent or recorded


def test_failed_fetch_records_nothing_and_304_ends_the_run(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, sample_posts: list[Post]
) -> None:
    run("subscribers", "add", ANNA)
    url = feed_server.url()
    feed_server.routes["/feeds/news.rss.xml"] = Route(b"<html><body>Fel</body></html>",
                                                      content_type="text/html")
    broken = run("send", "--feed", url, env=smtp_server.env)
    assert broken.exit_code == 3
    assert broken.stderr.startswith("newsletter: error: not an RSS or Atom feed")
    assert broken.stderr.count("\n") == 1
    feed_server.routes["/feeds/news.rss.xml"] = Route(rss(sample_posts), etag='"v1"')
    first = run("send", "--feed", url, env=smtp_server.env)
    assert first.stdout.startswith("3 new posts, 1 digests sent"), first.output
    second = run("send", "--feed", url, env=smtp_server.env)
    assert second.exit_code == 0
    assert "304" in second.stderr and second.stdout.startswith("0 new posts, 0 digests sent")
    assert feed_server.requests[-1][1].get("If-None-Match") == '"v1"'
    missing = run("send", "--feed", feed_server.url("/saknas.xml"), env=smtp_server.env)
    assert missing.exit_code == 3 and "HTTP 404" in missing.stderr


def test_second_send_exits_while_the_first_holds_the_lock(
    run: Cli, feed_file: Path, tmp_path: Path
) -> None:
    run("subscribers", "add", ANNA)
    outbox = tmp_path / "outbox"
    with run_lock(run.db):
        busy = run("send", "--feed", str(feed_file), "--outbox", str(outbox))
    assert busy.exit_code == 4
    assert "another newsletter send is running" in busy.stderr
    assert not outbox.exists()
    assert run("send", "--feed", str(feed_file), "--outbox", str(outbox)).exit_code == 0
    assert len(list(outbox.glob("*.eml"))) == 1


def test_unreachable_smtp_server_keeps_deliveries_pending(run: Cli, feed_file: Path) -> None:
    run("subscribers", "add", ANNA)
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_SECURITY": "none"}
    result = run("send", "--feed", str(feed_file), env=env)
    assert result.exit_code == 5 and "cannot open an SMTP session" in result.stderr
    with sqlite3.connect(run.db) as db:
        assert db.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]


def test_configuration_errors_are_one_line(run: Cli, feed_file: Path,
                                           smtp_server: SmtpServer) -> None:
    no_from = run("send", "--feed", str(feed_file),
                  env={**smtp_server.env, "NEWSLETTER_FROM": None})
    assert no_from.exit_code == 8 and "NEWSLETTER_FROM" in no_from.stderr
    bad = run("send", "--feed", str(feed_file), env={**smtp_server.env, "SMTP_SECURITY": "tls"})
    assert bad.exit_code == 8 and bad.stderr.count("\n") == 1
    url_only = run("send", "--feed", str(feed_file),
                   env={"NEWSLETTER_UNSUBSCRIBE_URL": "https://intranet/avsluta"})
    assert url_only.exit_code == 8 and "NEWSLETTER_UNSUBSCRIBE_SECRET" in url_only.stderr


def test_unsubscribe_link_token_round_trip(run: Cli, smtp_server: SmtpServer,
                                           feed_file: Path) -> None:
    env = {**smtp_server.env, "NEWSLETTER_UNSUBSCRIBE_URL": "https://intranet.exempelkommun.se/avsluta",
           "NEWSLETTER_UNSUBSCRIBE_SECRET": "hemligt-och-langt-nog"}
    run("subscribers", "add", ANNA)
    assert run("send", "--feed", str(feed_file), env=env).exit_code == 0
    message = _messages(smtp_server)[ANNA]
    link = message["List-Unsubscribe"].strip().split(">")[0].lstrip("<")
    assert link.startswith("https://") and "anna" not in link
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link.split("token=")[1]
    assert run("unsubscribe", token, env=env).stdout.strip() == f"{ANNA}: removed"
    assert run("unsubscribe", token[:-2] + "xx", env=env).exit_code == 7


def test_export_shows_everything_held_and_forget_leaves_nothing(
    run: Cli, smtp_server: SmtpServer, feed_file: Path
) -> None:
    run("subscribers", "add", ANNA, "--name", "Anna Åström", "--category", "Säkerhet",
        "--audience", "skola")
    run("subscribers", "add", BERTIL)
    assert run("send", "--feed", str(feed_file), env=smtp_server.env).exit_code == 0
    exported = run("subscribers", "export", "Anna@Exempelkommun.se")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert data["subscriber"]["email"] == ANNA
    assert data["subscriber"]["name"] == "Anna Åström"
    assert data["subscriber"]["state"] == "active"
    assert data["subscriber"]["choices"] == [
        {"categories": ["Säkerhet"], "audiences": ["skola"], "description": "Säkerhet för skola"}
    ]
    assert [d["status"] for d in data["deliveries"]] == ["sent"]
    assert [a["action"] for a in data["audit"]] == ["added"]
    assert data["audit"][0]["source"] == "cli"

    files = list(run.db.parent.glob("newsletter.db*"))
    assert any(b"anna@" in path.read_bytes() for path in files)  # the check below can fail
    assert run("subscribers", "forget", ANNA).stdout.strip() == f"{ANNA}: forgotten"
    assert run("subscribers", "export", ANNA).exit_code == 7
    assert run("subscribers", "forget", ANNA).exit_code == 7
    assert ANNA not in run("subscribers", "list", "--all").stdout
    # Not even in free pages or the write-ahead log of the database.
    for path in run.db.parent.glob("newsletter.db*"):
        assert b"anna@" not in path.read_bytes().lower(), path
        assert "Åström".encode() not in path.read_bytes(), path
    assert BERTIL in run("subscribers", "list").stdout


def test_backlog_goes_out_while_the_feed_is_down_then_the_feed_error(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, sample_posts: list[Post]
) -> None:
    run("subscribers", "add", ANNA)
    path = "/feeds/news.rss.xml"
    feed_server.routes[path] = Route(rss(sample_posts))
    # First run: the feed is fine but the relay is down; the digest waits as pending.
    down = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_SECURITY": "none"}
    assert run("send", "--feed", feed_server.url(), env=down).exit_code == 5
    # Second run: the relay is back, the web server drips a byte every 50 ms.
    feed_server.routes[path] = Route(rss(sample_posts), drip=0.05)
    result = run("send", "--feed", feed_server.url(),
                 env={**smtp_server.env, "NEWSLETTER_HTTP_TIMEOUT": "1"})
    assert result.exit_code == 3, result.output
    assert result.stdout.startswith("0 new posts, 1 digests sent, 0 failed")
    assert smtp_server.sink.by_recipient() == {ANNA: 1}
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith(f"newsletter: error: fetching {feed_server.url()}: gave up after 1 s:"
                           " the server sent ")
    assert line.endswith(" in 1 s")


@pytest.mark.parametrize("render", [rss, atom], ids=["rss", "atom"])
def test_links_of_other_schemes_never_reach_the_mail(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, now: datetime,
    caplog: pytest.LogCaptureFixture, render,
) -> None:
    """The reproduction: javascript:, vbscript: and data: post links were clickable in the
    digest's HTML and text, and a relative link took the first folder for the host."""
    posts = [
        Post("js", "Länk med javascript", now - timedelta(hours=1), href="javascript:alert(1)"),
        Post("vb", "Länk med vbscript", now - timedelta(hours=2), href="VBScript:MsgBox(1)"),
        Post("data", "Länk med data", now - timedelta(hours=3),
             href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
        Post("rel", "Relativ länk", now - timedelta(hours=4), href="../nyheter/rel/"),
    ]
    feed_server.routes["/it/feeds/news.xml"] = Route(render(posts))
    run("subscribers", "add", ANNA)
    with caplog.at_level(logging.WARNING):
        result = run("send", "--feed", feed_server.url("/it/feeds/news.xml"),
                     env=smtp_server.env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("4 new posts, 1 digests sent, 0 failed")
    message = _messages(smtp_server)[ANNA]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        for title in ("Länk med javascript", "Länk med vbscript", "Länk med data"):
            assert title in part  # the post is still news, only its link is gone
        for payload in ("alert(1)", "msgbox(1)", "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg"):
            assert payload not in part.lower()
    relative = f"http://127.0.0.1:{feed_server.port}/it/nyheter/rel/"
    assert f"Läs mer: {relative}" in text and f'href="{relative}"' in html
    for title in ("Länk med javascript", "Länk med vbscript", "Länk med data"):
        assert f"post '{title}'" in caplog.text
    assert caplog.text.count("only http(s) links go into a digest") == 3


def test_a_digest_holds_at_most_max_posts_and_links_to_the_rest(
    run: Cli, smtp_server: SmtpServer, tmp_path: Path, now: datetime
) -> None:
    """The reproduction: no limit on posts per digest (a 50 MB feed became a 122 MB mail)."""
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([Post(f"p{n}", f"Nyhet nummer {n}", now - timedelta(hours=n))
                          for n in range(1, 6)]))
    run("subscribers", "add", ANNA)
    result = run("send", "--feed", str(feed),
                 env={**smtp_server.env, "NEWSLETTER_MAX_POSTS": "2"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("5 new posts, 1 digests sent")
    message = _messages(smtp_server)[ANNA]
    assert str(message["Subject"]).startswith("Nytt från IT: 5 nyheter, vecka ")
    text = message.get_body(("plain",)).get_content()
    assert "Nyhet nummer 1" in text and "Nyhet nummer 2" in text  # the newest two
    for n in (3, 4, 5):
        assert f"Nyhet nummer {n}" not in text
    # The rest as a link to the news page: the feed's home page, as nothing else is set.
    assert "3 nyheter till finns på intranätet: https://intranet.exempelkommun.se/" in text


def test_odd_arguments_are_usage_errors_not_surprises(
    run: Cli, feed_file: Path, tmp_path: Path
) -> None:
    """Found by the issue 7 audit: each of these was "unexpected ... (--debug)", exit 1."""
    for args in (["preview", "--feed", str(feed_file), "--out", ""],
                 ["retry", "--edition", "99999999999999999999"],
                 ["retry", "--edition", "0"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "unexpected" not in result.stderr and "Traceback" not in result.output
    assert "Invalid value for '--out': '' names no file" in run(*["preview", "--feed",
        str(feed_file), "--out", ""]).stderr


def test_a_file_that_is_no_database_prints_one_line_and_no_csv(run: Cli, tmp_path: Path) -> None:
    garbage = tmp_path / "inte-en-databas.db"
    garbage.write_bytes(b"email,name\nanna@exempelkommun.se,Anna\n" * 200)
    for args in (["subscribers", "list"], ["failures"]):
        result = run("--db", str(garbage), *args)
        assert result.exit_code == 6
        assert result.stdout == ""
        assert result.stderr == (
            f"newsletter: error: cannot open database {garbage}: file is not a database\n")


def test_a_reader_that_stops_early_is_no_error(run: Cli, tmp_path: Path) -> None:
    """`newsletter subscribers list | head -1`: the pipe closes; no "unexpected" line."""
    csv = tmp_path / "många.csv"
    csv.write_text("email\n" + "".join(f"person{n:05d}@exempelkommun.se\n" for n in range(20000)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    listing = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--db", str(run.db), "subscribers", "list"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stderr is not None
    assert listing.stdout.readline() == b"email,name,topics\n"
    listing.stdout.close()  # as head does after its line; 20,000 more do not fit in the pipe
    error = listing.stderr.read()
    assert listing.wait(timeout=60) == 0
    assert error == b""
