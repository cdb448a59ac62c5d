"""Readable ASCII slugs for Swedish text: ``för åre`` becomes ``for-are``."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(value: str, separator: str = "-") -> str:
    """Return a lowercase ASCII slug; the signature matches Python-Markdown's toc slugify.

    Decomposing first (NFKD) turns å, ä, ö into a, a, o plus combining marks, which the
    ASCII filter then drops, so Swedish words stay readable instead of vanishing.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(separator, ascii_only).strip(separator)


def is_slug(value: str) -> bool:
    """True when ``value`` is already a slug (what file names of posts must be)."""
    return bool(value) and slugify(value) == value
