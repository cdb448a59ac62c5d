"""The store's memory of what each subscriber was sent (schema 4), on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from newsletter import store as store_module
from newsletter.feed import Action, Entry, Window
from newsletter.notices import Kind, Notice, PostState
from newsletter.store import Store
from newsletter.subscribers import make_subscriber

WHEN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def entry(post_id: str, audience: str, status: str = "planerad") -> Entry:
    return Entry(
        id=post_id, title=post_id, link=f"https://intranet.test/{post_id}/", published=WHEN,
        updated=WHEN, categories=("Planerad ändring",), audiences=(audience,), status=status,
        window=Window(datetime(2026, 12, 11, 17, 0, tzinfo=UTC)),
        action=Action("Spara dina filer", date(2026, 12, 11)),
    )


def test_a_version_3_database_learns_what_its_sent_deliveries_carried(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(store_module._SCHEMA)
    db.executescript(store_module._SCHEMA_2)
    db.executescript(store_module._SCHEMA_3)
    db.execute("INSERT INTO meta VALUES ('install_id', 'cafe0002')")
    # Anna wants school posts only; Bertil everything; Cecilia's delivery failed.
    for n, (email, choices) in enumerate(
        [("anna@x.se", '[{"categories": null, "audiences": ["skola"]}]'),
         ("bertil@x.se", "[]"), ("cecilia@x.se", "[]")], start=1
    ):
        db.execute(
            "INSERT INTO subscribers (id, email, email_key, choices, created_at)"
            " VALUES (?, ?, ?, ?, '2026-01-01T00:00:00+00:00')", (n, email, email, choices))
    db.execute("INSERT INTO editions VALUES (1, '2026-11-20T09:00:00+00:00', 'feed')")
    for post in (entry("skolwifi", "skola", "pågår"), entry("vard", "vård och omsorg")):
        db.execute("INSERT INTO entries VALUES (?, '2026-11-20T09:00:00+00:00', 1, ?, ?)",
                   (post.id, WHEN.isoformat(), json.dumps(post.to_json())))
    for n, status in ((1, "sent"), (2, "sent"), (3, "failed")):
        db.execute("INSERT INTO deliveries (id, edition_id, subscriber_id, status, updated_at)"
                   " VALUES (?, 1, ?, ?, '2026-11-20T09:00:00+00:00')", (n, n, status))
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()

    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
        wifi_then = PostState("pågår", Window(datetime.fromisoformat("2026-12-11T18:00+01:00")),
                              Action("Spara dina filer", date(2026, 12, 11)))
        assert store.told_states(1, ["skolwifi", "vard"]) == {"skolwifi": wifi_then}
        assert set(store.told_states(2, ["skolwifi", "vard"])) == {"skolwifi", "vard"}
        assert store.told_states(3, ["skolwifi", "vard"]) == {}


def test_told_states_notices_and_forget(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.upsert_subscriber(make_subscriber("a@x.se"), reactivate=True)
        subscriber = store.subscriber("a@x.se")
        assert subscriber is not None
        post = entry("flytt", "alla")
        with store.transaction():
            edition = store.create_edition("feed", WHEN)
            store.mark_seen([post], edition)
            store.add_notices(edition, [Notice("flytt", Kind.REMINDER, "2026-12-11")])
            assert store.plan_deliveries(edition, [post]) == 1
        [delivery] = list(store.open_deliveries())
        with store.transaction():
            store.record_told(delivery, [post])
        assert store.told_states(subscriber.id, ["flytt"]) == {"flytt": PostState.of(post)}
        assert store.given_notices(["flytt", "other"]) == {("flytt", Kind.REMINDER, "2026-12-11")}
        loaded = store.edition(edition)
        assert loaded.notices == (Notice("flytt", Kind.REMINDER, "2026-12-11"),)
        assert loaded.noticed == (post,)
        assert store.forget("a@x.se")
        assert store.db.execute("SELECT count(*) FROM told").fetchone()[0] == 0
