"""The synthetic site every site benchmark builds: the real site, with generated news posts.

``prepare(root)`` copies the real ``content/`` (pages, guides, authors) into ``root/docs``,
empties the posts folder and adds the image the posts show; ``Site.config()`` is the real
``mkdocs.yml`` pointed at that copy, for each benchmark to change what it compares (a plugin
off, another search) and write with ``Site.write_config``. ``post_markdown`` writes post
``index`` of ``count``: valid front matter for our post model (a third with a window, a
quarter with an action, every status), a lead, the sections a reader needs, a relative link
and the image. Seeded, so every benchmark builds the same site for the same size.

``TIMED_BUILD`` runs ``mkdocs build`` in a child process with some plugins' event methods
timed, so a benchmark can report a plugin's own share of the same build.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parent.parent
SOURCE_DATE_EPOCH = 1_782_813_600  # 2026-06-30 10:00 UTC: "now" for every build.
BUILD_TIME = datetime.fromtimestamp(SOURCE_DATE_EPOCH, UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
IMAGE = "bilder/skarmbild.svg"  # Relative to the blog folder.
EN_DASH = "\u2013"  # Swedish typography in the generated text; ruff flags it in literals.


# --- mkdocs.yml, read and written with the tags only MkDocs resolves ----------------------------

@dataclass(frozen=True)
class _Tagged:
    """A node tagged ``!ENV`` or ``!!python/name:…``: kept as written, for MkDocs to resolve."""

    tag: str
    value: Any


class ConfigLoader(yaml.SafeLoader):
    pass


class ConfigDumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> _Tagged:
    value: Any
    if isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return _Tagged(node.tag, value)


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


ConfigLoader.add_multi_constructor("!", _construct_tagged)
ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_tagged)
ConfigDumper.add_representer(_Tagged, _represent_tagged)


def plugin_name(entry: str | dict[str, Any]) -> str:
    """The name of an entry of ``plugins:``, written either ``- name`` or ``- name: {options}``."""
    return entry if isinstance(entry, str) else next(iter(entry))


def plugin_options(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The options of plugin ``name`` in ``config`` ({} when it has none)."""
    for entry in config["plugins"]:
        if plugin_name(entry) == name:
            return {} if isinstance(entry, str) else dict(entry[name] or {})
    raise SystemExit(f"mkdocs.yml has no plugin {name!r}; the benchmark needs it")



# Runs one build in this process's child with the event methods of the plugin classes named
# in BENCH_PLUGIN_CLASS timed: the
# plugin's own share of a build, against the rest of the same build, is far steadier than the
# difference between two builds, which on a shared machine varies by more than 3 %.
TIMED_BUILD = """
import functools, gc, importlib, json, os, sys, time
classes = []
for spec in os.environ["BENCH_PLUGIN_CLASS"].split(","):
    module, _, name = spec.partition(":")
    classes.append(getattr(importlib.import_module(module), name))
spent = [0.0, 0.0]
# CPU time of Python's garbage collections (all, and those that ran inside the timed methods):
# a full collection scans the whole build's heap and falls into whatever code allocates when
# the threshold is crossed, so it is reported apart (plugin_gc_cpu is part of plugin_cpu).
collected = {"gc_cpu": 0.0, "plugin_gc_cpu": 0.0, "full": 0, "plugin_full": 0,
             "gc_collections": [0, 0, 0], "gc_cpu_by_generation": [0.0, 0.0, 0.0]}
inside, gc_started = [0], [0.0]
def on_gc(phase, info):
    if phase == "start":
        gc_started[0] = time.process_time()
        return
    used = time.process_time() - gc_started[0]
    full = info["generation"] == 2
    collected["gc_cpu"] += used
    collected["full"] += full
    collected["gc_collections"][info["generation"]] += 1
    collected["gc_cpu_by_generation"][info["generation"]] += used
    if inside[0]:
        collected["plugin_gc_cpu"] += used
        collected["plugin_full"] += full
gc.callbacks.append(on_gc)
def timed(method):
    @functools.wraps(method)  # keeps mkdocs_priority, which event_priority sets
    def wrapper(*args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        inside[0] += 1
        try:
            return method(*args, **kwargs)
        finally:
            inside[0] -= 1
            spent[0] += time.perf_counter() - started
            spent[1] += time.process_time() - cpu
    return wrapper
for cls in classes:
    for attr, value in list(vars(cls).items()):
        if attr.startswith("on_") and callable(value):
            setattr(cls, attr, timed(value))
# Processes the build starts (Pagefind's indexer, once per attempt; git): an index that
# Pagefind left cut short is made again, which costs a whole indexing run.
import subprocess
started_processes = {}
popen_init = subprocess.Popen.__init__
def counting_init(self, args, *rest, **kwargs):
    name = os.path.basename(str(args if isinstance(args, (str, bytes)) else args[0]))
    started_processes[name] = started_processes.get(name, 0) + 1
    popen_init(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting_init
from mkdocs.__main__ import cli
started, cpu = time.perf_counter(), time.process_time()
try:
    cli.main(sys.argv[1:], standalone_mode=False)
finally:
    # The build process's own CPU (every thread) apart from that of the processes it waited
    # for (Pagefind's indexer, git): a difference between two builds shows on one side.
    import resource
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["BENCH_TIMES"], "w") as out:
        json.dump({"plugin": spent[0], "build": time.perf_counter() - started,
                   "plugin_cpu": spent[1], "build_cpu": time.process_time() - cpu,
                   "process_cpu": own.ru_utime + own.ru_stime,
                   "children_cpu": children.ru_utime + children.ru_stime,
                   "peak_rss_kib": own.ru_maxrss, "processes": started_processes,
                   **collected}, out)
"""


