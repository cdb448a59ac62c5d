"""Load on the one-click unsubscribe endpoint of ``newsletter serve`` (a script, not a test).

Starts ``newsletter serve`` (waitress) on 127.0.0.1 with a database of subscribers, then runs
``--clients`` concurrent asyncio clients (each its own keep-alive connection; ``--client
httpx`` for httpx instead) for ``--seconds``:

1. baseline: each client GETs ``/halsa`` (the service's cheapest page: one read of SQLite);
2. one-click: each client POSTs ``List-Unsubscribe=One-Click`` to the unsubscribe link of the
   next subscriber (RFC 8058), each subscriber once.

Then it checks the database: every subscriber whose unsubscribe got a 200 is unsubscribed,
with exactly one audit line, and nobody else is.  It prints requests per second, p50/p99
latency and the ratio to the baseline.

    python bench/unsubscribe_load.py                      # 200 clients, 30 s
    python bench/unsubscribe_load.py --clients 20 --seconds 5

The clients and the server share the machine's cores: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletter.links import Links  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.subscribers import make_subscriber  # noqa: E402
from newsletter.tokens import Purpose, Signer  # noqa: E402

SECRET = "bench-secret-bench-secret-bench"
SENDER = "it-nyheter@exempelkommun.se"
LIST_ID = "nytt-fran-it.exempelkommun.se"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ok_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = float("nan")
    """CPU seconds the server process used in this phase (less sensitive to other load)."""

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def make_database(path: Path, count: int, public_url: str) -> list[tuple[int, str]]:
    """``count`` active subscribers and each one's unsubscribe link."""
    links = Links(public_url, Signer(SECRET, LIST_ID))
    with Store(path) as store, store.transaction():
        for n in range(count):
            store.upsert_subscriber(make_subscriber(f"p{n}@exempelkommun.se", f"Person {n}"),
                                    reactivate=True, source="bench")
        return [(s.id, links.link(Purpose.UNSUBSCRIBE, s.id, s.token_key))
                for s in store.subscribers()]


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    The default load generator: on two shared cores, httpx spends 10-20 ms of CPU per request
    here (measured: 22 requests/s from 200 httpx clients against a server that answers 1,000/s
    to this client), so with httpx the benchmark measures the client.  ``--client httpx``
    runs the same load through httpx for comparison.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, url: str, body: bytes = b"") -> int:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = (f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(line.split(":", 1)[1]) for line in lines
                       if line.lower().startswith("content-length:")), 0)
        await self.reader.readexactly(length)
        if any(line.lower() == "connection: close" for line in lines):
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run_phase(phase: Phase, clients: int, seconds: float, url_for: object,
                    port: int, kind: str) -> None:
    """``clients`` workers issue requests back to back until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    one_click = b"List-Unsubscribe=One-Click"
    shared = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
        timeout=60, trust_env=False) if kind == "httpx" else None

    async def send(raw: RawClient, method: str, url: str) -> int:
        if shared is not None:
            response = await shared.request(
                method, url, content=one_click if method == "POST" else None,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
            return response.status_code
        return await raw.request(method, url, one_click if method == "POST" else b"")

    async def worker() -> None:
        raw = RawClient(port)
        while time.monotonic() < deadline:
            request = url_for()  # type: ignore[operator]
            if request is None:
                break
            subscriber_id, method, url = request
            started = time.perf_counter()
            try:
                status = await send(raw, method, url)
            except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                phase.errors.append(f"{type(exc).__name__}: {exc}")
                await raw.close()
                continue
            phase.latencies.append(time.perf_counter() - started)
            if status != 200:
                phase.errors.append(f"HTTP {status}")
            elif subscriber_id is not None:
                phase.ok_ids.append(subscriber_id)
        await raw.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    phase.seconds = time.monotonic() - started
    if shared is not None:
        await shared.aclose()


def start_server(db: Path, port: int, work: Path, threads: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSLETTER_PUBLIC_URL": f"http://127.0.0.1:{port}/",
           "NEWSLETTER_SECRET": SECRET, "NEWSLETTER_FROM": SENDER,
           "NEWSLETTER_TRANSPORT": "outbox"}
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "--db", str(db), "serve", "--port", str(port),
         "--threads", str(threads), "--outbox", str(work / "outbox")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/halsa", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("newsletter serve did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(phase: Phase, pid: int, clients: int, seconds: float, url_for: object,
             port: int, kind: str) -> None:
    before = cpu_seconds(pid)
    asyncio.run(run_phase(phase, clients, seconds, url_for, port, kind))
    phase.server_cpu = cpu_seconds(pid) - before


def check_database(db: Path, unsubscribed: list[int]) -> list[str]:
    """Problems: a 200 that did not unsubscribe, an audit line missing or twice, extras."""
    connection = sqlite3.connect(db)
    inactive = {row[0] for row in connection.execute("SELECT id FROM subscribers WHERE active = 0")}
    audited: dict[int, int] = {}
    for (subscriber_id,) in connection.execute(
        "SELECT subscriber_id FROM audit WHERE action = 'unsubscribed'"
    ):
        audited[subscriber_id] = audited.get(subscriber_id, 0) + 1
    connection.close()
    wanted = set(unsubscribed)
    problems = []
    if lost := wanted - inactive:
        problems.append(f"{len(lost)} unsubscribes answered 200 but not recorded")
    if extra := inactive - wanted:
        problems.append(f"{len(extra)} subscribers unsubscribed that nobody asked for")
    if twice := [s for s, n in audited.items() if n != 1]:
        problems.append(f"{len(twice)} subscribers with more than one audit line")
    if missing := wanted - set(audited):
        problems.append(f"{len(missing)} unsubscribes without an audit line")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--subscribers", type=int, default=60_000)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="load generator: asyncio streams (default) or httpx")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "state.db"
        port = free_port()
        started = time.monotonic()
        links = make_database(db, args.subscribers, f"http://127.0.0.1:{port}/")
        print(f"{len(links)} subscribers in {time.monotonic() - started:.1f} s")
        server = start_server(db, port, work, args.threads)
        try:
            health = f"http://127.0.0.1:{port}/halsa"
            baseline = Phase("baseline: GET /halsa")
            measured(baseline, server.pid, args.clients, args.baseline_seconds,
                     lambda: (None, "GET", health), port, args.client)
            queue = iter(links)

            def next_unsubscribe() -> tuple[int, str, str] | None:
                item = next(queue, None)
                return None if item is None else (item[0], "POST", item[1])

            load = Phase("one-click POST /avsluta")
            measured(load, server.pid, args.clients, args.seconds, next_unsubscribe, port,
                     args.client)
        finally:
            server.terminate()
            server.wait(10)
        problems = check_database(db, load.ok_ids)

    print(f"\n{args.clients} concurrent clients ({args.client}), waitress with {args.threads}"
          " threads\n")
    print("| phase | requests | req/s | p50 | p99 | server CPU per request | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for phase in (baseline, load):
        per_request = phase.server_cpu / max(1, len(phase.latencies)) * 1000
        print(f"| {phase.name} | {len(phase.latencies)} | {phase.rate:.0f} | "
              f"{phase.percentile(50):.0f} ms | {phase.percentile(99):.0f} ms | "
              f"{per_request:.1f} ms | {len(phase.errors)} |")
    if baseline.latencies and load.latencies:
        print(f"\none-click vs baseline: p50 {load.percentile(50) / baseline.percentile(50):.2f}x,"
              f" p99 {load.percentile(99) / baseline.percentile(99):.2f}x, throughput "
              f"{load.rate / baseline.rate:.0%}")
        print(f"mean latency {statistics.fmean(load.latencies) * 1000:.0f} ms")
    print(f"unsubscribed and audited exactly once: {len(load.ok_ids)}; "
          f"problems: {problems or 'none'}")
    if load.errors:
        print("first errors:", load.errors[:5])
    if problems or load.errors or baseline.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
