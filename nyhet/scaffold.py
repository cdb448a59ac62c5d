"""``nyhet ny``: a new post or guide with valid front matter and the skeleton a reader needs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from plugins.posts.errors import ContentError
from plugins.posts.frontmatter import read_front_matter
from plugins.posts.model import Status, parse_guide, parse_post
from plugins.posts.slugs import slugify
from plugins.review.rules import QUESTIONS

from .project import Project

GUIDE = "guide"

# What each question's section should hold; HTML comments, so the preview stays clean and
# `nyhet granska` reports the section as empty until the writer has answered it.
_PROMPTS = {
    "Vad händer?": "Vad ändras eller har hänt? Skriv det viktigaste först, i en eller två "
                   "meningar.",
    "Vem berörs?": "Vilka märker ändringen: alla, en skola, en förvaltning? Vad märker de?",
    "Vad behöver du göra?": "Vad ska läsaren göra, och senast när? Skriv ”Du behöver inte göra "
                            "något” om det är så.",
    "När?": "Datum och klockslag, med veckodag: fredag 11 december kl. 18.00\N{EN DASH}20.00.",
    "Var får jag hjälp?": "IT-servicedesk, telefon 0123-45 67 89, it-support@exempelby.se.",
}


class ScaffoldError(Exception):
    """The new page cannot be written; the message says why, in Swedish."""


@dataclass
class Answers:
    """What the writer chose, from options or prompts."""

    kind: str
    title: str
    description: str
    categories: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    window: tuple[datetime, datetime] | None = None
    action: tuple[date, str] | None = None
    status: str | None = None
    date: datetime | None = None
    authors: list[str] = field(default_factory=list)
    draft: bool = False
    file_name: str | None = None


def kinds(project: Project) -> list[str]:
    """The kinds ``nyhet ny`` offers: the categories of mkdocs.yml, and guide."""
    return [*project.taxonomy.categories, GUIDE]


def find_kind(project: Project, value: str) -> str | None:
    """The kind ``value`` names, by name or slug, ignoring case (``driftstorning``)."""
    for kind in kinds(project):
        if value.casefold() in (kind.casefold(), slugify(kind)):
            return kind
    return None


def default_status(kind: str) -> str:
    # A disruption is under way when it is announced; advice (Tips) is done when published.
    folded = slugify(kind)
    if folded == "driftstorning":
        return Status.ONGOING
    if folded == "tips":
        return Status.DONE
    return Status.PLANNED


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def front_matter(answers: Answers, project: Project, now: datetime) -> dict[str, Any]:
    """The front matter of the new page, in the order writers read it."""
    if answers.kind == GUIDE:
        meta: dict[str, Any] = {"title": answers.title, "description": answers.description}
        if answers.tags:
            meta["tags"] = answers.tags
        meta["applies_to"] = answers.audience
        return meta
    published = (answers.date or now).astimezone(project.taxonomy.timezone)
    meta = {
        "title": answers.title,
        "date": _minute(published),
        "description": answers.description,
        "categories": answers.categories or [answers.kind],
        "audience": answers.audience,
    }
    if answers.services:
        meta["services"] = answers.services
    if answers.window:
        start, end = answers.window
        meta["window"] = {"start": _minute(start), "end": _minute(end)}
    if answers.action:
        by, what = answers.action
        meta["action"] = {"by": by.isoformat(), "what": what}
    meta["status"] = str(answers.status or default_status(answers.kind))
    if answers.authors:
        meta["authors"] = answers.authors
    if answers.draft:
        meta["draft"] = True
    return meta


class _Dumper(yaml.SafeDumper):
    """Lists of names on one line (``audience: [alla]``), as in the README's example."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)

# Dates as writers write them: YAML would otherwise quote '2026-12-11 18:00' as a string.
_DATE_FIELD = re.compile(r"^(\s*(?:date|start|end|by): )'(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)'$",
                         re.MULTILINE)


