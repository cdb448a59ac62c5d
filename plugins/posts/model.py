"""The post model: front matter validated once into frozen dataclasses.

This module imports nothing from MkDocs. The MkDocs adapter (``plugin.py``) hands it the
parsed front matter of each page; everything downstream (the site, the feeds, writer tools)
works with :class:`Post` and :class:`Guide`, never with the raw mapping.

YAML's own typing is unreliable for writers: ``2025-03-10`` is a date, ``2025-03-10 09:30`` a
string, ``2025-03-10 09:30:00`` a naive datetime and ``on`` a boolean. Every field is therefore
normalised explicitly here, and naive times are read as Europe/Stockholm.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timezone
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .errors import FrontMatterError, Problem
from .slugs import is_slug, slugify

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DESCRIPTION_MAX = 300
FILE_NAME = "filnamnet"
"""How problems name a post's file name, which is its key unless it sets ``id``."""
LIST_SEPARATOR = ";"  # Joins list values in feeds and subscriber topics, so values may not hold it.

_DATE_FORMS = "skriv ett datum (2025-03-10) eller datum och tid (2025-03-10 09:30)"
_SLUG_RULE = "använd bara små bokstäver a-z (utan å, ä och ö), siffror och bindestreck"

_DATETIME_TEXT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[ T](?P<time>\d{1,2}[:.]\d{2}(?::\d{2})?))?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


class Status(StrEnum):
    """Where a change stands."""

    PLANNED = "planerad"
    ONGOING = "pågår"
    DONE = "klar"
    CANCELLED = "inställd"


