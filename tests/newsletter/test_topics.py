"""The topic-matching rule, its migration from the old rule, and sorting names (pure)."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsletter import store as store_module
from newsletter.errors import SubscriberError
from newsletter.feed import Entry
from newsletter.store import Store
from newsletter.subscribers import choice_from_fields, make_subscriber
from newsletter.topics import (
    Choice,
    Vocabulary,
    dump_choices,
    legacy_choices,
    make_choice,
    read_vocabulary,
    wanted,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
VOCABULARY = Vocabulary(
    ("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips"),
    ("alla", "skola", "förvaltning", "vård och omsorg"),
    "alla",
)


def post(categories: tuple[str, ...] = (), audiences: tuple[str, ...] = ()) -> Entry:
    return Entry("tag:x,2025:news/a", "A", "https://x.se/a/", NOW, NOW,
                 categories=categories, audiences=audiences)


WIFI = post(("Driftstörning",), ("skola",))
CARE_CHANGE = post(("Planerad ändring",), ("vård och omsorg",))
CARE_OUTAGE = post(("Driftstörning",), ("vård och omsorg",))
PHISHING_ALL = post(("Säkerhet",), ("alla",))
TIP_ALL = post(("Tips",), ("alla",))
TIP_OFFICE = post(("Tips",), ("förvaltning",))


def matches(choices: tuple[Choice, ...], entry: Entry) -> bool:
    return wanted(dump_choices(choices), VOCABULARY)(entry)


# The guide's example, as people mean it: these categories, for this audience.
GUIDE = (make_choice(["Planerad ändring", "Driftstörning"], ["vård och omsorg"]),)


@pytest.mark.parametrize(
    ("choices", "entry", "expected"),
    [
        ((), TIP_OFFICE, True),                       # nothing chosen: everything
        (GUIDE, CARE_CHANGE, True),
        (GUIDE, CARE_OUTAGE, True),
        (GUIDE, WIFI, False),                         # the school wifi outage of the issue
        (GUIDE, TIP_ALL, False),                      # for everyone, but not a chosen category
        (GUIDE, post(("Driftstörning",), ("alla",)), True),  # for everyone: audience holds
        ((make_choice(["Tips"]),), TIP_OFFICE, True),  # no audience chosen: all
        ((make_choice([], ["skola"]),), TIP_ALL, True),
        ((make_choice([], ["skola"]),), TIP_OFFICE, False),
        ((make_choice(["tips"], ["FÖRVALTNING"]),), TIP_OFFICE, True),  # case-insensitive
        ((make_choice(["Säkerhet"]),), post(("Säkerhet",), ()), True),
        ((make_choice([], ["skola"]),), post(("Tips",), ()), False),  # no audience at all
    ],
)
def test_categories_and_audiences(choices: tuple[Choice, ...], entry: Entry,
                                  expected: bool) -> None:
    assert matches(choices, entry) is expected


def old_rule(topics: list[str], entry: Entry) -> bool:
    """The rule before this change, written out again as the oracle for the migration."""
    keys = {t.casefold() for t in topics}
    names = {n.casefold() for n in (*entry.categories, *entry.audiences)}
    return not keys or "alla" in {a.casefold() for a in entry.audiences} or bool(keys & names)


OLD_TOPIC_SETS = [[], ["skola"], ["Säkerhet"], ["vård och omsorg", "Säkerhet"], ["Tips", "skola"],
                  ["förvaltning", "skola", "Driftstörning"], ["okänt ämne"]]
POSTS = [
    post(categories, audiences)
    for categories, audiences in itertools.product(
        [(), ("Tips",), ("Säkerhet",), ("Driftstörning", "Planerad ändring")],
        [(), ("alla",), ("skola",), ("förvaltning", "vård och omsorg")],
    )
]


@pytest.mark.parametrize("topics", OLD_TOPIC_SETS, ids=";".join)
def test_migrated_choices_send_exactly_what_the_old_rule_sent(topics: list[str]) -> None:
    choices = legacy_choices(topics)
    assert [matches(choices, p) for p in POSTS] == [old_rule(topics, p) for p in POSTS]


def test_a_version_1_database_is_migrated_keeping_what_each_subscriber_gets(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(store_module._SCHEMA)  # the version-1 tables, as older installs have them
    db.execute("INSERT INTO meta VALUES ('install_id', 'cafe0001')")
    for n, topics in enumerate(OLD_TOPIC_SETS):
        db.execute(
            "INSERT INTO subscribers (email, email_key, name, topics, active, created_at)"
            " VALUES (?, ?, '', ?, ?, '2026-01-01T00:00:00+00:00')",
            (f"p{n}@x.se", f"p{n}@x.se", ";".join(topics), int(n != 2)),
        )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()

    with Store(path) as store:
        held = {s.email: s for s in store.subscribers(active_only=False)}
        for n, topics in enumerate(OLD_TOPIC_SETS):
            subscriber = held[f"p{n}@x.se"]
            assert subscriber.active is (n != 2)
            assert [matches(subscriber.choices, p) for p in POSTS] == [
                old_rule(topics, p) for p in POSTS
            ]
        assert store.install_id == "cafe0001"
        assert store.audit_log(held["p1@x.se"].id)[0]["action"] == "migrated"


def test_topics_are_sorted_by_the_vocabulary_with_did_you_mean() -> None:
    choice = choice_from_fields(VOCABULARY, ["Planerad ändring;vård och omsorg", "driftstörning"])
    assert choice == Choice(("Planerad ändring", "Driftstörning"), ("vård och omsorg",))
    with pytest.raises(SubscriberError, match=r"'Driftstörningar' .*did you mean 'Driftstörning'"):
        choice_from_fields(VOCABULARY, ["Driftstörningar"])
    with pytest.raises(SubscriberError, match="'skolan'"):
        choice_from_fields(VOCABULARY, [], [], ["skolan"])


def test_topics_given_before_the_feed_is_known_are_sorted_when_matching() -> None:
    choice = choice_from_fields(None, ["Driftstörning;skola"])
    assert choice.topics == ("Driftstörning", "skola")
    subscriber = make_subscriber("a@x.se", "", choice)
    assert matches(subscriber.choices, WIFI) is True
    assert matches(subscriber.choices, CARE_OUTAGE) is False


def test_ids_are_never_reused_after_forget(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.upsert_subscriber(make_subscriber("a@x.se"), reactivate=True)
        first = store.subscriber("a@x.se")
        assert first is not None
        store.forget("a@x.se")
        store.upsert_subscriber(make_subscriber("b@x.se"), reactivate=True)
        second = store.subscriber("b@x.se")
        assert second is not None and second.id > first.id


def test_the_everyone_audience_is_the_feeds() -> None:
    everybody = Vocabulary(VOCABULARY.categories, ("samtliga", "skola"), "samtliga")
    only_school = dump_choices((make_choice([], ["skola"]),))
    assert wanted(only_school, everybody)(post(("Tips",), ("samtliga",))) is True
    assert wanted(only_school, everybody)(post(("Tips",), ("alla",))) is False


def test_vocabulary_keeps_names_that_left_the_feed() -> None:
    older = Vocabulary(("Tips", "Säkerhet"), ("skola",), "alla")
    newer = Vocabulary(("Säkerhet", "Driftstörning"), ("alla",), "alla")
    assert newer.merged(older) == Vocabulary(
        ("Säkerhet", "Driftstörning", "Tips"), ("alla", "skola"), "alla"
    )


def test_the_vocabulary_comes_from_the_feed_channel() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:itc="urn:kommun:it-change:1"><channel><title>t</title>
<link>https://x.se/</link><description>d</description>
<itc:categories>Planerad ändring;Driftstörning;Säkerhet</itc:categories>
<itc:audiences>alla;skola;vård och omsorg</itc:audiences>
<itc:everyone>alla</itc:everyone>
<itc:statuses planned="planerad" ongoing="pågår" done="klar" cancelled="inställd"/>
</channel></rss>""".encode()
    assert read_vocabulary(body) == Vocabulary(
        ("Planerad ändring", "Driftstörning", "Säkerhet"), ("alla", "skola", "vård och omsorg"),
        "alla", "inställd",
    )
    declared = read_vocabulary(body)
    assert declared is not None and declared.chosen_audiences == ("skola", "vård och omsorg")
    older = body.replace(b"<itc:categories>", b"<x>").replace(b"</itc:categories>", b"</x>")
    older = older.replace(b"<itc:audiences>", b"<y>").replace(b"</itc:audiences>", b"</y>")
    assert read_vocabulary(older) is None


def test_requests_never_confirmed_are_erased_after_the_link_expired(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.request_subscription("ny@x.se", "Ny", (), "web")
        store.upsert_subscriber(make_subscriber("gammal@x.se"), reactivate=True)
        old = store.subscriber("gammal@x.se")
        assert old is not None
        store.unsubscribe(old.id, "web")
        store.request_subscription("gammal@x.se", "", (), "web")  # asks again, never confirms
        later = datetime.now(UTC) + timedelta(hours=1)
        assert store.purge_unconfirmed(datetime.now(UTC) - timedelta(hours=1)) == 0
        assert store.purge_unconfirmed(later) == 1
        assert store.subscriber("ny@x.se") is None
        assert store.subscriber("gammal@x.se") is not None  # consented once: history kept
