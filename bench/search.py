"""Old search (Material's lunr) against the new (Pagefind) on the same synthetic site (issue 11).

Generates, in a temporary folder, the real site (same theme, overrides and plugins) with
``--posts`` news posts, each of which also uses one Swedish word form of four nouns
(lösenord, avbrott, skrivare, filserver) in its text, so how many posts hold each noun is
known. Then, for each size, it builds the site in four modes, each build a fresh
``python -m mkdocs build`` with the search plugin's own event methods timed:

(a) no search at all: the baseline of the build time;
(b) old: Material's search plugin with ``lang: sv``, as the site had it;
(c) Material's search with its Swedish stemmer pipeline (the other candidate of the issue);
(d) new: the ``intranet-search`` plugin (Pagefind).

For (b), (c) and (d) it serves the built site on 127.0.0.1 with gzip (as nginx or IIS would
send it, from a process of its own, over kept-alive connections; Pagefind's index files are
gzip already and go as they are, as opaque bytes that Pagefind's script unpacks) and opens the
news page in a fresh headless Chromium (Debian's), types a query into the header's search box
as soon as the page has loaded, and records the bytes that searching downloaded (the search's
scripts, worker and index files, as sent over the wire) and the time from typing to the first
result shown. Then it types each word form and reads how many pages were found.

It prints, side by side, per size: build time and its increase over (a), the search plugin's
own share of the build, the index's size on disk and gzipped, the first query's bytes and
time, and the pages found per word form. Not a test: run it by hand and record the figures::

    python bench/search.py [--posts 300 3000] [--modes a b c d] [--repeat 3] [--keep]

For (d) the pasted query is also timed, in turns, with Pagefind's files sent with
``Content-Encoding: gzip`` (the same bytes; the browser unpacks them, Pagefind's script sees
they are unpacked and skips its own unpacking), the server setting the README recommends.

``--modes`` leaves modes out (the old ones take many minutes at 3,000 posts); ``--repeat``
measures each first query in that many fresh browsers and reports the median (one cold
first query on a shared machine varies by a factor of two).

Talks to nothing but the local machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # the synthetic site every site benchmark builds
from site_server import EncodingHandler, served, wire  # the site served as nginx would

REPO = synthetic.REPO
CHROMIUM = "/usr/bin/chromium"
FORMS = {
    "lösenord": ("lösenord", "lösenordet", "lösenorden"),
    "avbrott": ("avbrott", "avbrottet", "avbrotten"),
    "skrivare": ("skrivare", "skrivaren", "skrivarna"),
    "filserver": ("filserver", "filservern"),
}
QUERIES = ("lösenord", "lösenordet", "lösenorden", "avbrott", "avbrotten", "skrivare",
           "skrivaren", "filserver", "filservern", "losenordet")
FIRST_QUERY = "lösenordet"
SENTENCE = {
    "lösenord": "Byt {form} om du tror att någon annan känner till det.",
    "avbrott": "Under {form} kan du inte nå tjänsten.",
    "skrivare": "Har du frågor om {form} kan du ringa servicedesk.",
    "filserver": "Dina mappar på {form} flyttas till OneDrive.",
}
SEARCH_URL = re.compile(r"/(search/|pagefind/|assets/intranet-search/|assets/javascripts/"
                        r"(workers/search|lunr/))")


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    plugin_class: str | None
    entry: dict[str, Any] | None
    """The search entry of ``plugins:``; None for no search."""
    material_header: bool
    """Material's own header (its search box) instead of our override."""


MODES = (
    Mode("a", "(a) no search", None, None, True),
    Mode("b", "(b) old: Material search, lang sv", "material.plugins.search.plugin:SearchPlugin",
         {"search": {"lang": "sv"}}, True),
    Mode("c", "(c) Material search + Swedish stemmer",
         "material.plugins.search.plugin:SearchPlugin",
         {"search": {"lang": "sv", "pipeline": ["stemmer", "stopWordFilter", "trimmer"]}}, True),
    Mode("d", "(d) new: intranet-search (Pagefind)", "plugins.search.plugin:SearchPlugin",
         {"intranet-search": {"everyone_audience": "alla"}}, False),
)


