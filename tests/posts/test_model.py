"""The post model's validation and normalisation, as pure functions (no MkDocs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from plugins.posts.errors import FrontMatterError, FrontMatterSyntaxError
from plugins.posts.frontmatter import (
    load_front_matter,
    read_front_matter,
)
from plugins.posts.model import (
    POST_FIELDS,
    Status,
    Taxonomy,
    control_characters,
    duplicate_keys,
    parse_guide,
    parse_post,
    unknown_fields,
    windows_from,
)
from plugins.posts.plugin import teach_blog_minute_timestamps
from plugins.posts.slugs import is_slug, slugify

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TAXONOMY = Taxonomy(
    categories=("Planerad ändring", "Driftstörning", "Nytt system", "Säkerhet", "Tips"),
    audiences=("alla", "skola", "förvaltning", "vård och omsorg"),
)
SOURCE = "news/posts/flytt.md"
WHERE = "content/news/posts/flytt.md"


def valid(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": "Servrarna flyttar",
        "date": date(2026, 11, 20),
        "description": "Servrarna flyttar till Västerås.",
        "categories": ["Planerad ändring"],
        "audience": ["alla"],
        "status": "planerad",
    }
    meta.update(changes)
    return {key: value for key, value in meta.items() if value is not None}


def problems(meta: dict[str, Any], source: str = SOURCE) -> str:
    with pytest.raises(FrontMatterError) as caught:
        parse_post(meta, source, TAXONOMY, WHERE)
    return str(caught.value)


def test_minimal_post_is_normalised() -> None:
    post = parse_post(valid(), SOURCE, TAXONOMY, WHERE)
    assert post.title == "Servrarna flyttar"
    assert post.date == datetime(2026, 11, 20, tzinfo=STOCKHOLM)
    assert post.date.tzinfo is not None
    assert post.categories == ("Planerad ändring",)
    assert post.status is Status.PLANNED
    assert post.key == "flytt"
    assert post.window is None and post.action is None and not post.draft


def test_full_post_with_window_and_action() -> None:
    post = parse_post(valid(
        date="2026-11-20 09:30",
        updated=datetime(2026, 11, 21, 8, 0),
        services=["Microsoft 365", "Skolplattan"],
        window={"start": "2026-12-12 18:00", "end": "2026-12-13T06:00"},
        action={"by": date(2026, 12, 11), "what": "Spara   dina filer i OneDrive."},
        authors=["it-kommunikation"],
        audience=["skola", "förvaltning"],
        status="Pågår",
    ), SOURCE, TAXONOMY)
    assert post.date == datetime(2026, 11, 20, 9, 30, tzinfo=STOCKHOLM)
    assert post.updated == datetime(2026, 11, 21, 8, 0, tzinfo=STOCKHOLM)
    assert post.window is not None
    assert post.window.start == datetime(2026, 12, 12, 18, 0, tzinfo=STOCKHOLM)
    assert post.window.end.utcoffset() is not None
    assert post.action is not None
    assert post.action.by == date(2026, 12, 11)
    assert post.action.what == "Spara dina filer i OneDrive."
    assert post.status is Status.ONGOING
    assert post.services == ("Microsoft 365", "Skolplattan")


def test_explicit_offset_is_kept() -> None:
    post = parse_post(valid(date="2026-11-20T09:30:00+00:00"), SOURCE, TAXONOMY)
    assert post.date.utcoffset() is not None
    assert post.date.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"window": {"start": "2025-03-01 12:00", "end": "2025-03-01 10:00"}},
         "content/news/posts/flytt.md: window.end: 2025-03-01 10:00 är före window.start "
         "2025-03-01 12:00; skriv ett slut efter starten"),
        ({"window": {"start": "2025-03-01 12:00", "end": "2025-03-01 12:00"}},
         "content/news/posts/flytt.md: window.end: 2025-03-01 12:00 är samma tid som "
         "window.start 2025-03-01 12:00; skriv ett slut efter starten"),
        ({"title": None}, "content/news/posts/flytt.md: title saknas; skriv ett värde"),
        ({"date": "i morgon"},
         "content/news/posts/flytt.md: date: i morgon är inte tillåtet; skriv ett datum "
         "(2025-03-10) eller datum och tid (2025-03-10 09:30)"),
        ({"date": "2025-02-30"},
         "content/news/posts/flytt.md: date: 2025-02-30 är inte tillåtet; skriv ett datum som "
         "finns, som 2025-03-10 eller 2025-03-10 09:30"),
        ({"description": "x" * 301},
         f"content/news/posts/flytt.md: description: {'x' * 40}… (301 tecken) är inte "
         "tillåtet; skriv högst 300 tecken"),
        ({"description": ["a", "b"]},
         "content/news/posts/flytt.md: description: ['a', 'b'] är inte tillåtet; skriv en "
         "enda rad text"),
        ({"categories": ["Planerad andring"]},
         "content/news/posts/flytt.md: categories: Planerad andring är inte tillåtet; skriv en "
         "av: Planerad ändring, Driftstörning, Nytt system, Säkerhet, Tips (menade du "
         "Planerad ändring?)"),
        ({"categories": None},
         "content/news/posts/flytt.md: categories saknas; skriv en eller flera av: Planerad "
         "ändring, Driftstörning, Nytt system, Säkerhet, Tips"),
        ({"categories": []},
         "content/news/posts/flytt.md: categories: [] är inte tillåtet; skriv minst ett namn"),
        ({"audience": ["lärare"]},
         "content/news/posts/flytt.md: audience: lärare är inte tillåtet; skriv en av: alla, "
         "skola, förvaltning, vård och omsorg"),
        ({"services": [["Teams"]]},
         "content/news/posts/flytt.md: services: ['Teams'] är inte tillåtet; skriv en lista "
         "med namn, t.ex. [Microsoft 365, Teams]"),
        ({"status": "färdig"},
         "content/news/posts/flytt.md: status: färdig är inte tillåtet; skriv en av: planerad, "
         "pågår, klar, inställd"),
        ({"status": None},
         "content/news/posts/flytt.md: status saknas; skriv en av: planerad, pågår, klar, "
         "inställd"),
        ({"title": True},
         "content/news/posts/flytt.md: title: True (YAML läste det som ja/nej) är inte "
         "tillåtet; skriv text, och sätt citattecken runt ord som yes, no, on och off"),
        ({"draft": "ja"},
         "content/news/posts/flytt.md: draft: ja är inte tillåtet; skriv true eller false"),
        ({"window": {"start": "2025-03-01 12:00"}},
         "content/news/posts/flytt.md: window.end saknas; skriv ett värde"),
        ({"window": {"start": "2025-03-01 12:00", "end": "2025-03-01 13:00", "slut": 1}},
         "content/news/posts/flytt.md: window.slut: 1 är inte tillåtet; window kan bara ha "
         "fälten start och end"),
        ({"action": {"what": "Logga ut"}},
         "content/news/posts/flytt.md: action.by saknas; skriv ett värde"),
        ({"action": {"by": "snart", "what": "Logga ut"}},
         "content/news/posts/flytt.md: action.by: snart är inte tillåtet; skriv ett datum, "
         "som 2025-03-10"),
        ({"action": "logga ut"},
         "content/news/posts/flytt.md: action: logga ut är inte tillåtet; skriv en grupp med "
         "fälten by och what"),
        ({"services": ["A;B"]},
         "content/news/posts/flytt.md: services: A;B är inte tillåtet; skriv namn utan ;"),
        ({"updated": date(2020, 1, 1)},
         "content/news/posts/flytt.md: updated: 2020-01-01 är före date; skriv en tidpunkt "
         "efter date 2026-11-20 00:00"),
        ({"id": "Flytt av servrar"},
         "content/news/posts/flytt.md: id: Flytt av servrar är inte tillåtet; använd bara små "
         "bokstäver a-z (utan å, ä och ö), siffror och bindestreck, t.ex. flytt-av-servrar"),
    ],
)
def test_each_problem_names_file_field_value_and_what_is_allowed(
    changes: dict[str, Any], expected: str
) -> None:
    meta = valid(**{key: value for key, value in changes.items() if value is not None})
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
    assert expected in problems(meta).splitlines()


def test_all_problems_are_reported_at_once() -> None:
    message = problems({"title": "x", "categories": ["Okänd"], "status": "nej"})
    lines = message.splitlines()
    assert lines == [
        f"{WHERE}: description saknas; skriv ett värde",
        f"{WHERE}: date saknas; skriv ett datum (2025-03-10) eller datum och tid (2025-03-10 "
        "09:30)",
        f"{WHERE}: categories: Okänd är inte tillåtet; skriv en av: Planerad ändring, "
        "Driftstörning, Nytt system, Säkerhet, Tips",
        f"{WHERE}: audience saknas; skriv en eller flera av: alla, skola, förvaltning, vård och "
        "omsorg",
        f"{WHERE}: status: nej är inte tillåtet; skriv en av: planerad, pågår, klar, inställd",
    ]


def test_file_name_must_be_a_readable_slug() -> None:
    message = problems(valid(), source="news/posts/Flytt för Åre.md")
    assert message == (
        "content/news/posts/flytt.md: filnamnet: Flytt för Åre är inte tillåtet; använd bara "
        "små bokstäver a-z (utan å, ä och ö), siffror och bindestreck, eftersom namnet blir "
        "sidans adress; byt namn till flytt-for-are.md")


def test_front_matter_id_keeps_identity_after_a_rename() -> None:
    post = parse_post(valid(id="serverflytt"), "news/posts/nytt-namn.md", TAXONOMY)
    assert post.key == "serverflytt"


def test_unknown_fields_are_reported_with_a_suggestion() -> None:
    warnings = unknown_fields({"audiance": ["alla"], "title": "x"}, POST_FIELDS, WHERE)
    assert warnings == [
        f"{WHERE}: fältet audiance är okänt och används inte; menade du audience?"
    ]
    assert unknown_fields({"xyz": 1}, ["title", "date"], WHERE) == [
        f"{WHERE}: fältet xyz är okänt och används inte; kända fält: date, title"
    ]


def test_publishing_rules() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=STOCKHOLM)
    assert parse_post(valid(), SOURCE, TAXONOMY).is_published(now)
    assert not parse_post(valid(draft=True), SOURCE, TAXONOMY).is_published(now)
    assert not parse_post(valid(date="2026-11-29 12:01"), SOURCE, TAXONOMY).is_published(now)


def test_windows_from_keeps_current_and_upcoming_soonest_first() -> None:
    now = datetime(2026, 12, 12, 20, 0, tzinfo=STOCKHOLM)

    def post(key: str, start: str, end: str, status: str = "planerad") -> Any:
        return parse_post(valid(window={"start": start, "end": end}, status=status),
                          f"news/posts/{key}.md", TAXONOMY)

    posts = [
        post("later", "2027-01-09 18:00", "2027-01-10 06:00"),
        post("past", "2026-12-01 18:00", "2026-12-01 20:00"),
        post("ongoing", "2026-12-12 18:00", "2026-12-13 06:00"),
        post("cancelled", "2026-12-20 18:00", "2026-12-20 20:00", status="inställd"),
    ]
    assert [p.key for p in windows_from(posts, now)] == ["ongoing", "later"]


def test_guides() -> None:
    guide = parse_guide({"title": "Teams", "description": "Möten.", "tags": ["Teams"],
                         "applies_to": ["skola"]}, "guides/teams.md", TAXONOMY)
    assert guide.tags == ("Teams",) and guide.applies_to == ("skola",)
    with pytest.raises(FrontMatterError) as caught:
        parse_guide({"title": "T", "description": "D", "applies_to": ["elever"]}, "g.md",
                    TAXONOMY)
    assert str(caught.value) == ("g.md: applies_to: elever är inte tillåtet; skriv en av: alla, "
                                 "skola, förvaltning, vård och omsorg")


@pytest.mark.parametrize(
    ("text", "slug"),
    [("för åre", "for-are"), ("Planerad ändring", "planerad-andring"),
     ("Vård och omsorg", "vard-och-omsorg"),
     ("Frågor & svar om \"molnet\"", "fragor-svar-om-molnet"),
     ("Säkerhet", "sakerhet")],
)
def test_slugify_keeps_swedish_words_readable(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert is_slug(slug)
    assert not is_slug(text)


def test_front_matter_reader() -> None:
    text = "---\ntitle: Hej\ndate: 2026-11-20\n---\n# Hej\n"
    assert read_front_matter(text, "a.md") == {"title": "Hej", "date": date(2026, 11, 20)}
    assert read_front_matter("# Ingen front matter\n", "a.md") == {}


def test_broken_yaml_names_file_and_line() -> None:
    text = "---\ntitle: Hej\ndescription: Ett: två: tre\n---\n"
    with pytest.raises(FrontMatterSyntaxError) as caught:
        read_front_matter(text, "content/news/posts/a.md")
    assert caught.value.line == 3
    assert str(caught.value) == (
        "content/news/posts/a.md:3: uppgifterna överst i filen (front matter) går inte att "
        "läsa: ett kolon följt av mellanslag inne i ett värde, eller en rad med fel indrag; "
        "sätt citattecken runt värdet (\"…\") eller rätta indraget")


def test_minute_timestamps_become_datetimes_for_materials_blog_only() -> None:
    from material.plugins.blog import structure

    teach_blog_minute_timestamps()
    teach_blog_minute_timestamps()  # idempotent
    text = "a: 2026-12-12 18:00\nb: 2026-12-12\nc: '2026-12-12 18:00'\nd: kl 18:00"
    # As the blog reads a post's front matter (material/plugins/blog/structure).
    assert yaml.load(text, structure.SafeLoader) == {
        "a": datetime(2026, 12, 12, 18, 0), "b": date(2026, 12, 12),
        "c": "2026-12-12 18:00", "d": "kl 18:00"}
    # Every other reader in the process gets PyYAML as it is: the time stays text.
    assert yaml.safe_load(text)["a"] == "2026-12-12 18:00"
    assert yaml.load(text, yaml.SafeLoader)["a"] == "2026-12-12 18:00"


def test_impossible_dates_reach_the_model_as_text() -> None:
    meta = read_front_matter("---\ndate: 2025-13-01\nwindow:\n  start: 2025-02-30 10:00\n---\n",
                             "a.md")
    assert meta == {"date": "2025-13-01", "window": {"start": "2025-02-30 10:00"}}


@pytest.mark.parametrize(("yaml_text", "expected"), [
    # What every post holds: text, lists, a mapping, dates, numbers and booleans.
    ("title: \"Frågor & svar\"\ndate: 2026-11-20 09:30\ntags: [Teams, '1']\n"
     "window:\n  start: 2026-12-01\n  end: 2026-12-01 10:00+01:00\ndraft: no\npin: 3\n",
     {"title": "Frågor & svar", "date": datetime(2026, 11, 20, 9, 30), "tags": ["Teams", "1"],
      "window": {"start": date(2026, 12, 1),
                 "end": datetime.fromisoformat("2026-12-01T10:00+01:00")},
      "draft": False, "pin": 3}),
    # Left to PyYAML's whole constructor: merge keys, aliases, keys that are not text, tags.
    ("base: &b {status: klar}\nwindow:\n  <<: *b\n  start: 2026-12-01\n",
     {"base": {"status": "klar"}, "window": {"status": "klar", "start": date(2026, 12, 1)}}),
    ("a: &x [1, 2]\nb: *x\n", {"a": [1, 2], "b": [1, 2]}),
    ("1: ett\ntitle: x\n", {1: "ett", "title": "x"}),
    ("services: !!set {Teams: null}\n", {"services": {"Teams"}}),
    ("tags: !!seq [a]\nmeta: !!map {b: 2}\n", {"tags": ["a"], "meta": {"b": 2}}),
])
def test_front_matter_values_are_read_as_yaml_reads_them(yaml_text: str, expected: Any) -> None:
    # Values written out by hand from the YAML 1.1 rules PyYAML follows: the direct walk of
    # plain documents and the fallback to PyYAML's constructor must both give them.
    assert read_front_matter(f"---\n{yaml_text}---\n", "a.md") == expected


def test_problems_name_the_line_of_their_field() -> None:
    text = ("---\ntitle: Flytt\ndate: 2026-11-20\ndescription: Kort.\ncategories: [Nyheter]\n"
            "audience: [alla]\nstatus: klar\nwindow:\n  start: 2026-12-01 10:00\n"
            "  end: 2026-12-01 09:00\n---\n")
    front = load_front_matter(text, WHERE)
    with pytest.raises(FrontMatterError) as caught:
        parse_post(front.meta, SOURCE, TAXONOMY, WHERE, front.lines)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{WHERE}:5: categories: Nyheter är inte tillåtet; skriv en av")
    assert lines[1].startswith(f"{WHERE}:10: window.end: 2026-12-01 09:00 är före window.start")
    assert [(p.field, p.line) for p in caught.value.problems] == [("categories", 5),
                                                                 ("window.end", 10)]


def test_a_missing_field_is_reported_without_a_line() -> None:
    front = load_front_matter("---\ntitle: Flytt\n---\n", WHERE)
    with pytest.raises(FrontMatterError) as caught:
        parse_post(front.meta, SOURCE, TAXONOMY, WHERE, front.lines)
    assert f"{WHERE}: date saknas; skriv ett datum (2025-03-10) eller datum och tid " \
           "(2025-03-10 09:30)" in str(caught.value).splitlines()


def test_duplicate_keys_name_both_files() -> None:
    first = parse_post(valid(), "news/posts/flytt.md", TAXONOMY)
    renamed = parse_post(valid(id="flytt"), "news/posts/ny-flytt.md", TAXONOMY)
    other = parse_post(valid(), "news/posts/annan.md", TAXONOMY)
    assert [str(p) for p in duplicate_keys([renamed, other, first])] == [
        "news/posts/ny-flytt.md: id: flytt används redan som filnamn av news/posts/flytt.md; "
        "ge nyheten ett id som ingen annan nyhet har: skriv id: och ett nytt namn",
    ]
    assert duplicate_keys([first, other]) == []


def test_control_characters_are_named_with_line_and_column() -> None:
    text = "---\ntitle: Hej\n---\n\nFörsta\x0cstycket.\r\nRad\x0b\x01\n\tIndrag är tillåtet.\n"
    assert [str(p) for p in control_characters(text, WHERE)] == [
        f"{WHERE}:5: tecknet i kolumn 7: U+000C (sidbrytning) kan inte publiceras; ta bort "
        "det (text som klistrats in från Word kan ha sådana osynliga tecken)",
        f"{WHERE}:6: tecknet i kolumn 4: U+000B (radbrytning från Word) kan inte publiceras; "
        "ta bort det (text som klistrats in från Word kan ha sådana osynliga tecken)",
        f"{WHERE}:6: tecknet i kolumn 5: U+0001 (osynligt styrtecken) kan inte publiceras; "
        "ta bort det (text som klistrats in från Word kan ha sådana osynliga tecken)",
    ]
    assert control_characters("Tab\there, CR\r\nLF\n", WHERE) == []
