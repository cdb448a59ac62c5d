"""Killed with SIGKILL at random moments, then run again: nobody is missed, few get two."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from tests.newsletter.testkit import Cli, SmtpServer, kill_sends, start_send

SUBSCRIBERS = 2000
KILLS = 3


@pytest.mark.slow
def test_sigkill_during_send_loses_nobody(
    run: Cli, smtp_server: SmtpServer, feed_file: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "many.csv"
    csv.write_text("email,name,topics\n" + "".join(
        f"p{n:05d}@exempelkommun.se,Person {n},\n" for n in range(SUBSCRIBERS)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    sink = smtp_server.sink
    kills = kill_sends(lambda: start_send(run, feed_file, smtp_server), sink,
                       random.Random(4), times=KILLS, first_wait=0.6, messages=(50, 400))
    # The kills left work undone, or this test proves nothing about finishing it.
    assert len(sink.by_recipient()) < SUBSCRIBERS
    final = start_send(run, feed_file, smtp_server)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()

    counts = sink.by_recipient()
    assert len(counts) == SUBSCRIBERS, "somebody got no digest"
    duplicates = sum(counts.values()) - SUBSCRIBERS
    print(f"kills={kills} duplicates={duplicates} received={sink.count()}")
    assert kills == KILLS
    # At most the one message in flight at each kill can arrive twice.
    assert duplicates <= kills
    with sqlite3.connect(run.db) as db:
        assert db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall() == [
            ("sent", SUBSCRIBERS)
        ]
        assert db.execute("SELECT count(*) FROM editions").fetchone() == (1,)
