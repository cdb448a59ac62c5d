"""Selection and composition are pure: tested without any server."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address

import pytest

from newsletter.digest import (
    MailSettings,
    Recipient,
    build_digest,
    build_message,
    first_name,
    render,
)
from newsletter.feed import Action, Entry, Window
from newsletter.headers import header_safe, unsubscribe_token, verify_unsubscribe_token
from newsletter.run import split_new
from newsletter.topics import Vocabulary

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday of ISO week 48


def entry(slug: str, **fields) -> Entry:
    defaults = {
        "id": f"tag:x,2025:news/{slug}", "title": slug.title(), "link": f"https://x.se/{slug}/",
        "published": NOW - timedelta(days=1), "updated": NOW - timedelta(days=1),
        "summary": "Sammanfattning.",
    }
    return Entry(**{**defaults, **fields})


SETTINGS = MailSettings(
    sender=Address("Nytt från IT", "it-nyheter", "exempelkommun.se"),
    install_id="abcd1234",
    list_id="nytt-fran-it.exempelkommun.se",
    unsubscribe_mailto="it-nyheter@exempelkommun.se",
    unsubscribe_url="https://intranet.exempelkommun.se/avsluta",
    unsubscribe_secret="s3cret",
)


# As the feed publishes it (tests/newsletter/feedwriter.py writes the same).
VOCABULARY = Vocabulary(
    ("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips"),
    ("alla", "skola", "förvaltning", "vård och omsorg"), "alla", "inställd",
)


def test_split_new_skips_seen_and_marks_old_as_seen_only() -> None:
    fresh, stale = split_new(
        [entry("new"), entry("seen"), entry("old", published=NOW - timedelta(days=30))],
        {"tag:x,2025:news/seen"},
        NOW - timedelta(days=7),
    )
    assert [e.id for e in fresh] == ["tag:x,2025:news/new"]
    assert [e.id for e in stale] == ["tag:x,2025:news/old"]


def test_digest_sections_and_subject() -> None:
    later = entry("later", action=Action("Byt lösenord", date(2026, 12, 10)),
                  categories=("Säkerhet",))
    sooner = entry("sooner", action=Action("Spara filer", date(2026, 12, 4)),
                   window=Window(datetime(2026, 12, 5, 17, tzinfo=UTC),
                                 datetime(2026, 12, 6, 5, tzinfo=UTC)),
                   categories=("Planerad ändring",))
    plain = entry("plain")
    digest = build_digest([plain, later, sooner], NOW, VOCABULARY)
    assert digest.subject == "Nytt från IT: 3 nyheter, vecka 48"
    assert [(h.label, h.item.entry.id) for h in digest.highlights] == [
        ("Åtgärd krävs", sooner.id), ("Åtgärd krävs", later.id), ("Avbrott", sooner.id)]
    assert digest.highlights[0].text == "Senast 4 december 2026: Spara filer"
    assert digest.highlights[2].text == (
        "lördag 5 december 2026 kl. 18.00 \u2013 söndag 6 december kl. 6.00")
    # In the feed's category order, each post in exactly one section.
    assert [s.name for s in digest.sections] == ["Planerad ändring", "Säkerhet", "Övrigt"]
    listed = [i.entry.id for s in digest.sections for i in s.items]
    assert sorted(listed) == sorted([plain.id, later.id, sooner.id])
    assert build_digest([plain], NOW).subject == "Nytt från IT: 1 nyhet, vecka 48"


def test_the_category_order_is_the_feeds() -> None:
    """Another site's feed may order its categories otherwise: the digest follows the feed."""
    posts = [entry("a", categories=("Planerad ändring",)), entry("b", categories=("Säkerhet",)),
             entry("c", categories=("Tips",)), entry("d", categories=("Okänd",))]
    theirs = Vocabulary(("Tips", "Säkerhet", "Planerad ändring"), ("samtliga",), "samtliga")
    assert [s.name for s in build_digest(posts, NOW, theirs).sections] == [
        "Tips", "Säkerhet", "Planerad ändring", "Okänd"]
    assert [s.name for s in build_digest(posts, NOW, VOCABULARY).sections] == [
        "Planerad ändring", "Säkerhet", "Tips", "Okänd"]


def test_a_one_post_digest_shows_the_post_once() -> None:
    post = entry("flytt", title="Flytt av servrar", categories=("Planerad ändring",),
                 action=Action("Spara filer", date(2026, 12, 4)),
                 window=Window(NOW + timedelta(days=9), NOW + timedelta(days=9, hours=2)),
                 status="planerad", summary="Servrarna flyttar till Västerås.")
    text, html = render(build_digest([post], NOW, VOCABULARY),
                        Recipient(7, "anna@exempelkommun.se", "Anna Åström"), SETTINGS)
    for part in (text, html):
        assert part.count("Servrarna flyttar till Västerås.") == 1
        assert part.count("Hej Anna!") == 1
    assert text.count("Läs mer: https://x.se/flytt/") == 1
    assert "Åtgärd krävs: Senast 4 december 2026: Spara filer" in text
    assert 'href="#post-1"' in html and 'id="post-1"' in html
    assert html.count('href="https://x.se/flytt/"') == 2  # the title and "Läs mer"


