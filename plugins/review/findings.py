"""What a check reports: one finding per problem, at a file and line, with a severity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters; the values are the words writers see."""

    ERROR = "fel"
    """Must be fixed: the page would publish broken or `mkdocs build --strict` fails."""
    WARNING = "varning"
    """Should be fixed before publishing: hard to read or out of date."""
    HINT = "tips"
    """A suggestion for plainer Swedish."""


@dataclass(frozen=True)
class Finding:
    """One problem in one file, at the line a writer should look at (1-based)."""

    path: str
    line: int
    severity: Severity
    message: str
    rule: str
    """A short stable name of the rule, e.g. ``lix`` or ``missing-link``."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"
