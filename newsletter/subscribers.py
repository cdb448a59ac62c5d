"""Subscribers, and the pure rules about their addresses, topics and which posts they get."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TextIO

from newsletter.errors import SubscriberError
from newsletter.feed import Entry, clean_text, topic_key

# Deliberately strict: plain ASCII addresses as an intranet relay accepts them.  No quoted local
# parts, no comments, nothing a header parser could read in two ways.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
TOPIC_SEPARATOR = ";"


@dataclass(frozen=True)
class Subscriber:
    """A row of the subscriber list, already validated."""

    email: str
    name: str = ""
    topics: tuple[str, ...] = ()


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


def parse_topics(value: str | Iterable[str]) -> tuple[str, ...]:
    """Topics from ``"a;b"`` or a list, cleaned, without duplicates; empty means everything."""
    parts = value.split(TOPIC_SEPARATOR) if isinstance(value, str) else value
    topics: dict[str, str] = {}
    for part in parts:
        for piece in part.split(TOPIC_SEPARATOR):
            text = clean_text(piece)
            if text:
                topics.setdefault(topic_key(text), text)
    return tuple(topics.values())


def make_subscriber(email: str, name: str = "", topics: str | Iterable[str] = ()) -> Subscriber:
    """A validated subscriber; names lose control characters so that they cannot add headers."""
    return Subscriber(normalise_address(email), clean_text(name), parse_topics(topics))


def read_csv(stream: TextIO) -> Iterator[Subscriber | ImportProblem]:
    """Subscribers from a CSV file with the header ``email,name,topics``.

    Yields an :class:`ImportProblem` (with the line number) for each row that cannot be used,
    so that one bad row never stops the others.  An address listed twice keeps its first row,
    so that importing the same file again changes nothing.
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
            subscriber = make_subscriber(
                values.get("email", ""), values.get("name", ""), values.get("topics", "")
            )
        except SubscriberError as exc:
            yield ImportProblem(line, str(exc))
            continue
        first = first_line.setdefault(address_key(subscriber.email), line)
        if first != line:
            yield ImportProblem(line, f"{subscriber.email} is already on line {first}")
            continue
        yield subscriber


@lru_cache(maxsize=4096)
def topic_keys(stored: str) -> frozenset[str]:
    """Comparable topic keys from the ``;``-joined form stored in the database."""
    return frozenset(topic_key(t) for t in parse_topics(stored))


def matches(keys: frozenset[str], entry: Entry) -> bool:
    """Whether a subscriber with these topic keys wants the entry.

    No topics means everything; a post for the audience "alla" is for everyone; otherwise one of
    the subscriber's topics must equal one of the post's categories or audiences.
    """
    return not keys or entry.for_everyone or not keys.isdisjoint(entry.topics)


def relevant(entries: Iterable[Entry], keys: frozenset[str]) -> list[Entry]:
    """The entries a subscriber with these topic keys wants, in the given order."""
    return [e for e in entries if matches(keys, e)]