def test_the_outlook_layout_holds_its_width() -> None:
    _, html = render(build_digest([entry("a")], NOW), Recipient(7, "a@exempelkommun.se"),
                     SETTINGS)
    # Outlook for Windows ignores max-width: a fixed 600 px table only it reads, and
    # background colours as attributes, which it honours where it drops CSS.
    assert '<!--[if mso]>\n<table role="presentation" width="600"' in html
    assert 'bgcolor="#00497a"' in html and 'bgcolor="#f2f2f2"' in html
    assert "max-width: 600px" in html


@pytest.mark.parametrize(("name", "greeted"), [
    ("Anna Åström", "Anna"), ("Åström, Anna", "Anna"), ("Anna-Karin Lind", "Anna-Karin"),
    ("  bertil  ", "bertil"), ("", ""),
])
def test_greeting_uses_the_first_name(name: str, greeted: str) -> None:
    assert first_name(name) == greeted


def test_max_posts_keeps_what_needs_action_then_the_newest() -> None:
    posts = [entry(f"p{n:02d}", published=NOW - timedelta(hours=n)) for n in range(35)]
    urgent = entry("gammal-men-viktig", published=NOW - timedelta(days=6),
                   action=Action("Byt lösenord", date(2026, 12, 1)))
    digest = build_digest([*posts, urgent], NOW, VOCABULARY, max_posts=30,
                          more_url="https://intranet.exempelkommun.se/news/")
    shown = {i.entry.id for i in digest.items}
    assert len(shown) == 30 and urgent.id in shown
    assert shown - {urgent.id} == {p.id for p in posts[:29]}
    assert (digest.more, digest.total) == (6, 36)
    assert digest.subject == "Nytt från IT: 36 nyheter, vecka 48"
    text, html = render(digest, Recipient(7, "a@exempelkommun.se"), SETTINGS)
    assert "6 nyheter till finns på intranätet: https://intranet.exempelkommun.se/news/" in text
    assert '<a href="https://intranet.exempelkommun.se/news/">alla nyheter</a>' in html
    assert build_digest(posts[:5], NOW, max_posts=30).more == 0


