"""The subscription service end to end: real server on 127.0.0.1, real SMTP, the CLI's send."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import itsdangerous.timed
import pytest

from newsletter.headers import unsubscribe_token
from newsletter.tokens import Purpose, Signer
from tests.newsletter.feedwriter import Post
from tests.web.support import SECRET, Service, csrf, feed, first_posts, link_in, running_service

EVA = "eva@exempelkommun.se"
LIST_ID = "nytt-fran-it.exempelkommun.se"  # what the list id defaults to for this sender


def subscribe(client: httpx.Client, service: Service, address: str,
              categories: tuple[str, ...] = (), audiences: tuple[str, ...] = ()) -> httpx.Response:
    form = client.get(service.url)
    assert form.status_code == 200
    data: dict[str, object] = {"csrf": csrf(form.text), "email": address, "name": "Eva Ek",
                               "kategori": list(categories), "malgrupp": list(audiences)}
    return client.post(service.url, data=data)


def confirm(client: httpx.Client, link: str) -> httpx.Response:
    page = client.get(link)
    assert page.status_code == 200 and "Bekräfta prenumerationen" in page.text
    return client.post(link, data={"csrf": csrf(page.text)})


def test_subscribe_confirm_digest_one_click_and_forget(service: Service) -> None:
    with httpx.Client() as client:
        form = client.get(service.url)
        # The topics are the feed's: every category and audience it declares, "alla" aside.
        for name in ("Planerad ändring", "Driftstörning", "Tips", "skola", "vård och omsorg"):
            assert f'value="{name}"' in form.text
        assert 'value="alla"' not in form.text

        answer = subscribe(client, service, EVA, ("Planerad ändring", "Driftstörning"),
                           ("vård och omsorg",))
        assert answer.status_code == 200 and "Titta i din inkorg" in answer.text
        confirm_link = link_in(service.mails_to(EVA)[0])
        assert urlsplit(confirm_link).path == "/bekrafta"
        assert service.state(EVA) == "pending"  # nothing is active before the link is followed
        client.get(confirm_link)  # a link scanner's GET confirms nothing
        assert service.state(EVA) == "pending"
        done = confirm(client, confirm_link)
        assert done.status_code == 200 and "Prenumerationen är bekräftad" in done.text
        assert service.state(EVA) == "active"

    # The digest goes to Eva with her topics only: the care change, not the school wifi
    # outage, and not the tip for everyone (Tips is not one of her categories).
    service.send()
    digest = service.mails_to(EVA, 2)[1]
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Journalsystemet uppdateras" in text
    assert "Wifi nere i skolorna" not in text and "Tips: kortkommandon" not in text
    # RFC 8058: one-click is announced over https only; this test service runs on http.
    assert digest["List-Unsubscribe-Post"] is None
    unsubscribe_url = str(digest["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert urlsplit(unsubscribe_url).path == "/avsluta"
    assert f"{service.url}installningar?token=" in text

    # A GET on the unsubscribe link shows a button and changes nothing.
    page = httpx.get(unsubscribe_url)
    assert page.status_code == 200 and "Avsluta prenumerationen?" in page.text
    assert service.state(EVA) == "active"
    # RFC 8058: a mail client POSTs the body, with no cookie and no page before.
    one_click = httpx.post(unsubscribe_url, content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200
    assert service.state(EVA) == "unsubscribed"

    # A digest sent after unsubscribing does not go to Eva.
    now = datetime.now(UTC)
    service.feed_file.write_bytes(feed([
        *first_posts(now),
        Post("journal-2", "Journalsystemet: ny version", now, categories=("Planerad ändring",),
             audiences=("vård och omsorg",)),
    ]))
    service.send()
    assert service.count_to(EVA) == 2

    export = service.cli("subscribers", "export", EVA).stdout
    for action in ('"requested"', '"confirmed"', '"unsubscribed"'):
        assert action in export
    assert service.cli("subscribers", "forget", EVA).exit_code == 0
    assert service.state(EVA) is None
    for path in service.db.parent.glob("newsletter.db*"):
        assert EVA.encode() not in path.read_bytes()


@pytest.fixture
def eva(service: Service) -> dict[str, str]:
    """Eva subscribed and confirmed; her links from the digest."""
    with httpx.Client() as client:
        subscribe(client, service, EVA)
        confirm(client, link_in(service.mails_to(EVA)[0]))
    service.send()
    digest = service.mails_to(EVA, 2)[1]
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    manage = next(w for w in text.split() if "/installningar?" in w)
    unsubscribe = str(digest["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    return {"manage": manage, "unsubscribe": unsubscribe}


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_bad_links_get_a_swedish_page_and_change_nothing(
    service: Service, eva: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manage_token = _token(eva["manage"])
    unsubscribe_token = _token(eva["unsubscribe"])
    claim = Signer(SECRET, LIST_ID).read(Purpose.MANAGE, manage_token)
    subscriber_id, key = claim.subscriber_id, str(claim.token_key)
    other_list = Signer(SECRET, "ett-annat-nyhetsbrev.exempelkommun.se")
    # A confirm link made 49 hours ago (the default lifetime is 48 hours): the clock is the
    # one thing replaced, since a test cannot wait two days.
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 49 * 3600)
    expired = Signer(SECRET, LIST_ID).make(Purpose.CONFIRM, subscriber_id, key)
    monkeypatch.undo()
    tampered = unsubscribe_token[:-3] + ("bbb" if unsubscribe_token.endswith("aaa") else "aaa")
    cases = {
        "tampered": ("avsluta", tampered, "Länken fungerar inte"),
        "other purpose": ("avsluta", manage_token, "Länken fungerar inte"),
        "other list": ("avsluta", other_list.make(Purpose.UNSUBSCRIBE, subscriber_id, key),
                       "Länken fungerar inte"),
        "other subscriber key": ("avsluta", Signer(SECRET, LIST_ID).make(
            Purpose.UNSUBSCRIBE, subscriber_id, "fel-nyckel"), "Länken fungerar inte"),
        "expired": ("bekrafta", expired, "Länken har gått ut"),
        "missing": ("installningar", "", "Länken fungerar inte"),
    }
    for name, (path, token, heading) in cases.items():
        url = f"{service.url}{path}?token={token}"
        for response in (httpx.get(url), httpx.post(url, data={"List-Unsubscribe": "One-Click"})):
            assert response.status_code == 400, name
            assert heading in response.text and "Ingenting har ändrats" in response.text, name
    assert service.state(EVA) == "active"
    # The real link still works.
    real = httpx.post(eva["unsubscribe"], data={"List-Unsubscribe": "One-Click"})
    assert real.status_code == 200
    assert service.state(EVA) == "unsubscribed"


def test_manage_page_changes_topics_pauses_and_leaves(service: Service,
                                                      eva: dict[str, str]) -> None:
    with httpx.Client() as client:
        page = client.get(eva["manage"])
        assert page.status_code == 200 and EVA in page.text
        saved = client.post(eva["manage"], data={"csrf": csrf(page.text), "action": "save",
                                                 "kategori": ["Driftstörning"],
                                                 "malgrupp": ["skola"]})
        assert "Dina ämnen är sparade" in saved.text
        export = service.cli("subscribers", "export", EVA).stdout
        assert '"description": "Driftstörning för skola"' in export
        forged = client.post(eva["manage"], data={"csrf": "fel", "action": "pause"})
        assert forged.status_code == 400 and service.state(EVA) == "active"  # CSRF
        client.post(eva["manage"], data={"csrf": csrf(page.text), "action": "pause"})
        assert service.state(EVA) == "paused"
        client.post(eva["manage"], data={"csrf": csrf(page.text), "action": "resume"})
        assert service.state(EVA) == "active"
    history = service.cli("subscribers", "export", EVA).stdout
    for action in ("changed topics", "paused", "resumed"):
        assert f'"action": "{action}"' in history
    assert '"source": "web (manage page)"' in history


def test_the_answer_never_tells_whether_an_address_is_subscribed(
    service: Service, eva: dict[str, str]
) -> None:
    with httpx.Client() as client:
        known = subscribe(client, service, EVA)
        unknown = subscribe(client, service, "okand@exempelkommun.se")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(EVA, "X") == unknown.text.replace("okand@exempelkommun.se", "X")
    # Eva gets her settings link by mail; her subscription is unchanged.
    again = service.mails_to(EVA, 3)[2]
    body = again.get_body(("plain",))
    assert body is not None and "prenumererar redan" in body.get_content()
    assert service.state(EVA) == "active"


def test_form_rejects_other_domains_and_missing_csrf(service: Service) -> None:
    with httpx.Client() as client:
        other = subscribe(client, service, "someone@gmail.com")
        assert other.status_code == 400 and "@exempelkommun.se" in other.text
        no_csrf = client.post(service.url, data={"email": EVA})
        assert no_csrf.status_code == 400
    assert service.state(EVA) is None and service.state("someone@gmail.com") is None


def test_old_unsubscribe_links_keep_working(tmp_path: Path) -> None:
    with running_service(tmp_path, NEWSLETTER_UNSUBSCRIBE_SECRET="det-gamla-hemliga") as service:
        assert service.cli("subscribers", "add", EVA).exit_code == 0
        subscriber_id = int(json_state(service)["id"])
        old = unsubscribe_token("det-gamla-hemliga", subscriber_id)
        assert httpx.post(f"{service.url}avsluta?token={old}",
                          data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert service.state(EVA) == "unsubscribed"


def json_state(service: Service) -> dict[str, Any]:
    return dict(json.loads(service.cli("subscribers", "export", EVA).stdout)["subscriber"])

