"""Reading the YAML front matter of a Markdown file, with the line of every field and error.

MkDocs' own reader silently ignores broken YAML (the page then renders the front matter as
text), so the posts plugin reads each page here once and reports the file and line instead.
libyaml (PyYAML's C parser) does the parsing when it is installed: the pure-Python parser was
the posts plugin's largest cost in a build.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .errors import FrontMatterSyntaxError

# The same block MkDocs and Material recognise: '---' on the first line, closed by '---' or '...'.
_BLOCK = re.compile(r"\A-{3}[ \t]*\r?\n(.*?\r?\n)?(?:-{3}|\.{3})[ \t]*(?:\r?\n|\Z)", re.DOTALL)

# YAML reads '2025-03-10 09:30' (no seconds) as a string; writers mean a local time, or with
# an offset ('2026-10-25 02:30+01:00') the one instant of a time that occurs twice.
MINUTE_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(Z|[+-]\d{2}:?\d{2})?$"
)
_MINUTE_TAG = "tag:intranet,2025:minute-timestamp"


def _construct_minute_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> datetime | str:
    value = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    match = MINUTE_TIMESTAMP.match(value)
    if not match:
        return value
    day, hour, minute, offset = match.groups()
    try:
        return datetime.fromisoformat(f"{day}T{hour.zfill(2)}:{minute}{offset or ''}")
    except ValueError:
        return value  # e.g. 2025-02-30 10:00: the model names the bad value


def _construct_timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    # PyYAML raises a bare ValueError (no file, no line) for 2025-13-01; hand the text to the
    # model instead, whose message names the field and what is allowed.
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


# The C parser with the safe constructor; the same rules as yaml.SafeLoader.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that reads minute timestamps as date-times and impossible dates as text."""


FrontMatterLoader.add_implicit_resolver(_MINUTE_TAG, MINUTE_TIMESTAMP, list("0123456789"))
FrontMatterLoader.add_constructor(_MINUTE_TAG, _construct_minute_timestamp)
FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_or_text)


class MinuteTimestampLoader(yaml.SafeLoader):
    """PyYAML's own SafeLoader, reading ``2025-03-10 09:30`` as a (naive) date-time.

    For Material's blog, which reads each post's front matter itself with ``yaml.SafeLoader``
    and accepts only real dates: the posts plugin hands it this loader (``plugin.py``) instead
    of changing ``yaml.SafeLoader`` for every reader in the process. The model reads the
    naive result as Stockholm time.
    """


MinuteTimestampLoader.add_implicit_resolver(_MINUTE_TAG, MINUTE_TIMESTAMP, list("0123456789"))
MinuteTimestampLoader.add_constructor(_MINUTE_TAG, _construct_minute_timestamp)


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _NeedsFullConstructor(Exception):
    """The document holds something the direct walk leaves to PyYAML (merge keys, aliases,
    keys that are not text, explicit collection tags)."""


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """What ``loader.construct_document(node)`` returns, built directly for plain documents.

    PyYAML's constructor is pure Python even over libyaml's parser, with a generator and
    an ABC check per mapping and key: it was the largest part of reading 300 posts. Front
    matter is text keys over text, lists and small mappings, so those are walked here and
    every other scalar (dates, numbers, booleans, our minute timestamps) goes to the
    loader's own constructors. Anything else falls back to the whole document in PyYAML.
    """
    try:
        return _walk(loader, node, set())
    except _NeedsFullConstructor:
        return loader.construct_document(node)


def _walk(loader: yaml.SafeLoader, node: yaml.Node, seen: set[int]) -> Any:
    kind = type(node)
    if kind is yaml.ScalarNode:
        if node.tag == _STR_TAG:
            return node.value
        return loader.construct_object(node, deep=True)
    if id(node) in seen:  # an alias: PyYAML shares (or recurses into) one object
        raise _NeedsFullConstructor
    seen.add(id(node))
    if kind is yaml.MappingNode and node.tag == _MAP_TAG:
        data: dict[str, Any] = {}
        for key, value in node.value:
            if type(key) is not yaml.ScalarNode or key.tag != _STR_TAG:
                raise _NeedsFullConstructor
            data[key.value] = _walk(loader, value, seen)
        return data
    if kind is yaml.SequenceNode and node.tag == _SEQ_TAG:
        return [_walk(loader, item, seen) for item in node.value]
    raise _NeedsFullConstructor


