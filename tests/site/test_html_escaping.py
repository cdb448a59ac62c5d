"""Front matter reaches every page as text: quotes, apostrophes, <, > and & in titles,
descriptions and services never end an attribute early or become markup.

The pages are checked with html5lib, a parser that follows the WHATWG HTML specification and
reports its parse errors, and by comparing what a browser would read (attribute values, text)
with the front matter as written by hand below.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest

from tests.conftest import copy_project, run_build

SITE_NAME = "IT-nytt \N{EN DASH} Exempelby kommun"
TITLE = """Citat "molnet" & 'appar' <b>fet</b> <Enter>"""
DESCRIPTION = """Vad är "molnet", 'appen' & <script>alert(1)</script>? Svar > frågor."""
SERVICE = """"Lön" & 'Schema' <Visma>"""
POST = f"""---
title: '{TITLE.replace("'", "''")}'
date: 2026-11-28 12:00
description: '{DESCRIPTION.replace("'", "''")}'
categories: [Tips]
audience: [alla]
services: ['{SERVICE.replace("'", "''")}']
window:
  start: 2026-12-20 18:00
  end: 2026-12-20 20:00
status: planerad
---

# Citat

Text.
"""


def parse_errors(text: str) -> list[str]:
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    parser.parse(text)
    return [f"line {line}:{col} {code} {data}" for (line, col), code, data in parser.errors]


def parse(text: str) -> ElementTree.Element:
    return html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)


def text_of(element: ElementTree.Element) -> str:
    return "".join(element.itertext())


TAG = 'Ctrl <Alt> & "Del"'
GUIDE = "content/guides/teams-moten.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("escaping") / "project")
    (project / "content/news/posts/citat.md").write_text(POST, encoding="utf-8")
    guide = project / GUIDE
    text = guide.read_text(encoding="utf-8")
    assert "\ntags: [Microsoft 365, Teams, Skolplattan]\n" in text
    guide.write_text(text.replace("\ntags: [Microsoft 365, Teams, Skolplattan]\n",
                                  f"\ntags: [Microsoft 365, '{TAG}']\n"), encoding="utf-8")
    build = run_build(project, project / "site")
    assert build.returncode == 0, build.output
    return project / "site"


PAGES = ["news/citat/index.html", "index.html", "news/index.html",
         "news/category/tips/index.html", "news/archive/2026/index.html",
         "news/fragor-och-svar-om-molnet/index.html", "guides/teams-moten/index.html",
         "tags/index.html"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_with_quotes_and_markup_in_front_matter_are_valid_html(site: Path, page: str) -> None:
    errors = parse_errors((site / page).read_text(encoding="utf-8"))
    assert not errors, f"{page}:\n" + "\n".join(errors)


def test_post_page_shows_front_matter_as_written(site: Path) -> None:
    tree = parse((site / "news/citat/index.html").read_text(encoding="utf-8"))
    [description] = tree.findall(".//meta[@name='description']")
    assert description.get("content") == DESCRIPTION
    assert text_of(tree.find(".//title")) == f"{TITLE} - {SITE_NAME}"
    assert not [s for s in tree.iter("script") if "alert" in text_of(s)]
    assert not tree.findall(".//b"), "the title's <b> became markup"


def test_guide_tags_are_shown_as_written(site: Path) -> None:
    # Material prints tag names raw in the page's tag list, the tags page's headings and its
    # table of contents.
    guide = parse((site / "guides/teams-moten/index.html").read_text(encoding="utf-8"))
    [tags] = [nav for nav in guide.iter("nav") if nav.get("class") == "md-tags"]
    assert sorted(text_of(a).strip() for a in tags) == sorted(["Microsoft 365", TAG])
    page = parse((site / "tags/index.html").read_text(encoding="utf-8"))
    # Each heading is the tag and a permalink "¶".
    headings = [text_of(h).strip().removesuffix("\N{PILCROW SIGN}") for h in page.iter("h2")]
    assert TAG in headings
    toc = [text_of(a).strip() for a in page.iter("a") if a.get("href", "").startswith("#tag:")]
    assert TAG in toc
    assert "Microsoft 365" in toc  # the others as they were


def test_home_page_shows_title_description_and_services_as_text(site: Path) -> None:
    tree = parse((site / "index.html").read_text(encoding="utf-8"))
    links = [text_of(a) for a in tree.iter("a")]
    assert TITLE in links
    texts = [text_of(li) for li in tree.iter("li")]
    assert any(DESCRIPTION in text for text in texts)
    assert any(f"Berör: {SERVICE}" in text for text in texts)
    assert not [s for s in tree.iter("script") if "alert" in text_of(s)]


def test_real_post_with_quotes_in_its_description(built_site: Path) -> None:
    # content/news/posts/fragor-och-svar-om-molnet.md, written by a communicator.
    tree = parse((built_site / "news/fragor-och-svar-om-molnet/index.html")
                 .read_text(encoding="utf-8"))
    [description] = tree.findall(".//meta[@name='description']")
    assert description.get("content").startswith('Vad är "molnet"')
