"""`nyhet visa`: a saved edit shows at once, and is exactly what the complete build makes."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import mkdocs_env

pytestmark = pytest.mark.slow  # two previews with complete builds: about a minute

POST = "content/news/posts/flytt-till-datacenter-steg-1.md"
URL = "news/flytt-till-datacenter-steg-1/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def without_reload_script(page: str) -> str:
    # The live-reload script carries the server's build number; everything else must match.
    return re.sub(r"livereload\(\d+, \d+\)", "livereload()", page)


def wait_for(what: str, check: Callable[[], object], log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} within {seconds} s; nyhet visa said:\n{log.read_text()[-3000:]}")


@pytest.fixture
def visa(project: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "visa.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "nyhet", "visa", "-a", f"127.0.0.1:{port}"], cwd=project,
            env=mkdocs_env(), stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for("the first build", lambda: fetch(base + URL), log)
        time.sleep(1)  # the watcher starts after the first build
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)
        # Stopping the preview also stops its complete build in the background.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _background_builds(project):
            time.sleep(0.2)
        assert not _background_builds(project)


def _background_builds(project: Path) -> list[str]:
    found = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"nyhet.preview" in command and str(project).encode() in b" ".join(command):
            found.append(status.parent.name)
    return found


def test_a_saved_edit_shows_and_equals_the_complete_build(
    project: Path, visa: tuple[str, Path]
) -> None:
    base, log = visa
    post = project / POST
    post.write_text(post.read_text("utf-8") + "\nMärke 4711: en rad till om flytten.\n", "utf-8")
    wait_for("the edit", lambda: "Märke 4711" in (fetch(base + URL) or ""), log)
    fast = without_reload_script(fetch(base + URL) or "")
    assert "Visar ändringen i" in log.read_text()

    # Lists, feeds and search catch up from the complete build in the background, which
    # then replaces every file: the post's page must be byte for byte what was shown.
    wait_for("the complete build", lambda: "Hela webbplatsen är uppdaterad" in log.read_text(),
             log)
    assert without_reload_script(fetch(base + URL) or "") == fast
    assert "Märke 4711" in (fetch(base + "feeds/news.json") or "")
    # What `nyhet granska` says about the saved file is printed too.
    wait_for("the check of the saved file",
             lambda: f"{POST}:19: varning: nyheten saknar avsnittet ”Vad händer?”"
             in log.read_text(), log)


def test_a_front_matter_change_shows_at_once_and_equals_the_complete_build(
    project: Path, visa: tuple[str, Path]
) -> None:
    base, log = visa
    post = project / POST
    # First a change of the text alone (rendered with what the last build knew), then, before
    # the complete build has caught up, of the front matter: the second render must start
    # from the text of the first save, not from what the preview first read.
    text = post.read_text("utf-8") + "\nMärke 4712: en rad till om flytten.\n"
    post.write_text(text, "utf-8")
    wait_for("the text edit", lambda: "Märke 4712" in (fetch(base + URL) or ""), log)
    assert "status: planerad" in text
    post.write_text(text.replace(
        'title: "Servrarna flyttar till datacenter i Västerås', 'title: "Flytten', 1).replace(
        "status: planerad", "status: inställd", 1), "utf-8")
    wait_for("the new title",
             lambda: "<title>Flytten \N{EN DASH} steg 1" in (fetch(base + URL) or ""), log)
    fast = without_reload_script(fetch(base + URL) or "")
    said = log.read_text()
    assert f"Visar ändringen i {POST} efter" in said
    assert said.count("Hela webbplatsen byggd") == 1  # the first build only
    assert "Märke 4712" in fast
    # The change card shows the new status (Material's "Inställd" badge of the card).
    assert "Inställd" in fast

    wait_for("the complete build", lambda: "Hela webbplatsen är uppdaterad" in log.read_text(),
             log)
    assert without_reload_script(fetch(base + URL) or "") == fast
    assert "Flytten \N{EN DASH} steg 1" in (fetch(base + "feeds/news.json") or "")

    # Another post takes the same title: the check reports it at the post that did not
    # change too (the build's check keeps what it found in unchanged pages between saves).
    other = project / "content/news/posts/flytt-till-datacenter-steg-2.md"
    other.write_text(other.read_text("utf-8").replace(
        'title: "Servrarna flyttar till datacenter i Västerås \N{EN DASH} steg 2"',
        'title: "Flytten \N{EN DASH} steg 1"', 1), "utf-8")
    wait_for("the duplicate title at the unchanged post",
             lambda: f"{POST}:2: fel: titeln ”Flytten \N{EN DASH} steg 1” har redan en annan "
             "nyhet: content/news/posts/flytt-till-datacenter-steg-2.md" in log.read_text(), log)


def test_a_new_post_shows_at_once_and_a_broken_one_keeps_the_last_good_site(
    project: Path, visa: tuple[str, Path]
) -> None:
    base, log = visa
    new = project / "content/news/posts/ny-nyhet-i-visa.md"
    new.write_text(
        "---\ntitle: En ny nyhet i förhandsvisningen\ndate: 2026-11-20 09:00\n"
        "description: Kort.\ncategories: [Tips]\naudience: [alla]\nstatus: klar\n---\n\n"
        "# En ny nyhet i förhandsvisningen\n\nMärke 5150.\n", "utf-8")
    url = base + "news/ny-nyhet-i-visa/"
    wait_for("the new post", lambda: "Märke 5150" in (fetch(url) or ""), log)
    fast = without_reload_script(fetch(url) or "")
    assert "Visar ändringen i content/news/posts/ny-nyhet-i-visa.md efter" in log.read_text()
    wait_for("the complete build", lambda: "Hela webbplatsen är uppdaterad" in log.read_text(),
             log)
    assert without_reload_script(fetch(url) or "") == fast

    # A front-matter error: the build's own message, and the page as it was.
    new.write_text(new.read_text("utf-8").replace("status: klar", "status: klart"), "utf-8")
    wait_for("the error", lambda: "content/news/posts/ny-nyhet-i-visa.md:7: status: klart är "
             "inte tillåtet; skriv en av: planerad, pågår, klar, inställd" in log.read_text(),
             log)
    assert "Märke 5150" in (fetch(url) or "")
    new.write_text(new.read_text("utf-8").replace("Märke 5150", "Märke 5151").replace(
        "status: klart", "status: klar"), "utf-8")
    wait_for("the mended post", lambda: "Märke 5151" in (fetch(url) or ""), log)

    # A deleted post is gone once the complete build behind it has replaced the site; only
    # a change to mkdocs.yml (or the theme) builds everything in the foreground.
    new.unlink()
    wait_for("the deleted post to go", lambda: fetch(url) is None, log)
    assert log.read_text().count("Hela webbplatsen byggd") == 1
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8") + "\n", "utf-8")
    wait_for("the full build", lambda: log.read_text().count("Hela webbplatsen byggd") == 2,
             log)
