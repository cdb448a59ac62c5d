"""How much the ``intranet-feeds`` plugin adds to building the site (issue 3's benchmark).

Generates, in a temporary folder, the synthetic site of ``bench/synthetic.py``: the real
``mkdocs.yml`` (same theme, overrides and plugins; only ``docs_dir`` and the feed plugin
differ), the real pages and authors, and ``--posts`` news posts with valid front matter, a few
paragraphs, a relative link and a local image. The folder is a git repository with a few
commits, since mkdocs-rss-plugin reads dates from ``git log``. Then it builds the site in four
modes, each build in a fresh ``python -m mkdocs build`` process with a fixed SOURCE_DATE_EPOCH,
the modes interleaved over ``--repeat`` rounds:

(a) ``intranet-feeds`` with ``enabled: false``: the baseline;
(b) ``intranet-feeds`` as configured in mkdocs.yml;
(c) mkdocs-rss-plugin in its place, dates from front matter and no git;
(d) mkdocs-rss-plugin in its place, dates from git (its default).

Every build is checked (the feeds it should write are there, with the expected items and
dates). It prints, per mode, the median wall time and CPU time (user + system, git included),
each with its overhead over (a), the peak resident memory of the build process, and whether
the goals of issue 3 hold: (b) adds at most 3 % to (a), and less than mkdocs-rss-plugin in
either mode. On a shared or virtual machine identical builds can differ by more than 3 %: look
at the min-max spread before trusting a verdict. Not a test: run it by hand and record the
figures::

    python bench/feed_overhead.py [--posts 3000] [--repeat 3] [--modes abcd] [--keep]
    python bench/feed_overhead.py --posts 300 --repeat 6 --modes ab

Needs the ``bench`` extra (mkdocs-rss-plugin) and git. Talks to nothing but the local machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import (  # the synthetic site every site benchmark builds
    BUILD_TIME,
    REPO,
    SOURCE_DATE_EPOCH,
    TIMED_BUILD,
    plugin_name,
    plugin_options,
    post_date,
    post_markdown,
    prepare,
)

GOAL_PERCENT = 3.0
RSS_LENGTH = 50  # Items in mkdocs-rss-plugin's feeds: our plugin's default limit.
COMMITS = 5


def with_feed_plugin(config: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``config`` with ``entry`` in the place of ``intranet-feeds``; everything else unchanged."""
    plugins = [entry if plugin_name(item) == "intranet-feeds" else item
               for item in config["plugins"]]
    return {**config, "plugins": plugins}


# --- The four modes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    """What a correct build of the synthetic site contains, to check every measured build."""

    posts: int
    newest: datetime
    """Date of the newest post, from its front matter."""
    last_commit: datetime


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    plugin_class: str
    """``module:Class`` of the feed plugin whose own event time the build measures."""
    feed_entry: Callable[[dict[str, Any], Path], dict[str, Any]]
    """The ``plugins:`` entry that replaces intranet-feeds, from its real options and the
    scratch folder."""
    check: Callable[[Path, Expected], None]
    """Raises WrongBuild when the built site lacks the mode's feeds."""


class WrongBuild(Exception):
    """A build did not write what its mode should: the figures would compare the wrong things."""


def _expect(holds: bool, problem: str) -> None:
    if not holds:
        raise WrongBuild(problem)


OURS = "plugins.feeds.plugin:FeedsPlugin"
# The posts plugin (front-matter validation, publishing rules) runs in every mode; timed with
# ours, "plugin s" of (b) is what both our plugins cost together, of (a) the posts plugin alone.
OURS_AND_POSTS = f"{OURS},plugins.posts.plugin:PostsPlugin"
RSS_PLUGIN = "mkdocs_rss_plugin.plugin:GitRssPlugin"

def _ours(enabled: bool) -> Callable[[dict[str, Any], Path], dict[str, Any]]:
    def entry(options: dict[str, Any], _scratch: Path) -> dict[str, Any]:
        return {"intranet-feeds": {**options, "enabled": enabled}}
    return entry


def _rss_plugin(from_git: bool) -> Callable[[dict[str, Any], Path], dict[str, Any]]:
    def entry(_options: dict[str, Any], scratch: Path) -> dict[str, Any]:
        options: dict[str, Any] = {
            "match_path": "news/posts/.*",
            "length": RSS_LENGTH,
            "cache_dir": str(scratch / "rss-cache"),
            "date_from_meta": {"default_timezone": "Europe/Stockholm"},
        }
        if not from_git:
            # Since 1.13 `as_update: false` means git, and any date missing from the front
            # matter is read from git unless use_git is off: both dates from `date`, no git.
            options["use_git"] = False
            options["date_from_meta"] |= {"as_creation": "date", "as_update": "date"}
        return {"rss": options}
    return entry


