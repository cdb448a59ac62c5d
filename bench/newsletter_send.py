"""Benchmark of ``newsletter send`` against a plain smtplib baseline (a script, not a test).

A discarding aiosmtpd sink runs in its own process on 127.0.0.1.  For each size, the baseline
sends that many copies of one prebuilt digest with smtplib on one connection; then the real
``newsletter send`` (a subprocess: fetch over HTTP, plan in SQLite, compose, send, record) sends
one digest to each of that many subscribers.  Then the same ``send`` runs again and gets a 304.
The two take turns ``--repeats`` times (baseline, ours, baseline, ours, ...; a new database
for each of ours) and the medians of each are compared: run one after the other, a change in
the machine's load between them moved the ratio by a third on a shared machine.

    python bench/newsletter_send.py                  # 10,000 and 100,000 subscribers, 3 turns
    python bench/newsletter_send.py --sizes 2000     # a quick look

At 100,000 one turn takes about five minutes on a quiet machine (twice that on a loaded one):
three turns of both sizes about twenty.

Each child runs with our packages' bytecode written first, as an installed program has it.

Goals (issue 4): throughput >= 80 % of the baseline, peak memory at the largest size within
1.5x of the smallest, a run with nothing new under 1 second.  The sink, the baseline and the
sender share the machine's cores, so figures move with whatever else runs: compare a run's
ratio, not its absolute rates, and repeat on a quiet machine.  CPU seconds (user + system of
the child; the baseline's over its sending loop) are printed beside the wall-clock figures:
on a loaded machine they say more about our own cost than the wall clock does.

Peak RSS is the child's ``ru_maxrss`` from ``wait4``.  Linux starts a child's figure at its
parent's peak when it execs, so this script keeps its own memory small: each database is made
in a child of its own (made here, 100,000 subscribers raised this process's peak from 38 to
75 MiB and every later child reported 75 MiB however little it used).  The script's own peak is
printed: no child figure can be below it.
"""

from __future__ import annotations

import argparse
import os
import resource
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subscribers_import import compile_packages  # noqa: E402 (bytecode, as installed)

from newsletter.digest import (  # noqa: E402
    MailSettings,
    MessageTemplate,
    Recipient,
    build_digest,
    render_shared,
)
from newsletter.feed import parse_feed  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.subscribers import Subscriber  # noqa: E402
from newsletter.topics import make_choice  # noqa: E402
from plugins.feeds.items import feed_tag_uri, tag_uri  # noqa: E402
from plugins.feeds.render import Feed, Item, Vocabulary, render_rss  # noqa: E402
from plugins.posts.model import Post, Status, Window  # noqa: E402

SENDER = "it-nyheter@exempelkommun.se"
TOPICS = ((), (make_choice([], ["skola"]),), (make_choice([], ["förvaltning"]),),
          (make_choice(["Säkerhet"], ["vård och omsorg"]),))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_sink(port: int) -> None:
    """The sink process: accept everything, keep nothing."""
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.recv(100)
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP sink did not start")


def post(key: str, title: str, age_days: int, categories: tuple[str, ...],
         audience: tuple[str, ...], description: str, window: Window | None = None) -> Post:
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(days=age_days)
    return Post(f"news/posts/{key}.md", key, title, published, description, categories,
                audience, Status.PLANNED, window=window)


def feed_body() -> bytes:
    """The site's RSS feed of four recent posts, rendered by the feeds plugin's own code."""
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    posts = [
        post("flytt", "Flytt till nytt datacenter", 1, ("Planerad ändring",),
             ("skola", "förvaltning"), "Alla servrar flyttar till det nya datacentret. " * 4,
             Window(soon, soon + timedelta(hours=12))),
        post("natfiske", "Varning för nätfiske", 2, ("Säkerhet",), ("alla",),
             "Var försiktig med länkar i mejl. " * 5),
        post("app", "Ny app för hemtjänsten", 3, ("Nytt system",), ("vård och omsorg",),
             "Appen ersätter pappersrutinerna. " * 5),
        post("tips", "Kortkommandon i Teams", 4, ("Tips",), ("alla",),
             "Spara tid med tangentbordet. " * 5),
    ]
    site = "https://intranet.exempelkommun.se/"
    authority = "intranet.exempelkommun.se,2026"
    items = tuple(
        Item(p, tag_uri(authority, p.key), f"{site}news/{p.key}/",
             f"<p>{p.description}</p>", ("IT-kommunikation",))
        for p in posts
    )
    return render_rss(Feed(
        id=feed_tag_uri(authority, "news"), title="Nytt från IT",
        description="IT-förändringar i kommunen", site_url=site,
        self_urls={"rss": f"{site}feeds/news.rss.xml"}, author="IT-kommunikation",
        items=items, extension_about=f"{site}om-flodena/",
        vocabulary=Vocabulary(
            ("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips"),
            ("alla", "skola", "förvaltning", "vård och omsorg"), "alla"),
    ))


