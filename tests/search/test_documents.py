"""The pure core of search: what each page puts into the index, without MkDocs or Pagefind."""

from __future__ import annotations

from datetime import datetime

import lxml.html

from plugins.posts.model import Guide, Post, Status, Taxonomy
from plugins.search.documents import (
    filter_choices,
    guide_document,
    page_document,
    post_document,
    render,
)

TAXONOMY = Taxonomy(categories=("Planerad ändring", "Driftstörning"),
                    audiences=("alla", "skola", "förvaltning"))
NOW = datetime.fromisoformat("2026-11-20T09:30:00+01:00")


def post(**changes: object) -> Post:
    fields: dict[str, object] = dict(
        source="news/posts/flytt.md", key="flytt", title="Filservern flyttar & <byter> namn",
        date=NOW, description="Kort.", categories=("Driftstörning",), audience=("skola",),
        status=Status.ONGOING,
    )
    fields.update(changes)
    return Post(**fields)  # type: ignore[arg-type]


def parsed(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def filters_of(root: lxml.html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for span in root.xpath("//*[@data-pagefind-filter]"):
        found.setdefault(span.get("data-pagefind-filter"), []).append(span.text_content())
    return found


def test_a_post_is_filtered_by_its_category_audience_and_status() -> None:
    document = post_document(post(), "news/flytt/", "<h1 id='x'>Filservern</h1><p>Text</p>",
                             TAXONOMY, "alla")
    root = parsed(render(document, "sv"))

    assert filters_of(root) == {
        "typ": ["Nyhet"], "kategori": ["Driftstörning"], "målgrupp": ["skola"],
        "status": ["pågår"],
    }
    assert root.get("lang") == "sv"
    meta = {e.get("data-pagefind-meta"): e.text_content()
            for e in root.xpath("//*[@data-pagefind-meta]")}
    assert meta == {"title": "Filservern flyttar & <byter> namn",
                    "datum": "20 november 2026", "kategori": "Driftstörning"}


def test_only_the_page_text_is_indexed_and_the_facts_stay_outside_it() -> None:
    html = render(post_document(post(), "news/flytt/", "<p>Själva texten</p>", TAXONOMY, None),
                  "sv")
    root = parsed(html)

    body = root.xpath("//*[@data-pagefind-body]")
    assert len(body) == 1
    assert body[0].text_content() == "Själva texten"
    assert not body[0].xpath(".//*[@data-pagefind-filter or @data-pagefind-meta]")


def test_a_post_for_everyone_is_found_under_every_audience() -> None:
    document = post_document(post(audience=("alla",)), "news/flytt/", "<p>x</p>", TAXONOMY,
                             "alla")

    assert document.filters["målgrupp"] == ("alla", "skola", "förvaltning")


def test_a_guide_is_filtered_by_tag_and_applies_to_all_audiences_unless_it_says() -> None:
    everyone = guide_document(Guide("guides/a.md", "Teams", "d", tags=("Teams", "Möten")),
                              "guides/a/", "<p>x</p>", TAXONOMY, "alla")
    school = guide_document(Guide("guides/b.md", "Appar", "d", applies_to=("skola",)),
                            "guides/b/", "<p>x</p>", TAXONOMY, "alla")

    assert everyone.filters == {"typ": ("Guide",), "målgrupp": ("alla", "skola", "förvaltning"),
                                "tagg": ("Teams", "Möten")}
    assert school.filters["målgrupp"] == ("skola",)


def test_other_pages_have_only_their_kind() -> None:
    assert page_document("Om", "om/", "<p>x</p>").filters == {"typ": ("Sida",)}


def test_the_dialog_offers_the_vocabulary_of_mkdocs_yml_and_the_guides_tags() -> None:
    guides = [Guide("a.md", "A", "d", tags=("Teams", "appar")),
              Guide("b.md", "B", "d", tags=("Teams",))]

    choices = {choice.name: choice.values for choice in filter_choices(TAXONOMY, guides)}

    assert choices == {
        "typ": ("Nyhet", "Guide", "Sida"),
        "kategori": ("Planerad ändring", "Driftstörning"),
        "målgrupp": ("alla", "skola", "förvaltning"),
        "status": ("planerad", "pågår", "klar", "inställd"),
        "tagg": ("appar", "Teams"),
    }
