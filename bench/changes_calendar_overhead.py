"""How much the change card, the banner, now.json and the calendars add to building the site.

Generates, in a temporary folder, the synthetic site of ``bench/synthetic.py`` (the real
``mkdocs.yml``, theme, overrides and pages, and ``--posts`` generated posts; a third with a
window, a quarter with an action) and builds it in two modes, each build a fresh
``python -m mkdocs build`` process with a fixed SOURCE_DATE_EPOCH, interleaved over
``--repeat`` rounds:

(a) ``intranet-changes`` and ``intranet-calendar`` with ``enabled: false``: the baseline;
(b) both as configured in mkdocs.yml.

Every build is checked (now.json and the calendars are there in (b) with the expected number
of events, absent in (a)). It prints the median wall and CPU time of each mode, (b)'s overhead
over (a) as a ratio, the peak memory of each build, and, steadier on a shared machine, the CPU
time spent in the two plugins' own event methods as a share of the rest of the same build
(``synthetic.TIMED_BUILD``; the change card's and banner's templates are not in it, their
cost shows only in the whole-build comparison). Not a test: run it by hand, record the
figures in the README::

    python bench/changes_calendar_overhead.py [--posts 1000] [--repeat 3]

Talks to nothing but the local machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import (  # the synthetic site every site benchmark builds
    REPO,
    SOURCE_DATE_EPOCH,
    TIMED_BUILD,
    prepare,
    with_switch,
)

PLUGINS = ("intranet-changes", "intranet-calendar")
MODES = {"off": False, "on": True}


def generate_site(root: Path, count: int) -> int:
    """The synthetic site in ``root`` with one mkdocs.yml per mode; the number of windows."""
    site = prepare(root)
    for key, enabled in MODES.items():
        site.write_config(f"mkdocs-{key}.yml", with_switch(site.config(), PLUGINS, enabled))
    return sum("\nwindow:" in text for text in site.write_posts(count))


PLUGIN_CLASSES = "plugins.changes.plugin:ChangesPlugin,plugins.calendar.plugin:CalendarPlugin"


def build(root: Path, key: str, scratch: Path, windows: int) -> dict[str, float]:
    """One build in a fresh process, its output checked: wall and CPU seconds, peak RSS in
    MiB, and the plugins' own CPU time (with the garbage collections inside it)."""
    times = scratch / f"times-{key}.json"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
           "SITE_URL": "https://intranet.exempelby.se/", "NO_MKDOCS_2_WARNING": "1",
           "BENCH_PLUGIN_CLASS": PLUGIN_CLASSES, "BENCH_TIMES": str(times),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    site = Path(tempfile.mkdtemp(prefix=f"site-{key}-", dir=scratch))
    command = [sys.executable, "-c", TIMED_BUILD, "build", "-q", "-f",
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
    spent = json.loads(times.read_text())
    return {"wall": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "rss": usage.ru_maxrss / 1024, "plugin_cpu": spent["plugin_cpu"],
            "build_cpu": spent["build_cpu"], "plugin_gc_cpu": spent.get("plugin_gc_cpu", 0.0)}


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
        runs: dict[str, list[dict[str, float]]] = {key: [] for key in MODES}
        for round_ in range(args.repeat):
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for key in order:
                run = build(root, key, scratch, windows)
                runs[key].append(run)
                print(f"  round {round_ + 1} {key}: {run['wall']:.1f} s, CPU {run['cpu']:.1f} s, "
                      f"plugins CPU {run['plugin_cpu']:.2f} s", file=sys.stderr, flush=True)

    def median(key: str, measure: str) -> float:
        return statistics.median(run[measure] for run in runs[key])

    def share(run: dict[str, float], without_gc: bool = False) -> float:
        own = run["plugin_cpu"] - (run["plugin_gc_cpu"] if without_gc else 0.0)
        return 100 * own / (run["build_cpu"] - own)

    print(f"{args.posts} posts ({windows} with a window), {args.repeat} builds per mode")
    for key in MODES:
        seconds = [run["wall"] for run in runs[key]]
        memory = max(run["rss"] for run in runs[key])
        print(f"  {key:>3}: wall median {median(key, 'wall'):6.1f} s (min {min(seconds):.1f}, max "
              f"{max(seconds):.1f}), CPU median {median(key, 'cpu'):6.1f} s, "
              f"peak memory {memory:.0f} MiB")
    for measure in ("wall", "cpu"):
        ratio = median("on", measure) / median("off", measure)
        print(f"  on/off, {measure}: {ratio:.3f} ({100 * (ratio - 1):+.1f} %)")
    on = runs["on"]
    print(f"  in-process (on): the plugins' own methods {median('on', 'plugin_cpu'):.2f} s CPU, "
          f"{statistics.median(map(share, on)):.2f} % of the rest of the build "
          f"({statistics.median(share(run, True) for run in on):.2f} % without the garbage "
          "collections that ran in them)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
