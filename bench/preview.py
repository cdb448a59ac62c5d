"""Save-to-preview: how long after a writer saves a post does the browser show it? (issue 13)

Generates, in a temporary folder, a synthetic copy of the site with ``N`` news posts (the real
mkdocs.yml, pages, theme overrides and plugins; the posts of ``bench/synthetic.py``), then
for each way of previewing starts the preview server on 127.0.0.1, waits for the first build,
and then, ``--edits`` times, makes three kinds of save, each with a fresh marker, polling the
served page (every 50 ms) until the marker shows:

* ``text``: a paragraph appended to one post;
* ``front matter``: the same post's title changed (the page's ``<title>`` shows it);
* ``new post``: a new post file (its own page shows it).

Reported: the first build (start until the page answers) and, per kind of save, the median
and maximum save-to-preview time.

Ways of previewing:

* ``serve``: ``mkdocs serve`` (the old way: every save rebuilds the whole site);
* ``dirty``: ``mkdocs serve --dirty`` (the old way's fast option: rebuilds changed pages only,
  but still reads every post and renders every list);
* ``visa``: ``nyhet visa`` (the new way).

Not a test: run it by hand and record the figures in the README::

    python bench/preview.py [--sizes 300 1000 3000] [--ways serve dirty visa] [--edits 3]

Talks to nothing but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import SOURCE_DATE_EPOCH, prepare  # the synthetic site of every site benchmark

EDITED = "nyhet-00007"  # A post on the news index's first page, in the feeds: the worst case.
STARTUP_LIMIT = 1800.0
SHOW_LIMIT = 1200.0


def generate_site(root: Path, count: int) -> Path:
    """Write the synthetic site to ``root``; returns its mkdocs.yml."""
    site = prepare(root)
    for _text in site.write_posts(count):  # written as they are generated
        pass
    return site.write_config("mkdocs.yml", site.config())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def command(way: str, config: Path, port: int) -> list[str]:
    address = f"127.0.0.1:{port}"
    if way == "visa":
        return [sys.executable, "-m", "nyhet", "--config", str(config), "visa", "-a", address]
    serve = [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", address]
    return [*serve, "--dirty"] if way == "dirty" else serve


KINDS = ("text", "front matter", "new post")


@dataclass(frozen=True)
class Result:
    way: str
    posts: int
    startup: float
    edits: dict[str, list[float]]
    """Save-to-preview seconds by kind of save."""


def with_markers(original: str, title: str, body: str) -> str:
    """``original`` with ``title`` put before its title and ``body`` appended as a paragraph."""
    # Synthetic posts have 'title: "Skrivarna får nya funktioner - nr 13"' (an en dash).
    head, key, rest = original.partition('title: "')
    text = f"{head}{key}{title} {rest}" if title else original
    return f"{text}\n{body}\n" if body else text


def save(kind: str, post: Path, original: str, marker: str, state: dict[str, str]
         ) -> tuple[Path, str]:
    """Make one save of ``kind`` with ``marker``; the file whose page shows it, and its URL path.

    ``state`` holds the markers now in the post's title and text: a text save changes only
    the text, a front-matter save only the title.
    """
    if kind == "text":
        state["body"] = marker
    elif kind == "front matter":
        state["title"] = marker
    else:
        new = post.with_name(f"ny-{marker.split()[-1]}.md")
        new.write_text(with_markers(original, marker, ""), encoding="utf-8")
        return new, f"news/{new.stem}/"
    post.write_text(with_markers(original, state["title"], state["body"]), encoding="utf-8")
    return post, f"news/{post.stem}/"


def measure(way: str, config: Path, posts: int, edits: int, log_dir: Path) -> Result:
    port = free_port()
    url = f"http://127.0.0.1:{port}/news/{EDITED}/"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH), "NO_MKDOCS_2_WARNING": "1"}
    log = log_dir / f"{way}-{posts}.log"
    post = config.parent / "docs/news/posts" / f"{EDITED}.md"
    original = post.read_text(encoding="utf-8")
    created: list[Path] = []
    with log.open("w") as output:
        process = subprocess.Popen(command(way, config, port), cwd=config.parent, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while (page := fetch(url)) is None or "nyhet" not in page:
            if process.poll() is not None or time.monotonic() - started > STARTUP_LIMIT:
                raise SystemExit(f"{way} at {posts} posts did not start; see {log}")
            time.sleep(0.2)
        startup = time.monotonic() - started
        time.sleep(2)  # let the watcher settle after the first build
        timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
        state = {"title": "", "body": ""}
        for number in range(edits):
            for kind in KINDS:
                marker = f"Ändring {number} {uuid.uuid4().hex[:12]}"
                saved = time.monotonic()
                path, page_path = save(kind, post, original, marker, state)
                if path != post:
                    created.append(path)
                page_url = f"http://127.0.0.1:{port}/{page_path}"
                while marker not in (fetch(page_url) or ""):
                    if time.monotonic() - saved > SHOW_LIMIT:
                        raise SystemExit(f"{way} at {posts} posts never showed the {kind} save; "
                                         f"see {log}")
                    time.sleep(0.05)
                timings[kind].append(time.monotonic() - saved)
                time.sleep(1)
        return Result(way, posts, startup, timings)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        post.write_text(original, encoding="utf-8")
        for path in created:
            path.unlink(missing_ok=True)


LABELS = {"serve": "`mkdocs serve` (old)", "dirty": "`mkdocs serve --dirty` (old)",
          "visa": "`nyhet visa` (new)"}


def report(results: list[Result]) -> str:
    lines = ["| posts | way | first build | "
             + " | ".join(f"{kind}: median (max)" for kind in KINDS) + " |",
             "| --- | --- | --- | " + " | ".join("---" for _ in KINDS) + " |"]
    for result in results:
        cells = [f"{statistics.median(result.edits[kind]):.2f} s "
                 f"({max(result.edits[kind]):.2f} s)" for kind in KINDS]
        lines.append(f"| {result.posts:,} | {LABELS[result.way]} | {result.startup:.1f} s | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--ways", nargs="+", default=["serve", "dirty", "visa"],
                        choices=sorted(LABELS))
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    arguments = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="preview-bench-"))
    results = []
    try:
        for size in arguments.sizes:
            config = generate_site(work / f"site-{size}", size)
            for way in arguments.ways:
                result = measure(way, config, size, arguments.edits, work)
                print(f"{size} posts, {way}: first build {result.startup:.1f} s; "
                      + "; ".join(f"{kind} " + ", ".join(f"{t:.2f} s" for t in times)
                                  for kind, times in result.edits.items()), flush=True)
                results.append(result)
        print()
        print(report(results))
    finally:
        if not arguments.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"sites kept in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