@dataclass(frozen=True)
class Window:
    """A maintenance or downtime window; ``end`` is after ``start``."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Action:
    """What the reader must do, and by when."""

    by: date
    what: str


@dataclass(frozen=True)
class Taxonomy:
    """The categories and audiences declared once in configuration."""

    categories: tuple[str, ...]
    audiences: tuple[str, ...]
    timezone: ZoneInfo = STOCKHOLM


@dataclass(frozen=True)
class Post:
    """A news post (an IT-change announcement) as published."""

    source: str
    """Path relative to the docs folder, e.g. ``news/posts/flytt.md``."""
    key: str
    """Stable identity: the front-matter ``id`` or, by default, the file name without ``.md``."""
    title: str
    date: datetime
    description: str
    categories: tuple[str, ...]
    audience: tuple[str, ...]
    status: Status
    services: tuple[str, ...] = ()
    updated: datetime | None = None
    window: Window | None = None
    action: Action | None = None
    draft: bool = False
    authors: tuple[str, ...] = ()

    def is_published(self, now: datetime) -> bool:
        """Drafts and posts dated after ``now`` are not published."""
        return not self.draft and self.date <= now


@dataclass(frozen=True)
class Guide:
    """A how-to guide."""

    source: str
    title: str
    description: str
    tags: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()


# Fields MkDocs or Material understand on any page; allowed beside our own so that they are
# not reported as typos.
_THEME_FIELDS = frozenset(
    {"template", "hide", "search", "icon", "status_icon", "subtitle", "social", "comments"}
)
POST_FIELDS = frozenset(
    {
        "id", "title", "date", "updated", "description", "categories", "audience", "services",
        "window", "action", "status", "draft", "authors", "slug", "pin", "links", "readtime",
    }
) | _THEME_FIELDS
GUIDE_FIELDS = frozenset({"title", "description", "tags", "applies_to"}) | _THEME_FIELDS


def unknown_fields(
    meta: Mapping[str, Any], known: Iterable[str], source: str,
    lines: Mapping[str, int] | None = None,
) -> list[str]:
    """Warnings for fields nobody reads, with a suggestion: a typo must not pass silently."""
    known = sorted(known)
    lines = lines or {}
    warnings = []
    for name in meta:
        if name in known:
            continue
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; menade du {close[0]}?" if close else f"; kända fält: {', '.join(known)}"
        where = f"{source}:{lines[name]}" if name in lines else source
        warnings.append(f"{where}: fältet {name} är okänt och används inte{hint}")
    return warnings


@dataclass
class _Reader:
    """Collects every problem of one page, so a writer sees them all at once."""

    source: str
    meta: Mapping[str, Any]
    tz: ZoneInfo
    lines: Mapping[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def fail(self, name: str, value: Any, allowed: str, reason: str = "är inte tillåtet") -> None:
        shown = None if value is None else _show(value)
        line = self.lines.get(name) or self.lines.get(name.split(".", 1)[0])
        self.problems.append(Problem(self.source, name, shown, allowed, reason, line))

    def get(self, mapping: Mapping[str, Any], name: str, path: str, *, required: bool) -> Any:
        value = mapping.get(name)
        if value is None and required:
            self.fail(path, None, "skriv ett värde")
        return value

    def text(self, name: str, *, required: bool = True, max_length: int | None = None,
             mapping: Mapping[str, Any] | None = None, path: str | None = None) -> str | None:
        path = path or name
        value = self.get(self.meta if mapping is None else mapping, name, path, required=required)
        if value is None:
            return None
        if isinstance(value, bool):
            # YAML 1.1 reads yes/no/on/off as booleans; the writer meant words.
            self.fail(path, value, "skriv text, och sätt citattecken runt ord som yes, no, on "
                                   "och off")
            return None
        if isinstance(value, (list, dict)):
            self.fail(path, value, "skriv en enda rad text")
            return None
        result = " ".join(str(value).split())
        if not result:
            self.fail(path, value, "skriv någon text")
            return None
        if max_length is not None and len(result) > max_length:
            self.fail(path, f"{result[:40]}… ({len(result)} tecken)",
                      f"skriv högst {max_length} tecken")
            return None
        return result

    def names(self, name: str, *, allowed: tuple[str, ...] | None = None,
              required: bool = False) -> tuple[str, ...]:
        value = self.meta.get(name)
        if value is None:
            if required:
                choices = (f"skriv en eller flera av: {', '.join(allowed)}" if allowed
                           else "skriv ett namn")
                self.fail(name, None, choices)
            return ()
        items = value if isinstance(value, list) else [value]
        result: list[str] = []
        for item in items:
            if isinstance(item, (bool, list, dict)) or item is None:
                self.fail(name, item, "skriv en lista med namn, t.ex. [Microsoft 365, Teams]")
                continue
            text = " ".join(str(item).split())
            if allowed is not None and text not in allowed:
                suggestion = _closest(text, allowed)
                self.fail(name, text, f"skriv en av: {', '.join(allowed)}{suggestion}")
                continue
            if LIST_SEPARATOR in text:
                self.fail(name, text, f"skriv namn utan {LIST_SEPARATOR}")
                continue
            if text and text not in result:
                result.append(text)
        if required and not result and not self.problems_for(name):
            self.fail(name, value, "skriv minst ett namn")
        return tuple(result)

    def problems_for(self, name: str) -> bool:
        return any(problem.field == name for problem in self.problems)

    def moment(self, value: Any, path: str) -> datetime | None:
        """A real instant; naive values are local time, a bare date is local midnight.

        A local time that does not exist (the hour skipped when summer time begins) is an
        error, and so is one that occurs twice (the hour repeated when it ends) unless the
        writer adds the offset. The result carries a fixed UTC offset, so comparisons are
        between instants: Python compares two times of the same ZoneInfo by their wall
        clocks, which within the repeated hour puts 02:10 (+01:00) before 02:30 (+02:00).
        """
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, time())
        elif isinstance(value, str) and (match := _DATETIME_TEXT.match(value.strip())):
            parsed = _from_text(match)
            if parsed is None:
                self.fail(path, value, "skriv ett datum som finns, som 2025-03-10 eller "
                                       "2025-03-10 09:30")
                return None
            moment = parsed
        else:
            self.fail(path, value, _DATE_FORMS)
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            return self.local(moment.replace(tzinfo=None), path)
        return _fixed(moment)

    def local(self, wall: datetime, path: str) -> datetime | None:
        """The instant a naive wall-clock time in the configured zone names, if exactly one."""
        first = wall.replace(tzinfo=self.tz, fold=0)
        second = wall.replace(tzinfo=self.tz, fold=1)
        if first.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) != wall:
            after = (first.astimezone(UTC).astimezone(self.tz)).strftime("%H:%M")
            self.fail(path, wall, f"skriv en tid som finns, t.ex. {after}",
                      f"finns inte i tidszonen {self.tz.key}: klockan hoppar över den timmen "
                      f"när sommartiden börjar")
            return None
        if first.utcoffset() != second.utcoffset():
            text = wall.strftime("%Y-%m-%d %H:%M")
            self.fail(path, wall,
                      f"skriv tiden med sin skillnad mot UTC: {text}{_offset(first)} "
                      f"(första gången, sommartid) eller {text}{_offset(second)} (andra "
                      f"gången)",
                      f"finns två gånger i tidszonen {self.tz.key}: klockan ställs tillbaka en "
                      f"timme när sommartiden slutar")
            return None
        return _fixed(first)

    def day(self, value: Any, path: str) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATETIME_TEXT.match(value.strip()):
            moment = self.moment(value, path)
            return moment.date() if moment else None
        # Not the date-and-time wording of moment(): a day is asked for.
        self.fail(path, value, "skriv ett datum, som 2025-03-10")
        return None

    def mapping(self, name: str, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
        value = self.meta.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(name, value, f"skriv en grupp med fälten {' och '.join(keys)}")
            return None
        for extra in sorted(set(value) - set(keys), key=str):
            self.fail(f"{name}.{extra}", value[extra],
                      f"{name} kan bara ha fälten {' och '.join(keys)}")
        return value


def _fixed(moment: datetime) -> datetime:
    """The same instant with a fixed UTC offset instead of a zone's rules."""
    offset = moment.utcoffset()
    assert offset is not None
    return moment.astimezone(timezone(offset))


