"""Where the time of one save goes in ``nyhet visa`` (issue 13), measured in-process.

Builds the synthetic site of ``bench/preview.py`` with ``N`` posts once (as the preview's first
build), then makes saves of three kinds (text, front matter = title, new post) and times the
preview's rebuild of each (``Preview.builder``: what runs between the watcher noticing the
save and the browser being told to reload), without the complete build that follows in the
background; wall and CPU time of this process (on a shared machine the CPU time says more).
With ``--profile DIR`` every save runs under cProfile (counting CPU time) and its statistics
are written to ``DIR/<kind>-<round>.pstats`` and printed (top functions by cumulative time).

    python bench/preview_profile.py --posts 3000 [--rounds 3] [--profile /tmp/prof] [--site DIR]

``--site DIR`` keeps the generated site in DIR and reuses it next time (saves are undone).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import inspect
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from preview import EDITED, KINDS, generate_site, save  # the same site and saves
from synthetic import SOURCE_DATE_EPOCH


class GcClock:
    """Time the cyclic garbage collector spends, from its callbacks."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.spent += time.process_time() - self._started


class StepClock:
    """CPU time of each plugin's events and of the preview's own steps, per save (``--steps``)."""

    EVENTS = ("on_config", "on_pre_build", "on_files", "on_nav", "on_env", "on_page_markdown",
              "on_page_content", "on_page_context", "on_post_page")
    STEPS = ("get_files", "get_navigation", "_populate_page", "_build_page", "snapshot")

    def __init__(self, preview: object) -> None:
        import nyhet.preview as module

        self.spent: dict[str, float] = {}
        for name, plugin in preview.config.plugins.items():  # type: ignore[attr-defined]
            for event in self.EVENTS:
                method = getattr(plugin, event, None)
                if method is not None:
                    setattr(plugin, event, self._timed(f"{name}.{event}", method))
        for step in self.STEPS:
            setattr(module, step, self._timed(step, getattr(module, step)))
        preview._load = self._timed("load_config", preview._load)  # type: ignore[attr-defined]
        from material.plugins.blog import plugin as blog_module

        blog = preview.config.plugins["material/blog"]  # type: ignore[attr-defined]
        for method in ("_resolve_post", "_format_path_for_post", "_path_to_file",
                       "_generate_archive", "_generate_categories", "_generate_pages",
                       "_format_date", "_resolve_views", "_save_to_file"):
            found = getattr(blog, method)
            if type(found).__module__ == "nyhet.preview_blog":
                # The preview's own helper, timed in its class: replacing it on the blog would
                # make the preview wrap it once more at the next save (it checks the type).
                kind = type(found)
                if not getattr(kind.__call__, "timed", False):
                    kind.__call__ = self._timed(f"blog.{method}", kind.__call__)
                    kind.__call__.timed = True
                continue
            setattr(blog, method, self._timed(f"blog.{method}", found))
        blog_module.Post = self._timed("blog.Post", blog_module.Post)
        blog_module.copy_file = self._timed("blog.copy_file", blog_module.copy_file)

    def _timed(self, label: str, function: Any) -> Any:
        if inspect.isgeneratorfunction(function):
            return self._timed_generator(label, function)

        @functools.wraps(function)  # keeps mkdocs_priority, which event_priority sets
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.process_time() - started
        return wrapper

    def _timed_generator(self, label: str, function: Any) -> Any:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            items = function(*args, **kwargs)
            while True:
                started = time.process_time()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self.spent[label] = (self.spent.get(label, 0.0) + time.process_time()
                                         - started)
                yield item
        return wrapper

    def report(self) -> str:
        shown = sorted(self.spent.items(), key=lambda item: -item[1])
        self.spent = {}
        return ", ".join(f"{label} {seconds:.3f}" for label, seconds in shown if seconds >= 0.005)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--steps", action="store_true",
                        help="print the CPU time of each plugin event and step of each save")
    parser.add_argument("--site", type=Path, default=Path("/tmp/preview-profile"))
    arguments = parser.parse_args()
    root = arguments.site / f"site-{arguments.posts}"
    config = root / "mkdocs.yml"
    if not config.exists():
        config = generate_site(root, arguments.posts)
    os.environ["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    os.chdir(root)

    from nyhet.preview import COLLECT_AFTER, Preview

    preview = Preview(config, "127.0.0.1", 8000)
    preview._rebuild_in_background = lambda: None  # type: ignore[method-assign]
    preview.config.plugins.on_startup(command="serve", dirty=False)
    started = time.perf_counter()
    preview.full_build()
    print(f"first build {time.perf_counter() - started:.1f} s", flush=True)

    steps = StepClock(preview) if arguments.steps else None
    post = config.parent / "docs/news/posts" / f"{EDITED}.md"
    original = post.read_text(encoding="utf-8")
    created: list[Path] = []
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu_times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    gc_times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    collector = GcClock()
    state = {"title": "", "body": ""}
    try:
        for number in range(arguments.rounds):
            for kind in KINDS:
                marker = f"Ändring {number} {uuid.uuid4().hex[:12]}"
                path, _url = save(kind, post, original, marker, state)
                if path != post:
                    created.append(path)
                # CPU time: on the shared machine, wall time mostly says how busy it is.
                profiler = cProfile.Profile(time.process_time) if arguments.profile else None
                started, cpu = time.perf_counter(), time.process_time()
                collector.spent = 0.0
                if profiler:
                    profiler.enable()
                preview.builder()
                if profiler:
                    profiler.disable()
                timings[kind].append(time.perf_counter() - started)
                cpu_times[kind].append(time.process_time() - cpu)
                gc_times[kind].append(collector.spent)
                if steps:
                    print(f"{kind}, round {number}: CPU {cpu_times[kind][-1]:.2f} s: "
                          f"{steps.report()}", flush=True)
                shown = (Path(preview.site_dir) / "news" / path.stem / "index.html")
                assert marker in shown.read_text(encoding="utf-8"), f"{kind} not shown"
                if profiler:
                    arguments.profile.mkdir(parents=True, exist_ok=True)
                    out = arguments.profile / f"{kind.replace(' ', '-')}-{number}.pstats"
                    profiler.dump_stats(out)
                    print(f"--- {kind}, round {number}: {timings[kind][-1]:.2f} s, CPU "
                          f"{cpu_times[kind][-1]:.2f} s")
                    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(25)
                # As a writer saves: not faster than the preview collects the garbage of a
                # render (after it, so that it does not count in the next save's time).
                time.sleep(COLLECT_AFTER + 0.5)
    finally:
        post.write_text(original, encoding="utf-8")
        for path in created:
            path.unlink(missing_ok=True)
    for kind, times in timings.items():
        print(f"{kind}: wall median {statistics.median(times):.2f} s, max {max(times):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in times)}); CPU "
              f"{', '.join(f'{t:.2f}' for t in cpu_times[kind])} s, of which the garbage "
              f"collector {', '.join(f'{t:.2f}' for t in gc_times[kind])} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