# --- The posts ----------------------------------------------------------------------------------

_SUBJECTS = (
    "Microsoft 365", "Teams", "OneDrive", "Visma Lön", "Skrivarna", "Wifi i skolorna",
    "Journalsystemet", "E-posten", "Fjärråtkomsten", "Diariet", "Skolplattorna", "Intranätet",
)
_EVENTS = (
    "uppdateras under kvällen", "byter inloggning", "har en driftstörning", "får nya funktioner",
    "flyttar till datacentret", "stängs av för service", "fungerar igen", "kräver ny app",
)
_SENTENCES = (
    "Ändringen gäller alla medarbetare i förvaltningen, skolan och vård och omsorg.",
    "Du behöver inte göra något om du redan har loggat in den här veckan.",
    "Under arbetet kan tjänsten vara långsam eller tillfälligt otillgänglig.",
    "Spara dina dokument i OneDrive eller Teams, inte på skrivbordet i datorn.",
    "Vi testar ändringen på en arbetsplats först och sprider den sedan till alla.",
    "Har du frågor kan du ringa IT-servicedesk på 0123-45 67 89 vardagar 7" + EN_DASH + "17.",
    "Kontakta din chef om du är osäker på om ändringen berör din verksamhet.",
    "Tidigare har det här tagit flera dagar; nu går det på några minuter.",
    "Logga ut och in igen om något ser konstigt ut efter ändringen.",
    "Vi skriver en ny nyhet när arbetet är klart eller om tiderna ändras.",
)
_SERVICES = ("Microsoft 365", "Teams", "OneDrive", "Visma Lön", "Skrivare", "Wifi",
             "Fjärråtkomst", "Filserver", "E-post", "Diariet")
_STATUSES = ("planerad", "pågår", "klar", "inställd")
IMAGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">'
    '<rect width="320" height="180" fill="#3f51b5"/>'
    '<text x="160" y="95" fill="#fff" font-size="20" text-anchor="middle">Skärmbild</text>'
    "</svg>\n"
)


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def post_date(index: int) -> datetime:
    """Publication time of post ``index`` (0 is the newest): one every 19 hours, in the past."""
    newest = datetime(2026, 6, 29, 8, 30, tzinfo=STOCKHOLM)
    return newest - timedelta(hours=19 * index)


