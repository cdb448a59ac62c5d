"""The checks of one page, given what the rest of the site holds.

``review`` runs every rule beyond the post model's own validation: the announcement's five
questions, empty sections, dates that have passed, readability, images, links and titles.
The writers' command adds the model's errors; the build has already stopped on those.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import unquote, urlsplit

from plugins.posts.model import Guide, Post, Status

from .findings import Finding, Severity
from .locate import field_lines, line_of
from .readability import Sentence, lix, officialese, passive_forms, sentences
from .scan import Image, Link, Page, scan
from .settings import Language, Settings

QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Vad händer?", ("vad händer", "vad hände", "vad har hänt", "vad ändras", "vad är nytt",
                     "vad gäller", "vad är")),
    ("Vem berörs?", ("vem berörs", "vilka berörs", "berörs jag", "gäller det mig", "vem gäller")),
    ("Vad behöver du göra?", ("vad behöver du göra", "vad behöver jag göra", "vad ska du göra",
                              "vad ska jag göra", "vad måste du göra", "vad gör du",
                              "vad gör jag", "så gör du")),
    ("När?", ("när",)),
    ("Var får jag hjälp?", ("var får jag hjälp", "var får du hjälp", "behöver du hjälp",
                            "frågor", "hjälp", "kontakt")),
)
"""The skeleton of an announcement: each question, and the headings that answer it."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Document:
    """One page to check."""

    path: str
    """How findings name the file, e.g. ``content/news/posts/flytt.md``."""
    src_uri: str
    """Path relative to the docs folder, e.g. ``news/posts/flytt.md``."""
    text: str
    post: Post | None = None
    guide: Guide | None = None

    @cached_property
    def page(self) -> Page:
        return scan(self.text)

    @cached_property
    def fields(self) -> Mapping[str, int]:
        return field_lines(self.text)

    @cached_property
    def image_targets(self) -> tuple[tuple[Image, str], ...]:
        """Each image with a local source and the docs-relative path it points at."""
        return tuple((image, target) for image in self.page.images
                     if image.target and (target := _local_target(self, image.target)))

    @cached_property
    def link_targets(self) -> tuple[tuple[Link, str], ...]:
        """Each relative link and the docs-relative path it points at.

        Resolved once per document: the documents of unchanged pages are kept across the
        rebuilds of a preview, and only whether the targets exist depends on the rest of the
        site.
        """
        return tuple((link, target) for link in self.page.links
                     if (target := _local_target(self, link.target)))


@dataclass(frozen=True)
class Site:
    """What a page's checks need to know about the rest of the site."""

    files: frozenset[str]
    """Docs-relative paths of every file in the docs folder."""
    titles: Mapping[str, tuple[str, ...]]
    """Casefolded title of each post and guide to the documents that have it (post titles
    and guide titles apart: keys are prefixed with ``post:`` or ``guide:``)."""
    now: datetime


def title_key(document: Document) -> str | None:
    if document.post:
        return "post:" + document.post.title.casefold()
    if document.guide:
        return "guide:" + document.guide.title.casefold()
    return None


def site_of(documents: Iterable[Document], files: Iterable[str], now: datetime) -> Site:
    """The :class:`Site` of ``documents``, whose docs folder holds ``files``."""
    titles: dict[str, list[str]] = {}
    for document in documents:
        if key := title_key(document):
            titles.setdefault(key, []).append(document.path)
    return Site(frozenset(files), {key: tuple(paths) for key, paths in titles.items()}, now)


def is_announcement(post: Post, settings: Settings) -> bool:
    if not settings.announcements:
        return True
    return any(category in settings.announcements for category in post.categories)


def review(document: Document, site: Site, settings: Settings, language: Language
           ) -> list[Finding]:
    """Every finding of ``document``, in line order."""
    return in_order([*review_page(document, settings, language),
                     *review_in_site(document, site, settings)])


def in_order(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda finding: (finding.line, finding.rule))


def review_page(document: Document, settings: Settings, language: Language) -> list[Finding]:
    """Findings that depend on the page alone (its text, its post or guide): cacheable."""
    return [
        *_skeleton(document, settings),
        *_empty_sections(document),
        *_image_alts(document),
        *_readability(document, settings, language),
    ]


def review_in_site(document: Document, site: Site, settings: Settings) -> list[Finding]:
    """Findings that depend on the rest of the site and on the time: cheap, run every time."""
    return [
        *_titles(document, site, settings),
        *_dates(document, site.now),
        *_missing_images(document, site),
        *_links(document, site),
    ]


def _finding(document: Document, line: int, severity: Severity, rule: str, message: str
             ) -> Finding:
    return Finding(document.path, line, severity, message, rule)


def _titles(document: Document, site: Site, settings: Settings) -> Iterator[Finding]:
    item = document.post or document.guide
    if item is None:
        return
    line = line_of(document.fields, "title")
    if len(item.title) > settings.title_length:
        yield _finding(document, line, Severity.WARNING, "title-length",
                       f"titeln har {len(item.title)} tecken (högst {settings.title_length}); "
                       "korta den, annars kapas den i listor, flöden och mejl")
    key = title_key(document)
    others = [path for path in site.titles.get(key or "", ()) if path != document.path]
    if others:
        kind = "nyhet" if document.post else "guide"
        yield _finding(document, line, Severity.ERROR, "duplicate-title",
                       f"titeln ”{item.title}” har redan en annan {kind}: {', '.join(others)}; "
                       "välj en titel som skiljer dem åt")


