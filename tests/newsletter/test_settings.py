"""Settings are checked before anything is fetched or sent; no input gives a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.errors import ConfigError
from newsletter.settings import load
from tests.newsletter.testkit import Cli, FeedServer, Route, SmtpServer

SECRET = "ett-hemligt-och-langt-nog-varde"

BAD = [
    # variable, value, words the one line must contain besides them (what is allowed)
    ("NEWSLETTER_UNSUBSCRIBE_URL", "https://intranet.kommun.se/avsluta prenumeration", "https://"),
    ("NEWSLETTER_UNSUBSCRIBE_URL", "https://intranät.kommun.se/avsluta", "ASCII"),
    ("NEWSLETTER_UNSUBSCRIBE_URL", "http://intranet.kommun.se/avsluta", "RFC 8058"),
    ("NEWSLETTER_UNSUBSCRIBE_URL", "javascript:alert(1)", "https://"),
    ("NEWSLETTER_HTTP_TIMEOUT", "0", "above 0"),
    ("NEWSLETTER_HTTP_TIMEOUT", "-1", "above 0"),
    ("NEWSLETTER_HTTP_TIMEOUT", "nan", "above 0"),
    ("NEWSLETTER_HTTP_TIMEOUT", "inf", "at most 3600"),
    ("NEWSLETTER_HTTP_TIMEOUT", "30 s", "seconds"),
    ("SMTP_PORT", "smtp", "number"),
    ("SMTP_PORT", "0", "from 1 to 65535"),
    ("SMTP_PORT", "70000", "from 1 to 65535"),
    ("SMTP_PORT", "-1", "from 1 to 65535"),
    ("SMTP_PORT", "²5", "from 1 to 65535"),  # a digit to str.isdigit, not to int()
    ("SMTP_HOST", "smtp.kommun .se", "host name"),
    ("SMTP_HOST", "smtp://smtp.kommun.se", "host name"),
    ("SMTP_SECURITY", "tls", "starttls, ssl, none"),
    ("NEWSLETTER_TRANSPORT", "brevduva", "smtp, graph, outbox"),
    ("NEWSLETTER_FROM", "it-nyheter", "e-mail address"),
    ("NEWSLETTER_FROM", "Nytt <it@kommun.se>\r\nBcc: x@y.se", "one line"),
    ("NEWSLETTER_UNSUBSCRIBE_MAILTO", "avsluta@", "e-mail address"),
    ("NEWSLETTER_LIST_ID", "nytt från it", "ASCII"),
    ("NEWSLETTER_MAX_POSTS", "0", "from 1 to 500"),
    ("NEWSLETTER_MAX_POSTS", "³", "from 1 to 500"),
    ("NEWSLETTER_RETRY_PERIOD", "tre dagar", "3d"),
    ("NEWSLETTER_RETRY_PERIOD", "90d", "30 days"),
    ("NEWSLETTER_RETRY_PERIOD", "999999999999999999999d", "30 days"),  # beyond timedelta
    ("NEWSLETTER_UNSUBSCRIBE_SECRET", "kort", "at least 16"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD,
                         ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_a_bad_setting_stops_send_before_the_fetch_in_one_line(
    run: Cli, smtp_server: SmtpServer, feed_server: FeedServer, name: str, value: str,
    allowed: str,
) -> None:
    feed_server.routes["/feeds/news.rss.xml"] = Route(b"never fetched")
    run("subscribers", "add", "anna@exempelkommun.se")
    env = {**smtp_server.env, "NEWSLETTER_UNSUBSCRIBE_URL": "https://intranet.kommun.se/avsluta",
           "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET, name: value}
    result = run("send", "--feed", feed_server.url(), env=env)
    assert result.exit_code == 8, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    shown = value if name != "NEWSLETTER_UNSUBSCRIBE_SECRET" else "****"
    line = result.stderr
    assert line.startswith(f"newsletter: error: {name}")
    assert repr(shown)[1:-1].replace("\\r\\n", "") in line.replace("\\r\\n", "")
    assert allowed in line
    assert "Traceback" not in result.output
    assert feed_server.requests == []  # nothing fetched
    assert smtp_server.sink.count() == 0


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "x", "NEWSLETTER_HTTP_TIMEOUT": "0"})
    lines = str(caught.value).splitlines()
    assert [line.split("=")[0].split()[0] for line in lines] == [
        "SMTP_PORT", "NEWSLETTER_HTTP_TIMEOUT"]
    with pytest.raises(ConfigError) as caught:
        load({"SMTP_HOST": "127.0.0.1", "NEWSLETTER_HTTP_TIMEOUT": "0"})
    lines = str(caught.value).splitlines()
    assert [line.split("=")[0] for line in lines] == [
        "NEWSLETTER_FROM (--from)", "NEWSLETTER_HTTP_TIMEOUT"]


def test_defaults_and_good_values() -> None:
    settings = load({})
    assert (settings.transport.kind, settings.http_timeout, settings.max_posts) == (
        "outbox", 30.0, 30)
    assert settings.retry_period.days == 3 and settings.unsubscribe_url is None
    settings = load({"SMTP_HOST": "smtp.kommun.se", "NEWSLETTER_FROM": "it@kommun.se",
                     "NEWSLETTER_RETRY_PERIOD": "36h", "NEWSLETTER_HTTP_TIMEOUT": "2.5",
                     "NEWSLETTER_UNSUBSCRIBE_URL": "https://intranet.kommun.se/avsluta?x=1",
                     "NEWSLETTER_UNSUBSCRIBE_SECRET": SECRET})
    assert settings.transport.smtp is not None and settings.transport.smtp.port == 587
    assert settings.retry_period.total_seconds() == 36 * 3600
    assert settings.http_timeout == 2.5
    assert settings.unsubscribe_url == "https://intranet.kommun.se/avsluta?x=1"


def test_preview_into_an_unwritable_place_is_one_line(
    run: Cli, feed_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "fil"
    blocker.write_text("en fil, ingen mapp")
    result = run("preview", "--feed", str(feed_file), "--out", str(blocker / "ut" / "d.html"))
    assert result.exit_code == 8, result.output  # a path that cannot be used, as --outbox
    assert result.stderr.startswith("newsletter: error: cannot write the preview")
    assert result.stderr.count("\n") == 1


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    run: Cli, feed_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fault no input reproduces on purpose (a bug of ours), so it is injected: the one
    # stand-in in these tests.
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("edition")

    monkeypatch.setattr("newsletter.run.update_from_feed", broken)
    result = run("send", "--feed", str(feed_file))
    assert result.exit_code == 1
    assert result.stderr == (
        "newsletter: error: unexpected KeyError: 'edition' (--debug shows the traceback)\n")
    with pytest.raises(KeyError):
        run("--debug", "send", "--feed", str(feed_file))