def _check_off(site: Path, _expected: Expected) -> None:
    _expect(not (site / "feeds").exists(), "feeds were written with intranet-feeds disabled")


def _check_ours(site: Path, expected: Expected) -> None:
    archive = site / "feeds" / "news-archive.json"
    news = json.loads((site / "feeds" / "news.json").read_text(encoding="utf-8"))
    _expect(bool(news["items"]), "feeds/news.json has no items")
    if archive.exists():
        items = json.loads(archive.read_text(encoding="utf-8"))["items"]
        _expect(len(items) == expected.posts, f"archive has {len(items)} of {expected.posts}")


def _newest_rss_date(site: Path) -> datetime:
    channel = ElementTree.parse(site / "feed_rss_created.xml").getroot().find("channel")
    if channel is None:
        raise WrongBuild("feed_rss_created.xml has no channel")
    items = channel.findall("item")
    _expect(len(items) == RSS_LENGTH, f"feed_rss_created.xml has {len(items)} items")
    return max(parsedate_to_datetime(item.findtext("pubDate") or "") for item in items)


def _check_rss_meta(site: Path, expected: Expected) -> None:
    newest = _newest_rss_date(site)
    _expect(newest == expected.newest, f"newest item dated {newest}, not {expected.newest}")


def _check_rss_git(site: Path, expected: Expected) -> None:
    # A day's margin: the plugin reads git's timestamps in the machine's time zone.
    newest = _newest_rss_date(site)
    _expect(abs(newest - expected.last_commit) < timedelta(days=1),
            f"newest item dated {newest}, not near the last commit {expected.last_commit}")


MODES = (
    Mode("a", "(a) intranet-feeds off", OURS_AND_POSTS, _ours(enabled=False), _check_off),
    Mode("b", "(b) intranet-feeds on", OURS_AND_POSTS, _ours(enabled=True), _check_ours),
    Mode("c", "(c) mkdocs-rss-plugin, front-matter dates", RSS_PLUGIN,
         _rss_plugin(from_git=False),
         _check_rss_meta),
    Mode("d", "(d) mkdocs-rss-plugin, git dates", RSS_PLUGIN, _rss_plugin(from_git=True),
         _check_rss_git),
)


# --- The synthetic site, as a git repository (mkdocs-rss-plugin reads dates from git) -----------

