"""The real site built with mkdocs: pages, publishing rules, Swedish UI, and writers' errors."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.conftest import REPO, run_build

POSTS = sorted((REPO / "content/news/posts").glob("*.md"))
GUIDES = sorted(p for p in (REPO / "content/guides").glob("*.md") if p.name != "index.md")


def html_pages(site: Path) -> list[Path]:
    return [page for page in site.rglob("*.html") if "assets" not in page.parts]


def post_page(site: Path, source: Path) -> Path:
    return site / "news" / source.stem / "index.html"


def test_enough_real_content() -> None:
    published = [p for p in POSTS if not p.name.startswith(("utkast-", "framtida-"))]
    assert len(published) >= 12
    assert len(GUIDES) >= 6


def test_every_post_and_guide_is_built_at_its_file_name(built_site: Path) -> None:
    for source in POSTS:
        if source.name.startswith(("utkast-", "framtida-")):
            continue
        assert post_page(built_site, source).is_file(), source.name
    for guide in GUIDES:
        assert (built_site / "guides" / guide.stem / "index.html").is_file(), guide.name
    for page in ("index.html", "news/index.html", "guides/index.html", "tags/index.html",
                 "news/archive/2026/index.html", "news/category/planerad-andring/index.html"):
        assert (built_site / page).is_file(), page


def test_drafts_and_future_posts_are_not_published(built_site: Path) -> None:
    hidden = [p for p in POSTS if p.name.startswith(("utkast-", "framtida-"))]
    assert len(hidden) >= 2, "content should show both rules: a draft and a future post"
    everything = "\n".join(page.read_text(encoding="utf-8") for page in html_pages(built_site))
    index = b"".join(p.read_bytes() for p in (built_site / "pagefind").rglob("*") if p.is_file())
    for source in hidden:
        assert not post_page(built_site, source).exists()
        assert f"news/{source.stem}/" not in everything
        assert source.stem.encode() not in index


def test_every_page_is_swedish(built_site: Path) -> None:
    pages = html_pages(built_site)
    assert len(pages) > 20
    for page in pages:
        assert '<html lang="sv"' in page.read_text(encoding="utf-8"), page


def test_swedish_labels_archive_is_a_noun(built_site: Path) -> None:
    news = (built_site / "news/index.html").read_text(encoding="utf-8")
    assert "Arkiv" in news and "Arkivera" not in news
    assert "Kategorier" in news
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'placeholder="Sök"' in home


def test_nothing_is_loaded_from_outside_the_intranet(built_site: Path) -> None:
    # What a browser fetches by itself; canonical and feed links are only addresses.
    fetched = ("//link[not(@rel='canonical') and not(@rel='alternate')]/@href",
               "//script/@src", "//img/@src", "//iframe/@src", "//source/@src",
               "//source/@srcset", "//video/@src", "//audio/@src")
    for page in html_pages(built_site):
        text = page.read_text(encoding="utf-8")
        tree = lxml.html.fromstring(text)
        for query in fetched:
            for url in tree.xpath(query):
                assert not urlsplit(str(url)).netloc, f"{page}: {url}"
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_home_page_lists_windows_latest_news_and_guides(built_site: Path) -> None:
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "Pågående och kommande avbrott" in home
    assert "Senaste nyheterna" in home
    # The upcoming data-centre move (December 2026) is announced with a Swedish date.
    assert re.search(r"(lördag|fredag|söndag) \d{1,2} december 2026 kl\. \d{1,2}\.\d\d", home)
    for guide in GUIDES:
        assert f"guides/{guide.stem}/" in home


def test_home_page_dates_come_from_the_swedish_formatter(built_site: Path) -> None:
    # Written out by hand from the posts' front matter (date: 2026-11-26 10:15, ...): day,
    # month name in Swedish, year, no weekday, as swedish.dates.format_date writes them.
    home = lxml.html.fromstring((built_site / "index.html").read_text(encoding="utf-8"))
    meta = [" ".join(span.text_content().split())
            for span in home.xpath("//span[@class='home-meta']")]
    assert meta[:4] == [
        "\N{EN DASH} 26 november 2026, Driftstörning",
        "\N{EN DASH} 26 november 2026, Planerad ändring",
        "\N{EN DASH} 24 november 2026, Planerad ändring",
        "\N{EN DASH} 20 november 2026, Planerad ändring",
    ]


def test_post_urls_come_from_file_names_not_titles(project: Path, tmp_path: Path) -> None:
    source = next(p for p in (project / "content/news/posts").glob("*.md")
                  if not p.name.startswith(("utkast-", "framtida-")))
    text = source.read_text(encoding="utf-8")
    source.write_text(re.sub(r"(?m)^title: .*$", 'title: "Helt ny rubrik för åre"', text, count=1),
                      encoding="utf-8")
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    page = tmp_path / "site/news" / source.stem / "index.html"
    assert "Helt ny rubrik för åre" in page.read_text(encoding="utf-8")


def test_headings_get_readable_ascii_anchors(project: Path, tmp_path: Path) -> None:
    post = project / "content/news/posts/rubriktest.md"
    post.write_text(
        "---\ntitle: Rubriktest\ndate: 2026-11-01\ndescription: Test.\n"
        "categories: [Tips]\naudience: [alla]\nstatus: klar\n---\n\n# Rubriktest\n\n"
        "## Vad händer för Åre?\n\nText.\n", encoding="utf-8")
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    html = (tmp_path / "site/news/rubriktest/index.html").read_text(encoding="utf-8")
    assert 'id="vad-hander-for-are"' in html


# Lines counted by hand from broken_post(): '---' is line 1, then title, date, description,
# categories, audience, status, less the field the case replaces, then the case's lines.
BROKEN_POSTS = {
    "window-end-before-start": (
        "window:\n  start: 2025-03-01 12:00\n  end: 2025-03-01 10:00\n",
        "content/news/posts/trasig.md:10: window.end: 2025-03-01 10:00 är före window.start "
        "2025-03-01 12:00; skriv ett slut efter starten",
    ),
    "unknown-category": (
        "categories: [Nyheter]\n",
        "content/news/posts/trasig.md:7: categories: Nyheter är inte tillåtet; skriv en av: "
        "Planerad ändring, Driftstörning, Nytt system, Säkerhet, Tips",
    ),
    "bad-status": (
        "status: klart\n",
        "content/news/posts/trasig.md:7: status: klart är inte tillåtet; skriv en av: planerad, "
        "pågår, klar, inställd",
    ),
    "description-too-long": (
        f"description: {'Lång text. ' * 40}\n",
        # 40 times 'Lång text. ' (11 characters) less YAML's trailing space: 439; shown: 40.
        "content/news/posts/trasig.md:7: description: Lång text. Lång text. Lång text. Lång "
        "te… (439 tecken) är inte tillåtet; skriv högst 300 tecken",
    ),
    "bad-date": (
        "date: 2025-13-01\n",
        "content/news/posts/trasig.md:7: date: 2025-13-01 är inte tillåtet; skriv ett datum som "
        "finns, som 2025-03-10 eller 2025-03-10 09:30",
    ),
    "broken-yaml": (
        "services: [Microsoft 365\n",
        "content/news/posts/trasig.md:9: uppgifterna överst i filen (front matter) går inte "
        "att läsa: en lista inom [ ] stängs aldrig, eller ett komma saknas mellan namnen",
    ),
}


def broken_post(override: str) -> str:
    fields = {
        "title": "Trasig", "date": "2025-03-01", "description": "Kort.",
        "categories": "[Driftstörning]", "audience": "[alla]", "status": "klar",
    }
    for line in override.splitlines():
        if line and not line.startswith(" "):
            fields.pop(line.split(":", 1)[0], None)
    head = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\n{head}{override}---\n\n# Trasig\n\nText.\n"


@pytest.mark.parametrize("case", sorted(BROKEN_POSTS))
def test_a_broken_post_stops_the_build_naming_file_line_field_and_value(
    case: str, project: Path, tmp_path: Path
) -> None:
    override, expected = BROKEN_POSTS[case]
    (project / "content/news/posts/trasig.md").write_text(broken_post(override), encoding="utf-8")
    build = run_build(project, tmp_path / "site", strict=False)
    assert build.returncode != 0
    assert expected in build.output


def test_broken_yaml_gives_the_line(project: Path, tmp_path: Path) -> None:
    (project / "content/news/posts/trasig.md").write_text(
        broken_post("services: [Microsoft 365\n"), encoding="utf-8")
    build = run_build(project, tmp_path / "site", strict=False)
    assert build.returncode != 0
    assert re.search(r"content/news/posts/trasig\.md:\d+: uppgifterna överst i filen \(front "
                     r"matter\) går inte att läsa", build.output), build.output


def test_a_broken_guide_stops_the_build(project: Path, tmp_path: Path) -> None:
    guide = project / "content/guides/trasig.md"
    guide.write_text("---\ntitle: Trasig\ndescription: Kort.\napplies_to: [elever]\n---\n# T\n",
                     encoding="utf-8")
    build = run_build(project, tmp_path / "site", strict=False)
    assert build.returncode != 0
    assert ("content/guides/trasig.md:4: applies_to: elever är inte tillåtet; skriv en av: "
            "alla, skola, förvaltning, vård och omsorg") in build.output


def test_a_misspelt_field_fails_a_strict_build(project: Path, tmp_path: Path) -> None:
    (project / "content/news/posts/stavfel.md").write_text(
        broken_post("audiance: [skola]\n"), encoding="utf-8")
    build = run_build(project, tmp_path / "site", strict=True)
    assert build.returncode != 0
    assert ("content/news/posts/stavfel.md:8: fältet audiance är okänt och används inte; menade "
            "du audience?") in build.output
    relaxed = run_build(project, tmp_path / "relaxed", strict=False)
    assert relaxed.returncode == 0, relaxed.output


def test_markup_in_a_title_is_shown_as_text(project: Path, tmp_path: Path) -> None:
    (project / "content/news/posts/markup.md").write_text(
        '---\ntitle: "Tryck <Enter> & <script>alert(1)</script>"\ndate: 2026-11-28 09:00\n'
        "description: Kort.\ncategories: [Tips]\naudience: [alla]\nstatus: klar\n---\n\n"
        "Text.\n", encoding="utf-8")
    build = run_build(project, tmp_path / "site")
    assert build.returncode == 0, build.output
    for page in html_pages(tmp_path / "site"):
        assert "<script>alert(1)" not in page.read_text(encoding="utf-8"), page
    post = (tmp_path / "site/news/markup/index.html").read_text(encoding="utf-8")
    assert "Tryck &lt;Enter&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in post


def clash(project: Path, name: str, extra: str = "") -> None:
    (project / "content/news/posts" / name).write_text(
        f"---\ntitle: Krock\ndate: 2026-11-01\ndescription: Kort.\ncategories: [Tips]\n"
        f"audience: [alla]\nstatus: klar\n{extra}---\n\n# Krock\n\nText.\n", encoding="utf-8")


def test_an_id_equal_to_another_posts_file_name_stops_the_build(
    project: Path, tmp_path: Path
) -> None:
    clash(project, "ny-krock.md", "id: jobba-var-du-vill\n")
    build = run_build(project, tmp_path / "site")
    assert build.returncode != 0
    assert ("content/news/posts/ny-krock.md: id: jobba-var-du-vill används redan som filnamn av "
            "content/news/posts/jobba-var-du-vill.md; ge nyheten ett id som ingen annan nyhet "
            "har: skriv id: och ett nytt namn") in build.output, build.output


def test_two_posts_with_one_file_name_in_different_folders_stop_the_build(
    project: Path, tmp_path: Path
) -> None:
    (project / "content/news/posts/2025").mkdir()
    clash(project, "2025/krock.md")
    clash(project, "krock.md")
    build = run_build(project, tmp_path / "site")
    assert build.returncode != 0
    assert ("content/news/posts/krock.md: filnamnet: krock används redan som filnamn av "
            "content/news/posts/2025/krock.md") in build.output, build.output


def test_a_control_character_pasted_from_word_stops_the_build_naming_file_and_line(
    project: Path, tmp_path: Path
) -> None:
    text = broken_post("").replace("Text.\n", "Första stycket.\n\nAndra\x0cstycket.\n")
    (project / "content/news/posts/fran-word.md").write_text(text, encoding="utf-8")
    build = run_build(project, tmp_path / "site", strict=False)
    assert build.returncode != 0
    # Line 1 '---', 2-7 the six fields, 8 '---', 9 empty, 10 '# Trasig', 11 empty, 12, 13, 14.
    assert ("content/news/posts/fran-word.md:14: tecknet i kolumn 6: U+000C (sidbrytning) kan "
            "inte publiceras; ta bort det (text som klistrats in från Word kan ha sådana "
            "osynliga tecken)") in build.output, build.output
    assert "ValueError" not in build.output
