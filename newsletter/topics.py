"""What a subscriber asked for, and which posts that is: the topic-matching rule (pure).

A subscriber holds one or more *choices*.  A choice is a set of categories and a set of
audiences; a post matches it when the post is in one of its categories (``None``: any category)
and for one of its audiences (``None``: any audience).  A post for everyone (the feed's
everyone-audience, "alla") satisfies every audience condition.  A subscriber gets a post when
one of their choices matches; no choices at all means everything.

People subscribing on the web or with the CLI make one choice ("Planerad ändring och
Driftstörning för vård och omsorg").  Subscribers from before this rule hold several: the old
rule sent a post when one topic equalled one of its categories *or* audiences, and every post
for everyone; :func:`legacy_choices` says exactly that in the new terms, without needing to
know which names are categories and which audiences.

The names come from the feed (:class:`Vocabulary`), never from this module.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsletter.errors import SubscriberError
from newsletter.feed import Channel, Entry, clean_text, read_feed, topic_key


@dataclass(frozen=True)
class Vocabulary:
    """The categories and audiences the feed publishes, and which audience means everyone."""

    categories: tuple[str, ...] = ()
    """In the feed's order: the order a digest shows them in."""
    audiences: tuple[str, ...] = ()
    everyone: str | None = None
    cancelled: str | None = None
    """The status of a change that will not happen (the feed says which)."""

    @property
    def chosen_audiences(self) -> tuple[str, ...]:
        """The audiences worth choosing: posts for everyone reach every subscriber anyway."""
        everyone = topic_key(self.everyone) if self.everyone else None
        return tuple(a for a in self.audiences if topic_key(a) != everyone)

    def merged(self, older: Vocabulary | None) -> Vocabulary:
        """This vocabulary plus names only the older one knew (posts leave a feed; names stay)."""
        if older is None:
            return self

        def union(new: tuple[str, ...], old: tuple[str, ...]) -> tuple[str, ...]:
            keys = {topic_key(n) for n in new}
            return new + tuple(n for n in old if topic_key(n) not in keys)

        return Vocabulary(union(self.categories, older.categories),
                          union(self.audiences, older.audiences), self.everyone or older.everyone,
                          self.cancelled or older.cancelled)

    def to_json(self) -> str:
        """The form kept in the database."""
        return json.dumps(
            {"categories": self.categories, "audiences": self.audiences,
             "everyone": self.everyone, "cancelled": self.cancelled},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(tuple(data["categories"]), tuple(data["audiences"]), data.get("everyone"),
                   data.get("cancelled"))

    def classify(self, names: Iterable[str]) -> Choice:
        """One choice from names that may be categories or audiences (CLI ``--topic``, CSV).

        Raises :class:`SubscriberError` naming every unknown name and what is allowed.
        """
        categories = {topic_key(c): c for c in self.categories}
        audiences = {topic_key(a): a for a in self.audiences}
        chosen_categories: list[str] = []
        chosen_audiences: list[str] = []
        unknown: list[str] = []
        for name in _clean_names(names):
            key = topic_key(name)
            if key in categories:
                chosen_categories.append(categories[key])
            elif key in audiences:
                chosen_audiences.append(audiences[key])
            else:
                unknown.append(name)
        if unknown:
            raise SubscriberError(
                "; ".join(_unknown(name, (*self.categories, *self.audiences)) for name in unknown)
            )
        return make_choice(chosen_categories, chosen_audiences)

    def check(self, choice: Choice) -> None:
        """Raise :class:`SubscriberError` if the choice names a category or audience not in use."""
        problems = []
        for names, allowed in ((choice.categories, self.categories),
                               (choice.audiences, self.audiences)):
            keys = {topic_key(a) for a in allowed}
            problems += [_unknown(n, allowed) for n in names or () if topic_key(n) not in keys]
        if problems:
            raise SubscriberError("; ".join(problems))


def _unknown(name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name!r} is not a category or audience of the feed{hint}; expected one of: " + (
        ", ".join(allowed) or "(the feed has none yet)"
    )


def _clean_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        for piece in name.split(";"):
            text = clean_text(piece)
            if text:
                seen.setdefault(topic_key(text), text)
    return list(seen.values())


@dataclass(frozen=True)
class Choice:
    """Posts in one of ``categories`` for one of ``audiences``; ``None`` means any.

    An empty tuple of audiences (only in choices carried over from the old rule) matches no
    audience: only posts for everyone.  ``topics`` are names given to the CLI or in a CSV file
    before the feed was known; each is sorted into the categories or the audiences by the
    feed's vocabulary when posts are matched (:meth:`sorted_by`).
    """

    categories: tuple[str, ...] | None = None
    audiences: tuple[str, ...] | None = None
    topics: tuple[str, ...] = ()

    def sorted_by(self, vocabulary: Vocabulary | None) -> Choice:
        """The choice with its unsorted ``topics`` placed by the vocabulary.

        A name the feed does not (or not yet) use counts as a category: it matches nothing
        until a post uses it, which then puts it into the vocabulary.
        """
        if not self.topics:
            return self
        audiences = {topic_key(a) for a in vocabulary.audiences} if vocabulary else set()
        as_audience = [t for t in self.topics if topic_key(t) in audiences]
        as_category = [t for t in self.topics if topic_key(t) not in audiences]
        return make_choice([*(self.categories or ()), *as_category],
                           [*(self.audiences or ()), *as_audience])

    def possible(self, vocabulary: Vocabulary) -> bool:
        """False when the choice names only categories or audiences the feed does not use
        (half of each migrated old topic is such a choice): not worth showing."""
        categories = {topic_key(c) for c in vocabulary.categories}
        audiences = {topic_key(a) for a in vocabulary.audiences}
        return not (
            (self.categories and not any(topic_key(c) in categories for c in self.categories))
            or (self.audiences and not any(topic_key(a) in audiences for a in self.audiences))
        )

    def describe(self) -> str:
        """In Swedish, for pages and exports: "Driftstörning för skola"."""
        if self.audiences == ():
            return "alla nyheter till alla"
        what = " eller ".join(self.categories) if self.categories else "alla nyheter"
        if self.topics:
            what = f"{what} ({', '.join(self.topics)})"
        if self.audiences is None:
            return what
        return f"{what} för {' eller '.join(self.audiences)}"


