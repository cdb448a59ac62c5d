"""Pagefind's two browser scripts, changed after indexing where they make a first query wait.

Each change is a set of exact pieces of Pagefind 1.5.2's minified code (``pagefind.js`` and
``pagefind-worker.js`` both hold Pagefind's search class) with their replacements. A change is
made to a script only when every one of its pieces is found there exactly once; a Pagefind whose
code differs is left as it is (searching works the same, only slower to start), and
tests/search/test_index_check.py fails, so that the change is looked at again when Pagefind is
upgraded. Pagefind offers no option or event for either change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("mkdocs.plugins." + __name__)

SCRIPTS = ("pagefind.js", "pagefind-worker.js")


@dataclass(frozen=True)
class ScriptChange:
    name: str
    edits: tuple[tuple[str, str], ...]
    """(piece of Pagefind's code, its replacement): all or none are made."""

    def apply(self, script: str) -> str | None:
        """``script`` changed, or None if a piece is not found exactly once."""
        if any(script.count(piece) != 1 for piece, _new in self.edits):
            return None
        for piece, new in self.edits:
            script = script.replace(piece, new)
        return script


READY_POLL = ("async getPtr(){while(this.raw_ptr===null){if(this.initError){"
              "throw this.initError;}await asyncSleep(50);}")
"""Pagefind's wait for its index to be ready: every call (search, preload) checks every 50 ms
whether the metadata and WebAssembly are in."""
READY_POLL_MS = 5

QUICK_READY_CHECK = ScriptChange(
    # A first query is asked before the index is ready, so it waited up to 50 ms more than
    # needed (37 ms median, bench/search_breakdown.py, 3,000 posts).
    "ready check every 5 ms",
    ((READY_POLL, READY_POLL.replace("asyncSleep(50)", f"asyncSleep({READY_POLL_MS})")),),
)

# Pagefind's index files are gzip (of "pagefind_dcd" + the data). Unless the server sent them
# with Content-Encoding: gzip, Pagefind unpacks each in JavaScript (its own inflate), on the
# first query's path: the WebAssembly (70 kB → 146 kB), the metadata, the index chunk, the
# fragments. The browser's DecompressionStream does the same natively; Pagefind's decompress
# then sees the signature and only cuts it off. Where the browser has none, or refuses the
# bytes, Pagefind's own inflate runs as before.
NATIVE_UNPACK = (
    "async unpack(data,file){if(typeof DecompressionStream===\"undefined\""
    "||this.decoder.decode(data.slice(0,12))===\"pagefind_dcd\")"
    "return this.decompress(data,file);"
    "try{const unpacked=await new Response(new Blob([data]).stream()"
    ".pipeThrough(new DecompressionStream(\"gzip\"))).arrayBuffer();"
    "return this.decompress(new Uint8Array(unpacked),file);}"
    "catch(e){return this.decompress(data,file);}}"
)
BROWSER_UNPACKING = ScriptChange(
    "the browser unpacks the index files",
    (
        ('decompress(data,file="unknown file"){',
         NATIVE_UNPACK + 'decompress(data,file="unknown file"){'),
        ("this.searchMeta=this.decompress(", "this.searchMeta=await this.unpack("),
        ("const final_wasm=this.decompress(", "const final_wasm=await this.unpack("),
        ("let chunk=this.decompress(", "let chunk=await this.unpack("),
        ("let fragment=this.decompress(", "let fragment=await this.unpack("),
    ),
)

CHANGES = (QUICK_READY_CHECK, BROWSER_UNPACKING)


def change_scripts(folder: Path) -> dict[str, list[str]]:
    """Make CHANGES to Pagefind's scripts in the index ``folder``; the changes made, by script."""
    made: dict[str, list[str]] = {}
    for name in SCRIPTS:
        path = folder / name
        script = path.read_text(encoding="utf-8")
        made[name] = []
        for change in CHANGES:
            changed = change.apply(script)
            if changed is None:
                log.info("intranet-search: %s differs from Pagefind 1.5.2; left without the "
                         "change '%s'", name, change.name)
                continue
            script = changed
            made[name].append(change.name)
        if made[name]:
            path.write_text(script, encoding="utf-8")
    return made
