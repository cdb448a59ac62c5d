"""An index with a file cut short is refused (plugins/search/index.py, check_index): a reader's
browser would fail on it. The index is Pagefind's own, written for two pages."""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from plugins.search.documents import SearchDocument
from plugins.search.index import SearchIndexError, check_index, shorten_ready_poll, write_index

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
    # If this fails after a Pagefind upgrade, see shorten_ready_poll in plugins/search/index.py.
    script = (written / name).read_text(encoding="utf-8")

    assert PAGEFIND_WAIT.replace("{ms}", "5") in script
    assert PAGEFIND_WAIT.replace("{ms}", "50") not in script


def test_other_pagefind_scripts_are_left_as_they_are(tmp_path: Path) -> None:
    scripts = {"pagefind.js": "export const search = () => 1;",
               "pagefind-worker.js": "self.onmessage = () => 2;"}
    for name, text in scripts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    assert not shorten_ready_poll(tmp_path)
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
