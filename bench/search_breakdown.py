"""Where a pasted first query's time goes (issue 11): a timeline of one search, as medians.

Builds the synthetic site of ``bench/search.py`` with ``--posts`` posts and the new search
(or takes a site already built, ``--site``), serves it gzipped on 127.0.0.1 as
``bench/search.py`` does, and ``--repeat`` times, each in a fresh headless Chromium, opens the
news page and pastes the first query into the header's box, as ``bench/search.py`` measures
it. Each event of that search is timed from the paste's input event:

* the page: its ``load`` event, and main-thread tasks longer than 50 ms (long tasks) after it;
* every request the search made (Pagefind's script, its worker, entry file, metadata,
  WebAssembly, index chunks, fragments): sent and last byte received, from Chromium's timings;
* inside Pagefind, in the page and in its web worker: marks inserted into copies of
  Pagefind's two scripts as served (the built files are not changed): script evaluated, entry
  read, metadata and WebAssembly fetched, unpacked, compiled, the metadata parsed, the search
  let through, its index chunks loaded, the WebAssembly search, a fragment parsed;
* the box (``search.js``): its own ``performance.mark`` calls (Pagefind's script imported, the
  search returned, the first fragment arrived) and the result count written, as
  ``bench/search.py`` clocks it.

It prints each event's median time and range over the runs, in order. Not a test::

    python bench/search_breakdown.py [--posts 3000] [--repeat 5] [--site built-site]

Talks to nothing but the local machine.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search as bench  # the synthetic site and its build, as the benchmark makes them
import site_server  # the site served as nginx would

# Marks inserted into Pagefind's scripts (pagefind.js and pagefind-worker.js, which both hold
# Pagefind's search class): (name, text to find, where the mark goes). The name says what has
# just happened. Each must be found in the worker's script, or the breakdown would be wrong;
# where the build changed Pagefind's code (plugins/search/scripts.py), the changed text comes
# first and the original second.
MARKS = (
    ("entry read", "let entry_json=await entry_response.json();", "after"),
    ("metadata fetched", "let compressed_meta=await compressed_resp.arrayBuffer();", "after"),
    ("metadata unpacked",
     ("this.searchMeta=await this.unpack(", "this.searchMeta=this.decompress("),
     "after-statement"),
    ("wasm fetched", "let compressed_wasm=await compressed_resp.arrayBuffer();", "after"),
    ("wasm unpacked",
     ("const final_wasm=await this.unpack(", "const final_wasm=this.decompress("),
     "after-statement"),
    ("wasm compiled", "this.wasm=await this.backend(", "after-statement"),
    ("metadata parsed (ready)", "this.raw_ptr=this.backend.init_pagefind(", "after-statement"),
    ("search let through (getPtr)", "let ptr=await this.getPtr();let filter_only", "after-ptr"),
    ("index chunk fetched", "let compressed_chunk=await compressed_resp.arrayBuffer();", "after"),
    ("chunks loaded", "await Promise.all([...chunks,...filter_chunks]);", "after"),
    ("wasm search done", "let result=this.backend.search(", "after-statement"),
    ("fragment fetched", "let compressed_fragment=await compressed_resp.arrayBuffer();", "after"),
    ("fragment parsed", "return JSON.parse(new TextDecoder().decode(fragment));", "before"),
)
CHANNEL = "intranet-search-breakdown"
_MARK_FUNCTION = (
    "const __bmark=(n)=>{try{(globalThis.__bchan||(globalThis.__bchan=new BroadcastChannel("
    f"'{CHANNEL}'))).postMessage([n,performance.timeOrigin+performance.now(),"
    "typeof window==='undefined'?'worker':'page'])}catch(e){}};"
)


def instrument(script: str, where: str) -> str:
    """``script`` (one of Pagefind's) with a mark posted at each of MARKS and when evaluated."""
    for name, texts, position in MARKS:
        candidates = (texts,) if isinstance(texts, str) else texts
        text = next((text for text in candidates if script.count(text) == 1), None)
        if text is None:
            raise SystemExit(f"{where}: {candidates!r} not found once: Pagefind's script "
                             "changed; update MARKS")
        call = f"__bmark({name!r});"
        at = script.index(text)
        if position == "after":
            script = script[:at + len(text)] + call + script[at + len(text):]
        elif position == "before":
            script = script[:at] + call + script[at:]
        elif position == "after-ptr":
            cut = at + len("let ptr=await this.getPtr();")
            script = script[:cut] + call + script[cut:]
        else:  # after the statement that starts with text (up to its semicolon)
            end = script.index(";", at + len(text)) + 1
            script = script[:end] + call + script[end:]
    return _MARK_FUNCTION + f"__bmark('{where} evaluated');" + script


# Installed in every page before its own scripts: the load event, long tasks, and the marks
# that the instrumented scripts post from the page and from the worker.
_RECORDER = f"""
window.__breakdown = {{ marks: [], longtasks: [] }};
new BroadcastChannel("{CHANNEL}").onmessage = event => {{
  const [name, at, thread] = event.data;
  window.__breakdown.marks.push({{ name: name + (thread === "worker" ? " (worker)" : ""), at }});
}};
new PerformanceObserver(list => {{
  for (const entry of list.getEntries()) {{
    window.__breakdown.longtasks.push({{
      start: performance.timeOrigin + entry.startTime, duration: entry.duration }});
  }}
}}).observe({{ type: "longtask", buffered: true }});
"""
_COLLECT = """() => {
  const origin = performance.timeOrigin;
  const page = performance.getEntriesByType("mark")
    .filter(entry => entry.name.startsWith("intranet-search:"))
    .map(entry => ({ name: "box: " + entry.name.slice(16), at: origin + entry.startTime }));
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    input: origin + window.__bench.input,
    shown: origin + window.__bench.shown,
    load: origin + nav.loadEventEnd,
    marks: [...page, ...window.__breakdown.marks],
    longtasks: window.__breakdown.longtasks,
  };
}"""


class _InstrumentedHandler(site_server.GzipHandler):
    """The site as bench/search.py serves it, with Pagefind's scripts instrumented."""

    scripts: ClassVar[dict[str, bytes]] = {}

    def send_head(self):  # type: ignore[no-untyped-def]
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        if name in self.scripts:
            body = self.scripts[name]
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()


def served(site: Path, no_worker: bool = False, pagefind_encoded: bool = False) -> Any:
    """bench/search.py's server, with Pagefind's scripts instrumented (and --no-worker)."""
    index = site / "pagefind"
    scripts = {name: instrument((index / name).read_text(encoding="utf-8"), name).encode()
               for name in ("pagefind.js", "pagefind-worker.js")}
    if no_worker:
        box = (site / "assets" / "intranet-search" / "search.js").read_text(encoding="utf-8")
        patched = box.replace("excerptLength: 24 }", "excerptLength: 24, noWorker: true }")
        if patched == box:
            raise SystemExit("--no-worker: the box's Pagefind options were not found")
        scripts["search.js"] = patched.encode()
    handler = type("Handler", (_InstrumentedHandler,),
                   {"scripts": scripts, "pagefind_encoded": pagefind_encoded})
    return site_server.served(site, handler)


def _short(url: str) -> str:
    name = url.split("?")[0].rsplit("/", 1)[-1]
    return re.sub(r"[0-9a-f]{10,}", "…", name) or url


def one_run(playwright: Any, base: str) -> dict[str, float]:
    """Milliseconds from the paste's input event to each event of one first query."""
    browser = playwright.chromium.launch(executable_path=bench.CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
        context.set_default_timeout(60_000)
        context.add_init_script(bench._CLOCK + _RECORDER)
        requests: list[Any] = []
        context.on("requestfinished", lambda request: requests.append(request))
        page = context.new_page()
        page.goto(base + "news/", wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        bench.warm_up_playwright(page)
        before = len(requests)
        box.fill(bench.FIRST_QUERY)
        page.wait_for_function(bench._RESULTS_SHOWN)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)  # the last marks cross the BroadcastChannel
        seen = page.evaluate(_COLLECT)
    finally:
        browser.close()
    zero = seen["input"]
    events: dict[str, float] = {"page load event": seen["load"] - zero,
                                "results shown (count written)": seen["shown"] - zero}
    # The page's main thread busy with tasks over 50 ms while the reader waits.
    waiting = [task for task in seen["longtasks"]
               if task["start"] + task["duration"] > zero and task["start"] < seen["shown"]]
    events["long tasks while waiting (ms, sum)"] = sum(task["duration"] for task in waiting)
    counts: dict[str, int] = {}
    for mark in sorted(seen["marks"], key=lambda m: m["at"]):
        name = mark["name"]
        counts[name] = counts.get(name, 0) + 1
        if counts[name] == 1:
            events[name] = mark["at"] - zero
        else:
            events[f"{name} (last)"] = mark["at"] - zero
    for request in requests[before:]:
        timing = request.timing
        name = _short(request.url)
        if not bench.SEARCH_URL.search(request.url):
            continue
        key = f"GET {name}"
        if key in events or f"{key}: sent" in events:
            key = f"GET {name} #{sum(k.startswith(key) for k in events) // 2 + 1}"
        events[f"{key}: sent"] = timing["startTime"] - zero
        if timing["responseEnd"] >= 0:
            events[f"{key}: received"] = timing["startTime"] + timing["responseEnd"] - zero
    return events


# The steps of a first query, one after the other: each ends at an event of one_run (the
# worker's mark when Pagefind runs in its worker, else the page's).
PHASES = (
    ("Pagefind's script fetched", "GET pagefind.js: received"),
    ("Pagefind's script evaluated", "pagefind.js evaluated"),
    ("its web worker started (script evaluated)", "pagefind-worker.js evaluated"),
    ("entry file fetched and read", "entry read"),
    ("metadata and WebAssembly fetched, unpacked, compiled; metadata parsed",
     "metadata parsed (ready)"),
    ("the search let through (Pagefind polls every 50 ms until ready)",
     "search let through (getPtr) (last)"),
    ("index chunk fetched, unpacked, loaded", "chunks loaded (last)"),
    ("search in WebAssembly", "wasm search done"),
    ("results handed to the page", "box: search"),
    ("first result's fragment: asked, fetched, parsed, handed over", "box: fragment"),
    ("noise check and drawing, count written", "results shown (count written)"),
)


def _event(run: dict[str, float], name: str) -> float | None:
    """The time of event ``name`` (the worker's if it has one); "X (last)" falls back to X."""
    base = name.removesuffix(" (last)")
    wanted = [f"{base} (worker) (last)", f"{base} (last)"] if name != base else []
    wanted += [f"{base} (worker)", base]
    return next((run[key] for key in wanted if key in run), None)


def phases(run: dict[str, float]) -> dict[str, float]:
    """Milliseconds of each of PHASES in one run (those whose end was seen)."""
    durations = {}
    previous = 0.0
    for label, end in PHASES:
        at = _event(run, end)
        if at is not None:
            durations[label] = at - previous
            previous = at
    return durations


def _table(rows: list[dict[str, float]], order: list[str], heading: str) -> list[str]:
    lines = [f"| {heading} | median ms | range | runs |", "| --- | ---: | --- | ---: |"]
    for name in order:
        values = [row[name] for row in rows if name in row]
        lines.append(f"| {name} | {statistics.median(values):.0f} | "
                     f"{min(values):.0f} to {max(values):.0f} | {len(values)} |")
    return lines


def breakdown(base: str, repeat: int) -> str:
    from playwright.sync_api import sync_playwright

    runs: list[dict[str, float]] = []
    with sync_playwright() as playwright:
        for _ in range(repeat):
            runs.append(one_run(playwright, base))
            print(f"  run {len(runs)}: shown after "
                  f"{runs[-1]['results shown (count written)']:.0f} ms", file=sys.stderr,
                  flush=True)
    steps = [phases(run) for run in runs]
    names = {name for run in runs for name in run}
    medians = {name: statistics.median(run[name] for run in runs if name in run)
               for name in names}
    lines = [f"Pasted first query, {repeat} fresh browsers. The steps, one after the other "
             "(median of each step's own duration):", ""]
    lines += _table(steps, [label for label, _end in PHASES if any(label in s for s in steps)],
                    "step")
    lines += ["", "Every event, in ms after the paste's input event:", ""]
    lines += _table(runs, sorted(names, key=lambda n: (n.startswith("long"), medians[n])),
                    "event")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--site", type=Path, help="a site already built with intranet-search")
    parser.add_argument("--no-worker", action="store_true",
                        help="Pagefind on the page's thread (its noWorker option, patched into "
                             "the served copy of the box's script)")
    parser.add_argument("--pagefind-encoded", action="store_true",
                        help="serve Pagefind's gzip files with Content-Encoding: gzip")
    args = parser.parse_args()
    scratch = None
    site = args.site
    if site is None:
        scratch = Path(tempfile.mkdtemp(prefix="search-breakdown-"))
        root = scratch / "source"
        root.mkdir()
        print(f"Generating and building {args.posts} posts…", file=sys.stderr, flush=True)
        bench.generate(root, args.posts)
        mode = next(mode for mode in bench.MODES if mode.key == "d")
        site = bench.build(root, mode, scratch).site
    try:
        with served(site, no_worker=args.no_worker,
                    pagefind_encoded=args.pagefind_encoded) as base:
            print(breakdown(base, args.repeat))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