def _git(root: Path, *args: str, when: datetime | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(
        ["git", "-c", "user.name=Benchmark", "-c", "user.email=bench@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=root, env=env, check=True, stdout=subprocess.DEVNULL,
    )


def generate_site(root: Path, scratch: Path, count: int) -> Expected:
    """Write the synthetic site to ``root`` as a git repository, one mkdocs.yml per mode."""
    site = prepare(root)
    base = site.config()
    feeds_options = plugin_options(site.real, "intranet-feeds")
    for mode in MODES:
        site.write_config(f"mkdocs-{mode.key}.yml",
                          with_feed_plugin(base, mode.feed_entry(feeds_options, scratch)))

    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "--all")
    # Oldest posts first, a few commits, each dated after its newest post.
    rng = random.Random(2025)
    indexes = list(range(count - 1, -1, -1))
    chunk = -(-count // COMMITS)
    last_commit = BUILD_TIME
    for start in range(0, count, chunk):
        batch = indexes[start:start + chunk]
        for index in batch:
            site.post_path(index).write_text(
                post_markdown(index, count, site.posts_options, rng), encoding="utf-8")
        last_commit = post_date(batch[-1]) + timedelta(days=1)
        _git(root, "add", "--all")
        _git(root, "commit", "-q", "-m", f"{len(batch)} nyheter", when=last_commit)
    return Expected(posts=count, newest=post_date(0), last_commit=last_commit)


# --- Building and measuring ----------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    seconds: float
    """Wall time, what the goal is about."""
    cpu_seconds: float
    """User and system time of the build and the processes it waited for (git): less
    disturbed than wall time by whatever else the machine is doing."""
    peak_rss_mib: float
    plugin_seconds: float
    """Time spent in the feed plugin's own event methods during the build."""
    build_seconds: float
    """The same build's time as the process measured it (no interpreter start-up)."""
    plugin_cpu: float = 0.0
    """CPU time of this process in the plugins' event methods: unlike wall time, not
    stretched by other work on a busy machine."""
    build_cpu: float = 0.0
    plugin_gc_cpu: float = 0.0
    """Of ``plugin_cpu``, Python's garbage collections that ran inside the plugins' methods:
    a full one scans the heap of the whole build (every page) and falls into whichever code
    allocates when the threshold is crossed."""
    plugin_full_gcs: int = 0
    process_cpu: float = 0.0
    """CPU time of the build's Python process alone (every thread, start-up included)."""
    children_cpu: float = 0.0
    """CPU time of the processes the build waited for: Pagefind's indexer (and git)."""
    gc_cpu: float = 0.0
    """CPU time of every garbage collection in the build, wherever it ran."""
    gc_collections: tuple[int, int, int] = (0, 0, 0)
    """Collections of generation 0, 1 and 2 (full) in the build."""
    processes: tuple[tuple[str, int], ...] = ()
    """Processes the build started, by program: Pagefind's indexer runs again when it left
    an index file cut short, which costs a whole indexing."""

    @property
    def started(self) -> str:
        return ", ".join(f"{name} x{count}" for name, count in self.processes) or "none"

    @property
    def plugin_share(self) -> float:
        """The plugin's time as a percentage of the rest of the same build."""
        return 100 * self.plugin_seconds / (self.build_seconds - self.plugin_seconds)

    @property
    def plugin_cpu_share(self) -> float:
        """The plugins' CPU time as a percentage of the rest of the build's CPU time."""
        return 100 * self.plugin_cpu / (self.build_cpu - self.plugin_cpu)

    @property
    def plugin_cpu_share_without_gc(self) -> float:
        """The same without the garbage collections that happened to run in the plugins."""
        own = self.plugin_cpu - self.plugin_gc_cpu
        return 100 * own / (self.build_cpu - own)


def build(root: Path, mode: Mode, scratch: Path, expected: Expected) -> Run:
    """Build the site in ``mode`` in a fresh process; its wall and CPU time and peak RSS."""
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
        "SITE_URL": "https://intranet.exempelby.se/",
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        "BENCH_PLUGIN_CLASS": mode.plugin_class,
        "BENCH_TIMES": str(scratch / f"times-{mode.key}.json"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    site = Path(tempfile.mkdtemp(prefix=f"site-{mode.key}-", dir=scratch))
    command = [sys.executable, "-c", TIMED_BUILD, "build", "-q",
               "-f", str(root / f"mkdocs-{mode.key}.yml"), "-d", str(site)]
    with tempfile.TemporaryFile(dir=scratch) as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        # wait4 gives this one child's rusage, so ru_maxrss is this build's peak alone.
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            log = output.read().decode("utf-8", "replace")
            raise SystemExit(f"{mode.label}: build failed ({process.returncode}):\n{log[-4000:]}")
    try:
        mode.check(site, expected)
    except WrongBuild as error:
        raise SystemExit(f"{mode.label}: the build is not what was meant: {error}") from error
    shutil.rmtree(site)
    times = json.loads(Path(env["BENCH_TIMES"]).read_text())
    # ru_maxrss is in KiB on Linux.
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               times["plugin"], times["build"], times["plugin_cpu"], times["build_cpu"],
               times["plugin_gc_cpu"], times["plugin_full"], times["process_cpu"],
               times["children_cpu"], times["gc_cpu"], tuple(times["gc_collections"]),
               tuple(sorted(times["processes"].items())))


def measure(root: Path, scratch: Path, expected: Expected, repeat: int,
            modes: Sequence[Mode] = MODES) -> dict[str, list[Run]]:
    """``repeat`` rounds of every mode, the order rotated each round so drift hits all alike."""
    print(f"Warm-up build {MODES[1].label} (not counted)…", file=sys.stderr, flush=True)
    build(root, MODES[1], scratch, expected)
    runs: dict[str, list[Run]] = {mode.key: [] for mode in modes}
    for round_ in range(repeat):
        for mode in [*modes[round_ % len(modes):], *modes[:round_ % len(modes)]]:
            run = build(root, mode, scratch, expected)
            runs[mode.key].append(run)
            print(f"  round {round_ + 1}/{repeat} {mode.label}: {run.seconds:.2f} s, "
                  f"CPU {run.cpu_seconds:.2f} s, {run.peak_rss_mib:.0f} MiB, plugin "
                  f"{run.plugin_seconds:.2f} s ({run.plugin_share:.2f} %), plugin CPU "
                  f"{run.plugin_cpu:.2f} s ({run.plugin_cpu_share:.2f} %; garbage collection "
                  f"{run.plugin_gc_cpu:.2f} s of it, {run.plugin_full_gcs} full); Python "
                  f"process {run.process_cpu:.2f} s CPU, children {run.children_cpu:.2f} s, "
                  f"GC {run.gc_cpu:.2f} s ({'/'.join(map(str, run.gc_collections))} "
                  f"collections of generations 0/1/2); processes started: {run.started}",
                  file=sys.stderr, flush=True)
    return runs


def code_fingerprint() -> str:
    """A hash of what the builds run from this checkout: the plugins, the overrides, mkdocs.yml.

    Checked before and after the run: figures measured across an edit describe no version.
    """
    digest = hashlib.sha256()
    paths = [REPO / "mkdocs.yml", *sorted((REPO / "plugins").rglob("*")),
             *sorted((REPO / "overrides").rglob("*"))]
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def checkout() -> str:
    """The commit the figures are for, marked when plugins/, overrides/ or mkdocs.yml differ."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "plugins", "overrides", "mkdocs.yml")
    return f"{commit} with uncommitted changes" if dirty else commit


# --- Report --------------------------------------------------------------------------------------

def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def report(runs: dict[str, list[Run]], posts: int, repeat: int, commit: str) -> str:
    """The table and the verdict on the goals, as printed."""
    def medians(measure: Callable[[Run], float]) -> dict[str, float]:
        return {key: statistics.median(map(measure, mode_runs)) for key, mode_runs in runs.items()}

    def over(values: dict[str, float]) -> dict[str, float]:
        return {key: 100 * (value / values["a"] - 1) for key, value in values.items()}

    wall = medians(lambda run: run.seconds)
    cpu = medians(lambda run: run.cpu_seconds)
    wall_over, cpu_over = over(wall), over(cpu)
    lines = [
        f"Feed overhead: {posts} posts, median of {repeat} builds per mode, "
        f"SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH}, checkout {commit}",
        f"Python {platform.python_version()}, mkdocs {_version('mkdocs')}, "
        f"mkdocs-material {_version('mkdocs-material')}, "
        f"mkdocs-rss-plugin {_version('mkdocs-rss-plugin')}, {os.cpu_count()} CPUs",
        "",
        f"{'mode':<44}{'wall s':>9}{'min-max':>15}{'vs (a)':>10}"
        f"{'CPU s':>9}{'vs (a)':>10}{'peak RSS MiB':>14}{'plugin s':>10}{'share':>9}",
    ]
    share = medians(lambda run: run.plugin_share)
    cpu_share = medians(lambda run: run.plugin_cpu_share)
    plugin_cpu = medians(lambda run: run.plugin_cpu)
    plugin = medians(lambda run: run.plugin_seconds)
    for mode in [mode for mode in MODES if mode.key in runs]:
        key = mode.key
        seconds = [run.seconds for run in runs[key]]
        spread = f"{min(seconds):.2f}-{max(seconds):.2f}"
        wall_ratio = "—" if key == "a" else f"{wall_over[key]:+.1f} %"
        cpu_ratio = "—" if key == "a" else f"{cpu_over[key]:+.1f} %"
        peak = max(run.peak_rss_mib for run in runs[key])
        lines.append(f"{mode.label:<44}{wall[key]:>9.2f}{spread:>15}{wall_ratio:>10}"
                     f"{cpu[key]:>9.2f}{cpu_ratio:>10}{peak:>14.0f}{plugin[key]:>10.2f}"
                     f"{share[key]:>8.2f}%")

    process, children = medians(lambda run: run.process_cpu), medians(lambda run: run.children_cpu)
    process_over, children_over = over(process), over(children)
    gc_cpu = medians(lambda run: run.gc_cpu)
    lines += [
        "",
        "Where the CPU time of whole builds went (medians):",
        f"{'mode':<44}{'Python s':>10}{'vs (a)':>10}{'children s':>12}{'vs (a)':>10}"
        f"{'GC s':>8}{'collections 0/1/2':>20}",
    ]
    for mode in [mode for mode in MODES if mode.key in runs]:
        key = mode.key
        collections = "/".join(
            f"{statistics.median(run.gc_collections[generation] for run in runs[key]):g}"
            for generation in range(3))
        lines.append(
            f"{mode.label:<44}{process[key]:>10.2f}"
            f"{'—' if key == 'a' else f'{process_over[key]:+.1f} %':>10}"
            f"{children[key]:>12.2f}"
            f"{'—' if key == 'a' else f'{children_over[key]:+.1f} %':>10}"
            f"{gc_cpu[key]:>8.2f}{collections:>20}")
    lines += [
        "'Python' is the build process itself (every thread), 'children' the processes it "
        "waited for (Pagefind's indexer, git).",
        "Processes started, per build: " + "; ".join(
            f"({key}) " + " | ".join(run.started for run in mode_runs)
            for key, mode_runs in runs.items()),
    ]

    def verdict(holds: Callable[[dict[str, float]], bool]) -> str:
        return (f"wall {'yes' if holds(wall_over) else 'NO'}, "
                f"CPU {'yes' if holds(cpu_over) else 'NO'}")

    lines += [
        "",
        "'plugin s' is the time in the feed plugin's own event methods, 'share' that time over",
        "the rest of the same build: the overhead measured within one process, steadier than",
        "the difference of two builds. In (a) and (b) it includes the posts plugin (validation",
        "of every page's front matter), which every mode runs: (a) is the posts plugin alone,",
        "(b) both our plugins together. In (a) the feed plugin is there but switched off.",
        "",
        "Goals (issue 3), in-process share of the build:",
        f"  (b), both plugins, at most {GOAL_PERCENT:g} %:  "
        + ("yes" if share["b"] <= GOAL_PERCENT else "NO") + f" ({share['b']:.2f} %)",
        "  the same in CPU time:         "
        + ("yes" if cpu_share["b"] <= GOAL_PERCENT else "NO")
        + f" ({plugin_cpu['b']:.2f} s, {cpu_share['b']:.2f} %; (a), the posts plugin alone: "
        f"{plugin_cpu['a']:.2f} s, {cpu_share['a']:.2f} %)",
        "  the same without the garbage collections that ran in the plugins' methods: "
        f"{medians(lambda run: run.plugin_cpu - run.plugin_gc_cpu)['b']:.2f} s, "
        f"{medians(lambda run: run.plugin_cpu_share_without_gc)['b']:.2f} % (not the verdict: "
        "a full collection scans the whole build's heap and runs in whatever code allocates "
        "when the threshold is crossed)",
        "",
        "Goals (issue 3), on the medians of separate builds; peak RSS is the largest of the "
        "builds:",
        f"  (b) adds at most {GOAL_PERCENT:g} % to (a): "
        + verdict(lambda ratio: ratio["b"] <= GOAL_PERCENT),
    ]
    if "c" in runs and "d" in runs:
        lines += [
            "  (b) adds less than (c):      " + verdict(lambda ratio: ratio["b"] < ratio["c"]),
            "  (b) adds less than (d):      " + verdict(lambda ratio: ratio["b"] < ratio["d"]),
            "  in-process share, (b) less than (c): "
            + ("yes" if share["b"] < share["c"] else "NO") + f" ({share['c']:.2f} %)",
            "  in-process share, (b) less than (d): "
            + ("yes" if share["b"] < share["d"] else "NO") + f" ({share['d']:.2f} %)",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000, help="news posts to generate")
    parser.add_argument("--repeat", type=int, default=3, help="builds per mode (at least 3)")
    parser.add_argument("--modes", default="abcd",
                        help="which modes to build, e.g. 'ab' for ours off and on only")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated site and print where it is")
    args = parser.parse_args(argv)
    if args.posts < RSS_LENGTH:
        parser.error(f"--posts must be at least {RSS_LENGTH}, the feeds' length")
    if args.repeat < 3:
        parser.error("--repeat must be at least 3: a median of fewer says little")
    if shutil.which("git") is None:
        parser.error("git is needed: the site is a repository for mkdocs-rss-plugin's git mode")
    if _version("mkdocs-rss-plugin") == "not installed":
        parser.error("install the bench extra: pip install -e '.[bench]'")

    scratch = Path(tempfile.mkdtemp(prefix="feed-overhead-"))
    try:
        root = scratch / "site-source"
        print(f"Generating {args.posts} posts in {root}…", file=sys.stderr, flush=True)
        fingerprint, commit = code_fingerprint(), checkout()
        expected = generate_site(root, scratch, args.posts)
        modes = [mode for mode in MODES if mode.key in args.modes]
        if [mode.key for mode in modes[:2]] != ["a", "b"]:
            parser.error("--modes needs a and b: everything is compared with (a)")
        runs = measure(root, scratch, expected, args.repeat, modes)
        print(report(runs, args.posts, args.repeat, commit))
        if code_fingerprint() != fingerprint:
            print("\nWARNING: plugins/, overrides/ or mkdocs.yml changed during the run; "
                  "these figures describe no single version. Run again.")
            return 1
    finally:
        if args.keep:
            print(f"Kept {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
