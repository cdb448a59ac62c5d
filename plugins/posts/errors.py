"""Errors of the post model; the MkDocs adapter turns them into a failed build.

Writers read these messages (in the build's output and in ``nyhet granska``), so they are in
Swedish, like everything else a writer sees; field names stay as written in the file.
"""

from __future__ import annotations

from dataclasses import dataclass


class ContentError(Exception):
    """A page's source cannot be published as it is."""


@dataclass(frozen=True)
class Problem:
    """One bad field: which file, which field, what value, and what is allowed."""

    source: str
    field: str
    value: str | None
    """The bad value as the writer wrote it; None when the field is missing."""
    allowed: str
    """What is allowed, worded as what the writer should do: ``skriv en av: klar, pågår``."""
    reason: str = "är inte tillåtet"
    line: int | None = None
    """Line of the field in the file (1 is the opening '---'); None when unknown or missing."""

    @property
    def where(self) -> str:
        """``file:line`` as compilers and editors show it, or the file alone."""
        return f"{self.source}:{self.line}" if self.line else self.source

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.where}: {self.field} saknas; {self.allowed}"
        # 'field: value' as the writer wrote it in the file.
        return f"{self.where}: {self.field}: {self.value} {self.reason}; {self.allowed}"


class FrontMatterError(ContentError):
    """Front matter that does not validate; carries every problem found in the page."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class FrontMatterSyntaxError(ContentError):
    """Front matter that is not valid YAML; names the file and the line."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        self.source = source
        self.line = line
        super().__init__(f"{source}:{line}: uppgifterna överst i filen (front matter) går inte "
                         f"att läsa: {reason}")
