"""Subscribers, and the pure rules about their addresses and the subscriber file.

Which posts a subscriber gets is :mod:`newsletter.topics`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from newsletter.errors import SubscriberError
from newsletter.feed import clean_text
from newsletter.topics import Choice, Vocabulary, make_choice

# Deliberately strict: plain ASCII addresses as an intranet relay accepts them.  No quoted local
# parts, no comments, nothing a header parser could read in two ways.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")


@dataclass(frozen=True)
class Subscriber:
    """A row of the subscriber list, already validated; no choices means everything."""

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
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise SubscriberError(f"invalid e-mail address: {value!r}")
    return address


def address_key(address: str) -> str:
    """The form in which addresses are compared: case-insensitively, as people expect."""
    return address.strip().lower()


def make_subscriber(email: str, name: str = "", choice: Choice | None = None) -> Subscriber:
    """A validated subscriber; names lose control characters so that they cannot add headers.

    A choice of any category for any audience is the same as no choice: everything.
    """
    choices = () if choice is None or choice == Choice() else (choice,)
    return Subscriber(normalise_address(email), clean_text(name), choices)


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


def read_csv(
    stream: TextIO, vocabulary: Vocabulary | None = None
) -> Iterator[Subscriber | ImportProblem]:
    """Subscribers from a CSV file with the header ``email,name,topics``.

    ``topics`` are ``;``-separated category or audience names (empty: everything) and mean
    what the web form means: one of these categories for one of these audiences.  Columns
    ``categories`` and ``audiences`` may say the same explicitly.  Yields an
    :class:`ImportProblem` (with the line number) for each row that cannot be used, so that
    one bad row never stops the others.  An address listed twice keeps its first row, so that
    importing the same file again changes nothing.
    """
    first_line: dict[str, int] = {}
    reader = csv.DictReader(stream)
    fields = {f.strip().lower() for f in reader.fieldnames or ()}
    if "email" not in fields:
        raise SubscriberError("the CSV file needs a header line with email,name,topics")
    for row in reader:
        line = reader.line_num
        values = {(k or "").strip().lower(): (v or "") for k, v in row.items() if k}
        try:
            choice = choice_from_fields(
                vocabulary, [values.get("topics", "")], [values.get("categories", "")],
                [values.get("audiences", "")],
            )
            subscriber = make_subscriber(values.get("email", ""), values.get("name", ""), choice)
        except SubscriberError as exc:
            yield ImportProblem(line, str(exc))
            continue
        first = first_line.setdefault(address_key(subscriber.email), line)
        if first != line:
            yield ImportProblem(line, f"{subscriber.email} is already on line {first}")
            continue
        yield subscriber
