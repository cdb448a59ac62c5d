"""How much the change card, the banner, now.json and the calendars add to building the site.

Generates, in a temporary folder, the synthetic site of ``feed_overhead.py`` (the real
``mkdocs.yml``, theme, overrides and pages, and ``--posts`` generated posts; a third with a
window, a quarter with an action) and builds it in two modes, each build a fresh
``python -m mkdocs build`` process with a fixed SOURCE_DATE_EPOCH, interleaved over
``--repeat`` rounds:

(a) ``intranet-changes`` and ``intranet-calendar`` with ``enabled: false``: the baseline;
(b) both as configured in mkdocs.yml.

Every build is checked (now.json and the calendars are there in (b) with the expected number
of events, absent in (a)). It prints the median wall time of each mode, (b)'s overhead over
(a) as a ratio, and the peak memory of each build. Not a test: run it by hand, record the
figures in the README::

    python bench/changes_calendar_overhead.py [--posts 1000] [--repeat 3]

Talks to nothing but the local machine.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from feed_overhead import (  # the synthetic site, shared with the feed benchmark
    _IMAGE_SVG,
    IMAGE,
    REPO,
    SOURCE_DATE_EPOCH,
    _ConfigDumper,
    _ConfigLoader,
    plugin_name,
    plugin_options,
    post_markdown,
)

PLUGINS = ("intranet-changes", "intranet-calendar")
MODES = {"off": False, "on": True}


def with_switch(config: dict[str, Any], enabled: bool) -> dict[str, Any]:
    """``config`` with our two plugins switched on or off; everything else unchanged."""
    plugins: list[Any] = []
    for entry in config["plugins"]:
        name = plugin_name(entry)
        if name in PLUGINS:
            options = plugin_options(config, name)
            entry = {name: {**options, "enabled": enabled}}
        plugins.append(entry)
    return {**config, "plugins": plugins}


def generate_site(root: Path, count: int) -> int:
    """The synthetic site in ``root`` with one mkdocs.yml per mode; the number of windows."""
    with (REPO / "mkdocs.yml").open(encoding="utf-8") as handle:
        real = yaml.load(handle, Loader=_ConfigLoader)
    docs = root / "docs"
    shutil.copytree(REPO / real.get("docs_dir", "docs"), docs)
    posts_options = plugin_options(real, "intranet-posts")
    posts_dir = docs / posts_options.get("posts_dir", "news/posts")
    shutil.rmtree(posts_dir)
    posts_dir.mkdir()
    image = posts_dir.parent / IMAGE
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_text(_IMAGE_SVG, encoding="utf-8")
    theme = dict(real["theme"])
    if "custom_dir" in theme:
        theme["custom_dir"] = str((REPO / theme["custom_dir"]).resolve())
    base = {**real, "docs_dir": str(docs), "theme": theme}
    for key, enabled in MODES.items():
        (root / f"mkdocs-{key}.yml").write_text(
            yaml.dump(with_switch(base, enabled), Dumper=_ConfigDumper, allow_unicode=True,
                      sort_keys=False), encoding="utf-8")
    rng = random.Random(2025)
    windows = 0
    for index in range(count):
        text = post_markdown(index, count, posts_options, rng)
        windows += "\nwindow:" in text
        (posts_dir / f"nyhet-{index:05d}.md").write_text(text, encoding="utf-8")
    return windows


def build(root: Path, key: str, scratch: Path, windows: int) -> tuple[float, float]:
    """One build in a fresh process: wall seconds and peak RSS in MiB; the output checked."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
           "SITE_URL": "https://intranet.exempelby.se/", "NO_MKDOCS_2_WARNING": "1"}
    site = Path(tempfile.mkdtemp(prefix=f"site-{key}-", dir=scratch))
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f",
               str(root / f"mkdocs-{key}.yml"), "-d", str(site)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stdout is not None
        raise SystemExit(f"{key}: build failed:\n{process.stdout.read().decode()[-4000:]}")
    calendar = site / "calendar/news.ics"
    if MODES[key]:
        events = calendar.read_bytes().count(b"BEGIN:VEVENT")
        if events != windows or not (site / "now.json").is_file():
            raise SystemExit(f"{key}: {events} events for {windows} windows, or no now.json")
        if len(list((site / "calendar/news").glob("*.ics"))) != windows:
            raise SystemExit(f"{key}: not one .ics per post with a window")
    elif calendar.exists() or (site / "now.json").exists():
        raise SystemExit(f"{key}: the baseline wrote calendars or now.json")
    shutil.rmtree(site)
    return seconds, usage.ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="news posts to generate")
    parser.add_argument("--repeat", type=int, default=3, help="builds per mode")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-changes-") as folder:
        scratch = Path(folder)
        root = scratch / "site-source"
        root.mkdir()
        windows = generate_site(root, args.posts)
        runs: dict[str, list[tuple[float, float]]] = {key: [] for key in MODES}
        for round_ in range(args.repeat):
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for key in order:
                runs[key].append(build(root, key, scratch, windows))
    median = {key: statistics.median(s for s, _ in runs[key]) for key in MODES}
    print(f"{args.posts} posts ({windows} with a window), {args.repeat} builds per mode")
    for key in MODES:
        seconds = [s for s, _ in runs[key]]
        memory = max(m for _, m in runs[key])
        print(f"  {key:>3}: median {median[key]:6.1f} s (min {min(seconds):.1f}, max "
              f"{max(seconds):.1f}), peak memory {memory:.0f} MiB")
    print(f"  on/off: {median['on'] / median['off']:.3f} "
          f"({100 * (median['on'] / median['off'] - 1):+.1f} %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
