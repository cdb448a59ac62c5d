"""`nyhet granska` on real files in a copy of content/: messages, their lines, exit codes."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO

from .conftest import Nyhet

POSTS = "content/news/posts"

# Line numbers are those of this text; tests/conftest.py's build time is 2026-11-29 12:00 UTC.
BROKEN_POST = """\
---
title: "Servrarna flyttar till datacenter i Västerås \N{EN DASH} steg 1"
date: 2026-11-01 09:00
description: "Vi testar granskningen."
categories: [Planerad ändring]
audience: [alla]
audiance: [skola]
window:
  start: 2026-11-10 18:00
  end: 2026-11-10 20:00
action:
  by: 2026-11-10
  what: "Spara dina filer."
status: planerad
---

# Ett test

Här är en bild ![](skarm.png) utan text.

## Vad händer?

## Vem berörs?

Alla. Läs [guiden](../../guides/finns-inte.md) och [den här](../../guides/teams-moten.md).

## Vad behöver du göra?

Med anledning av den förestående migreringen av verksamhetssystemen ombeds samtliga \
medarbetare att säkerställa att erforderliga åtgärder vidtas innan arbetsdagens slut och att \
vederbörande chef informeras om det.

## När?

I helgen.

## Var får jag hjälp?

Ring oss.
"""

BAD_FRONT_MATTER = """\
---
title: "En nyhet"
date: 2026-11-01
description: "Test."
categories: [Nyheter]
audience: [alla]
status: planerad
window:
  start: 2026-11-10 18:00
  end: 2026-11-10 10:00
---