def _offset(moment: datetime) -> str:
    return moment.isoformat()[-6:]


def _from_text(match: re.Match[str]) -> datetime | None:
    text = match["date"]
    clock = (match["time"] or "00:00").replace(".", ":")
    if clock.count(":") == 1:
        clock += ":00"
    tz = match["tz"] or ""
    try:
        return datetime.fromisoformat(f"{text}T{clock.zfill(8)}{tz}")
    except ValueError:
        return None


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return f"{value} (YAML läste det som ja/nej)"
    return str(value)


def _closest(value: str, allowed: tuple[str, ...]) -> str:
    folded = {candidate.casefold(): candidate for candidate in allowed}
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1)
    return f" (menade du {folded[close[0]]}?)" if close else ""


def parse_post(
    meta: Mapping[str, Any], source: str, taxonomy: Taxonomy, where: str | None = None,
    lines: Mapping[str, int] | None = None,
) -> Post:
    """Validate a post's front matter into a :class:`Post`.

    ``source`` is the docs-relative path; ``where`` is how messages name the file (by default
    ``source``); ``lines`` gives each field's line in the file (see
    :func:`plugins.posts.frontmatter.load_front_matter`). Raises :class:`FrontMatterError`
    listing every problem found, each naming the file, the line, the field, the bad value and
    what is allowed. A pure function: the build and the writers' tools share it.
    """
    read = _Reader(where or source, meta, taxonomy.timezone, lines or {})
    title = read.text("title")
    description = read.text("description", max_length=DESCRIPTION_MAX)
    published = read.moment(meta["date"], "date") if meta.get("date") is not None else None
    if meta.get("date") is None:
        read.fail("date", None, _DATE_FORMS)
    updated = read.moment(meta["updated"], "updated") if meta.get("updated") is not None else None
    if published and updated and updated < published:
        read.fail("updated", meta["updated"], f"skriv en tidpunkt efter date {_show(published)}",
                  "är före date")
    categories = read.names("categories", allowed=taxonomy.categories, required=True)
    audience = read.names("audience", allowed=taxonomy.audiences, required=True)
    services = read.names("services")
    authors = read.names("authors")

    window = None
    if (raw_window := read.mapping("window", ("start", "end"))) is not None:
        start = read.get(raw_window, "start", "window.start", required=True)
        end = read.get(raw_window, "end", "window.end", required=True)
        start_at = read.moment(start, "window.start") if start is not None else None
        end_at = read.moment(end, "window.end") if end is not None else None
        if start_at and end_at:
            if end_at <= start_at:
                how = "är före" if end_at < start_at else "är samma tid som"
                read.fail("window.end", end_at, "skriv ett slut efter starten",
                          f"{how} window.start {_show(start_at)}")
            else:
                window = Window(start_at, end_at)

    action = None
    if (raw_action := read.mapping("action", ("by", "what"))) is not None:
        by_value = read.get(raw_action, "by", "action.by", required=True)
        by = read.day(by_value, "action.by") if by_value is not None else None
        what = read.text("what", mapping=raw_action, path="action.what", max_length=200)
        if by and what:
            action = Action(by, what)

    status = Status.PLANNED
    raw_status = meta.get("status")
    if raw_status is None:
        read.fail("status", None, f"skriv en av: {', '.join(Status)}")
    else:
        try:
            status = Status(str(raw_status).strip().lower())
        except ValueError:
            read.fail("status", raw_status, f"skriv en av: {', '.join(Status)}")

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        read.fail("draft", draft, "skriv true eller false")

    stem = file_stem(source)
    key = stem
    if meta.get("id") is not None:
        key = str(meta["id"]).strip()
        if not is_slug(key):
            read.fail("id", meta["id"], f"{_SLUG_RULE}, t.ex. {slugify(key) or 'serverflytt'}")
    elif not is_slug(stem):
        read.fail(FILE_NAME, stem, f"{_SLUG_RULE}, eftersom namnet blir sidans adress; byt namn "
                                   f"till {slugify(stem)}.md")

    if read.problems:
        raise FrontMatterError(read.problems)
    assert title and description and published  # guaranteed when no problem was recorded
    return Post(
        source=source, key=key, title=title, date=published, description=description,
        categories=categories, audience=audience, status=status, services=services,
        updated=updated, window=window, action=action, draft=bool(draft), authors=authors,
    )