def _parse(raw: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_message_structure_and_headers() -> None:
    digest = build_digest([entry("åäö", title="Ändring på gång: åäö <b>fet</b>")], NOW)
    raw = build_message(digest, Recipient(7, "anna@exempelkommun.se", "Anna Åström"),
                        SETTINGS, 3, NOW)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # quoted-printable
    assert max(len(line) for line in head.split(b"\r\n")) <= 998  # a URL is not folded
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    raw.decode("ascii")  # quoted-printable and encoded words: no raw 8-bit
    message = _parse(raw)
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Ändring på gång: åäö <b>fet</b>" in text
    assert "Ändring på gång: åäö &lt;b&gt;fet&lt;/b&gt;" in html
    assert '<html lang="sv"' in html and "max-width: 600px" in html
    assert "<style" not in html  # inlined
    assert str(message["To"]) == "Anna Åström <anna@exempelkommun.se>"
    assert str(message["Subject"]) == "Nytt från IT: 1 nyhet, vecka 48"
    assert message["Message-ID"] == "<nyhetsbrev.3.7.abcd1234@exempelkommun.se>"
    assert "nytt-fran-it.exempelkommun.se" in message["List-Id"]
    token = unsubscribe_token("s3cret", 7)
    assert message["List-Unsubscribe"] == (
        f"<https://intranet.exempelkommun.se/avsluta?token={token}>, "
        "<mailto:it-nyheter@exempelkommun.se?subject=Avsluta%20prenumeration>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "anna" not in message["List-Unsubscribe"]
    assert f"token={token}" in text and "Avsluta prenumerationen" in text
    assert "Avsluta prenumerationen" in html


@pytest.mark.parametrize(("public_url", "one_click"), [
    ("https://nyhetsbrev.exempelkommun.se/", True),
    ("http://127.0.0.1:8080/", False),  # a trial service on this machine
])
def test_one_click_is_announced_only_with_an_https_link(public_url: str, one_click: bool) -> None:
    from dataclasses import replace

    from newsletter.links import Links
    from newsletter.tokens import Signer

    links = Links(public_url, Signer("ett-hemligt-och-langt-nog-varde", "x.se"))
    settings = replace(SETTINGS, unsubscribe_url=None, links=links)
    message = _parse(build_message(build_digest([entry("a")], NOW),
                                   Recipient(7, "anna@exempelkommun.se", "", "AAAAAAAA"),
                                   settings, 3, NOW))
    assert message["List-Unsubscribe"].startswith(f"<{public_url}avsluta?token=")
    expected = "List-Unsubscribe=One-Click" if one_click else None
    assert message["List-Unsubscribe-Post"] == expected


def test_resend_has_the_same_message_id() -> None:
    digest = build_digest([entry("a")], NOW)
    recipient = Recipient(7, "anna@exempelkommun.se")
    first = _parse(build_message(digest, recipient, SETTINGS, 3, NOW))
    again = _parse(build_message(digest, recipient, SETTINGS, 3, NOW + timedelta(hours=5)))
    assert first["Message-ID"] == again["Message-ID"]


def test_no_header_injection_through_a_name() -> None:
    digest = build_digest([entry("a")], NOW)
    evil = Recipient(7, "anna@exempelkommun.se", "Anna\r\nBcc: victim@example.org\r\nX: y")
    message = _parse(build_message(digest, evil, SETTINGS, 3, NOW))
    assert message["Bcc"] is None and message["X"] is None
    assert "victim@example.org" in str(message["To"])  # harmless text inside the display name
    assert header_safe("a\r\nb\x00c\u2028d") == "a b c d"


def test_unsubscribe_token_is_signed() -> None:
    token = unsubscribe_token("s3cret", 42)
    assert verify_unsubscribe_token("s3cret", token) == 42
    assert verify_unsubscribe_token("other", token) is None
    tampered = unsubscribe_token("s3cret", 43)[:11] + token[11:]
    assert verify_unsubscribe_token("s3cret", tampered) is None
    assert verify_unsubscribe_token("s3cret", "not a token!") is None


@pytest.mark.parametrize(
    "name",
    ["Anna Åström", 'Bertil "B" Öberg, IT', "Carl, Jr.", "",
     "Ett mycket långt namn med många åäö tecken som inte får plats i ett kodat ord ÅÄÖ"],
)
def test_to_header_round_trips(name: str) -> None:
    raw = build_message(build_digest([entry("a")], NOW), Recipient(7, "x@exempelkommun.se", name),
                        SETTINGS, 3, NOW)
    to = _parse(raw)["To"]
    assert to.addresses[0].display_name == name
    assert to.addresses[0].addr_spec == "x@exempelkommun.se"


def test_only_what_is_still_ahead_is_called_to_action_or_announced_as_an_outage() -> None:
    hour = timedelta(hours=1)
    posts = [
        entry("deadline-passed", action=Action("Byt lösenord", (NOW - timedelta(days=2)).date())),
        entry("deadline-ahead", action=Action("Spara filer", (NOW + timedelta(days=2)).date())),
        entry("deadline-today", action=Action("Logga ut", NOW.date())),
        entry("window-over", window=Window(NOW - 5 * hour, NOW - hour), status="klar"),
        entry("window-now", window=Window(NOW - hour, NOW + hour), status="pågår"),
        entry("window-cancelled", window=Window(NOW + hour, NOW + 2 * hour), status="inställd"),
        entry("window-ahead", window=Window(NOW + 3 * hour, NOW + 4 * hour), status="planerad"),
    ]
    digest = build_digest(posts, NOW, VOCABULARY)

    def titles(label: str) -> list[str]:
        return [h.item.entry.title for h in digest.highlights if h.label == label]

    assert titles("Åtgärd krävs") == ["Deadline-Today", "Deadline-Ahead"]
    assert titles("Avbrott") == ["Window-Now", "Window-Ahead"]
    # Everything is still news.
    assert len(digest.items) == len(posts)
    # Which status means cancelled is the feed's word, not ours: without it nothing is.
    unknown = build_digest(posts, NOW, Vocabulary())
    assert "Window-Cancelled" in [h.item.entry.title for h in unknown.highlights]


def test_a_post_without_a_usable_link_is_listed_without_one() -> None:
    text, html = render(build_digest([entry("utan", link="")], NOW),
                        Recipient(7, "a@exempelkommun.se"), SETTINGS)
    assert "Utan" in text and "Läs mer:" not in text
    assert 'href=""' not in html and "Läs mer på intranätet" not in html


def test_bodies_encoded_once_decode_to_each_recipients_own_text() -> None:
    from newsletter.digest import MessageTemplate, personalise, render_shared

    long_summary = "Lång rad med åäö och = tecken, " * 12 + "slut med blanksteg   "
    digest = build_digest([entry("a", summary=long_summary, title="Rubrik = åäö " * 8),
                           entry("b", categories=("Tips",))], NOW, VOCABULARY)
    shared = render_shared(digest, SETTINGS, with_name=True)
    template = MessageTemplate(shared, SETTINGS)
    for recipient in (Recipient(7, "a@exempelkommun.se", "Åsa Öberg"),
                      Recipient(8, "b@exempelkommun.se", 'Bo "B" <Berg> & co')):
        raw = template.message(recipient, 3, NOW)
        _head, body = raw.split(b"\r\n\r\n", 1)
        assert max(len(line) for line in body.split(b"\r\n")) <= 76
        text, html = (p.get_content() for p in _parse(raw).iter_parts())
        expected_text, expected_html = personalise(shared, recipient, SETTINGS)
        # The email package's decoder is the judge: the same text as rendering for one.
        for got, expected in ((text, expected_text), (html, expected_html)):
            assert got.replace("\r\n", "\n").rstrip("\n") == (
                expected.replace("\r\n", "\n").rstrip("\n"))
