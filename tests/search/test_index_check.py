"""An index with a file cut short is refused (plugins/search/index.py, check_index): a reader's
browser would fail on it. The index is Pagefind's own, written for two pages."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from plugins.search.documents import SearchDocument
from plugins.search.index import (
    IncompleteIndex,
    SearchIndexError,
    check_index,
    until_whole,
    write_index,
)
from plugins.search.scripts import change_scripts

DOCUMENTS = [SearchDocument(url="/news/a/", title="A", body_html="<p>Skrivaren är lagad.</p>"),
             SearchDocument(url="/news/b/", title="B", body_html="<p>Wifi fungerar.</p>")]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("index") / "pagefind"
    write_index(DOCUMENTS, folder, "sv")
    return folder


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_a_whole_index_passes(written: Path) -> None:
    check_index(written, 2)


@pytest.mark.parametrize("name", ["pagefind-entry.json", "fragment", "index", "wasm.sv.pagefind"])
def test_a_file_cut_short_is_refused(written: Path, tmp_path: Path, name: str) -> None:
    copy = tmp_path / "pagefind"
    shutil.copytree(written, copy)
    target = copy / name
    cut_short(next(target.iterdir()) if target.is_dir() else target)

    with pytest.raises(SearchIndexError):
        check_index(copy, 2)


def test_an_entry_naming_other_pages_is_refused(written: Path) -> None:
    with pytest.raises(SearchIndexError, match="names 2 pages, Pagefind indexed 3"):
        check_index(written, 3)


def test_an_empty_script_is_refused(written: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pagefind"
    shutil.copytree(written, copy)
    (copy / "pagefind.js").write_bytes(b"")

    with pytest.raises(SearchIndexError, match=r"pagefind\.js empty"):
        check_index(copy, 2)


def run_apart(work: Coroutine[object, object, object]) -> object:
    """``asyncio.run(work)`` in a thread of its own: in the whole test run Playwright's sync API
    keeps an event loop running in this thread, and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(max_workers=1) as apart:
        return apart.submit(asyncio.run, work).result()


def test_the_indexer_is_stopped_only_once_its_files_are_whole(written: Path,
                                                              tmp_path: Path) -> None:
    # Pagefind answers "files written" while it may still be writing them in the background;
    # here a file is cut short and made whole again 0.3 s later, as the indexer would.
    copy = tmp_path / "pagefind"
    shutil.copytree(written, copy)
    entry = copy / "pagefind-entry.json"
    whole = entry.read_bytes()
    cut_short(entry)
    finish = threading.Timer(0.3, entry.write_bytes, args=(whole,))
    started = time.monotonic()
    finish.start()
    try:
        run_apart(until_whole(copy, 2, wait=10))
    finally:
        finish.join()

    assert time.monotonic() - started >= 0.3
    check_index(copy, 2)


def test_an_index_that_stays_cut_short_is_refused_after_the_wait(written: Path,
                                                                 tmp_path: Path) -> None:
    copy = tmp_path / "pagefind"
    shutil.copytree(written, copy)
    (copy / "pagefind-worker.js").write_bytes(b"")
    started = time.monotonic()

    with pytest.raises(IncompleteIndex, match=r"pagefind-worker\.js empty"):
        run_apart(until_whole(copy, 2, wait=0.2))
    assert time.monotonic() - started >= 0.2


def test_indexing_works_while_the_host_runs_an_event_loop(tmp_path: Path) -> None:
    # Playwright's sync API keeps an event loop running in the main thread for as long as its
    # browser lives, so in the whole test run every later asyncio.run() was refused. The host
    # is played by a loop in a thread of its own (this thread may hold Playwright's already).
    async def index_inside_a_running_loop() -> None:
        write_index(DOCUMENTS, tmp_path / "pagefind", "sv")

    with ThreadPoolExecutor(max_workers=1) as host:
        host.submit(asyncio.run, index_inside_a_running_loop()).result()
    check_index(tmp_path / "pagefind", 2)


# Pagefind's getPtr as the 1.5 scripts write it, copied by hand from pagefind-worker.js.
PAGEFIND_WAIT = ("async getPtr(){while(this.raw_ptr===null){if(this.initError){"
                 "throw this.initError;}await asyncSleep({ms});}")


@pytest.mark.parametrize("name", ["pagefind.js", "pagefind-worker.js"])
def test_pagefind_waits_for_its_index_in_5_ms_steps(written: Path, name: str) -> None:
    # A first query is asked before the index is ready; 50 ms steps delayed it by up to 50 ms.
    # If this fails after a Pagefind upgrade, see plugins/search/scripts.py.
    script = (written / name).read_text(encoding="utf-8")

    assert PAGEFIND_WAIT.replace("{ms}", "5") in script
    assert PAGEFIND_WAIT.replace("{ms}", "50") not in script


# Where Pagefind 1.5.2 unpacks the metadata, the WebAssembly, an index or filter chunk and a
# fragment, copied by hand from pagefind-worker.js.
PAGEFIND_UNPACKS = (
    'this.searchMeta={}(new Uint8Array(compressed_meta),"Pagefind metadata");',
    'const final_wasm={}(new Uint8Array(compressed_wasm),"Pagefind WebAssembly");',
    "let chunk={}(new Uint8Array(compressed_chunk),url);",
    "let fragment={}(new Uint8Array(compressed_fragment),`Fragment ${{hash}}`);",
)


