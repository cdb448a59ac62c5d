"""``newsletter teams`` against a local HTTPS stand-in for a Teams Workflows webhook (Teams
cannot be reached from the tests).  Each card is validated against the published Adaptive
Card schema of version 1.5, the newest Teams renders, vendored in schemas/ from
https://adaptivecards.io/schemas/1.5.0/adaptive-card.json (github.com/microsoft/AdaptiveCards,
schemas/1.5.0/adaptive-card.json, commit 93695cf2df1117ab08e36ebe707d0ced18e4e9b3)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from newsletter.lock import run_lock
from tests.newsletter.feedwriter import Post, rss
from tests.newsletter.m365.conftest import LocalCa
from tests.newsletter.m365.kit import HttpsServer, Response, serve_https
from tests.newsletter.m365.webhook import WEBHOOK_PATH, WEBHOOK_SIG, WebhookService
from tests.newsletter.testkit import Cli

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "adaptive-card-1.5.0.json")
                    .read_text(encoding="utf-8"))


@dataclass
class Channel:
    service: WebhookService
    server: HttpsServer
    env: dict[str, str | None]

    def url(self, path: str = WEBHOOK_PATH, sig: str = WEBHOOK_SIG) -> str:
        return self.service.url(self.server.origin, path, sig)


@pytest.fixture
def channel(test_ca: LocalCa) -> Iterator[Channel]:
    service = WebhookService()
    with serve_https(service, test_ca.server_context()) as server:
        yield Channel(service, server, {
            "TEAMS_WEBHOOK_URL": service.url(server.origin),
            "REQUESTS_CA_BUNDLE": str(test_ca.bundle), "NEWSLETTER_TRANSPORT": None,
            "SMTP_HOST": None,
        })


def _valid_card(message: dict[str, Any]) -> dict[str, Any]:
    # The message shape of Microsoft's Workflows webhook documentation.
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    jsonschema.Draft6Validator(SCHEMA).validate(card)
    assert card["version"] == "1.5"
    return card


def _texts(card: dict[str, Any]) -> list[str]:
    return [block["text"] for block in card["body"] if block["type"] == "TextBlock"]


def _facts(card: dict[str, Any]) -> dict[str, str]:
    facts = [b for b in card["body"] if b["type"] == "FactSet"]
    return {f["title"]: f["value"] for b in facts for f in b["facts"]}


def _time_passes(db: Path, hours: float) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE teams_posts SET next_attempt_at = datetime(next_attempt_at,"
                           " ?)", (f"-{hours * 60:.0f} minutes",))


def _teams_rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute(
            "SELECT status, count(*) FROM teams_posts GROUP BY status"))


def test_each_post_once_as_a_valid_card(run: Cli, channel: Channel, feed_file: Path,
                                        sample_posts: list[Post]) -> None:
    result = run("teams", "--feed", str(feed_file), env=channel.env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 new posts, 3 posted to Teams, 0 failed, 0 deferred")
    messages = channel.service.received[WEBHOOK_PATH]
    cards = [_valid_card(m) for m in messages]
    # Oldest first, so the channel reads in order; the 40-day-old post is not posted.
    assert [_texts(c)[1] for c in cards] == [
        "Ny app för hemtjänsten", "Varning för nätfiske", "Flytt till nytt datacenter: åäö ÅÄÖ"]
    move = cards[2]
    assert _texts(move)[0] == "Planerad ändring"
    assert _texts(move)[2] == "Alla servrar flyttar till det nya datacentret i Västerås."
    assert _facts(move) == {
        "Status": "Planerad",
        "När": "lördag 5 december 2026 kl. 18.00 \N{EN DASH} söndag 6 december kl. 6.00",
        "Gör så här": "Spara dina filer i OneDrive (senast fredag 4 december 2026)",
        "Berörda tjänster": "Microsoft 365, Skolplattan",
        "Gäller": "skola, förvaltning",
    }
    assert move["actions"] == [{"type": "Action.OpenUrl", "title": "Läs mer",
                                "url": sample_posts[0].link}]
    again = run("teams", "--feed", str(feed_file), env=channel.env)
    assert again.stdout.startswith("0 new posts, 0 posted to Teams")
    assert len(channel.service.received[WEBHOOK_PATH]) == 3
    assert _teams_rows(run.db) == {"sent": 3, "skipped": 1}
    # The webhook's key is never stored or shown.
    assert WEBHOOK_SIG.encode() not in run.db.read_bytes()
    assert WEBHOOK_SIG not in result.output + again.output


def test_a_filter_per_webhook(run: Cli, channel: Channel, feed_file: Path) -> None:
    security = "/powerautomate/automations/direct/workflows/sakerhet/triggers/manual/paths/invoke"
    care = "/powerautomate/automations/direct/workflows/omsorg/triggers/manual/paths/invoke"
    first = run("teams", "--feed", str(feed_file), "--category", "Säkerhet",
                env={**channel.env, "TEAMS_WEBHOOK_URL": channel.url(security)})
    assert first.exit_code == 0, first.output
    assert [_texts(c)[1] for c in channel.service.cards(security)] == ["Varning för nätfiske"]
    assert "warning" not in first.stderr
    typo = run("teams", "--feed", str(feed_file), "--category", "Sakerhet",
               env={**channel.env, "TEAMS_WEBHOOK_URL": channel.url(security)})
    assert typo.exit_code == 0
    assert "newsletter: warning: 'Sakerhet' is not a category or audience of the feed " \
           "(did you mean 'Säkerhet'?)" in typo.stderr
    # An audience: its posts, and the posts for everyone.
    second = run("teams", "--feed", str(feed_file), "--audience", "vård och omsorg",
                 env={**channel.env, "TEAMS_WEBHOOK_URL": channel.url(care)})
    assert second.exit_code == 0, second.output
    assert [_texts(c)[1] for c in channel.service.cards(care)] == [
        "Ny app för hemtjänsten", "Varning för nätfiske"]
    # Each webhook keeps its own record: the unfiltered channel still gets all three.
    third = run("teams", "--feed", str(feed_file), env=channel.env)
    assert third.stdout.startswith("3 new posts, 3 posted to Teams")


def test_an_outage_is_posted_while_a_send_holds_its_lock(
    run: Cli, channel: Channel, tmp_path: Path, sample_posts: list[Post]
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(sample_posts))
    assert run("teams", "--feed", str(feed), env=channel.env).exit_code == 0
    outage = Post("wifi-nere", "Driftstörning: wifi på skolorna", sample_posts[0].published
                  + timedelta(hours=1), categories=("Driftstörning",), status="pågår",
                  audiences=("skola",), services=("Wifi",))
    feed.write_bytes(rss([outage, *sample_posts]))
    with run_lock(run.db):  # a long digest run is under way
        result = run("teams", "--feed", str(feed), env=channel.env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1 new posts, 1 posted to Teams")
    card = _valid_card(channel.service.received[WEBHOOK_PATH][-1])
    assert _texts(card)[:2] == ["Driftstörning", "Driftstörning: wifi på skolorna"]
    assert _facts(card)["Status"] == "Pågår"


def test_http_errors_follow_the_mail_rules(run: Cli, channel: Channel,
                                           feed_file: Path) -> None:
    answers = {
        1: Response.json(429, {"error": {"code": "TooManyRequests", "message": "Slow down"}}),
        2: Response.json(400, {"error": {"code": "InvalidRequestContent",
                                         "message": "The card is not valid."}}),
    }
    channel.service.script = answers.get
    channel.service.drop = {3}  # taken, but the answer is lost
    first = run("teams", "--feed", str(feed_file), env=channel.env)
    assert first.exit_code == 0, first.output
    assert "0 posted to Teams, 1 failed, 1 deferred, 1 unknown" in first.stdout
    assert _teams_rows(run.db) == {"deferred": 1, "failed": 1, "unknown": 1, "skipped": 1}
    early = run("teams", "--feed", str(feed_file), env=channel.env)
    assert "1 posted to Teams, 0 failed, 0 deferred, 0 unknown" in early.stdout  # the unknown
    _time_passes(run.db, hours=0.5)  # the deferred one waits five minutes, as mail does
    second = run("teams", "--feed", str(feed_file), env=channel.env)
    assert "1 posted to Teams, 0 failed, 0 deferred, 0 unknown" in second.stdout
    third = run("teams", "--feed", str(feed_file), env=channel.env)
    assert "0 posted to Teams, 0 failed" in third.stdout
    titles = [_texts(c)[1] for c in channel.service.cards()]
    # The unknown one arrived twice (it had arrived the first time); nothing else did.
    assert sorted(titles) == sorted(["Ny app för hemtjänsten", "Flytt till nytt datacenter: "
                                     "åäö ÅÄÖ", "Flytt till nytt datacenter: åäö ÅÄÖ"])


def test_a_refused_webhook_stops_and_keeps_every_post(run: Cli, channel: Channel,
                                                      feed_file: Path) -> None:
    wrong = channel.url(sig="fel-nyckel-0815")
    result = run("teams", "--feed", str(feed_file), env={**channel.env,
                                                         "TEAMS_WEBHOOK_URL": wrong})
    assert result.exit_code == 5, result.output
    assert "401 DirectApiAuthorizationRequired" in result.stderr
    assert "fel-nyckel-0815" not in result.output
    assert _teams_rows(run.db) == {"pending": 3, "skipped": 1}


def test_webhook_setting_checked_and_never_echoed(run: Cli, feed_file: Path) -> None:
    missing = run("teams", "--feed", str(feed_file), env={"TEAMS_WEBHOOK_URL": None})
    assert missing.exit_code == 8 and "TEAMS_WEBHOOK_URL is not set" in missing.stderr
    plain = "http://example.invalid/workflows/x?sig=hemlig-nyckel"
    wrong = run("teams", "--feed", str(feed_file), env={"TEAMS_WEBHOOK_URL": plain})
    assert wrong.exit_code == 8 and "TEAMS_WEBHOOK_URL is not valid" in wrong.stderr
    assert "hemlig-nyckel" not in wrong.output


def test_the_schema_check_rejects_what_teams_would_not_render() -> None:
    # The vendored schema is strict: a misspelt property or an unknown size is an error.
    validator = jsonschema.Draft6Validator(SCHEMA)
    good = {"type": "AdaptiveCard", "version": "1.5",
            "body": [{"type": "TextBlock", "text": "Hej", "size": "Large"}]}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "body": [{"type": "TextBlock", "txt": "Hej"}]})
    assert not validator.is_valid(
        {**good, "body": [{"type": "TextBlock", "text": "Hej", "size": "Huge"}]})


def test_a_bare_post_still_makes_a_valid_card() -> None:
    from datetime import UTC, datetime

    from newsletter.channels.cards import webhook_payload
    from newsletter.feed import Entry

    published = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    entry = Entry(id="urn:x", title='Skrivare & "kopiatorer" <nya>',
                  link="https://intranet.exempelby.se/it/news/skrivare/", published=published,
                  updated=published)
    card = _valid_card(webhook_payload(entry))
    assert _texts(card) == ['Skrivare & "kopiatorer" <nya>']  # JSON, no HTML escaping
    assert _facts(card) == {}
    assert card["fallbackText"] == ('Skrivare & "kopiatorer" <nya>: '
                                    "https://intranet.exempelby.se/it/news/skrivare/")
