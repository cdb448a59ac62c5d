"""The newsletter's fault and crash tests, on the Graph transport: a stand-in that refuses,
throttles and drops connections, and a send killed with SIGKILL at random moments."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from tests.newsletter.m365.conftest import Graph
from tests.newsletter.m365.kit import Response, graph_error
from tests.newsletter.testkit import Cli, time_passes

COUNT = 200


def _statuses(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))


def _import(run: Cli, tmp_path: Path, count: int) -> list[str]:
    addresses = [f"person{n:04d}@exempelkommun.se" for n in range(count)]
    csv = tmp_path / "many.csv"
    csv.write_text("email,name,topics\n" + "".join(f"{a},Person {i},\n"
                                                  for i, a in enumerate(addresses)))
    assert run("subscribers", "import", str(csv)).exit_code == 0
    return addresses


@pytest.mark.slow
def test_refused_busy_and_lost_others_delivered_nobody_twice(
    run: Cli, graph: Graph, feed_file: Path, tmp_path: Path
) -> None:
    addresses = _import(run, tmp_path, COUNT)
    rejected = {a for i, a in enumerate(addresses) if i % 37 == 5}
    # About 10 % find the service unavailable for longer than a run waits.
    busy = {a for a in addresses if zlib.crc32(a.encode()) % 10 == 0} - rejected
    lost = next(a for a in addresses if a not in rejected | busy)
    graph.service.drop_after = {lost}

    def script(recipient: str, attempt: int) -> Response | None:
        if recipient in rejected:
            return graph_error(400, "ErrorInvalidRecipients",
                               "At least one recipient isn't valid.")
        if recipient in busy and attempt == 1:
            return graph_error(503, "ServiceUnavailable", "Service Unavailable",
                               **{"Retry-After": "30"})
        return None

    graph.service.script = script
    env = {**graph.env, "GRAPH_MAX_WAIT": "5", "GRAPH_MAX_PER_MINUTE": "100000"}
    first = run("send", "--feed", str(feed_file), env=env)
    assert first.exit_code == 0, first.output
    expected_sent = COUNT - len(rejected) - len(busy) - 1
    assert first.stdout.startswith(
        f"3 new posts, {expected_sent} digests sent, {len(rejected)} failed, "
        f"{len(busy)} deferred, 1 unknown"
    )
    failures = run("failures").stdout.splitlines()
    assert {line.split("\t")[3] for line in failures} == rejected
    assert all("400 ErrorInvalidRecipients" in line for line in failures)

    graph.service.drop_after = set()
    time_passes(run.db, hours=0.5)  # deferred deliveries wait, as over SMTP
    second = run("send", "--feed", str(feed_file), env=env)
    assert second.stdout.startswith(f"0 new posts, {len(busy) + 1} digests sent, 0 failed")
    counts = graph.service.by_recipient()
    assert set(counts) == set(addresses) - rejected
    assert counts[lost] == 2  # it did arrive the first time; the outcome was unknown
    assert {a: n for a, n in counts.items() if n != 1} == {lost: 2}
    assert _statuses(run.db) == {"sent": COUNT - len(rejected), "failed": len(rejected)}
    third = run("send", "--feed", str(feed_file), env=env)
    assert third.stdout.startswith("0 new posts, 0 digests sent, 0 failed, 0 deferred")


def test_graph_unreachable_defers(run: Cli, graph: Graph, feed_file: Path,
                                  tmp_path: Path) -> None:
    from tests.newsletter.testkit import LOCALHOST, free_port

    _import(run, tmp_path, 2)
    env = {**graph.env, "GRAPH_URL": f"https://{LOCALHOST}:{free_port()}/v1.0"}
    result = run("send", "--feed", str(feed_file), env=env)
    assert result.exit_code == 0, result.output
    assert "0 digests sent, 0 failed, 2 deferred" in result.stdout
    assert _statuses(run.db) == {"deferred": 2}


SUBSCRIBERS = 1000
KILLS = 3


@pytest.mark.slow
def test_sigkill_during_graph_send_loses_nobody(
    run: Cli, graph: Graph, feed_file: Path, tmp_path: Path
) -> None:
    _import(run, tmp_path, SUBSCRIBERS)
    env = {name: value for name, value in os.environ.items() if name not in graph.env}
    env |= {name: value for name, value in graph.env.items() if value is not None}
    env |= {"NEWSLETTER_FROM": "it-nyheter@exempelkommun.se", "GRAPH_MAX_PER_MINUTE": "100000"}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "newsletter", "--db", str(run.db), "send",
             "--feed", str(feed_file)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    rng = random.Random(12)
    kills = 0
    for attempt in range(KILLS):
        process = start()
        if attempt == 0:
            time.sleep(rng.uniform(0.05, 0.6))
        else:
            target = graph.service.count() + rng.randint(50, 250)
            deadline = time.monotonic() + 60
            while graph.service.count() < target and process.poll() is None:
                assert time.monotonic() < deadline, "the send made no progress"
                time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    final = start()
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    counts = graph.service.by_recipient()
    assert len(counts) == SUBSCRIBERS, "somebody got no digest"
    duplicates = sum(counts.values()) - SUBSCRIBERS
    print(f"kills={kills} duplicates={duplicates} received={graph.service.count()}")
    assert duplicates <= kills
    assert _statuses(run.db) == {"sent": SUBSCRIBERS}
