"""Subscriber files as Swedish offices make them: Excel's encodings, separators and headers.

Each file is written here with the bytes Excel writes: "CSV (semikolonavgränsad)" is
Windows-1252 with semicolons and CRLF, "Unicode-text" is UTF-16 LE with a BOM and tabs,
"CSV UTF-8" has a BOM and (in a Swedish locale) semicolons too.
"""

from __future__ import annotations

import codecs
import json
import re
import sqlite3
from pathlib import Path

import pytest

from newsletter import store as store_module
from newsletter.errors import SubscriberError
from newsletter.store import Store
from newsletter.subscribers import Subscriber, make_subscriber, normalise_address, read_csv
from newsletter.topics import make_choice
from tests.newsletter.testkit import Cli

ROWS = [
    ("anna@exempelkommun.se", "Åström, Anna", "skola"),
    ("bertil@exempelkommun.se", "Bertil Öberg", ""),
    ("cecilia@exempelkommun.se", "Cecilia Ek", "Tips"),
]


def _excel(rows: list[tuple[str, ...]], separator: str) -> str:
    def cell(value: str) -> str:
        return f'"{value}"' if separator in value or "," in value else value

    return "".join(separator.join(cell(v) for v in row) + "\r\n" for row in rows)


FILES = {
    "semikolon-cp1252": lambda: _excel([("E-post", "Namn", "Ämnen"), *ROWS], ";")
    .encode("cp1252"),
    "unicode-text-utf16": lambda: codecs.BOM_UTF16_LE
    + _excel([("E-post", "Namn", "Ämnen"), *ROWS], "\t").encode("utf-16-le"),
    "csv-utf8-bom": lambda: codecs.BOM_UTF8
    + _excel([("e-post", "namn", "ämnen"), *ROWS], ";").encode("utf-8"),
    "comma-utf8": lambda: _excel([("email", "name", "topics"), *ROWS], ",").encode("utf-8"),
}


@pytest.mark.parametrize("kind", FILES)
def test_excel_files_import_alike(run: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(FILES[kind]())
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "3 added, 0 updated, 0 unchanged, 0 left alone (unsubscribed), 0 invalid lines skipped"]
    listed = run("subscribers", "list").stdout.splitlines()
    assert listed == [
        "email,name,topics",
        'anna@exempelkommun.se,"Åström, Anna",skola',
        "bertil@exempelkommun.se,Bertil Öberg,",
        "cecilia@exempelkommun.se,Cecilia Ek,Tips",
    ]


def test_bad_lines_are_reported_where_they_are_and_the_good_ones_kept(
    run: Cli, tmp_path: Path, feed_file: Path
) -> None:
    path = tmp_path / "lista.csv"
    path.write_bytes((
        "E-post;Namn;Ämnen\r\n"                                   # 1
        "anna@exempelkommun.se;Anna Åström;skola\r\n"             # 2
        'bertil@exempelkommun.se;"Bertil Öberg;Tips\r\n'          # 3 unclosed quote
        "cecilia@exempelkommun.se;Cecilia;Tips\r\n"               # 4 not swallowed
        "david@exempelkommun.se;David;skol\r\n"                   # 5 a typo
        "eva@exempelkommun.se;Eva;Tips;förvaltning\r\n"           # 6 an extra column
        "\r\n"                                                    # 7 empty: ignored
        "filip@exempelkommun;Filip;\r\n"                          # 8 no domain
        "gun@exempelkommun.se;Gun;Säkerhet, vård och omsorg\r\n"  # 9 comma-separated topics
    ).encode("cp1252"))
    # --feed: the allowed topics are those the feed publishes.
    result = run("subscribers", "import", str(path), "--feed", str(feed_file))
    assert result.exit_code == 0, result.output
    problems = result.stderr.splitlines()
    assert [p.split(": skipped: ")[0] for p in problems] == [
        f"{path}:3", f"{path}:5", f"{path}:6", f"{path}:8"]
    assert "quotes on this line do not pair up" in problems[0]
    assert "'skol' is not a category or audience" in problems[1]
    assert "did you mean 'skola'?" in problems[1]
    assert "Planerad ändring" in problems[1] and "vård och omsorg" in problems[1]
    assert "4 columns where the header has 3" in problems[2]
    assert "invalid e-mail address: 'filip@exempelkommun'" in problems[3]
    assert result.stdout.splitlines() == [
        "3 added, 0 updated, 0 unchanged, 0 left alone (unsubscribed), 4 invalid lines skipped"]
    listed = run("subscribers", "list").stdout
    assert "cecilia@exempelkommun.se,Cecilia,Tips" in listed
    assert "gun@exempelkommun.se" in listed and "bertil" not in listed