@pytest.mark.parametrize("name", ["pagefind.js", "pagefind-worker.js"])
def test_the_browser_unpacks_pagefinds_files(written: Path, name: str) -> None:
    # Pagefind's own inflate in JavaScript took ~30 ms for the WebAssembly alone (3,000 posts).
    # If this fails after a Pagefind upgrade, see plugins/search/scripts.py.
    script = (written / name).read_text(encoding="utf-8")

    assert 'new DecompressionStream("gzip")' in script
    for unpack in PAGEFIND_UNPACKS:
        assert unpack.format("await this.unpack") in script
        assert unpack.format("this.decompress") not in script


@pytest.mark.parametrize("gzipped", [True, False], ids=["plain server", "gzip-encoded server"])
def test_the_changed_script_unpacks_as_pagefind_does(
    written: Path, tmp_path: Path, gzipped: bool
) -> None:
    # The changed unpacking run in Node (Playwright's npm package brings none, so Node it is,
    # if installed) on a real fragment: the page's JSON, as Python's gzip reads it.
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    fragment = next((written / "fragment").iterdir()).read_bytes()
    expected = json.loads(gzip.decompress(fragment)[len(b"pagefind_dcd"):])
    sent = fragment if gzipped else gzip.decompress(fragment)
    (tmp_path / "fragment").write_bytes(sent)
    script = (written / "pagefind-worker.js").read_text(encoding="utf-8")
    start = script.index("async unpack(data,file){")
    end = script.index('decompress(data,file="unknown file"){')
    probe = tmp_path / "probe.mjs"
    probe.write_text(
        "import { readFileSync } from 'node:fs';\n"
        # Pagefind's class with the changed method, and a decompress without Pagefind's own
        # inflate: data not unpacked by then is an error.
        f"class Unpacker {{ {script[start:end]}\n"
        "  constructor() { this.decoder = new TextDecoder(); }\n"
        "  decompress(data) { const text = this.decoder.decode(data.slice(0, 12));\n"
        "    if (text !== 'pagefind_dcd') throw new Error('not unpacked: ' + text);\n"
        "    return data.slice(12); } }\n"
        "const data = new Uint8Array(readFileSync(process.argv[2]));\n"
        "const out = await new Unpacker().unpack(data, 'fragment');\n"
        "process.stdout.write(new TextDecoder().decode(out));\n",
        encoding="utf-8")

    result = subprocess.run([node, str(probe), str(tmp_path / "fragment")], capture_output=True,
                            text=True, check=True, timeout=60)

    assert json.loads(result.stdout) == expected


def test_other_pagefind_scripts_are_left_as_they_are(tmp_path: Path) -> None:
    scripts = {"pagefind.js": "export const search = () => 1;",
               "pagefind-worker.js": "self.onmessage = () => 2;"}
    for name, text in scripts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    assert change_scripts(tmp_path) == {"pagefind.js": [], "pagefind-worker.js": []}
    for name, text in scripts.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text

# What the search box (plugins/search/assets/search.js, startWorker) relies on in Pagefind's
# worker script when it talks to the worker itself: the messages pagefind.js 1.5 sends it and
# the options it reads. Copied by hand from pagefind-worker.js 1.5.2. If this fails after a
# Pagefind upgrade, the box still searches (through pagefind.js) but its first query is slower:
# check the new worker's messages and update startWorker.
WORKER_PROTOCOL = (
    'self.addEventListener("message",async(event)=>{const message=event.data;'
    "const response=await handleMessage(message);self.postMessage(response);});",
    "const{id,method,args}=message;const instanceId=message.instanceId??DEFAULT_INSTANCE;",
    'case"init":{const[options]=args;instances.set(instanceId,new Pagefind(options));'
    "return{id,result:true};}",
    'case"search":{const pagefindInstance=getInstance(instanceId);const[term,options]=args;',
    "result.data=dataId;",
    'case"preload":{const pagefindInstance=getInstance(instanceId);const[term,options]=args;',
    'case"getData":{const[dataId]=args;',
    'case"releaseData":{const[dataId]=args;',
    "return{id,error:error instanceof Error?error.message:String(error)};",
    # The options of the init message, read by the worker's Pagefind.
    "this.primary=new PagefindInstance({...options,primary:true});",
    "this.init(options?.language);",
    "this.baseUrl=opts.baseUrl||",
    "this.excerptLength=opts.excerptLength??30;",
    "this.metaCacheTag=opts.metaCacheTag??null;",
    # The addresses the box asks for beside the worker.
    "entryUrl+=`?ts=${this.metaCacheTag}`;",
    "`${this.basePath}pagefind.${index}.pf_meta`",
    "const wasm_url=`${this.basePath}wasm.${language}.pagefind`;",
)


@pytest.mark.parametrize("text", WORKER_PROTOCOL)
def test_pagefinds_worker_takes_the_messages_the_box_sends(written: Path, text: str) -> None:
    assert text in (written / "pagefind-worker.js").read_text(encoding="utf-8")
