"""``nyhet granska``: the post model's validation plus the writers' check, per file and line."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from plugins.posts.errors import FrontMatterError, FrontMatterSyntaxError, Problem
from plugins.posts.frontmatter import load_front_matter
from plugins.posts.model import (
    GUIDE_FIELDS,
    POST_FIELDS,
    Post,
    duplicate_keys,
    parse_guide,
    parse_post,
    unknown_fields,
)
from plugins.review.findings import Finding, Severity
from plugins.review.locate import line_of
from plugins.review.rules import Document, review, site_of

from .project import Project


class CheckError(Exception):
    """A file given on the command line cannot be checked."""


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    documents: list[Document]
    """The documents checked (those asked for)."""

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(f.severity is severity for f in self.findings)


def _visible(relative: Path) -> bool:
    # MkDocs leaves out dot files and folders (.authors.yml, .ordlistor/): so do we.
    return not any(part.startswith(".") for part in relative.parts)


def site_files(docs_dir: Path) -> list[str]:
    """Docs-relative paths of every file MkDocs would publish or render."""
    found: list[str] = []
    for folder, dirs, names in os.walk(docs_dir):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        base = Path(folder).relative_to(docs_dir)
        found.extend((base / name).as_posix() for name in names if not name.startswith("."))
    return sorted(found)


def _shown(path: Path) -> str:
    """The path as a writer's editor and terminal link it: relative to where they stand."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_document(project: Project, src_uri: str, path: str) -> tuple[Document, list[Finding]]:
    """The document at ``src_uri`` with the post model's findings about its front matter."""
    text = (project.docs_dir / src_uri).read_text(encoding="utf-8-sig")
    document = Document(path=path, src_uri=src_uri, text=text)
    is_post = src_uri.startswith(project.posts_dir + "/")
    is_guide = (src_uri.startswith(project.guides_dir + "/")
                and Path(src_uri).name != "index.md")
    if not (is_post or is_guide):
        return document, []
    findings: list[Finding] = []
    try:
        front = load_front_matter(text, path)
    except FrontMatterSyntaxError as error:
        message = str(error).removeprefix(f"{path}:{error.line}: ")
        return document, [Finding(path, error.line, Severity.ERROR, message, "front-matter")]
    meta, lines = front.meta, front.lines
    for name in meta:
        # Each unknown field on its own line; the model words the message and the suggestion.
        known = POST_FIELDS if is_post else GUIDE_FIELDS
        for warning in unknown_fields({name: meta[name]}, known, path, lines):
            line = line_of(lines, str(name))
            message = warning.removeprefix(f"{path}:{line}: ").removeprefix(f"{path}: ")
            findings.append(Finding(path, line, Severity.ERROR, message, "unknown-field"))
    try:
        if is_post:
            post = parse_post(meta, src_uri, project.taxonomy, path, lines)
            document = Document(path=path, src_uri=src_uri, text=text, post=post)
        else:
            guide = parse_guide(meta, src_uri, project.taxonomy, path, lines)
            document = Document(path=path, src_uri=src_uri, text=text, guide=guide)
    except FrontMatterError as error:
        findings.extend(_problem(problem, lines) for problem in error.problems)
    return document, findings


def _problem(problem: Problem, lines: Mapping[str, int]) -> Finding:
    line = problem.line or line_of(lines, problem.field)
    message = str(problem).removeprefix(f"{problem.where}: ")
    return Finding(problem.source, line, Severity.ERROR, message, "front-matter")


def _selected(project: Project, paths: Iterable[Path]) -> Iterator[str]:
    docs = project.docs_dir.resolve()
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_file():
            raise CheckError(f"{path}: filen finns inte")
        try:
            relative = resolved.relative_to(docs)
        except ValueError as error:
            raise CheckError(f"{path}: ligger inte i {_shown(project.docs_dir)}/, där sidorna "
                             "finns") from error
        if resolved.suffix != ".md":
            raise CheckError(f"{path}: bara Markdown-filer (.md) kan granskas")
        yield relative.as_posix()


def check(project: Project, paths: list[Path], now: datetime) -> Report:
    """Check ``paths`` (every page of the site when empty) against the whole site."""
    files = site_files(project.docs_dir)
    wanted = set(_selected(project, paths)) if paths else None
    documents: list[Document] = []
    model_findings: dict[str, list[Finding]] = {}
    for src_uri in files:
        if not src_uri.endswith(".md"):
            continue
        document, findings = read_document(
            project, src_uri, _shown(project.docs_dir / src_uri))
        documents.append(document)
        model_findings[src_uri] = findings
    site = site_of(documents, files, now)
    posts: list[Post] = [d.post for d in documents if d.post]
    by_path = {document.path: document for document in documents}
    # The model's rule across posts: two posts with one feed id (file name or id:).
    for problem in duplicate_keys(posts, lambda post: _shown(project.docs_dir / post.source)):
        owner = by_path[problem.source]
        model_findings[owner.src_uri].append(_problem(problem, owner.fields))
    chosen = [d for d in documents if wanted is None or d.src_uri in wanted]
    findings = []
    for document in chosen:
        findings.extend(model_findings[document.src_uri])
        findings.extend(review(document, site, project.settings, project.language))
    findings.sort(key=lambda f: (f.path, f.line))
    return Report(findings, chosen)
