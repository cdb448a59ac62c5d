"""Killed with SIGKILL at random moments, then run again: nobody is missed, few get two."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.newsletter.testkit import Cli, SmtpServer

SUBSCRIBERS = 2000
KILLS = 3


def _start(run: Cli, feed: Path, smtp: SmtpServer) -> subprocess.Popen[bytes]:
    env = {**os.environ, **smtp.env, "NEWSLETTER_FROM": "it-nyheter@exempelkommun.se"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--db", str(run.db), "send", "--feed", str(feed)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_during_send_loses_nobody(
    run: Cli, smtp_server: SmtpServer, feed_file: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "many.csv"
    csv.write_text("email,name,topics\n" + "".join(
        f"p{n:05d}@exempelkommun.se,Person {n},\n" for n in range(SUBSCRIBERS)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    sink = smtp_server.sink
    rng = random.Random(4)
    kills = 0
    for attempt in range(KILLS):
        process = _start(run, feed_file, smtp_server)
        if attempt == 0:
            time.sleep(rng.uniform(0.05, 0.6))  # anywhere: start-up, planning or sending
        else:
            target = sink.count() + rng.randint(50, 400)
            deadline = time.monotonic() + 30
            while sink.count() < target and process.poll() is None:
                assert time.monotonic() < deadline, "the send made no progress"
                time.sleep(0.005)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        kills += 1
        assert process.wait() == -signal.SIGKILL
    # The kills left work undone, or this test proves nothing about finishing it.
    assert len(sink.by_recipient()) < SUBSCRIBERS
    final = _start(run, feed_file, smtp_server)
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