@dataclass(frozen=True)
class FrontMatter:
    """A page's front matter and the file line of each field."""

    meta: dict[str, Any]
    lines: Mapping[str, int] = field(default_factory=dict)
    """Line by field name, nested fields as ``window.start``; the opening '---' is line 1."""


def read_front_matter(text: str, source: str) -> dict[str, Any]:
    """Return the front matter of ``text`` as a mapping ({} when there is none).

    Raises :class:`FrontMatterSyntaxError` with the file line of a YAML error.
    """
    return load_front_matter(text, source).meta


def load_front_matter(text: str, source: str) -> FrontMatter:
    """The front matter of ``text`` with the line of every field (empty when there is none).

    Raises :class:`FrontMatterSyntaxError` with the file line of a YAML error.
    """
    match = _BLOCK.match(text.lstrip("\ufeff"))
    if not match:
        return FrontMatter({})
    loader = FrontMatterLoader(match.group(1) or "")
    try:
        node = loader.get_single_node()
        data = _construct(loader, node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # +2: the opening '---' is line 1 and marks count from 0.
        line = mark.line + 2 if mark else 1
        raise FrontMatterSyntaxError(source, line, yaml_problem(error.problem or str(error))) \
            from error
    except yaml.YAMLError as error:
        raise FrontMatterSyntaxError(source, 1, yaml_problem(str(error))) from error
    except (ValueError, TypeError) as error:
        # An explicit tag on a value that does not fit it ('!!int tio'): PyYAML raises a bare
        # ValueError without a line.
        raise FrontMatterSyntaxError(
            source, 1, "ett värde passar inte typen som står före det (!!…); ta bort typen"
        ) from error
    finally:
        loader.dispose()
    if data is None:
        return FrontMatter({})
    if not isinstance(data, dict):
        raise FrontMatterSyntaxError(source, 2, "skriv rader med fält: värde")
    return FrontMatter(data, _field_lines(node))


# PyYAML's problems (libyaml's wording and the pure-Python parser's), worded for writers: what
# is probably wrong and how to mend it. Checked in order; the first match wins.
_YAML_PROBLEMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("tab",), "raden börjar med ett tabbtecken; dra in med mellanslag"),
    (("mapping values are not allowed",),
     "ett kolon följt av mellanslag inne i ett värde, eller en rad med fel indrag; sätt "
     "citattecken runt värdet (\"…\") eller rätta indraget"),
    (("could not find expected ':'",),
     "en rad saknar kolon (:) mellan fältets namn och värdet, eller ett citattecken stängs "
     "aldrig"),
    (("end of stream",),
     "uppgifterna tar slut mitt i ett värde: ett citattecken, en [lista] eller en {grupp} "
     "stängs aldrig"),
    (("']'",), "en lista inom [ ] stängs aldrig, eller ett komma saknas mellan namnen"),
    (("'}'",), "en grupp inom { } stängs aldrig, eller ett komma saknas"),
    (("cannot start any token",),
     "ett värde börjar med ett tecken som inte får stå först (som @, ` eller %), eller en rad "
     "börjar med tabb; sätt citattecken runt värdet och dra in med mellanslag"),
    (("undefined alias", "alias"), "ett värde börjar med *; sätt citattecken runt värdet"),
    (("unknown escape",),
     "okänd kombination med \\ inom \"…\"; skriv \\\\ för ett bakstreck eller använd '…'"),
    (("constructor for the tag",), "ett värde börjar med !; sätt citattecken runt värdet"),
    (("expected key", "block end", "expected <"),
     "en rad har fel indrag, eller det står text efter ett avslutande citattecken"),
)


def yaml_problem(problem: str) -> str:
    """A YAML parser's problem in plain Swedish (the parser's own words kept as a clue)."""
    lowered = problem.lower()
    for needles, message in _YAML_PROBLEMS:
        if any(needle in lowered for needle in needles):
            return message
    return f"kontrollera kolon, citattecken och indrag (YAML säger: {problem})"


def _field_lines(node: yaml.Node) -> dict[str, int]:
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        # +2: the opening '---' is line 1 and marks count from 0.
        lines[str(key.value)] = key.start_mark.line + 2
        if isinstance(value, yaml.MappingNode):
            for sub_key, _sub_value in value.value:
                lines[f"{key.value}.{sub_key.value}"] = sub_key.start_mark.line + 2
    return lines
