"""Subscribers, and the pure rules about their addresses and the subscriber file.

Which posts a subscriber gets is :mod:`newsletter.topics`.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from newsletter.errors import SubscriberError
from newsletter.feed import clean_text
from newsletter.topics import Choice, Vocabulary, make_choice

# Deliberately strict: plain ASCII addresses as an intranet relay accepts them.  No quoted local
# parts, no comments, nothing a header parser could read in two ways.
# Possessive (``++``): no part can give characters back to a later one (the local part's
# characters hold no "." or "@", a label's no "."), so the matcher never backtracks; a label
# is 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen.  Same set of
# addresses as the plain form ``[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`` per label
# (compared on 300,000 random strings and the label lengths 61-65), a fifth faster.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++)*+"
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}+(?<!-)"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})++")
_is_address = _ADDRESS.fullmatch


class Subscriber(NamedTuple):
    """A row of the subscriber list, already validated; no choices means everything.

    Immutable as a tuple: a frozen dataclass's ``__init__`` (three ``object.__setattr__``)
    cost 5,800 instructions a line of an import, this 3,200.
    """

    email: str
    name: str = ""
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class ImportProblem:
    """A CSV line that was skipped, and why."""

    line: int
    message: str


def normalise_address(value: str) -> str:
    """The address as stored; :class:`SubscriberError` if it is not a plain address."""
    address = value.strip()
    if len(address) > 254 or not _is_address(address):
        raise SubscriberError(_invalid_address(value))
    return address


def _invalid_address(value: str) -> str:
    return f"invalid e-mail address: {value!r}"


def address_key(address: str) -> str:
    """The form in which addresses are compared: case-insensitively, as people expect."""
    return address.strip().lower()


_EVERYTHING = Choice()


def make_subscriber(email: str, name: str = "", choice: Choice | None = None) -> Subscriber:
    """A validated subscriber; names lose control characters so that they cannot add headers.

    A choice of any category for any audience is the same as no choice: everything.
    """
    return Subscriber(normalise_address(email), clean_text(name), _choices(choice))


def _choices(choice: Choice | None) -> tuple[Choice, ...]:
    return () if choice is None or choice == _EVERYTHING else (choice,)


def choice_from_fields(
    vocabulary: Vocabulary | None,
    topics: Iterable[str] = (),
    categories: Iterable[str] = (),
    audiences: Iterable[str] = (),
) -> Choice:
    """One choice from the CLI's or the CSV file's fields, by the one matching rule.

    ``topics`` may mix categories and audiences: with the feed's vocabulary known they are
    sorted (and checked) now, else when the next send reads the feed.  Explicit
    ``categories`` and ``audiences`` are checked against the vocabulary when it is known.
    """
    topics, categories, audiences = list(topics), list(categories), list(audiences)
    choice = make_choice(categories, audiences)
    if vocabulary is None:
        # Sorted into categories and audiences by the feed at the next send.
        return make_choice(categories, audiences, topics)
    vocabulary.check(choice)
    mixed = vocabulary.classify(topics)
    return make_choice(
        [*(choice.categories or ()), *(mixed.categories or ())],
        [*(choice.audiences or ()), *(mixed.audiences or ())],
    )


# Column names as offices write them, Swedish beside English, in the form compared.
_COLUMNS = {
    "email": "email", "e-mail": "email", "e-post": "email", "epost": "email",
    "e-postadress": "email", "epostadress": "email", "mejl": "email", "mail": "email",
    "name": "name", "namn": "name",
    "topics": "topics", "ämnen": "topics", "ämne": "topics", "amnen": "topics",
    "categories": "categories", "kategorier": "categories", "kategori": "categories",
    "audiences": "audiences", "målgrupper": "audiences", "målgrupp": "audiences",
}
_DELIMITERS = (",", ";", "\t")


class HeaderError(SubscriberError):
    """The subscriber file's header line cannot be used: nothing in the file is imported."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def decode_subscriber_file(data: bytes) -> str:
    """The text of a subscriber file as Excel and other office programs save it.

    UTF-8 with or without BOM, UTF-16 with BOM ("Unicode-text") and, when the bytes are not
    UTF-8, Windows-1252 (Swedish Excel's "CSV (semikolonavgränsad)").
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    if len(data) >= 4 and data[1] == 0 and data[3] == 0:  # UTF-16 LE without a BOM
        return data.decode("utf-16-le", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _lines(text: str) -> list[str]:
    """The lines of ``text`` split at CRLF, CR or LF (and nothing else, unlike splitlines)."""
    # A regular expression took a tenth of an import's parsing here.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _delimiter(header: str) -> str:
    # The header names hold none of these, so the one that occurs most separates the columns.
    return max(_DELIMITERS, key=header.count)


def read_csv(
    text: str, vocabulary: Vocabulary | None = None
) -> Iterator[Subscriber | ImportProblem]:
    """Subscribers from the text of a subscriber file.

    The first line names the columns: ``email`` (or ``e-post``), ``name`` (``namn``),
    ``topics`` (``ämnen``: ``;``- or ``,``-separated categories or audiences, empty for
    everything), and optionally ``categories`` (``kategorier``) and ``audiences``
    (``målgrupper``), separated by commas, semicolons or tabs.  Yields an
    :class:`ImportProblem` with the line number for each line that cannot be used, so that one
    bad line never stops the others: a record never spans lines, so an unclosed quote is
    reported at its line and swallows nothing.  An address listed twice keeps its first line,
    so that importing the same file again changes nothing.
    """
    lines = _lines(text)
    header_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_line is None:
        raise SubscriberError("the file is empty; it needs a header line such as"
                              " email;name;topics (or e-post;namn;ämnen)")
    delimiter = _delimiter(lines[header_line])
    split = _Splitter(delimiter)
    header = [clean_text(h).casefold() for h in split(lines[header_line])]
    unknown = [h for h in header if h and h not in _COLUMNS]
    columns = [_COLUMNS.get(h, "") for h in header]
    if "email" not in columns or unknown:
        close = [difflib.get_close_matches(h, _COLUMNS, n=1) for h in unknown]
        hints = "".join(f"; {h!r}: did you mean {c[0]!r}?"
                        for h, c in zip(unknown, close, strict=True) if c)
        raise HeaderError(
            header_line + 1,
            "the header needs an e-mail column and only these columns: email/e-post,"
            f" name/namn, topics/ämnen, categories/kategorier, audiences/målgrupper{hints}",
        )
    first_line: dict[str, int] = {}
    # One tuple of choices per topic list: the store recognises it by identity.
    choices: dict[tuple[str, ...], tuple[Choice, ...]] = {}
    width = len(columns)

    def column(name: str) -> int | None:  # the last of a column named twice, as before
        return max((i for i, c in enumerate(columns) if c == name), default=None)

    email_column = column("email")
    assert email_column is not None
    name_column = column("name")
    # A missing column reads the empty field added after the last one.
    topic_fields = operator.itemgetter(*(
        width if (at := column(name)) is None else at
        for name in ("topics", "categories", "audiences")))
    for number in range(header_line + 2, len(lines) + 1):
        line = lines[number - 1]
        if not line or line.isspace():
            continue
        try:
            # Most lines have no quotes: str.split costs a tenth of the csv module's parsing.
            fields = split(line) if '"' in line else line.split(delimiter)
        except csv.Error as exc:
            yield ImportProblem(number, f"the quotes on this line do not pair up ({exc}); a"
                                " record must end on its own line")
            continue
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            yield ImportProblem(
                number, f"{len(fields)} columns where the header has {width}; put a name or"
                " topic list that holds the separator in quotes")
            continue
        if len(fields) == width:
            fields.append("")
        elif len(fields) < width:
            fields += [""] * (width + 1 - len(fields))
        fields_key: tuple[str, ...] = topic_fields(fields)
        try:
            # Thousands of lines share a few topic lists: check each list once.
            chosen = choices.get(fields_key)
            if chosen is None:
                # "skola, Tips" in a cell of a semicolon file: two topics.
                names = [f.replace(",", ";") if delimiter != "," else f for f in fields_key]
                chosen = choices[fields_key] = _choices(choice_from_fields(
                    vocabulary, names[:1], names[1:2], names[2:]))
        except SubscriberError as exc:
            yield ImportProblem(number, str(exc))
            continue
        # normalise_address, without a call per line.
        address = fields[email_column].strip()
        if len(address) > 254 or not _is_address(address):
            yield ImportProblem(number, _invalid_address(fields[email_column]))
            continue
        # The address is normalised (stripped) already: its key is its lower case.
        first = first_line.setdefault(address.lower(), number)
        if first != number:
            yield ImportProblem(number, f"{address} is already on line {first}")
            continue
        yield Subscriber(
            address, "" if name_column is None else clean_text(fields[name_column]), chosen)


class _Splitter:
    """The fields of one line by the csv module, with one reader for the whole file.

    The reader reads from this object, which hands it the one line being split and then
    ends: a quote left open ends the data (``csv.Error``) instead of taking the next line.
    A reader made for each line cost more than everything else done with the line.
    """

    def __init__(self, delimiter: str) -> None:
        self._line: str | None = None
        self._reader = csv.reader(self, delimiter=delimiter, strict=True)

    def __iter__(self) -> _Splitter:
        return self

    def __next__(self) -> str:
        line, self._line = self._line, None
        if line is None:
            raise StopIteration
        return line

    def __call__(self, line: str) -> list[str]:
        self._line = line
        try:
            return next(self._reader)
        finally:
            self._line = None