def test_bad_lines_of_a_unicode_text_file_are_reported_at_their_lines(
    run: Cli, tmp_path: Path, feed_file: Path
) -> None:
    """Excel's "Unicode-text" (UTF-16 LE, BOM, tabs) with bad lines: reported where they are,
    the good lines kept, as for the semicolon file above."""
    path = tmp_path / "unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + (
        "E-post\tNamn\tÄmnen\r\n"                                  # 1
        "anna@exempelkommun.se\tÅström, Anna\tskola\r\n"           # 2
        'bertil@exempelkommun.se\t"Bertil Öberg\tTips\r\n'         # 3 unclosed quote
        "cecilia@exempelkommun.se\tCecilia\tTips\r\n"              # 4 not swallowed
        "david@exempelkommun.se\tDavid\tvård och omsorj\r\n"       # 5 a typo
        "eva@exempelkommun.se\tEva\tTips\tförvaltning\r\n"        # 6 an extra column
    ).encode("utf-16-le"))
    result = run("subscribers", "import", str(path), "--feed", str(feed_file))
    assert result.exit_code == 0, result.output
    problems = result.stderr.splitlines()
    assert [p.split(": skipped: ")[0] for p in problems] == [
        f"{path}:3", f"{path}:5", f"{path}:6"]
    assert "did you mean 'vård och omsorg'?" in problems[1]
    assert result.stdout.splitlines() == [
        "2 added, 0 updated, 0 unchanged, 0 left alone (unsubscribed), 3 invalid lines skipped"]
    assert run("subscribers", "list").stdout.splitlines() == [
        "email,name,topics",
        'anna@exempelkommun.se,"Åström, Anna",skola',
        "cecilia@exempelkommun.se,Cecilia,Tips",
    ]