def post_markdown(index: int, count: int, taxonomy: dict[str, list[str]],
                  rng: random.Random) -> str:
    """A valid post: front matter for our model, a lead, sections, a link and an image."""
    published = post_date(index)
    subject = rng.choice(_SUBJECTS)
    title = f"{subject} {rng.choice(_EVENTS)} {EN_DASH} nr {count - index}"
    categories = rng.sample(taxonomy["categories"], k=rng.choice((1, 1, 1, 2)))
    audience = rng.sample(taxonomy["audiences"], k=rng.choice((1, 1, 2)))
    services = sorted({subject, *rng.sample(_SERVICES, k=2)} & set(_SERVICES)) or [subject]
    description = " ".join(rng.sample(_SENTENCES, k=3))
    if len(description) > 300:  # The post model's limit.
        raise ValueError(f"generated description too long: {description}")
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {_minute(published)}",
    ]
    if index % 10 == 5:
        lines.append(f"updated: {_minute(published + timedelta(hours=6))}")
    lines += [
        f"description: {json.dumps(description, ensure_ascii=False)}",
        f"categories: [{', '.join(categories)}]",
        f"audience: [{', '.join(audience)}]",
        f"services: [{', '.join(services)}]",
    ]
    if index % 3 == 0:
        start = published + timedelta(days=2, hours=10)
        lines += ["window:", f"  start: {_minute(start)}",
                  f"  end: {_minute(start + timedelta(hours=3))}"]
    if index % 4 == 0:
        lines += ["action:", f"  by: {(published + timedelta(days=14)).date().isoformat()}",
                  f"  what: {json.dumps(rng.choice(_SENTENCES), ensure_ascii=False)}"]
    lines += [f"status: {rng.choice(_STATUSES)}", "authors: [it-kommunikation]", "---", ""]
    neighbour = f"nyhet-{(index + 1) % count:05d}.md"

    def paragraph() -> str:
        return " ".join(rng.sample(_SENTENCES, k=4))

    lines += [
        f"# {title}", "", description, "", "<!-- more -->", "",
        "## Vad ändras?", "", paragraph(), "",
        f"Läs också [den förra nyheten]({neighbour}) om samma arbete.", "",
        f"![Skärmbild av {subject}](../{IMAGE})", "",
        "## Vad behöver du göra?", "",
        *(f"- {sentence}" for sentence in rng.sample(_SENTENCES, k=3)), "",
        "## Behöver du hjälp?", "", paragraph(), "",
    ]
    return "\n".join(lines)



def with_switch(config: dict[str, Any], names: Collection[str], enabled: bool) -> dict[str, Any]:
    """``config`` with the plugins ``names`` switched on or off (``enabled`` beside their own
    options); everything else unchanged."""
    plugins: list[Any] = []
    for entry in config["plugins"]:
        name = plugin_name(entry)
        if name in names:
            entry = {name: {**plugin_options(config, name), "enabled": enabled}}
        plugins.append(entry)
    return {**config, "plugins": plugins}

# --- The site around the posts -------------------------------------------------------------------

@dataclass(frozen=True)
class Site:
    """A copy of the real site's pages in ``root/docs`` whose posts folder the caller fills."""

    root: Path
    docs: Path
    posts_dir: Path
    real: dict[str, Any]
    """The real mkdocs.yml, as read (tags MkDocs resolves kept as written)."""

    @property
    def posts_options(self) -> dict[str, Any]:
        """The options of ``intranet-posts``: categories and audiences come from there."""
        return plugin_options(self.real, "intranet-posts")

    def config(self, custom_dir: Path | None = None) -> dict[str, Any]:
        """The real mkdocs.yml pointed at this copy (and at ``custom_dir`` for the overrides)."""
        theme = dict(self.real["theme"])
        if custom_dir is not None:
            theme["custom_dir"] = str(custom_dir)
        elif "custom_dir" in theme:
            theme["custom_dir"] = str((REPO / theme["custom_dir"]).resolve())
        return {**self.real, "docs_dir": str(self.docs), "theme": theme}

    def write_config(self, name: str, config: dict[str, Any]) -> Path:
        """Write ``config`` as ``root/name``; returns its path."""
        path = self.root / name
        path.write_text(yaml.dump(config, Dumper=ConfigDumper, allow_unicode=True,
                                  sort_keys=False), encoding="utf-8")
        return path

    def post_path(self, index: int) -> Path:
        return self.posts_dir / f"nyhet-{index:05d}.md"

    def write_posts(self, count: int, seed: int = 2025) -> Iterator[str]:
        """Write posts 0 to ``count - 1``, newest first; yields each post's text."""
        rng = random.Random(seed)
        options = self.posts_options
        for index in range(count):
            text = post_markdown(index, count, options, rng)
            self.post_path(index).write_text(text, encoding="utf-8")
            yield text


def prepare(root: Path) -> Site:
    """Copy the real pages into ``root/docs`` with an empty posts folder and the posts' image."""
    with (REPO / "mkdocs.yml").open(encoding="utf-8") as handle:
        real = yaml.load(handle, Loader=ConfigLoader)
    docs = root / "docs"
    shutil.copytree(REPO / real.get("docs_dir", "docs"), docs)
    posts_dir = docs / plugin_options(real, "intranet-posts").get("posts_dir", "news/posts")
    shutil.rmtree(posts_dir)
    posts_dir.mkdir()
    image = posts_dir.parent / IMAGE
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_text(IMAGE_SVG, encoding="utf-8")
    return Site(root=root, docs=docs, posts_dir=posts_dir, real=real)
