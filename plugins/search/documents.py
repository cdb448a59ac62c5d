"""What goes into the search index, page by page. Imports nothing from MkDocs.

Each indexed page becomes a small HTML document of its own: the rendered Markdown (headings
keep their ids, so results can point into a section), the title, and the filter values and
result metadata as Pagefind's ``data-pagefind-filter`` / ``data-pagefind-meta`` elements
outside the indexed body. The filter values come from the validated :class:`Post` and
:class:`Guide`, the same front matter the feeds use; the site's own HTML (navigation, header,
footer) never reaches the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import lxml.html
from lxml.html import builder as E

from plugins.posts.model import Guide, Post, Status, Taxonomy
from swedish.dates import format_date

# Filter names as readers see them in the search dialog.
KIND = "typ"
CATEGORY = "kategori"
AUDIENCE = "målgrupp"
STATUS = "status"
TAG = "tagg"
FILTERS = (KIND, CATEGORY, AUDIENCE, STATUS, TAG)
KIND_POST = "Nyhet"
KIND_GUIDE = "Guide"
KIND_PAGE = "Sida"

# Permalink signs (¶) that the toc extension appends to headings are not words.
EXCLUDE_SELECTORS = (".headerlink",)


@dataclass(frozen=True)
class SearchDocument:
    """One page as the index sees it."""

    url: str
    """Site-relative URL of the page, e.g. ``news/serverflytt/``."""
    title: str
    body_html: str
    """The page's rendered Markdown."""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    """Shown with the result, e.g. ``datum``."""


def _audiences(named: Iterable[str], taxonomy: Taxonomy, everyone: str | None) -> tuple[str, ...]:
    # A page for everybody concerns every audience: "skola" must also find it, as the
    # "skola" feed does.
    named = tuple(named)
    if everyone is not None and everyone in named:
        return taxonomy.audiences
    return tuple(name for name in taxonomy.audiences if name in named)


def post_document(post: Post, url: str, body_html: str, taxonomy: Taxonomy,
                  everyone: str | None) -> SearchDocument:
    """A published post, filterable by category, audience and status."""
    return SearchDocument(
        url=url,
        title=post.title,
        body_html=body_html,
        filters={
            KIND: (KIND_POST,),
            CATEGORY: post.categories,
            AUDIENCE: _audiences(post.audience, taxonomy, everyone),
            STATUS: (str(post.status),),
        },
        meta={"datum": format_date(post.date), "kategori": ", ".join(post.categories)},
    )


def guide_document(guide: Guide, url: str, body_html: str, taxonomy: Taxonomy,
                   everyone: str | None) -> SearchDocument:
    """A how-to guide, filterable by tag and by the audiences it applies to (all by default)."""
    audiences = (_audiences(guide.applies_to, taxonomy, everyone) if guide.applies_to
                 else taxonomy.audiences)
    return SearchDocument(
        url=url,
        title=guide.title,
        body_html=body_html,
        filters={KIND: (KIND_GUIDE,), AUDIENCE: audiences, TAG: guide.tags},
        meta={"kategori": ", ".join(guide.tags)},
    )


def page_document(title: str, url: str, body_html: str) -> SearchDocument:
    """Any other page of the site."""
    return SearchDocument(url=url, title=title, body_html=body_html, filters={KIND: (KIND_PAGE,)})


def render(document: SearchDocument, language: str) -> str:
    """The HTML that Pagefind indexes for ``document``.

    Only ``<main data-pagefind-body>`` is indexed; filters and metadata sit outside it, so
    their words are neither searched nor shown in excerpts.
    """
    body = lxml.html.fragment_fromstring(document.body_html or "<p></p>", create_parent="main")
    body.set("data-pagefind-body", "")
    facts = E.DIV(E.SPAN(document.title, {"data-pagefind-meta": "title"}), hidden="hidden")
    for name in FILTERS:
        for value in document.filters.get(name, ()):
            facts.append(E.SPAN(value, {"data-pagefind-filter": name}))
    for name, value in document.meta.items():
        if value:
            facts.append(E.SPAN(value, {"data-pagefind-meta": name}))
    page = E.HTML(E.HEAD(E.TITLE(document.title)), E.BODY(body, facts), lang=language)
    return lxml.html.tostring(page, encoding="unicode", doctype="<!DOCTYPE html>")


@dataclass(frozen=True)
class FilterChoice:
    """One filter of the search dialog and the values a reader can pick."""

    name: str
    label: str
    any: str
    """The choice that leaves this filter off."""
    values: tuple[str, ...]


def filter_choices(taxonomy: Taxonomy, guides: Iterable[Guide]) -> list[FilterChoice]:
    """The filters in the order the dialog shows them, from the site's own vocabulary."""
    tags = sorted({tag for guide in guides for tag in guide.tags}, key=str.casefold)
    return [
        FilterChoice(KIND, "Typ", "Alla typer", (KIND_POST, KIND_GUIDE, KIND_PAGE)),
        FilterChoice(CATEGORY, "Kategori", "Alla kategorier", taxonomy.categories),
        FilterChoice(AUDIENCE, "Målgrupp", "Alla målgrupper", taxonomy.audiences),
        FilterChoice(STATUS, "Status", "Alla lägen", tuple(str(status) for status in Status)),
        FilterChoice(TAG, "Tagg (guider)", "Alla taggar", tuple(tags)),
    ]
