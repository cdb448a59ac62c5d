"""The preview's watcher: saves are reported at once, reading a file is not a save."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.polling import PollingObserver

from nyhet.watch import ChangesObserver, observer_for


class _Recorder(FileSystemEventHandler):
    def __init__(self) -> None:
        self.events: queue.Queue[FileSystemEvent] = queue.Queue()

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.events.put(event)

    def paths(self, within: float) -> set[str]:
        """Paths of the events reported within ``within`` seconds from now."""
        seen: set[str] = set()
        until = time.monotonic() + within
        while (left := until - time.monotonic()) > 0:
            try:
                seen.add(str(self.events.get(timeout=left).src_path))
            except queue.Empty:
                break
        return seen


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, Path, _Recorder]]:
    docs, config = tmp_path / "content", tmp_path / "mkdocs.yml"
    (docs / "news/posts").mkdir(parents=True)
    (docs / "news/posts/gammal.md").write_text("# Gammal\n", encoding="utf-8")
    config.write_text("site_name: Test\n", encoding="utf-8")
    observer = observer_for([docs, config])
    assert isinstance(observer, ChangesObserver)  # inotify works on the machines we test on
    recorder = _Recorder()
    for path in (docs, config):  # as MkDocs' live-reload server schedules them
        observer.schedule(recorder, str(path), recursive=True)
    observer.start()
    try:
        yield docs, config, recorder
    finally:
        observer.stop()
        observer.join()


def test_saves_of_posts_and_of_the_settings_are_reported(
    watched: tuple[Path, Path, _Recorder]
) -> None:
    docs, config, recorder = watched
    post = docs / "news/posts/gammal.md"
    post.write_text("# Gammal, ändrad\n", encoding="utf-8")
    assert str(post) in recorder.paths(within=1.0)
    new = docs / "news/posts/ny.md"
    new.write_text("# Ny\n", encoding="utf-8")
    assert str(new) in recorder.paths(within=1.0)
    config.write_text("site_name: Test 2\n", encoding="utf-8")
    assert str(config) in recorder.paths(within=1.0)
    post.unlink()
    assert str(post) in recorder.paths(within=1.0)


def test_reading_files_is_not_a_change(watched: tuple[Path, Path, _Recorder]) -> None:
    # Every build and every check opens and reads each page: that must not count as a save
    # (the server would reload the browser after each).
    docs, config, recorder = watched
    (docs / "news/posts/gammal.md").read_text(encoding="utf-8")
    config.read_text(encoding="utf-8")
    assert recorder.paths(within=0.5) == set()


def test_a_folder_that_cannot_be_watched_is_polled(tmp_path: Path) -> None:
    assert isinstance(observer_for([tmp_path / "finns-inte"]), PollingObserver)
