"""Readability of Swedish text: words, sentences, LIX, passive forms and officialese.

LIX (läsbarhetsindex, C.-H. Björnsson 1968) is words per sentence plus the percentage of
long words, a long word having more than six letters. How we count:

* a word is a run of letters and digits, joined by hyphens or by '.', ':', ',' or '/'
  between two such characters ("e-post", "kl", "18.00", "t.ex"); its length is the number of
  letters in it, so numbers are never long words;
* a sentence ends at '.', '!', '?' or '…' followed by a space or the end of the block, except
  after a common abbreviation ("kl.", "t.ex.", "bl.a."); a block (paragraph, list item) always
  ends a sentence, so list items without a full stop count as sentences, as a reader sees them.

The passive check is a heuristic for hints, not grammar: a word after an auxiliary verb
("ska skickas", "kan användas") ending in -s, or a word with a typical passive ending
(-as, -ades, -ats, -des, -tes) unless it is in the repository's list of words that only look
passive (hoppas, finns, kommunens...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .scan import Block

LONG_WORD = 6
"""A word with more letters than this is long."""

_WORD = re.compile(r"[^\W_]+(?:(?:[-\u2011]|[.:,/](?=[^\W_]))[^\W_]+)*")
_END = re.compile(r"[\"'\u201d\u2019)\]]*[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s|$)")

ABBREVIATIONS = frozenset((
    "kl", "t.ex", "bl.a", "m.m", "m.fl", "o.s.v", "osv", "d.v.s", "dvs", "s.k", "p.g.a", "pga",
    "ca", "cirka", "resp", "ev", "t.o.m", "fr.o.m", "jfr", "nr", "tfn", "tel", "e.d", "o.d",
    "f.d", "f.n", "st", "s", "sid", "kap", "inkl", "exkl", "max", "min", "tim", "mån", "tis",
    "ons", "tors", "fre", "lör", "sön", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "okt", "nov", "dec",
))

_AUXILIARIES = frozenset((
    "ska", "skall", "kan", "kunde", "måste", "bör", "borde", "får", "fick", "skulle", "vill",
    "behöver", "måtte", "lär", "brukar",
))
_PASSIVE_ENDINGS = ("ades", "erades", "ats", "eras", "des", "tes", "as")


@dataclass(frozen=True)
class Word:
    text: str
    line: int

    @property
    def letters(self) -> int:
        return sum(map(str.isalpha, self.text))

    @property
    def is_long(self) -> bool:
        return self.letters > LONG_WORD


@dataclass(frozen=True)
class Sentence:
    words: tuple[Word, ...]

    @property
    def line(self) -> int:
        return self.words[0].line


@dataclass(frozen=True)
class Lix:
    words: int
    sentences: int
    long_words: int

    @property
    def value(self) -> float:
        """Words per sentence plus the percentage of long words (0 for no text)."""
        if not self.words or not self.sentences:
            return 0.0
        return self.words / self.sentences + 100 * self.long_words / self.words


def sentences(blocks: Iterable[Block]) -> Iterator[Sentence]:
    """The sentences of ``blocks``, each word with the file line it stands on."""
    for block in blocks:
        words: list[Word] = []
        for number, text in block.lines:
            position = 0
            for match in _WORD.finditer(text):
                words.append(Word(match.group(0), number))
                position = match.end()
                end = _END.match(text, position)
                if end and not _is_abbreviation(match.group(0), text[position:end.end()]):
                    yield Sentence(tuple(words))
                    words = []
        if words:
            yield Sentence(tuple(words))


def _is_abbreviation(word: str, punctuation: str) -> bool:
    return punctuation.startswith(".") and word.casefold() in ABBREVIATIONS


def lix(all_sentences: Iterable[Sentence]) -> Lix:
    """LIX counts of ``all_sentences``."""
    words = sentences_count = long_words = 0
    for sentence in all_sentences:
        sentences_count += 1
        words += len(sentence.words)
        long_words += sum(word.is_long for word in sentence.words)
    return Lix(words, sentences_count, long_words)


def lix_of_text(text: str) -> Lix:
    """LIX of plain text, paragraphs separated by blank lines (for tests and the README)."""
    blocks = [
        Block(tuple((1, line) for line in paragraph.splitlines() if line.strip()))
        for paragraph in re.split(r"\n\s*\n", text)
    ]
    return lix(sentences(block for block in blocks if block.lines))


def passive_forms(
    all_sentences: Iterable[Sentence], not_passive: frozenset[str]
) -> Iterator[Word]:
    """Words that are probably passive -s forms (``skickas``, ``stängdes``, ``har flyttats``)."""
    # One str.endswith over a tuple per word: a Python loop over the list for every word was
    # a fifth of the check's time.
    compounds = tuple(word for word in not_passive if len(word) >= 4)
    for sentence in all_sentences:
        previous = ""
        for word in sentence.words:
            folded = word.text.casefold()
            if _looks_passive(folded, previous, word.text, not_passive, compounds):
                yield word
            previous = folded


def _looks_passive(folded: str, previous: str, text: str, not_passive: frozenset[str],
                   compounds: tuple[str, ...]) -> bool:
    if not folded.isalpha() or len(folded) < 4 or folded in not_passive:
        return False
    if folded.endswith(compounds):
        return False  # a compound of a listed word: arbetsplats, misslyckas
    if text[0].isupper() and text[1:].islower() and previous:
        return False  # a name in mid-sentence: Teams, Visma Lös..., Atlas
    if folded.endswith(("ss", "us", "is", "os", "ys", "ns")):
        return False  # genitives of definite nouns (kommunens, datorns) and foreign words
    if previous in _AUXILIARIES and folded.endswith("s"):
        return True
    if folded.endswith("nas"):
        return False  # plural definite genitive: skolornas
    return folded.endswith(_PASSIVE_ENDINGS)


@dataclass(frozen=True)
class Phrase:
    """An entry of the officialese list: the words, and a plainer way to say it."""

    words: tuple[str, ...]
    prefix: bool
    """The last word may have any ending (the entry ended in '*')."""
    instead: str

    @property
    def text(self) -> str:
        return " ".join(self.words) + ("*" if self.prefix else "")


def officialese(all_sentences: Iterable[Sentence], phrases: Iterable[Phrase]
                ) -> Iterator[tuple[Word, Phrase, str]]:
    """Occurrences of ``phrases``: the first word, the entry and the words as written.

    At each word only the entries that can start there are tried (looked up by first word,
    or by prefix for one-word entries ending in '*'), in the list's order: trying every entry
    at every word made this the most costly check of a build.
    """
    starting = _PhraseIndex(phrases)
    for sentence in all_sentences:
        folded = [word.text.casefold() for word in sentence.words]
        for index, first in enumerate(folded):
            for phrase in starting.at(first):
                size = len(phrase.words)
                if index + size > len(folded):
                    continue
                if size > 1:
                    if folded[index + 1:index + size - 1] != list(phrase.words[1:-1]):
                        continue
                    last, wanted = folded[index + size - 1], phrase.words[-1]
                    if not (last == wanted or (phrase.prefix and last.startswith(wanted))):
                        continue
                written = " ".join(w.text for w in sentence.words[index:index + size])
                yield sentence.words[index], phrase, written


class _PhraseIndex:
    """The entries of an officialese list by the word they start with."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.order: dict[Phrase, int] = {}
        self.by_first: dict[str, list[Phrase]] = {}
        self.prefixes: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            self.order.setdefault(phrase, len(self.order))
            if len(phrase.words) == 1 and phrase.prefix:
                self.prefixes.setdefault(phrase.words[0], []).append(phrase)
            else:
                self.by_first.setdefault(phrase.words[0], []).append(phrase)
        self.prefix_tuple = tuple(self.prefixes)

    def at(self, word: str) -> list[Phrase]:
        """Entries whose first word is ``word`` (or, for one-word prefixes, begins it)."""
        found = self.by_first.get(word, [])
        if self.prefix_tuple and word.startswith(self.prefix_tuple):
            found = [*found, *(phrase for prefix, listed in self.prefixes.items()
                               if word.startswith(prefix) for phrase in listed)]
            found.sort(key=self.order.__getitem__)
        return found


def read_phrases(text: str) -> list[Phrase]:
    """Entries of an officialese list: ``phrase = instead`` per line, '#' starts a comment."""
    phrases = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        phrase, _, instead = line.partition("=")
        words = phrase.strip().casefold()
        prefix = words.endswith("*")
        parts = tuple(words.rstrip("*").split())
        if parts:
            phrases.append(Phrase(parts, prefix, instead.strip()))
    return phrases


def read_words(text: str) -> frozenset[str]:
    """A plain word list: one word per line, '#' starts a comment."""
    return frozenset(
        word for line in text.splitlines() if (word := line.split("#", 1)[0].strip().casefold())
    )