# --- The synthetic site --------------------------------------------------------------------------

def generate(root: Path, count: int) -> dict[str, int]:
    """The site with ``count`` posts, one mkdocs.yml per mode; posts per noun."""
    site = synthetic.prepare(root)
    real, posts_options = site.real, site.posts_options

    rng = random.Random(2026)
    nouns = list(FORMS)
    holding = dict.fromkeys(FORMS, 0)
    for index in range(count):
        noun = nouns[index % len(nouns)]
        form = FORMS[noun][(index // len(nouns)) % len(FORMS[noun])]
        holding[noun] += 1
        text = synthetic.post_markdown(index, count, posts_options, rng)
        text += "\n" + SENTENCE[noun].format(form=form) + "\n"
        site.post_path(index).write_text(text, encoding="utf-8")

    # The old modes use Material's header, whose search box is Material's.
    material_overrides = root / "overrides-material"
    shutil.copytree(REPO / "overrides", material_overrides)
    for name in ("header.html", "intranet-search.html"):
        (material_overrides / "partials" / name).unlink(missing_ok=True)

    for mode in MODES:
        plugins = [item for item in real["plugins"]
                   if synthetic.plugin_name(item) not in ("search", "intranet-search")]
        if mode.entry is not None:
            plugins.append(mode.entry)
        config = site.config(material_overrides if mode.material_header else None)
        features = list(config["theme"].get("features", []))
        if mode.key in ("b", "c"):
            features += ["search.suggest", "search.highlight"]
        config["theme"]["features"] = features
        site.write_config(f"mkdocs-{mode.key}.yml", {**config, "plugins": plugins})
    return holding


# --- Building ------------------------------------------------------------------------------------

@dataclass
class Build:
    seconds: float
    cpu_seconds: float
    plugin_seconds: float
    build_seconds: float
    site: Path

    @property
    def plugin_share(self) -> float:
        return 100 * self.plugin_seconds / (self.build_seconds - self.plugin_seconds)


def build(root: Path, mode: Mode, scratch: Path) -> Build:
    site = scratch / f"site-{mode.key}"
    shutil.rmtree(site, ignore_errors=True)
    times = scratch / f"times-{mode.key}.json"
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(synthetic.SOURCE_DATE_EPOCH),
        "SITE_URL": "https://intranet.exempelby.se/",
        "NO_MKDOCS_2_WARNING": "1",
        # Mode (a) times the feed plugin, which it has: a harmless stand-in for no plugin.
        # (a) has no search plugin; the timed build needs a class, its share is not reported.
        "BENCH_PLUGIN_CLASS": mode.plugin_class or "plugins.feeds.plugin:FeedsPlugin",
        "BENCH_TIMES": str(times),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-c", synthetic.TIMED_BUILD, "build", "-q",
               "-f", str(root / f"mkdocs-{mode.key}.yml"), "-d", str(site)]
    with tempfile.TemporaryFile(dir=scratch) as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"{mode.label}: build failed:\n"
                             f"{output.read().decode('utf-8', 'replace')[-4000:]}")
    measured = json.loads(times.read_text())
    plugin = measured["plugin"] if mode.plugin_class else 0.0
    return Build(seconds, usage.ru_utime + usage.ru_stime, plugin, measured["build"], site)


def index_size(site: Path, mode: Mode) -> tuple[int, int]:
    """Bytes of the search index on disk, and gzipped as a server sends it."""
    if mode.key in ("b", "c"):
        files = [site / "search" / "search_index.json"]
    elif mode.key == "d":
        # The index itself, not Pagefind's optional UI bundles that the site never loads.
        files = [p for p in (site / "pagefind").rglob("*") if p.is_file()
                 and not p.name.startswith(("pagefind-ui", "pagefind-component-ui",
                                            "pagefind-modular-ui", "pagefind-highlight"))]
    else:
        return 0, 0
    raw = sum(p.stat().st_size for p in files)
    sent = sum(len(wire(p)) for p in files)
    return raw, sent


# --- The browser ---------------------------------------------------