def _dates(document: Document, now: datetime) -> Iterator[Finding]:
    post = document.post
    if post is None:
        return
    finished = post.status in (Status.DONE, Status.CANCELLED)
    if post.action and not finished and post.action.by < now.date():
        yield _finding(document, line_of(document.fields, "action.by"), Severity.WARNING,
                       "past-action",
                       f"action.by {post.action.by.isoformat()} har passerat men status är "
                       f"{post.status}; ändra status till klar eller inställd, eller ge ett "
                       "nytt datum")
    if post.window and post.status is Status.PLANNED and post.window.end < now:
        end = post.window.end.astimezone(post.date.tzinfo).strftime("%Y-%m-%d %H:%M")
        yield _finding(document, line_of(document.fields, "window.end"), Severity.WARNING,
                       "past-window",
                       f"window.end {end} har passerat men status är fortfarande planerad; "
                       "ändra status till klar eller inställd")


def _normal(heading: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", heading.casefold()).split())


def _skeleton(document: Document, settings: Settings) -> Iterator[Finding]:
    if document.post is None or not is_announcement(document.post, settings):
        return
    headings = [_normal(heading.text) for heading in document.page.headings if heading.level > 1]
    line = next((h.line for h in document.page.headings if h.level == 1),
                document.page.body_start)
    missing = [
        question for question, answers in QUESTIONS
        if not any(heading.startswith(answer) for heading in headings for answer in answers)
    ]
    if missing:
        names = " och ".join(", ".join(f"”{q}”" for q in missing).rsplit(", ", 1))
        yield _finding(document, line, Severity.WARNING, "skeleton",
                       f"nyheten saknar {'avsnitten' if len(missing) > 1 else 'avsnittet'} "
                       f"{names}; en nyhet svarar på de fem frågorna (se guiden Så skriver du "
                       "en nyhet)")


def _empty_sections(document: Document) -> Iterator[Finding]:
    if document.post is None and document.guide is None:
        return  # index pages such as tags.md are filled in by the theme
    page = document.page
    headings = page.headings
    for index, heading in enumerate(headings):
        following = headings[index + 1] if index + 1 < len(headings) else None
        if following is not None and following.level > heading.level:
            continue  # its content is in subsections
        until = following.line if following else 10**9
        if not any(heading.line < line < until for line in page.content_lines):
            yield _finding(document, heading.line, Severity.WARNING, "empty-section",
                           f"avsnittet ”{heading.text}” är tomt; skriv något eller ta bort "
                           "rubriken")


def _image_alts(document: Document) -> Iterator[Finding]:
    for image in document.page.images:
        if not image.alt:
            yield _finding(document, image.line, Severity.ERROR, "image-alt",
                           "bilden saknar alt-text; beskriv vad den visar för den som inte ser "
                           "den: ![Så ser knappen ut](bild.png)")


def _missing_images(document: Document, site: Site) -> Iterator[Finding]:
    for image, target in document.image_targets:
        if target not in site.files:
            yield _finding(document, image.line, Severity.ERROR, "missing-image",
                           f"bilden {image.target} finns inte (sökte {target})")


def _links(document: Document, site: Site) -> Iterator[Finding]:
    for link, target in document.link_targets:
        if target not in site.files:
            yield _finding(document, link.line, Severity.ERROR, "missing-link",
                           f"länken går till {link.target}, som inte finns (sökte {target})")


def _local_target(document: Document, target: str) -> str | None:
    """The docs-relative path a relative link points at; None for other links."""
    if not target or _SCHEME.match(target) or target.startswith(("#", "/")):
        return None
    path = unquote(urlsplit(target).path)
    if not path:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(document.src_uri), path))


def _readability(document: Document, settings: Settings, language: Language
                 ) -> Iterator[Finding]:
    if document.post is None and document.guide is None:
        return
    all_sentences: list[Sentence] = list(sentences(document.page.blocks))
    counts = lix(all_sentences)
    announcement = document.post is not None and is_announcement(document.post, settings)
    limit = settings.lix_announcements if announcement else settings.lix_other
    if counts.value > limit:
        line = next((h.line for h in document.page.headings if h.level == 1),
                    document.page.body_start)
        yield _finding(document, line, Severity.WARNING, "lix",
                       f"LIX {counts.value:.0f} är över {limit} ({counts.words} ord, "
                       f"{counts.sentences} meningar, {counts.long_words} långa ord); skriv "
                       "kortare meningar och vanligare ord")
    for sentence in all_sentences:
        if len(sentence.words) > settings.sentence_words:
            yield _finding(document, sentence.line, Severity.WARNING, "long-sentence",
                           f"meningen har {len(sentence.words)} ord (högst "
                           f"{settings.sentence_words}); dela upp den")
    for word in passive_forms(all_sentences, language.not_passive):
        yield _finding(document, word.line, Severity.HINT, "passive",
                       f"”{word.text}” ser ut som passiv form; skriv hellre vem som gör det "
                       "(”vi stänger” i stället för ”stängs”)")
    for word, phrase, written in officialese(all_sentences, language.officialese):
        instead = f"; skriv hellre ”{phrase.instead}”" if phrase.instead else ""
        yield _finding(document, word.line, Severity.HINT, "officialese",
                       f"”{written}” är kanslisvenska{instead}")


def lix_by_document(documents: Iterable[Document]) -> dict[str, float]:
    """LIX of each post and guide, by path (for the README's figures and ``--lix``)."""
    return {
        document.path: lix(sentences(document.page.blocks)).value
        for document in documents if document.post or document.guide
    }
