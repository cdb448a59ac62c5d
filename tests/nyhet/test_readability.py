"""LIX, sentences, passive forms and officialese, against counts made by hand.

Each text's words, sentences and long words (more than six letters) were counted by hand and
are written out here; the expected LIX is computed from those counts, never by the code
under test.
"""

from __future__ import annotations

import pytest

from plugins.review.readability import (
    Phrase,
    lix_of_text,
    officialese,
    passive_forms,
    read_phrases,
    read_words,
    sentences,
)
from plugins.review.scan import scan

EASY = "Vi har fått nya datorer. De är snabba och lätta. Du loggar in som vanligt. " \
       "Ring oss om något krånglar."
# 1. Vi har fått nya datorer           5 words, long: datorer (7)
# 2. De är snabba och lätta            5 words, long: none (snabba has 6 letters: not long)
# 3. Du loggar in som vanligt          5 words, long: vanligt (7)
# 4. Ring oss om något krånglar        5 words, long: krånglar (8)
EASY_COUNTS = (20, 4, 3)  # LIX 20/4 + 100*3/20 = 5 + 15 = 20

MEDIUM = ("Nästa vecka byter vi lösenordssystem för alla anställda. När du loggar in på måndag "
          "får du ett meddelande på skärmen. Följ instruktionerna och välj ett nytt lösenord "
          "med minst tolv tecken. Kontakta servicedesk om du behöver hjälp.")
# 1. 8 words, long: lösenordssystem (15), anställda (9)
# 2. När du loggar in på måndag får du ett meddelande på skärmen: 12 words,
#    long: meddelande (10), skärmen (7); loggar and måndag have 6 letters
# 3. Följ instruktionerna och välj ett nytt lösenord med minst tolv tecken: 11 words,
#    long: instruktionerna (15), lösenord (8)
# 4. Kontakta servicedesk om du behöver hjälp: 6 words,
#    long: kontakta (8), servicedesk (11), behöver (7)
MEDIUM_COUNTS = (37, 4, 9)  # LIX 37/4 + 900/37 = 9.25 + 24.32 = 33.57

HARD = ("Med anledning av den förestående migreringen av verksamhetssystemen ombeds samtliga "
        "medarbetare att säkerställa att erforderliga åtgärder vidtas innan arbetsdagens slut. "
        "Vederbörande chef ansvarar för att informationen delges berörda medarbetare inom "
        "respektive förvaltning.")
# 1. 20 words; long: anledning, förestående, migreringen, verksamhetssystemen, samtliga,
#    medarbetare, säkerställa, erforderliga, åtgärder, arbetsdagens (10);
#    ombeds and vidtas have 6 letters
# 2. 12 words; long: vederbörande, ansvarar, informationen, berörda, medarbetare,
#    respektive, förvaltning (7)
HARD_COUNTS = (32, 2, 17)  # LIX 32/2 + 1700/32 = 16 + 53.125 = 69.125

ABBREVIATED = "Vi börjar kl. 18.00 på fredag, t.ex. med e-posten. Det tar ca. två timmar!"
# "kl." "t.ex." and "ca." end no sentence; 18.00 and e-posten are one word each.
# 1. Vi börjar kl 18.00 på fredag t.ex med e-posten: 9 words, long: börjar? no (6);
#    e-posten (7 letters) is long
# 2. Det tar ca två timmar: 5 words, long: none (timmar has 6)
ABBREVIATED_COUNTS = (14, 2, 1)  # LIX 7 + 100/14 = 14.14


@pytest.mark.parametrize(("text", "counts", "expected"), [
    (EASY, EASY_COUNTS, 20.0),
    (MEDIUM, MEDIUM_COUNTS, 9.25 + 900 / 37),
    (HARD, HARD_COUNTS, 69.125),
    (ABBREVIATED, ABBREVIATED_COUNTS, 7 + 100 / 14),
], ids=["easy", "medium", "hard", "abbreviations"])
def test_lix_matches_hand_counts(text: str, counts: tuple[int, int, int],
                                 expected: float) -> None:
    result = lix_of_text(text)
    assert (result.words, result.sentences, result.long_words) == counts
    assert result.value == pytest.approx(expected)


def test_lix_of_nothing_is_zero() -> None:
    assert lix_of_text("").value == 0


def test_list_items_and_paragraphs_end_sentences_and_keep_their_lines() -> None:
    page = scan("---\ntitle: x\n---\n\n# Rubrik\n\nFörsta meningen här\nfortsätter. Andra!\n\n"
                "- en punkt utan punkt\n- en till\n\n| tabell | rad |\n\n```\nkod. kod.\n```\n")
    found = [(s.line, " ".join(w.text for w in s.words)) for s in sentences(page.blocks)]
    assert found == [
        (7, "Första meningen här fortsätter"),
        (8, "Andra"),
        (10, "en punkt utan punkt"),
        (11, "en till"),
    ]


def test_passive_forms_with_exceptions() -> None:
    page = scan("Filerna flyttas i helgen och kan inte användas. Servern startades om och har "
                "uppdaterats. Vi hoppas att det finns plats på kommunens arbetsplats. Ärendet "
                "misslyckas aldrig.\n")
    words = [w.text for w in passive_forms(sentences(page.blocks),
                                           read_words("hoppas\nfinns\nplats\nlyckas\n"))]
    assert words == ["flyttas", "användas", "startades", "uppdaterats"]


def test_officialese_from_a_word_list_with_endings_and_phrases() -> None:
    phrases = read_phrases("# kommentar\nerforderlig* = nödvändig\ni syfte att = för att\n"
                           "vederbörande = den det gäller\n")
    assert phrases[0] == Phrase(("erforderlig",), True, "nödvändig")
    page = scan("Vidta erforderliga åtgärder i syfte att spara. Vederbörande ringer.\n")
    found = [(word.text, phrase.instead, written)
             for word, phrase, written in officialese(sentences(page.blocks), phrases)]
    assert found == [
        ("erforderliga", "nödvändig", "erforderliga"),
        ("i", "för att", "i syfte att"),
        ("Vederbörande", "den det gäller", "Vederbörande"),
    ]


def test_officialese_entries_sharing_a_word_are_all_found_in_the_lists_order() -> None:
    # Entries are looked up by their first word; several may start at one word, a one-word
    # prefix entry among them, and the findings keep the order of the list.
    phrases = read_phrases("med anledning av = på grund av\nmed hänsyn till = eftersom\n"
                           "medel* = pengar\nmed = (bara som ord)\ninför*= före\n"
                           "ta ställning* = bestämma\n")
    page = scan("Med anledning av budgeten och med hänsyn till medelvärdet ska vi ta "
                "ställningen.\nInför mötet måste vi ta\n")
    found = [(word.text, line, phrase.instead, written) for word, phrase, written in
             officialese(sentences(page.blocks), phrases) for line in [word.line]]
    assert found == [
        ("Med", 1, "på grund av", "Med anledning av"),
        ("Med", 1, "(bara som ord)", "Med"),
        ("med", 1, "eftersom", "med hänsyn till"),
        ("med", 1, "(bara som ord)", "med"),
        ("medelvärdet", 1, "pengar", "medelvärdet"),
        ("ta", 1, "bestämma", "ta ställningen"),
        ("Inför", 2, "före", "Inför"),
    ]  # 'ta' at the end of the last sentence: the entry runs past it, no finding
