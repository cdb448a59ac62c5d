"""The change card, the list lines, the build-time banner and "Kommande ändringar" in the real
built site (tests/conftest.py builds it once, with "now" at 29 November 2026 13.00 Swedish time).
Expected texts are written out by hand from the posts' front matter."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
import yaml

from tests.conftest import REPO, run_build

POSTS = REPO / "content" / "news" / "posts"
HIDDEN = ("utkast-", "framtida-")
DASH = "\N{EN DASH}"
LABELS = {"planerad": "Planerad", "pågår": "Pågår", "klar": "Klar", "inställd": "Inställd"}


def front_matter(source: Path) -> dict:
    return yaml.safe_load(source.read_text(encoding="utf-8").split("---")[1])


def page(site: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / path / "index.html").read_text(encoding="utf-8"))


def text(node: lxml.html.HtmlElement) -> str:
    return " ".join(node.text_content().split())


def facts(card: lxml.html.HtmlElement) -> dict[str, str]:
    return {text(dt): text(dt.getnext()) for dt in card.iter("dt")}


PUBLISHED = [p for p in sorted(POSTS.glob("*.md")) if not p.name.startswith(HIDDEN)]


@pytest.mark.parametrize("source", PUBLISHED, ids=lambda p: p.stem)
def test_every_post_opens_with_its_change_card(built_site: Path, source: Path) -> None:
    meta = front_matter(source)
    tree = page(built_site, f"news/{source.stem}")
    cards = tree.xpath("//article//section[contains(@class, 'change-card')]")
    assert len(cards) == 1
    card = cards[0]
    # Right under the title, before the post's text.
    assert card.getprevious() is not None and card.getprevious().tag == "h1"
    shown = facts(card)
    assert shown["Vem berörs"] == ", ".join(meta["audience"])
    assert "Publicerad" in shown
    if meta.get("services"):
        assert shown["Berörda tjänster"] == ", ".join(meta["services"])
    assert ("När" in shown) == ("window" in meta)
    assert ("Det här behöver du göra" in shown) == ("action" in meta)
    if "updated" in meta:
        assert "Uppdaterad" in shown
    badge = text(card.xpath(".//*[@data-change-badge]")[0])
    assert badge.startswith("Status: ")  # the word is there for screen readers too
    if meta["status"] != "planerad":
        assert badge == f"Status: {LABELS[meta['status']]}"


def test_card_of_a_planned_window(built_site: Path) -> None:
    card = page(built_site, "news/flytt-till-datacenter-steg-1").xpath(
        "//section[contains(@class, 'change-card')]")[0]
    shown = facts(card)
    assert text(card.xpath(".//*[@data-change-badge]")[0]) == "Status: Planerad"
    assert shown["När"] == (
        f"fredag 11 december 2026 kl. 18.00 {DASH} söndag 13 december kl. 18.00"
        " (börjar om 12 dagar)"
    )
    assert shown["Vem berörs"] == "alla"
    assert shown["Berörda tjänster"] == "Filserver, Intranätet, Utskrifter, Fjärråtkomst"
    assert shown["Det här behöver du göra"].endswith("Senast 11 december 2026 (12 dagar kvar)")
    assert shown["Publicerad"] == "20 november 2026"
    assert shown["Uppdaterad"] == "27 november 2026"


def test_a_cancelled_post_is_visibly_cancelled_everywhere(built_site: Path) -> None:
    key = "visma-lon-uppdatering-installd"
    card = page(built_site, f"news/{key}").xpath("//section[contains(@class, 'change-card')]")[0]
    assert "change-card--cancelled" in card.get("class")
    assert text(card.xpath(".//*[@data-change-badge]")[0]) == "Status: Inställd"
    assert text(card.xpath(".//dd/del")[0]) == f"lördag 14 november 2026 kl. 8.00{DASH}14.00"
    for listing in ("news", "news/archive/2026", "news/category/planerad-andring"):
        articles = page(built_site, listing).xpath("//article[contains(@class, 'md-post')]")
        excerpts = [a for a in articles if a.xpath(f".//a[contains(@href, '{key}/')]")]
        assert excerpts, f"{listing} does not list {key}"
        excerpt = excerpts[0]
        assert "md-post--cancelled" in excerpt.get("class")
        assert text(excerpt.xpath(".//*[@data-change-badge]")[0]) == "Status: Inställd"
        assert excerpt.xpath(".//*[contains(@class, 'change-line')]//del")


@pytest.mark.parametrize("listing", ["news", "news/archive/2026", "news/category/driftstorning"])
def test_lists_show_status_and_window_beside_each_post(built_site: Path, listing: str) -> None:
    excerpts = page(built_site, listing).xpath("//article[contains(@class, 'md-post--excerpt')]")
    assert excerpts
    for excerpt in excerpts:
        line = excerpt.xpath(".//p[contains(@class, 'change-line')]")
        assert len(line) == 1, text(excerpt)[:80]
        assert text(line[0].xpath(".//*[@data-change-badge]")[0]).startswith("Status: ")


def test_lists_show_the_window(built_site: Path) -> None:
    articles = page(built_site, "news").xpath("//article[contains(@class, 'md-post')]")
    excerpt = next(a for a in articles
                   if a.xpath(".//a[contains(@href, 'treserva-uppdatering-natt/')]"))
    assert text(excerpt.xpath(".//*[contains(@class, 'change-line__when')]")[0]) == (
        f"tisdag 8 december 2026 kl. 22.00 {DASH} onsdag 9 december kl. 3.00"
    )


def test_home_lists_the_ongoing_outage_without_a_window(built_site: Path) -> None:
    section = page(built_site, "").xpath("//section[@aria-labelledby='avbrott']")[0]
    links = [a.get("href") for a in section.xpath(".//li/a")]
    # The wifi outage first (ongoing), then windows ahead, soonest first; the cancelled Visma
    # window is past and left out.
    assert links == [
        "news/storning-wifi-pa-skolorna/", "news/treserva-uppdatering-natt/",
        "news/flytt-till-datacenter-steg-1/", "news/flytt-till-datacenter-steg-2/",
    ]
    assert section.xpath(".//a[@href='kommande/']")


def test_kommande_is_in_the_navigation_and_lists_soonest_first(built_site: Path) -> None:
    home = page(built_site, "")
    assert home.xpath("//nav//a[@href='kommande/' and contains(normalize-space(), "
                      "'Kommande ändringar')]")
    tree = page(built_site, "kommande")

    def keys(kind: str) -> list[str]:
        return [a.get("href").split("/")[-2]
                for a in tree.xpath(f"//section[@data-upcoming='{kind}']//li/a")]

    assert keys("ongoing") == ["storning-wifi-pa-skolorna"]
    assert keys("windows") == [
        "treserva-uppdatering-natt", "flytt-till-datacenter-steg-1", "flytt-till-datacenter-steg-2",
    ]
    assert keys("actions") == [
        "treserva-uppdatering-natt", "flytt-till-datacenter-steg-1", "flytt-till-datacenter-steg-2",
    ]
    treserva = tree.xpath("//section[@data-upcoming='actions']//li")[0]
    assert "Senast 8 december 2026:" in text(treserva)
    assert "(9 dagar kvar)" in text(treserva)


def test_banner_on_every_page_while_an_outage_is_ongoing(built_site: Path) -> None:
    for path in ("", "guides/teams-moten", "news/flytt-till-datacenter-steg-2", "tags"):
        banner = page(built_site, path).xpath("//*[@data-now-banner]")
        assert len(banner) == 1, path
        assert banner[0].get("hidden") is None
        base = f"http://site/{path}/" if path else "http://site/"
        links = [urljoin(base, a.get("href"))
                 for a in banner[0].xpath(".//*[@data-now-banner-list]//a")]
        assert links == ["http://site/news/storning-wifi-pa-skolorna/"], path
        # One ongoing change, under the limit of three: nothing more to count.
        assert banner[0].xpath(".//*[@data-now-banner-more]")[0].get("hidden") is not None


def test_the_banner_names_three_ongoing_changes_and_counts_the_rest(
    project: Path, tmp_path: Path
) -> None:
    # The banner is on every page: naming every ongoing change made each page grow with them
    # (65 entries, 12 kB on every page of the 300-post benchmark site). Four more outages
    # without a window make five; they sort by key after the windows, so the first three are
    # the first three keys below.
    for key in ("avbrott-a", "avbrott-b", "avbrott-c", "avbrott-d"):
        (project / "content/news/posts" / f"{key}.md").write_text(
            f"---\ntitle: Avbrott {key}\ndate: 2026-11-27 08:00\ndescription: Något är nere."
            "\ncategories: [Driftstörning]\naudience: [alla]\nstatus: pågår\n---\n\n"
            f"# Avbrott {key}\n\nVi felsöker.\n", encoding="utf-8")
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    for path in ("", "guides/teams-moten"):
        banner = page(build.site, path).xpath("//*[@data-now-banner]")[0]
        base = f"http://site/{path}/" if path else "http://site/"
        named = [urljoin(base, a.get("href"))
                 for a in banner.xpath(".//*[@data-now-banner-list]//a")]
        assert named == ["http://site/news/avbrott-a/", "http://site/news/avbrott-b/",
                         "http://site/news/avbrott-c/"], path
        more = banner.xpath(".//*[@data-now-banner-more]")[0]
        assert more.get("hidden") is None
        assert text(more) == "Ytterligare 2 pågår: se Kommande ändringar"
        assert urljoin(base, more.xpath(".//a")[0].get("href")) == "http://site/kommande/"
    # "Kommande ändringar" still lists all five.
    ongoing = page(build.site, "kommande").xpath("//section[@data-upcoming='ongoing']//li")
    assert len(ongoing) == 5


def test_now_json_holds_the_open_changes(built_site: Path) -> None:
    document = json.loads((built_site / "now.json").read_text(encoding="utf-8"))
    keys = {entry["key"] for entry in document["changes"]}
    assert keys == {"storning-wifi-pa-skolorna", "treserva-uppdatering-natt",
                    "flytt-till-datacenter-steg-1", "flytt-till-datacenter-steg-2"}
