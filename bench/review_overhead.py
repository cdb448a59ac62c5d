"""How much the writers' check (``intranet-review``) adds to building the site.

Generates, in a temporary folder, the synthetic site of ``bench/synthetic.py`` (the real
``mkdocs.yml``, theme, overrides, pages and word lists, and ``--posts`` generated posts) and
builds it in two modes, each build a fresh ``mkdocs build`` process with a fixed
SOURCE_DATE_EPOCH, interleaved over ``--repeat`` rounds:

(a) ``intranet-review`` with ``enabled: false``: the baseline;
(b) ``intranet-review`` as configured in mkdocs.yml.

Each build also times the plugin's own event methods (``synthetic.TIMED_BUILD``): the
plugin's share of its own build is far steadier on a shared machine than the difference of
two builds. It prints the median wall and CPU time of each mode, (b) over (a) as a ratio, and
the plugin's median share of (b). ``--code DIR`` builds with the plugins of another checkout
(e.g. ``git worktree add /tmp/old <commit>``), so old and new code are measured by the same
script. Not a test: run it by hand, record the figures in the README::

    python bench/review_overhead.py [--posts 300] [--repeat 3] [--code DIR]

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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import (  # the synthetic site every site benchmark builds
    SOURCE_DATE_EPOCH,
    TIMED_BUILD,
    prepare,
    with_switch,
)

PLUGIN = "intranet-review"
PLUGIN_CLASS = "plugins.review.plugin:ReviewPlugin"
MODES = {"off": False, "on": True}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    """CPU seconds of the build process (user + system)."""
    plugin_cpu: float
    """CPU seconds spent in the plugin's event methods."""


def generate_site(root: Path, count: int) -> None:
    """The synthetic site in ``root`` with one mkdocs.yml per mode."""
    site = prepare(root)
    for key, enabled in MODES.items():
        site.write_config(f"mkdocs-{key}.yml", with_switch(site.config(), (PLUGIN,), enabled))
    for _text in site.write_posts(count):
        pass


def build(root: Path, key: str, scratch: Path, code: Path | None) -> Run:
    """One build in a fresh process, checked; its times."""
    times = scratch / f"times-{key}.json"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
           "SITE_URL": "https://intranet.exempelby.se/", "NO_MKDOCS_2_WARNING": "1",
           "BENCH_PLUGIN_CLASS": PLUGIN_CLASS, "BENCH_TIMES": str(times)}
    if code is not None:
        # Before the editable install on sys.path: the plugins of that checkout are imported.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    site = Path(tempfile.mkdtemp(prefix=f"site-{key}-", dir=scratch))
    command = [sys.executable, "-c", TIMED_BUILD, "build", "-f", str(root / f"mkdocs-{key}.yml"),
               "-d", str(site)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0 or not (site / "index.html").is_file():
        raise SystemExit(f"{key}: build failed:\n{output[-4000:]}")
    # The check logs its findings (warnings as INFO, errors as WARNING); off, none.
    findings = output.count("plugins: docs/")
    if MODES[key] != (findings > 0):
        raise SystemExit(f"{key}: {findings} findings of the check in the output")
    spent = json.loads(times.read_text())
    shutil.rmtree(site)
    return Run(wall, usage.ru_utime + usage.ru_stime, spent["plugin_cpu"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="news posts to generate")
    parser.add_argument("--repeat", type=int, default=3, help="builds per mode")
    parser.add_argument("--code", type=Path, help="checkout whose plugins the builds use")
    args = parser.parse_args(argv)
    code = args.code.resolve() if args.code else None
    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        scratch = Path(folder)
        root = scratch / "site-source"
        root.mkdir()
        generate_site(root, args.posts)
        runs: dict[str, list[Run]] = {key: [] for key in MODES}
        for round_ in range(args.repeat):
            order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
            for key in order:
                runs[key].append(build(root, key, scratch, code))
    wall = {key: statistics.median(run.wall for run in runs[key]) for key in MODES}
    cpu = {key: statistics.median(run.cpu for run in runs[key]) for key in MODES}
    share = statistics.median(run.plugin_cpu / run.cpu for run in runs["on"])
    plugin = statistics.median(run.plugin_cpu for run in runs["on"])
    print(f"{args.posts} posts, {args.repeat} builds per mode, code: {code or 'this checkout'}")
    for key in MODES:
        walls = [run.wall for run in runs[key]]
        print(f"  {key:>3}: wall median {wall[key]:6.1f} s (min {min(walls):.1f}, max "
              f"{max(walls):.1f}), CPU median {cpu[key]:6.1f} s")
    print(f"  on/off: wall {wall['on'] / wall['off']:.3f}, CPU {cpu['on'] / cpu['off']:.3f}")
    print(f"  the check's own CPU in (b): median {plugin:.2f} s, {100 * share:.1f} % of the build")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