# En nyhet
"""


def write(project: Path, name: str, text: str) -> str:
    path = project / POSTS / name
    path.write_text(text, encoding="utf-8")
    return f"{POSTS}/{name}"


def test_messages_point_at_the_lines_to_change(project: Path, nyhet: Nyhet) -> None:
    path = write(project, "granskning.md", BROKEN_POST)
    result = nyhet("granska", path)
    lines = result.stdout.splitlines()
    expected = [
        f"{path}:2: fel: titeln ”Servrarna flyttar till datacenter i Västerås \N{EN DASH} "
        "steg 1” har redan en annan nyhet: content/news/posts/flytt-till-datacenter-steg-1.md; "
        "välj en titel som skiljer dem åt",
        f"{path}:7: fel: fältet audiance är okänt och används inte; menade du audience?",
        f"{path}:10: varning: window.end 2026-11-10 20:00 har passerat men status är "
        "fortfarande planerad; ändra status till klar eller inställd",
        f"{path}:12: varning: action.by 2026-11-10 har passerat men status är planerad; ändra "
        "status till klar eller inställd, eller ge ett nytt datum",
        f"{path}:19: fel: bilden saknar alt-text; beskriv vad den visar för den som inte ser "
        "den: ![Så ser knappen ut](bild.png)",
        f"{path}:19: fel: bilden skarm.png finns inte (sökte news/posts/skarm.png)",
        f"{path}:21: varning: avsnittet ”Vad händer?” är tomt; skriv något eller ta bort "
        "rubriken",
        f"{path}:25: fel: länken går till ../../guides/finns-inte.md, som inte finns (sökte "
        "guides/finns-inte.md)",
        f"{path}:29: varning: meningen har 27 ord (högst 25); dela upp den",
        f"{path}:29: tips: ”Med anledning av” är kanslisvenska; skriv hellre ”på grund av, "
        "eftersom”",
        f"{path}:29: tips: ”erforderliga” är kanslisvenska; skriv hellre ”nödvändig, som "
        "behövs”",
        f"{path}:29: tips: ”vidtas” ser ut som passiv form; skriv hellre vem som gör det "
        "(”vi stänger” i stället för ”stängs”)",
        f"{path}:29: tips: ”vederbörande” är kanslisvenska; skriv hellre ”den det gäller”",
        f"{path}:29: tips: ”informeras” ser ut som passiv form; skriv hellre vem som gör det "
        "(”vi stänger” i stället för ”stängs”)",
    ]
    for line in expected:
        assert line in lines, result.stdout
    assert result.returncode == 1
    assert "Granskade 1 fil: 5 fel, 4 varningar, 5 tips." in result.stderr


def test_lix_warning_with_its_counts(project: Path, nyhet: Nyhet) -> None:
    # The hard text of test_readability: 32 words, 2 sentences, 17 long words, LIX 69.
    body = BROKEN_POST.split("# Ett test", 1)[0] + (
        "# Ett test\n\nMed anledning av den förestående migreringen av verksamhetssystemen "
        "ombeds samtliga medarbetare att säkerställa att erforderliga åtgärder vidtas innan "
        "arbetsdagens slut. Vederbörande chef ansvarar för att informationen delges berörda "
        "medarbetare inom respektive förvaltning.\n")
    path = write(project, "svar-text.md", body.replace("steg 1", "svår text"))
    result = nyhet("granska", "--inga-tips", path)
    assert (f"{path}:17: varning: LIX 69 är över 45 (32 ord, 2 meningar, 17 långa ord); "
            "skriv kortare meningar och vanligare ord") in result.stdout.splitlines()
    assert "tips:" not in result.stdout


def test_front_matter_problems_at_the_line_of_their_field(project: Path, nyhet: Nyhet) -> None:
    path = write(project, "fel-i-front-matter.md", BAD_FRONT_MATTER)
    result = nyhet("granska", path)
    lines = result.stdout.splitlines()
    assert (f"{path}:5: fel: categories: Nyheter är inte tillåtet; skriv en av: Planerad "
            "ändring, Driftstörning, Nytt system, Säkerhet, Tips") in lines
    assert (f"{path}:10: fel: window.end: 2026-11-10 10:00 är före window.start "
            "2026-11-10 18:00; skriv ett slut efter starten") in lines
    assert result.returncode == 1


def test_yaml_syntax_error_at_its_line(project: Path, nyhet: Nyhet) -> None:
    path = write(project, "trasig.md", "---\ntitle: \"Trasig\ndate: 2026-11-01\n---\n\nText.\n")
    result = nyhet("granska", path)
    # The quote opened on line 2 is still open when the front matter ends at line 4.
    assert result.stdout.splitlines()[0] == (
        f"{path}:4: fel: uppgifterna överst i filen (front matter) går inte att läsa: "
        "uppgifterna tar slut mitt i ett värde: ett citattecken, en [lista] eller en {grupp} "
        "stängs aldrig")
    assert result.returncode == 1


def test_every_page_of_the_site_passes_without_errors(nyhet: Nyhet) -> None:
    result = nyhet("granska")
    assert result.returncode == 0, result.stdout
    assert ": fel: " not in result.stdout
    assert "Granskade" in result.stderr and " 0 fel," in result.stderr


def test_warnings_only_exit_zero(project: Path, nyhet: Nyhet) -> None:
    text = BROKEN_POST.replace("audiance: [skola]\n", "services: [Filserver]\n")
    text = text.replace("steg 1", "om granskning").replace("![](skarm.png)", "")
    text = text.replace("[guiden](../../guides/finns-inte.md)", "guiden")
    path = write(project, "bara-varningar.md", text)
    result = nyhet("granska", path)
    assert ": varning: " in result.stdout and ": fel: " not in result.stdout
    assert result.returncode == 0


def test_github_annotations(project: Path, nyhet: Nyhet) -> None:
    path = write(project, "granskning.md", BROKEN_POST)
    result = nyhet("granska", "--format", "github", path)
    lines = result.stdout.splitlines()
    assert (f"::error file={path},line=7,title=nyhet granska (unknown-field)::fältet audiance "
            "är okänt och används inte; menade du audience?") in lines
    assert (f"::warning file={path},line=29,title=nyhet granska (long-sentence)::meningen har "
            "27 ord (högst 25); dela upp den") in lines
    assert any(line.startswith(f"::notice file={path},line=29,") for line in lines)
    assert result.returncode == 1


def test_writers_extend_the_word_list(project: Path, nyhet: Nyhet) -> None:
    text = BROKEN_POST.replace("Ring oss.", "Ring oss snarast.")
    path = write(project, "ordlista.md", text.replace("steg 1", "ordlistan"))
    assert "snarast" not in nyhet("granska", path).stdout
    with (project / "content/.ordlistor/kanslisvenska.txt").open("a", encoding="utf-8") as f:
        f.write("snarast = så fort du kan\n")
    assert (f"{path}:37: tips: ”snarast” är kanslisvenska; skriv hellre ”så fort du kan”"
            in nyhet("granska", path).stdout.splitlines())


def test_missing_file_and_file_outside_content(project: Path, nyhet: Nyhet) -> None:
    result = nyhet("granska", "content/finns-inte.md")
    assert result.returncode == 2
    assert "content/finns-inte.md: filen finns inte" in result.stderr
    result = nyhet("granska", "mkdocs.yml")
    assert result.returncode == 2
    assert "ligger inte i content/" in result.stderr


def test_lix_figures(nyhet: Nyhet) -> None:
    result = nyhet("granska", "--lix", "--inga-tips")
    assert "LIX för " in result.stdout
    assert "lägst" in result.stdout and "median" in result.stdout


def test_the_models_rule_across_posts_a_taken_id(project: Path, nyhet: Nyhet) -> None:
    text = BAD_FRONT_MATTER.replace("[Nyheter]", "[Tips]").replace("10:00", "20:00")
    path = write(project, "samma-id.md", text.replace("status: planerad",
                                                       "status: klar\nid: jobba-var-du-vill"))
    result = nyhet("granska", path)
    assert (f"{path}:8: fel: id: jobba-var-du-vill används redan som filnamn av "
            f"{POSTS}/jobba-var-du-vill.md; ge nyheten ett id som ingen annan nyhet har: skriv "
            "id: och ett nytt namn") in result.stdout.splitlines(), result.stdout
    assert result.returncode == 1


def test_readme_states_the_lix_of_the_current_posts(nyhet: Nyhet) -> None:
    posts = sorted(str(p.relative_to(REPO)) for p in (REPO / POSTS).glob("*.md"))
    result = nyhet("granska", "--lix", "--inga-tips", *posts)
    summary = re.search(r"LIX för (\d+) sidor: lägst (\d+), median (\d+), högst (\d+)",
                        result.stdout)
    assert summary, result.stdout
    count, low, median, high = summary.groups()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{count} posts): **LIX min {low}, median {median}, max {high}**" in readme


def test_the_writers_guide_passes_its_own_check(nyhet: Nyhet) -> None:
    result = nyhet("granska", "content/guides/sa-skriver-du-en-nyhet.md")
    assert result.returncode == 0
    assert ": fel: " not in result.stdout and ": varning: " not in result.stdout, result.stdout


def test_a_word_list_saved_in_another_encoding_is_named(project: Path, nyhet: Nyhet) -> None:
    # Notepad's "ANSI" (Windows-1252): ä is the single byte 0xE4, not UTF-8.
    words = project / "content/.ordlistor/kanslisvenska.txt"
    words.write_bytes("erforderlig* = nödvändig\n".encode("cp1252"))
    result = nyhet("granska")
    assert result.returncode == 2
    assert result.stderr.strip() == ("nyhet: ordlistan content/.ordlistor/kanslisvenska.txt är "
                                     "inte sparad som UTF-8; spara den som UTF-8-text")
    words.unlink()
    result = nyhet("granska")
    assert result.returncode == 2
    assert result.stderr.strip() == ("nyhet: ordlistan content/.ordlistor/kanslisvenska.txt "
                                     "finns inte")


def test_a_setting_of_the_wrong_kind_is_named(project: Path, nyhet: Nyhet) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("lix_announcements: 45", "lix_announcements: hög"),
                      encoding="utf-8")
    result = nyhet("granska")
    assert result.returncode == 2
    assert result.stderr.strip() == ("nyhet: intranet-review: lix_announcements ska vara ett "
                                     "heltal, inte 'hög'")