def render(meta: Mapping[str, Any], answers: Answers) -> str:
    """The whole file: front matter, title, lead paragraph and the skeleton's sections."""
    dumped = yaml.dump(dict(meta), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                       width=1000)
    dumped = _DATE_FIELD.sub(r"\1\2", dumped)
    # '<' would start HTML in the heading; Markdown shows '&' and quotes as they are.
    heading = answers.title.replace("<", "&lt;").replace(">", "&gt;")
    parts = [f"---\n{dumped}---\n", f"# {heading}\n",
             f"{answers.description}\n"]
    if answers.kind == GUIDE:
        parts += ["## Så gör du\n", "<!-- Skriv stegen i ordning, ett steg per punkt. -->\n",
                  "## Var får jag hjälp?\n", f"<!-- {_PROMPTS['Var får jag hjälp?']} -->\n"]
    else:
        parts.append("<!-- more -->\n")
        for question, _answers in QUESTIONS:
            parts += [f"## {question}\n", f"<!-- {_PROMPTS[question]} -->\n"]
    return "\n".join(parts)


def validate(meta: Mapping[str, Any], project: Project, relative: str) -> None:
    """The post model's own validation, before anything is written."""
    text = render(meta, Answers(kind="", title="", description=""))
    parsed = read_front_matter(text, relative)  # the dates as the build will read them
    try:
        if "applies_to" in meta:
            parse_guide(parsed, relative, project.taxonomy)
        else:
            parse_post(parsed, relative, project.taxonomy)
    except ContentError as error:
        raise ScaffoldError(str(error)) from error


def taken_title(project: Project, folder: Path, title: str) -> str | None:
    """The file of another page in ``folder`` with this title, if any."""
    wanted = title.casefold()
    for path in sorted(folder.glob("*.md")):
        try:
            meta = read_front_matter(path.read_text(encoding="utf-8-sig"), str(path))
        except (OSError, ContentError):
            continue
        if str(meta.get("title", "")).strip().casefold() == wanted:
            return str(path)
    return None


def write(project: Project, answers: Answers, now: datetime) -> Path:
    """Write the new page and return its path; never overwrites."""
    folder = project.guides_path if answers.kind == GUIDE else project.posts_path
    name = answers.file_name or slugify(answers.title)
    name = name.removesuffix(".md")
    if not name or slugify(name) != name:
        raise ScaffoldError(
            f"filnamnet ”{name}” går inte: använd små bokstäver a\N{EN DASH}z, siffror och "
            "bindestreck, "
            f"till exempel ”{slugify(name) or 'serverflytt'}”")
    path = folder / f"{name}.md"
    if answers.kind != GUIDE and answers.window is not None:
        start, end = answers.window
        if end <= start:
            raise ScaffoldError(f"slutet {_minute(end)} ligger före starten {_minute(start)}")
    if other := taken_title(project, folder, answers.title):
        raise ScaffoldError(f"titeln ”{answers.title}” finns redan i {os_relative(Path(other))}; "
                            "välj en annan "
                            "titel")
    meta = front_matter(answers, project, now)
    relative = path.relative_to(project.docs_dir).as_posix()
    validate(meta, project, relative)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(render(meta, answers))
    except FileExistsError as error:
        raise ScaffoldError(
            f"det finns redan en fil med namnet {os_relative(path)}; ge nyheten en annan titel "
            "eller välj ett annat namn med --filnamn") from error
    return path


_NAV_ENTRY = r"^(?P<indent>\s*)- (?:[^:\n]+:\s*)?(?P<path>{folder}/[^\s]+\.md)\s*$"


def add_to_navigation(project: Project, page: Path) -> bool:
    """List a new guide in mkdocs.yml's nav, after the last guide; False if there is no place.

    MkDocs warns about pages left out of the nav (so `--strict` fails), and the nav is the
    one list in mkdocs.yml writers otherwise edit by hand. Edited as text, to keep comments.
    """
    text = project.config_file.read_text(encoding="utf-8")
    entry = re.compile(_NAV_ENTRY.format(folder=re.escape(project.guides_dir)), re.MULTILINE)
    matches = list(entry.finditer(text))
    if not matches:
        return False
    last = matches[-1]
    relative = page.relative_to(project.docs_dir).as_posix()
    line = f"\n{last.group('indent')}- {relative}"
    project.config_file.write_text(text[: last.end()] + line + text[last.end():],
                                   encoding="utf-8")
    return True


def os_relative(path: Path) -> str:
    """``path`` relative to the current folder when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
