"""Settings of the writers' check, read from mkdocs.yml (``intranet-review``) by both users."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .readability import Phrase, read_phrases, read_words


class SettingsError(ValueError):
    """A setting of the writers' check has a value it cannot use."""


@dataclass(frozen=True)
class Settings:
    """Limits of the check. The defaults are the plugin's defaults."""

    lix_announcements: int = 45
    """LIX above which an announcement gets a warning (45: medelsvår, like a daily paper)."""
    lix_other: int = 50
    """LIX above which other posts (tips) and guides get a warning."""
    sentence_words: int = 25
    """Sentences with more words than this are pointed out."""
    title_length: int = 70
    """Titles longer than this are cut off in lists, feeds and mail subjects."""
    announcements: tuple[str, ...] = ()
    """Categories whose posts are announcements (need the five questions); empty: all posts."""
    wordlists: str = ".ordlistor"
    """Folder of the word lists, relative to docs_dir (a dot folder is not published)."""


def settings_from(options: Mapping[str, Any]) -> Settings:
    """``Settings`` from the plugin's options as written in mkdocs.yml."""
    known = {item.name: item for item in fields(Settings)}
    values: dict[str, Any] = {}
    for name, value in options.items():
        if name not in known:
            continue  # options of the adapter itself, such as 'enabled'
        default = getattr(Settings, name)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"intranet-review: {name} ska vara en lista med namn")
            value = tuple(value)
        elif not isinstance(value, type(default)) or isinstance(value, bool):
            kind = "ett heltal" if isinstance(default, int) else "text"
            raise SettingsError(f"intranet-review: {name} ska vara {kind}, inte {value!r}")
        values[name] = value
    return Settings(**values)


@dataclass(frozen=True)
class Language:
    """The repository's word lists: officialese with plainer words, and words that only look
    passive."""

    officialese: tuple[Phrase, ...] = ()
    not_passive: frozenset[str] = frozenset()


OFFICIALESE_FILE = "kanslisvenska.txt"
NOT_PASSIVE_FILE = "inte-passiv.txt"


def load_language(folder: Path) -> Language:
    """Read the word lists in ``folder``; a missing list is an error, not a silent pass."""
    officialese = _read_list(folder / OFFICIALESE_FILE)
    not_passive = _read_list(folder / NOT_PASSIVE_FILE)
    return Language(tuple(read_phrases(officialese)), read_words(not_passive))


def _read_list(path: Path) -> str:
    # Writers extend these lists (in Notepad, too): the messages are theirs, in Swedish, with
    # the path as seen from where they stand.
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = str(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise SettingsError(f"ordlistan {shown} finns inte") from error
    except UnicodeDecodeError as error:
        raise SettingsError(f"ordlistan {shown} är inte sparad som UTF-8; spara den som "
                            "UTF-8-text") from error
    except OSError as error:
        raise SettingsError(f"ordlistan {shown} går inte att läsa ({error.strerror})") from error