@dataclass
class Browse:
    pasted_bytes: int = 0
    pasted_requests: int = 0
    pasted_ms: float = 0.0
    pasted_encoded_ms: float | None = None
    """The same, with Pagefind's files sent as gzip-encoded (site_server.EncodingHandler)."""
    typed_bytes: int = 0
    typed_ms: float = 0.0
    first_found: bool = False
    found: dict[str, int] = field(default_factory=dict)


def _result_count(text: str) -> int:
    text = text.strip()
    if "Inga" in text:
        return 0
    match = re.search(r"(\d+)", text)
    return int(match.group(1)) if match else -1


TYPING_DELAY_MS = 150  # a quick typist: about 80 words a minute
# Timed by the page's own clock, from the box's last input event (the key or the paste) to
# the DOM showing a result count, so that Playwright's round trips are not counted.
_CLOCK = """
window.__bench = { input: null, shown: null };
document.addEventListener("input", event => {
  if (event.target.matches("input.md-search__input")) {
    window.__bench.input = performance.now();
    window.__bench.shown = null;
    // The previous letter's count is not this query's: wait for a new one.
    const meta = document.querySelector(".md-search-result__meta");
    if (meta) meta.textContent = "";
  }
}, true);
new MutationObserver(() => {
  const meta = document.querySelector(".md-search-result__meta");
  const bench = window.__bench;
  if (meta && bench.input !== null && bench.shown === null
      && /sökresultat/.test(meta.textContent)) {
    bench.shown = performance.now();
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
_RESULTS_SHOWN = "() => window.__bench.shown !== null"


def warm_up_playwright(page: Any) -> None:
    """Have Playwright put its helper script into the page's own world now, before the clock
    starts: it does so at the first wait_for_function, and compiling it takes the page's
    main thread for some 70 ms on this machine, which no reader's browser spends."""
    page.wait_for_function("() => true")