def test_a_header_without_an_address_column_names_what_is_allowed(
    run: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "fel.csv"
    path.write_bytes("Epostadres;Namn\r\nanna@exempelkommun.se;Anna\r\n".encode("cp1252"))
    result = run("subscribers", "import", str(path))
    assert result.exit_code == 7
    errors = [line for line in result.stderr.splitlines() if line.startswith("newsletter:")]
    assert len(errors) == 1, result.stderr
    (line,) = errors
    assert line.startswith(f"newsletter: error: {path}:1: the header needs an e-mail column")
    assert "did you mean 'epostadress'?" in line
    assert run("subscribers", "list").stdout == "email,name,topics\n"


def test_a_file_that_is_not_there_is_one_line(run: Cli, tmp_path: Path) -> None:
    result = run("subscribers", "import", str(tmp_path / "saknas.csv"))
    assert result.exit_code == 7
    assert result.stderr.startswith("newsletter: error: cannot read ")
    assert result.stderr.count("\n") == 1


def test_a_second_import_adds_updates_keeps_and_leaves_alone_with_history(
    run: Cli, tmp_path: Path
) -> None:
    first = tmp_path / "först.csv"
    first.write_bytes(_excel([
        ("E-post", "Namn", "Kategorier", "Målgrupper"),
        ("anna@exempelkommun.se", "Anna", "Säkerhet", "skola"),
        ("bertil@exempelkommun.se", "Bertil Öberg", "", ""),
        ("cecilia@exempelkommun.se", "Cecilia Ek", "Tips", ""),
    ], ";").encode("cp1252"))
    assert run("subscribers", "import", str(first)).stdout.startswith("3 added, 0 updated")
    assert run("subscribers", "remove", "bertil@exempelkommun.se").exit_code == 0
    # David gets the highest id, then is erased: his id must never name anyone else.
    assert run("subscribers", "add", "david@exempelkommun.se").exit_code == 0
    assert run("subscribers", "forget", "david@exempelkommun.se").exit_code == 0

    second = tmp_path / "sedan.csv"
    second.write_bytes(_excel([
        ("E-post", "Namn", "Kategorier", "Målgrupper"),
        ("ANNA@exempelkommun.se", "Anna Åström", "Säkerhet", "skola"),  # new name: updated
        ("bertil@exempelkommun.se", "Bertil Öberg", "", ""),           # left: stays out
        ("cecilia@exempelkommun.se", "Cecilia Ek", "Tips", ""),        # as before
        ("eva@exempelkommun.se", "Eva", "", "förvaltning"),             # new
    ], ";").encode("cp1252"))
    result = run("subscribers", "import", str(second))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 added, 1 updated, 1 unchanged, 1 left alone (unsubscribed), 0 invalid lines skipped"]

    anna = json.loads(run("subscribers", "export", "anna@exempelkommun.se").stdout)
    assert anna["subscriber"]["email"] == "ANNA@exempelkommun.se"
    assert anna["subscriber"]["name"] == "Anna Åström"
    assert [(a["action"], a["source"], a["detail"]) for a in anna["audit"]] == [
        ("added", "csv import", {"name": "Anna", "choices": ["Säkerhet för skola"]}),
        ("updated", "csv import", {"name": "Anna Åström", "choices": ["Säkerhet för skola"]}),
    ]
    eva = json.loads(run("subscribers", "export", "eva@exempelkommun.se").stdout)
    assert eva["subscriber"]["id"] == 5
    assert eva["subscriber"]["state"] == "active"
    assert eva["subscriber"]["confirmed_at"] == eva["subscriber"]["created_at"] is not None
    assert [(a["action"], a["detail"]) for a in eva["audit"]] == [
        ("added", {"name": "Eva", "choices": ["alla nyheter för förvaltning"]})]
    bertil = json.loads(run("subscribers", "export", "bertil@exempelkommun.se").stdout)
    assert bertil["subscriber"]["state"] == "unsubscribed"
    assert [a["action"] for a in bertil["audit"]] == ["added", "unsubscribed"]
    cecilia = json.loads(run("subscribers", "export", "cecilia@exempelkommun.se").stdout)
    assert [a["action"] for a in cecilia["audit"]] == ["added"]

    # Every subscriber has its own key for signed links: URL-safe, 8 characters.
    with sqlite3.connect(run.db) as db:
        keys = [k for (k,) in db.execute("SELECT token_key FROM subscribers")]
    assert len(keys) == 4 and len(set(keys)) == 4
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", k) for k in keys), keys


@pytest.mark.parametrize("page_size", [2, 500])
def test_an_address_given_twice_in_one_call_is_added_then_updated_in_that_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    # A page of 2 puts the second "anna" on a later page than the first; 500 on the same page.
    monkeypatch.setattr(store_module, "PAGE_SIZE", page_size)
    skola = make_choice([], ["skola"])
    rows = [
        make_subscriber("anna@exempelkommun.se", "Anna", skola),
        make_subscriber("bertil@exempelkommun.se", "Bertil"),
        make_subscriber("ANNA@exempelkommun.se", "Anna Åström"),
    ]
    with Store(tmp_path / "s.db") as store:
        counts = store.upsert_subscribers(rows, reactivate=False, source="csv import")
        assert counts == {"added": 2, "updated": 1}
        anna = store.subscriber("anna@exempelkommun.se")
        bertil = store.subscriber("bertil@exempelkommun.se")
        assert anna is not None and bertil is not None
        assert (anna.email, anna.name, anna.choices) == ("ANNA@exempelkommun.se", "Anna Åström", ())
        assert [(a["action"], a["detail"]) for a in store.audit_log(anna.id)] == [
            ("added", {"name": "Anna", "choices": ["alla nyheter för skola"]}),
            ("updated", {"name": "Anna Åström", "choices": ["allt"]}),
        ]
        assert [(a["action"], a["detail"]) for a in store.audit_log(bertil.id)] == [
            ("added", {"name": "Bertil", "choices": ["allt"]})]


def test_an_import_records_one_run_and_a_short_line_per_subscriber_also_after_version_4(
    run: Cli, tmp_path: Path
) -> None:
    # A version-4 database as the code before compact "added" lines left it: Anna added by a
    # CSV import, with her audit line as that code wrote it, then unsubscribed.
    run.db.parent.mkdir()
    db = sqlite3.connect(run.db)
    for script in (store_module._SCHEMA, store_module._SCHEMA_2, store_module._SCHEMA_3,
                   store_module._SCHEMA_4):
        db.executescript(script)
    db.execute("INSERT INTO meta VALUES ('install_id', 'cafe0005')")
    db.execute(
        "INSERT INTO subscribers (id, email, email_key, name, choices, active, created_at,"
        " unsubscribed_at, confirmed_at, token_key, source) VALUES (1, 'anna@exempelkommun.se',"
        " 'anna@exempelkommun.se', 'Anna', '[]', 0, '2026-11-01T08:00:00+00:00',"
        " '2026-11-02T08:00:00+00:00', '2026-11-01T08:00:00+00:00', 'AAAAAAAA', 'csv import')")
    db.execute(
        "INSERT INTO audit (at, subscriber_id, action, source, detail) VALUES"
        " ('2026-11-01T08:00:00+00:00', 1, 'added', 'csv import',"
        " '{\"name\": \"Anna\", \"choices\": [\"allt\"]}'),"
        " ('2026-11-02T08:00:00+00:00', 1, 'unsubscribed', 'web', '{}')")
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()

    first = tmp_path / "nya.csv"
    first.write_bytes(_excel([
        ("E-post", "Namn", "Kategorier", "Målgrupper"),
        ("anna@exempelkommun.se", "Anna Åström", "", ""),           # left: stays out
        ("bertil@exempelkommun.se", "Bertil", "Säkerhet", "skola"),  # new
        ("cecilia@exempelkommun.se", "Cecilia", "", ""),            # new
    ], ";").encode("cp1252"))
    assert run("subscribers", "import", str(first)).stdout.splitlines() == [
        "2 added, 0 updated, 0 unchanged, 1 left alone (unsubscribed), 0 invalid lines skipped"]
    second = tmp_path / "ändrade.csv"
    second.write_bytes(_excel([
        ("E-post", "Namn", "Kategorier", "Målgrupper"),
        ("BERTIL@exempelkommun.se", "Bertil Öberg", "", ""),        # updated
        ("cecilia@exempelkommun.se", "Cecilia", "", ""),            # as before
    ], ";").encode("cp1252"))
    assert run("subscribers", "import", str(second)).stdout.splitlines() == [
        "0 added, 1 updated, 1 unchanged, 0 left alone (unsubscribed), 0 invalid lines skipped"]

    def audit(email: str) -> list[tuple[str, str, dict[str, object]]]:
        data = json.loads(run("subscribers", "export", email).stdout)
        return [(a["action"], a["source"], a["detail"]) for a in data["audit"]]

    assert audit("anna@exempelkommun.se") == [
        ("added", "csv import", {"name": "Anna", "choices": ["allt"]}),
        ("unsubscribed", "web", {}),
    ]
    assert audit("bertil@exempelkommun.se") == [
        ("added", "csv import", {"name": "Bertil", "choices": ["Säkerhet för skola"]}),
        ("updated", "csv import", {"name": "Bertil Öberg", "choices": ["allt"]}),
    ]
    assert audit("cecilia@exempelkommun.se") == [
        ("added", "csv import", {"name": "Cecilia", "choices": ["allt"]})]
    with sqlite3.connect(run.db) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (5,)
        # The two added lines: one run row, a short line each, no audit row.
        assert db.execute("SELECT action, source FROM audit_runs").fetchall() == [
            ("added", "csv import")]
        assert db.execute("SELECT subscriber_id, name FROM audit_added ORDER BY 1").fetchall() \
            == [(2, "Bertil"), (3, "Cecilia")]
        assert db.execute("SELECT count(*) FROM audit WHERE action = 'added'").fetchone() == (1,)
    # Forgetting Bertil leaves no line with his name.
    assert run("subscribers", "forget", "bertil@exempelkommun.se").exit_code == 0
    with sqlite3.connect(run.db) as db:
        assert db.execute("SELECT subscriber_id FROM audit_added").fetchall() == [(3,)]


def test_the_list_imports_back_as_it_was(run: Cli, tmp_path: Path) -> None:
    for email, name, topics in [
        ("anna@exempelkommun.se", 'Åström, Anna "Annie"', ["skola", "Tips"]),
        ("bertil@exempelkommun.se", "Bertil", []),
        ("cecilia@exempelkommun.se", "", ["Planerad ändring"]),
        ("david@exempelkommun.se", "David", []),
    ]:
        added = run("subscribers", "add", email, "--name", name,
                    *(f"--topic={t}" for t in topics))
        assert added.exit_code == 0, added.output
    assert run("subscribers", "remove", "david@exempelkommun.se").exit_code == 0
    listed = run("subscribers", "list").stdout
    assert listed.splitlines() == [
        "email,name,topics",
        'anna@exempelkommun.se,"Åström, Anna ""Annie""",skola;Tips',
        "bertil@exempelkommun.se,Bertil,",
        "cecilia@exempelkommun.se,,Planerad ändring",
    ]
    everyone = run("subscribers", "list", "--all").stdout.splitlines()
    assert everyone[0] == "email,name,topics,state"
    assert everyone[1:] == [f"{line},active" for line in listed.splitlines()[1:3]] + [
        "cecilia@exempelkommun.se,,Planerad ändring,active",
        "david@exempelkommun.se,David,,unsubscribed"]

    path = tmp_path / "lista.csv"
    path.write_text(listed, encoding="utf-8")
    # Into the same database: nothing changes.
    assert run("subscribers", "import", str(path)).stdout.splitlines() == [
        "0 added, 0 updated, 3 unchanged, 0 left alone (unsubscribed), 0 invalid lines skipped"]
    # Into a new one: the same list.
    other = tmp_path / "annan.db"
    assert run("--db", str(other), "subscribers", "import", str(path)).stdout.startswith(
        "3 added, 0 updated, 0 unchanged")
    assert run("--db", str(other), "subscribers", "list").stdout == listed


_LABEL_63 = "a" * 62 + "b"
ADDRESSES = [
    # (address, accepted): the rule written out by hand: a local part of RFC 5322 atext
    # characters in dot-separated runs, then a domain of at least two labels, each 1-63
    # letters, digits and hyphens, not starting or ending with a hyphen (RFC 1035).
    ("anna@exempelkommun.se", True),
    ("anna.andersson@skola.exempelkommun.se", True),
    ("o'brien+nyheter@x-y.se", True),
    ("a!#$%&'*+/=?^_`{|}~-z@a.se", True),
    (f"a@{_LABEL_63}.se", True),
    (f"a@x.{_LABEL_63}", True),
    (f"a@{_LABEL_63}b.se", False),  # a label of 64
    ("a@9.9", True),
    ("a@-x.se", False),
    ("a@x-.se", False),
    ("a@x.se-", False),
    ("a@x--y.se", True),
    ("a@exempelkommun", False),  # one label
    ("a@.se", False),
    ("a@x..se", False),
    ("a@x.se.", False),
    (".a@x.se", False),
    ("a.@x.se", False),
    ("a..b@x.se", False),
    ("a@b@x.se", False),
    ("a b@x.se", False),
    ("åsa@x.se", False),
    ("a@exempelkömmun.se", False),
    ('"a"@x.se', False),
    ("@x.se", False),
    ("a@x_y.se", False),
    (f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 58}.se", True),  # 254 characters
    (f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 59}.se", False),  # 255
]


@pytest.mark.parametrize(("address", "accepted"), ADDRESSES)
def test_which_addresses_are_plain_enough(address: str, accepted: bool) -> None:
    try:
        assert normalise_address(f" {address} ") == address
        by_function = True
    except SubscriberError:
        by_function = False
    # The file reader checks addresses without the function call: the same rule.
    rows = list(read_csv(f"email\n{address}\n"))
    assert by_function is accepted
    assert isinstance(rows[0], Subscriber) is accepted, rows


def test_a_file_it_may_not_read_is_one_line_and_exit_7(tmp_path: Path) -> None:
    """Like a missing file: ``FILE: reason`` on one line, exit 7 (subscriber data), nothing
    imported. Root reads any file: as root the command runs without the capabilities that
    allow it (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), as a normal user would."""
    import os
    import shutil
    import subprocess
    import sys

    work = tmp_path / "work"
    work.mkdir()
    subscribers = work / "prenumeranter.csv"
    subscribers.write_text("email,name,topics\r\nanna@exempelkommun.se,Anna,\r\n")
    subscribers.chmod(0)
    command = [sys.executable, "-m", "newsletter", "--db", str(work / "n.db"),
               "subscribers", "import", str(subscribers)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: every file is readable")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=work,
                          env={**os.environ, "PYTHONPATH": str(repo)})
    assert done.returncode == 7, done
    assert done.stderr == f"newsletter: error: cannot read {subscribers}: Permission denied\n"
    assert done.stdout == ""
    if (work / "n.db").exists():  # nothing imported (the file is read before the database)
        with sqlite3.connect(work / "n.db") as db:
            assert db.execute("SELECT count(*) FROM subscribers").fetchone() == (0,)