def make_choice(
    categories: Iterable[str] = (), audiences: Iterable[str] = (), topics: Iterable[str] = ()
) -> Choice:
    """A choice from the names picked; nothing picked in a group means any."""
    return Choice(tuple(_clean_names(categories)) or None, tuple(_clean_names(audiences)) or None,
                  tuple(_clean_names(topics)))


def legacy_choices(topics: Iterable[str]) -> tuple[Choice, ...]:
    """Exactly what the old any-of rule sent to a subscriber with these topics.

    Each old topic matched as a category or as an audience, and posts for everyone always
    went out; the name that is not a category simply never matches as one.
    """
    names = _clean_names(topics)
    if not names:
        return ()
    choices = [Choice(categories=(name,)) for name in names]
    choices += [Choice(audiences=(name,)) for name in names]
    return (*choices, Choice(audiences=()))


def dump_choices(choices: Sequence[Choice]) -> str:
    """The JSON kept in the database; ``[]`` means everything."""
    return json.dumps(
        [
            {"categories": c.categories, "audiences": c.audiences,
             **({"topics": c.topics} if c.topics else {})}
            for c in choices
        ],
        ensure_ascii=False,
    )


def load_choices(text: str) -> tuple[Choice, ...]:
    """Inverse of :func:`dump_choices`."""
    data: list[dict[str, Any]] = json.loads(text or "[]")
    return tuple(
        Choice(
            None if c.get("categories") is None else tuple(c["categories"]),
            None if c.get("audiences") is None else tuple(c["audiences"]),
            tuple(c.get("topics", ())),
        )
        for c in data
    )


@dataclass(frozen=True)
class Wanted:
    """Choices in the comparable form the matching uses: topic keys."""

    choices: tuple[tuple[frozenset[str] | None, frozenset[str] | None], ...]
    everyone: str | None = None
    """Topic key of the feed's everyone-audience: its posts satisfy every audience."""

    def __call__(self, entry: Entry) -> bool:
        """Whether the subscriber wants this entry."""
        if not self.choices:
            return True
        categories, audiences = entry.category_keys, entry.audience_keys
        for wanted_categories, wanted_audiences in self.choices:
            if wanted_categories is not None and wanted_categories.isdisjoint(categories):
                continue
            if (wanted_audiences is None or self.everyone in audiences
                    or not wanted_audiences.isdisjoint(audiences)):
                return True
        return False


def wanted(stored: str, vocabulary: Vocabulary | None = None) -> Wanted:
    """The matcher for choices as stored in the database, unsorted topics placed by the feed."""
    return _wanted(stored, vocabulary)


@lru_cache(maxsize=4096)  # choices are few however many subscribers hold them
def _wanted(stored: str, vocabulary: Vocabulary | None) -> Wanted:
    choices = [c.sorted_by(vocabulary) for c in load_choices(stored)]
    return Wanted(tuple(
        (None if c.categories is None else frozenset(topic_key(n) for n in c.categories),
         None if c.audiences is None else frozenset(topic_key(n) for n in c.audiences))
        for c in choices
    ), topic_key(vocabulary.everyone) if vocabulary and vocabulary.everyone else None)


def relevant(entries: Iterable[Entry], want: Wanted) -> list[Entry]:
    """The entries the subscriber wants, in the given order."""
    return [e for e in entries if want(e)]


def read_vocabulary(body: bytes) -> Vocabulary | None:
    """The vocabulary a feed declares at channel level (``itc:categories``, ...), if any."""
    return _declared(read_feed(body).channel)


def _declared(channel: Channel) -> Vocabulary | None:
    if not channel.has_vocabulary:
        return None
    return Vocabulary(channel.categories, channel.audiences, channel.everyone,
                      channel.cancelled)


def learn_vocabulary(
    channel: Channel, entries: Iterable[Entry], known: Vocabulary | None
) -> Vocabulary:
    """The feed's own vocabulary; from an older feed, the names its entries use added to what
    was known (no audience then means everyone: the feed has not said which)."""
    declared = _declared(channel)
    if declared is not None:
        return declared
    return vocabulary_from_entries(entries, channel.everyone).merged(known)


def vocabulary_from_entries(entries: Iterable[Entry], everyone: str | None) -> Vocabulary:
    """The names the entries use, in order of first use (until the feed lists its vocabulary)."""
    categories: dict[str, str] = {}
    audiences: dict[str, str] = {}
    for entry in entries:
        for name in entry.categories:
            categories.setdefault(topic_key(name), name)
        for name in entry.audiences:
            audiences.setdefault(topic_key(name), name)
    return Vocabulary(tuple(categories.values()), tuple(audiences.values()), everyone)