def _first_query(browser: Any, base: str, mode: Mode, typed: bool) -> tuple[float, int, int, Any]:
    """A fresh context: open the news page, put the first query into the header's box as
    soon as the page has loaded; milliseconds until results show, bytes and requests of
    search files (as sent, compressed), and the context for further queries."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
    context.set_default_timeout(300_000)
    context.add_init_script(_CLOCK)
    # The sizes are asked for after the clock has stopped: each asking is a round trip to the
    # browser, which would otherwise take its time while the reader is waiting.
    finished: list[Any] = []
    context.on("requestfinished", lambda request: finished.append(request)
               if SEARCH_URL.search(request.url) else None)
    page = context.new_page()
    page.goto(base + "news/", wait_until="load")
    box = page.locator("input.md-search__input")
    box.click()
    warm_up_playwright(page)
    if typed:
        box.press_sequentially(FIRST_QUERY[:-1], delay=TYPING_DELAY_MS)
        page.wait_for_timeout(TYPING_DELAY_MS)
        box.press(FIRST_QUERY[-1])
    else:
        # A paste: the whole query in one input event. Material's box searches on keyup,
        # which a paste with Ctrl+V also sends; End sends it without changing the text.
        box.fill(FIRST_QUERY)
        if mode.material_header:
            box.press("End")
    try:
        page.wait_for_function(_RESULTS_SHOWN)
    except Exception:
        page.screenshot(path=f"/tmp/search-bench-{mode.key}.png")
        raise SystemExit(f"{mode.label}: no results shown; the box says "
                         f"{page.locator('.md-search-result__meta').inner_text()!r}") from None
    elapsed = page.evaluate("window.__bench.shown - window.__bench.input")
    page.wait_for_function("() => /sökresultat/.test("
                           "document.querySelector('.md-search-result__meta').textContent)")
    page.wait_for_load_state("networkidle")
    sizes = [request.sizes()["responseBodySize"] for request in finished]
    return elapsed, sum(sizes), len(sizes), (context, page)


def browse(base: str, mode: Mode, repeat: int = 1, encoded_base: str | None = None) -> Browse:
    """The first query pasted and typed, each in ``repeat`` fresh browsers, then every word
    form. With ``encoded_base`` (the site served with Pagefind's files gzip-encoded), each
    pasted query is also timed there, in turns with ``base``."""
    from playwright.sync_api import sync_playwright

    outcome = Browse()
    with sync_playwright() as playwright:
        def launch() -> Any:
            return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-gpu"])

        # Pasted at once into a fresh browser: one query, nothing loaded before it. A new
        # browser each time, so that no compiled code or cache carries over.
        pasted = []
        encoded = []
        for _ in range(repeat):
            browser = launch()
            ms, outcome.pasted_bytes, outcome.pasted_requests, (context, page) = \
                _first_query(browser, base, mode, typed=False)
            pasted.append(ms)
            outcome.first_found = page.locator(".md-search-result__item").count() > 0
            context.close()
            browser.close()
            if encoded_base is not None:
                browser = launch()
                ms, _bytes, _requests, (context, page) = \
                    _first_query(browser, encoded_base, mode, typed=False)
                encoded.append(ms)
                context.close()
                browser.close()
        outcome.pasted_ms = statistics.median(pasted)
        if encoded:
            outcome.pasted_encoded_ms = statistics.median(encoded)
            print(f"    pasted, Pagefind's files gzip-encoded: {[round(x) for x in encoded]} ms",
                  file=sys.stderr, flush=True)
        # Typed letter by letter into another fresh browser: what a reader waits for after
        # the last key, and what all the letters' searches downloaded.
        typed = []
        for _ in range(repeat):
            browser = launch()
            ms, outcome.typed_bytes, _requests, (context, page) = \
                _first_query(browser, base, mode, typed=True)
            typed.append(ms)
            if len(typed) < repeat:
                context.close()
                browser.close()
        outcome.typed_ms = statistics.median(typed)
        print(f"    pasted {[round(x) for x in pasted]} ms, typed {[round(x) for x in typed]} ms",
              file=sys.stderr, flush=True)

        box = page.locator("input.md-search__input")
        meta = page.locator(".md-search-result__meta")
        for query in QUERIES:
            box.fill("")
            page.wait_for_timeout(300)
            box.fill(query[:-1])
            box.press(query[-1])
            page.wait_for_timeout(1500)  # both boxes search as the reader types
            outcome.found[query] = _result_count(meta.inner_text())
        context.close()
        browser.close()
    return outcome


def worker_ab(base: str, mode: Mode, site: Path, repeat: int) -> str:
    """A pasted first query with Pagefind in its web worker (as built) and on the page's own
    thread (its ``noWorker`` option, patched into the built box's script), in turns, each in
    a fresh browser; the medians. A candidate, not what the site ships."""
    from playwright.sync_api import sync_playwright

    script = site / "assets" / "intranet-search" / "search.js"
    built = script.read_text(encoding="utf-8")
    patched = built.replace("excerptLength: 24 }", "excerptLength: 24, noWorker: true }")
    if patched == built:
        raise SystemExit("worker A/B: the box's Pagefind options were not found in search.js")
    times: dict[str, list[float]] = {"worker": [], "noWorker": []}
    try:
        with sync_playwright() as playwright:
            for _ in range(repeat):
                for name, text in (("worker", built), ("noWorker", patched)):
                    script.write_text(text, encoding="utf-8")
                    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                         headless=True,
                                                         args=["--no-sandbox", "--disable-gpu"])
                    ms, _bytes, _requests, (context, _page) = _first_query(browser, base, mode,
                                                                           typed=False)
                    times[name].append(ms)
                    context.close()
                    browser.close()
    finally:
        script.write_text(built, encoding="utf-8")
    return ("\nFirst query pasted, Pagefind in its web worker against `noWorker` (in turns, "
            f"{repeat} each): median {statistics.median(times['worker']):.0f} ms "
            f"{sorted(round(t) for t in times['worker'])} against "
            f"{statistics.median(times['noWorker']):.0f} ms "
            f"{sorted(round(t) for t in times['noWorker'])}")


# --- Report --------------------------------------------------------------------------------------

def _kb(n: float) -> str:
    return f"{n / 1000:,.0f} kB" if n >= 10_000 else f"{n / 1000:,.1f} kB"


def report(size: int, holding: dict[str, int], builds: dict[str, Build],
           sizes: dict[str, tuple[int, int]], browsing: dict[str, Browse]) -> str:
    base = builds.get("a")
    lines = [f"\n## {size:,} posts\n",
             "| mode | build | vs (a) | search plugin's own time (share) | index on disk | "
             "index gzipped | first query pasted: downloads | results after | "
             "results after, Pagefind's files gzip-encoded by the server | "
             f"first query typed ({TYPING_DELAY_MS} ms a key): downloads | "
             "results after the last key |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for mode in MODES:
        if mode.key not in builds:
            continue
        run = builds[mode.key]
        raw, sent = sizes[mode.key]
        seen = browsing.get(mode.key)
        cells = [mode.label, f"{run.seconds:.1f} s"]
        if mode.key == "a":
            cells += ["—"] * 9
        else:
            cells += [f"{100 * (run.seconds / base.seconds - 1):+.1f} %" if base else "—",
                      f"{run.plugin_seconds:.2f} s ({run.plugin_share:.1f} %)",
                      _kb(raw), _kb(sent)]
            if seen:
                none = "" if seen.first_found else " (none found)"
                cells += [f"{_kb(seen.pasted_bytes)} in {seen.pasted_requests} requests",
                          f"{seen.pasted_ms:.0f} ms{none}",
                          "—" if seen.pasted_encoded_ms is None
                          else f"{seen.pasted_encoded_ms:.0f} ms",
                          _kb(seen.typed_bytes),
                          f"{seen.typed_ms:.0f} ms"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Pages found per query (the synthetic posts alone: "
              + ", ".join(f"{noun} {n}" for noun, n in holding.items())
              + "; the real guides and posts add a few):", "",
              "| query | " + " | ".join(m.label for m in MODES if m.key in browsing) + " |",
              "| --- |" + " --- |" * len(browsing)]
    for query in QUERIES:
        lines.append(f"| {query} | " + " | ".join(
            str(browsing[m.key].found.get(query, "?")) for m in MODES if m.key in browsing)
            + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--modes", nargs="+", choices=[m.key for m in MODES],
                        default=[m.key for m in MODES], help="the modes to build and measure")
    parser.add_argument("--repeat", type=int, default=1,
                        help="fresh browsers per first query (the median is reported)")
    parser.add_argument("--ab-no-worker", action="store_true",
                        help="also time (d)'s pasted first query with Pagefind's noWorker")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    args = parser.parse_args(argv)
    modes = [mode for mode in MODES if mode.key in args.modes]
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install chromium")

    scratch = Path(tempfile.mkdtemp(prefix="search-bench-"))
    print(f"# Search benchmark ({os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at start)")
    try:
        for count in args.posts:
            root = scratch / f"source-{count}"
            root.mkdir()
            print(f"Generating {count} posts…", file=sys.stderr, flush=True)
            holding = generate(root, count)
            builds: dict[str, Build] = {}
            sizes: dict[str, tuple[int, int]] = {}
            browsing: dict[str, Browse] = {}
            for mode in modes:
                run = build(root, mode, scratch)
                builds[mode.key] = run
                sizes[mode.key] = index_size(run.site, mode)
                print(f"  {count} {mode.label}: {run.seconds:.1f} s", file=sys.stderr,
                      flush=True)
                if mode.entry is not None:
                    encoded = (served(run.site, EncodingHandler) if mode.key == "d"
                               else contextlib.nullcontext(None))
                    with served(run.site) as base, encoded as encoded_base:
                        browsing[mode.key] = browse(base, mode, args.repeat, encoded_base)
                        if mode.key == "d" and args.ab_no_worker:
                            print(worker_ab(base, mode, run.site, args.repeat), flush=True)
                    seen = browsing[mode.key]
                    print(f"    first query pasted {seen.pasted_ms:.0f} ms "
                          f"{seen.pasted_bytes} B, typed {seen.typed_ms:.0f} ms "
                          f"{seen.typed_bytes} B", file=sys.stderr, flush=True)
                if not args.keep:
                    shutil.rmtree(run.site)
            print(report(count, holding, builds, sizes, browsing), flush=True)
        print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep:
            print(f"Kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
