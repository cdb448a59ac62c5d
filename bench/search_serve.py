"""What search costs a save under `mkdocs serve` (issue 11): the time the rebuild waits for it.

Generates the synthetic site of ``bench/synthetic.py`` with ``--posts`` posts and builds it
in one process the way `mkdocs serve` does (plugins started with command "serve", a fresh
config per rebuild, the site folder emptied each time): a first build, a rebuild with nothing
changed, and a rebuild after one post's text was edited. For each it prints the whole build,
the search plugin's ``on_post_build`` (what the build, and so the browser's reload, waits
for) and how long Pagefind then went on indexing in the background. The indexing time is
what every save waited for before search indexed in the background. Not a test: run it by
hand and record the figures::

    python bench/search_serve.py [--posts 300]

Talks to nothing; writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # the synthetic site every site benchmark builds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args(argv)
    os.environ.update(SOURCE_DATE_EPOCH=str(synthetic.SOURCE_DATE_EPOCH),
                      NO_MKDOCS_2_WARNING="1")
    logging.basicConfig(level=logging.ERROR)

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import plugins.search.plugin as search_plugin

    post_build = search_plugin.SearchPlugin.on_post_build
    spent: list[float] = []

    def timed(self: search_plugin.SearchPlugin, **kwargs: object) -> None:
        started = time.perf_counter()
        try:
            post_build(self, **kwargs)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - started)

    search_plugin.SearchPlugin.on_post_build = timed  # type: ignore[method-assign]

    scratch = Path(tempfile.mkdtemp(prefix="search-serve-bench-"))
    print(f"# Search under mkdocs serve, {args.posts} posts ({os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start)")
    try:
        site = synthetic.prepare(scratch / "source")
        for _text in site.write_posts(args.posts):
            pass
        config_file = site.write_config("mkdocs.yml", site.config())
        site_dir = scratch / "site"
        post = site.post_path(7)
        text = post.read_text(encoding="utf-8")
        config = load_config(str(config_file), site_dir=str(site_dir))
        config.plugins.on_startup(command="serve", dirty=False)
        print("\n| rebuild | whole build | search's on_post_build | still indexing in the "
              "background when the build ended |\n| --- | --- | --- | --- |")
        try:
            for label, edit in (("first build", ""), ("nothing changed", ""),
                                ("one post's text edited", "\nEn ny mening om skrivaren.\n")):
                if edit:
                    post.write_text(text + edit, encoding="utf-8")
                config = load_config(str(config_file), site_dir=str(site_dir))
                started = time.perf_counter()
                build(config, serve_url="http://127.0.0.1:8000/", dirty=False)
                whole = time.perf_counter() - started
                live = config.plugins["intranet-search"]._live  # type: ignore[attr-defined]
                started = time.perf_counter()
                live.wait()
                background = time.perf_counter() - started
                print(f"| {label} | {whole:.2f} s | {1000 * spent[-1]:.0f} ms | "
                      f"{background:.2f} s |", flush=True)
        finally:
            config.plugins.on_shutdown()
        print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