def parse_guide(
    meta: Mapping[str, Any], source: str, taxonomy: Taxonomy, where: str | None = None,
    lines: Mapping[str, int] | None = None,
) -> Guide:
    """Validate a guide's front matter into a :class:`Guide` (see :func:`parse_post`)."""
    read = _Reader(where or source, meta, taxonomy.timezone, lines or {})
    title = read.text("title")
    description = read.text("description", max_length=DESCRIPTION_MAX)
    tags = read.names("tags")
    applies_to = read.names("applies_to", allowed=taxonomy.audiences)
    if read.problems:
        raise FrontMatterError(read.problems)
    assert title and description
    return Guide(source, title, description, tags, applies_to)


# What XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF):
# feeds are XML, and lxml refuses such text with a bare ValueError. Word pastes form feeds
# and vertical tabs for page and line breaks.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def control_characters(text: str, where: str) -> list[Problem]:
    """One problem per line holding a character that feeds cannot carry, with its column."""
    if not _NOT_XML.search(text):
        return []  # Nearly every file: one scan instead of one per line.
    problems = []
    # split('\n'), not splitlines(): splitlines also breaks at form feeds and vertical tabs.
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _NOT_XML.finditer(line):
            char = match.group()
            name = _CONTROL_NAMES.get(char, "osynligt styrtecken")
            problems.append(Problem(
                where, f"tecknet i kolumn {match.start() + 1}", f"U+{ord(char):04X} ({name})",
                "ta bort det (text som klistrats in från Word kan ha sådana osynliga tecken)",
                "kan inte publiceras", number,
            ))
    return problems


# Swedish names of the ones Word pastes; Unicode names them only in English.
_CONTROL_NAMES = {"\x0b": "radbrytning från Word", "\x0c": "sidbrytning", "\x00": "nolltecken",
                  "\x08": "backsteg"}


def file_stem(source: str) -> str:
    """The file name without folder and ``.md``: a post's key unless it sets ``id``."""
    return source.rsplit("/", 1)[-1].removesuffix(".md")


def duplicate_keys(
    posts: Iterable[Post], name_of: Callable[[Post], str] | None = None
) -> list[Problem]:
    """One problem for each post whose key (file name or ``id``) another post has already.

    The key is the post's id in every feed and the newsletter's record of what was sent, so
    two posts with one key would share a feed id and the second would never be mailed.
    ``name_of`` says how messages name a post's file (by default its ``source``).
    """
    name = name_of or (lambda post: post.source)
    first: dict[str, Post] = {}
    problems = []
    for post in sorted(posts, key=lambda post: post.source):
        if post.key not in first:
            first[post.key] = post
            continue
        other = first[post.key]
        field_name = FILE_NAME if post.key == file_stem(post.source) else "id"
        how = "filnamn" if other.key == file_stem(other.source) else "id"
        problems.append(Problem(
            name(post), field_name, post.key,
            "ge nyheten ett id som ingen annan nyhet har: skriv id: och ett nytt namn",
            f"används redan som {how} av {name(other)}",
        ))
    return problems


def newest_first(posts: Iterable[Post]) -> list[Post]:
    """Posts sorted newest first; ties broken by key so the order is reproducible."""
    return sorted(posts, key=lambda post: (post.date, post.key), reverse=True)


def windows_from(posts: Iterable[Post], now: datetime) -> list[Post]:
    """Posts whose window is under way or ahead at ``now``, soonest first; cancelled left out."""
    relevant = [
        post for post in posts
        if post.window and post.window.end > now and post.status is not Status.CANCELLED
    ]
    return sorted(relevant, key=lambda post: (post.window.start, post.key))  # type: ignore[union-attr]