def serve_feed(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == '"bench"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", '"bench"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feeds/news.rss.xml"


def prebuilt_message(body: bytes) -> bytes:
    """One real digest, as the baseline's message."""
    settings = MailSettings(Address("Nytt från IT", "it-nyheter", "exempelkommun.se"),
                            "bench000", "nytt-fran-it.exempelkommun.se", SENDER)
    digest = build_digest(parse_feed(body), datetime.now(UTC))
    template = MessageTemplate(render_shared(digest, settings, with_name=True), settings)
    return template.message(Recipient(1, "p0@exempelkommun.se", "Person 0"), 1,
                            datetime.now(UTC))


def run_baseline(port: int, count: int, message: bytes) -> None:
    """Child process: send ``count`` copies over one connection; prints the wall and CPU
    seconds taken."""
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail(SENDER, [f"p{n}@exempelkommun.se"], message)
    print(time.perf_counter() - started, time.process_time() - cpu)


@dataclass(frozen=True)
class Measured:
    """A child process's wall seconds, CPU seconds (user + system), peak RSS and stdout."""

    wall: float
    cpu: float
    rss_kib: int
    out: str


def measured(command: list[str], env: dict[str, str]) -> Measured:
    """Run a child process that must succeed and measure it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    assert process.stdout and process.stderr
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command} failed: {err}")
    return Measured(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out)


def make_database(path: Path, count: int) -> None:
    """Subscribers for one turn, in a child process (see the module's note on peak RSS)."""
    subprocess.run([sys.executable, __file__, "--make-db", str(path), str(count)], check=True)


def fill_database(path: Path, count: int) -> None:
    with Store(path) as store:
        store.upsert_subscribers(
            (Subscriber(f"p{n}@exempelkommun.se", f"Person {n}", TOPICS[n % len(TOPICS)])
             for n in range(count)),
            reactivate=False, source="bench",
        )


def bench(size: int, port: int, work: Path, feed_url: str, repeats: int) -> dict[str, float]:
    """Medians of ``repeats`` turns of baseline, send and the 304 run; the highest peak RSS;
    the lowest and highest ratio of one turn's pair."""
    env = {**os.environ, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
           "SMTP_SECURITY": "none", "NEWSLETTER_FROM": SENDER}
    turns: dict[str, list[float]] = {
        "baseline": [], "baseline_cpu": [], "ours": [], "ours_cpu": [], "rss": [], "idle": [],
        "idle_cpu": [], "pair": []}
    for turn in range(repeats):
        baseline = measured([sys.executable, __file__, "--baseline", str(port), str(size)], env)
        baseline_wall, baseline_cpu = map(float, baseline.out.split())
        db = work / f"bench-{size}-{turn}.db"
        make_database(db, size)
        command = [sys.executable, "-m", "newsletter", "--db", str(db), "send", "--feed",
                   feed_url]
        ours = measured(command, env)
        idle = measured(command, env)
        assert ours.out.startswith(f"4 new posts, {size} digests sent"), ours.out
        assert idle.out.startswith("0 new posts, 0 digests sent"), idle.out
        for name, value in (("baseline", baseline_wall), ("baseline_cpu", baseline_cpu),
                            ("ours", ours.wall), ("ours_cpu", ours.cpu),
                            ("rss", ours.rss_kib), ("idle", idle.wall),
                            ("idle_cpu", idle.cpu), ("pair", baseline_wall / ours.wall)):
            turns[name].append(value)
    result = {name: statistics.median(values) for name, values in turns.items()}
    result.update(size=size, rss=max(turns["rss"]), pair_low=min(turns["pair"]),
                  pair_high=max(turns["pair"]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="turns of baseline and send per size (medians are compared)")
    parser.add_argument("--baseline", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make-db", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_db:
        fill_database(Path(args.make_db[0]), int(args.make_db[1]))
        return
    if args.sink:
        run_sink(args.sink)
        return
    body = feed_body()
    if args.baseline:
        run_baseline(args.baseline[0], args.baseline[1], prebuilt_message(body))
        return

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    compile_packages(ROOT / "newsletter", ROOT / "swedish")
    port = free_port()
    sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port)])
    server, feed_url = serve_feed(body)
    try:
        wait_for_port(port)
        results = []
        for size in args.sizes:
            with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as work:
                result = bench(size, port, Path(work), feed_url, args.repeats)
            results.append(result)
            print(
                f"{size:>7} subscribers: baseline {size / result['baseline']:6.0f} msg/s, "
                f"newsletter {size / result['ours']:6.0f} msg/s "
                f"({result['baseline'] / result['ours']:.0%} of baseline, medians of "
                f"{args.repeats} turns; single turns {result['pair_low']:.0%}-"
                f"{result['pair_high']:.0%}; CPU per message "
                f"{result['baseline_cpu'] / result['ours_cpu']:.0%} of baseline's), "
                f"peak RSS {result['rss'] / 1024:.0f} MiB, "
                f"304 run {result['idle']:.2f} s ({result['idle_cpu']:.2f} s CPU)",
                flush=True,
            )
        if len(results) > 1:
            print(f"peak memory {results[-1]['size']} vs {results[0]['size']}: "
                  f"{results[-1]['rss'] / results[0]['rss']:.2f}x")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"this script's own peak RSS {own / 1024:.0f} MiB (the floor of every child's)")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.shutdown()
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
